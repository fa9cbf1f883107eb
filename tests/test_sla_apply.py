"""`agentctl sla apply`: due dates and business minutes, worked out by hand.

The desk (null tenant) has a default calendar, Mon-Fri 09:00-17:00 Europe/Berlin with the
public holidays of DE-BE (CET = UTC+1 in winter, CEST = UTC+2 from 2026-03-29), and two
policies: urgent (first response 30m, resolution 4h) and rest (1h, 8h). Tenant acme has
no calendar and one policy (resolution 2h, plain minutes). Tenant globex has neither.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from agentctl.models import Ticket
from factories import make_ticket


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def ok(cli: Any, *args: str) -> str:
    r = cli(*args)
    assert r.exit_code == 0, r.stderr
    return str(r.stdout)


def setup_desk(cli: Any, db: Any) -> None:
    ok(
        cli,
        "calendars",
        "add",
        "office",
        "--timezone",
        "Europe/Berlin",
        "--hours",
        "mon-fri 09:00-17:00",
        "--holidays",
        "DE-BE",
        "--default",
    )
    ok(
        cli,
        "sla",
        "add",
        "urgent",
        "--priority",
        "urgent",
        "--first-response",
        "30m",
        "--resolution",
        "4h",
    )
    ok(cli, "sla", "add", "rest", "--first-response", "1h", "--resolution", "8h")
    ok(cli, "--tenant", "acme", "sla", "add", "rest", "--resolution", "2h")
    with db.session(write=True) as s:
        # Inside hours: Mon 2026-11-30 10:00 local; an imported due date the policy replaces.
        make_ticket(
            s,
            ticket_number="A",
            priority="urgent",
            created_at=utc(2026, 11, 30, 9),
            first_response_at=utc(2026, 11, 30, 9, 20),
            resolved_at=utc(2026, 11, 30, 14),
            status="resolved",
            sla_due_date=utc(2026, 12, 31),
        )
        # Outside hours: Fri 2026-11-27 18:00 local, answered Mon 09:30 local.
        make_ticket(
            s,
            ticket_number="B",
            created_at=utc(2026, 11, 27, 17),
            first_response_at=utc(2026, 11, 30, 8, 30),
        )
        # On a holiday: Christmas Day, Fri 2026-12-25 10:00 local; resolved Mon 11:00 local.
        make_ticket(
            s,
            ticket_number="C",
            created_at=utc(2026, 12, 25, 9),
            resolved_at=utc(2026, 12, 28, 10),
            status="resolved",
        )
        # Across spring forward: Fri 2026-03-27 16:00 CET; resolved Mon 10:00 CEST.
        make_ticket(
            s,
            ticket_number="D",
            created_at=utc(2026, 3, 27, 15),
            resolved_at=utc(2026, 3, 30, 8),
            status="resolved",
        )
        # No policy, no calendar: the imported due date stays; plain minutes.
        make_ticket(
            s,
            ticket_number="E",
            tenant_id="globex",
            created_at=utc(2026, 11, 30, 9),
            resolved_at=utc(2026, 11, 30, 10, 30),
            status="resolved",
            sla_due_date=utc(2026, 12, 1, 12),
        )
        # acme: a policy without a first-response target keeps the imported one.
        make_ticket(
            s,
            ticket_number="F",
            tenant_id="acme",
            created_at=utc(2026, 11, 28, 10),
            resolved_at=utc(2026, 11, 28, 11),
            status="resolved",
            first_response_due_at=utc(2026, 11, 28, 10, 45),
        )


def columns(db: Any) -> dict[str, tuple[Any, ...]]:
    with db.session() as s:
        rows = s.execute(
            select(
                Ticket.ticket_number,
                Ticket.sla_policy_id,
                Ticket.first_response_due_at,
                Ticket.sla_due_date,
                Ticket.first_response_business_minutes,
                Ticket.resolution_business_minutes,
            )
        )
        return {r[0]: (r[1] is not None, *r[2:]) for r in rows}


EXPECTED = {
    # 10:00 + 30 = 10:30 local; + 240 = 14:00 local; 20 and 300 business minutes.
    "A": (True, utc(2026, 11, 30, 9, 30), utc(2026, 11, 30, 13), 20.0, 300.0),
    # The clock starts Mon 09:00 local: + 60 = 10:00, + 480 = 17:00; answered after 30.
    "B": (True, utc(2026, 11, 30, 9), utc(2026, 11, 30, 16), 30.0, None),
    # Fri 25th and Sat 26th are holidays: the clock starts Mon 28th 09:00 local.
    "C": (True, utc(2026, 12, 28, 9), utc(2026, 12, 28, 16), None, 120.0),
    # + 60 = Fri 17:00 CET (16:00Z); + 480 = 60 Fri + 420 Mon: Mon 16:00 CEST (14:00Z);
    # resolved after 60 (Fri) + 60 (Mon).
    "D": (True, utc(2026, 3, 27, 16), utc(2026, 3, 30, 14), None, 120.0),
    # Untouched due date; 90 plain minutes.
    "E": (False, None, utc(2026, 12, 1, 12), None, 90.0),
    # 2 plain hours after Sat 10:00Z; the imported first-response due time stays.
    "F": (True, utc(2026, 11, 28, 10, 45), utc(2026, 11, 28, 12), None, 60.0),
}


def test_apply_sets_due_dates_and_business_minutes(cli, db):
    setup_desk(cli, db)
    before = columns(db)
    assert ok(cli, "sla", "apply", "--dry-run") == "6 of 6 tickets would change.\n"
    assert columns(db) == before
    assert ok(cli, "sla", "apply") == "6 of 6 tickets changed.\n"
    assert columns(db) == EXPECTED
    assert ok(cli, "sla", "apply") == "0 of 6 tickets changed.\n"


def test_apply_in_pages_of_two_writes_every_page(cli, db, monkeypatch):
    """Six tickets in pages of two: each page's write is limited to that page's id range."""
    from agentctl.repository import sla as sla_repo
    from agentctl.repository import sla_pg

    monkeypatch.setattr(sla_repo, "PAGE", 2)
    monkeypatch.setattr(sla_pg, "PAGE", 2)
    monkeypatch.setattr(sla_pg, "WRITE_PAGE", 2)
    setup_desk(cli, db)
    assert ok(cli, "sla", "apply") == "6 of 6 tickets changed.\n"
    assert columns(db) == EXPECTED
    assert ok(cli, "sla", "apply") == "0 of 6 tickets changed.\n"


def test_apply_in_one_tenant_leaves_the_others(cli, db):
    setup_desk(cli, db)
    assert ok(cli, "--tenant", "acme", "sla", "apply") == "1 of 1 tickets changed.\n"
    after = columns(db)
    assert after["F"] == EXPECTED["F"]
    assert after["A"] == (False, None, utc(2026, 12, 31), None, None)
    assert after["E"] == (False, None, utc(2026, 12, 1, 12), None, None)


def test_changes_to_policies_and_calendars_report_out_of_date_tickets(cli, db):
    setup_desk(cli, db)
    ok(cli, "sla", "apply")
    # Tighter urgent target: only ticket A is urgent.
    out = ok(cli, "sla", "update", "urgent", "--resolution", "3h")
    assert out.splitlines()[-1] == (
        "1 ticket is now out of date; run `agentctl sla apply` to update them."
    )
    ok(cli, "sla", "apply")
    # A Saturday shift on the desk's calendar: B (created Friday evening) and D (due
    # after the weekend) change; C's Saturday is a holiday, A is on a Monday.
    out = ok(cli, "calendars", "update", "office", "--hours", "mon-sat 09:00-17:00")
    assert out.splitlines()[-1] == (
        "2 tickets are now out of date; run `agentctl sla apply` to update them."
    )
    # B: Sat 09:00 local + 60 = Sat 10:00 (09:00Z); + 480 = Sat 17:00 (16:00Z);
    # answered Mon 09:30: 480 (Sat) + 30.
    ok(cli, "sla", "apply")
    assert columns(db)["B"] == (True, utc(2026, 11, 28, 9), utc(2026, 11, 28, 16), 510.0, None)
    # D: + 480 = 60 Fri + 420 Sat: Sat 16:00 CET (15:00Z); resolved after 60 + 480 + 60.
    assert columns(db)["D"] == (True, utc(2026, 3, 27, 16), utc(2026, 3, 28, 15), None, 600.0)


def test_moving_a_policy_changes_which_one_applies(cli, db):
    setup_desk(cli, db)
    ok(cli, "sla", "apply")
    out = ok(cli, "sla", "move", "rest", "--to", "1")
    # Now "rest" (first match for any priority) takes ticket A too.
    assert out.splitlines()[-1].startswith("1 ticket is now out of date")
    ok(cli, "sla", "apply")
    # 10:00 + 60 = 11:00 local (10:00Z); + 480 = Tue 10:00 local (09:00Z).
    assert columns(db)["A"][1:3] == (utc(2026, 11, 30, 10), utc(2026, 12, 1, 9))


def test_performance_business_figures_per_tenant(cli, db):
    """After `sla apply`, performance's new figures, per tenant, worked out by hand."""
    from sqlalchemy import update

    from factories import make_agent

    setup_desk(cli, db)
    ok(cli, "sla", "apply")
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com", name="Ana")
        gus = make_agent(s, "gus@globex.example", name="Gus", tenant_id="globex")
        amy = make_agent(s, "amy@acme.example", name="Amy", tenant_id="acme")
        for numbers, agent in ((["A", "B", "C", "D"], ana), (["E"], gus), (["F"], amy)):
            s.execute(
                update(Ticket)
                .where(Ticket.ticket_number.in_(numbers))
                .values(assigned_to_user_id=agent.id)
            )

    def row(*tenant: str) -> dict[str, Any]:
        r = cli(*tenant, "performance", "--range", "all", "--as-of", "2027-01-01", "-f", "json")
        assert r.exit_code == 0, r.stderr
        (only,) = r.json()
        return only  # type: ignore[no-any-return]

    # Without --tenant every tenant's agents show: take Ana's row.
    r = cli("performance", "--range", "all", "--as-of", "2027-01-01", "-f", "json")
    ana_row = {x["agent_email"]: x for x in r.json()}["ana@example.com"]
    assert {k: ana_row[k] for k in ana_row if k not in ("agent_id", "agent_name")} == {
        "agent_email": "ana@example.com",
        "total_assigned": 4,
        "total_resolved": 3,
        "total_open": 1,
        "total_in_progress": 0,
        "total_waiting": 0,
        # wall minutes: A 300, C 4380 (3 days + 1 h), D 3900 (65 h over the DST change)
        "avg_resolution_time_minutes": 2860.0,
        # A 20, B 3810 (Fri 17:00Z to Mon 08:30Z)
        "avg_first_response_time_minutes": 1915.0,
        # C and D resolved before their due times; A after (14:00Z > 13:00Z), and B is
        # unresolved past its due time
        "sla_compliance_rate": 50.0,
        "escalation_rate": 0.0,
        "median_resolution_time_minutes": 3900.0,
        "p90_resolution_time_minutes": 4284.0,  # 3900 + 0.8 x 480
        "median_first_response_time_minutes": 1915.0,  # 20 + 0.5 x 3790
        "p90_first_response_time_minutes": 3431.0,  # 20 + 0.9 x 3790
        "avg_resolution_business_minutes": 180.0,  # (300 + 120 + 120) / 3
        "avg_first_response_business_minutes": 25.0,  # (20 + 30) / 2
        # A and B answered in time; C and D never answered, due long before as_of
        "first_response_sla_rate": 50.0,
        "resolved_in_window": 3,
    }
    globex = row("--tenant", "globex")
    assert (globex["agent_email"], globex["avg_resolution_business_minutes"]) == (
        "gus@globex.example",
        90.0,  # no calendar: plain minutes
    )
    assert globex["first_response_sla_rate"] is None  # no first-response due date
    assert globex["sla_compliance_rate"] == 100.0  # the imported due date, kept
    acme = row("--tenant", "acme")
    assert acme["agent_email"] == "amy@acme.example"
    assert acme["avg_resolution_business_minutes"] == 60.0
    assert acme["first_response_sla_rate"] == 0.0  # the imported 10:45Z, never answered


