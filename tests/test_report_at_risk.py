"""``report sla-at-risk``: rows and summary against times worked out by hand.

as_of is 2026-10-01 08:00 UTC; with the default ``--within 2h`` a ticket is at risk when
its next due time is in (08:00, 10:00].
"""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from agentctl.services.reports.at_risk import describe_within, parse_within, sla_at_risk_report
from agentctl.services.window import resolve_window
from factories import T0, make_agent, make_ticket

AS_OF = "2026-10-01T08:00:00Z"
M = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.fixture
def desk(db):  # type: ignore[no-untyped-def]
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com", name="Ana Alves")
        bo = make_agent(s, "bo@example.com", name="Bo Berg")
        dee = make_agent(s, "dee@acme.example", name="Dee Dunn", tenant_id="acme")
        # First response due in 30 min, not answered yet (the resolution is due later).
        make_ticket(
            s,
            ticket_number="R-1",
            agent=ana,
            status="open",
            subject="VPN down",
            priority="high",
            category="network",
            created_at=T0 - 2 * H,
            first_response_due_at=T0 + 30 * M,
            sla_due_date=T0 + 8 * H,
        )
        # Answered, so the resolution counts: due exactly 2 h after as_of (just inside).
        make_ticket(
            s,
            ticket_number="R-2",
            agent=bo,
            status="in_progress",
            created_at=T0 - 5 * H,
            first_response_at=T0 - H,
            first_response_due_at=T0 - 30 * M,
            sla_due_date=T0 + 2 * H,
        )
        # Due 2 h 1 min after as_of: just outside.
        make_ticket(
            s,
            ticket_number="R-3",
            agent=ana,
            status="waiting",
            created_at=T0 - 5 * H,
            first_response_at=T0 - 4 * H,
            sla_due_date=T0 + 2 * H + M,
        )
        # Unassigned, first response due in 90 min.
        make_ticket(
            s,
            ticket_number="R-4",
            status="open",
            created_at=T0 - 10 * M,
            first_response_due_at=T0 + 90 * M,
            sla_due_date=T0 + 24 * H,
        )
        # First response already breached: its next due time is past, so not at risk,
        # although the resolution falls due within the hour.
        make_ticket(
            s,
            ticket_number="R-5",
            agent=bo,
            status="open",
            created_at=T0 - 3 * H,
            first_response_due_at=T0 - 10 * M,
            sla_due_date=T0 + H,
        )
        # Due exactly at as_of: due now is a breach, not a risk.
        make_ticket(
            s,
            ticket_number="R-6",
            agent=bo,
            status="open",
            created_at=T0 - 3 * H,
            first_response_at=T0 - 2 * H,
            sla_due_date=T0,
        )
        # Resolved and closed tickets never are at risk.
        make_ticket(
            s,
            ticket_number="R-7",
            agent=ana,
            status="resolved",
            created_at=T0 - 3 * H,
            first_response_at=T0 - 2 * H,
            sla_due_date=T0 + H,
        )
        make_ticket(
            s,
            ticket_number="R-8",
            agent=ana,
            status="closed",
            created_at=T0 - H,
            first_response_due_at=T0 + 10 * M,
        )
        # No first-response due time (no policy): the resolution due time counts.
        make_ticket(
            s,
            ticket_number="R-9",
            agent=ana,
            status="open",
            category="billing",
            created_at=T0 - H,
            sla_due_date=T0 + 45 * M,
            subject="=1+2",
        )
        # Another tenant.
        make_ticket(
            s,
            ticket_number="R-10",
            agent=dee,
            tenant_id="acme",
            status="open",
            created_at=T0 - H,
            first_response_due_at=T0 + 15 * M,
            sla_due_date=T0 + 9 * H,
            priority="urgent",
        )
        # No due time at all.
        make_ticket(s, ticket_number="R-11", agent=ana, status="open", created_at=T0 - H)
    return db


