"""Benchmark `agentctl performance` on a big PostgreSQL desk against its wall-time goals,
and what the covering index costs on writes.

    .venv/bin/python bench/bench_pg_scale.py [--tickets 10000000] [--rounds 3] [--db URL]
        [--parts scale,cost] [--cost-tickets 1000000] [--cost-rows 1000000]

PostgreSQL only: the server comes from ``--postgres URL`` or AGENTCTL_BENCH_POSTGRES_URL;
without either the script says it skipped and exits 0.

- **scale** (DESIGN.md, "Performance budgets": on 10,000,000 tickets on PostgreSQL, 7d and
  30d under 1 s, ``all`` under 2 s). The desk is made by the real CLI, `agentctl demo
  --agents 500 --tickets N --seed 42 --now NOW`, in a scratch database (dropped afterwards),
  then ``VACUUM ANALYZE`` as autovacuum would; ``--db URL`` measures an existing desk
  instead. For each range, `agentctl performance --range R --as-of NOW` as whole processes
  (the default table), the median of ``--rounds`` after a warm-up run, beside its goal;
  and the server's share: the median ``Execution Time`` of ``EXPLAIN ANALYZE`` of the very
  statement agentctl sends (captured from an in-process run, with its parameters, after
  the ``SET LOCAL`` planner settings it sends before it).
  These goals are absolute wall times (the contract's), not ratios.
- **cost**: what each index added for `performance` costs on writes
  (``ix_tickets_created_at_covering``, migration 0004; ``ix_tickets_resolved_at_covering``,
  0005). Three fresh databases, all migrated, one with every index and one without each:
  `agentctl demo --tickets M` into each, then `agentctl tickets import` of a generated CSV
  of ``--cost-rows`` rows into three more such databases; wall time of each whole
  process (one run each), and the table's size with its indexes. No budget: the issue
  asks for the figures.

Exits 1 when a scale goal is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import AGENTS, generate, prepare  # bench/ is not a package
from common import (
    agentctl,
    line,
    median,
    performance_statement,
    run,
    temporary_pg_database,
    wall,
    work_directory,
)

NOW = "2026-10-01T08:00:00Z"
GOALS = {"7d": 1.0, "30d": 1.0, "all": 2.0}
INDEX = "ix_tickets_created_at_covering"
# The indexes this phase added for `performance` (migrations 0004 and 0005), PostgreSQL only.
ADDED = (INDEX, "ix_tickets_resolved_at_covering")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def psql(db: str, sql: str) -> list[tuple[object, ...]]:
    """Run one statement with the bare driver (autocommit); its rows, if any."""
    import psycopg

    with psycopg.connect(_libpq(db), autocommit=True) as conn:
        cur = conn.execute(sql)  # type: ignore[call-overload]
        return cur.fetchall() if cur.description else []


def _libpq(db: str) -> str:
    return db.replace("postgresql+psycopg://", "postgresql://", 1)


def demo(db: str, tickets: int, *, drop: str | None = None) -> float:
    """Migrate ``db`` (dropping the index ``drop`` when given); wall seconds of the demo."""
    run(agentctl(db, "db", "upgrade"))
    if drop:
        psql(db, f"DROP INDEX {drop}")
    command = agentctl(db, "demo", "--agents", "500", "--tickets", str(tickets))
    return wall([*command, "--seed", "42", "--now", NOW, "--reset"])


def server_seconds(db: str, range_: str) -> float:
    """Execution Time of EXPLAIN ANALYZE of agentctl's own aggregate statement."""
    import psycopg

    argv = ["--db", db, "performance", "--range", range_, "--as-of", NOW, "--format", "json"]
    sql, params, settings = performance_statement(argv)
    with psycopg.connect(_libpq(db)) as conn:
        for setting in settings:
            conn.execute(setting)  # type: ignore[call-overload]
        plan = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchone()
    assert plan is not None
    document = plan[0] if isinstance(plan[0], list) else json.loads(plan[0])
    return float(document[0]["Execution Time"]) / 1000


