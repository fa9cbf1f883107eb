"""`agentctl report`: every type and format read back, files, runs and bad input.

``seed`` builds a small desk (shared by the mail tests). as_of is T0 (2026-10-01 08:00
UTC). In the 7-day window the breached tickets are A-2 (resolved 360 min late), A-3 (open,
120 min over), B-1 (waiting, 4,200 min over), U-1 (unassigned, 60 min over) and tenant
acme's A-1 (180 min over); A-1 was resolved in time.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from agentctl.database import Database
from agentctl.models import ReportRun
from agentctl.repository import performance as perf_repo
from agentctl.services import performance as perf
from agentctl.services.window import resolve_window
from factories import T0, make_agent, make_ticket

AS_OF = "2026-10-01T08:00:00Z"
H = timedelta(hours=1)
D = timedelta(days=1)
FORMULA_SUBJECT = '=HYPERLINK("http://evil.example/x","click")'
NON_LATIN_SUBJECT = "Straße, señor, café — Привет мир"


def seed(db: Database) -> None:
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com", name="Ana Alves", max_open_tickets=3)
        bo = make_agent(s, "bo@example.com", name="Bo Berg", status="busy")
        cy = make_agent(s, "cy@example.com", name="Cy Cole", is_active=False)
        make_ticket(
            s,
            ticket_number="A-1",
            agent=ana,
            created_at=T0 - 48 * H,
            status="resolved",
            first_response_at=T0 - 47 * H,
            resolved_at=T0 - 40 * H,
            sla_due_date=T0 - 38 * H,
        )
        make_ticket(
            s,
            ticket_number="A-2",
            agent=ana,
            created_at=T0 - 30 * H,
            status="closed",
            first_response_at=T0 - 29 * H,
            resolved_at=T0 - 20 * H,
            sla_due_date=T0 - 26 * H,
            priority="high",
        )
        make_ticket(
            s,
            ticket_number="A-3",
            agent=ana,
            created_at=T0 - 10 * H,
            status="open",
            sla_due_date=T0 - 2 * H,
            subject=FORMULA_SUBJECT,
            escalation_level=1,
        )
        make_ticket(
            s,
            ticket_number="A-4",
            agent=ana,
            created_at=T0 - 5 * H,
            status="in_progress",
            sla_due_date=T0 + 5 * H,
            subject="-42 is not a number here",
        )
        make_ticket(
            s,
            ticket_number="B-1",
            agent=bo,
            created_at=T0 - 72 * H,
            status="waiting",
            sla_due_date=T0 - 70 * H,
            subject=NON_LATIN_SUBJECT,
            priority="urgent",
            category="network",
        )
        make_ticket(
            s,
            ticket_number="B-2",
            agent=bo,
            created_at=T0 - 20 * D,
            status="open",
            sla_due_date=T0 - 19 * D,
        )
        make_ticket(
            s,
            ticket_number="C-1",
            agent=cy,
            created_at=T0 - 40 * D,
            status="open",
        )
        make_ticket(
            s,
            ticket_number="U-1",
            created_at=T0 - 3 * H,
            status="open",
            sla_due_date=T0 - 1 * H,
            priority="high",
        )
        # Another tenant's desk: in the reports without --tenant, alone with --tenant acme.
        zed = make_agent(s, "zed@acme.example", name="Zed", tenant_id="acme")
        make_ticket(
            s,
            ticket_number="A-1",
            tenant_id="acme",
            agent=zed,
            created_at=T0 - 6 * H,
            status="open",
            sla_due_date=T0 - 3 * H,
        )


# --- the tests ---------------------------------------------------------------------------


@pytest.fixture
def desk(db: Database) -> Database:
    seed(db)
    return db


def run(cli, *args: str):  # type: ignore[no-untyped-def]
    return cli("report", *args, "--as-of", AS_OF)


def runs(db: Database) -> list[ReportRun]:
    with db.session() as s:
        return list(s.scalars(select(ReportRun).order_by(ReportRun.started_at)))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def week() -> object:
    return resolve_window("7d", as_of=AS_OF)


# --- CSV ---------------------------------------------------------------------------------


def test_sla_breaches_csv_rows(cli, desk, tmp_path):
    out = tmp_path / "breaches.csv"
    r = run(cli, "sla-breaches", "--format", "csv", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    rows = read_csv(out)
    assert [(row["ticket_number"], row["minutes_over"]) for row in rows] == [
        ("B-1", "4200.0"),
        ("A-2", "360.0"),
        ("A-3", "120.0"),
        ("A-1", "180.0"),  # tenant acme
        ("U-1", "60.0"),
    ]
    b1 = rows[0]
    assert b1["subject"] == NON_LATIN_SUBJECT
    assert b1["agent_email"] == "bo@example.com"
    assert b1["created_at"] == "2026-09-28T08:00:00+00:00"
    assert b1["resolved_at"] == ""
    assert rows[-1]["agent_email"] == ""  # unassigned
    assert list(rows[0]) == [
        "ticket_number",
        "subject",
        "status",
        "priority",
        "category",
        "agent_email",
        "created_at",
        "sla_due_date",
        "resolved_at",
        "minutes_over",
        "tenant_id",
    ]


def test_csv_defuses_formulas_but_keeps_numbers(cli, desk, tmp_path):
    out = tmp_path / "aging.csv"
    r = run(cli, "aging", "--format", "csv", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    by_number = {(row["tenant_id"], row["ticket_number"]): row for row in read_csv(out)}
    assert by_number[("", "A-3")]["subject"] == "'" + FORMULA_SUBJECT
    assert by_number[("", "A-4")]["subject"] == "'-42 is not a number here"
    assert by_number[("", "B-1")]["subject"] == NON_LATIN_SUBJECT
    assert by_number[("", "A-3")]["age_hours"] == "10.0"  # a number, untouched


def test_csv_to_stdout(cli, desk):
    r = cli(
        "--tenant",
        "acme",
        "report",
        "sla-breaches",
        "--format",
        "csv",
        "--output",
        "-",
        "--as-of",
        AS_OF,
    )
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(row["ticket_number"], row["tenant_id"]) for row in rows] == [("A-1", "acme")]


def test_tenant_flag_is_global(cli, desk):
    r = cli(
        "--tenant", "acme", "report", "aging", "--format", "json", "--output", "-", "--as-of", AS_OF
    )
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["tenant"] == "acme"
    assert [row["ticket_number"] for row in doc["rows"]] == ["A-1"]
    assert doc["summary"]["open_tickets"] == 1


def test_default_output_path(cli, desk, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run(cli, "workload", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    path = tmp_path / "agentctl-workload-2026-10-01.csv"
    assert path.exists()
    assert [row["agent_email"] for row in read_csv(path)] == [
        "ana@example.com",
        "bo@example.com",
        "cy@example.com",  # inactive, still holds C-1
        "zed@acme.example",
    ]


# --- JSON --------------------------------------------------------------------------------


def test_sla_breaches_json_summary(cli, desk):
    r = run(cli, "sla-breaches", "--format", "json", "--output", "-")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) >= {"report", "window", "summary", "rows"}
    assert doc["report"] == "sla-breaches"
    assert doc["window"] == {
        "since": "2026-09-24T08:00:00+00:00",
        "until": "2026-10-01T08:00:00+00:00",
        "as_of": "2026-10-01T08:00:00+00:00",
        "range": "7d",
    }
    summary = doc["summary"]
    assert summary["breached_tickets"] == 5
    assert summary["unassigned_breaches"] == 1
    assert summary["max_minutes_over"] == 4200.0
    assert summary["avg_minutes_over"] == round((4200 + 360 + 120 + 180 + 60) / 5, 2)
    assert summary["by_agent"] == [
        {
            "agent_email": "ana@example.com",
            "agent_name": "Ana Alves",
            "breaches": 2,
            "avg_minutes_over": 240.0,
            "max_minutes_over": 360.0,
        },
        {
            "agent_email": "bo@example.com",
            "agent_name": "Bo Berg",
            "breaches": 1,
            "avg_minutes_over": 4200.0,
            "max_minutes_over": 4200.0,
        },
        {
            "agent_email": "zed@acme.example",
            "agent_name": "Zed",
            "breaches": 1,
            "avg_minutes_over": 180.0,
            "max_minutes_over": 180.0,
        },
        {
            "agent_email": None,
            "agent_name": "(unassigned)",
            "breaches": 1,
            "avg_minutes_over": 60.0,
            "max_minutes_over": 60.0,
        },
    ]
    assert [(p["priority"], p["breaches"]) for p in summary["by_priority"]] == [
        ("urgent", 1),
        ("high", 2),
        ("normal", 2),
    ]
    assert len(doc["rows"]) == 5


def test_sla_breaches_agree_with_performance(cli, desk, db):
    """The report's breaches per agent are performance's breached counts (same rule)."""
    doc = json.loads(run(cli, "sla-breaches", "--format", "json", "--output", "-").stdout)
    counted = {a["agent_email"]: a["breaches"] for a in doc["summary"]["by_agent"]}
    window = resolve_window("7d", as_of=AS_OF)
    with db.session() as s:
        totals, _desk = perf_repo.agent_totals(s, window.since, window.until, window.as_of, None)
        summary = perf.summarize(s, window, None)
    for agent in totals:
        assert counted.get(agent.agent_email, 0) == agent.totals.sla_breached
    assert doc["summary"]["sla_compliance_rate"] == perf.round2(summary.sla_compliance_rate)


def test_performance_json_equals_performance_metrics(cli, desk, db):
    r = run(cli, "performance", "--format", "json", "--output", "-")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    window = resolve_window("7d", as_of=AS_OF)
    with db.session() as s:
        expected = [m.as_dict() for m in perf.agent_metrics(s, window, None)]
        summary = perf.summarize(s, window, None).as_dict()
        trend = perf.bucket_metrics(s, window, None, "day")
    for row in expected:
        row["agent_id"] = str(row["agent_id"])
    assert doc["rows"] == expected
    for key, value in summary.items():
        assert doc["summary"][key] == value
    assert doc["parameters"] == {"by": "day"}
    assert [t["bucket_start"] for t in doc["summary"]["trend"]] == [
        b.bucket_start.isoformat() for b in trend
    ]
    assert [t["total_assigned"] for t in doc["summary"]["trend"]] == [
        b.total_assigned for b in trend
    ]
    for key in ("median_resolution_time_minutes", "first_response_sla_rate", "resolved_in_window"):
        assert [t[key] for t in doc["summary"]["trend"]] == [b.as_dict()[key] for b in trend]


def test_performance_trend_by_week(cli, desk):
    r = run(
        cli, "performance", "--format", "json", "--output", "-", "--range", "30d", "--by", "week"
    )
    assert r.exit_code == 0, r.stderr
    trend = json.loads(r.stdout)["summary"]["trend"]
    starts = [datetime.fromisoformat(t["bucket_start"]) for t in trend]
    assert all(s.weekday() == 0 for s in starts)
    assert (
        sum(t["total_assigned"] for t in trend) == json.loads(r.stdout)["summary"]["total_assigned"]
    )


def test_aging_buckets_at_their_edges(cli, db):
    ages = {
        "E-0": 23 * H + timedelta(minutes=59),  # <1d
        "E-1": 1 * D,  # exactly one day: 1-3d (lower bound inclusive)
        "E-3": 3 * D,  # 3-7d
        "E-7": 7 * D,  # 7-30d
        "E-30": 30 * D,  # >30d
    }
    with db.session(write=True) as s:
        for number, age in ages.items():
            make_ticket(s, ticket_number=number, created_at=T0 - age, status="open")
        make_ticket(s, ticket_number="DONE", created_at=T0 - 2 * D, status="resolved")
        make_ticket(s, ticket_number="LATER", created_at=T0 + H, status="open")
    doc = json.loads(run(cli, "aging", "--format", "json", "--output", "-").stdout)
    assert {row["ticket_number"]: row["age_bucket"] for row in doc["rows"]} == {
        "E-0": "<1d",
        "E-1": "1-3d",
        "E-3": "3-7d",
        "E-7": "7-30d",
        "E-30": ">30d",
    }
    assert {row["ticket_number"]: row["age_hours"] for row in doc["rows"]}["E-1"] == 24.0
    summary = doc["summary"]
    assert [
        summary[k]
        for k in ("age_under_1d", "age_1_to_3d", "age_3_to_7d", "age_7_to_30d", "age_over_30d")
    ] == [1, 1, 1, 1, 1]
    assert summary["by_agent"] == [
        {
            "agent_email": None,
            "agent_name": "(unassigned)",
            "under_1d": 1,
            "1_to_3d": 1,
            "3_to_7d": 1,
            "7_to_30d": 1,
            "over_30d": 1,
            "total": 5,
        }
    ]


def test_workload_rows(cli, desk):
    doc = json.loads(run(cli, "workload", "--format", "json", "--output", "-").stdout)
    ana, bo, cy, zed = doc["rows"]
    assert (ana["agent_email"], ana["open"], ana["in_progress"], ana["waiting"]) == (
        "ana@example.com",
        1,
        1,
        0,
    )
    assert (ana["workload"], ana["max_open_tickets"], ana["utilization_rate"]) == (2, 3, 66.67)
    assert (ana["oldest_open_ticket"], ana["oldest_open_age_hours"]) == ("A-3", 10.0)
    assert ana["oldest_open_created_at"] == "2026-09-30T22:00:00+00:00"
    assert (bo["status"], bo["workload"], bo["max_open_tickets"], bo["oldest_open_ticket"]) == (
        "busy",
        2,
        None,
        "B-2",
    )
    # Cy was removed but still holds C-1: listed, so the totals keep the ticket.
    assert (cy["status"], cy["workload"], cy["oldest_open_ticket"]) == ("inactive", 1, "C-1")
    assert zed["tenant_id"] == "acme"
    summary = doc["summary"]
    assert summary["active_agents"] == 3  # Cy is inactive
    assert summary["inactive_agents_with_work"] == 1
    assert summary["total_workload"] == 6
    assert summary["by_status"][4] == {"status": "inactive", "agents": 1, "workload": 1}
    assert summary["unassigned_open"] == 1
    assert summary["agents_at_capacity"] == 0
    assert summary["by_status"][0] == {"status": "available", "agents": 2, "workload": 3}


# --- XLSX --------------------------------------------------------------------------------


def test_performance_xlsx(cli, desk, db, tmp_path):
    import openpyxl

    out = tmp_path / "perf.xlsx"
    r = run(cli, "performance", "--format", "xlsx", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Summary", "Details", "Trend"]
    summary, details, trend = book["Summary"], book["Details"], book["Trend"]
    assert len(summary._charts) == 1
    chart = summary._charts[0]
    assert chart.tagname == "barChart"
    figures = {
        row[0]: row[1]
        for row in summary.iter_rows(min_row=1, values_only=True)
        if row[0] is not None
    }
    window = resolve_window("7d", as_of=AS_OF)
    with db.session() as s:
        metrics = perf.agent_metrics(s, window, None)
        desk_summary = perf.summarize(s, window, None)
    assert figures["Resolved"] == desk_summary.total_resolved
    assert figures["Active agents"] == desk_summary.active_agents

    assert details.freeze_panes == "A2"
    assert details.auto_filter.ref == f"A1:T{len(metrics) + 1}"  # 3 + 17 metric columns
    assert details.column_dimensions["B"].width > 20
    header = [c.value for c in details[1]]
    # Names first, the machine id last; durations in [h]:mm, rates as percentages.
    assert header[:2] == ["Agent", "Email"] and header[-1] == "Agent id"
    rows = list(details.iter_rows(min_row=2, values_only=True))
    by_email = {row[1]: row for row in rows}
    for m in metrics:
        row = by_email[m.agent_email]
        assert row[-1] == str(m.agent_id)
        assert row[2] == m.total_assigned and isinstance(row[2], int)
        assert row[3] == m.total_resolved
        expected = m.as_dict()
        for i, key in enumerate(
            ["avg_resolution_time_minutes", "avg_first_response_time_minutes"], start=7
        ):
            if expected[key] is None:
                assert row[i] is None
            else:
                assert abs(row[i] - timedelta(minutes=expected[key])) < timedelta(seconds=1)
        for i, key in enumerate(["sla_compliance_rate", "escalation_rate"], start=9):
            if expected[key] is None:
                assert row[i] is None
            else:
                assert row[i] == pytest.approx(expected[key] / 100, abs=1e-9)
    ana = by_email["ana@example.com"]
    assert isinstance(ana[7], timedelta) and ana[7] > timedelta(0)
    trend_rows = list(trend.iter_rows(min_row=2, values_only=True))
    assert all(isinstance(row[0], datetime) for row in trend_rows)
    assert trend_rows[0][0] == datetime(2026, 9, 24)
    assert trend.freeze_panes == "A2"


def test_xlsx_cells_are_typed_and_formula_safe(cli, desk, tmp_path):
    import openpyxl

    out = tmp_path / "b.xlsx"
    r = run(cli, "sla-breaches", "--format", "xlsx", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    book = openpyxl.load_workbook(out)
    assert len(book["Summary"]._charts) == 1
    details = book["Details"]
    cells = {row[0].value: row for row in details.iter_rows(min_row=2)}
    a3 = cells["A-3"]
    assert a3[1].value == FORMULA_SUBJECT
    assert a3[1].data_type == "s" and a3[1].quotePrefix  # text, never a formula
    assert cells["B-1"][1].value == NON_LATIN_SUBJECT
    assert not cells["B-1"][1].quotePrefix
    assert cells["B-1"][6].value == datetime(2026, 9, 28, 8, 0)  # a real Excel datetime
    assert cells["B-1"][6].is_date
    assert cells["B-1"][9].value == timedelta(minutes=4200)  # an Excel duration, [h]:mm
    assert cells["B-1"][9].number_format == "[h]:mm"
    assert all(c.data_type != "f" for row in details.iter_rows() for c in row)


# --- PDF ---------------------------------------------------------------------------------


def pdf_text(path: Path) -> tuple[int, str]:
    import pypdf

    reader = pypdf.PdfReader(path)
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_performance_pdf(cli, desk, db, tmp_path):
    out = tmp_path / "perf.pdf"
    r = run(cli, "performance", "--format", "pdf", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF")
    _, text = pdf_text(out)
    assert "Agent performance" in text
    assert "2026-09-24 08:00 to 2026-10-01 08:00 UTC" in text
    assert "all tenants" in text and "Generated" in text
    assert "Resolved tickets per agent" in text  # the chart
    window = resolve_window("7d", as_of=AS_OF)
    with db.session() as s:
        summary = perf.summarize(s, window, None)
    assert f"{summary.total_assigned}\nAssigned" in text  # a figure box: value, label
    for name in ("Ana Alves", "Bo Berg", "Zed"):  # agents by name; no email needed here
        assert name in text
    assert "ana@example.com" not in text


def test_pdf_renders_non_latin_subjects(cli, desk, tmp_path):
    out = tmp_path / "aging.pdf"
    r = run(cli, "aging", "--format", "pdf", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    _, text = pdf_text(out)
    assert "Привет" in text and "Straße" in text and "señor" in text and "café" in text
    assert b"DejaVu" in out.read_bytes()  # the embedded Unicode font, not Helvetica
    assert b"/Helvetica" not in out.read_bytes()


def test_pdf_pages_grow_with_rows_and_repeat_the_header(cli, db, tmp_path):
    with db.session(write=True) as s:
        for i in range(10):
            make_ticket(s, ticket_number=f"S-{i:04d}", created_at=T0 - (i + 1) * H, status="open")
    small = tmp_path / "small.pdf"
    assert run(cli, "aging", "--format", "pdf", "--output", str(small)).exit_code == 0
    with db.session(write=True) as s:
        for i in range(10, 300):
            make_ticket(s, ticket_number=f"S-{i:04d}", created_at=T0 - (i + 1) * H, status="open")
    big = tmp_path / "big.pdf"
    assert run(cli, "aging", "--format", "pdf", "--output", str(big)).exit_code == 0
    small_pages, _ = pdf_text(small)
    big_pages, text = pdf_text(big)
    assert big_pages >= small_pages + 3
    assert text.count("Subject") >= big_pages - 1  # the header on every details page
    assert "S-0299" in text


# --- files and runs ----------------------------------------------------------------------


def test_run_is_recorded(cli, desk, db, tmp_path):
    out = tmp_path / "w.json"
    r = cli(
        "--tenant",
        "acme",
        "report",
        "workload",
        "--format",
        "json",
        "--output",
        str(out),
        "--as-of",
        AS_OF,
    )
    assert r.exit_code == 0, r.stderr
    (recorded,) = runs(db)
    assert recorded.status == "succeeded"
    assert (recorded.report_type, recorded.format, recorded.tenant_id) == (
        "workload",
        "json",
        "acme",
    )
    assert recorded.rows == 1
    assert recorded.bytes == out.stat().st_size
    assert recorded.output_path == str(out)
    assert recorded.recipients == [] and recorded.error is None
    assert recorded.schedule_id is None and recorded.finished_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bogus", "--format", "csv"], "unknown report type 'bogus'"),
        (["aging", "--format", "docx"], "unknown format 'docx'"),
        (["aging", "--format", "xlsx", "--output", "-"], "xlsx needs a file path"),
        (["aging", "--format", "csv", "--email", "not-an-address"], "invalid email address"),
        (["aging", "--format", "csv", "--email", "a@example.com"], "AGENTCTL_SMTP_URL"),
        (["aging", "--format", "csv", "--by", "week"], "--by applies to the performance"),
        (["performance", "--format", "csv", "--by", "month"], "unknown --by bucket"),
        (["aging", "--format", "csv", "--range", "5x"], "unknown range"),
    ],
)
def test_bad_input_is_exit_2_before_any_work(cli, desk, db, tmp_path, monkeypatch, args, message):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    r = cli("report", *args)
    assert r.exit_code == 2, r.stderr
    assert r.stderr.startswith("error: ") and message in r.stderr
    assert runs(db) == []
    assert os.listdir(work) == []


def test_bad_address_among_good_ones_stops_everything(cli, desk, db, tmp_path, smtp_server):
    out = tmp_path / "r.csv"
    r = run(
        cli,
        "aging",
        "--format",
        "csv",
        "--output",
        str(out),
        "--smtp-url",
        smtp_server.url(),
        "--email",
        "ok@example.com",
        "--email",
        "bad@@example.com",
    )
    assert r.exit_code == 2
    assert "bad@@example.com" in r.stderr
    assert not out.exists() and runs(db) == [] and smtp_server.messages == []


def test_unwritable_path_is_a_failed_run(cli, desk, db, tmp_path):
    out = tmp_path / "missing-dir" / "r.csv"
    r = run(cli, "aging", "--format", "csv", "--output", str(out))
    assert r.exit_code == 1
    assert r.stderr.startswith("error: cannot write ")
    assert "missing-dir" in r.stderr and r.stderr.count("\n") == 1
    (recorded,) = runs(db)
    assert recorded.status == "failed" and "cannot write" in (recorded.error or "")
    assert recorded.finished_at is not None


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf", "json"])
def test_failed_write_leaves_no_half_file(cli, desk, db, tmp_path, monkeypatch, fmt):
    """A failure half-way keeps the previous file whole and leaves no temporary behind."""
    from agentctl.repository import reports as repo

    out = tmp_path / "out" / f"report.{fmt}"
    out.parent.mkdir()
    out.write_bytes(b"previous report")
    real = repo.stream_rows

    def failing(session, statement, **kwargs):  # type: ignore[no-untyped-def]
        for i, row in enumerate(real(session, statement, **kwargs)):
            if i == 2:
                raise OSError(28, "No space left on device")
            yield row

    monkeypatch.setattr(repo, "stream_rows", failing)
    r = run(cli, "aging", "--format", fmt, "--output", str(out))
    assert r.exit_code == 1
    assert "No space left on device" in r.stderr
    assert out.read_bytes() == b"previous report"
    assert os.listdir(out.parent) == [f"report.{fmt}"]
    (recorded,) = runs(db)
    assert recorded.status == "failed"


def test_report_needs_format(cli, desk):
    r = cli("report", "aging")
    assert r.exit_code == 2


def test_help_lists_the_options(cli):
    r = cli("report", "--help")
    assert r.exit_code == 0
    for option in (
        "--format",
        "--output",
        "--email",
        "--subject",
        "--by",
        "--smtp-url",
        "--mail-from",
        "--range",
        "--since",
        "--until",
        "--as-of",
    ):
        assert option in r.stdout


def test_since_until_window(cli, desk):
    r = cli(
        "report",
        "sla-breaches",
        "--format",
        "json",
        "--output",
        "-",
        "--since",
        "2026-09-29T00:00:00+02:00",
        "--until",
        "2026-09-30T12:00:00Z",
        "--as-of",
        AS_OF,
    )
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["window"]["since"] == "2026-09-28T22:00:00+00:00"
    assert [row["ticket_number"] for row in doc["rows"]] == ["A-2"]
