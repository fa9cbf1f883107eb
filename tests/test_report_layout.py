"""Report documents as a reader sees them: words on the PDF page and the chart in the XLSX.

PDF: words are read back with their boxes (pdfplumber). Each table header is drawn as one
shaded box per column, so the columns can be read off the page: every word of a table
row must lie inside one column (a word crossing into the next column is text running into
its neighbour), no two words on a line may overlap, and every header reads as its whole
title (never ``Minutes ove``). XLSX: the chart's anchor is read from the drawing XML and
the cells it covers must be empty.

The desk has long emails, long subjects, Cyrillic text and two agents with the same name.
Every report type runs, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import re
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import insert

from agentctl.database import Database
from agentctl.models import Agent, AgentAvailability, AvailabilityEvent, Ticket
from agentctl.services.reports import REPORT_TYPES
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


def _near(color: Any, rgb: tuple[int, int, int]) -> bool:
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
    boxes = [r for r in page.rects if _near(r.get("non_stroking_color"), HEADER_FILL)]
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


@pytest.fixture
def long_desk(db: Database) -> Database:
    seed_long_desk(db)
    return db


@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_pdf_cells_never_run_into_each_other(cli, long_desk, tmp_path, report_type):
    out = tmp_path / f"{report_type}.pdf"
    r = cli("report", report_type, "--format", "pdf", "--range", "all", "--as-of", AS_OF,
            "--output", str(out))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""  # no font warning: DejaVu covers Cyrillic
    check_pdf(out, table_titles(report_type, long_desk))


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


@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_every_report_reads_for_people(cli, long_desk, tmp_path, report_type):
    """Every type, PDF and XLSX: agents by name, durations as ``1d 11h 55m`` (PDF) or
    ``[h]:mm`` (XLSX), rates as percentages, counts as integers; never a bare decimal."""
    import datetime as dt

    import openpyxl
    import pdfplumber

    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    for out in (pdf, xlsx):
        r = cli("report", report_type, "--format", out.suffix[1:], "--range", "all",
                "--as-of", AS_OF, "--output", str(out))  # fmt: skip
        assert r.exit_code == 0, r.stderr
    with pdfplumber.open(pdf) as doc:
        text = "\n".join(str(page.extract_text()) for page in doc.pages)
    assert not re.findall(r"\d\.\d\d\b", text), "a bare decimal in the PDF"
    # Agents by name: the email shows only beside the two agents named Анна Петрова.
    assert "maximilian.oberhuber" not in text and "ivan@desk.example" not in text
    assert "Иван Сидоров" in text
    book = openpyxl.load_workbook(xlsx)
    check_xlsx_headers(book)
    formats = {"#,##0", "[h]:mm", "0.0%"}
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                value, where = cell.value, f"{sheet.title}!{cell.coordinate}"
                if isinstance(value, bool) or value is None or isinstance(value, str):
                    continue
                if isinstance(value, dt.datetime):
                    assert "yy" in cell.number_format, where
                elif isinstance(value, dt.timedelta):
                    assert cell.number_format == "[h]:mm", where
                else:
                    assert cell.number_format in formats, f"{where}: {cell.number_format}"
                    if cell.number_format == "#,##0":
                        assert value == int(value), f"{where}: a count holds {value}"


def test_pdf_cuts_long_text_with_an_ellipsis_and_names_agents(cli, long_desk, tmp_path):
    import pdfplumber

    out = tmp_path / "b.pdf"
    r = cli("report", "sla-breaches", "--format", "pdf", "--range", "all", "--as-of", AS_OF,
            "--output", str(out))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    with pdfplumber.open(out) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Customer reports that" in text and "…" in text  # cut, not overflowing
    assert LONG_SUBJECT not in text
    assert "Не работает почта" in text
    # Agents by name; the email only where two agents share the name.
    assert "Maximilian Oberhuber" in text and LONG_EMAIL not in text
    assert "Иван Сидоров" in text and "ivan@desk.example" not in text
    assert "Анна Петрова (anna.petrova@desk.example)" in text
    assert "Анна Петрова (a.petrova@branch-office.example)" in text


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


@pytest.mark.parametrize("report_type", REPORT_TYPES)
def test_xlsx_chart_covers_no_data(cli, long_desk, tmp_path, report_type):
    import openpyxl

    out = tmp_path / f"{report_type}.xlsx"
    r = cli("report", report_type, "--format", "xlsx", "--range", "all", "--as-of", AS_OF,
            "--output", str(out))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    anchors = check_charts_clear(out)
    book = openpyxl.load_workbook(out)
    for sheet, *_ in anchors:
        ws = book[sheet]
        # Page setup: landscape, one page wide, page numbers in the footer.
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
        assert "&P" in (ws.oddFooter.right.text or "")
    details = book["Details"]
    assert details.print_title_rows == "$1:$1"  # the header row on every printed page
    # The window's text runs on from B2 over the empty cells beside it: the chart starts
    # to the right of where it ends (a column is as wide as its width in characters).
    summary = book["Summary"]
    text = max(len(str(summary.cell(row=r, column=2).value)) for r in (2, 3, 4))
    ((_, col0, *_),) = [a for a in anchors if a[0] == "Summary"]
    room = sum(column_width(summary, c + 1) for c in range(1, col0))
    assert room >= text, f"the chart at column {col0} hides the window text ({text} chars)"


@pytest.mark.parametrize("report_type", ["performance", "workload"])
def test_xlsx_names_first_ids_last_durations_and_rates(cli, long_desk, tmp_path, report_type):
    import openpyxl

    out = tmp_path / f"{report_type}.xlsx"
    r = cli("report", report_type, "--format", "xlsx", "--range", "all", "--as-of", AS_OF,
            "--output", str(out))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    details = openpyxl.load_workbook(out)["Details"]
    header = [c.value for c in details[1]]
    assert header[:2] == ["Agent", "Email"] and header[-1] == "Agent id"
    rows = {row[1].value: row for row in details.iter_rows(min_row=2)}
    max_ = rows[LONG_EMAIL]
    uuid.UUID(str(max_[-1].value))  # the id, last
    if report_type == "performance":
        # Maximilian's resolved tickets (LONG-00000, -15, -30) took 30 h each: 30:00.
        resolution = max_[header.index("Avg resolution (h:mm)")]
        assert resolution.number_format == "[h]:mm"
        assert resolution.value == timedelta(hours=30)  # a true Excel duration
        rate = max_[header.index("SLA compliance")]
        assert rate.number_format == "0.0%" and 0 <= rate.value <= 1
    else:
        assert max_[header.index("Cap used")].number_format == "0.0%"
        assert max_[header.index("Oldest age (h:mm)")].number_format == "[h]:mm"


# --- the row cap -----------------------------------------------------------------------

BIG = 100_000


def seed_many_breaches(db: Database, n: int) -> None:
    """n breached open tickets, ``BIG-000000`` the most overdue (by far)."""
    agent_id = uuid.uuid4()
    with db.session(write=True) as s:
        s.execute(insert(Agent), [{"id": agent_id, "email": "one@desk.example", "name": "One"}])
        s.execute(insert(AgentAvailability), [{"user_id": agent_id, "status": "available"}])
        batch = []
        for i in range(n):
            created = T0 - 2 * D + timedelta(seconds=i)  # newer tickets, less overdue
            batch.append(
                {
                    "id": uuid.uuid4(),
                    "ticket_number": f"BIG-{i:06d}",
                    "subject": "Overdue",
                    "status": "open",
                    "priority": "normal",
                    "assigned_to_user_id": agent_id,
                    "created_at": created - (5 * D if i == 0 else timedelta(0)),
                    "sla_due_date": created + H - (5 * D if i == 0 else timedelta(0)),
                }
            )
            if len(batch) == 20_000:
                s.execute(insert(Ticket), batch)
                batch = []
        if batch:
            s.execute(insert(Ticket), batch)


def test_100000_breaches_pdf_and_xlsx(cli, db, tmp_path):
    """A desk of 100,000 breached open tickets (inserted in bulk through Core): the PDFs
    say on page 1 how many rows they leave out and keep the rows the reader needs most
    (sla-breaches: the longest overdue; aging: the oldest); the XLSX carries every row
    and its chart covers no data. The slowest test of the suite (some 20 s an engine)."""
    import openpyxl
    import pdfplumber

    seed_many_breaches(db, BIG)
    out = tmp_path / "many.pdf"
    r = cli("report", "sla-breaches", "--format", "pdf", "--as-of", AS_OF, "--output", str(out))
    assert r.exit_code == 0, r.stderr

    with pdfplumber.open(out) as pdf:
        last = len(pdf.pages) - 1
    page1 = check_pdf(out, table_titles("sla-breaches", db), pages=[0, 1, 2, last])
    flat = re.sub(r"\s+", " ", page1)
    assert "This PDF lists 10,000 of 100,000 detail rows (the longest overdue);" in flat
    assert "90,000 are left out" in flat
    # The details start with the most overdue ticket (5 days more than any other) and end
    # with the 10,000th most overdue: BIG-009999 (the newer a ticket, the less overdue).
    with pdfplumber.open(out) as pdf:
        first = "\n".join(str(pdf.pages[i].extract_text()) for i in (0, 1))
        end = str(pdf.pages[last].extract_text())
    assert first.index("BIG-000000") < first.index("BIG-000001") < first.index("BIG-000002")
    assert end.strip().splitlines()[-2].startswith("BIG-009999")  # then the footer line

    # aging: the same tickets are open; the oldest is BIG-000000 (5 days older than the
    # rest), then BIG-000001, … (each a second younger): the PDF keeps BIG-000000 to 9999.
    aging = tmp_path / "aging.pdf"
    r = cli("report", "aging", "--format", "pdf", "--as-of", AS_OF, "--output", str(aging))
    assert r.exit_code == 0, r.stderr
    with pdfplumber.open(aging) as pdf:
        last = len(pdf.pages) - 1
        page1 = re.sub(r"\s+", " ", str(pdf.pages[0].extract_text()))
        first = "\n".join(str(pdf.pages[i].extract_text()) for i in (0, 1))
        end = str(pdf.pages[last].extract_text())
    assert "This PDF lists 10,000 of 100,000 detail rows (the oldest); 90,000 are left" in page1
    assert first.index("BIG-000000") < first.index("BIG-000001") < first.index("BIG-000002")
    assert end.strip().splitlines()[-2].startswith("BIG-009999")
    check_pdf(aging, table_titles("aging", db), pages=[0, 1, last])

    xlsx = tmp_path / "many.xlsx"
    r = cli("report", "sla-breaches", "--format", "xlsx", "--as-of", AS_OF, "--output", str(xlsx))
    assert r.exit_code == 0, r.stderr
    check_charts_clear(xlsx)
    book = openpyxl.load_workbook(xlsx, read_only=True)
    try:
        assert book["Details"].max_row == 1 + BIG  # the header and every row
    finally:
        book.close()


def _pdf_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return re.sub(r"\s+", " ", " ".join(str(page.extract_text()) for page in pdf.pages))


def test_capped_aging_pdf_keeps_the_oldest(cli, long_desk, tmp_path, monkeypatch):
    """A cap of 5 rows: aging keeps the 5 oldest open tickets. In the long desk ticket i
    was created (7 i + 3) hours before T0 and is open unless i % 3 == 0, so the oldest
    open ones are 38, 37, 35, 34 and 32, out of 26 + 5 (the RISK tickets) = 31."""
    from agentctl.services.reports import pdf

    monkeypatch.setattr(pdf, "MAX_ROWS", 5)
    out = tmp_path / "aging.pdf"
    r = cli("report", "aging", "--format", "pdf", "--as-of", AS_OF, "--output", str(out))
    assert r.exit_code == 0, r.stderr
    text = _pdf_text(out)
    head = text[: text.index("Open tickets per agent")]  # page 1's title block
    assert "This PDF lists 5 of 31 detail rows (the oldest); 26 are left out." in head
    listed = re.findall(r"LONG-\d{5}|RISK-\d{5}", text[text.index("Details") :])
    assert listed == ["LONG-00038", "LONG-00037", "LONG-00035", "LONG-00034", "LONG-00032"]


@pytest.mark.parametrize("report_type", ["performance", "workload", "availability"])
def test_per_agent_pdfs_list_every_agent_whatever_the_cap(
    cli, long_desk, tmp_path, monkeypatch, report_type
):
    from agentctl.services.reports import pdf

    monkeypatch.setattr(pdf, "MAX_ROWS", 2)
    out = tmp_path / "agents.pdf"
    r = cli("report", report_type, "--format", "pdf", "--range", "all", "--as-of", AS_OF,
            "--output", str(out))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    text = _pdf_text(out)
    details = text[text.index("Details") :]
    assert "left out" not in text
    # the four agents (the two Анна Петрова by their emails, which a cell may cut)
    assert "Maximilian Oberhuber" in details and "Иван Сидоров" in details
    assert details.count("Анна Петрова (a") == 2


def test_performance_pdf_keeps_the_managers_columns(cli, long_desk, tmp_path):
    """The PDF's tables hold volume, speed, SLA and escalations; the analysts' columns
    are named under each table's title, and the XLSX carries them all."""
    import openpyxl
    import pdfplumber

    out = tmp_path / "perf.pdf"
    r = cli("report", "performance", "--format", "pdf", "--range", "all", "--as-of", AS_OF,
            "--output", str(out))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    with pdfplumber.open(out) as doc:
        page = next(p for p in doc.pages if "Details" in str(p.extract_text()))
        boxes = [r for r in page.rects if _near(r.get("non_stroking_color"), HEADER_FILL)]
        last = max(round(b["top"], 1) for b in boxes)  # the details' header
        columns = sorted((b for b in boxes if round(b["top"], 1) == last), key=lambda b: b["x0"])
        words = page.extract_words(x_tolerance=1.0)
        header = [
            " ".join(w["text"] for w in words
                     if b["x0"] - 0.5 <= w["x0"] and w["x1"] <= b["x1"] + 0.5
                     and b["top"] - 0.5 <= w["top"] and w["bottom"] <= b["bottom"] + 0.5)
            for b in columns
        ]  # fmt: skip
    assert header == [
        "Agent", "Assigned", "Resolved", "Open", "Avg resolution", "Avg first response",
        "SLA compliance", "Escalation rate", "Median resolution", "P90 resolution",
        "First response SLA",
    ]  # fmt: skip
    text = _pdf_text(out)
    assert "Also in the XLSX and CSV: In progress, Waiting, Median first response, " in text
    xlsx = tmp_path / "perf.xlsx"
    r = cli("report", "performance", "--format", "xlsx", "--range", "all", "--as-of", AS_OF,
            "--output", str(xlsx))  # fmt: skip
    header_xlsx = [c.value for c in openpyxl.load_workbook(xlsx)["Details"][1]]
    assert "In progress" in header_xlsx and "Resolved in window" in header_xlsx
    assert len(header_xlsx) == 20  # name, email, 17 metrics, id


