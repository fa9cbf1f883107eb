"""Agents' time off: periods ``[starts_at, ends_at)`` during which they take no tickets."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agentctl.models import Agent, AgentTimeOff
from agentctl.repository.common import tenant_filter

TIMEOFF_COLUMNS = ("id", "agent_email", "starts_at", "ends_at", "reason", "tenant_id")


def _query() -> Any:
    return select(
        AgentTimeOff.id,
        Agent.email,
        AgentTimeOff.starts_at,
        AgentTimeOff.ends_at,
        AgentTimeOff.reason,
        AgentTimeOff.tenant_id,
    ).join(Agent, Agent.id == AgentTimeOff.agent_id)


def list_time_off(
    session: Session, tenant: str | None, *, agent_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    query = _query().where(tenant_filter(AgentTimeOff.tenant_id, tenant))
    if agent_id is not None:
        query = query.where(AgentTimeOff.agent_id == agent_id)
    query = query.order_by(AgentTimeOff.starts_at, func.lower(Agent.email), AgentTimeOff.id)
    return [dict(zip(TIMEOFF_COLUMNS, row, strict=True)) for row in session.execute(query)]


def get_time_off(session: Session, period_id: uuid.UUID, tenant: str | None) -> AgentTimeOff | None:
    return session.scalar(
        select(AgentTimeOff).where(
            AgentTimeOff.id == period_id, tenant_filter(AgentTimeOff.tenant_id, tenant)
        )
    )


def row(session: Session, period_id: uuid.UUID) -> dict[str, Any]:
    found = session.execute(_query().where(AgentTimeOff.id == period_id)).one()
    return dict(zip(TIMEOFF_COLUMNS, found, strict=True))


def time_off_ids(session: Session, tenant: str | None) -> list[uuid.UUID]:
    """Every period's id in the tenant (a short table: for id prefixes)."""
    query = select(AgentTimeOff.id).where(tenant_filter(AgentTimeOff.tenant_id, tenant))
    return list(session.scalars(query))
