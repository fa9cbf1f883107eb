"""How `assign` cuts the work into batches: a batch is about its size in assignments,
however many tickets in between nobody can take."""

from __future__ import annotations

from datetime import timedelta

from agentctl.database import Database
from agentctl.services.assignment import AssignRequest, Outcome, assign
from factories import T0, make_agent, make_ticket


def test_a_window_of_tickets_nobody_can_take_widens_the_claim(db: Database) -> None:
    """40 billing tickets (nobody has billing) ahead of 10 network ones, batches of 5: the
    claim widens past the billing tickets, so the run takes 2 batches of 5 assignments
    (at most one more for a claim that ends short), not one batch per 5 tickets (10)."""
    with db.session(write=True) as s:
        make_agent(s, "ann@d.com", skills={"network": 1})
        for i in range(50):
            make_ticket(
                s,
                ticket_number=f"B-{i:02d}",
                category="billing" if i < 40 else "network",
                created_at=T0 + timedelta(minutes=i),
            )
    batches: list[tuple[int, int]] = []
    result = assign(
        db,
        AssignRequest(backlog=True, batch_size=5),
        progress=lambda done, total: batches.append((done, total)),
    )
    assert len(batches) <= 3
    assert batches[-1] == (50, 50)
    # Every ticket decided once, in backlog order, as one at a time would.
    assert [(r.ticket_number, r.outcome) for r in result.rows] == [
        (f"B-{i:02d}", Outcome.unassigned if i < 40 else Outcome.assigned) for i in range(50)
    ]
    assert {r.reason for r in result.rows[:40]} == {"no available agent with billing >= 1"}
    assert result.committed == 10


def test_a_full_batch_leaves_the_rest_of_its_window_to_the_next(db: Database) -> None:
    """Tickets nobody can take, then more assignable tickets than a batch holds: after the
    claim widened, a batch stops at its size; the tickets past it, claimed but not
    decided, are decided by the next batch, once."""
    with db.session(write=True) as s:
        make_agent(s, "ann@d.com", skills={"network": 1})
        for i in range(30):
            make_ticket(
                s,
                ticket_number=f"C-{i:02d}",
                category="billing" if i < 6 else "network",
                created_at=T0 + timedelta(minutes=i),
            )
    done: list[int] = []
    result = assign(
        db, AssignRequest(backlog=True, batch_size=4), progress=lambda n, _: done.append(n)
    )
    assert [r.ticket_number for r in result.rows] == [f"C-{i:02d}" for i in range(30)]
    assert [r.outcome for r in result.rows].count(Outcome.assigned) == 24
    assert result.committed == 24
    # 24 assignments in batches of 4: 6 batches; the first also decides the 6 billing ones.
    assert len(done) == 6
    assert done[-1] == 30
