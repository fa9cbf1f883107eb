"""Benchmark `agentctl tickets import` beside its streaming floor, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--rounds 1]
        [--postgres URL | env AGENTCTL_BENCH_POSTGRES_URL] [--keep]

One generated CSV (``--rows`` tickets, 40 agents as assignees, ~200 bytes a row) is
imported into a freshly migrated database holding only those agents, by:

- the **floor**: one script with no agentctl import (sqlite3 or psycopg, csv, datetime,
  uuid) that streams the file, parses and checks every row as the import does, and writes
  with one executemany of a plain INSERT (SQLite) or one COPY straight into ``tickets``
  (PostgreSQL), in one transaction rolled back on a bad row;
- **agentctl**: `agentctl tickets import FILE` as a whole process (its default output).

Each figure is the median wall time of ``--rounds`` runs, each run whole (never projected
from a sample), and the peak RSS of the process (ru_maxrss). Goals (DESIGN.md,
"Performance budgets"): time at most 1.5x the floor on SQLite and 2x on PostgreSQL; peak
memory under 400 MB. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import agentctl, line, median, run, temporary_pg_database, work_directory

MEMORY_GOAL_MB = 400.0
TIME_GOAL = {"sqlite": 1.5, "postgresql": 2.0}
AGENTS = 40
HEADER = (
    "ticket_number,subject,status,priority,category,required_skill_level,assignee,"
    "escalation_level,created_at,first_response_at,resolved_at,sla_due_date\n"
)

FLOOR = r"""
import csv, sys, uuid
from datetime import UTC, datetime

engine, target, path = sys.argv[1], sys.argv[2], sys.argv[3]
STATUSES = {"open", "in_progress", "waiting", "resolved", "closed"}
PRIORITIES = {"low", "normal", "high", "urgent"}

def stamp(text):
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

def rows(agents):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for number, subject, status, priority, category, level, assignee, escalation, \
                created, first, resolved, due in reader:
            level, escalation = int(level or 1), int(escalation or 0)
            if (status not in STATUSES or priority not in PRIORITIES or not 1 <= level <= 4
                    or escalation < 0 or len(number) > 64):
                raise SystemExit(f"bad row {number}")
            agent = agents[assignee.lower()] if assignee else None
            yield (uuid.uuid4(), number, subject, status, priority, category.lower() or None,
                   level, agent, escalation, stamp(created), stamp(first), stamp(resolved),
                   stamp(due))

COLUMNS = ("id, ticket_number, subject, status, priority, category, required_skill_level, "
           "assigned_to_user_id, escalation_level, created_at, first_response_at, "
           "resolved_at, sla_due_date, updated_at")
if engine == "sqlite":
    import sqlite3
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    agents = {e.lower(): i for e, i in conn.execute("SELECT email, id FROM agents")}
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def text(v):
        return None if v is None else v.replace(tzinfo=None).isoformat(" ", "microseconds")

    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            f"INSERT INTO tickets ({COLUMNS}) VALUES ({', '.join('?' * 14)})",
            ((r[0].hex, *r[1:9], text(r[9]), text(r[10]), text(r[11]), text(r[12]), now)
             for r in rows(agents)),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
else:
    import psycopg
    with psycopg.connect(target) as conn:
        agents = {e.lower(): i for e, i in conn.execute("SELECT email, id FROM agents")}
        now = datetime.now(UTC)
        types = ["uuid", "varchar", "text", "varchar", "varchar", "varchar", "int4", "uuid",
                 "int4", "timestamptz", "timestamptz", "timestamptz", "timestamptz",
                 "timestamptz"]
        copy_sql = f"COPY tickets ({COLUMNS}) FROM STDIN (FORMAT BINARY)"
        with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
            copy.set_types(types)
            for row in rows(agents):
                copy.write_row((*row, now))
