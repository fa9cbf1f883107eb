"""Small helpers shared by the bench/ scripts.

Budgets are ratios or counts measured side by side in one run (DESIGN.md, "Performance
budgets"), so every helper here measures one thing the same way each time:

- ``agentctl(db, *args)``: the command line of the real CLI in a fresh interpreter;
- ``wall(command)``: wall seconds of one subprocess run (output discarded);
- ``count_statements(argv)``: the SQL statements an in-process CLI run sends;
- ``captured_statements(argv)``: the same, each with the parameters sent to the driver;
- ``performance_statement(argv)``: `performance`'s aggregate statement and the planner
  settings sent before it, for a bare driver to replay;
- ``temporary_pg_database(url)``: a scratch PostgreSQL database, dropped afterwards;
- ``work_directory(prefix, keep)``: a scratch directory, removed afterwards unless kept;
- ``line(...)``: one figure printed beside its budget.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any


def agentctl(db: str, *args: str) -> list[str]:
    """The command line that runs the real CLI against ``db`` in a new interpreter."""
    return [sys.executable, "-m", "agentctl", "--db", db, *args]


def run(command: Sequence[str]) -> None:
    """Run a set-up command; stop the benchmark with its stderr if it fails."""
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(command)}\n{proc.stderr}")


def wall(command: Sequence[str], ok_codes: Sequence[int] = (0,)) -> float:
    """Wall seconds of one run of ``command`` (stdout to a pipe that is thrown away)."""
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in ok_codes:
        raise SystemExit(f"failed: {' '.join(command)}\n{proc.stderr.decode()}")
    return elapsed


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def count_statements(argv: Sequence[str]) -> list[str]:
    """Run ``agentctl ARGV`` in this process; return every SQL statement it executed.

    A ``before_cursor_execute`` listener on the Engine class sees each statement that
    goes to the database driver (connection set-up PRAGMAs aside), whoever sends it.
    """
    return [sql for sql, _ in captured_statements(argv)]


def captured_statements(argv: Sequence[str]) -> list[tuple[str, Any]]:
    """Run ``agentctl ARGV`` in this process; return each (SQL, parameters) it executed,
    exactly as handed to the driver's cursor, so that a bare driver can replay them."""
    from sqlalchemy import Engine, event

    from agentctl.cli import run as run_cli

    statements: list[tuple[str, Any]] = []

    def listener(*args: Any) -> None:
        statements.append((str(args[2]), args[3]))

    event.listen(Engine, "before_cursor_execute", listener)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = run_cli(list(argv))
    finally:
        event.remove(Engine, "before_cursor_execute", listener)
    if code != 0:
        raise SystemExit(f"agentctl {' '.join(argv)} exited {code}")
    return statements


def performance_statement(argv: Sequence[str]) -> tuple[str, Any, list[str]]:
    """(SQL, parameters, settings) of `performance`'s aggregate statement, captured from an
    in-process run of ``agentctl ARGV``: the longest statement, and the ``SET`` statements
    agentctl sent before it in its transaction (PostgreSQL's ``SET LOCAL`` planner
    settings over the whole desk), which a replay must send first to get the same plan."""
    seen = captured_statements(argv)
    sql, params = max(seen, key=lambda s: len(s[0]))
    if "UNION ALL" not in sql:
        raise SystemExit(f"performance's aggregate statement not found; longest was:\n{sql}")
    settings = [s for s, _ in seen[: seen.index((sql, params))] if s.startswith("SET ")]
    return sql, params, settings


@contextlib.contextmanager
def work_directory(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A new scratch directory; removed afterwards, even after a failure, unless ``keep``."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield workdir
    finally:
        if keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def temporary_pg_database(admin_url: str, prefix: str = "agentctl_bench") -> Iterator[str]:
    """A new, empty database on the server of ``admin_url``; dropped on exit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name, drivername="postgresql").render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def line(name: str, value: str, budget: str = "-", ok: bool | None = None) -> None:
    """``name  value  budget …  ok|OVER BUDGET`` (ok=None: a figure with no budget)."""
    verdict = "" if ok is None else ("ok" if ok else "OVER BUDGET")
    print(f"{name:<56} {value:>12}   budget {budget:<26} {verdict}".rstrip())


def interleaved_medians(
    commands: dict[str, Sequence[str]],
    rounds: int,
    *,
    warmup: int = 1,
    ok_codes: Sequence[int] = (0,),
) -> dict[str, float]:
    """Median wall seconds of each whole process, the commands run in turn each round.

    Interleaving (A, B, C, A, B, C, …) spreads the machine's noise over every command
    alike, so the ratios between them hold even when the absolute times wander.
    Output goes to a pipe that is read and thrown away: the command's default output.
    """
    for _ in range(warmup):
        for command in commands.values():
            wall(command, ok_codes)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            times[name].append(wall(command, ok_codes))
    return {name: median(values) for name, values in times.items()}


def python_floor(imports: str) -> list[str]:
    """A new interpreter that imports ``imports`` (third-party only, never agentctl)."""
    if "agentctl" in imports:
        raise ValueError("a floor never includes agentctl's own imports")
    return [sys.executable, "-c", f"import {imports}"]


def wall_and_cpu(command: Sequence[str], ok_codes: Sequence[int] = (0,)) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, of the child) of one run of ``command``.

    CPU time is what the process itself spent, so it moves less than wall time when other
    processes share the machine.
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = wall(command, ok_codes)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def interleaved_medians_cpu(
    commands: dict[str, Sequence[str]],
    rounds: int,
    *,
    warmup: int = 1,
    ok_codes: Sequence[int] = (0,),
) -> dict[str, tuple[float, float]]:
    """``interleaved_medians``, with the median CPU seconds beside the median wall seconds."""
    for _ in range(warmup):
        for command in commands.values():
            wall(command, ok_codes)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            elapsed, cpu = wall_and_cpu(command, ok_codes)
            walls[name].append(elapsed)
            cpus[name].append(cpu)
    return {name: (median(walls[name]), median(cpus[name])) for name in commands}
