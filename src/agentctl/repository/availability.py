"""Availability: each agent's status joined with their open workload, in one query."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from agentctl.models import OPEN_STATUSES, Agent, AgentAvailability, Ticket
from agentctl.repository.common import tenant_filter
from agentctl.timeutil import utcnow


def status_rows(
    session: Session, tenant: str | None, *, agent_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """Active agents (or one agent) with availability and open workload."""
    workload = (
        select(Ticket.assigned_to_user_id.label("agent_id"), func.count().label("open_tickets"))
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.assigned_to_user_id.is_not(None))
        .group_by(Ticket.assigned_to_user_id)
        .subquery()
    )
    query = (
        select(
            Agent.id.label("agent_id"),
            Agent.name.label("agent_name"),
            Agent.email.label("agent_email"),
            AgentAvailability.status,
            AgentAvailability.status_message,
            AgentAvailability.last_activity_at,
            func.coalesce(workload.c.open_tickets, 0).label("open_tickets"),
            Agent.max_open_tickets,
            Agent.tenant_id,
        )
        .join(AgentAvailability, AgentAvailability.user_id == Agent.id)
        .outerjoin(workload, workload.c.agent_id == Agent.id)
    )
    if agent_id is not None:
        query = query.where(Agent.id == agent_id)
    else:
        query = query.where(tenant_filter(Agent.tenant_id, tenant), Agent.is_active.is_(True))
    query = query.order_by(Agent.tenant_id.asc().nulls_first(), func.lower(Agent.name), Agent.id)
    return [dict(row._mapping) for row in session.execute(query)]


def set_status(session: Session, agent_id: uuid.UUID, status: str, message: str | None) -> None:
    session.execute(
        update(AgentAvailability)
        .where(AgentAvailability.user_id == agent_id)
        .values(status=status, status_message=message, updated_at=utcnow())
    )
