"""Start-up stays fast: what each command imports, checked in a fresh interpreter.

`--help` loads Typer and the option definitions only; `status`, `performance` and
`assign` load SQLAlchemy and Rich but none of the export, scheduling or migration
libraries. The timings themselves are in bench/bench_startup.py (a test never times).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Never loaded by `--help` (any command's).
NOT_FOR_HELP = (
    "sqlalchemy",
    "rich",
    "pydantic",
    "psycopg",
    "agentctl.services",
    "agentctl.repository",
    "agentctl.models",
    "agentctl.database",
    "agentctl.migrate",
)
# Never loaded by the fast commands (status, performance, assign).
HEAVY = (
    "pandas",
    "xlsxwriter",
    "fpdf",
    "apscheduler",
    "alembic",
    "matplotlib",
    "openpyxl",
    "pydantic",
    "email_validator",
    "agentctl.services.reports",
    "agentctl.services.scheduling",
)

PROBE = """
import json, sys
from agentctl.cli import run
codes = [run(argv) for argv in json.loads(sys.argv[1])]
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def _loaded(*runs: list[str]) -> tuple[list[int], list[str]]:
    """Run each argv in one fresh interpreter; return the exit codes and sys.modules."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(runs))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["codes"], result["modules"]


def _matching(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


def _command_paths() -> list[list[str]]:
    """Every command path of the CLI (this process may import everything)."""
    import typer

    from agentctl.cli import app

    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_every_help_loads_only_typer_and_the_option_definitions():
    paths = _command_paths()
    assert len(paths) > 30  # the whole tree, groups and their commands
    codes, modules = _loaded(*([*path, "--help"] for path in paths))
    assert codes == [0] * len(paths)
    assert _matching(modules, NOT_FOR_HELP) == []


def test_root_help_loads_no_service_and_no_rich():
    codes, modules = _loaded(["--help"])
    assert codes == [0]
    assert _matching(modules, NOT_FOR_HELP) == []


def test_root_help_loads_no_command_module():
    """`agentctl --help` lists the commands from cli/__init__.py COMMANDS."""
    codes, modules = _loaded(["--help"])
    assert codes == [0]
    command_modules = [m for m in modules if m.startswith("agentctl.cli.")]
    assert sorted(command_modules) == ["agentctl.cli.params"]


def test_root_help_lines_match_each_command():
    """Each entry of COMMANDS names the module that defines the command, and its line is
    the first paragraph of the command's own help (this process loads every module)."""
    import importlib

    import typer

    from agentctl.cli import COMMANDS

    for name, (module, line) in COMMANDS.items():
        scratch = typer.Typer()
        importlib.import_module(module).register(scratch)
        command = typer.main.get_group(scratch).commands[name]
        first = " ".join(command.help.strip().split("\n\n")[0].split())
        assert line == first, name


def test_a_command_loads_only_its_own_cli_module():
    """Command modules load when their command runs (cli/__init__.py COMMANDS)."""
    codes, modules = _loaded(["agents", "add", "--help"])
    assert codes == [0]
    command_modules = [m for m in modules if m.startswith("agentctl.cli.")]
    assert sorted(command_modules) == [
        "agentctl.cli.agents",
        "agentctl.cli.context",
        "agentctl.cli.params",
    ]


def test_usage_error_loads_nothing_heavy():
    codes, modules = _loaded(["agents", "add", "x@y.z"])
    assert codes == [2]
    assert _matching(modules, NOT_FOR_HELP) == []


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["status", "--format", "json"],
        ["performance", "--range", "7d"],
        ["performance", "--range", "7d", "--format", "json"],
        ["assign", "--backlog", "--dry-run"],
        ["assign", "--backlog", "--dry-run", "--format", "json"],
    ],
)
def test_fast_commands_load_no_heavy_library(db_url, command):
    codes, modules = _loaded(["--db", db_url, *command])
    assert codes[0] in (0, 3)  # assign exits 3 when tickets are left unassigned
    assert _matching(modules, HEAVY) == []


