"""The writes of an assign batch (repository.assignment_writes): what they store, on both
engines, is what the ORM stores for the same values."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from agentctl.database import Database
from agentctl.models import AgentAvailability, AssignmentLog, Ticket
from agentctl.repository.assignment_writes import AssignmentWrite, write_assignments
from factories import T0, make_agent, make_ticket


def raw(db: Database, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows as the driver gives them, without the models' result processing: on SQLite the
    stored text itself."""
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


def test_a_batch_writes_tickets_log_and_last_activity(db: Database) -> None:
    with db.session(write=True) as s:
        ann = make_agent(s, "ann@d.com").id
        bob = make_agent(s, "bob@d.com").id
        first = make_ticket(s, ticket_number="T-1").id
        second = make_ticket(s, ticket_number="T-2").id
        third = make_ticket(s, ticket_number="T-3").id
    at = [T0 + timedelta(seconds=n, microseconds=n) for n in (1, 2, 3)]
    writes = [
        AssignmentWrite(first, None, ann, None, "balanced", "least workload (0 open)", at[0]),
        AssignmentWrite(second, None, bob, ann, "balanced", "moved", at[1]),
        AssignmentWrite(third, None, ann, None, "skill", "highest", at[2]),
    ]
    with db.session(write=True) as s:
        write_assignments(s, writes)
    with db.session() as s:
        tickets = {t.id: (t.assigned_to_user_id, t.updated_at) for t in s.scalars(select(Ticket))}
        assert tickets == {first: (ann, at[0]), second: (bob, at[1]), third: (ann, at[2])}
        log = s.execute(
            select(
                AssignmentLog.ticket_id,
                AssignmentLog.agent_id,
                AssignmentLog.previous_agent_id,
                AssignmentLog.strategy,
                AssignmentLog.reason,
                AssignmentLog.assigned_at,
                AssignmentLog.tenant_id,
            ).order_by(AssignmentLog.assigned_at)
        ).all()
        assert [tuple(row) for row in log] == [
            (first, ann, None, "balanced", "least workload (0 open)", at[0], None),
            (second, bob, ann, "balanced", "moved", at[1], None),
            (third, ann, None, "skill", "highest", at[2], None),
        ]
        ids = list(s.scalars(select(AssignmentLog.id)))
        assert len(set(ids)) == 3 and all(isinstance(i, uuid.UUID) for i in ids)
        activity = {
            user: last
            for user, last in s.execute(
                select(AgentAvailability.user_id, AgentAvailability.last_activity_at)
            )
        }
        assert activity == {ann: at[2], bob: at[1]}  # each agent's latest in the batch
        # Stored as the ORM binds them: a comparison in SQL finds the rows.
        assert set(s.scalars(select(Ticket.id).where(Ticket.assigned_to_user_id == ann))) == {
            first,
            third,
        }
        assert s.scalar(select(Ticket.id).where(Ticket.updated_at == at[1])) == second


def test_stored_values_are_the_same_as_the_orm_stores(db: Database) -> None:
    """The same agent and time, once set through the ORM, once by write_assignments: the
    raw stored values (SQLite's text) are identical, so every query and sort treats them
    alike."""
    when = T0 + timedelta(hours=1, microseconds=120)
    with db.session(write=True) as s:
        agent = make_agent(s, "ann@d.com")
        by_orm = make_ticket(s, ticket_number="ORM")
        by_batch = make_ticket(s, ticket_number="BATCH").id
        by_orm.assigned_to_user_id = agent.id
        by_orm.updated_at = when
        s.add(
            AssignmentLog(
                ticket_id=by_orm.id,
                agent_id=agent.id,
                previous_agent_id=agent.id,
                strategy="manual",
                reason="by the ORM",
                assigned_at=when,
            )
        )
        agent_id = agent.id
    with db.session(write=True) as s:
        write_assignments(
            s, [AssignmentWrite(by_batch, None, agent_id, agent_id, "manual", "batch", when)]
        )
    tickets = raw(
        db,
        "SELECT ticket_number, assigned_to_user_id, updated_at FROM tickets ORDER BY ticket_number",
    )
    assert [row[0] for row in tickets] == ["BATCH", "ORM"]
    assert tickets[0][1:] == tickets[1][1:]
    logs = raw(
        db,
        "SELECT reason, agent_id, previous_agent_id, assigned_at FROM assignment_log "
        "ORDER BY reason",
    )
    assert [row[0] for row in logs] == ["batch", "by the ORM"]
    assert logs[0][1:] == logs[1][1:]
