"""SQL for `agentctl assign`: the tenant lock, the agent pool, ticket claims, bulk writes.

Every batch runs a fixed set of statements whatever the backlog or team size:
lock-and-load agents (workloads and skills only when another process changed them), claim
tickets, then one UPDATE of tickets, one INSERT into assignment_log and one UPDATE of
agent_availability (``unnest`` arrays on PostgreSQL, executemany on SQLite).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    text,
    update,
)

from agentctl.columns import (  # Core tables: `assign --dry-run` reads without the ORM
    Agent,
    AgentAvailability,
    AgentSkill,
    AgentTimeOff,
    AssignmentLog,
    BusinessCalendar,
    Ticket,
)
from agentctl.dbtypes import OPEN_STATUSES, UTCDateTime
from agentctl.errors import NotFoundError, UsageError
from agentctl.repository.availability import open_workloads
from agentctl.repository.common import same_tenant, tenant_filter

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_CHUNK = 500  # ids per IN list

# A ticket with no SLA due date sorts after every real one.
NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}

# (priority rank, SLA due date or NO_DUE_DATE, created_at, id): the backlog order.
BacklogKey = tuple[int, datetime, datetime, uuid.UUID]


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


@dataclass(frozen=True)
class TicketRow:
    id: uuid.UUID
    tenant_id: str | None
    ticket_number: str
    status: str
    priority: str
    category: str | None
    required_skill_level: int
    escalation_level: int
    assigned_to_user_id: uuid.UUID | None
    sla_due_date: datetime | None
    created_at: datetime

    @property
    def backlog_key(self) -> BacklogKey:
        return (
            PRIORITY_RANK.get(self.priority, len(PRIORITY_RANK)),
            self.sla_due_date or NO_DUE_DATE,
            self.created_at,
            self.id,
        )


@dataclass(frozen=True)
class AssignmentWrite:
    """One assignment to persist: the ticket update, its log row, the agent's activity."""

    ticket_id: uuid.UUID
    tenant_id: str | None
    agent_id: uuid.UUID
    previous_agent_id: uuid.UUID | None
    strategy: str
    reason: str
    assigned_at: datetime


_TICKET_COLUMNS = (
    Ticket.id,
    Ticket.tenant_id,
    Ticket.ticket_number,
    Ticket.status,
    Ticket.priority,
    Ticket.category,
    Ticket.required_skill_level,
    Ticket.escalation_level,
    Ticket.assigned_to_user_id,
    Ticket.sla_due_date,
    Ticket.created_at,
)


def _priority_rank() -> ColumnElement[int]:
    return case(PRIORITY_RANK, value=Ticket.priority, else_=len(PRIORITY_RANK))


def _due_or_last() -> ColumnElement[datetime]:
    return func.coalesce(Ticket.sla_due_date, literal(NO_DUE_DATE, UTCDateTime()))


def _backlog_order() -> tuple[Any, ...]:
    return (_priority_rank(), _due_or_last(), Ticket.created_at, Ticket.id)


# --- the tenant lock and the agent pool -------------------------------------------------


def lock_and_load_agents(session: Session, tenant: str | None, *, lock: bool) -> list[AgentRow]:
    """Every agent of ``tenant`` with availability, ordered by id.

    With ``lock``, their agent_availability rows are locked ``FOR UPDATE`` in id order:
    every `assign` on this tenant takes the same locks in the same order, so decisions for
    a tenant are serialized without deadlocks and on any PostgreSQL-compatible engine.
    SQLite ignores FOR UPDATE; its writers are already serialized by ``BEGIN IMMEDIATE``.
    """
    query = (
        select(
            Agent.id,
            Agent.email,
            Agent.tenant_id,
            Agent.max_open_tickets,
            Agent.is_active,
            AgentAvailability.status,
            AgentAvailability.last_activity_at,
        )
        .join(AgentAvailability, AgentAvailability.user_id == Agent.id)
        .where(same_tenant(Agent.tenant_id, tenant))
        .order_by(Agent.id)
    )
    if lock:
        query = query.with_for_update(of=AgentAvailability)
    return [AgentRow(*row) for row in session.execute(query)]


def workloads(session: Session, agent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    return open_workloads(session, agent_ids)


def skills_of(session: Session, agent_ids: Sequence[uuid.UUID]) -> list[SkillRow]:
    if not agent_ids:
        return []
    rows = session.execute(
        select(
            AgentSkill.user_id,
            AgentSkill.skill_category,
            AgentSkill.skill_level,
            AgentSkill.can_handle_escalations,
        ).where(AgentSkill.user_id.in_(agent_ids))
    )
    return [SkillRow(*row) for row in rows]


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
        select(
            Agent.id,
            Agent.email,
            Agent.tenant_id,
            Agent.max_open_tickets,
            Agent.is_active,
            AgentAvailability.status,
            AgentAvailability.last_activity_at,
        )
        .join(AgentAvailability, AgentAvailability.user_id == Agent.id)
        .join(holding, holding.c.assigned_to_user_id == Agent.id)
        .where(tenant_filter(Agent.tenant_id, tenant))
    )
    found = [AgentRow(*row) for row in session.execute(query)]
    return sorted(found, key=lambda a: (a.tenant_id is not None, a.tenant_id or "", a.id))


