"""Benchmark agentctl's start-up against its budgets (DESIGN.md, "Performance budgets").

    .venv/bin/python bench/bench_startup.py [--rounds 15] [--every-help]

Side by side in one run, each a whole process with its default output, median of
``--rounds`` interleaved rounds after a warm-up round:

- `agentctl --help` and each command's `--help` (`--every-help`: every command path;
  default: the root and each top-level command) against `python -c "import typer"`.
  Budget: at most 2x.
- `status`, `performance` and `assign --backlog --dry-run` on the demo desk (SQLite,
  `agentctl demo` defaults: 25 agents, 5,000 tickets) against
  `python -c "import typer, rich.table, sqlalchemy"`. Budget: at most 1.5x.

Exits 1 when a budget is missed.
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
    interleaved_medians,
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--every-help", action="store_true")
    args = parser.parse_args()

    ok = True
    cli = [sys.executable, "-m", "agentctl"]
    helps = {
        " ".join(["agentctl", *p, "--help"]): [*cli, *p, "--help"]
        for p in help_paths(args.every_help)
    }
    floor_name = 'python -c "import typer"'
    medians = interleaved_medians({floor_name: python_floor("typer"), **helps}, args.rounds)
    floor = medians.pop(floor_name)
    line(floor_name, f"{floor * 1000:.0f} ms", "floor")
    for name, seconds in medians.items():
        ratio = seconds / floor
        good = ratio <= HELP_FACTOR
        ok &= good
        line(name, f"{seconds * 1000:.0f} ms", f"<= {HELP_FACTOR}x floor ({ratio:.2f}x)", good)

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
        medians = interleaved_medians(
            {floor_name: floor_cmd, **commands}, args.rounds, ok_codes=(0, 3)
        )
    floor = medians.pop(floor_name)
    line(floor_name, f"{floor * 1000:.0f} ms", "floor")
    for name, seconds in medians.items():
        ratio = seconds / floor
        good = ratio <= COMMAND_FACTOR
        ok &= good
        line(name, f"{seconds * 1000:.0f} ms", f"<= {COMMAND_FACTOR}x floor ({ratio:.2f}x)", good)
    load = os.getloadavg()
    print(f"machine load (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
