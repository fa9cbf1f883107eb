"""PDF reports (fpdf2), laid out for a manager reading them on paper or on screen.

Page 1: the title block (window, tenant, generation time, and, when the details are
capped, how many rows the PDF leaves out), the headline figures as a row of boxes, and the
chart. Then the summary tables and the details, paged with their header repeated. Column
widths come from the text itself (``pdf_table``); durations read ``1d 11h 55m``, rates
``87.5%``, agents by name.

The text is set in DejaVu Sans, vendored in the package and embedded as a subset, so
Cyrillic, Greek or accented subjects render; a character the font lacks (CJK, emoji)
shows as a placeholder and is named once in ``report.warnings``.

A PDF is for reading, not processing: the details stop at ``MAX_ROWS`` rows, the ones the
reader needs most (``Report.top_rows``); CSV and XLSX carry every row.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

from agentctl.services.reports.model import UNASSIGNED, Report, display_value
from agentctl.services.reports.pdf_canvas import (
    ACCENT,
    INK,
    MARGIN,
    MUTED,
    PALETTE,
    RULE,
    WARN,
    Canvas,
)
from agentctl.services.reports.pdf_table import Table, pdf_columns
from agentctl.services.reports.text_formats import Progress

MAX_ROWS = 10_000
PORTRAIT_WIDTH = 186.0  # mm of table that fit an A4 page upright
BOX_MIN_W = 36.0
BOX_H = 17.0


def _detail_rows(report: Report) -> tuple[list[tuple[Any, ...]], str | None]:
    """The rows the PDF prints (at most MAX_ROWS) and, when capped, the note saying so."""
    if not report.capped:
        return list(report.rows()), None
    source = report.top_rows(MAX_ROWS) if report.top_rows else report.rows()
    try:
        rows = list(islice(source, MAX_ROWS))
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    left_out = report.total_rows - len(rows)
    if left_out <= 0:
        return rows, None
    note = (
        f"This PDF lists {len(rows):,} of {report.total_rows:,} detail rows "
        f"({report.top_rows_order}); {left_out:,} are left out. "
        "CSV and XLSX carry every row."
    )
    return rows, note


def _orientation(canvas: Canvas, report: Report, rows: list[tuple[Any, ...]]) -> str:
    table = Table(canvas, report, report.fields, rows)
    return "L" if table.width > PORTRAIT_WIDTH - 0.5 or len(table.columns) > 8 else "P"


class _Document:
    def __init__(self, report: Report, canvas: Canvas) -> None:
        self.report = report
        self.canvas = canvas

    def title_block(self, note: str | None) -> None:
        canvas, report = self.canvas, self.report
        canvas.set_font("B", 18)
        canvas.cell(MARGIN, canvas.y, canvas.width, 9, canvas.fit(report.title, canvas.width))
        canvas.pdf.set_xy(MARGIN, canvas.y + 10)
        canvas.set_font("", 9)
        canvas.pdf.set_text_color(*MUTED)
        for label, value in report.header_lines():
            canvas.cell(MARGIN, canvas.y, 22, 4.6, f"{label}:")
            canvas.cell(
                MARGIN + 22, canvas.y, canvas.width - 22, 4.6, canvas.fit(value, canvas.width - 22)
            )
            canvas.pdf.set_xy(MARGIN, canvas.y + 4.6)
        canvas.pdf.set_text_color(*INK)
        if note is not None:
            canvas.set_font("B", 9)
            canvas.pdf.set_text_color(*WARN)
            for line in canvas.wrap(note, canvas.width):
                canvas.cell(MARGIN, canvas.y + 0.8, canvas.width, 4.6, line)
                canvas.pdf.set_xy(MARGIN, canvas.y + 4.6)
            canvas.pdf.set_text_color(*INK)
        canvas.pdf.set_xy(MARGIN, canvas.y + 4)

    def figure_boxes(self) -> None:
        """The headline figures as boxes: the value large, its label below."""
        canvas, figures = self.canvas, self.report.figures
        if not figures:
            return
        gap = 3.0
        per_row = max(1, min(len(figures), int((canvas.width + gap) // (BOX_MIN_W + gap))))
        rows = -(-len(figures) // per_row)
        per_row = -(-len(figures) // rows)  # balance the rows: 10 figures are 5 + 5
        box_w = (canvas.width - gap * (per_row - 1)) / per_row
        for start in range(0, len(figures), per_row):
            y = canvas.y
            for n, figure in enumerate(figures[start : start + per_row]):
                x = MARGIN + n * (box_w + gap)
                canvas.pdf.set_draw_color(*RULE)
                canvas.pdf.set_line_width(0.3)
                canvas.pdf.rect(
                    x, y, box_w, BOX_H, style="D", round_corners=True, corner_radius=1.5
                )
                canvas.rect(x, y + 1, 0.9, BOX_H - 2, ACCENT)
                size = 15.0
                canvas.set_font("B", size)
                value = canvas.clean(figure.display())
                while size > 8 and canvas.text_width(value) > box_w - 4:
                    size -= 1
                    canvas.set_font("B", size)
                canvas.cell(x + 1, y + 1.5, box_w - 2, 8, canvas.fit(value, box_w - 2), align="C")
                canvas.set_font("", 7)
                canvas.pdf.set_text_color(*MUTED)
                for i, line in enumerate(canvas.wrap(figure.label, box_w - 2, max_lines=2)):
                    canvas.cell(x + 1, y + 9.6 + i * 3.2, box_w - 2, 3.2, line, align="C")
                canvas.pdf.set_text_color(*INK)
            canvas.pdf.set_xy(MARGIN, y + BOX_H + gap)
        canvas.pdf.set_xy(MARGIN, canvas.y + 2)

    def chart(self) -> None:
        chart = self.report.chart
        if chart is None or not chart.bars:
            return
        canvas = self.canvas
        segments = chart.segments()
        legend_h = 5.0 if chart.kind == "stacked" else 0.0
        pitch = min(5.5, (canvas.room() - 10 - legend_h) / len(segments))
        if pitch < 3.0:  # too little room left on this page: the chart starts a page
            canvas.new_page()
            pitch = min(5.5, (canvas.room() - 10 - legend_h) / len(segments))
        canvas.set_font("B", 11)
        canvas.cell(MARGIN, canvas.y, canvas.width, 7, canvas.fit(chart.title, canvas.width))
        canvas.pdf.set_xy(MARGIN, canvas.y + 7)
        font = max(5.5, min(8.0, pitch * 2.0))
        canvas.set_font("", font)
        labels = [self.label(label) for label, _ in segments]
        pad = 2 * canvas.pdf.c_margin + 1.5
        label_w = min(70.0, max(canvas.text_width(canvas.clean(t)) for t in labels) + pad)
        values = [self.value(total, chart.unit) for _, total in chart.bars]
        value_w = max(canvas.text_width(v) for v in values) + pad
        plot_w = min(canvas.width, 250.0) - label_w - value_w
        x0 = MARGIN + label_w
        if chart.kind == "stacked":
            self.legend(chart.series, x0)
        top = max(total for _, total in chart.bars) or 1.0
        y = canvas.y
        for label, (_, parts), value in zip(labels, segments, values, strict=True):
            canvas.set_font("", font)
            canvas.cell(MARGIN, y, label_w - 1, pitch, canvas.fit(label, label_w - 1), align="R")
            x = x0
            for i, part in enumerate(parts):
                length = plot_w * part / top
                if length > 0:
                    canvas.rect(x, y + pitch * 0.15, length, pitch * 0.7, PALETTE[i % len(PALETTE)])
                x += length
            canvas.cell(x + 0.5, y, value_w, pitch, value)
            y += pitch
        canvas.rule(x0, canvas.y, x0, y, MUTED)
        canvas.set_font("", 7)
        canvas.pdf.set_text_color(*MUTED)
        canvas.cell(x0, y + 0.5, plot_w, 4, canvas.fit(chart.value_title, plot_w))
        canvas.pdf.set_text_color(*INK)
        canvas.pdf.set_xy(MARGIN, y + 7)

    def legend(self, series: tuple[str, ...], x: float) -> None:
        canvas = self.canvas
        canvas.set_font("", 7)
        for i, name in enumerate(series):
            canvas.rect(x, canvas.y + 1, 3, 3, PALETTE[i % len(PALETTE)])
            text = canvas.clean(name)
            canvas.cell(x + 3.5, canvas.y, canvas.text_width(text) + 3, 5, text)
            x += canvas.text_width(text) + 9
        canvas.pdf.set_xy(MARGIN, canvas.y + 5)

    def label(self, label: str) -> str:
        return UNASSIGNED if label == UNASSIGNED else self.report.agent_label(label)

    @staticmethod
    def value(value: float, unit: str) -> str:
        kind = {"minutes": "minutes", "percent": "percent"}.get(unit, "count")
        return display_value(value, kind)  # type: ignore[arg-type]

    def subtitle(self, text: str, table: Table) -> None:
        canvas = self.canvas
        note_h = 8.2 if table.left_out else 0.0
        canvas.ensure_space(8 + note_h + table.header_height() + 3 * table.row_h)
        canvas.set_font("B", 11)
        canvas.cell(MARGIN, canvas.y, canvas.width, 7, canvas.fit(text, canvas.width))
        canvas.pdf.set_xy(MARGIN, canvas.y + 7)

    def left_out_note(self, titles: list[str]) -> None:
        """One muted line under a table's title: the columns only CSV and XLSX carry."""
        canvas = self.canvas
        canvas.set_font("", 7)
        canvas.pdf.set_text_color(*MUTED)
        note = "Also in the XLSX and CSV: " + ", ".join(titles) + "."
        for line in canvas.wrap(note, canvas.width, max_lines=2):
            canvas.cell(MARGIN, canvas.y, canvas.width, 3.6, line)
            canvas.pdf.set_xy(MARGIN, canvas.y + 3.6)
        canvas.pdf.set_text_color(*INK)
        canvas.pdf.set_xy(MARGIN, canvas.y + 1)

    def table(self, title: str, table: Table, rows: list[tuple[Any, ...]]) -> int:
        self.subtitle(title, table)
        if table.left_out:
            self.left_out_note(table.left_out)
        count = table.draw(rows, title)
        self.canvas.pdf.set_xy(MARGIN, self.canvas.y + 6)
        return count


def write_pdf(report: Report, path: Path, progress: Progress | None = None) -> int:
    """Write the PDF to ``path``; returns the number of detail rows it shows."""
    rows, note = _detail_rows(report)
    canvas = Canvas(f"{report.title} - agentctl", f"agentctl {report.report_type} report")
    if pdf_columns(report.fields):
        canvas.orientation = _orientation(canvas, report, rows)
    document = _Document(report, canvas)
    canvas.new_page()
    document.title_block(note)
    document.figure_boxes()
    document.chart()
    for section in report.sections:
        table = Table(canvas, report, section.fields, section.rows, period=section.period)
        document.table(section.title, table, section.rows)
    details = Table(canvas, report, report.fields, rows)
    title = "Details" if note is None else f"Details: {len(rows):,} of {report.total_rows:,} rows"
    count = document.table(title, details, rows)
    if progress is not None:
        progress(count, report.total_rows)
    warning = canvas.glyphs.warning("PDF")
    if warning is not None:
        report.warnings.append(warning)
    canvas.pdf.output(str(path))
    return count
