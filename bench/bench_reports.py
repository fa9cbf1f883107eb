"""Benchmark `agentctl report`: streaming memory and export time beside their budgets.

    .venv/bin/python bench/bench_reports.py [--tickets 1000000] [--agents 500]
        [--rounds 3] [--db URL [--reuse]] [--parts memory,cli,inproc] [--keep]

The desk is made by `agentctl demo` (fixed seed and --now) in a scratch directory
(``common.work_directory``: removed afterwards, even after a failure, unless --keep).
Every figure is measured with the real CLI in a subprocess, side by side in one run
(DESIGN.md, "Performance budgets"), and is a median, never a minimum:

1. Peak memory (max RSS of the process) of
   `report sla-breaches --format csv --range all` over all the tickets, beside the
   peak of `agentctl --version` (the interpreter and imports alone). Budget: < 250 MB.
   Median of --rounds runs of each.
2. Wall time of `report performance --range 30d --format xlsx` and `--format pdf` with
   500 agents, beside `report performance --range 30d --format json` (the report's
   query: the same statements, agents and trend, and the same interpreter start, with
   the cheapest writer): median of --rounds interleaved rounds after a warm-up round.
   Budget: each export at most 2 s beyond the query. `performance --range 30d --format
   json` runs beside them for scale (no budget): it runs the agents' statement but not
   the report's trend. The export alone is measured in-process too ("inproc"): the
   report is built once, then each writer runs on it (median of --rounds). Budget: <= 2 s.

The machine's load average is printed before and after, and the CPU seconds of the
child processes beside the wall times (DESIGN.md: a shared machine is noisy).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # bench/ is not a package
    agentctl,
    interleaved_medians,
    line,
    median,
    run,
    work_directory,
)

NOW = "2026-10-01T08:00:00Z"
MEMORY_BUDGET_MB = 250.0
EXPORT_BUDGET_S = 2.0


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb(command: Sequence[str]) -> tuple[float, float]:
    """(peak resident memory in MB, wall seconds) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        assert proc.stderr is not None
        raise SystemExit(f"failed: {' '.join(command)}\n{proc.stderr.read().decode()}")
    return usage.ru_maxrss / 1024, elapsed  # ru_maxrss is in KiB on Linux


def memory(db: str, workdir: Path, rounds: int) -> bool:
    base = [peak_rss_mb([sys.executable, "-m", "agentctl", "--version"])[0] for _ in range(rounds)]
    csv_path = workdir / "breaches.csv"
    command = agentctl(
        db,
        "report",
        "sla-breaches",
        "--format",
        "csv",
        "--range",
        "all",
        "--as-of",
        NOW,
        "--output",
        str(csv_path),
    )
    cpu = children_cpu()
    runs = [peak_rss_mb(command) for _ in range(rounds)]
    cpu = (children_cpu() - cpu) / rounds
    csv_mb, csv_s = median([r[0] for r in runs]), median([r[1] for r in runs])
    with csv_path.open("rb") as fh:
        rows = sum(1 for _ in fh) - 1
    size_mb = csv_path.stat().st_size / 1e6
    csv_path.unlink()
    print(
        f"sla-breaches CSV: {rows:,} rows, {size_mb:.1f} MB, {csv_s:.1f} s wall, "
        f"{cpu:.1f} s CPU (medians of {rounds})"
    )
    line("peak RSS, agentctl --version (interpreter + imports)", f"{median(base):.0f} MB")
    ok = csv_mb < MEMORY_BUDGET_MB
    line(
        f"peak RSS, report sla-breaches --format csv ({rows:,} rows)",
        f"{csv_mb:.0f} MB",
        f"< {MEMORY_BUDGET_MB:.0f} MB",
        ok,
    )
    return ok


