"""CSV and JSON report files, written row by row as the rows stream in.

Formula safety: every cell goes through ``agentctl.csvcell.csv_cell``, the one CSV cell
function that listings use too (OWASP's rule, full-width operators included). Numbers
are written as numbers (a negative number stays ``-3.5``): only text is touched.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import IO, Any

from agentctl.csvcell import csv_cell, defuse, is_formula_like
from agentctl.services.reports.model import Field, Report, plain_value
from agentctl.timeutil import isoformat

PROGRESS_EVERY = 1000
__all__ = ["csv_cell", "defuse", "is_formula_like", "write_csv", "write_json"]

Progress = Callable[[int, int | None], None]


def _field_cell(value: Any, field: Field) -> str:
    return csv_cell(plain_value(value, field.kind))


def _counted(report: Report, progress: Progress | None) -> Iterator[tuple[Any, ...]]:
    done = 0
    for row in report.rows():
        yield row
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, report.total_rows)
    if progress is not None:
        progress(done, report.total_rows)


# --- issue 15: the row path, one cell function per column -----------------------------
def _datetime_cell(value: Any) -> str:
    if value is None:
        return ""
    # Rows from the database are already aware UTC datetimes: skip the conversion.
    return value.isoformat() if value.tzinfo is UTC else str(isoformat(value))


def _float_cell(value: Any) -> str:
    return "" if value is None else str(round(float(value), 2))


def _int_cell(value: Any) -> str:
    return "" if value is None else str(int(value))


def cell_function(field: Field) -> Callable[[Any], str]:
    """``csv_cell`` for one column: numbers and timestamps converted directly (the same
    text as ``csv_cell``), everything else through ``csv_cell`` (formula safety)."""
    fast = {"datetime": _datetime_cell, "float": _float_cell, "int": _int_cell}.get(field.kind)
    if fast is not None:
        return fast
    return lambda value: _field_cell(value, field)


# --- end issue 15 ------------------------------------------------------------------------


def write_csv(report: Report, out: IO[str], progress: Progress | None = None) -> int:
    """The detail rows as CSV (header = field keys); returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    fields = list(report.fields)
    writer.writerow([f.key for f in fields])
    cells = [cell_function(f) for f in fields]
    count = 0
    try:
        for row in _counted(report, progress):
            writer.writerow([cell(v) for cell, v in zip(cells, row, strict=True)])
            count += 1
    except BrokenPipeError as exc:
        exc.rows_written = count  # type: ignore[attr-defined]  # the run records it
        raise
    return count


def write_json(report: Report, out: IO[str], progress: Progress | None = None) -> int:
    """``{"report", "window", "tenant", "generated_at", "summary", "rows"}``, rows streamed."""

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    figures = {f.key: plain_value(f.value, f.kind) for f in report.figures}
    summary: dict[str, Any] = dict(figures)
    for section in report.sections:
        summary[section.key] = [
            {f.key: plain_value(v, f.kind) for f, v in zip(section.fields, row, strict=True)}
            for row in section.rows
        ]
    head = {
        "report": report.report_type,
        "window": report.window.as_dict(),
        "tenant": report.tenant,
        "generated_at": isoformat(report.generated_at),
        "parameters": report.parameters,
        "summary": summary,
    }
    opening = json.dumps(head, ensure_ascii=False, indent=2, default=str)
    out.write(opening[:-2] + ',\n  "rows": [')  # reopen the object to stream the rows
    fields = list(report.fields)
    count = 0
    try:
        for row in _counted(report, progress):
            obj = {f.key: plain_value(v, f.kind) for f, v in zip(fields, row, strict=True)}
            out.write(("\n    " if count == 0 else ",\n    ") + dumps(obj))
            count += 1
    except BrokenPipeError as exc:
        exc.rows_written = count  # type: ignore[attr-defined]  # the run records it
        raise
    out.write("\n  ]\n}\n" if count else "]\n}\n")
    return count
