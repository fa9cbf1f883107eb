"""Benchmark `agentctl assign --backlog` (DESIGN.md, "Performance budgets").

    .venv/bin/python bench/bench_assign.py [--tickets 10000] [--agents 200] [--runs 3]
        [--original-runs 1] [--pg URL] [--pg-tickets 100000] [--pg-agents 1000]
        [--parallel 1,4]

Every figure is a whole process with its default output (a table, piped); the commands
compared run in turn (agentctl, the other, agentctl, …) on the backlog put back as loaded,
each run checked (every ticket assigned once, one assignment_log row each, no cap
exceeded). Each figure is a median of wall seconds, printed with the median CPU seconds
(the process and its children: a database server's CPU is not in it) and the 1-minute
load before each run; the script exits 1 when a budget is missed.

1. SQLite, N tickets x M agents: `agentctl assign --backlog` against the platform's
   original algorithm (for every ticket, one workload COUNT per eligible agent, then an
   UPDATE), run whole in its own process on the same backlog. Budget: at least 100x.
2. SQL statements per batch for 1,000 and N tickets. Budget: the same counts.
3. With ``--pg`` (or AGENTCTL_BENCH_POSTGRES_URL), 100,000 tickets x 1,000 agents, VACUUM
   ANALYZE after loading and VACUUM after each reset: `agentctl assign --backlog` against
   the floor (bench/assign_floor.py: read + heap + write in one script, `UPDATE … FROM
   unnest` and COPY, no agentctl imports). Budget: at most 2x. The final loads must equal
   the floor's; statements per batch as in 2; then 1, 4 … parallel processes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).parent))
from assign_data import original, reset_backlog, seed, vacuum
from common import agentctl, line, temporary_pg_database, work_directory

from agentctl import migrate
from agentctl.database import Database
from agentctl.models import OPEN_STATUSES, Agent, AssignmentLog, Ticket
from agentctl.services.assignment import AssignRequest, assign

SPEEDUP_BUDGET = 100.0
FLOOR_BUDGET = 2.0
HERE = Path(__file__).resolve().parent


# --- measurements -------------------------------------------------------------------------------


def statements_per_batch(db: Database, tickets: int) -> list[int]:
    """The statements of each batch (each transaction after the first, which lists the
    tenants and reads the work) of an in-process backlog run of ``tickets``."""
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
        assign(db, AssignRequest(backlog=True, limit=tickets, batch_size=500))
    finally:
        event.remove(db.engine, "begin", begin)
        event.remove(db.engine, "before_cursor_execute", count)
    return counts[1:]


def judged(name: str, value: str, budget: str, ok: bool) -> bool:
    line(name, value, budget, ok)
    return ok


def statement_figures(db: Database, sizes: list[int]) -> bool:
    """Statements per batch for each backlog size: the first batch loads the agents, every
    later one the same few; the budget is the same counts whatever the size."""
    shapes = set()
    for n in sizes:
        batches = statements_per_batch(db, n)
        first, later = batches[0], sorted(set(batches[1:]))
        shapes.add((first, tuple(later)))
        print(
            f"  statements per batch, {n:,} tickets: first {first}, then {later} "
            f"({len(batches)} batches)"
        )
    return judged(
        "  statements per batch, " + " and ".join(f"{n:,}" for n in sizes) + " tickets",
        "same" if len(shapes) == 1 else "differ",
        "constant",
        len(shapes) == 1 and all(len(later) <= 1 for _, later in shapes),
    )


def check_run(db: Database, tickets: int, *, logged: bool = True) -> str:
    """Every backlog ticket assigned once, one log row each, no cap exceeded (the original
    algorithm, ``logged=False``, writes no log: every ticket assigned, no cap exceeded)."""
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
    if not logged:
        if over_cap or left:
            raise SystemExit(f"FAILED: {left} left, {over_cap} agents over cap")
        return f"{tickets:,} assigned, no cap exceeded"
    ok = twice == 0 and over_cap == 0 and len(per_ticket) + left == tickets
    if not ok:
        raise SystemExit(
            f"FAILED: {len(per_ticket)} assigned once, {left} left without an eligible "
            f"agent, {twice} twice, {over_cap} agents over cap"
        )
    return f"{len(per_ticket):,} assigned once, {left} left, none twice, no cap exceeded"


def loads(db: Database) -> dict[str, int]:
    """Each agent's open workload: what two runs must agree on."""
    with db.session() as s:
        rows = s.execute(
            select(Agent.email, func.count(Ticket.id))
            .join(Ticket, Ticket.assigned_to_user_id == Agent.id)
            .where(Ticket.status.in_(OPEN_STATUSES))
            .group_by(Agent.email)
        )
        return {email: int(n) for email, n in rows}


@dataclass
class Process:
    """One whole process: wall seconds, CPU seconds (user + system, the process and its
    children; a database server's own CPU is not in it), the 1-minute load before it."""

    wall: float
    cpu: float
    load: float


