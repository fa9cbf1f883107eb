"""Many `agentctl assign --backlog` processes at once: no ticket twice, none lost, no cap
exceeded, and the load as balanced as one sequential run would leave it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from agentctl.database import Database
from agentctl.models import (
    PRIORITIES,
    Agent,
    AgentAvailability,
    AgentSkill,
    AssignmentLog,
    Ticket,
)
from factories import T0


def seed(db: Database, *, capped: int, uncapped: int, cap: int, tickets: int) -> None:
    """Agents of equal eligibility (ids 1..n, the first ``capped`` with a cap) and an
    unassigned backlog, bulk inserted."""
    agents = [
        {
            "id": uuid.UUID(int=n),
            "email": f"agent{n}@d.com",
            "name": f"Agent {n}",
            "max_open_tickets": cap if n <= capped else None,
        }
        for n in range(1, capped + uncapped + 1)
    ]
    with db.session(write=True) as s:
        s.execute(insert(Agent), agents)
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


def run_parallel(db_url: str, processes: int, *extra: str) -> list[tuple[int, Any, str]]:
    """Start every process before waiting for any: (exit code, JSON rows, stderr)."""
    command = [sys.executable, "-m", "agentctl", "--db", db_url, "assign", "--backlog"]
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
    seed(db, capped=10, uncapped=10, cap=100, tickets=tickets)
    results = run_parallel(db_url, 4, "--batch-size", "100")
    loads = check_invariants(db, results, tickets)
    # 3,000 tickets over 20 agents would be 150 each: the capped ten stop at exactly 100,
    # the other ten share the rest evenly, as a single sequential run would leave them.
    assert {n: loads[n] for n in range(1, 11)} == {n: 100 for n in range(1, 11)}
    uncapped = [loads[n] for n in range(11, 21)]
    assert max(uncapped) - min(uncapped) <= 1
    assert sum(uncapped) == 2000
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
