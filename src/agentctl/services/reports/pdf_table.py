"""PDF tables: column widths measured from the text they hold, within the page width.

Each column gets its natural width (its widest value, or its header's longest word),
plus a little air when the page has room. When the natural widths do not fit, text
columns (subjects, names) give up width down to a floor, then the font gets smaller.
Numbers, durations and timestamps are never squeezed below their natural width unless
nothing else is left. A value wider than its column is cut with an ellipsis; a header
wraps onto more lines and is never cut. So no cell ever runs into its neighbour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agentctl.services.reports.model import (
    NUMERIC_KINDS,
    UNASSIGNED,
    Field,
    Report,
    display_value,
    period_label,
)
from agentctl.services.reports.pdf_canvas import HEADER_FILL, MARGIN, RULE, STRIPE_FILL, Canvas

FONT_SIZES = (8.0, 7.5, 7.0, 6.5, 6.0)
TEXT_FLOOR = 24.0  # mm a text column keeps before the font gets smaller
AIR = 6.0  # mm at most added to a column when the page has room
SAMPLE = 1500  # rows measured to size the columns (later ones are cut if wider)
FLEX_KINDS = ("text", "agent")  # the columns that give up width (and get cut) first


@dataclass
class Column:
    field: Field
    index: int  # the value's position in the row tuple
    title: str
    align: str
    width: float = 0.0


def pdf_columns(fields: Sequence[Field]) -> list[Column]:
    """The columns a reader needs: no machine ids, one agent column (the name), and none
    of the analysts' columns (``Field.in_pdf``)."""
    has_agent = any(f.kind == "agent" for f in fields)
    columns = []
    for i, f in enumerate(fields):
        if f.kind == "id" or (has_agent and f.key == "agent_name") or not f.in_pdf:
            continue
        title = "Agent" if f.kind == "agent" else f.title
        columns.append(Column(f, i, title, "R" if f.kind in NUMERIC_KINDS else "L"))
    return columns


