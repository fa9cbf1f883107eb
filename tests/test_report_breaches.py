"""`report sla-breaches`: the CSV byte for byte, and the summary's SLA compliance.

Every expected cell below is written out by hand from the tickets made here (as_of is
T0, 2026-10-01 08:00 UTC; the window is the default 7 days), so a faster path through
the rows or the summary has to give exactly the same file and figures.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from agentctl.database import Database
from agentctl.timeutil import parse_datetime
from factories import T0, make_agent, make_ticket

AS_OF = "2026-10-01T08:00:00Z"
H = timedelta(hours=1)


def at(text: str) -> datetime:
    return parse_datetime(text)


@pytest.fixture
def breaches(db: Database) -> Database:
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com", name="Ana")
        zed = make_agent(s, "zed@acme.example", name="Zed", tenant_id="acme")
        # Resolved 90.5 minutes late; a formula subject; microseconds in created_at.
        make_ticket(
            s,
            ticket_number="X-1",
            agent=ana,
            subject="=SUM(A1)",
            status="resolved",
            priority="high",
            category="billing",
            created_at=at("2026-09-30T06:00:00.250000Z"),
            sla_due_date=at("2026-09-30T07:00:00Z"),
            resolved_at=at("2026-09-30T08:30:30Z"),
        )
        # Unassigned and open, 1 h 40 min 12 s (100.2 min) past due at as_of; quotes and
        # a comma in the subject, no category.
        make_ticket(
            s,
            ticket_number="X-2",
            subject='Straße "quoted", comma',
            created_at=at("2026-09-30T09:00:00Z"),
            sla_due_date=at("2026-10-01T06:19:48Z"),
        )
        # Tenant acme, waiting, 43 h (2,580 min) past due; one microsecond in created_at.
        make_ticket(
            s,
            ticket_number="X-3",
            tenant_id="acme",
            agent=zed,
            subject="-1 refund",
            status="waiting",
            priority="urgent",
            created_at=at("2026-09-29T12:00:00.000001Z"),
            sla_due_date=at("2026-09-29T13:00:00Z"),
        )
        # Met (resolved before due): not a row.
        make_ticket(
            s,
            ticket_number="X-4",
            agent=ana,
            status="closed",
            created_at=T0 - 5 * H,
            sla_due_date=T0 - 2 * H,
            resolved_at=T0 - 3 * H,
        )
    return db


EXPECTED_CSV = (
    "ticket_number,subject,status,priority,category,agent_email,created_at,sla_due_date,"
    "resolved_at,minutes_over,tenant_id\n"
    "X-3,'-1 refund,waiting,urgent,,zed@acme.example,2026-09-29T12:00:00.000001+00:00,"
    "2026-09-29T13:00:00+00:00,,2580.0,acme\n"
    "X-1,'=SUM(A1),resolved,high,billing,ana@example.com,2026-09-30T06:00:00.250000+00:00,"
    "2026-09-30T07:00:00+00:00,2026-09-30T08:30:30+00:00,90.5,\n"
    'X-2,"Straße ""quoted"", comma",open,normal,,,2026-09-30T09:00:00+00:00,'
    "2026-10-01T06:19:48+00:00,,100.2,\n"
)


def test_csv_is_byte_for_byte_the_expected_file(cli, breaches, tmp_path):
    out = tmp_path / "breaches.csv"
    r = cli("report", "sla-breaches", "--format", "csv", "--output", str(out), "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes() == EXPECTED_CSV.encode("utf-8")


def test_csv_to_stdout_is_the_same_text(cli, breaches):
    r = cli("report", "sla-breaches", "--format", "csv", "--output", "-", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == EXPECTED_CSV


@pytest.fixture
def compliance(db: Database) -> Database:
    """ana (active): 3 met, 1 breached; cy (inactive): 1 breached; unassigned: 2 met;
    ana also has one ticket not yet due and one without a due date (in neither count)."""
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com", name="Ana")
        cy = make_agent(s, "cy@example.com", name="Cy", is_active=False)
        met = {"status": "resolved", "sla_due_date": T0 - 2 * H, "resolved_at": T0 - 3 * H}
        for i in range(3):
            make_ticket(s, agent=ana, created_at=T0 - (10 + i) * H, **met)
        for _ in range(2):
            make_ticket(s, created_at=T0 - 10 * H, **met)
        make_ticket(s, agent=ana, created_at=T0 - 10 * H, sla_due_date=T0 - H)  # breached
        make_ticket(s, agent=cy, created_at=T0 - 10 * H, sla_due_date=T0 - H)  # breached
        make_ticket(s, agent=ana, created_at=T0 - 10 * H, sla_due_date=T0 + H)  # not yet due
        make_ticket(s, agent=ana, created_at=T0 - 10 * H)  # no due date
    return db


def test_summary_compliance_is_over_the_active_agents_tickets(cli, compliance):
    r = cli("report", "sla-breaches", "-f", "json", "--output", "-", "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)["summary"]
    # Only ana's tickets count, as in `performance`: 3 met / (3 met + 1 breached) = 75 %.
    # (With cy's breach it would be 60 %; with the unassigned ones 83.33 or 71.43 %.)
    assert summary["sla_compliance_rate"] == 75.0
    # The breaches themselves are everybody's: ana's, cy's (inactive) and none unassigned.
    assert summary["breached_tickets"] == 2
    assert [(a["agent_email"], a["breaches"]) for a in summary["by_agent"]] == [
        ("ana@example.com", 1),
        ("cy@example.com", 1),
    ]


def test_summary_compliance_of_one_tenant(cli, breaches):
    # acme: zed's X-3 is breached and nothing is met: 0 %, not null.
    r = cli(
        "--tenant",
        "acme",
        "report",
        "sla-breaches",
        "-f",
        "json",
        "--output",
        "-",
        "--as-of",
        AS_OF,
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["summary"]["sla_compliance_rate"] == 0.0
    # Every tenant: ana's X-1 breached and X-4 met, zed's X-3 breached (X-2 is
    # unassigned): 1 / 3 = 33.33 %.
    r = cli("report", "sla-breaches", "-f", "json", "--output", "-", "--as-of", AS_OF)
    assert json.loads(r.stdout)["summary"]["sla_compliance_rate"] == 33.33
