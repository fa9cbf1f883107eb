"""The PDF's row cap: page 1 says how many rows a PDF leaves out, and the rows it keeps are
the ones the reader needs most (the longest overdue, the oldest); per-agent reports list
every agent, and the performance PDF keeps the columns a manager reads. Run on SQLite and
PostgreSQL, with a desk of 100,000 breached tickets inserted in bulk through Core.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert

from agentctl.database import Database
from agentctl.models import Agent, AgentAvailability, Ticket
from factories import T0
from layout_checks import (
    AS_OF,
    HEADER_FILL,
    check_charts_clear,
    check_pdf,
    near,
    pdf_text,
    seed_long_desk,
    table_titles,
)

D = timedelta(days=1)
H = timedelta(hours=1)


@pytest.fixture
def long_desk(db: Database) -> Database:
    seed_long_desk(db)
    return db


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


def test_capped_aging_pdf_keeps_the_oldest(cli, long_desk, tmp_path, monkeypatch):
    """A cap of 5 rows: aging keeps the 5 oldest open tickets. In the long desk ticket i
    was created (7 i + 3) hours before T0 and is open unless i % 3 == 0, so the oldest
    open ones are 38, 37, 35, 34 and 32, out of 26 + 5 (the RISK tickets) = 31."""
    from agentctl.services.reports import pdf

    monkeypatch.setattr(pdf, "MAX_ROWS", 5)
    out = tmp_path / "aging.pdf"
    r = cli("report", "aging", "--format", "pdf", "--as-of", AS_OF, "--output", str(out))
    assert r.exit_code == 0, r.stderr
    text = pdf_text(out)
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
    text = pdf_text(out)
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
        boxes = [r for r in page.rects if near(r.get("non_stroking_color"), HEADER_FILL)]
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
    text = pdf_text(out)
    assert "Also in the XLSX and CSV: In progress, Waiting, Median first response, " in text
    xlsx = tmp_path / "perf.xlsx"
    r = cli("report", "performance", "--format", "xlsx", "--range", "all", "--as-of", AS_OF,
            "--output", str(xlsx))  # fmt: skip
    header_xlsx = [c.value for c in openpyxl.load_workbook(xlsx)["Details"][1]]
    assert "In progress" in header_xlsx and "Resolved in window" in header_xlsx
    assert len(header_xlsx) == 20  # name, email, 17 metrics, id