# --- glyphs the font lacks, and the partial trend bucket --------------------------------


def test_missing_glyphs_show_a_placeholder_and_one_warning(cli, db, tmp_path):
    """DejaVu Sans has no CJK and no 🤖 / 🚀: they print as □, named once on stderr."""
    import pdfplumber

    with db.session(write=True) as s:
        agent = make_agent(s, "wei@desk.example", name="王伟")
        for i, subject in enumerate(["打印机无法连接 🤖", "Server down 🚀🚀", "Обычная тема"]):
            make_ticket(s, ticket_number=f"G-{i}", agent=agent, subject=subject,
                        created_at=T0 - (i + 2) * H, sla_due_date=T0 - H)  # fmt: skip
    out = tmp_path / "glyphs.pdf"
    r = cli("report", "sla-breaches", "--format", "pdf", "--as-of", AS_OF, "--output", str(out))
    assert r.exit_code == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    (line,) = lines
    assert line.startswith("warning: PDF: the font has no glyph for ")
    for ch in "打印机无法连接王伟🤖🚀":
        assert line.count(ch) == 1, ch  # each named once
    assert "Обычная" not in line and "WARNING" not in r.stderr  # never fpdf2's own warning
    with pdfplumber.open(out) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "□□□□□□□ □" in text  # the subject, one placeholder per character
    assert "Server down □□" in text
    assert "Обычная тема" in text


