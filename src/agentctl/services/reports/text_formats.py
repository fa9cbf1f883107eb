"""CSV and JSON report files, written row by row as the rows stream in.

Formula safety: every cell goes through ``agentctl.csvcell.csv_cell``, the one CSV cell
function that listings use too (OWASP's rule, full-width operators included). Numbers
are written as numbers (a negative number stays ``-3.5``): only text is touched.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from agentctl.csvcell import csv_cell, defuse, is_formula_like
from agentctl.services.reports.model import Report, plain_value
from agentctl.timeutil import isoformat

PROGRESS_EVERY = 1000
__all__ = ["csv_cell", "defuse", "is_formula_like", "write_csv", "write_json"]

Progress = Callable[[int, int | None], None]


def _counted(report: Report, progress: Progress | None) -> Iterator[tuple[Any, ...]]:
    done = 0
    for row in report.rows():
        yield row
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, report.total_rows)
    if progress is not None:
        progress(done, report.total_rows)


def write_csv(report: Report, out: IO[str], progress: Progress | None = None) -> int:
    """The detail rows as CSV (header = field keys); returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    fields = list(report.fields)
    writer.writerow([f.key for f in fields])
    count = 0
    for row in _counted(report, progress):
        writer.writerow(
            [csv_cell(plain_value(v, f.kind)) for v, f in zip(row, fields, strict=True)]
        )
        count += 1
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
    for row in _counted(report, progress):
        obj = {f.key: plain_value(v, f.kind) for f, v in zip(fields, row, strict=True)}
        out.write(("\n    " if count == 0 else ",\n    ") + dumps(obj))
        count += 1
    out.write("\n  ]\n}\n" if count else "]\n}\n")
    return count
