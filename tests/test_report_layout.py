"""Report documents as a reader sees them: words on the PDF page and the chart in the XLSX
(see ``layout_checks``), for every report type, on SQLite and PostgreSQL, on a desk with
long emails, long subjects, Cyrillic text and two agents with the same name.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from datetime import timedelta

import pytest

from agentctl.database import Database
from agentctl.services.reports import REPORT_TYPES
from factories import T0, make_agent, make_ticket
from layout_checks import (
    AS_OF,
    LONG_EMAIL,
    LONG_SUBJECT,
    chart_anchors,
    check_charts_clear,
    check_pdf,
    check_xlsx_headers,
    column_width,
    seed_long_desk,
    table_titles,
)

D = timedelta(days=1)
H = timedelta(hours=1)


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
        fields=fields,
        rows=lambda: iter(rows),
        summary_source=m.Summary(
            [
                m.Figure("agents", "Agents", len(rows), "count"),
                m.Figure("available_minutes", "Available", sum(r[1] for r in rows), "minutes"),
                m.Figure("available_pct", "Available share", 12.5, "percent"),
            ],
            [],
            len(rows),
            m.Chart.stacked(
                "Time per status", "Minutes", series, ((r[0], r[1:5]) for r in rows), unit="minutes"
            ),
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
