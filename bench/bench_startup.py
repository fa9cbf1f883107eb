"""Benchmark agentctl's start-up against its budgets (DESIGN.md, "Performance budgets").

    .venv/bin/python bench/bench_startup.py [--rounds 15] [--every-help]

Side by side in one run, each a whole process with its default output, median of
``--rounds`` interleaved rounds after a warm-up round (wall time; the CPU time of the
process, user + system, is printed beside it: it moves less when the machine is shared):

- `agentctl --help` and each command's `--help` (`--every-help`: every command path;
  default: the root and each top-level command) against `python -c "import typer"`.
  Budget: at most 2x.
- `status`, `performance` and `assign --backlog --dry-run` on the demo desk (SQLite,
  `agentctl demo` defaults: 25 agents, 5,000 tickets) against
  `python -c "import typer, rich.table, sqlalchemy"`. Budget: at most 1.5x.

Exits 1 when a budget is missed (the budgets are on wall time).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # bench/ is not a package: imported from its own directory
    agentctl,
    interleaved_medians_cpu,
    line,
    python_floor,
    run,
)

HELP_FACTOR = 2.0
COMMAND_FACTOR = 1.5
NOW = "2026-10-01T08:00:00Z"


def help_paths(every: bool) -> list[list[str]]:
    """The command paths whose --help is measured."""
    import typer

    from agentctl.cli import COMMANDS, app

    if not every:
        return [[], *([name] for name in COMMANDS)]
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def _report(floor_name: str, medians: dict[str, tuple[float, float]], factor: float) -> bool:
    """One line per command: median wall ms and its ratio to the floor (the budget), then
    median CPU ms and its ratio. True when every wall ratio is within ``factor``."""
    floor_wall, floor_cpu = medians.pop(floor_name)
    line(floor_name, f"{floor_wall * 1000:.0f} ms", "floor")
    print(f"{'':<56} {'cpu':>9} {floor_cpu * 1000:.0f} ms")
    ok = True
    for name, (seconds, cpu) in medians.items():
        ratio = seconds / floor_wall
        good = ratio <= factor
        ok &= good
        line(name, f"{seconds * 1000:.0f} ms", f"<= {factor}x floor ({ratio:.2f}x)", good)
        print(f"{'':<56} {'cpu':>9} {cpu * 1000:.0f} ms   cpu ratio {cpu / floor_cpu:.2f}x")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--every-help", action="store_true")
    args = parser.parse_args()

    ok = True
    before = os.getloadavg()
    cli = [sys.executable, "-m", "agentctl"]
    helps = {
        " ".join(["agentctl", *p, "--help"]): [*cli, *p, "--help"]
        for p in help_paths(args.every_help)
    }
    floor_name = 'python -c "import typer"'
    medians = interleaved_medians_cpu({floor_name: python_floor("typer"), **helps}, args.rounds)
    ok &= _report(floor_name, medians, HELP_FACTOR)

    with tempfile.TemporaryDirectory(prefix="agentctl-bench-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'demo.db'}"
        run(agentctl(db, "demo", "--now", NOW))
        commands = {
            "agentctl status": agentctl(db, "status"),
            "agentctl performance": agentctl(db, "performance", "--as-of", NOW),
            "agentctl assign --backlog --dry-run": agentctl(db, "assign", "--backlog", "--dry-run"),
        }
        floor_name = 'python -c "import typer, rich.table, sqlalchemy"'
        floor_cmd = python_floor("typer, rich.table, sqlalchemy")
        medians = interleaved_medians_cpu(
            {floor_name: floor_cmd, **commands}, args.rounds, ok_codes=(0, 3)
        )
    ok &= _report(floor_name, medians, COMMAND_FACTOR)
    after = os.getloadavg()
    loads = " ".join(f"{x:.2f}" for x in before), " ".join(f"{x:.2f}" for x in after)
    print(f"machine load (1, 5, 15 min): before {loads[0]}, after {loads[1]}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
