"""Fast commands stay fast: they never import the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "xlsxwriter", "fpdf", "apscheduler", "alembic", "matplotlib", "openpyxl")

PROBE = """
import json, sys
from agentctl.cli import run
code = run(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(json.dumps({{"code": code, "heavy": heavy}}))
"""


def _loaded(*args: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=set(HEAVY)), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_help_loads_no_heavy_library():
    result = _loaded("--help")
    assert result == {"code": 0, "heavy": []}


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["status", "--format", "json"],
        ["performance", "--range", "7d", "--format", "json"],
        ["assign", "--backlog", "--dry-run", "--format", "json"],
    ],
)
def test_fast_commands_load_no_heavy_library(db_url, command):
    result = _loaded("--db", db_url, *command)
    assert result["heavy"] == []
    assert result["code"] in (0, 3)  # assign exits 3 when tickets are left unassigned
