"""SQL for `agentctl assign`, the writes of a batch: one UPDATE of tickets, one INSERT into
assignment_log and one UPDATE of agent_availability, whatever the batch size (``unnest``
arrays on PostgreSQL, executemany on SQLite), in the caller's transaction.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Connection, Dialect

from agentctl import tables
from agentctl.repository.common import core_connection

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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
    connection = core_connection(session)
    if connection.dialect.name == "postgresql":
        _write_unnest(connection, writes, latest)
    else:
        _write_executemany(connection, writes, latest)


# SQLite: three fixed statements, each one executemany of plain tuples. The values go
# through the columns' own bind processors (a UUID as the text SQLAlchemy's Uuid stores,
# a time as UTCDateTime's naive UTC text), so the rows are what the ORM would write,
# without building, and processing, a dict of bind parameters per row.
_tickets = tables.tickets
_log = tables.assignment_log
_SQLITE_ASSIGN_TICKETS = "UPDATE tickets SET assigned_to_user_id = ?, updated_at = ? WHERE id = ?"
_SQLITE_LOG = (
    "INSERT INTO assignment_log (id, ticket_id, agent_id, previous_agent_id, strategy, "
    "reason, assigned_at, tenant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_TOUCH_AGENTS = (
    "UPDATE agent_availability SET last_activity_at = ?, updated_at = ? WHERE user_id = ?"
)

_Processor = Callable[[Any], Any]


def _unchanged(value: Any) -> Any:
    return value


@functools.cache
def _processors(dialect: Dialect) -> tuple[_Processor, _Processor]:
    """The bind processors of a uuid column and of a UTCDateTime column."""

    def of(column: Column[Any]) -> _Processor:
        return column.type.bind_processor(dialect) or _unchanged

    return of(_tickets.c.id), of(_log.c.assigned_at)


def _write_executemany(
    connection: Connection, writes: Sequence[AssignmentWrite], latest: dict[uuid.UUID, datetime]
) -> None:
    uid, at = _processors(connection.dialect)
    rows = [(uid(w.ticket_id), uid(w.agent_id), at(w.assigned_at), w) for w in writes]
    connection.exec_driver_sql(
        _SQLITE_ASSIGN_TICKETS, [(agent, when, ticket) for ticket, agent, when, _ in rows]
    )
    connection.exec_driver_sql(
        _SQLITE_LOG,
        [
            (
                uid(uuid.uuid4()),
                ticket,
                agent,
                uid(w.previous_agent_id),
                w.strategy,
                w.reason,
                when,
                w.tenant_id,
            )
            for ticket, agent, when, w in rows
        ],
    )
    touched = [(at(moment), uid(agent)) for agent, moment in latest.items()]
    connection.exec_driver_sql(
        _SQLITE_TOUCH_AGENTS, [(when, when, agent) for when, agent in touched]
    )


# PostgreSQL: each statement takes whole columns as arrays, so a batch of thousands is
# three statements with a few parameters each, not thousands of parameter sets. ``%b``
# asks psycopg for binary parameters: a uuid array goes as 16 bytes an element, with no
# text formatting on the way out nor parsing on the server. Sent with exec_driver_sql,
# so the statements still pass SQLAlchemy's events (the bench counts them).
_PG_ASSIGN_TICKETS = (
    "UPDATE tickets AS t SET assigned_to_user_id = u.agent, updated_at = u.at "
    "FROM unnest(%b::uuid[], %b::uuid[], %b::timestamptz[]) AS u(ticket, agent, at) "
    "WHERE t.id = u.ticket"
)
_PG_LOG = (
    "INSERT INTO assignment_log (id, ticket_id, agent_id, previous_agent_id, strategy, "
    "reason, assigned_at, tenant_id) SELECT gen_random_uuid(), * FROM unnest(%b::uuid[], "
    "%b::uuid[], %b::uuid[], %b::text[], %b::text[], %b::timestamptz[], %b::text[])"
)
_PG_TOUCH_AGENTS = (
    "UPDATE agent_availability AS a SET last_activity_at = u.at, updated_at = u.at "
    "FROM unnest(%b::uuid[], %b::timestamptz[]) AS u(agent, at) WHERE a.user_id = u.agent"
)


def _write_unnest(
    connection: Connection, writes: Sequence[AssignmentWrite], latest: dict[uuid.UUID, datetime]
) -> None:
    tickets = [w.ticket_id for w in writes]
    agents = [w.agent_id for w in writes]
    ats = [w.assigned_at for w in writes]
    connection.exec_driver_sql(_PG_ASSIGN_TICKETS, (tickets, agents, ats))
    log = (
        tickets,
        agents,
        [w.previous_agent_id for w in writes],
        [w.strategy for w in writes],
        [w.reason for w in writes],
        ats,
        [w.tenant_id for w in writes],
    )
    connection.exec_driver_sql(_PG_LOG, log)
    connection.exec_driver_sql(_PG_TOUCH_AGENTS, (list(latest), list(latest.values())))
