"""Benchmark `agentctl assign --backlog` against the platform's original algorithm.

    .venv/bin/python bench/bench_assign.py [--tickets 10000] [--agents 200]
        [--baseline-sample 200] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Figures, each beside its budget (DESIGN.md, "Performance budgets"):

1. `assign --backlog` on N tickets and M agents vs the original algorithm in the same run:
   for every ticket, one workload COUNT per available agent, then an UPDATE. The baseline
   is timed on the first ``--baseline-sample`` tickets of the same backlog and scaled to N
   (its cost is linear in tickets: M+2 statements each). Budget: at least 50x faster.
2. SQL statements per batch for 1,000 and N tickets. Budget: the same count.
3. With ``--pg`` (or AGENTCTL_BENCH_POSTGRES_URL): wall time of 1, 4 and 8 parallel
   `agentctl assign --backlog` processes on one PostgreSQL database, each run checked
   (every ticket assigned once, one assignment_log row each, no cap exceeded).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import case, create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.engine import make_url

from agentctl import migrate
from agentctl.database import Database
from agentctl.models import (
    OPEN_STATUSES,
    PRIORITIES,
    Agent,
    AgentAvailability,
    AgentSkill,
    AssignmentLog,
    Ticket,
)
from agentctl.services.assignment import AssignRequest, Outcome, assign

CATEGORIES = ("network", "billing", "hardware", "email", "tv")
T0 = datetime(2026, 10, 1, tzinfo=UTC)
SPEEDUP_BUDGET = 50.0


# --- data ---------------------------------------------------------------------------------------


def seed(db: Database, *, agents: int, tickets: int, seed: int = 7) -> None:
    """M available agents with 2-3 skills and caps, a history of assigned work, and an
    unassigned backlog of N tickets; all bulk inserted."""
    rng = random.Random(seed)
    agent_rows = [
        {
            "id": uuid.UUID(int=n + 1),
            "email": f"agent{n:04d}@bench.test",
            "name": f"Agent {n}",
            "max_open_tickets": rng.choice([None, 80, 120]),
        }
        for n in range(agents)
    ]
    ids = [a["id"] for a in agent_rows]
    skills = []
    for agent_id in ids:
        for category in rng.sample(CATEGORIES, rng.randint(2, 3)):
            skills.append(
                {
                    "user_id": agent_id,
                    "skill_category": category,
                    "skill_level": rng.randint(1, 4),
                    "can_handle_escalations": rng.random() < 0.4,
                }
            )
    history = [
        {
            "ticket_number": f"H-{i:06d}",
            "subject": "history",
            "status": rng.choice(["open", "in_progress", "waiting", "resolved", "closed"]),
            "priority": rng.choice(PRIORITIES),
            "category": rng.choice(CATEGORIES),
            "assigned_to_user_id": rng.choice(ids),
            "created_at": T0 - timedelta(minutes=i),
        }
        for i in range(agents * 10)
    ]
    backlog = [
        {
            "ticket_number": f"B-{i:06d}",
            "subject": "backlog",
            "priority": rng.choice(PRIORITIES),
            "category": rng.choice((*CATEGORIES, None)),
            "required_skill_level": rng.choice([1, 1, 2, 2, 3]),
            "escalation_level": 1 if rng.random() < 0.05 else 0,
            "created_at": T0 + timedelta(seconds=i),
            "sla_due_date": T0 + timedelta(hours=rng.randint(1, 72)) if i % 3 else None,
        }
        for i in range(tickets)
    ]
    with db.session(write=True) as s:
        s.execute(insert(Agent), agent_rows)
        s.execute(insert(AgentAvailability), [{"user_id": i, "status": "available"} for i in ids])
        s.execute(insert(AgentSkill), skills)
        for start in range(0, len(history), 5000):
            s.execute(insert(Ticket), history[start : start + 5000])
        for start in range(0, len(backlog), 5000):
            s.execute(insert(Ticket), backlog[start : start + 5000])


def reset_backlog(db: Database) -> None:
    """Put the backlog back as it was, so every run starts from the same data."""
    with db.session(write=True) as s:
        s.execute(delete(AssignmentLog))
        s.execute(
            update(Ticket).where(Ticket.ticket_number.like("B-%")).values(assigned_to_user_id=None)
        )
        s.execute(update(AgentAvailability).values(last_activity_at=None))


# --- the original algorithm ---------------------------------------------------------------------


def baseline(db: Database, sample: int) -> tuple[float, int]:
    """The platform's way: ticket by ticket, a COUNT per available agent, then an UPDATE.

    Returns (seconds, tickets assigned) for the first ``sample`` backlog tickets.
    """
    engine = db.engine
    start = time.perf_counter()
    with engine.connect() as conn:
        rank = case({"urgent": 0, "high": 1, "normal": 2}, value=Ticket.priority, else_=3)
        backlog = conn.execute(
            select(Ticket.id, Ticket.category, Ticket.required_skill_level)
            .where(Ticket.assigned_to_user_id.is_(None), Ticket.status.in_(OPEN_STATUSES))
            .order_by(rank, Ticket.created_at)
            .limit(sample)
        ).all()
    assigned = 0
    for ticket_id, category, level in backlog:
        with engine.begin() as conn:
            if category is None:
                agents = conn.execute(
                    select(Agent.id, Agent.max_open_tickets)
                    .join(AgentAvailability, AgentAvailability.user_id == Agent.id)
                    .where(Agent.is_active.is_(True), AgentAvailability.status == "available")
                ).all()
            else:
                agents = conn.execute(
                    select(Agent.id, Agent.max_open_tickets)
                    .join(AgentAvailability, AgentAvailability.user_id == Agent.id)
                    .join(AgentSkill, AgentSkill.user_id == Agent.id)
                    .where(
                        Agent.is_active.is_(True),
                        AgentAvailability.status == "available",
                        AgentSkill.skill_category == category,
                        AgentSkill.skill_level >= level,
                    )
                ).all()
            best = None
            for agent_id, cap in agents:
                load = conn.execute(
                    select(func.count())
                    .select_from(Ticket)
                    .where(
                        Ticket.assigned_to_user_id == agent_id,
                        Ticket.status.in_(OPEN_STATUSES),
                    )
                ).scalar_one()
                if (cap is None or load < cap) and (best is None or load < best[1]):
                    best = (agent_id, load)
            if best is not None:
                conn.execute(
                    update(Ticket).where(Ticket.id == ticket_id).values(assigned_to_user_id=best[0])
                )
                assigned += 1
    return time.perf_counter() - start, len(backlog)


# --- measurements -------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def statements_per_batch(db: Database, tickets: int) -> tuple[int, set[int]]:
    """(batches, the set of statement counts per batch) for a backlog run of ``tickets``."""
    reset_backlog(db)
    counts: list[int] = []

    def begin(*_: object) -> None:
        counts.append(0)

    def count(_c: object, _cur: object, statement: str, *_: object) -> None:
        if counts and not statement.startswith("BEGIN"):
            counts[-1] += 1

    event.listen(db.engine, "begin", begin)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assign(db, AssignRequest(backlog=True, limit=tickets))
    finally:
        event.remove(db.engine, "begin", begin)
        event.remove(db.engine, "before_cursor_execute", count)
    batches = counts[1:]  # the first transaction lists tenants and counts the backlog
    return len(batches), set(batches)


def check_run(db: Database, tickets: int) -> str:
    """Every backlog ticket assigned once, one log row each, no cap exceeded."""
    with db.session() as s:
        left = s.scalar(
            select(func.count()).where(
                Ticket.ticket_number.like("B-%"), Ticket.assigned_to_user_id.is_(None)
            )
        )
        per_ticket = Counter(s.scalars(select(AssignmentLog.ticket_id)))
        over_cap = s.scalar(
            select(func.count()).select_from(
                select(Agent.id)
                .join(Ticket, Ticket.assigned_to_user_id == Agent.id)
                .where(Ticket.status.in_(OPEN_STATUSES), Agent.max_open_tickets.is_not(None))
                .group_by(Agent.id, Agent.max_open_tickets)
                .having(func.count() > Agent.max_open_tickets)
                .subquery()
            )
        )
    twice = sum(1 for n in per_ticket.values() if n > 1)
    ok = twice == 0 and over_cap == 0 and len(per_ticket) + left == tickets
    return (
        f"{'ok' if ok else 'FAILED'}: {len(per_ticket)} assigned once, {left} left "
        f"without an eligible agent, {twice} twice, {over_cap} agents over cap"
    )


def parallel_runs(url: str, processes: int) -> float:
    command = [sys.executable, "-m", "agentctl", "--db", url, "assign", "--backlog", "-f", "json"]
    start = time.perf_counter()
    procs = [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode not in (0, 3):
            raise SystemExit(f"assign failed ({proc.returncode}): {err}")
    return time.perf_counter() - start


def compare(label: str, db: Database, tickets: int, sample: int) -> None:
    reset_backlog(db)
    seconds, result = timed(lambda: assign(db, AssignRequest(backlog=True)))
    assert not isinstance(result, BaseException)
    assigned = sum(1 for r in result.rows if r.outcome is Outcome.assigned)  # type: ignore[attr-defined]
    print(
        f"  {label} assign --backlog: {seconds:.2f} s for {tickets:,} tickets "
        f"({assigned:,} assigned); {check_run(db, tickets)}"
    )
    reset_backlog(db)
    base_seconds, done = baseline(db, sample)
    projected = base_seconds / done * tickets
    speedup = projected / seconds
    verdict = "ok" if speedup >= SPEEDUP_BUDGET else "OVER BUDGET"
    print(
        f"  {label} baseline: {base_seconds:.2f} s for the first {done} tickets, "
        f"{projected:.1f} s projected for {tickets:,}"
    )
    print(f"  {label} speed-up: {speedup:.0f}x   (budget >= {SPEEDUP_BUDGET:.0f}x: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--baseline-sample", type=int, default=200)
    parser.add_argument("--pg", default=os.environ.get("AGENTCTL_BENCH_POSTGRES_URL"))
    parser.add_argument("--parallel", default="1,4,8")
    args = parser.parse_args()
    print(f"assign --backlog: {args.tickets:,} tickets, {args.agents} agents")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        migrate.upgrade(db.engine)
        seed(db, agents=args.agents, tickets=args.tickets)
        compare("SQLite", db, args.tickets, args.baseline_sample)
        for n in sorted({min(1000, args.tickets), args.tickets}):
            batches, per_batch = statements_per_batch(db, n)
            print(
                f"  SQLite statements per batch, {n:,} tickets: {sorted(per_batch)} "
                f"over {batches} batches (budget: constant)"
            )
        db.dispose()

    if not args.pg:
        print("PostgreSQL: skipped (give --pg URL or AGENTCTL_BENCH_POSTGRES_URL)")
        return
    admin_url = make_url(args.pg).set(drivername="postgresql+psycopg")
    name = f"agentctl_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        db = Database(url)
        migrate.upgrade(db.engine)
        seed(db, agents=args.agents, tickets=args.tickets)
        compare("PostgreSQL", db, args.tickets, args.baseline_sample)
        for n in sorted({min(1000, args.tickets), args.tickets}):
            batches, per_batch = statements_per_batch(db, n)
            print(
                f"  PostgreSQL statements per batch, {n:,} tickets: {sorted(per_batch)} "
                f"over {batches} batches (budget: constant)"
            )
        for processes in (int(p) for p in args.parallel.split(",")):
            reset_backlog(db)
            seconds = parallel_runs(url, processes)
            print(
                f"  PostgreSQL {processes} parallel process(es): {seconds:.2f} s wall; "
                f"{check_run(db, args.tickets)}"
            )
        db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
