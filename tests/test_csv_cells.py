"""One CSV cell function for listings and reports (issue 14.11): OWASP's formula rule,
tab and carriage return included, and the full-width operators."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from agentctl.csvcell import csv_cell

DANGEROUS = [
    '=HYPERLINK("http://evil.example/x","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # ＝ full-width equals
    "\uff0b1",  # ＋
    "\uff0d1",  # －
    "\uff20SUM(A1)",  # ＠
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_that_looks_like_a_formula_is_quoted(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (-3.5, "-3.5"),  # numbers stay numbers
        (-42, "-42"),
        ("a = b", "a = b"),
        (" =1", " =1"),
        ("Straße", "Straße"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (
            datetime(2026, 10, 1, 10, 0, tzinfo=timezone(timedelta(hours=2))),
            "2026-10-01T08:00:00+00:00",
        ),
        (datetime(2026, 10, 1, 8, 0, tzinfo=UTC), "2026-10-01T08:00:00+00:00"),
        (["-a", "b"], '["-a","b"]'),
    ],
)
def test_other_values(value, expected):
    assert csv_cell(value) == expected


def write_tickets(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["ticket_number", "subject", "created_at"])
        for i, subject in enumerate(DANGEROUS, start=1):
            writer.writerow([f"T-{i}", subject, "2026-10-01T08:00:00Z"])
        writer.writerow(["T-99", "-5 is fine in a subject, but quoted", "2026-10-01T08:00:00Z"])


def test_tickets_list_csv_defuses_formulas(cli, tmp_path):
    source = tmp_path / "tickets.csv"
    write_tickets(source)
    r = cli("tickets", "import", source)
    assert r.exit_code == 0, r.stderr
    r = cli("tickets", "list", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    assert "\n=HYPERLINK" not in r.stdout and ",=HYPERLINK" not in r.stdout
    rows = {row["ticket_number"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    # JSON carries the text as stored (the import trims a leading tab or CR away)...
    listed = json.loads(cli("tickets", "list", "--format", "json").stdout)
    stored = {t["ticket_number"]: t["subject"] for t in listed}
    assert stored["T-1"] == DANGEROUS[0]
    assert stored["T-7"] == "\uff1d1+1"
    # ... and CSV, for spreadsheets, with the apostrophe in front.
    for i in range(1, len(DANGEROUS) + 1):
        assert rows[f"T-{i}"]["subject"] == "'" + stored[f"T-{i}"]
    assert rows["T-99"]["subject"] == "'-5 is fine in a subject, but quoted"
    assert rows["T-1"]["required_skill_level"] == "1"  # a number, untouched


def test_report_csv_defuses_full_width_formulas(cli, tmp_path):
    source = tmp_path / "tickets.csv"
    write_tickets(source)
    assert cli("tickets", "import", source).exit_code == 0
    out = tmp_path / "aging.csv"
    r = cli("report", "aging", "-f", "csv", "-o", out, "--as-of", "2026-10-02T08:00:00Z")
    assert r.exit_code == 0, r.stderr
    with out.open(newline="", encoding="utf-8") as f:
        rows = {row["ticket_number"]: row for row in csv.DictReader(f)}
    for i in (1, 2, 3, 4, 7, 8, 9, 10):
        assert rows[f"T-{i}"]["subject"] == "'" + DANGEROUS[i - 1]
    assert rows["T-1"]["age_hours"] == "24.0"
