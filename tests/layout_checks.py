"""Reading report documents back as a reader sees them (for the report layout tests).

PDF: words are read back with their boxes (pdfplumber). Each table header is drawn as one
shaded box per column, so the columns can be read off the page: every word of a table
row must lie inside one column (a word crossing into the next column is text running into
its neighbour), no two words on a line may overlap, and every header reads as its whole
title (never ``Minutes ove``). XLSX: the chart's anchor is read from the drawing XML and
the cells it covers must be empty; every shaded header shows its whole title.

``seed_long_desk`` makes the desk the layout tests run on: long emails, long subjects,
Cyrillic text and two agents with the same name.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from agentctl.database import Database
from agentctl.models import AvailabilityEvent
from factories import T0, make_agent, make_ticket

AS_OF = "2026-10-01T08:00:00Z"
H = timedelta(hours=1)
D = timedelta(days=1)
LONG_EMAIL = "maximilian.oberhuber-vonderheide@customer-support.very-long-subsidiary.example"
LONG_SUBJECT = (
    "Customer reports that the VPN client disconnects every few minutes after the latest "
    "update, affecting the whole accounting department and the payroll run on Friday"
)
CYRILLIC_SUBJECT = "Не работает почта у всего отдела продаж после переезда в новый офис"
HEADER_FILL = (226, 232, 240)  # the shade of a PDF table header box


def seed_long_desk(db: Database) -> None:
    """Four agents (two named "Анна Петрова"), tickets breached, open and resolved, some
    due within the next two hours (sla-at-risk), and a day of availability changes."""
    with db.session(write=True) as s:
        max_ = make_agent(
            s, LONG_EMAIL, name="Maximilian Oberhuber-Vonderheide", max_open_tickets=8
        )
        anna = make_agent(s, "anna.petrova@desk.example", name="Анна Петрова", status="busy")
        anna2 = make_agent(s, "a.petrova@branch-office.example", name="Анна Петрова")
        ivan = make_agent(s, "ivan@desk.example", name="Иван Сидоров", status="away")
        agents = [max_, anna, anna2, ivan, None]
        for i in range(40):
            agent = agents[i % len(agents)]
            created = T0 - (i * 7 + 3) * H
            resolved = i % 3 == 0
            make_ticket(
                s,
                ticket_number=f"LONG-{i:05d}",
                agent=agent,
                created_at=created,
                status="resolved" if resolved else ("open", "in_progress", "waiting")[i % 3],
                subject=(LONG_SUBJECT, CYRILLIC_SUBJECT, "Printer jam")[i % 3],
                category=("network-infrastructure-and-vpn", "почта", None)[i % 3],
                priority=("urgent", "high", "normal", "low")[i % 4],
                first_response_at=created + 2 * H if i % 2 else None,
                resolved_at=created + 30 * H if resolved else None,
                sla_due_date=created + (4 + i % 5) * H,
                escalation_level=i % 2,
            )
        for i, agent in enumerate(agents):  # at risk: open, due 20 to 100 minutes from now
            make_ticket(
                s,
                ticket_number=f"RISK-{i:05d}",
                agent=agent,
                created_at=T0 - 3 * H,
                status="open",
                subject=(LONG_SUBJECT, CYRILLIC_SUBJECT)[i % 2],
                category="network-infrastructure-and-vpn",
                priority="urgent",
                first_response_due_at=T0 + (20 + 20 * i) * timedelta(minutes=1),
                sla_due_date=T0 + 8 * H,
            )
        for n, agent in enumerate(agents[:4]):  # the day before: shifts of changes
            for k, status in enumerate(("available", "busy", "away", "available", "offline")):
                at = T0 - D + (n + 2 * k) * H
                s.add(AvailabilityEvent(agent_id=agent.id, status=status, at=at))


# --- PDF -----------------------------------------------------------------------------


def near(color: Any, rgb: tuple[int, int, int]) -> bool:
    if not isinstance(color, tuple | list) or len(color) != 3:
        return False
    return all(abs(float(c) * 255 - v) < 2 for c, v in zip(color, rgb, strict=True))


def _lines(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) < 1.5:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def check_pdf_page(page: Any, titles: set[str]) -> dict[str, int]:
    """Assert the layout of one page; return counts of what was checked."""
    words = page.extract_words(x_tolerance=1.0, extra_attrs=["size"])
    where = f"page {page.page_number}"
    for line in _lines(words):
        for left, right in itertools.pairwise(line):
            assert right["x0"] >= left["x1"] - 0.2, (
                f"{where}: {left['text']!r} overlaps {right['text']!r}"
            )
    boxes = [r for r in page.rects if near(r.get("non_stroking_color"), HEADER_FILL)]
    headers: dict[float, list[dict[str, Any]]] = {}
    for box in boxes:
        headers.setdefault(round(box["top"], 1), []).append(box)
    tops = sorted(headers)
    checked = {"headers": 0, "cells": 0, "header_lines": 0}
    footer_top = page.height - 30
    for n, top in enumerate(tops):
        columns = sorted(headers[top], key=lambda b: b["x0"])
        bottom = columns[0]["bottom"]
        # The header: per column, its words read as one whole title.
        for col in columns:
            inside = [
                w
                for w in words
                if w["top"] >= top - 0.5 and w["bottom"] <= bottom + 0.5
                and w["x0"] >= col["x0"] - 0.5 and w["x1"] <= col["x1"] + 0.5
            ]  # fmt: skip
            title = " ".join(w["text"] for line in _lines(inside) for w in line)
            assert title in titles, f"{where}: header {title!r} is not a whole column title"
            checked["headers"] += 1
            checked["header_lines"] = max(checked["header_lines"], len(_lines(inside)))
        crossing = [
            w
            for w in words
            if top - 0.5 <= w["top"] and w["bottom"] <= bottom + 0.5
            and not any(c["x0"] - 0.5 <= w["x0"] and w["x1"] <= c["x1"] + 0.5 for c in columns)
        ]  # fmt: skip
        assert not crossing, f"{where}: header words across columns: {crossing}"
        # The rows: every word inside one column, down to the next header or heading.
        limit = tops[n + 1] if n + 1 < len(tops) else footer_top
        below = sorted((w for w in words if bottom <= w["top"] < limit), key=lambda w: w["top"])
        for word in below:
            if word["size"] > 8.5:  # the next heading: the table has ended
                break
            if word["top"] >= footer_top:
                break
            assert any(
                c["x0"] - 0.5 <= word["x0"] and word["x1"] <= c["x1"] + 0.5 for c in columns
            ), f"{where}: {word['text']!r} runs out of its column"
            checked["cells"] += 1
    return checked


def check_pdf(path: Path, titles: set[str], pages: list[int] | None = None) -> str:
    """Check the layout of ``pages`` (default all); return the text of page 1."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        numbers = pages if pages is not None else list(range(len(pdf.pages)))
        totals = {"headers": 0, "cells": 0, "header_lines": 0}
        for i in numbers:
            for key, value in check_pdf_page(pdf.pages[i], titles).items():
                totals[key] = (
                    max(totals[key], value) if key == "header_lines" else totals[key] + value
                )
        assert totals["headers"] > 0 and totals["cells"] > 0, totals
        # A header wraps, but a tall header row is a column starved of width.
        assert totals["header_lines"] <= 2, f"a header takes {totals['header_lines']} lines"
        return str(pdf.pages[0].extract_text())