"""


def generate(path: Path, rows: int, agents: list[str]) -> None:
    rng = random.Random(42)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    statuses = ["open", "in_progress", "waiting", "resolved", "closed"]
    priorities = ["low", "normal", "high", "urgent"]
    categories = ["network", "billing", "hardware", "software", "account", ""]
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(rows):
            created = start + timedelta(seconds=i * 29 + rng.randrange(20))
            status = rng.choice(statuses)
            first = created + timedelta(minutes=rng.randrange(5, 600))
            resolved = first + timedelta(hours=rng.randrange(1, 72))
            out.write(
                f"T-{i:08d},Customer reports the router drops the line every evening #{i},"
                f"{status},{rng.choice(priorities)},{rng.choice(categories)},"
                f"{rng.randrange(1, 5)},{rng.choice(agents) if rng.random() < 0.8 else ''},"
                f"{rng.randrange(0, 2)},{created.isoformat()},"
                f"{first.isoformat() if status != 'open' else ''},"
                f"{resolved.isoformat() if status in ('resolved', 'closed') else ''},"
                f"{(created + timedelta(hours=24)).isoformat()}\n"
            )


def measure(command: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds) of one whole process."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        assert proc.stderr is not None
        raise SystemExit(f"failed: {' '.join(command)}\n{proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def prepare(db: str, agents_csv: Path) -> None:
    run(agentctl(db, "db", "upgrade"))
    run(agentctl(db, "agents", "import", str(agents_csv)))


def bench_engine(
    engine: str, fresh: Callable[[], Any], data: Path, floor_script: Path, rounds: int
) -> bool:
    floor_times: list[float] = []
    floor_rss: list[float] = []
    floor_cpu: list[float] = []
    ours_times: list[float] = []
    ours_rss: list[float] = []
    ours_cpu: list[float] = []
    for _ in range(rounds):
        with fresh() as (db, target):
            t, rss, cpu = measure([sys.executable, str(floor_script), engine, target, str(data)])
            floor_times.append(t)
            floor_rss.append(rss)
            floor_cpu.append(cpu)
        with fresh() as (db, _target):
            t, rss, cpu = measure(agentctl(db, "tickets", "import", str(data)))
            ours_times.append(t)
            ours_rss.append(rss)
            ours_cpu.append(cpu)
    floor, ours = median(floor_times), median(ours_times)
    peak = max(ours_rss)
    goal = TIME_GOAL[engine]
    ok_time = ours <= goal * floor
    ok_memory = peak < MEMORY_GOAL_MB
    line(
        f"{engine}: floor (stream + {'executemany' if engine == 'sqlite' else 'COPY'})",
        f"{floor:.1f} s",
    )
    line(f"{engine}: floor peak RSS", f"{max(floor_rss):.0f} MB")
    line(f"{engine}: agentctl tickets import", f"{ours:.1f} s", f"<= {goal}x floor")
    line(f"{engine}: ratio to the floor", f"{ours / floor:.2f}x", f"<= {goal}x", ok_time)
    # CPU of the client process (the server's work on PostgreSQL is not in it): a second
    # view that the machine's load does not blur.
    line(
        f"{engine}: client CPU, floor / agentctl",
        f"{median(floor_cpu):.1f} / {median(ours_cpu):.1f} s",
    )
    line(f"{engine}: agentctl peak RSS", f"{peak:.0f} MB", f"< {MEMORY_GOAL_MB:.0f} MB", ok_memory)
    return ok_time and ok_memory


def main() -> None:
    import contextlib

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--postgres", default=os.environ.get("AGENTCTL_BENCH_POSTGRES_URL"))
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()

    with work_directory("agentctl-bench-import-", args.keep) as workdir:
        agents = [f"agent{i:02d}@example.com" for i in range(AGENTS)]
        agents_csv = workdir / "agents.csv"
        agents_csv.write_text("email,name\n" + "".join(f"{a},Agent {a[5:7]}\n" for a in agents))
        data = workdir / "tickets.csv"
        generate(data, args.rows, agents)
        floor_script = workdir / "floor.py"
        floor_script.write_text(FLOOR)
        print(
            f"{args.rows:,} tickets ({data.stat().st_size / 1e6:.0f} MB CSV), {args.rounds} "
            f"round(s); load: {os.getloadavg()[0]:.2f}"
        )

        template = workdir / "template.db"
        prepare(f"sqlite:///{template}", agents_csv)

        @contextlib.contextmanager
        def fresh_sqlite():  # type: ignore[no-untyped-def]
            target = workdir / "run.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(template, target)
            yield f"sqlite:///{target}", str(target)

        ok = bench_engine("sqlite", fresh_sqlite, data, floor_script, args.rounds)

        if args.postgres:

            @contextlib.contextmanager
            def fresh_pg():  # type: ignore[no-untyped-def]
                with temporary_pg_database(args.postgres, "agentctl_bench_import") as url:
                    prepare(url, agents_csv)
                    yield url, url
        else:
            fresh_pg = None
            print("postgresql: skipped (set AGENTCTL_BENCH_POSTGRES_URL or --postgres)")
        if fresh_pg is not None:
            ok = bench_engine("postgresql", fresh_pg, data, floor_script, args.rounds) and ok
        print(f"load after: {os.getloadavg()[0]:.2f}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