# --- which tickets ----------------------------------------------------------------------


def _work_filter(
    tenant: str | None, assignees: Sequence[uuid.UUID], category: str | None
) -> list[ColumnElement[bool]]:
    """The backlog (no ``assignees``: unassigned) or the open work of these agents."""
    conditions = [same_tenant(Ticket.tenant_id, tenant), Ticket.status.in_(OPEN_STATUSES)]
    if not assignees:
        conditions.append(Ticket.assigned_to_user_id.is_(None))
    else:
        conditions.append(Ticket.assigned_to_user_id.in_(assignees))
    if category is not None:
        # Categories are stored in lower case; --category matches case-insensitively.
        conditions.append(Ticket.category == category.lower())
    return conditions


def backlog_tenants(session: Session, tenant: str | None, category: str | None) -> list[str | None]:
    """The tenants that have unassigned open tickets (``None``, a single desk, first)."""
    query = (
        select(Ticket.tenant_id)
        .distinct()
        .where(
            tenant_filter(Ticket.tenant_id, tenant),
            Ticket.assigned_to_user_id.is_(None),
            Ticket.status.in_(OPEN_STATUSES),
        )
    )
    if category is not None:
        query = query.where(Ticket.category == category.lower())
    found = list(session.scalars(query))
    return sorted(found, key=lambda t: (t is not None, t or ""))


def work_order(
    session: Session,
    tenant: str | None,
    *,
    assignees: Sequence[uuid.UUID],
    category: str | None,
    limit: int | None,
) -> list[uuid.UUID]:
    """The ids of the work, in backlog order: read once per run and tenant.

    One sort of the backlog per run, instead of one per batch; each batch then claims its
    slice by primary key (:func:`claim_tickets`).
    """
    query = (
        select(Ticket.id)
        .where(*_work_filter(tenant, assignees, category))
        .order_by(*_backlog_order())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def claim_tickets(
    session: Session,
    ids: Sequence[uuid.UUID],
    *,
    assignees: Sequence[uuid.UUID],
    lock: bool,
) -> list[TicketRow]:
    """Those of ``ids`` that are still work (unassigned, or still held by ``assignees``),
    locked for this batch, in the order of ``ids``.

    ``FOR UPDATE SKIP LOCKED``: a ticket another transaction holds is left to it instead
    of making this batch wait; one that another run assigned meanwhile no longer matches.
    """
    if not ids:
        return []
    query = select(*_TICKET_COLUMNS).where(Ticket.id.in_(ids), Ticket.status.in_(OPEN_STATUSES))
    if assignees:
        query = query.where(Ticket.assigned_to_user_id.in_(assignees))
    else:
        query = query.where(Ticket.assigned_to_user_id.is_(None))
    if lock:
        query = query.with_for_update(skip_locked=True, of=Ticket)
    found = {row.id: TicketRow(*row) for row in session.execute(query)}
    return [found[i] for i in ids if i in found]


def find_tickets(
    session: Session, numbers: Sequence[str], tenant: str | None, *, lock: bool
) -> list[TicketRow]:
    """The named tickets, in the order named. Unknown or ambiguous: exit 2, nothing done.

    With ``lock``, the rows are locked in one global order (by id, across all chunks), so
    two runs naming the same tickets in any order wait for each other instead of
    deadlocking.
    """
    found: dict[str, list[TicketRow]] = {}
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        query = select(*_TICKET_COLUMNS).where(
            tenant_filter(Ticket.tenant_id, tenant), Ticket.ticket_number.in_(chunk)
        )
        for row in session.execute(query):
            ticket = TicketRow(*row)
            found.setdefault(ticket.ticket_number, []).append(ticket)
    missing = [n for n in numbers if n not in found]
    where = f" in tenant {tenant!r}" if tenant is not None else ""
    if missing:
        listed = ", ".join(missing)
        raise NotFoundError(
            f"unknown ticket{'s' if len(missing) > 1 else ''} {listed}{where}; "
            "see `agentctl tickets list`"
        )
    ambiguous = [n for n in numbers if len(found[n]) > 1]
    if ambiguous:
        raise UsageError(f"ticket {ambiguous[0]} exists in several tenants; name one with --tenant")
    if not lock:
        return [found[n][0] for n in numbers]
    # Named tickets are waited for, not skipped: the user asked for these ones. Re-read
    # them under the lock: another run may have assigned them while we waited.
    ids = sorted(found[n][0].id for n in numbers)
    locked: dict[uuid.UUID, TicketRow] = {}
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(*_TICKET_COLUMNS)
            .where(Ticket.id.in_(ids[start : start + _CHUNK]))
            .order_by(Ticket.id)
            .with_for_update(of=Ticket)
        )
        locked.update((row.id, TicketRow(*row)) for row in session.execute(query))
    return [locked[found[n][0].id] for n in numbers]


def is_deadlock(exc: BaseException) -> bool:
    """Whether ``exc`` (or its cause) is PostgreSQL's deadlock victim error (40P01)."""
    while exc is not None:
        orig = getattr(exc, "orig", None)
        if getattr(orig, "sqlstate", None) == "40P01":
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


