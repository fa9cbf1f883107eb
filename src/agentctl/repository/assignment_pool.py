"""SQL for `agentctl assign`, the agent pool: the tenant lock, agents, shifts, time off,
workloads and skills.

A run reads a tenant's shifts and time off once, and workloads and skills again only when
another process changed the agents in between; every batch locks the agents in id order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select

from agentctl.columns import (  # Core tables: `assign --dry-run` reads without the ORM
    Agent,
    AgentAvailability,
    AgentSkill,
    AgentTimeOff,
    BusinessCalendar,
    Ticket,
)
from agentctl.dbtypes import OPEN_STATUSES
from agentctl.repository.assignment_tickets import among
from agentctl.repository.common import core_connection, same_tenant, tenant_filter

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class AgentRow:
    id: uuid.UUID
    email: str
    tenant_id: str | None
    max_open_tickets: int | None
    is_active: bool
    status: str
    last_activity_at: datetime | None


@dataclass(frozen=True)
class ShiftRow:
    """An agent's shift: the columns of their business calendar."""

    agent_id: uuid.UUID
    calendar_id: uuid.UUID
    timezone: str
    hours: dict[str, Any]
    holidays: list[str]
    holiday_region: str | None


@dataclass(frozen=True)
class TimeOffRow:
    agent_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class SkillRow:
    agent_id: uuid.UUID
    category: str
    level: int
    can_handle_escalations: bool


def _agent_rows() -> Select[Any]:
    """The columns of an ``AgentRow``: each agent with its availability."""
    return select(
        Agent.id,
        Agent.email,
        Agent.tenant_id,
        Agent.max_open_tickets,
        Agent.is_active,
        AgentAvailability.status,
        AgentAvailability.last_activity_at,
    ).join(AgentAvailability, AgentAvailability.user_id == Agent.id)


def lock_and_load_agents(session: Session, tenant: str | None, *, lock: bool) -> list[AgentRow]:
    """Every agent of ``tenant`` with availability, ordered by id.

    With ``lock``, their agent_availability rows are locked ``FOR UPDATE`` in id order:
    every `assign` on this tenant takes the same locks in the same order, so decisions for
    a tenant are serialized without deadlocks and on any PostgreSQL-compatible engine.
    SQLite ignores FOR UPDATE; its writers are already serialized by ``BEGIN IMMEDIATE``.
    """
    query = _agent_rows().where(same_tenant(Agent.tenant_id, tenant)).order_by(Agent.id)
    if lock:
        query = query.with_for_update(of=AgentAvailability)
    return [AgentRow(*row) for row in core_connection(session).execute(query).all()]


def workloads(session: Session, agent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Open workload (open, in_progress, waiting tickets) per agent, in one query.

    Read again in every batch after another process committed, so the ids go as one
    array on PostgreSQL (an IN list of 1,000 binds is compiled, and parsed by the driver,
    anew each time) and the rows as Core rows.
    """
    if not agent_ids:
        return {}
    connection = core_connection(session)
    rows = connection.execute(
        select(Ticket.assigned_to_user_id, func.count())
        .where(
            among(Ticket.assigned_to_user_id, agent_ids, connection.dialect.name),
            Ticket.status.in_(OPEN_STATUSES),
        )
        .group_by(Ticket.assigned_to_user_id)
    )
    counts = dict.fromkeys(agent_ids, 0)
    counts.update({agent_id: int(n) for agent_id, n in rows.all() if agent_id is not None})
    return counts


def skills_of(session: Session, agent_ids: Sequence[uuid.UUID]) -> list[SkillRow]:
    """The skills of these agents (read again as :func:`workloads` is)."""
    if not agent_ids:
        return []
    connection = core_connection(session)
    rows = connection.execute(
        select(
            AgentSkill.user_id,
            AgentSkill.skill_category,
            AgentSkill.skill_level,
            AgentSkill.can_handle_escalations,
        ).where(among(AgentSkill.user_id, agent_ids, connection.dialect.name))
    )
    return [SkillRow(*row) for row in rows.all()]


def agent_shifts(session: Session, tenant: str | None) -> list[ShiftRow]:
    """The calendar of every agent of ``tenant`` who has one: one statement."""
    rows = session.execute(
        select(
            Agent.id,
            BusinessCalendar.id,
            BusinessCalendar.timezone,
            BusinessCalendar.hours,
            BusinessCalendar.holidays,
            BusinessCalendar.holiday_region,
        )
        .join(BusinessCalendar, BusinessCalendar.id == Agent.calendar_id)
        .where(same_tenant(Agent.tenant_id, tenant))
    )
    return [ShiftRow(*row) for row in rows]


def time_off_from(session: Session, tenant: str | None, since: datetime) -> list[TimeOffRow]:
    """Time off of ``tenant``'s agents that has not ended by ``since``: one statement."""
    rows = session.execute(
        select(AgentTimeOff.agent_id, AgentTimeOff.starts_at, AgentTimeOff.ends_at)
        .join(Agent, Agent.id == AgentTimeOff.agent_id)
        .where(same_tenant(Agent.tenant_id, tenant), AgentTimeOff.ends_at > since)
    )
    return [TimeOffRow(*row) for row in rows]


def holders_of_work(session: Session, tenant: str | None) -> list[AgentRow]:
    """Agents (any tenant within ``tenant``'s filter) who hold open tickets, ordered by
    tenant then id: the candidates for ``assign --from-off-shift``."""
    holding = (
        select(Ticket.assigned_to_user_id)
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.assigned_to_user_id.is_not(None))
        .distinct()
        .subquery()
    )
    query = (
        _agent_rows()
        .join(holding, holding.c.assigned_to_user_id == Agent.id)
        .where(tenant_filter(Agent.tenant_id, tenant))
    )
    found = [AgentRow(*row) for row in session.execute(query)]
    return sorted(found, key=lambda a: (a.tenant_id is not None, a.tenant_id or "", a.id))


def agent_emails(session: Session, agent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not agent_ids:
        return {}
    rows = session.execute(select(Agent.id, Agent.email).where(Agent.id.in_(agent_ids)))
    return {agent_id: email for agent_id, email in rows}
