"""Benchmark `agentctl report availability`: statements and time beside a raw-SQL floor.

    .venv/bin/python bench/bench_availability.py [--agents 500] [--events 100]
        [--db URL] [--runs 5]

The desk: AGENTS agents (tenant none) with EVENTS availability events each, spread over
30 days, plus a tenant `small` of 2 agents with the same history. Measured side by side in
one run (DESIGN.md, "Performance budgets"):

1. SQL statements of the whole CLI run `report availability --format csv --output -`
   (in-process), for the 2-agent tenant and for all the agents. Budget: the same count:
   the minutes are one statement whatever the number of agents. Exit 1 if it grows.
2. Median wall time of the report's query (`availability_minutes`, in-process, 30 days)
   beside the floor: the same LEAD aggregate written as raw SQL and run on the DB-API
   connection, with no ORM and no agentctl code. Printed as a ratio.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import count_statements, line, median

NOW = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)
STATUSES = ("available", "busy", "away", "offline")

_MINUTES = {
    "sqlite": "(julianday({end}) - julianday({start})) * 1440.0",
    "postgresql": "EXTRACT(EPOCH FROM ({end} - {start})) / 60.0",
}
FLOOR_SQL = """
WITH scope AS MATERIALIZED (
  SELECT a.id AS agent_id,
         COALESCE((SELECT max(p.at) FROM availability_events p
                   WHERE p.agent_id = a.id AND p.at <= {since}), {since}) AS first_at
  FROM agents a WHERE a.is_active AND a.tenant_id IS NULL
), periods AS (
  SELECT e.agent_id, e.status, e.at,
         LEAD(e.at) OVER (PARTITION BY e.agent_id ORDER BY e.at) AS next_at
  FROM availability_events e
  JOIN scope ON scope.agent_id = e.agent_id AND e.at >= scope.first_at AND e.at < {until}
)
SELECT agent_id, status, SUM({minutes}), SUM(CASE WHEN at >= {since} THEN 1 ELSE 0 END)
FROM (SELECT agent_id, status, at,
             CASE WHEN at < {since} THEN {since} ELSE at END AS s,
             CASE WHEN next_at IS NULL OR next_at > {until} THEN {until} ELSE next_at END AS t
      FROM periods) clipped
GROUP BY agent_id, status
"""


def populate(url: str, agents: int, events: int) -> None:
    from sqlalchemy import insert

    from agentctl.database import Database
    from agentctl.migrate import upgrade
    from agentctl.models import Agent, AgentAvailability, AvailabilityEvent

    db = Database(url)
    upgrade(db.engine)
    rng = random.Random(42)
    step = timedelta(days=35) / events  # history from before the window to NOW
    with db.session(write=True) as s:
        for tenant, count in ((None, agents), ("small", 2)):
            ids = [uuid.uuid4() for _ in range(count)]
            s.execute(
                insert(Agent),
                [
                    {"id": i, "tenant_id": tenant, "email": f"a{n}@{tenant or 'desk'}.example",
                     "name": f"Agent {n}", "is_active": True}
                    for n, i in enumerate(ids)
                ],
            )  # fmt: skip
            s.execute(
                insert(AgentAvailability),
                [{"id": uuid.uuid4(), "user_id": i, "tenant_id": tenant} for i in ids],
            )
            rows = [
                {
                    "id": uuid.uuid4(),
                    "agent_id": i,
                    "tenant_id": tenant,
                    "status": rng.choice(STATUSES),
                    "at": NOW
                    - timedelta(days=35)
                    + k * step
                    + timedelta(seconds=rng.randint(0, 60)),
                }
                for i in ids
                for k in range(events)
            ]
            for start in range(0, len(rows), 5000):
                s.execute(insert(AvailabilityEvent), rows[start : start + 5000])
    db.dispose()


def floor_seconds(url: str) -> float:
    """The raw aggregate on the DB-API connection: no ORM, no agentctl code."""
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    dialect = engine.dialect.name
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if dialect == "sqlite":
            since, until = (
                f"'{d.replace(tzinfo=None).isoformat(' ', 'microseconds')}'" for d in (SINCE, NOW)
            )
        else:
            since, until = (f"'{d.isoformat()}'::timestamptz" for d in (SINCE, NOW))
        sql = FLOOR_SQL.format(
            since=since,
            until=until,
            minutes=_MINUTES[dialect].format(start="s", end="t"),
        )
        started = time.perf_counter()
        cursor.execute(sql)
        cursor.fetchall()
        return time.perf_counter() - started
    finally:
        raw.close()
        engine.dispose()


def report_seconds(url: str) -> float:
    from agentctl.database import Database
    from agentctl.repository.availability_report import availability_minutes

    db = Database(url)
    try:
        with db.session() as s:
            started = time.perf_counter()
            availability_minutes(s, SINCE, NOW, None)
            return time.perf_counter() - started
    finally:
        db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        populate(url, args.agents, args.events)
        print(
            f"desk: {args.agents} agents x {args.events} events (+2 agents in tenant small), "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        report = ["report", "availability", "--format", "csv", "--output", "-"]
        window = [
            "--since",
            SINCE.isoformat(),
            "--until",
            NOW.isoformat(),
            "--as-of",
            NOW.isoformat(),
        ]
        small = count_statements(["--db", url, "--tenant", "small", *report, *window])
        large = count_statements(["--db", url, *report, *window])
        same = len(small) == len(large)
        line("statements, 2 agents", str(len(small)))
        line(f"statements, {args.agents} agents", str(len(large)), "same as 2 agents", same)

        floors, ours = [], []
        for _ in range(args.runs):  # alternated, so load on the machine hits both alike
            floors.append(floor_seconds(url))
            ours.append(report_seconds(url))
        floor, mine = median(floors), median(ours)
        line("raw SQL floor (median s)", f"{floor:.3f}")
        line("availability_minutes (median s)", f"{mine:.3f}")
        line("ratio to the floor", f"{mine / floor:.2f}x")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