def export_times(db: str, workdir: Path, agents: int, rounds: int) -> bool:
    window = ["--range", "30d", "--as-of", NOW]
    commands = {
        "performance": agentctl(db, "performance", *window, "--format", "json"),
        **{
            fmt: agentctl(
                db,
                "report",
                "performance",
                *window,
                "--format",
                fmt,
                "--output",
                str(workdir / f"performance.{fmt}"),
            )
            for fmt in ("json", "xlsx", "pdf")
        },
    }
    cpu = children_cpu()
    times = interleaved_medians(commands, rounds)
    cpu = (children_cpu() - cpu) / ((rounds + 1) * len(commands))
    print(
        f"median of {rounds} interleaved rounds (after a warm-up); "
        f"{cpu:.2f} s CPU per process on average"
    )
    line("performance --range 30d --format json (no trend)", f"{times['performance']:.2f} s")
    line("report performance --format json (the query + start-up)", f"{times['json']:.2f} s")
    ok = True
    for fmt in ("xlsx", "pdf"):
        beyond = times[fmt] - times["json"]
        size = (workdir / f"performance.{fmt}").stat().st_size / 1e3
        line(
            f"report performance --format {fmt} ({agents} agents, {size:.0f} kB)",
            f"{times[fmt]:.2f} s",
        )
        line(
            "  beyond the query",
            f"{beyond:+.2f} s",
            f"<= {EXPORT_BUDGET_S:.0f} s",
            beyond <= EXPORT_BUDGET_S,
        )
        ok = ok and beyond <= EXPORT_BUDGET_S
    return ok


def in_process(db: str, workdir: Path, rounds: int) -> bool:
    """The export alone, in this process: the report is built once (its statements run,
    and the 500 agents' rows are held in memory, as the writers get them), then each
    writer runs on it; beside it, the report's statements themselves."""
    from agentctl.database import Database
    from agentctl.services.reports.build import build_report
    from agentctl.services.reports.pdf import write_pdf
    from agentctl.services.reports.xlsx import write_xlsx
    from agentctl.services.window import resolve_window
    from agentctl.timeutil import utcnow

    database = Database(db)
    win = resolve_window("30d", as_of=NOW)

    def timed(action: Callable[[], object]) -> float:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
        return median(times)

    ok = True
    try:
        with database.session() as session:
            queries_s = timed(lambda: build_report(session, "performance", win, None, utcnow()))
            line("in-process: the report's statements (agents + trend)", f"{queries_s:.2f} s")
            report = build_report(session, "performance", win, None, utcnow())
            writers = {"xlsx": write_xlsx, "pdf": write_pdf}
            for fmt, writer in writers.items():
                out = workdir / f"inproc.{fmt}"
                export_s = timed(lambda writer=writer, out=out: writer(report, out))
                line(
                    f"in-process: write the {fmt} of {report.total_rows} agents",
                    f"{export_s:.2f} s",
                    f"<= {EXPORT_BUDGET_S:.0f} s",
                    export_s <= EXPORT_BUDGET_S,
                )
                ok = ok and export_s <= EXPORT_BUDGET_S
    finally:
        database.dispose()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument(
        "--reuse", action="store_true", help="use the desk already in --db (no demo run)"
    )
    parser.add_argument(
        "--parts", default="memory,cli,inproc", help="which figures (default: all three)"
    )
    args = parser.parse_args()

    with work_directory("agentctl-bench-reports-", keep=args.keep) as workdir:
        db = args.db or f"sqlite:///{workdir / 'bench.db'}"
        print(f"database: {db.split('@')[-1]}; {args.tickets:,} tickets, {args.agents} agents")
        started = time.perf_counter()
        if args.reuse and args.db:
            print("the desk already in --db (--reuse)")
        else:
            run(agentctl(db, "db", "upgrade"))
            demo = ["--agents", str(args.agents), "--tickets", str(args.tickets)]
            run(agentctl(db, "demo", *demo, "--seed", "42", "--now", NOW, "--reset"))
            print(f"demo data generated in {time.perf_counter() - started:.0f} s")
        print(f"before: {load()}\n")
        parts = set(args.parts.split(","))
        ok = True
        if "memory" in parts:
            ok = memory(db, workdir, args.rounds) and ok
            print()
        if "cli" in parts:
            ok = export_times(db, workdir, args.agents, args.rounds) and ok
            print()
        if "inproc" in parts:
            ok = in_process(db, workdir, args.rounds) and ok
        print(f"\nafter: {load()}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
