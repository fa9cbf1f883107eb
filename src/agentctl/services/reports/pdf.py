"""PDF reports (fpdf2): title, window, tenant, generation time, the summary figures, a bar
chart drawn with PDF primitives, the summary tables and the detail table, paged with its
header repeated on every page, landscape when the table is wide.

The text is set in DejaVu Sans, the Unicode TrueType font matplotlib ships, embedded as a
subset, so a subject in Cyrillic, German or Spanish renders (the core Helvetica cannot).

A PDF is for reading, not for processing: the detail table stops after ``MAX_ROWS`` rows
with a note saying how many were left out (CSV and XLSX carry every row).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentctl.services.reports.model import Field, Report, Section, display_value
from agentctl.services.reports.text_formats import Progress

MAX_ROWS = 10_000
FONT = "DejaVu"
LANDSCAPE_WIDTH = 120  # total column width (characters) beyond which the page turns
ROW_H = 5.0
HEADER_FILL = (221, 228, 238)
BAR_FILL = (70, 110, 170)
# Stacked segments: available, busy, away, offline (the status badge colours).
STACK_FILLS = ((46, 157, 79), (214, 69, 65), (224, 165, 38), (154, 160, 166))


def font_paths() -> tuple[Path, Path]:
    """DejaVu Sans regular and bold, from matplotlib's data directory."""
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return fonts / "DejaVuSans.ttf", fonts / "DejaVuSans-Bold.ttf"


def _shown(fields: Sequence[Field]) -> list[int]:
    """Columns worth printing: ids are for machines (CSV, JSON, XLSX keep them)."""
    return [i for i, f in enumerate(fields) if f.key != "agent_id"]