def agent_emails(session: Session, agent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not agent_ids:
        return {}
    rows = session.execute(select(Agent.id, Agent.email).where(Agent.id.in_(agent_ids)))
    return {agent_id: email for agent_id, email in rows}


# --- writes -----------------------------------------------------------------------------


# Fixed statements, compiled once and run with executemany: a batch costs three round
# trips (psycopg pipelines executemany; SQLAlchemy sends the INSERT as multi-row VALUES).
# Core tables, not ORM entities: a plain executemany, without ORM bulk bookkeeping.
_tickets = cast(Table, Ticket.__table__)
_availability = cast(Table, AgentAvailability.__table__)
_log = cast(Table, AssignmentLog.__table__)
_ASSIGN_TICKET = (
    update(_tickets)
    .where(_tickets.c.id == bindparam("w_ticket", type_=Ticket.id.type))
    .values(
        assigned_to_user_id=bindparam("w_agent", type_=Ticket.id.type),
        updated_at=bindparam("w_at", type_=UTCDateTime()),
    )
)
_TOUCH_AGENT = (
    update(_availability)
    .where(_availability.c.user_id == bindparam("w_agent", type_=Ticket.id.type))
    .values(
        last_activity_at=bindparam("w_at", type_=UTCDateTime()),
        updated_at=bindparam("w_at", type_=UTCDateTime()),
    )
)


def write_assignments(session: Session, writes: Sequence[AssignmentWrite]) -> None:
    """Persist a batch: tickets, assignment_log and agents' last activity, one statement
    each, in the caller's transaction."""
    if not writes:
        return
    # An agent's last activity is their latest assignment in the batch.
    latest: dict[uuid.UUID, datetime] = {}
    for w in writes:
        if w.agent_id not in latest or w.assigned_at > latest[w.agent_id]:
            latest[w.agent_id] = w.assigned_at
    if session.get_bind().dialect.name == "postgresql":
        _write_unnest(session, writes, latest)
        return
    session.execute(
        _ASSIGN_TICKET,
        [{"w_ticket": w.ticket_id, "w_agent": w.agent_id, "w_at": w.assigned_at} for w in writes],
    )
    session.execute(
        insert(_log),
        [
            {
                "id": uuid.uuid4(),
                "ticket_id": w.ticket_id,
                "agent_id": w.agent_id,
                "previous_agent_id": w.previous_agent_id,
                "strategy": w.strategy,
                "reason": w.reason,
                "assigned_at": w.assigned_at,
                "tenant_id": w.tenant_id,
            }
            for w in writes
        ],
    )
    session.execute(_TOUCH_AGENT, [{"w_agent": a, "w_at": t} for a, t in latest.items()])


# PostgreSQL: each statement takes whole columns as arrays, so a batch of thousands is
# three statements with three parameters each, not thousands of parameter sets.
_PG_ASSIGN_TICKETS = text(
    "UPDATE tickets AS t SET assigned_to_user_id = u.agent, updated_at = u.at "
    "FROM unnest(CAST(:tickets AS uuid[]), CAST(:agents AS uuid[]), "
    "CAST(:ats AS timestamptz[])) AS u(ticket, agent, at) WHERE t.id = u.ticket"
)
_PG_LOG = text(
    "INSERT INTO assignment_log (id, ticket_id, agent_id, previous_agent_id, strategy, "
    "reason, assigned_at, tenant_id) SELECT * FROM unnest(CAST(:ids AS uuid[]), "
    "CAST(:tickets AS uuid[]), CAST(:agents AS uuid[]), CAST(:previous AS uuid[]), "
    "CAST(:strategies AS text[]), CAST(:reasons AS text[]), CAST(:ats AS timestamptz[]), "
    "CAST(:tenants AS text[]))"
)
_PG_TOUCH_AGENTS = text(
    "UPDATE agent_availability AS a SET last_activity_at = u.at, updated_at = u.at "
    "FROM unnest(CAST(:agents AS uuid[]), CAST(:ats AS timestamptz[])) AS u(agent, at) "
    "WHERE a.user_id = u.agent"
)


def _write_unnest(
    session: Session, writes: Sequence[AssignmentWrite], latest: dict[uuid.UUID, datetime]
) -> None:
    tickets = [w.ticket_id for w in writes]
    agents = [w.agent_id for w in writes]
    ats = [w.assigned_at for w in writes]
    session.execute(_PG_ASSIGN_TICKETS, {"tickets": tickets, "agents": agents, "ats": ats})
    session.execute(
        _PG_LOG,
        {
            "ids": [uuid.uuid4() for _ in writes],
            "tickets": tickets,
            "agents": agents,
            "previous": [w.previous_agent_id for w in writes],
            "strategies": [w.strategy for w in writes],
            "reasons": [w.reason for w in writes],
            "ats": ats,
            "tenants": [w.tenant_id for w in writes],
        },
    )
    session.execute(_PG_TOUCH_AGENTS, {"agents": list(latest), "ats": [latest[a] for a in latest]})
