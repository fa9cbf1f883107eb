"""XLSX reports (xlsxwriter): a Summary sheet with a native bar chart, a Details sheet,
and a sheet per trend section.

Cells are typed: counts are integers, durations are true Excel durations (``[h]:mm``, so
they sum and sort), rates are percentages, timestamps are Excel datetimes (UTC; Excel has
no time zones, so the headers say "UTC"), text is always written as a string, never
parsed as a formula. Text that *looks* like a formula also gets Excel's quote-prefix
style, so it stays text even when a user edits the cell. Name columns come first and
machine ids last; agents in charts are named by name.

The chart sits to the right of the widest table on the Summary sheet, so it never covers
a cell with data. Every sheet prints landscape, one page wide, with its header row
repeated and the page number in the footer.

The workbook is written in xlsxwriter's constant-memory mode, row by row, so the details
stream like CSV does; an XLSX sheet holds at most 1,048,575 data rows, beyond which the
report must be CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentctl.errors import RuntimeFailure
from agentctl.services.reports.model import (
    DURATION_KINDS,
    NUMERIC_KINDS,
    UNASSIGNED,
    Chart,
    Field,
    Report,
    Section,
    partial_period,
)
from agentctl.services.reports.text_formats import Progress, _counted, is_formula_like

MAX_ROWS = 1_048_575
CHART_GAP = 1  # empty columns between the widest table and the chart
DEFAULT_WIDTH = 8.43  # an Excel column's width when none is set, in characters
TEXT_KINDS = ("text", "agent", "id")


def xlsx_order(fields: Sequence[Field]) -> list[int]:
    """Column order: names first, then the rest as defined, machine ids last."""

    def rank(i: int) -> int:
        return 0 if fields[i].key == "agent_name" else 2 if fields[i].kind == "id" else 1

    return sorted(range(len(fields)), key=lambda i: (rank(i), i))


def xlsx_title(field: Field) -> str:
    return f"{field.title} (h:mm)" if field.kind in DURATION_KINDS else field.title


def header_lines(title: str, width: float) -> int:
    """The lines a wrapped header takes in a column ``width`` characters wide."""
    lines, used = 1, 0
    for word in title.split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return lines


def column_width(field: Field) -> float:
    """A column holds its values; its header wraps at spaces (never cuts a word)."""
    base = 11.0 if field.kind in DURATION_KINDS else field.width
    return max(base, *(len(word) + 1 for word in xlsx_title(field).split())) + 1


class _Sheets:
    """The formats of one workbook and typed cell writes."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.bold = workbook.add_format({"bold": True})
        header = {"bold": True, "bg_color": "#DDE4EE", "bottom": 1, "text_wrap": True}
        self.header = workbook.add_format({**header, "valign": "top"})
        # over numbers, the header sits right, where the digits are
        self.header_right = workbook.add_format({**header, "valign": "top", "align": "right"})
        self.quoted = workbook.add_format({"quote_prefix": True})
        self.periods: dict[str, Any] = {}  # trend buckets' formats by their text
        self.widths: dict[int, float] = {}
        number = {"count": "#,##0", "int": "#,##0", "float": "#,##0.00"}
        self.formats = {kind: workbook.add_format({"num_format": f}) for kind, f in number.items()}
        self.formats["datetime"] = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.formats["duration"] = workbook.add_format({"num_format": "[h]:mm"})
        self.formats["percent"] = workbook.add_format({"num_format": "0.0%"})

    def cell(self, sheet: Any, row: int, col: int, value: Any, kind: str) -> None:
        if value is None:
            return
        if kind in ("int", "count"):
            sheet.write_number(row, col, int(value), self.formats["count"])
        elif kind == "float":  # 2 decimals, as in every format: no float noise from SQL
            sheet.write_number(row, col, round(float(value), 2), self.formats[kind])
        elif kind == "minutes":  # Excel durations are days
            sheet.write_number(row, col, float(value) / 1440, self.formats["duration"])
        elif kind == "hours":
            sheet.write_number(row, col, float(value) / 24, self.formats["duration"])
        elif kind == "percent":
            sheet.write_number(row, col, float(value) / 100, self.formats["percent"])
        elif kind == "datetime":
            sheet.write_datetime(row, col, value.replace(tzinfo=None), self.formats["datetime"])
        elif kind == "bool":
            sheet.write_boolean(row, col, bool(value))
        else:
            text = str(value)
            sheet.write_string(row, col, text, self.quoted if is_formula_like(text) else None)

    def header_row(self, sheet: Any, row: int, fields: Sequence[Field]) -> None:
        for col, field in enumerate(fields):
            style = self.header_right if field.kind in NUMERIC_KINDS else self.header
            sheet.write_string(row, col, xlsx_title(field), style)

    def period(
        self, sheet: Any, row: int, col: int, start: Any, section: Section, report: Report
    ) -> None:
        """A trend bucket's start as an Excel date that reads ``28 Nov 2026``, or
        ``28 Nov 2026 (to 09:14)`` when the window covers only part of it (the text is
        part of the number format, so the cell stays a date that sorts and filters)."""
        window = report.window
        partial = partial_period(start, str(section.period), window.since, window.until)
        text = "d mmm yyyy" if section.period == "day" else '"week of "d mmm yyyy'
        if partial is not None:
            text += f'" ({partial})"'
        if text not in self.periods:
            self.periods[text] = self.workbook.add_format({"num_format": text, "align": "left"})
        sheet.write_datetime(row, col, start.replace(tzinfo=None), self.periods[text])

    def rows(self, sheet: Any, first: int, fields: Sequence[Field], rows: Sequence[Any]) -> None:
        order = xlsx_order(fields)
        for r, values in enumerate(rows, start=first):
            for col, i in enumerate(order):
                self.cell(sheet, r, col, values[i], fields[i].kind)

    def table(self, sheet: Any, row: int, section: Section) -> int:
        """Write a section with its title at ``row``; return the next free row."""
        order = xlsx_order(section.fields)
        fields = [section.fields[i] for i in order]
        sheet.write_string(row, 0, section.title, self.bold)
        self.header_row(sheet, row + 1, fields)
        self.rows(sheet, row + 2, section.fields, section.rows)
        for col, (i, field) in enumerate(zip(order, fields, strict=True)):
            texts = [str(r[i]) for r in section.rows if field.kind in TEXT_KINDS and r[i]]
            self.fit(col, xlsx_title(field), *texts)
        return row + 2 + len(section.rows) + 1

    def fit(self, col: int, *texts: str) -> None:
        """Widen column ``col`` of the sheet being written to hold ``texts`` (the Summary
        sheet holds tables of different shapes, so it is sized by what it holds)."""
        longest = max((len(t) for t in texts), default=0)
        self.widths[col] = max(self.widths.get(col, 11.0), min(longest * 1.05 + 2, 48))


