"""Agents: lookup by email or id, listing, and open workloads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from agentctl.errors import NotFoundError
from agentctl.models import Agent, AgentAvailability, BusinessCalendar
from agentctl.repository.availability import open_workloads as open_workloads  # re-export
from agentctl.repository.availability import record_events
from agentctl.repository.common import same_tenant, tenant_filter
from agentctl.repository.lookup import agent_query, only_agent
from agentctl.timeutil import utcnow


def resolve_agent(
    session: Session, ref: str, tenant: str | None, *, include_inactive: bool = True
) -> Agent:
    """The agent named by email (case-insensitive) or id, within ``tenant`` if set.

    Unknown, or ambiguous across tenants without ``--tenant``: a UsageError (exit 2).
    """
    query = agent_query(Agent, ref, tenant, include_inactive)
    return only_agent(list(session.scalars(query)), ref, tenant)


def list_agents(
    session: Session, tenant: str | None, *, include_inactive: bool = False
) -> list[Agent]:
    query = select(Agent).where(tenant_filter(Agent.tenant_id, tenant))
    if not include_inactive:
        query = query.where(Agent.is_active.is_(True))
    order = (Agent.tenant_id.asc().nulls_first(), func.lower(Agent.email))
    return list(session.scalars(query.order_by(*order)))


def agents_by_email(
    session: Session, tenants: Sequence[str | None]
) -> dict[tuple[str | None, str], Agent]:
    """Every agent of the given tenants, keyed by (tenant_id, lower(email)), in one query."""
    named = [t for t in tenants if t is not None]
    conditions = []
    if named:
        conditions.append(Agent.tenant_id.in_(named))
    if any(t is None for t in tenants):
        conditions.append(Agent.tenant_id.is_(None))
    if not conditions:
        return {}
    rows = session.scalars(select(Agent).where(or_(*conditions)))
    return {(a.tenant_id, a.email.lower()): a for a in rows}


def add_agents(session: Session, agents: Sequence[Agent]) -> None:
    """Insert agents, their availability rows (a new agent starts offline) and the first
    event of their history, batched."""
    for agent in agents:
        agent.id = agent.id or uuid.uuid4()
    session.add_all(agents)
    session.flush()
    session.add_all(
        AgentAvailability(user_id=a.id, tenant_id=a.tenant_id, status="offline") for a in agents
    )
    session.flush()
    now = utcnow()
    record_events(session, [(a.id, a.tenant_id, "offline", None, now) for a in agents])


def set_offline(session: Session, agent: Agent) -> None:
    """Mark the agent offline, with its history row (unless they are offline already)."""
    changed = session.execute(
        update(AgentAvailability)
        .where(AgentAvailability.user_id == agent.id, AgentAvailability.status != "offline")
        .values(status="offline", status_message=None, updated_at=utcnow())
    )
    if changed.rowcount:  # type: ignore[attr-defined]
        record_events(session, [(agent.id, agent.tenant_id, "offline", None, utcnow())])


def calendar_by_name(session: Session, tenant: str | None, name: str) -> BusinessCalendar:
    """The business calendar ``name`` of the agent's tenant (exact tenant match)."""
    found = session.scalar(
        select(BusinessCalendar).where(
            same_tenant(BusinessCalendar.tenant_id, tenant),
            BusinessCalendar.name == name.strip(),
        )
    )
    if found is None:
        where = f" in tenant {tenant!r}" if tenant is not None else ""
        raise NotFoundError(f"unknown calendar {name!r}{where}; see `agentctl calendars list`")
    return found


def calendar_names(session: Session, agents: Sequence[Agent]) -> dict[uuid.UUID, str]:
    """The calendar name of each agent that has one, in one query."""
    ids = {a.calendar_id for a in agents if a.calendar_id is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(BusinessCalendar.id, BusinessCalendar.name).where(BusinessCalendar.id.in_(ids))
    )
    return {calendar_id: name for calendar_id, name in rows}