class Table:
    """One table laid out for ``canvas``: call ``draw(rows)``."""

    def __init__(
        self,
        canvas: Canvas,
        report: Report,
        fields: Sequence[Field],
        sample: Sequence[tuple[Any, ...]],
        *,
        period: str | None = None,
    ) -> None:
        self.canvas = canvas
        self.report = report
        self.period = period
        self.columns = pdf_columns(fields)
        # the analysts' columns this table leaves out, named under its title
        self.left_out = [f.title for f in fields if not f.in_pdf]
        self.font_size = FONT_SIZES[-1]
        texts = [[self.text(c, row) for c in self.columns] for row in sample[:SAMPLE]]
        self._layout(texts)

    # --- values ------------------------------------------------------------------------

    def text(self, column: Column, row: tuple[Any, ...]) -> str:
        value = row[column.index]
        kind = column.field.kind
        if kind == "agent":
            return self.report.agent_label(value) if value is not None else UNASSIGNED
        if self.period is not None and column.index == 0 and isinstance(value, datetime):
            window = self.report.window
            return period_label(value, self.period, window.since, window.until)
        return display_value(value, kind)

    # --- layout ------------------------------------------------------------------------

    def _layout(self, texts: list[list[str]]) -> None:
        """The largest font at which every header wraps onto two lines at most (then,
        failing that, at which the columns fit at all), with one-line headers where the
        page has room for them."""
        canvas = self.canvas
        room = canvas.width
        for two_lines in (True, False):
            for size in FONT_SIZES:
                canvas.set_font("B", size)
                pad = 2 * canvas.pdf.c_margin + 0.4
                titles = [canvas.text_width(canvas.clean(c.title)) + pad for c in self.columns]
                if two_lines:
                    heads = [self._two_lines(c.title) + pad for c in self.columns]
                else:  # the longest word of each header
                    heads = [
                        max(canvas.text_width(canvas.clean(w)) for w in c.title.split()) + pad
                        for c in self.columns
                    ]
                canvas.set_font("", size)
                natural = []
                for i in range(len(self.columns)):
                    widest = max(
                        (canvas.text_width(canvas.clean(row[i])) for row in texts), default=0
                    )
                    natural.append(max(widest + pad, heads[i]))
                floors = [
                    min(nat, max(head, TEXT_FLOOR)) if c.field.kind in FLEX_KINDS else nat
                    for c, nat, head in zip(self.columns, natural, heads, strict=True)
                ]
                if sum(floors) <= room or (not two_lines and size == FONT_SIZES[-1]):
                    self.font_size = size
                    natural = self._one_line_headers(natural, titles, room)
                    self._fit(natural, floors, room)
                    return

    def _two_lines(self, title: str) -> float:
        """The narrowest width (unpadded) in which ``title`` wraps onto two lines."""
        words = self.canvas.clean(title).split()
        width = self.canvas.text_width
        return min(
            max(width(" ".join(words[:k])), width(" ".join(words[k:])))
            for k in range(1, len(words) + 1)
        )

    @staticmethod
    def _one_line_headers(natural: list[float], titles: list[float], room: float) -> list[float]:
        """Widen columns to ``titles`` (the width of each header on one line), as many as
        the page has room for, the cheapest first; the others' headers wrap."""
        widths = list(natural)
        spare = room - sum(widths)
        extras = sorted((t - n, i) for i, (n, t) in enumerate(zip(natural, titles, strict=True)))
        for extra, i in extras:
            if extra > spare:
                break
            if extra > 0:
                widths[i] += extra
                spare -= extra
        return widths

    def _fit(self, natural: list[float], floors: list[float], room: float) -> None:
        total = sum(natural)
        if total <= room:
            air = min(AIR, (room - total) / len(natural))
            widths = [n + air for n in natural]
        else:
            flex = total - sum(floors)
            if flex >= total - room:
                cut = (total - room) / flex
                widths = [n - (n - f) * cut for n, f in zip(natural, floors, strict=True)]
            else:  # even the floors do not fit: scale everything down
                scale = room / sum(floors)
                widths = [f * scale for f in floors]
        for column, width in zip(self.columns, widths, strict=True):
            column.width = width

    @property
    def row_h(self) -> float:
        return self.font_size * 0.3528 * 1.25 + 1.4

    @property
    def width(self) -> float:
        return sum(c.width for c in self.columns)

    # --- drawing -----------------------------------------------------------------------

    def header_height(self) -> float:
        self.canvas.set_font("B", self.font_size)
        lines = max(len(self.canvas.wrap(c.title, c.width)) for c in self.columns)
        return lines * self.canvas.line_h + 1.2

    def draw_header(self) -> None:
        canvas = self.canvas
        height = self.header_height()
        y = canvas.y
        x = MARGIN
        for column in self.columns:
            # one shaded box per column, a hairline apart: the columns show on the page
            canvas.rect(x, y, column.width - 0.3, height, HEADER_FILL)
            for n, line in enumerate(canvas.wrap(column.title, column.width)):
                canvas.cell(
                    x, y + 0.6 + n * canvas.line_h, column.width, canvas.line_h, line,
                    align=column.align,
                )  # fmt: skip
            x += column.width
        canvas.pdf.set_xy(MARGIN, y + height)
        canvas.set_font("", self.font_size)

    def draw(self, rows: Iterable[tuple[Any, ...]], title: str) -> int:
        """Draw the header and ``rows``, paging with the header repeated; the row count."""
        canvas = self.canvas
        canvas.ensure_space(self.header_height() + 3 * self.row_h)
        self.draw_header()
        count = 0
        for row in rows:
            if canvas.ensure_space(self.row_h):
                canvas.set_font("B", 9)
                canvas.cell(
                    MARGIN,
                    canvas.y,
                    canvas.width,
                    6,
                    canvas.fit(f"{title} (continued)", canvas.width),
                )
                canvas.pdf.set_xy(MARGIN, canvas.y + 6)
                self.draw_header()
            y = canvas.y
            if count % 2:
                canvas.rect(MARGIN, y, self.width, self.row_h, STRIPE_FILL)
            x = MARGIN
            for column in self.columns:
                text = canvas.fit(self.text(column, row), column.width)
                canvas.cell(x, y, column.width, self.row_h, text, align=column.align)
                x += column.width
            canvas.pdf.set_xy(MARGIN, y + self.row_h)
            count += 1
        if count == 0:
            canvas.cell(MARGIN, canvas.y, canvas.width, self.row_h, "(none)")
            canvas.pdf.set_xy(MARGIN, canvas.y + self.row_h)
        canvas.rule(MARGIN, canvas.y, MARGIN + self.width, canvas.y, RULE)
        return count
