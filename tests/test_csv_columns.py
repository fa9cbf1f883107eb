"""The CSV writer's column converters (`column_function`) write what the cell function
(`csv_cell`) writes, cell for cell, including the batches their fast checks let through;
and the writer (`CsvWriter`) quotes a cell holding a lone carriage return."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from agentctl.csvcell import FORMULA_PREFIXES, CsvWriter
from agentctl.services.reports.model import Field
from agentctl.services.reports.text_formats import column_function

SAFE = ["ticket", "", None, "a=b", "'=already", "x-1", " =leading space"]
RISKY = [prefix + "cmd" for prefix in FORMULA_PREFIXES] + ["-", "+1", "@SUM(A1)"]


def written(values: list[Any]) -> list[str]:
    """The cells csv.writer writes for a column, read back."""
    out = io.StringIO()
    writer = CsvWriter(out)
    for value in values:
        writer.writerow([value])
    return [row[0] for row in csv.reader(io.StringIO(out.getvalue(), newline=""))]


def test_the_fast_checks_rely_on_one_character_prefixes() -> None:
    """The text check compares first characters: every prefix must be one."""
    assert all(len(prefix) == 1 for prefix in FORMULA_PREFIXES)


@pytest.mark.parametrize("kind", ["text", "agent", "id"])
def test_text_columns_defuse_exactly_the_formula_cells(kind: str) -> None:
    convert = column_function(Field("c", "C", kind))
    safe_cells = ["ticket", "", "", "a=b", "'=already", "x-1", " =leading space"]
    assert written(list(convert(SAFE))) == safe_cells
    for risky in RISKY:  # one risky cell in a batch of safe ones
        cells = written(list(convert([*SAFE, risky, *SAFE])))
        assert cells == [*safe_cells, "'" + risky, *safe_cells]


def test_values_that_are_not_text_are_written_as_their_text() -> None:
    ident = uuid.UUID(int=1)
    convert = column_function(Field("c", "C", "id"))
    assert written(list(convert([ident, 7, None]))) == [str(ident), "7", ""]
    assert written(list(convert([b"=x", ("a",)]))) == ["b'=x'", "('a',)"]


def test_stored_timestamps_become_iso_text() -> None:
    """SQLite's stored text (canonical or not) and psycopg's datetimes: the ISO cells."""
    convert = column_function(Field("t", "T", "datetime"), stored=True)
    stored = [
        "2026-09-29 12:00:00.000000",
        "2026-09-29 12:00:00.000001",
        "2026-09-29 12:00:00.250000",
        "2026-09-29 12:00:00",
        "2026-09-29T12:00:00.250000",
        None,
    ]
    assert list(convert(stored)) == [
        "2026-09-29T12:00:00+00:00",
        "2026-09-29T12:00:00.000001+00:00",
        "2026-09-29T12:00:00.250000+00:00",
        "2026-09-29T12:00:00+00:00",
        "2026-09-29T12:00:00.250000+00:00",
        "",
    ]
    aware = datetime(2026, 9, 29, 12, 0, 0, 250000, tzinfo=UTC)
    assert list(convert([aware, None])) == ["2026-09-29T12:00:00.250000+00:00", ""]


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_a_lone_carriage_return_is_quoted_in_listings() -> None:
    """Python's writer with ``\n`` line ends left a cell holding a lone ``\r`` unquoted,
    and every reader split the row there; such a row is now written quoted, the others as
    before."""
    from agentctl.rendering import Column, write_csv

    out = io.StringIO()
    rows = [{"subject": "line 1\rline 2", "n": 1}, {"subject": "plain", "n": 2}]
    write_csv(rows, [Column("subject"), Column("n")], out)
    assert read_back(out.getvalue()) == [["subject", "n"], ["line 1\rline 2", "1"], ["plain", "2"]]
    assert out.getvalue().endswith("\nplain,2\n")  # rows without one: unchanged


def test_a_lone_carriage_return_is_quoted_in_report_files() -> None:
    out = io.StringIO()
    rows = [("T-1", "a\rb", 3.5), ("T-2", "ok", None), ("T-3", "=x", 1.0)]
    CsvWriter(out).writerows(rows, text_columns=[0, 1])
    assert read_back(out.getvalue()) == [
        ["T-1", "a\rb", "3.5"],
        ["T-2", "ok", ""],
        ["T-3", "=x", "1.0"],
    ]
    out = io.StringIO()
    CsvWriter(out).writerows(rows[1:], text_columns=[0, 1])
    assert out.getvalue() == "T-2,ok,\nT-3,=x,1.0\n"
