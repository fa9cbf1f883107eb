"""Run every benchmark of bench/ and exit 1 when any budget is missed.

    .venv/bin/python bench/run_all.py [--only startup,sla_csv] [--list]
        [--args NAME="OPTIONS"]...

Each script runs whole, in its own process, with its default sizes (DESIGN.md,
"Performance budgets"), unless ``--args`` gives it options, e.g. ``--args
pg_scale="--db postgresql://…/desk10m"`` to measure an existing 10,000,000-ticket desk
rather than generate one; the options are printed with the script's name.
Every script prints its figures beside their budgets; PostgreSQL figures come when
AGENTCTL_BENCH_POSTGRES_URL is set. This runner prints the machine load before and after,
and before each script (the figures of a loaded machine are noisier, never faster), then
one line per script, and exits 1 if any script exited non-zero.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names, e.g. startup,sla_csv")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--args",
        action="append",
        default=[],
        metavar='NAME="OPTIONS"',
        help='options for one script, e.g. pg_scale="--db URL" (repeatable)',
    )
    args = parser.parse_args()
    chosen = scripts()
    extra: dict[str, list[str]] = {}
    for given in args.args:
        name, sep, options = given.partition("=")
        if not sep or f"bench_{name.strip()}.py" not in {p.name for p in chosen}:
            parser.error(f"--args wants NAME=OPTIONS with NAME a benchmark, not {given!r}")
        extra[f"bench_{name.strip()}.py"] = shlex.split(options)
    if args.only:
        wanted = {f"bench_{name.strip()}.py" for name in args.only.split(",")}
        unknown = wanted - {p.name for p in chosen}
        if unknown:
            parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
        chosen = [p for p in chosen if p.name in wanted]
    if args.list:
        print("\n".join(p.name for p in chosen))
        return 0
    print(f"machine load (1, 5, 15 min): {load()}", flush=True)
    results: list[tuple[str, int, float]] = []
    for script in chosen:
        options = extra.get(script.name, [])
        shown = " ".join([script.name, *map(shlex.quote, options)])
        print(f"\n== {shown} (load {load()})", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, str(script), *options]).returncode
        results.append((script.name, code, time.perf_counter() - started))
    print(f"\nmachine load (1, 5, 15 min): {load()}")
    for name, code, seconds in results:
        verdict = "ok" if code == 0 else f"BUDGET MISSED (exit {code})"
        print(f"{name:<28} {seconds:8.0f} s   {verdict}")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