def test_partial_last_trend_day_is_marked(cli, db, tmp_path):
    """as_of 09:14: the last day of a 7-day trend covers 00:00 to 09:14 only, and the
    first 09:14 to midnight; PDF and XLSX say so."""
    import datetime as dt

    import openpyxl
    import pdfplumber

    with db.session(write=True) as s:
        agent = make_agent(s, "ana@desk.example", name="Ana")
        make_ticket(s, agent=agent, created_at=T0 - 2 * D, resolved_at=T0 - D, status="resolved")
    out = tmp_path / "trend.pdf"
    r = cli("report", "performance", "--format", "pdf", "--as-of", "2026-10-01T09:14:00Z",
            "--output", str(out))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    with pdfplumber.open(out) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    # The window is 24 Sep 09:14 to 1 Oct 09:14: 24 Sep is partial at its start and the
    # last bucket, 1 Oct, ends at 09:14.
    assert "1 Oct (to 09:14)" in text and "24 Sep (from 09:14)" in text
    assert "30 Sep (to" not in text and "30 Sep" in text
    xlsx = tmp_path / "trend.xlsx"
    r = cli("report", "performance", "--format", "xlsx", "--as-of", "2026-10-01T09:14:00Z",
            "--output", str(xlsx))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    trend = openpyxl.load_workbook(xlsx)["Trend"]
    days = [row[0] for row in trend.iter_rows(min_row=2)]
    assert [c.value for c in days] == [dt.datetime(2026, 9, 24 + i) for i in range(7)] + [
        dt.datetime(2026, 10, 1)
    ]  # true dates, which sort and filter; the format says which are partial
    assert days[0].number_format == 'd mmm yyyy" (from 09:14)"'
    assert [c.number_format for c in days[1:-1]] == ["d mmm yyyy"] * 6
    assert days[-1].number_format == 'd mmm yyyy" (to 09:14)"'
    # Durations in the Summary's figures are labelled as such.
    summary = openpyxl.load_workbook(xlsx)["Summary"]
    labels = {row[0].value: row[1] for row in summary.iter_rows(min_row=2)}
    assert labels["Avg resolution (h:mm)"].value == dt.timedelta(days=1)  # 2 d ago to 1 d ago
    assert labels["Avg resolution (h:mm)"].number_format == "[h]:mm"