def _print_setup(sheet: Any, report: Report, header_row: int | None) -> None:
    """Landscape A4, one page wide, the header row on every page, ``Page N of M``."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    if header_row is not None:
        sheet.repeat_rows(header_row)
    title = report.title.replace("&", "&&")
    sheet.set_footer(f"&L{title}&RPage &P of &N")


def _size_columns(sheet: Any, fields: Sequence[Field]) -> None:
    """Each column its width, and the header row tall enough for its wrapped titles."""
    widths = [column_width(field) for field in fields]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    lines = max(
        (header_lines(xlsx_title(f), w - 1) for f, w in zip(fields, widths, strict=True)),
        default=1,
    )
    sheet.set_row(0, 15 * lines)


def _details(sheets: _Sheets, report: Report, progress: Progress | None) -> int:
    sheet = sheets.workbook.add_worksheet("Details")
    order = xlsx_order(report.fields)
    fields = [report.fields[i] for i in order]
    _size_columns(sheet, fields)
    sheet.freeze_panes(1, 0)
    _print_setup(sheet, report, 0)
    sheets.header_row(sheet, 0, fields)
    count = 0
    for count, row in enumerate(_counted(report, progress), start=1):
        if count > MAX_ROWS:
            raise RuntimeFailure(
                f"the report has more than {MAX_ROWS:,} rows, more than an XLSX sheet holds; "
                "use --format csv"
            )
        for col, i in enumerate(order):
            sheets.cell(sheet, count, col, row[i], fields[col].kind)
    sheet.autofilter(0, 0, max(count, 1), len(fields) - 1)
    return count


def _chart_label(report: Report, label: str) -> str:
    return UNASSIGNED if label == UNASSIGNED else report.agent_label(label)


def _chart(sheets: _Sheets, sheet: Any, row: int, report: Report, chart: Chart) -> tuple[int, Any]:
    """The chart's numbers as a small table at ``row`` (a native chart reads cells), and
    the chart drawn from them; returns the table's width in columns and the chart."""
    kind = {"minutes": "minutes", "percent": "percent"}.get(chart.unit, "count")
    series = chart.series if chart.kind == "stacked" else (chart.value_title,)
    fields = [Field("label", "Agent")]
    fields += [Field(f"s{i}", name, kind) for i, name in enumerate(series)]  # type: ignore[arg-type]
    sheet.write_string(row, 0, chart.title, sheets.bold)
    sheets.header_row(sheet, row + 1, fields)
    first = row + 2
    for r, (label, parts) in enumerate(chart.segments(), start=first):
        sheets.cell(sheet, r, 0, _chart_label(report, label), "text")
        sheets.fit(0, _chart_label(report, label))
        for col, value in enumerate(parts, start=1):
            sheets.cell(sheet, r, col, value, kind)
    for col, f in enumerate(fields):
        sheets.fit(col, xlsx_title(f))
    last = first + len(chart.bars) - 1
    bar = sheets.workbook.add_chart(
        {"type": "bar", "subtype": "stacked"} if chart.kind == "stacked" else {"type": "bar"}
    )
    for col, name in enumerate(series, start=1):
        bar.add_series(
            {
                "name": name,
                "categories": ["Summary", first, 0, last, 0],
                "values": ["Summary", first, col, last, col],
                "gap": 60,
            }
        )
    bar.set_title({"name": chart.title, "name_font": {"size": 12}})
    if chart.kind != "stacked":
        bar.set_legend({"none": True})
    else:
        bar.set_legend({"position": "top"})
    num_format = {"minutes": "[h]:mm", "percent": "0%"}.get(chart.unit, "#,##0")
    bar.set_x_axis({"num_format": num_format, "major_gridlines": {"visible": True}})
    bar.set_y_axis({"reverse": True})  # largest bar on top, as in the table
    bar.set_size({"width": 640, "height": max(300, 20 * len(chart.bars) + 90)})
    return len(fields), bar


