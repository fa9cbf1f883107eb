"""Agents: lookup by email or id, listing, and open workloads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from agentctl.errors import NotFoundError, UsageError
from agentctl.models import OPEN_STATUSES, Agent, AgentAvailability, BusinessCalendar, Ticket
from agentctl.repository.availability import record_events
from agentctl.repository.common import same_tenant, tenant_filter
from agentctl.timeutil import utcnow


def _as_uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def resolve_agent(
    session: Session, ref: str, tenant: str | None, *, include_inactive: bool = True
) -> Agent:
    """The agent named by email (case-insensitive) or id, within ``tenant`` if set.

    Unknown, or ambiguous across tenants without ``--tenant``: a UsageError (exit 2).
    """
    ref = ref.strip()
    agent_id = _as_uuid(ref)
    query = select(Agent).where(tenant_filter(Agent.tenant_id, tenant))
    if agent_id is not None:
        query = query.where(Agent.id == agent_id)
    else:
        query = query.where(func.lower(Agent.email) == ref.lower())
    if not include_inactive:
        query = query.where(Agent.is_active.is_(True))
    found = list(session.scalars(query.limit(2)))
    where = f" in tenant {tenant!r}" if tenant is not None else ""
    if not found:
        raise NotFoundError(f"unknown agent {ref!r}{where}; see `agentctl agents list`")
    if len(found) > 1:
        raise UsageError(f"agent {ref!r} exists in several tenants; name one with --tenant")
    return found[0]


def open_workloads(session: Session, agent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Open workload (open, in_progress, waiting tickets) per agent, in one query."""
    if not agent_ids:
        return {}
    rows = session.execute(
        select(Ticket.assigned_to_user_id, func.count())
        .where(Ticket.assigned_to_user_id.in_(agent_ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assigned_to_user_id)
    )
    counts = {agent_id: 0 for agent_id in agent_ids}
    counts.update({agent_id: int(n) for agent_id, n in rows if agent_id is not None})
    return counts


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
