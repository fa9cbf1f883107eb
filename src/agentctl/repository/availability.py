"""Availability: each agent's status with their workload, and the history of changes.

Every change of a status appends an ``availability_events`` row in the same transaction
(``record_events``); the rows are never updated or deleted. Core only (``agentctl.columns``):
``status`` reads through a Core connection, without the ORM.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, and_, exists, func, insert, select, update

from agentctl.columns import (
    Agent,
    AgentAvailability,
    AgentTimeOff,
    AvailabilityEvent,
    Ticket,
)
from agentctl.dbtypes import OPEN_STATUSES, UTCDateTime
from agentctl.repository.common import minutes_between, moment, tenant_filter
from agentctl.tables import business_calendars as calendars
from agentctl.timeutil import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agentctl.repository.common import Reader

# One change: (agent_id, tenant_id, status, status_message, at)
Change = tuple[uuid.UUID, str | None, str, str | None, datetime]


def status_rows(
    session: Reader, tenant: str | None, now: datetime, *, agent_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """Active agents (or one agent) with availability, workload, calendar id and whether a
    time-off period covers ``now`` (start inclusive, end exclusive), in one query."""
    workload = (
        select(Ticket.assigned_to_user_id.label("agent_id"), func.count().label("open_tickets"))
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.assigned_to_user_id.is_not(None))
        .group_by(Ticket.assigned_to_user_id)
        .subquery()
    )
    on_leave = exists().where(
        AgentTimeOff.agent_id == Agent.id,
        AgentTimeOff.starts_at <= moment(now),
        AgentTimeOff.ends_at > moment(now),
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
            Agent.calendar_id,
            on_leave.label("time_off"),
        )
        .join(AgentAvailability, AgentAvailability.user_id == Agent.id)
        .outerjoin(workload, workload.c.agent_id == Agent.id)
    )
    if agent_id is not None:
        query = query.where(Agent.id == agent_id)
    else:
        query = query.where(tenant_filter(Agent.tenant_id, tenant), Agent.is_active.is_(True))
    query = query.order_by(Agent.tenant_id.asc().nulls_first(), func.lower(Agent.name), Agent.id)
    rows = [dict(row._mapping) for row in session.execute(query)]
    for row in rows:
        row["time_off"] = bool(row["time_off"])
    return rows


def open_workloads(session: Reader, agent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
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


def calendars_by_id(
    session: Reader, calendar_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, Row[Any]]:
    """The calendars named by these ids (rows of ``business_calendars``), in one query."""
    ids = {c for c in calendar_ids if c is not None}
    if not ids:
        return {}
    found = session.execute(select(calendars).where(calendars.c.id.in_(ids)))
    return {c.id: c for c in found}


def known_tenants(session: Reader) -> list[str | None]:
    """Every tenant that has at least one agent (None: the single-tenant desk)."""
    found = set(session.scalars(select(Agent.tenant_id).distinct()))
    return sorted(found, key=lambda t: (t is not None, t or ""))


def latest_event_at(session: Session, agent_id: uuid.UUID) -> datetime | None:
    return session.scalar(
        select(func.max(AvailabilityEvent.at)).where(AvailabilityEvent.agent_id == agent_id)
    )


def record_events(session: Session, changes: Sequence[Change]) -> None:
    """Append one history row per change (one batched INSERT)."""
    if not changes:
        return
    session.execute(
        insert(AvailabilityEvent),
        [
            {
                "id": uuid.uuid4(),
                "agent_id": agent_id,
                "tenant_id": tenant_id,
                "status": status,
                "status_message": message,
                "at": at,
            }
            for agent_id, tenant_id, status, message, at in changes
        ],
    )


def set_status(
    session: Session,
    agent_id: uuid.UUID,
    tenant_id: str | None,
    status: str,
    message: str | None,
    at: datetime,
) -> None:
    """The agent's current status, and its history row, in the caller's transaction."""
    session.execute(
        update(AgentAvailability)
        .where(AgentAvailability.user_id == agent_id)
        .values(status=status, status_message=message, updated_at=utcnow())
    )
    record_events(session, [(agent_id, tenant_id, status, message, at)])


HISTORY_COLUMNS = (
    "agent_email",
    "status",
    "status_message",
    "started_at",
    "ended_at",
    "minutes",
    "tenant_id",
)


def history_rows(
    session: Session,
    tenant: str | None,
    since: datetime | None,
    until: datetime,
    now: datetime,
    *,
    agent_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Each status period overlapping ``[since, until)``: its start, its end (the next
    change; none for the current one) and its minutes (to ``now`` for the current one)."""
    periods = select(
        AvailabilityEvent.agent_id,
        AvailabilityEvent.tenant_id,
        AvailabilityEvent.status,
        AvailabilityEvent.status_message,
        AvailabilityEvent.at.label("started_at"),
        func.lead(AvailabilityEvent.at)
        .over(
            partition_by=AvailabilityEvent.agent_id,
            order_by=(AvailabilityEvent.at, AvailabilityEvent.id),
        )
        .label("ended_at"),
    ).where(tenant_filter(AvailabilityEvent.tenant_id, tenant))
    if agent_id is not None:
        periods = periods.where(AvailabilityEvent.agent_id == agent_id)
    p = periods.subquery("periods")
    overlaps = [p.c.started_at < moment(until)]
    if since is not None:
        overlaps.append(func.coalesce(p.c.ended_at, moment(now)) > moment(since))
    query = (
        select(
            Agent.email,
            p.c.status,
            p.c.status_message,
            p.c.started_at,
            p.c.ended_at,
            minutes_between(func.coalesce(p.c.ended_at, moment(now)), p.c.started_at),
            p.c.tenant_id,
        )
        .join(Agent, Agent.id == p.c.agent_id)
        .where(and_(*overlaps))
        .order_by(Agent.tenant_id.asc().nulls_first(), func.lower(Agent.email), p.c.started_at)
    )
    decode = UTCDateTime().process_result_value
    dialect = session.get_bind().dialect
    rows = []
    for r in session.execute(query):
        row = dict(zip(HISTORY_COLUMNS, r, strict=True))
        # SQLite gives a subquery's timestamps back as text.
        row["started_at"] = decode(row["started_at"], dialect)
        row["ended_at"] = decode(row["ended_at"], dialect)
        row["minutes"] = round(float(row["minutes"]), 2)
        rows.append(row)
    return rows
