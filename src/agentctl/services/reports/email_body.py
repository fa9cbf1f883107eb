"""The message body that goes with a mailed report: a plain-text part for terminal mail
clients, an HTML part with the headline figures as boxes (like the PDF's) and the chart
inline as a PNG (``cid:``), and the PNG itself.

The PNG is drawn with Pillow, which fpdf2 already depends on (it embeds images with it),
so the chart costs no new dependency: no matplotlib, no rasteriser. The text uses the
vendored DejaVu Sans, as the PDF does.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from agentctl.services.reports.fonts import REGULAR, font_file
from agentctl.services.reports.model import (
    UNASSIGNED,
    Chart,
    Figure,
    Report,
    display_value,
)

TEXT_BARS = 10  # bars in the plain-text chart
TEXT_BAR_WIDTH = 30
BOXES_PER_ROW = 5
SCALE = 2  # the PNG is drawn at twice its display size, for sharp text on any screen
PNG_WIDTH = 600  # display width in CSS pixels
PALETTE = ("#3465a4", "#ed9630", "#969696", "#5a5a5a", "#73aa5a")
INK, MUTED, RULE = "#212529", "#6c757d", "#ced4da"


@dataclass
class EmailBody:
    text: str
    html: str
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (content id, PNG)


def _label(report: Report, label: str) -> str:
    return UNASSIGNED if label == UNASSIGNED else report.agent_label(label)


def _value(chart: Chart, value: float) -> str:
    kind = {"minutes": "minutes", "percent": "percent"}.get(chart.unit, "count")
    return display_value(value, kind)  # type: ignore[arg-type]


# --- plain text ----------------------------------------------------------------------


def plain_text(report: Report, intro: str, attachment: str | None) -> str:
    """Readable at 72 columns in a terminal mail client."""
    lines = [intro, ""]
    header = report.header_lines()
    width = max(len(label) for label, _ in header)
    lines += [f"  {label.ljust(width)}  {value}" for label, value in header]
    lines.append("")
    figures = [(f.label, f.display()) for f in report.figures]
    if figures:
        label_w = max(len(label) for label, _ in figures)
        value_w = max(len(value) for _, value in figures)
        lines += [f"  {label.ljust(label_w)}  {value.rjust(value_w)}" for label, value in figures]
        lines.append("")
    chart = report.chart
    if chart is not None and chart.bars:
        bars = chart.bars[:TEXT_BARS]
        more = f" (top {len(bars)} of {len(chart.bars)})" if len(chart.bars) > len(bars) else ""
        lines.append(f"{chart.title}{more}")
        names = [_label(report, label)[:24] for label, _ in bars]
        values = [_value(chart, value) for _, value in bars]
        name_w, value_w = max(map(len, names)), max(map(len, values))
        top = max(value for _, value in bars) or 1.0
        for name, value, (_, amount) in zip(names, values, bars, strict=True):
            bar = "#" * max(1 if amount > 0 else 0, round(TEXT_BAR_WIDTH * amount / top))
            lines.append(f"  {name.ljust(name_w)}  {value.rjust(value_w)}  {bar}")
        lines.append("")
    if attachment:
        lines.append(f"The full report is attached: {attachment}")
    return "\n".join(lines) + "\n"


# --- HTML ----------------------------------------------------------------------------


def _box(figure: Figure) -> str:
    return (
        f'<td style="padding:4px" width="{100 // BOXES_PER_ROW}%">'
        f'<div style="border:1px solid {RULE};border-left:4px solid {PALETTE[0]};'
        'border-radius:4px;padding:8px 6px;text-align:center">'
        f'<div style="font-size:20px;font-weight:bold;color:{INK}">{escape(figure.display())}'
        "</div>"
        f'<div style="font-size:11px;color:{MUTED}">{escape(figure.label)}</div>'
        "</div></td>"
    )


def figure_boxes_html(figures: Sequence[Figure]) -> str:
    rows = []
    for start in range(0, len(figures), BOXES_PER_ROW):
        cells = "".join(_box(f) for f in figures[start : start + BOXES_PER_ROW])
        rows.append(f"<tr>{cells}</tr>")
    return (
        '<table role="presentation" cellspacing="0" cellpadding="0" '
        f'style="width:100%;max-width:{PNG_WIDTH + 100}px">{"".join(rows)}</table>'
    )


def html_body(report: Report, intro: str, chart_cid: str | None, attachment: str | None) -> str:
    header = "".join(
        f'<tr><td style="color:{MUTED};padding-right:12px">{escape(label)}</td>'
        f"<td>{escape(value)}</td></tr>"
        for label, value in report.header_lines()
    )
    chart = report.chart
    image = ""
    if chart_cid is not None and chart is not None:
        image = (
            f'<h3 style="font-size:15px;margin:18px 0 6px">{escape(chart.title)}</h3>'
            f'<img src="cid:{chart_cid}" width="{PNG_WIDTH}" alt="{escape(chart.title)}" '
            'style="max-width:100%;height:auto">'
        )
    attached = f"<p>The full report is attached: {escape(attachment)}</p>" if attachment else ""
    return (
        '<!DOCTYPE html>\n<html><body style="font-family:DejaVu Sans,Verdana,Arial,'
        f'sans-serif;color:{INK};font-size:13px">\n'
        f'<h2 style="font-size:20px;margin:0 0 6px">{escape(report.title)}</h2>\n'
        f"<p>{escape(intro)}</p>\n"
        f'<table role="presentation" style="font-size:12px;margin-bottom:10px">{header}</table>\n'
        f"{figure_boxes_html(report.figures)}\n{image}\n{attached}\n</body></html>\n"
    )


# --- the chart as PNG ------------------------------------------------------------------


def chart_png(report: Report, chart: Chart) -> bytes:
    """A horizontal bar chart (stacked when the chart is), largest bar on top."""
    from PIL import Image, ImageDraw, ImageFont

    s = SCALE
    segments = chart.segments()
    with font_file(REGULAR) as regular:
        font = ImageFont.truetype(str(regular), 12 * s)
        small = ImageFont.truetype(str(regular), 11 * s)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    labels = [_label(report, label) for label, _ in segments]
    values = [_value(chart, total) for _, total in chart.bars]
    label_w = min(220 * s, max(probe.textlength(t, font=font) for t in labels) + 16 * s)
    value_w = max(probe.textlength(t, font=font) for t in values) + 10 * s
    width = PNG_WIDTH * s
    pitch, top_y = 22 * s, 10 * s
    legend_h = 22 * s if chart.kind == "stacked" else 0
    plot_x = label_w
    plot_w = width - label_w - value_w - 6 * s
    height = top_y + legend_h + pitch * len(segments) + 26 * s
    image = Image.new("RGB", (width, int(height)), "white")
    draw = ImageDraw.Draw(image)
    y = top_y
    if chart.kind == "stacked":
        x = plot_x
        for i, name in enumerate(chart.series):
            draw.rectangle((x, y + 4 * s, x + 10 * s, y + 14 * s), fill=PALETTE[i % len(PALETTE)])
            draw.text((x + 14 * s, y + 2 * s), name, font=small, fill=INK)
            x += 14 * s + probe.textlength(name, font=small) + 16 * s
        y += legend_h
    top = max(total for _, total in chart.bars) or 1.0
    for label, (_, parts), value in zip(labels, segments, values, strict=True):
        shown = label
        while shown and probe.textlength(shown, font=font) > label_w - 10 * s:
            shown = shown[:-2] + "…"
        draw.text((label_w - 6 * s, y + pitch / 2), shown, font=font, fill=INK, anchor="rm")
        x = float(plot_x)
        for i, part in enumerate(parts):
            length = plot_w * part / top
            if length > 0:
                box = (x, y + 4 * s, x + length, y + pitch - 4 * s)
                draw.rectangle(box, fill=PALETTE[i % len(PALETTE)])
            x += length
        draw.text((x + 5 * s, y + pitch / 2), value, font=font, fill=INK, anchor="lm")
        y += pitch
    draw.line((plot_x, top_y + legend_h, plot_x, y), fill=MUTED, width=s)
    draw.text((plot_x, y + 6 * s), chart.value_title, font=small, fill=MUTED)
    out = io.BytesIO()
    image.quantize(colors=64).save(out, format="PNG", optimize=True)
    return out.getvalue()


def email_body(
    report: Report, intro: str, attachment: str | None, *, chart_cid: str = "chart"
) -> EmailBody:
    """Plain text, HTML and the chart PNG for ``report`` (no PNG when it has no chart)."""
    chart = report.chart
    images = []
    cid: str | None = None
    if chart is not None and chart.bars:
        images.append((chart_cid, chart_png(report, chart)))
        cid = chart_cid
    return EmailBody(
        text=plain_text(report, intro, attachment),
        html=html_body(report, intro, cid, attachment),
        images=images,
    )