def report_json(cli, *args: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    r = cli("report", "sla-at-risk", "-f", "json", "-o", "-", "--as-of", AS_OF, *args)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def row(  # type: ignore[no-untyped-def]
    number, priority, category, agent, kind, due, minutes, tenant=None, subject="Cannot connect"
):
    return {
        "ticket_number": number,
        "subject": subject,
        "priority": priority,
        "category": category,
        "agent_email": agent,
        "due_kind": kind,
        "due_at": due,
        "minutes_left": minutes,
        "tenant_id": tenant,
    }


EXPECTED_2H = [
    row(
        "R-10",
        "urgent",
        None,
        "dee@acme.example",
        "first_response",
        "2026-10-01T08:15:00+00:00",
        15.0,
        "acme",
    ),
    row(
        "R-1",
        "high",
        "network",
        "ana@example.com",
        "first_response",
        "2026-10-01T08:30:00+00:00",
        30.0,
        subject="VPN down",
    ),
    row(
        "R-9",
        "normal",
        "billing",
        "ana@example.com",
        "resolution",
        "2026-10-01T08:45:00+00:00",
        45.0,
        subject="=1+2",
    ),
    row("R-4", "normal", None, None, "first_response", "2026-10-01T09:30:00+00:00", 90.0),
    row("R-2", "normal", None, "bo@example.com", "resolution", "2026-10-01T10:00:00+00:00", 120.0),
]


def test_rows_soonest_first(cli, desk):
    body = report_json(cli)
    assert body["rows"] == EXPECTED_2H
    assert body["parameters"] == {"within": "2h", "within_minutes": 120}
    assert body["window"]["range"] == "all"


def test_summary_per_agent_and_due_kind(cli, desk):
    summary = report_json(cli)["summary"]
    assert summary["at_risk_tickets"] == 5
    assert summary["first_response_due"] == 3
    assert summary["resolution_due"] == 2
    assert summary["unassigned_at_risk"] == 1
    assert summary["soonest_minutes_left"] == 15.0
    by_agent = [
        (a["agent_email"], a["at_risk"], a["first_response"], a["resolution"])
        for a in summary["by_agent"]
    ]
    assert by_agent == [
        ("ana@example.com", 2, 1, 1),
        ("bo@example.com", 1, 0, 1),
        ("dee@acme.example", 1, 1, 0),
        (None, 1, 1, 0),
    ]
    assert summary["by_agent"][-1]["agent_name"] == "(unassigned)"
    assert summary["by_due_kind"] == [
        {"due_kind": "first_response", "tickets": 3},
        {"due_kind": "resolution", "tickets": 2},
    ]


@pytest.mark.parametrize(
    ("within", "numbers"),
    [
        ("30m", ["R-10", "R-1"]),  # 30 min: R-1 due at exactly 08:30 is in
        ("29m", ["R-10"]),
        ("1h30m", ["R-10", "R-1", "R-9", "R-4"]),
        ("2h", ["R-10", "R-1", "R-9", "R-4", "R-2"]),
        ("2h1m", ["R-10", "R-1", "R-9", "R-4", "R-2", "R-3"]),  # R-3 just outside 2h
    ],
)
def test_within(cli, desk, within, numbers):
    body = report_json(cli, "--within", within)
    assert [r["ticket_number"] for r in body["rows"]] == numbers


def test_tenant(cli, desk):
    r = cli("--tenant", "acme", "report", "sla-at-risk", "-f", "json", "-o", "-", "--as-of", AS_OF)
    assert [x["ticket_number"] for x in json.loads(r.stdout)["rows"]] == ["R-10"]


def test_csv_has_the_design_columns(cli, desk, tmp_path):
    out = tmp_path / "risk.csv"
    r = cli("report", "sla-at-risk", "-f", "csv", "-o", out, "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "ticket_number",
        "subject",
        "priority",
        "category",
        "agent_email",
        "due_kind",
        "due_at",
        "minutes_left",
        "tenant_id",
    ]
    assert rows[1] == [
        "R-10",
        "Cannot connect",
        "urgent",
        "",
        "dee@acme.example",
        "first_response",
        "2026-10-01T08:15:00+00:00",
        "15.0",
        "acme",
    ]
    assert rows[3][1] == "'=1+2"  # formula-safe
    assert len(rows) == 6


def test_xlsx_and_pdf(cli, desk, tmp_path):
    xlsx = tmp_path / "risk.xlsx"
    assert cli("report", "sla-at-risk", "-f", "xlsx", "-o", xlsx, "--as-of", AS_OF).exit_code == 0
    book = load_workbook(xlsx)
    details = book["Details"]
    values = [[c.value for c in r] for r in details.iter_rows()]
    assert values[0][:3] == ["Ticket", "Subject", "Priority"]
    assert [v[0] for v in values[1:]] == ["R-10", "R-1", "R-9", "R-4", "R-2"]
    # The time left is a true Excel duration (R-10: due 15 minutes after as_of).
    assert values[0][7] == "Time left (h:mm)"
    assert values[1][7] == timedelta(minutes=15)
    assert details.cell(row=2, column=8).number_format == "[h]:mm"
    # The per-agent table: counts as integers, the soonest due as a duration.
    summary = book["Summary"]
    (ana,) = [r for r in summary.iter_rows() if r[1].value == "ana@example.com"]
    # Name first, then the email; Ana's R-1 (first response in 30 min) and R-9 (resolution
    # in 45 min): 2 at risk, 1 of each kind, the soonest in 30 minutes.
    assert [c.value for c in ana[:6]] == ["Ana Alves", "ana@example.com", 2, 1, 1, 30 * M]
    assert ana[2].number_format == "#,##0" and ana[5].number_format == "[h]:mm"
    pdf = tmp_path / "risk.pdf"
    assert cli("report", "sla-at-risk", "-f", "pdf", "-o", pdf, "--as-of", AS_OF).exit_code == 0
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "SLA at risk within 2h" in text
    assert "R-10" in text and "R-2" in text and "R-3" not in text
    # Agents by name, durations for people: R-4 is due in 90 minutes, R-10 in 15.
    assert "Ana Alves" in text and "ana@example.com" not in text
    assert "1h 30m" in text and "15m" in text and "90.00" not in text


def test_keys_for_new_only(desk):
    window = resolve_window(None, None, None, AS_OF, default_range="all")
    with desk.session() as s:
        report = sla_at_risk_report(s, window, None, T0, timedelta(hours=2))
        keyed = list(report.keyed_rows())
        from sqlalchemy import select

        from agentctl.models import Ticket

        ids = dict(s.execute(select(Ticket.ticket_number, Ticket.id)).all())
    assert [(key[0], key[1]) for key, _ in keyed] == [
        (ids["R-10"], T0 + 15 * M),
        (ids["R-1"], T0 + 30 * M),
        (ids["R-9"], T0 + 45 * M),
        (ids["R-4"], T0 + 90 * M),
        (ids["R-2"], T0 + 2 * H),
    ]
    assert all(len(r) == 9 for _, r in keyed)


@pytest.mark.parametrize(
    ("text", "minutes"), [("30m", 30), ("2h", 120), ("1h30m", 90), ("1d", 1440), (" 2H ", 120)]
)
def test_parse_within(text, minutes):
    assert parse_within(text) == timedelta(minutes=minutes)
    assert describe_within(timedelta(minutes=minutes)) == text.strip().lower()


@pytest.mark.parametrize("args", [["--within", "2x"], ["--within", "0m"], ["--within", "h"]])
def test_bad_within_is_a_usage_error(cli, desk, args):
    r = cli("report", "sla-at-risk", "-f", "json", "-o", "-", *args)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: --within")
    assert len(r.stderr.splitlines()) == 1


def test_within_belongs_to_sla_at_risk(cli, desk):
    r = cli("report", "aging", "-f", "json", "-o", "-", "--within", "2h")
    assert r.exit_code == 2
    assert r.stderr == "error: --within applies to the sla-at-risk report only\n"
