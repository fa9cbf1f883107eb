"""SQL for `agentctl assign`, the writes of a batch: one UPDATE of tickets, one INSERT into
assignment_log and one UPDATE of agent_availability, whatever the batch size (``unnest``
arrays on PostgreSQL, executemany on SQLite), in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, update
from sqlalchemy.orm import Session

from agentctl.models import AgentAvailability, AssignmentLog, Ticket, UTCDateTime


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
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _write_unnest(connection, writes, latest)
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
