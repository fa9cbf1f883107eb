"""Many `agentctl assign --backlog` processes at once: no ticket twice, none lost, no cap
exceeded, and the load as balanced as one sequential run would leave it."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from agentctl.database import Database
from agentctl.models import (
    PRIORITIES,
    Agent,
    AgentAvailability,
    AgentSkill,
    AgentTimeOff,
    AssignmentLog,
    BusinessCalendar,
    Ticket,
)
from factories import T0

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def seed(
    db: Database, *, capped: int, uncapped: int, cap: int, tickets: int, shifts: bool = False
) -> None:
    """Agents of equal eligibility (ids 1..n, the first ``capped`` with a cap) and an
    unassigned backlog, bulk inserted.

    With ``shifts``: the n agents work a shift that covers every hour, and three more
    (ids n+1..n+3), as skilled, are off shift (two) or on time off (one): they must get
    nothing."""
    agents = [
        {
            "id": uuid.UUID(int=n),
            "email": f"agent{n}@d.com",
            "name": f"Agent {n}",
            "max_open_tickets": cap if n <= capped else None,
        }
        for n in range(1, capped + uncapped + 1)
    ]
    absent: list[dict[str, Any]] = []
    if shifts:
        first = capped + uncapped + 1
        absent = [
            {"id": uuid.UUID(int=n), "email": f"agent{n}@d.com", "name": f"Agent {n}"}
            for n in range(first, first + 3)
        ]
    with db.session(write=True) as s:
        if shifts:
            day = BusinessCalendar(
                name="always", timezone="UTC", hours={d: [["00:00", "24:00"]] for d in DAYS}
            )
            night = BusinessCalendar(name="never", timezone="UTC", hours={})
            s.add_all([day, night])
            s.flush()
            for agent in agents:
                agent["calendar_id"] = day.id
            absent[0]["calendar_id"] = absent[1]["calendar_id"] = night.id
            absent[2]["calendar_id"] = day.id
        s.execute(insert(Agent), agents + absent)
        agents = agents + absent
        if shifts:
            now = datetime.now(UTC)
            s.add(
                AgentTimeOff(
                    agent_id=absent[2]["id"],
                    starts_at=now - timedelta(days=1),
                    ends_at=now + timedelta(days=1),
                )
            )
        s.execute(
            insert(AgentAvailability),
            [{"user_id": a["id"], "status": "available"} for a in agents],
        )
        s.execute(
            insert(AgentSkill),
            [
                {
                    "user_id": a["id"],
                    "skill_category": "network",
                    "skill_level": 3,
                    "can_handle_escalations": True,
                }
                for a in agents
            ],
        )
        s.execute(
            insert(Ticket),
            [
                {
                    "ticket_number": f"C-{i:05d}",
                    "subject": "Slow line",
                    "priority": PRIORITIES[i % 4],
                    "category": "network" if i % 3 else None,
                    "required_skill_level": 1 + i % 3,
                    "escalation_level": i % 5 == 0,
                    "created_at": T0 + timedelta(seconds=i),
                    "sla_due_date": T0 + timedelta(hours=i % 7) if i % 2 else None,
                }
                for i in range(tickets)
            ],
        )


def run_parallel(
    db_url: str, processes: int, *extra: str, db: Database | None = None
) -> list[tuple[int, Any, str]]:
    """Start every process before waiting for any: (exit code, JSON rows, stderr).

    With ``db`` (PostgreSQL), the agents' rows are held locked until every process waits
    for them, so that all of them start together, however slowly each one starts up.
    """
    command = [sys.executable, "-m", "agentctl", "--db", db_url, "assign", "--backlog"]
    with contextlib.ExitStack() as stack:
        if db is not None:
            holder = stack.enter_context(db.engine.connect())
            holder.execute(select(AgentAvailability.id).with_for_update())
        procs = [
            subprocess.Popen(
                [*command, "--format", "json", *extra],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=dict(os.environ),
            )
            for _ in range(processes)
        ]
        if db is not None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                holder.execute(text("SELECT pg_stat_clear_snapshot()"))
                waiting = holder.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
                if waiting >= processes:
                    break
                time.sleep(0.05)
            holder.rollback()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append((proc.returncode, json.loads(out) if out else None, err))
    return results


def check_invariants(
    db: Database, results: list[tuple[int, Any, str]], tickets: int
) -> Counter[int]:
    for code, _, err in results:
        assert code == 0, err
        assert "locked" not in err
    assigned = [row["ticket_number"] for _, rows, _ in results for row in rows]
    # Every ticket was assigned by exactly one process.
    assert len(assigned) == tickets
    assert len(set(assigned)) == tickets
    with db.session() as s:
        assert s.scalar(select(func.count()).where(Ticket.assigned_to_user_id.is_(None))) == 0
        per_ticket = Counter(s.scalars(select(AssignmentLog.ticket_id)))
        assert len(per_ticket) == tickets
        assert set(per_ticket.values()) == {1}
        # Each log row names the agent the ticket now has.
        mismatched = s.scalar(
            select(func.count())
            .select_from(AssignmentLog)
            .join(Ticket, Ticket.id == AssignmentLog.ticket_id)
            .where(Ticket.assigned_to_user_id != AssignmentLog.agent_id)
        )
        assert mismatched == 0
        loads = Counter(
            {
                agent_id.int: n
                for agent_id, n in s.execute(
                    select(Ticket.assigned_to_user_id, func.count()).group_by(
                        Ticket.assigned_to_user_id
                    )
                )
            }
        )
    return loads


@pytest.mark.parametrize("backend", ["postgresql"])
def test_four_processes_on_postgresql_assign_each_ticket_once_balanced_and_capped(db, db_url):
    tickets = 3000
    seed(db, capped=10, uncapped=10, cap=100, tickets=tickets, shifts=True)
    results = run_parallel(db_url, 4, "--batch-size", "100", db=db)
    loads = check_invariants(db, results, tickets)
    # 3,000 tickets over 20 agents would be 150 each: the capped ten stop at exactly 100,
    # the other ten share the rest evenly, as a single sequential run would leave them.
    assert {n: loads[n] for n in range(1, 11)} == {n: 100 for n in range(1, 11)}
    uncapped = [loads[n] for n in range(11, 21)]
    assert max(uncapped) - min(uncapped) <= 1
    assert sum(uncapped) == 2000
    # Off shift or on time off, however available and skilled: nothing.
    assert [loads[n] for n in (21, 22, 23)] == [0, 0, 0]
    # More than one process did real work: the runs really overlapped.
    assert sum(1 for _, rows, _ in results if rows) >= 2


@pytest.mark.parametrize("backend", ["sqlite"])
def test_parallel_processes_on_sqlite_wait_instead_of_failing(db, db_url):
    tickets = 600
    seed(db, capped=2, uncapped=4, cap=50, tickets=tickets)
    results = run_parallel(db_url, 3, "--batch-size", "50")
    loads = check_invariants(db, results, tickets)
    assert loads[1] == loads[2] == 50
    uncapped = [loads[n] for n in range(3, 7)]
    assert max(uncapped) - min(uncapped) <= 1
