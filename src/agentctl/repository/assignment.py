"""SQL for `agentctl assign`: the tenant lock, the agent pool, ticket claims, bulk writes.

Every batch runs a fixed set of statements whatever the backlog or team size:
lock-and-load agents, workloads, skills, claim tickets, then one UPDATE of tickets, one
INSERT into assignment_log and one UPDATE of agent_availability (each an executemany).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from agentctl.errors import NotFoundError, UsageError
from agentctl.models import (
    OPEN_STATUSES,
    Agent,
    AgentAvailability,
    AgentSkill,
    AssignmentLog,
    Ticket,
    UTCDateTime,
)
from agentctl.repository.agents import open_workloads
from agentctl.repository.common import same_tenant, tenant_filter

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


# --- which tickets ----------------------------------------------------------------------


def _work_filter(
    tenant: str | None, assignee: uuid.UUID | None, category: str | None
) -> list[ColumnElement[bool]]:
    """The backlog (``assignee`` None: unassigned) or one agent's open work."""
    conditions = [same_tenant(Ticket.tenant_id, tenant), Ticket.status.in_(OPEN_STATUSES)]
    if assignee is None:
        conditions.append(Ticket.assigned_to_user_id.is_(None))
    else:
        conditions.append(Ticket.assigned_to_user_id == assignee)
    if category is not None:
        conditions.append(Ticket.category == category)
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
        query = query.where(Ticket.category == category)
    found = list(session.scalars(query))
    return sorted(found, key=lambda t: (t is not None, t or ""))


def count_work(
    session: Session, tenant: str | None, assignee: uuid.UUID | None, category: str | None
) -> int:
    query = select(func.count()).select_from(Ticket)
    return int(session.scalar(query.where(*_work_filter(tenant, assignee, category))) or 0)


def claim_work(
    session: Session,
    tenant: str | None,
    *,
    assignee: uuid.UUID | None,
    category: str | None,
    after: BacklogKey | None,
    limit: int,
    lock: bool,
) -> list[TicketRow]:
    """The next ``limit`` tickets in backlog order after ``after``, locked for this batch.

    ``FOR UPDATE SKIP LOCKED``: a ticket another transaction holds is left for later
    instead of making this batch wait. The keyset cursor ``after`` lets a run move past
    tickets it could not assign without claiming them again.
    """
    query = select(*_TICKET_COLUMNS).where(*_work_filter(tenant, assignee, category))
    if after is not None:
        query = query.where(tuple_(*_backlog_order()) > tuple_(*_cursor_literals(after)))
    query = query.order_by(*_backlog_order()).limit(limit)
    if lock:
        query = query.with_for_update(skip_locked=True, of=Ticket)
    return [TicketRow(*row) for row in session.execute(query)]


def _cursor_literals(after: BacklogKey) -> tuple[ColumnElement[Any], ...]:
    rank, due, created, ticket_id = after
    return (
        literal(rank),
        literal(due, UTCDateTime()),
        literal(created, UTCDateTime()),
        literal(ticket_id, Ticket.id.type),
    )


def find_tickets(
    session: Session, numbers: Sequence[str], tenant: str | None, *, lock: bool
) -> list[TicketRow]:
    """The named tickets, in the order named. Unknown or ambiguous: exit 2, nothing done."""
    found: dict[str, list[TicketRow]] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        query = select(*_TICKET_COLUMNS).where(
            tenant_filter(Ticket.tenant_id, tenant), Ticket.ticket_number.in_(chunk)
        )
        # Named tickets are waited for, not skipped: the user asked for these ones.
        if lock:
            query = query.order_by(Ticket.id).with_for_update(of=Ticket)
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
    return [found[n][0] for n in numbers]


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
    # An agent's last activity is their latest assignment in the batch.
    latest: dict[uuid.UUID, datetime] = {}
    for w in writes:
        if w.agent_id not in latest or w.assigned_at > latest[w.agent_id]:
            latest[w.agent_id] = w.assigned_at
    session.execute(_TOUCH_AGENT, [{"w_agent": a, "w_at": t} for a, t in latest.items()])