def table_titles(report_type: str, db: Database) -> set[str]:
    """Every column title a PDF table of this report may show (the report's definitions)."""
    from agentctl.services.reports.build import build_report
    from agentctl.services.window import resolve_window

    window = resolve_window("all", as_of=AS_OF)
    with db.session() as s:
        report = build_report(s, report_type, window, None, T0)
        fields = [*report.fields, *[f for sec in report.sections for f in sec.fields]]
    return {f.title for f in fields} | {"Agent"}


def column_width(sheet: Any, column: int) -> float:
    """The width of 1-based ``column`` (a ``<col>`` element may span several columns)."""
    for dim in sheet.column_dimensions.values():
        if dim.min is not None and dim.min <= column <= dim.max and dim.customWidth:
            return float(dim.width)
    return 8.43  # Excel's default


def _wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped at spaces in ``width`` characters."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def check_xlsx_headers(book: Any) -> None:
    """Every header cell (shaded) shows its whole title: its column is wide enough, or
    its row tall enough for the title wrapped at spaces (15 points a line)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.fill.fgColor.rgb not in ("FFDDE4EE", "00DDE4EE"):
                    continue
                width = column_width(sheet, cell.column)
                lines = _wrapped_lines(str(cell.value), width - 1)
                height = sheet.row_dimensions[cell.row].height or 15
                assert max(len(w) for w in str(cell.value).split()) <= width, cell.coordinate
                assert height >= 15 * lines, (
                    f"{sheet.title}!{cell.coordinate} {cell.value!r} needs {lines} lines "
                    f"in {width:.0f} characters; the row is {height} points"
                )


# --- XLSX ----------------------------------------------------------------------------

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
}


def _rels(book: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, _, name = part.rpartition("/")
    path = f"{folder}/_rels/{name}.rels"
    if path not in book.namelist():
        return {}
    root = ElementTree.fromstring(book.read(path))
    out = {}
    for rel in root.findall("rel:Relationship", NS):
        target = rel.get("Target", "")
        out[rel.get("Id", "")] = (
            target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
        )
    return out


def _normalize(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def chart_anchors(path: Path) -> list[tuple[str, int, int, int, int]]:
    """(sheet, first col, first row, last col, last row) of every drawing, 0-based."""
    anchors = []
    with zipfile.ZipFile(path) as book:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        sheet_parts = _rels(book, "xl/workbook.xml")
        for sheet in workbook.findall("m:sheets/m:sheet", NS):
            part = _normalize(sheet_parts[sheet.get(f"{{{NS['r']}}}id", "")])
            for target in _rels(book, part).values():
                target = _normalize(target)
                if "drawings/drawing" not in target:
                    continue
                drawing = ElementTree.fromstring(book.read(target))
                for anchor in drawing.findall("xdr:twoCellAnchor", NS):
                    start = [
                        int(anchor.findtext(f"xdr:from/xdr:{k}", "0", NS)) for k in ("col", "row")
                    ]
                    end = [int(anchor.findtext(f"xdr:to/xdr:{k}", "0", NS)) for k in ("col", "row")]
                    anchors.append((str(sheet.get("name")), start[0], start[1], end[0], end[1]))
    return anchors


def check_charts_clear(path: Path) -> list[tuple[str, int, int, int, int]]:
    """Assert that the workbook has a chart and that no chart covers a cell with data
    (read in read-only mode: a Details sheet may hold 100,000 rows); the anchors."""
    import openpyxl

    anchors = chart_anchors(path)
    assert anchors, "the workbook has a chart"
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        for sheet, col0, row0, col1, row1 in anchors:
            cells = book[sheet].iter_rows(
                min_row=row0 + 1, max_row=row1 + 1, min_col=col0 + 1, max_col=col1 + 1
            )
            covered = [c.coordinate for row in cells for c in row if c.value is not None]
            assert not covered, f"the chart on {sheet} covers {covered[:5]}"
    finally:
        book.close()
    return anchors


def pdf_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return re.sub(r"\s+", " ", " ".join(str(page.extract_text()) for page in pdf.pages))
