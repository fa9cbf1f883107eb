"""XLSX reports (xlsxwriter): a Summary sheet with a native bar chart, a Details sheet,
and a sheet per trend section.

Cells are typed: numbers are numbers, timestamps are Excel datetimes (UTC; Excel has no
time zones, so the headers say "UTC"), text is always written as a string, never parsed
as a formula. Text that *looks* like a formula also gets Excel's quote-prefix style, so it
stays text even when a user edits the cell.

The workbook is written in xlsxwriter's constant-memory mode, row by row, so the details
stream like CSV does; an XLSX sheet holds at most 1,048,575 data rows, beyond which the
report must be CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentctl.errors import RuntimeFailure
from agentctl.services.reports.model import Chart, Field, Report, Section
from agentctl.services.reports.text_formats import Progress, _counted, is_formula_like

MAX_ROWS = 1_048_575


class _Sheets:
    """The formats of one workbook and typed cell writes."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.bold = workbook.add_format({"bold": True})
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#DDE4EE", "bottom": 1, "text_wrap": True}
        )
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.formats = {
            "int": workbook.add_format({"num_format": "#,##0"}),
            "float": workbook.add_format({"num_format": "#,##0.00"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        }

    def cell(self, sheet: Any, row: int, col: int, value: Any, kind: str) -> None:
        if value is None:
            return
        if kind == "int":
            sheet.write_number(row, col, int(value), self.formats[kind])
        elif kind == "float":  # 2 decimals, as in every format: no float noise from SQL
            sheet.write_number(row, col, round(float(value), 2), self.formats[kind])
        elif kind == "datetime":
            sheet.write_datetime(row, col, value.replace(tzinfo=None), self.formats["datetime"])
        elif kind == "bool":
            sheet.write_boolean(row, col, bool(value))
        else:
            text = str(value)
            sheet.write_string(row, col, text, self.quoted if is_formula_like(text) else None)

    def header_row(self, sheet: Any, row: int, fields: Sequence[Field]) -> None:
        for col, field in enumerate(fields):
            sheet.write_string(row, col, field.title, self.header)

    def table(self, sheet: Any, row: int, section: Section) -> int:
        """Write a section with its title at ``row``; return the next free row."""
        sheet.write_string(row, 0, section.title, self.bold)
        self.header_row(sheet, row + 1, section.fields)
        for i, values in enumerate(section.rows, start=row + 2):
            for col, (field, value) in enumerate(zip(section.fields, values, strict=True)):
                self.cell(sheet, i, col, value, field.kind)
        return row + 2 + len(section.rows) + 1


def _size_columns(sheet: Any, fields: Sequence[Field]) -> None:
    for col, field in enumerate(fields):
        sheet.set_column(col, col, max(field.width, len(field.title) * 0.9) + 1)


def _details(sheets: _Sheets, report: Report, progress: Progress | None) -> int:
    sheet = sheets.workbook.add_worksheet("Details")
    fields = list(report.fields)
    _size_columns(sheet, fields)
    sheet.freeze_panes(1, 0)
    sheets.header_row(sheet, 0, fields)
    count = 0
    for count, row in enumerate(_counted(report, progress), start=1):
        if count > MAX_ROWS:
            raise RuntimeFailure(
                f"the report has more than {MAX_ROWS:,} rows, more than an XLSX sheet holds; "
                "use --format csv"
            )
        for col, (field, value) in enumerate(zip(fields, row, strict=True)):
            sheets.cell(sheet, count, col, value, field.kind)
    sheet.autofilter(0, 0, max(count, 1), len(fields) - 1)
    return count


def _summary(sheets: _Sheets, report: Report) -> None:
    sheet = sheets.workbook.add_worksheet("Summary")
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 8, 16)
    sheet.write_string(0, 0, report.title, sheets.title)
    row = 1
    for label, value in report.header_lines():
        sheet.write_string(row, 0, label, sheets.bold)
        sheet.write_string(row, 1, value)
        row += 1
    row += 1
    sheet.write_string(row, 0, "Figure", sheets.header)
    sheet.write_string(row, 1, "Value", sheets.header)
    sheet.freeze_panes(row + 1, 0)
    for figure in report.figures:
        row += 1
        sheet.write_string(row, 0, figure.label)
        sheets.cell(sheet, row, 1, figure.value, figure.kind)
    row += 2
    for section in report.sections:
        if not section.own_sheet:
            row = sheets.table(sheet, row, section)
    chart = report.chart
    if chart is None or not chart.bars:
        return
    if chart.series:
        _stacked_chart(sheets, sheet, row, chart)
        return
    # A native chart reads its data from cells: a small table of the bars it draws.
    sheet.write_string(row, 0, chart.title, sheets.bold)
    first = row + 2
    sheets.header_row(sheet, row + 1, [Field("label", "Agent"), Field("v", chart.value_title)])
    for i, (label, amount) in enumerate(chart.bars, start=first):
        sheets.cell(sheet, i, 0, label, "text")
        sheet.write_number(i, 1, amount, sheets.formats["float"])
    last = first + len(chart.bars) - 1
    bar = sheets.workbook.add_chart({"type": "bar"})
    bar.add_series(
        {
            "name": chart.value_title,
            "categories": ["Summary", first, 0, last, 0],
            "values": ["Summary", first, 1, last, 1],
        }
    )
    bar.set_title({"name": chart.title})
    bar.set_legend({"none": True})
    bar.set_y_axis({"reverse": True})  # largest bar on top, as in the table
    bar.set_size({"width": 720, "height": max(300, 22 * len(chart.bars) + 80)})
    sheet.insert_chart(1, 3, bar)


def _stacked_chart(sheets: _Sheets, sheet: Any, row: int, chart: Chart) -> None:
    """A native stacked bar chart: one column of cells per segment (availability)."""
    sheet.write_string(row, 0, chart.title, sheets.bold)
    first = row + 2
    names = [Field("label", "Agent"), *(Field(f"s{i}", n) for i, n in enumerate(chart.series))]
    sheets.header_row(sheet, row + 1, names)
    for i, ((label, _), parts) in enumerate(zip(chart.bars, chart.stacks, strict=True), first):
        sheets.cell(sheet, i, 0, label, "text")
        for j, part in enumerate(parts, start=1):
            sheet.write_number(i, j, part, sheets.formats["float"])
    last = first + len(chart.bars) - 1
    bar = sheets.workbook.add_chart({"type": "bar", "subtype": "stacked"})
    for j, name in enumerate(chart.series, start=1):
        bar.add_series(
            {
                "name": name,
                "categories": ["Summary", first, 0, last, 0],
                "values": ["Summary", first, j, last, j],
                "fill": {"color": STACK_COLOURS[(j - 1) % len(STACK_COLOURS)]},
            }
        )
    bar.set_title({"name": chart.title})
    bar.set_x_axis({"name": chart.value_title})
    bar.set_legend({"position": "bottom"})
    bar.set_y_axis({"reverse": True})
    bar.set_size({"width": 720, "height": max(300, 22 * len(chart.bars) + 110)})
    sheet.insert_chart(1, 2 + len(chart.series), bar)  # right of the chart's cells


# Stacked segments: available, busy, away, offline (the status badge colours).
STACK_COLOURS = ("#2e9d4f", "#d64541", "#e0a526", "#9aa0a6")


def _section_sheet(sheets: _Sheets, section: Section) -> None:
    sheet = sheets.workbook.add_worksheet(section.key.replace("_", " ").title()[:31])
    _size_columns(sheet, section.fields)
    sheet.freeze_panes(1, 0)
    sheets.header_row(sheet, 0, section.fields)
    for i, values in enumerate(section.rows, start=1):
        for col, (field, value) in enumerate(zip(section.fields, values, strict=True)):
            sheets.cell(sheet, i, col, value, field.kind)
    sheet.autofilter(0, 0, max(len(section.rows), 1), len(section.fields) - 1)


def write_xlsx(report: Report, path: Path, progress: Progress | None = None) -> int:
    """Write the workbook to ``path``; returns the number of detail rows."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "tmpdir": str(path.parent),
        },
    )
    try:
        sheets = _Sheets(workbook)
        _summary(sheets, report)
        count = _details(sheets, report, progress)
        for section in report.sections:
            if section.own_sheet:
                _section_sheet(sheets, section)
        workbook.set_properties({"title": report.title, "creator": "agentctl"})
    finally:
        workbook.close()
    return count
