"""Benchmark `report sla-breaches --format csv` against its streaming floor.

    .venv/bin/python bench/bench_sla_csv.py [--tickets 1000000] [--rounds 5] [--db URL]

The desk is made by `agentctl demo --tickets N --seed 42 --now NOW` (a new SQLite file
unless ``--db`` names an existing SQLite desk). Side by side, median of ``--rounds``
interleaved rounds after a warm-up round, each a whole process writing a file:

- `agentctl report sla-breaches --format csv --range all --as-of NOW --output FILE`;
- the floor: a new interpreter that imports only sqlite3 and csv, runs the very statement
  agentctl runs for the rows (captured from SQLAlchemy with its parameters), and streams
  the rows into ``csv.writer`` (no formatting, no summary, no agentctl import).

Budget (DESIGN.md, issue 15): agentctl at most 1.5x the floor. Exits 1 when missed.
Each median's CPU seconds (of the child process) are printed beside it, with the machine
load before and after: on a loaded machine they say what wall time cannot.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import agentctl, line, median, run, wall  # bench/ is not a package

NOW = "2026-10-01T08:00:00Z"
FACTOR = 1.5

FLOOR = """
import csv, json, sqlite3, sys
path, out, sql = sys.argv[1:4]
params, header = json.loads(sys.argv[4]), json.loads(sys.argv[5])
con = sqlite3.connect(path)
with open(out, "w", newline="", encoding="utf-8") as fh:
    writer = csv.writer(fh, lineterminator="\\n")
    writer.writerow(header)
    cursor = con.execute(sql, params)
    while True:
        rows = cursor.fetchmany(2000)
        if not rows:
            break
        writer.writerows(rows)
"""


def captured_statement(db: str) -> tuple[str, list[Any], list[str]]:
    """The SQL and parameters agentctl sends for the sla-breaches rows, and the header."""
    from sqlalchemy import Engine, event

    from agentctl.database import Database
    from agentctl.repository.breaches import BREACH_COLUMNS, breach_rows_query
    from agentctl.timeutil import parse_datetime

    as_of = parse_datetime(NOW)
    seen: list[tuple[str, Any]] = []

    def listener(*args: Any) -> None:
        seen.append((str(args[2]), args[3]))

    database = Database(db)
    event.listen(Engine, "before_cursor_execute", listener)
    try:
        with database.session() as session:
            session.execute(breach_rows_query(None, as_of, as_of, None)).first()
    finally:
        event.remove(Engine, "before_cursor_execute", listener)
        database.dispose()
    sql, params = next((s, p) for s, p in seen if "sla_due_date" in s and "ORDER BY" in s)
    plain = [p.isoformat(sep=" ") if isinstance(p, datetime) else p for p in params]
    return sql, plain, list(BREACH_COLUMNS)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def interleaved(
    commands: dict[str, list[str]], rounds: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU seconds of each whole process, the commands run in turn each
    round after a warm-up round (as common.interleaved_medians, with the children's CPU)."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(rounds + 1):
        for name, command in commands.items():
            before = _children_cpu()
            seconds = wall(command)
            if round_:
                walls[name].append(seconds)
                cpus[name].append(_children_cpu() - before)
    return (
        {name: median(values) for name, values in walls.items()},
        {name: median(values) for name, values in cpus.items()},
    )


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", help="an existing SQLite desk (default: a new demo desk)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="agentctl-bench-sla-") as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'desk.db'}"
        if not args.db:
            run(agentctl(db, "demo", "--tickets", str(args.tickets), "--seed", "42", "--now", NOW))
        path = db.removeprefix("sqlite:///")
        sql, params, header = captured_statement(db)
        report = agentctl(db, "report", "sla-breaches", "--format", "csv", "--range", "all")
        report += ["--as-of", NOW, "--output", str(Path(tmp) / "report.csv")]
        floor = [sys.executable, "-c", FLOOR, path, str(Path(tmp) / "floor.csv"), sql]
        floor += [json.dumps(params), json.dumps(header)]
        print(f"machine load before (1, 5, 15 min): {_load()}")
        medians, cpu = interleaved({"floor": floor, "report": report}, args.rounds)
        print(f"machine load after (1, 5, 15 min): {_load()}")
        with open(Path(tmp) / "floor.csv", encoding="utf-8") as written:
            rows = sum(1 for _ in written) - 1
    line(
        f"floor: the statement streamed into csv.writer ({rows:,} rows)",
        f"{medians['floor']:.2f} s",
        f"(CPU {cpu['floor']:.2f} s)",
    )
    ratio = medians["report"] / medians["floor"]
    ok = ratio <= FACTOR
    line(
        "agentctl report sla-breaches --format csv --range all",
        f"{medians['report']:.2f} s",
        f"<= {FACTOR}x floor ({ratio:.2f}x)",
        ok,
    )
    cpu_ratio = cpu["report"] / cpu["floor"]
    line(
        "  the same in CPU seconds (not the budget)",
        f"{cpu['report']:.2f} s",
        f"({cpu_ratio:.2f}x)",
    )
    print(f"medians of {args.rounds} interleaved rounds after a warm-up round")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