def scale(db: str, rounds: int) -> bool:
    sizes = psql(
        db,
        "SELECT count(*), pg_size_pretty(pg_table_size('tickets')), "
        + ", ".join(f"pg_size_pretty(pg_relation_size('{name}'))" for name in ADDED)
        + " FROM tickets",
    )[0]
    indexes = ", ".join(f"{name} {size}" for name, size in zip(ADDED, sizes[2:], strict=True))
    print(f"desk: {sizes[0]:,} tickets; table {sizes[1]}; {indexes}; load {load()}")
    ok = True
    for range_, goal in GOALS.items():
        command = agentctl(db, "performance", "--range", range_, "--as-of", NOW)
        wall(command)  # warm-up: the cache holds what the first run read
        walls = [wall(command) for _ in range(rounds)]
        server = median([server_seconds(db, range_) for _ in range(rounds)])
        met = median(walls) < goal
        ok = ok and met
        line(
            f"performance --range {range_}: whole process",
            f"{median(walls):.2f} s",
            f"< {goal:.0f} s",
            met,
        )
        line(f"performance --range {range_}: server (EXPLAIN ANALYZE)", f"{server:.2f} s")
    print(f"load after: {load()}")
    return ok


def cost(admin: str, tickets: int, rows: int) -> None:
    print(f"== cost of {', '.join(ADDED)}: demo --tickets {tickets:,}, import of {rows:,} rows")
    choices: list[str | None] = [None, *ADDED]

    def label(dropped: str | None) -> str:
        return "with every index" if dropped is None else f"without {dropped}"

    for dropped in choices:
        with temporary_pg_database(admin, "agentctl_bench_cost") as db:
            seconds = demo(db, tickets, drop=dropped)
            size = psql(db, "SELECT pg_size_pretty(pg_total_relation_size('tickets'))")[0][0]
        line(f"demo --tickets {tickets:,}, {label(dropped)}", f"{seconds:.1f} s")
        line(f"  tickets, its indexes and TOAST, {label(dropped)}", str(size))
    with work_directory("agentctl-bench-pg-scale-") as workdir:
        agents = [f"agent{i:02d}@example.com" for i in range(AGENTS)]
        agents_csv = workdir / "agents.csv"
        agents_csv.write_text("email,name\n" + "".join(f"{a},Agent {a[5:7]}\n" for a in agents))
        data = workdir / "tickets.csv"
        generate(data, rows, agents)
        for dropped in choices:
            with temporary_pg_database(admin, "agentctl_bench_cost") as db:
                prepare(db, agents_csv)
                if dropped:
                    psql(db, f"DROP INDEX {dropped}")
                seconds = wall(agentctl(db, "tickets", "import", str(data)))
            line(f"tickets import of {rows:,} rows, {label(dropped)}", f"{seconds:.1f} s")


@contextlib.contextmanager
def desk(args: argparse.Namespace) -> Iterator[str]:
    if args.db:
        yield args.db
        return
    with temporary_pg_database(args.postgres, "agentctl_bench_scale") as db:
        print(f"generating {args.tickets:,} tickets, 500 agents (load {load()}) …", flush=True)
        seconds = demo(db, args.tickets)
        psql(db, "VACUUM ANALYZE tickets")
        print(f"generated in {seconds:.0f} s")
        yield db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="an existing PostgreSQL desk (made with --now " + NOW + ")")
    parser.add_argument("--postgres", default=os.environ.get("AGENTCTL_BENCH_POSTGRES_URL"))
    parser.add_argument("--parts", default="scale,cost", help="comma-separated: scale,cost")
    parser.add_argument("--cost-tickets", type=int, default=1_000_000)
    parser.add_argument("--cost-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",")}
    if not args.postgres and not args.db:
        print("skipped: PostgreSQL only (set AGENTCTL_BENCH_POSTGRES_URL or --postgres)")
        raise SystemExit(0)
    print(f"load before: {load()}")
    ok = True
    if "scale" in parts:
        with desk(args) as db:
            ok = scale(db, args.rounds)
    if "cost" in parts:
        if not args.postgres:
            parser.error("the cost part makes its own databases: give --postgres")
        cost(args.postgres, args.cost_tickets, args.cost_rows)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
