"""SQL for `agentctl assign`, the tickets: the backlog order, the claim of a batch, named
tickets.

The backlog is sorted once per run and tenant (:func:`work_order`); each batch then claims
its slice by primary key (:func:`claim_tickets`), locked ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Uuid, any_, bindparam, case, func, literal, select

from agentctl.columns import Ticket  # Core: `assign --dry-run` reads without the ORM
from agentctl.dbtypes import OPEN_STATUSES, UTCDateTime
from agentctl.errors import NotFoundError, UsageError
from agentctl.repository.common import core_connection, same_tenant, tenant_filter

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_CHUNK = 500  # ids per IN list

# A ticket with no SLA due date sorts after every real one.
NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


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
)  # what a decision needs; the order (SLA due date, age) is work_order's business


def _priority_rank() -> ColumnElement[int]:
    return case(PRIORITY_RANK, value=Ticket.priority, else_=len(PRIORITY_RANK))


def _due_or_last() -> ColumnElement[datetime]:
    return func.coalesce(Ticket.sla_due_date, literal(NO_DUE_DATE, UTCDateTime()))


def _backlog_order() -> tuple[Any, ...]:
    return (_priority_rank(), _due_or_last(), Ticket.created_at, Ticket.id)


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


def among(column: Any, ids: Sequence[uuid.UUID], dialect: str) -> ColumnElement[bool]:
    """``column`` is one of ``ids``: ``= ANY(:ids)`` on PostgreSQL, one array parameter
    however many ids (an IN list of 10,000 binds costs more to build and send than the
    query costs to run); an IN list on SQLite, which has no arrays."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY  # only where PostgreSQL runs

        return column == any_(bindparam("among_ids", list(ids), type_=ARRAY(Uuid())))
    return column.in_(ids)


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
    connection = core_connection(session)
    query = select(*_TICKET_COLUMNS).where(
        among(Ticket.id, ids, connection.dialect.name), Ticket.status.in_(OPEN_STATUSES)
    )
    if assignees:
        query = query.where(Ticket.assigned_to_user_id.in_(assignees))
    else:
        query = query.where(Ticket.assigned_to_user_id.is_(None))
    if lock:
        query = query.with_for_update(skip_locked=True, of=Ticket)
    # Core rows, not ORM ones: the claim is the one read that grows with the batch.
    found = {row[0]: TicketRow(*row) for row in connection.execute(query).all()}
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