def index_definitions(db: Any) -> list[str]:
    """The indexes on tickets, as the database itself describes them."""
    with db.session() as s:
        if s.connection().dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets'"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE tablename = 'tickets'"
        return sorted(str(r[0]) for r in s.execute(text(query)))


def small_pages(monkeypatch: Any, rebuild_at: float) -> None:
    """Pages and write chunks of two rows, so six tickets cross every page boundary."""
    from agentctl.repository import sla as sla_repo
    from agentctl.repository import sla_pg

    monkeypatch.setattr(sla_repo, "PAGE", 2)
    monkeypatch.setattr(sla_pg, "PAGE", 2)
    monkeypatch.setattr(sla_pg, "WRITE_PAGE", 2)
    monkeypatch.setattr(sla_pg, "REBUILD_AT", rebuild_at)


@pytest.mark.parametrize("rebuild_at", [0.0, 2.0], ids=["rebuild-indexes", "in-place"])
def test_apply_writes_the_same_with_or_without_rebuilding_indexes(cli, db, monkeypatch, rebuild_at):
    """PostgreSQL rewrites a large share of the table with its secondary indexes dropped
    and created again; a small change updates them in place. Same values either way, and
    the indexes come back exactly as they were (SQLite never touches them)."""
    from agentctl.repository import sla_pg

    small_pages(monkeypatch, rebuild_at)
    drops: list[list[str]] = []
    drop = sla_pg._drop_secondary_indexes

    def spy(cursor: Any) -> list[str]:
        drops.append(drop(cursor))
        return drops[-1]

    monkeypatch.setattr(sla_pg, "_drop_secondary_indexes", spy)
    setup_desk(cli, db)
    indexes = index_definitions(db)
    assert len(indexes) >= 5
    assert ok(cli, "sla", "apply") == "6 of 6 tickets changed.\n"
    assert columns(db) == EXPECTED
    assert index_definitions(db) == indexes
    rebuilt = db.dialect == "postgresql" and rebuild_at == 0.0
    # Every index but the primary key's was dropped and made again.
    assert [len(d) for d in drops] == ([len(indexes) - 1] if rebuilt else [])
    assert ok(cli, "sla", "apply") == "0 of 6 tickets changed.\n"


def test_a_failure_while_writing_changes_nothing_and_a_rerun_repairs(cli, db, monkeypatch):
    """An error (or Ctrl-C) after some rows are written, on PostgreSQL after the indexes
    were dropped and the first chunk updated: the one transaction rolls everything back."""
    from agentctl.services import sla_apply

    small_pages(monkeypatch, 0.0)
    setup_desk(cli, db)
    before, indexes = columns(db), index_definitions(db)
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))
        # SQLite writes each page as it reads it: fail after two pages are written.
        # PostgreSQL reads three pages, then writes: fail after the first written chunk.
        if len(calls) == (2 if db.dialect == "sqlite" else 4):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), db.session(write=True) as s:
        sla_apply.apply(s, None, progress=progress)
    if db.dialect == "sqlite":
        assert calls == [(2, 6), (4, 6)]
    else:
        # Reading counts as half the work until the rows to write are known.
        assert calls == [(2, 12), (4, 12), (6, 12), (8, 12)]
    assert columns(db) == before
    assert index_definitions(db) == indexes
    assert ok(cli, "sla", "apply") == "6 of 6 tickets changed.\n"
    assert columns(db) == EXPECTED