# Never loaded by the Core read paths (status, performance, assign --dry-run): the ORM and
# the models (Database.connect, agentctl.tables / agentctl.columns instead).
ORM = ("sqlalchemy.orm", "agentctl.models")


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["performance", "--as-of", "2026-10-01T08:00:00Z"],
        ["performance", "--range", "30d", "--compare", "--format", "json"],
        ["assign", "--backlog", "--dry-run"],
        [
            "assign",
            "--from",
            "ada.keller@desk.example",
            "--to",
            "ben.tanaka@desk.example",
            "--dry-run",
        ],
    ],
)
def test_read_paths_load_no_orm(cli, db_url, backend, command):
    """On the demo desk (calendars with a holiday region, shifts, time off), the Core read
    paths load neither the ORM nor, on SQLite, the PostgreSQL dialect; holidays, when a
    shift needs them, come from one country module."""
    r = cli("demo", "--agents", "8", "--tickets", "300", "--now", "2026-10-01T08:00:00Z")
    assert r.exit_code == 0, r.stderr
    codes, modules = _loaded(["--db", db_url, *command])
    assert codes[0] in (0, 3)
    assert _matching(modules, ORM) == []
    if backend == "sqlite":
        assert _matching(modules, ("sqlalchemy.dialects.postgresql", "psycopg")) == []
    assert len(_matching(modules, ("holidays.countries",))) <= 1  # germany, not the package


def test_strategy_choices_match_the_service():
    """cli/assign.py lists the strategies without importing the service (for --help)."""
    from agentctl.cli.assign import StrategyName
    from agentctl.services.assignment import Strategy

    assert [s.value for s in StrategyName] == [s.value for s in Strategy]


GC_PROBE = """
import gc, json, sys
from agentctl.cli import run
from agentctl.cli.context import pause_gc_for_start_up
if sys.argv[1] == "main":
    pause_gc_for_start_up()  # what agentctl.cli.main does first
paused = not gc.isenabled()
code = run(json.loads(sys.argv[2]))
print(json.dumps([code, paused, gc.isenabled(), gc.get_freeze_count() > 0]))
"""


@pytest.mark.parametrize("how", ["main", "in-process"])
def test_start_up_pauses_the_collector_until_the_database_opens(db_url, how):
    """A process of its own (main) collects no garbage during start-up, then freezes what the
    imports created and collects again; run() in-process leaves the collector alone."""
    proc = subprocess.run(
        [sys.executable, "-c", GC_PROBE, how, json.dumps(["--db", db_url, "status"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    code, paused, enabled, frozen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert code == 0
    assert enabled  # collecting again once the command runs
    assert (paused, frozen) == ((True, True) if how == "main" else (False, False))


# Never loaded by `report sla-breaches --format csv` (issue 15): the other formats'
# writers, mail and webhooks (no recipients), Rich (no terminal), the PostgreSQL dialect
# on SQLite, and `performance`'s service.
NOT_FOR_A_CSV_REPORT = (
    "xlsxwriter",
    "fpdf",
    "rich",
    "pydantic",
    "email_validator",
    "smtplib",
    "urllib.request",
    "agentctl.services.mail",
    "agentctl.services.webhook",
    "agentctl.services.reports.delivery",
    "agentctl.services.reports.xlsx",
    "agentctl.services.reports.pdf",
    "agentctl.services.performance",
)


def test_csv_report_loads_only_what_it_writes_with(cli, db_url, backend, tmp_path):
    r = cli("demo", "--agents", "8", "--tickets", "300", "--now", "2026-10-01T08:00:00Z")
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "breaches.csv"
    report = ["report", "sla-breaches", "--format", "csv", "--range", "all"]
    report += ["--as-of", "2026-10-01T08:00:00Z", "--output", str(out)]
    codes, modules = _loaded(["--db", db_url, *report])
    assert codes == [0]
    assert out.read_text(encoding="utf-8").startswith("ticket_number,")
    assert _matching(modules, NOT_FOR_A_CSV_REPORT) == []
    # Read through Database.connect and recorded on the Core tables: no ORM either.
    assert _matching(modules, ORM) == []
    if backend == "sqlite":
        assert _matching(modules, ("sqlalchemy.dialects.postgresql", "psycopg")) == []