# --- a report type declared from the model alone: the layout is generic ---------------


def test_any_report_type_with_a_stacked_chart_lays_out(tmp_path):
    """An availability-like report (minutes, percentages, counts, a stacked bar per agent)
    written by the real writers, as a new report type would be: no cell overlaps, the XLSX
    chart is stacked and covers no data, and the mail PNG draws it."""
    import io

    from PIL import Image

    from agentctl.services.reports import model as m
    from agentctl.services.reports.email_body import email_body
    from agentctl.services.reports.pdf import write_pdf
    from agentctl.services.reports.xlsx import write_xlsx
    from agentctl.services.window import resolve_window

    fields = [
        m.agent("agent_email", "Agent"),
        m.minutes("available_minutes", "Available"),
        m.minutes("busy_minutes", "Busy"),
        m.minutes("away_minutes", "Away"),
        m.minutes("offline_minutes", "Offline"),
        m.percent("available_pct", "Available share"),
        m.count("status_changes", "Status changes"),
        m.text("tenant_id", "Tenant"),
    ]
    people = [(f"agent{i}.{'x' * i}@desk.example", f"Агент номер {i}") for i in range(12)]
    rows = [
        (email, 600.0 * i, 300.0, 120.0 + i, 9000.0, 100 * 600 * i / (600 * i + 9420 + i), i, None)
        for i, (email, _) in enumerate(people)
    ]
    series = ("available", "busy", "away", "offline")
    report = m.Report(
        report_type="availability",
        title="Agent availability",
        window=resolve_window("7d", as_of=AS_OF),
        tenant=None,
        generated_at=T0,
        figures=[
            m.Figure("agents", "Agents", len(rows), "count"),
            m.Figure("available_minutes", "Available", sum(r[1] for r in rows), "minutes"),
            m.Figure("available_pct", "Available share", 12.5, "percent"),
        ],
        sections=[],
        fields=fields,
        rows=lambda: iter(rows),
        total_rows=len(rows),
        chart=m.Chart.stacked(
            "Time per status", "Minutes", series, ((r[0], r[1:5]) for r in rows), unit="minutes"
        ),
        agent_names=m.agent_labels(people),
    )
    pdf_path, xlsx_path = tmp_path / "a.pdf", tmp_path / "a.xlsx"
    assert write_pdf(report, pdf_path) == 12
    assert write_xlsx(report, xlsx_path) == 12
    titles = {f.title for f in fields}
    page1 = check_pdf(pdf_path, titles)
    # Available: 600 × (0 + 1 + … + 11) = 39,600 min = 27d 12h 0m. Agent 11's bar:
    # 6,600 available + 300 busy + 131 away + 9,000 offline = 16,031 min = 11d 3h 11m.
    assert "27d 12h 0m" in page1 and "12.5%" in page1 and "11d 3h 11m" in page1
    assert "Агент номер 11" in page1 and "available" in page1  # a bar label, the legend
    ((sheet, col0, *_),) = chart_anchors(xlsx_path)
    assert sheet == "Summary" and col0 > 4  # beside the 5-column chart data
    with zipfile.ZipFile(xlsx_path) as book:
        chart_xml = book.read("xl/charts/chart1.xml").decode()
    assert '<c:grouping val="stacked"/>' in chart_xml and chart_xml.count("<c:ser>") == 4
    body = email_body(report, "Agent availability", "a.pdf")
    ((_, png),) = body.images
    assert Image.open(io.BytesIO(png)).width == 1200