@dataclass
class Series:
    name: str
    runs: list[Process] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(p.wall for p in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(p.cpu for p in self.runs)

    def describe(self) -> str:
        walls = ", ".join(f"{p.wall:.2f}" for p in self.runs)
        loads = ", ".join(f"{p.load:.1f}" for p in self.runs)
        return (
            f"{self.name}: median {self.wall:.2f} s wall, {self.cpu:.2f} s CPU "
            f"(runs {walls} s; load before each {loads})"
        )


def whole(command: list[str]) -> Process:
    """One whole process, default output to a pipe; exit 0 or 3 only."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(command)}\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Process(seconds, cpu, load)


def alternate(
    db: Database, tickets: int, series: list[tuple[Series, list[str], int, bool]]
) -> dict[str, dict[str, int]]:
    """Run each command in turn (A, B, A, B …), each on the backlog as loaded, each run
    checked; ``series`` gives each command, its number of runs and whether it logs.
    Returns the agents' final loads after each command's last run, by series name."""
    final: dict[str, dict[str, int]] = {}
    for round_ in range(max(runs for _, _, runs, _ in series)):
        for each, command, runs, logged in series:
            if round_ < runs:
                reset_backlog(db)
                each.runs.append(whole(command))
                check = check_run(db, tickets, logged=logged)
                print(f"    {each.name} run {round_ + 1}: {each.runs[-1].wall:.2f} s; {check}")
                final[each.name] = loads(db)
    return final


def sqlite_figures(args: argparse.Namespace) -> bool:
    print(f"SQLite: {args.tickets:,} tickets x {args.agents} agents")
    ok = True
    with work_directory("bench_assign_") as tmp:
        url = f"sqlite:///{tmp / 'bench.db'}"
        db = Database(url)
        migrate.upgrade(db.engine)
        seed(db, agents=args.agents, tickets=args.tickets)
        cli = Series("agentctl assign --backlog")
        base = Series("original algorithm, whole")
        alternate(
            db,
            args.tickets,
            [
                (cli, agentctl(url, "assign", "--backlog"), args.runs, True),
                (base, [sys.executable, __file__, "--original", url], args.original_runs, False),
            ],
        )
        print(f"  {cli.describe()}")
        print(f"  {base.describe()}")
        ratio = base.wall / cli.wall
        ok &= judged(
            "  speed-up over the original algorithm (wall)",
            f"{ratio:.0f}x",
            f">= {SPEEDUP_BUDGET:.0f}x",
            ratio >= SPEEDUP_BUDGET,
        )
        print(f"  speed-up in CPU seconds: {base.cpu / cli.cpu:.0f}x")
        ok &= statement_figures(db, sorted({min(1000, args.tickets), args.tickets}))
        db.dispose()
    return ok


def pg_figures(args: argparse.Namespace) -> bool:
    print(f"PostgreSQL: {args.pg_tickets:,} tickets x {args.pg_agents} agents")
    ok = True
    with temporary_pg_database(args.pg, prefix="agentctl_bench_assign") as url:
        db = Database(url)
        migrate.upgrade(db.engine)
        seed(db, agents=args.pg_agents, tickets=args.pg_tickets)
        vacuum(db, analyze=True)
        cli = Series("agentctl assign --backlog")
        floor = Series("floor (read + heap + unnest/COPY, one script)")
        final = alternate(
            db,
            args.pg_tickets,
            [
                (cli, agentctl(url, "assign", "--backlog"), args.runs, True),
                (floor, [sys.executable, str(HERE / "assign_floor.py"), url], args.runs, True),
            ],
        )
        print(f"  {cli.describe()}")
        print(f"  {floor.describe()}")
        # The floor decides the same way in one pass, by its own code: batches, heaps and
        # writes must end with the same load on every agent.
        same = final[cli.name] == final[floor.name]
        ok &= judged(
            "  final loads equal the floor's",
            "equal" if same else "DIFFER",
            "equal",
            same,
        )
        ratio = cli.wall / floor.wall
        ok &= judged(
            "  agentctl / floor (wall)",
            f"{ratio:.2f}x",
            f"<= {FLOOR_BUDGET:.0f}x",
            ratio <= FLOOR_BUDGET,
        )
        print(f"  agentctl / floor in client CPU seconds: {cli.cpu / floor.cpu:.2f}x")
        ok &= statement_figures(db, [1000, 10_000])
        for processes in (int(p) for p in args.parallel.split(",") if p):
            reset_backlog(db)
            wall_seconds = parallel_runs(url, processes)
            print(
                f"  {processes} parallel process(es): {wall_seconds:.2f} s wall; "
                f"{check_run(db, args.pg_tickets)}"
            )
        db.dispose()
    return ok


def parallel_runs(url: str, processes: int) -> float:
    command = agentctl(url, "assign", "--backlog", "-f", "json")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--original-runs", type=int, default=1)
    parser.add_argument("--pg", default=os.environ.get("AGENTCTL_BENCH_POSTGRES_URL"))
    parser.add_argument("--pg-tickets", type=int, default=100_000)
    parser.add_argument("--pg-agents", type=int, default=1000)
    parser.add_argument("--parallel", default="1,4")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--original", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.original:
        print(original(args.original))
        return
    ok = True
    if not args.skip_sqlite:
        ok &= sqlite_figures(args)
    if args.pg:
        ok &= pg_figures(args)
    else:
        print("PostgreSQL: skipped (give --pg URL or AGENTCTL_BENCH_POSTGRES_URL)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