def _summary(sheets: _Sheets, report: Report) -> None:
    sheet = sheets.workbook.add_worksheet("Summary")
    sheet.write_string(0, 0, report.title, sheets.title)
    row = 1
    for label, value in report.header_lines():
        sheet.write_string(row, 0, label, sheets.bold)
        sheet.write_string(row, 1, value)
        row += 1
    row += 1
    sheet.write_string(row, 0, "Figure", sheets.header)
    sheet.write_string(row, 1, "Value", sheets.header_right)
    labels = [f"{f.label} (h:mm)" if f.kind in DURATION_KINDS else f.label for f in report.figures]
    for figure, label in zip(report.figures, labels, strict=True):
        row += 1
        sheet.write_string(row, 0, label)
        sheets.cell(sheet, row, 1, figure.value, figure.kind)
    row += 2
    widest = 2
    for section in report.sections:
        if not section.own_sheet:
            row = sheets.table(sheet, row, section)
            widest = max(widest, len(section.fields))
    chart = report.chart
    bar = None
    if chart is not None and chart.bars:
        columns, bar = _chart(sheets, sheet, row, report, chart)
        widest = max(widest, columns)
    sheets.fit(0, *labels)
    # Every Summary column holds its longest header whole (tables of different shapes
    # share the columns, so a header row there is never made taller).
    widths = dict(sheets.widths)
    for col, width in widths.items():
        sheet.set_column(col, col, width)
    if bar is not None:
        # Right of the widest table, and right of the header lines' text, which runs on
        # from column B into the empty cells beside it: the chart must not hide it.
        overflow = max(len(value) for _, value in report.header_lines()) * 1.1
        col, room = 1, 0.0
        while room < overflow:
            room += widths.get(col, DEFAULT_WIDTH)
            col += 1
        sheet.insert_chart(1, max(widest + CHART_GAP, col), bar, {"x_offset": 8, "y_offset": 4})
    _print_setup(sheet, report, None)


def _section_sheet(sheets: _Sheets, report: Report, section: Section) -> None:
    sheet = sheets.workbook.add_worksheet(section.key.replace("_", " ").title()[:31])
    order = xlsx_order(section.fields)
    fields = [section.fields[i] for i in order]
    _size_columns(sheet, fields)
    if section.period is not None:  # the bucket, with "(to 09:14)" when partial
        sheet.set_column(0, 0, 30 if section.period == "week" else 24)
    sheet.freeze_panes(1, 0)
    _print_setup(sheet, report, 0)
    sheets.header_row(sheet, 0, fields)
    for r, values in enumerate(section.rows, start=1):
        for col, i in enumerate(order):
            if section.period is not None and i == 0:
                sheets.period(sheet, r, col, values[i], section, report)
            else:
                sheets.cell(sheet, r, col, values[i], section.fields[i].kind)
    sheet.autofilter(0, 0, max(len(section.rows), 1), len(fields) - 1)


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
                _section_sheet(sheets, report, section)
        workbook.set_properties({"title": report.title, "creator": "agentctl"})
    finally:
        workbook.close()
    return count
