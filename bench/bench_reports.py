"""Benchmark `agentctl report`: streaming memory and export time beside their budgets.

    .venv/bin/python bench/bench_reports.py [--tickets 1000000] [--agents 500]
        [--db URL] [--keep]

The desk is made by `agentctl demo` (fixed seed and --now). Every figure is measured with
the real CLI in a subprocess, side by side in one run (DESIGN.md, "Performance budgets"):

1. Peak memory (max RSS of the process) of
   `report sla-breaches --format csv --range all` over all the tickets, beside the
   peak of `agentctl --version` (the interpreter and imports alone). Budget: < 250 MB.
2. Wall time of `report performance --range 30d --format xlsx` and `--format pdf` with
   500 agents, beside `performance --range 30d --format json` (the same query, same
   interpreter start). Budget: each export at most 2 s beyond the query. Median of 3.
   The report also runs the trend statement, which `performance` does not, so the same
   is measured in-process too: the report's own statements alone vs the whole run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

NOW = "2026-10-01T08:00:00Z"
MEMORY_BUDGET_MB = 250.0
EXPORT_BUDGET_S = 2.0


def agentctl(db: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "agentctl", "--db", db, *args]


def peak_rss_mb(command: list[str]) -> tuple[float, float]:
    """(peak resident memory in MB, wall seconds) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        assert proc.stderr is not None
        raise SystemExit(f"failed: {' '.join(command)}\n{proc.stderr.read().decode()}")
    return usage.ru_maxrss / 1024, elapsed  # ru_maxrss is in KiB on Linux


def median_time(command: list[str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)  # medians, not minima (DESIGN.md)


def line(name: str, value: str, budget: str, ok: bool) -> None:
    print(f"{name:<58} {value:>14}   budget {budget:<18} {'ok' if ok else 'OVER BUDGET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="agentctl-bench-reports-"))
    db = args.db or f"sqlite:///{workdir / 'bench.db'}"
    print(f"database: {db.split('@')[-1]}; {args.tickets:,} tickets, {args.agents} agents")
    started = time.perf_counter()
    subprocess.run(agentctl(db, "db", "upgrade"), check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        agentctl(
            db,
            "demo",
            "--agents",
            str(args.agents),
            "--tickets",
            str(args.tickets),
            "--seed",
            "42",
            "--now",
            NOW,
            "--reset",
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"demo data generated in {time.perf_counter() - started:.0f} s\n")

    # 1. streaming memory
    base_mb, _ = peak_rss_mb([sys.executable, "-m", "agentctl", "--version"])
    csv_path = workdir / "breaches.csv"
    csv_mb, csv_s = peak_rss_mb(
        agentctl(
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
    )
    with csv_path.open("rb") as fh:
        rows = sum(1 for _ in fh) - 1
    size_mb = csv_path.stat().st_size / 1e6
    print(f"sla-breaches CSV: {rows:,} rows, {size_mb:.1f} MB written in {csv_s:.1f} s")
    line("peak RSS, agentctl --version (interpreter + imports)", f"{base_mb:.0f} MB", "-", True)
    line(
        f"peak RSS, report sla-breaches --format csv ({rows:,} rows)",
        f"{csv_mb:.0f} MB",
        f"< {MEMORY_BUDGET_MB:.0f} MB",
        csv_mb < MEMORY_BUDGET_MB,
    )
    print()

    # 2. export time beside the query
    window = ["--range", "30d", "--as-of", NOW]
    query_s = median_time(agentctl(db, "performance", *window, "--format", "json"))
    line("performance --range 30d --format json (query + start-up)", f"{query_s:.2f} s", "-", True)
    for fmt in ("xlsx", "pdf"):
        out = workdir / f"performance.{fmt}"
        export_s = median_time(
            agentctl(db, "report", "performance", *window, "--format", fmt, "--output", str(out))
        )
        beyond = export_s - query_s
        line(
            f"report performance --format {fmt} ({args.agents} agents)",
            f"{export_s:.2f} s",
            f"query + {EXPORT_BUDGET_S:.0f} s",
            beyond <= EXPORT_BUDGET_S,
        )
        line(
            f"  beyond the query ({out.stat().st_size / 1e3:.0f} kB file)",
            f"{beyond:+.2f} s",
            f"<= {EXPORT_BUDGET_S:.0f} s",
            beyond <= EXPORT_BUDGET_S,
        )

    # 3. the same, in-process: the report's own statements (agents + trend) vs the whole run
    from agentctl.database import Database
    from agentctl.services.reports import run_report
    from agentctl.services.reports.build import build_report
    from agentctl.services.window import resolve_window
    from agentctl.timeutil import utcnow

    database = Database(db)
    win = resolve_window("30d", as_of=NOW)

    def queries() -> None:
        with database.session() as session:
            build_report(session, "performance", win, None, utcnow())

    def timed(action: Callable[[], object]) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    queries_s = timed(queries)
    print()
    line("in-process: the report's queries (agents + trend)", f"{queries_s:.2f} s", "-", True)
    for fmt in ("xlsx", "pdf"):
        out = workdir / f"inproc.{fmt}"
        total_s = timed(
            lambda fmt=fmt, out=out: run_report(
                database,
                report_type="performance",
                fmt=fmt,
                window=win,
                tenant=None,
                output=str(out),
            )
        )
        line(
            f"in-process: run_report performance {fmt}, beyond its queries",
            f"{total_s - queries_s:+.2f} s",
            f"<= {EXPORT_BUDGET_S:.0f} s",
            total_s - queries_s <= EXPORT_BUDGET_S,
        )
    database.dispose()

    if args.keep or args.db:
        print(f"\nfiles kept in {workdir}")
    else:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()


if __name__ == "__main__":
    main()
