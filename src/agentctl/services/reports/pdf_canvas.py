"""The PDF page (fpdf2) as the report writers use it: the vendored font, page furniture,
and text that always fits its box: measured, cut with an ellipsis or wrapped, and with
any character the font lacks replaced by a visible placeholder."""

from __future__ import annotations

from typing import Any

from agentctl.services.reports.fonts import BOLD, REGULAR, MissingGlyphs, font_file

FONT = "DejaVu"
MARGIN = 12.0
FOOTER_H = 12.0
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
HEADER_FILL = (226, 232, 240)
STRIPE_FILL = (246, 248, 250)
ACCENT = (52, 101, 164)
WARN = (170, 60, 20)
PALETTE = ((52, 101, 164), (237, 150, 48), (150, 150, 150), (90, 90, 90), (115, 170, 90))


class Canvas:
    """An A4 document, millimetres, DejaVu Sans; pages in ``orientation`` ("P" or "L"),
    which may be chosen after measuring text but before the first page."""

    def __init__(self, title: str, footer: str, orientation: str = "P") -> None:
        from fpdf import FPDF

        pdf = FPDF(orientation="P", unit="mm", format="A4")
        self.orientation = orientation
        for style, name in (("", REGULAR), ("B", BOLD)):
            with font_file(name) as path:
                pdf.add_font(FONT, style, str(path))
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(False)
        pdf.c_margin = 1.2
        pdf.set_title(title)
        pdf.set_creator("agentctl")
        fonts: Any = pdf.fonts  # TTFFont objects, each with its character map
        covered = set(fonts["dejavu"].cmap) & set(fonts["dejavuB"].cmap)
        self.glyphs = MissingGlyphs(covered)
        self.pdf = pdf
        self.footer = footer
        self._style = ""
        self._size = 9.0
        self.set_font("", 9)

    # --- geometry ----------------------------------------------------------------------

    @property
    def width(self) -> float:
        if self.pdf.page == 0:  # measuring before the first page: the page to come
            return (297.0 if self.orientation == "L" else 210.0) - 2 * MARGIN
        return float(self.pdf.w - 2 * MARGIN)

    @property
    def bottom(self) -> float:
        return float(self.pdf.h - FOOTER_H)

    @property
    def y(self) -> float:
        return float(self.pdf.get_y())

    def room(self) -> float:
        return self.bottom - self.y

    def new_page(self) -> None:
        pdf = self.pdf
        pdf.add_page(orientation=self.orientation)
        style, size = self._style, self._size
        self.set_font("", 7)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(MARGIN, pdf.h - 9)
        pdf.cell(self.width / 2, 4, self.clean(self.footer))
        pdf.cell(self.width / 2, 4, f"page {pdf.page_no()}", align="R")
        pdf.set_text_color(*INK)
        pdf.set_xy(MARGIN, MARGIN)
        self.set_font(style, size)

    def ensure_space(self, height: float) -> bool:
        """Start a new page unless ``height`` fits; True when a page was started."""
        if self.y + height > self.bottom:
            self.new_page()
            return True
        return False

    # --- text --------------------------------------------------------------------------

    def set_font(self, style: str, size: float) -> None:
        self._style, self._size = style, size
        self.pdf.set_font(FONT, style, size)

    @property
    def line_h(self) -> float:
        return self._size * 0.3528 * 1.35  # points to mm, with leading

    def clean(self, text: str) -> str:
        return self.glyphs.clean(text)

    def text_width(self, text: str) -> float:
        """The width of cleaned ``text`` in the current font, in mm: the sum of the glyph
        advances, as ``FPDF.get_string_width`` computes it (no shaping, no spacing), at a
        fraction of its cost, since every cell of a long table is measured."""
        font: Any = self.pdf.current_font
        widths = font.cw
        return sum(widths[ord(ch)] for ch in text) * self._size * 0.001 / self.pdf.k

    def fit(self, text: str, width: float) -> str:
        """Cleaned ``text`` cut with an ellipsis so that it fits ``width`` with padding."""
        text = self.clean(text)
        room = width - 2 * self.pdf.c_margin
        if self.text_width(text) <= room:
            return text
        low, high = 0, len(text)  # the longest prefix that fits with the ellipsis
        while low < high:
            mid = (low + high + 1) // 2
            if self.text_width(text[:mid].rstrip() + "…") <= room:
                low = mid
            else:
                high = mid - 1
        return text[:low].rstrip() + "…" if low else ""

    def wrap(self, text: str, width: float, max_lines: int = 99) -> list[str]:
        """Cleaned ``text`` broken into lines at spaces to fit ``width`` with padding; a
        word longer than a line is cut with an ellipsis, and so is the last line."""
        room = width - 2 * self.pdf.c_margin
        lines: list[str] = []
        current = ""
        for word in self.clean(text).split():
            candidate = f"{current} {word}" if current else word
            if self.text_width(candidate) <= room:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = word if self.text_width(word) <= room else self.fit(word, width)
        if current:
            lines.append(current)
        if len(lines) > max_lines:
            lines = [*lines[: max_lines - 1], self.fit(" ".join(lines[max_lines - 1 :]), width)]
        return lines or [""]

    def cell(self, x: float, y: float, w: float, h: float, text: str, align: str = "L") -> None:
        """``text`` (already fitted) on one line in the box at (x, y), vertically centred.

        ``FPDF.text`` with the position worked out here: ten times faster than
        ``FPDF.cell``, which matters for a 10,000-row table."""
        if not text:
            return
        pad = self.pdf.c_margin
        if align == "L":
            left = x + pad
        else:
            width = self.text_width(text)
            left = x + w - pad - width if align == "R" else x + (w - width) / 2
        self.pdf.text(left, y + h / 2 + 0.3 * self._size * 0.3528, text)

    def rect(self, x: float, y: float, w: float, h: float, fill: tuple[int, int, int]) -> None:
        self.pdf.set_fill_color(*fill)
        self.pdf.rect(x, y, w, h, style="F")

    def rule(self, x1: float, y1: float, x2: float, y2: float, color: tuple[int, ...]) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(0.2)
        self.pdf.line(x1, y1, x2, y2)