class _Writer:
    def __init__(self, report: Report) -> None:
        from fpdf import FPDF

        shown = _shown(report.fields)
        width = sum(report.fields[i].width for i in shown)
        orientation = "L" if width > LANDSCAPE_WIDTH else "P"
        pdf = FPDF(orientation=orientation, unit="mm", format="A4")
        regular, bold = font_paths()
        pdf.add_font(FONT, "", str(regular))
        pdf.add_font(FONT, "B", str(bold))
        pdf.set_margins(12, 12, 12)
        pdf.set_auto_page_break(False)
        pdf.set_title(f"{report.title} - agentctl")
        pdf.set_creator("agentctl")
        self.pdf = pdf
        self.report = report
        self.footer_text = f"agentctl {report.report_type} report"

    # --- page furniture --------------------------------------------------------------

    @property
    def usable_width(self) -> float:
        return float(self.pdf.w - self.pdf.l_margin - self.pdf.r_margin)

    @property
    def bottom(self) -> float:
        return float(self.pdf.h - 14)

    def new_page(self) -> None:
        pdf = self.pdf
        pdf.add_page()
        pdf.set_font(FONT, "", 7)
        pdf.set_text_color(120)
        pdf.set_xy(pdf.l_margin, pdf.h - 10)
        pdf.cell(self.usable_width / 2, 4, self.footer_text)
        pdf.cell(self.usable_width / 2, 4, f"page {pdf.page_no()}", align="R")
        pdf.set_text_color(0)
        pdf.set_xy(pdf.l_margin, pdf.t_margin)

    def ensure_space(self, height: float) -> bool:
        """Start a new page unless ``height`` fits; True when a page was started."""
        if self.pdf.get_y() + height > self.bottom:
            self.new_page()
            return True
        return False

    def fit(self, text: str, width: float) -> str:
        """``text`` cut with an ellipsis to fit ``width`` in the current font."""
        pdf = self.pdf
        if len(text) * pdf.font_size * 0.3 < width - 1.5:  # cheap test first: surely fits
            return text
        if pdf.get_string_width(text) <= width - 1.5:
            return text
        while text and pdf.get_string_width(text + "…") > width - 1.5:
            text = text[:-1]
        return text + "…"

    # --- blocks ----------------------------------------------------------------------

    def heading(self) -> None:
        pdf, report = self.pdf, self.report
        pdf.set_font(FONT, "B", 16)
        pdf.cell(self.usable_width, 9, report.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        for label, value in report.header_lines():
            pdf.cell(24, 5, f"{label}:")
            pdf.cell(self.usable_width - 24, 5, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    def figures(self) -> None:
        pdf = self.pdf
        self.subtitle("Summary")
        pdf.set_font(FONT, "", 9)
        for figure in self.report.figures:
            self.ensure_space(ROW_H)
            pdf.cell(70, ROW_H, figure.label, border="B")
            pdf.cell(
                30, ROW_H, figure.display(), border="B", align="R", new_x="LMARGIN", new_y="NEXT"
            )
        pdf.ln(4)

    def subtitle(self, text: str) -> None:
        self.ensure_space(16)
        self.pdf.set_font(FONT, "B", 11)
        self.pdf.cell(self.usable_width, 7, text, new_x="LMARGIN", new_y="NEXT")

    def chart(self) -> None:
        chart = self.report.chart
        if chart is None or not chart.bars:
            return
        if chart.series:
            self.stacked_chart()
            return
        pdf = self.pdf
        bar_h, gap = 4.0, 1.2
        self.ensure_space(12 + len(chart.bars) * (bar_h + gap))
        self.subtitle(chart.title)
        label_w, value_w = 55.0, 18.0
        plot_w = min(self.usable_width, 190) - label_w - value_w
        top = max((value for _, value in chart.bars), default=0.0) or 1.0
        pdf.set_font(FONT, "", 7)
        pdf.set_fill_color(*BAR_FILL)
        x0 = pdf.l_margin
        for label, value in chart.bars:
            y = pdf.get_y()
            pdf.set_xy(x0, y)
            pdf.cell(label_w, bar_h, self.fit(label, label_w), align="R")
            length = plot_w * value / top
            if length > 0:
                pdf.rect(x0 + label_w + 1, y + 0.4, length, bar_h - 0.8, style="F")
            pdf.set_xy(x0 + label_w + 2 + length, y)
            pdf.cell(value_w, bar_h, display_value(value, "int" if value.is_integer() else "float"))
            pdf.set_xy(x0, y + bar_h + gap)
        # the value axis
        axis_y = pdf.get_y()
        pdf.line(x0 + label_w + 1, axis_y - gap, x0 + label_w + 1 + plot_w, axis_y - gap)
        pdf.ln(4)

    def stacked_chart(self) -> None:
        """Bars made of one segment per series (availability), with a legend."""
        chart = self.report.chart
        assert chart is not None
        pdf = self.pdf
        bar_h, gap = 4.0, 1.2
        self.ensure_space(20 + len(chart.bars) * (bar_h + gap))
        self.subtitle(chart.title)
        label_w, value_w = 55.0, 18.0
        plot_w = min(self.usable_width, 190) - label_w - value_w
        top = max((value for _, value in chart.bars), default=0.0) or 1.0
        pdf.set_font(FONT, "", 7)
        x0 = pdf.l_margin
        legend_x = x0 + label_w + 1
        for i, name in enumerate(chart.series):  # the legend
            pdf.set_fill_color(*STACK_FILLS[i % len(STACK_FILLS)])
            pdf.rect(legend_x, pdf.get_y() + 0.8, 3, 3, style="F")
            pdf.set_xy(legend_x + 4, pdf.get_y())
            pdf.cell(22, bar_h + 1, name)
            legend_x += 26
        pdf.set_xy(x0, pdf.get_y() + bar_h + 2)
        for (label, total), parts in zip(chart.bars, chart.stacks, strict=True):
            y = pdf.get_y()
            pdf.set_xy(x0, y)
            pdf.cell(label_w, bar_h, self.fit(label, label_w), align="R")
            x = x0 + label_w + 1
            for i, part in enumerate(parts):
                length = plot_w * part / top
                if length > 0:
                    pdf.set_fill_color(*STACK_FILLS[i % len(STACK_FILLS)])
                    pdf.rect(x, y + 0.4, length, bar_h - 0.8, style="F")
                    x += length
            pdf.set_xy(x + 1, y)
            pdf.cell(value_w, bar_h, display_value(total, "float"))
            pdf.set_xy(x0, y + bar_h + gap)
        pdf.ln(4)

    def table(self, title: str, fields: Sequence[Field], rows: Any, *, limit: int | None) -> int:
        """A table paged with its header repeated; returns the number of rows drawn."""
        pdf = self.pdf
        shown = _shown(fields)
        weights = [max(fields[i].width, 5) for i in shown]
        scale = self.usable_width / sum(weights)
        widths = [w * scale for w in weights]
        aligns = ["R" if fields[i].kind in ("int", "float") else "L" for i in shown]
        font_size = 7 if len(shown) > 8 else 8

        def header() -> None:
            pdf.set_font(FONT, "B", font_size)
            pdf.set_fill_color(*HEADER_FILL)
            for i, w in zip(shown, widths, strict=True):
                pdf.cell(w, ROW_H + 1, self.fit(fields[i].title, w), border=1, fill=True)
            pdf.ln(ROW_H + 1)
            pdf.set_font(FONT, "", font_size)

        self.subtitle(title)
        self.ensure_space(3 * ROW_H)
        header()
        count = 0
        for row in rows:
            if limit is not None and count >= limit:
                break
            if self.ensure_space(ROW_H):
                header()
            for i, w, align in zip(shown, widths, aligns, strict=True):
                text = display_value(row[i], fields[i].kind)
                pdf.cell(w, ROW_H, self.fit(text, w), border="B", align=align)
            pdf.ln(ROW_H)
            count += 1
        if count == 0:
            pdf.set_font(FONT, "", 8)
            pdf.cell(self.usable_width, ROW_H, "(none)", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        return count

    def section(self, section: Section) -> None:
        self.table(section.title, section.fields, section.rows, limit=None)


def write_pdf(report: Report, path: Path, progress: Progress | None = None) -> int:
    """Write the PDF to ``path``; returns the number of detail rows it shows."""
    writer = _Writer(report)
    writer.new_page()
    writer.heading()
    writer.figures()
    writer.chart()
    for section in report.sections:
        writer.section(section)
    rows = report.rows()
    try:
        count = writer.table("Details", report.fields, rows, limit=MAX_ROWS)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    if report.total_rows > count:
        writer.pdf.set_font(FONT, "", 9)
        writer.pdf.multi_cell(
            writer.usable_width,
            5,
            f"The PDF shows the first {count:,} of {report.total_rows:,} rows; "
            "export CSV or XLSX for all of them.",
        )
    if progress is not None:
        progress(count, report.total_rows)
    writer.pdf.output(str(path))
    return count
