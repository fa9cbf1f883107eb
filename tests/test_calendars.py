"""`agentctl calendars` and `agentctl sla` (policies), on both databases.

Every bad input is exit 2, one `error:` line, and no change to the database.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from agentctl.models import Agent, BusinessCalendar, SlaPolicy, Ticket
from factories import make_agent, make_ticket

OFFICE = ["--timezone", "Europe/Berlin", "--hours", "mon-fri 09:00-12:30"]
OFFICE += ["--hours", "mon-fri 13:30-17:00", "--holidays", "DE-BE"]


def snapshot(db: Any) -> tuple[object, ...]:
    with db.session() as s:
        calendars = sorted(
            (
                c.tenant_id or "",
                c.name,
                c.timezone,
                repr(c.hours),
                c.holiday_region,
                repr(c.holidays),
                c.is_default,
            )
            for c in s.scalars(select(BusinessCalendar))
        )
        policies = sorted(
            (
                p.tenant_id or "",
                p.name,
                p.position,
                repr(p.priorities),
                repr(p.categories),
                p.first_response_minutes,
                p.resolution_minutes,
                str(p.calendar_id),
            )
            for p in s.scalars(select(SlaPolicy))
        )
        tickets = sorted(
            (t.ticket_number, str(t.sla_policy_id), str(t.sla_due_date))
            for t in s.scalars(select(Ticket))
        )
    return tuple(calendars), tuple(policies), tuple(tickets)


def ok(cli: Any, *args: str) -> str:
    r = cli(*args)
    assert r.exit_code == 0, r.stderr
    return str(r.stdout)


def as_json(cli: Any, *args: str) -> Any:
    r = cli(*args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()


def test_add_list_show_update_remove(cli, db):
    out = ok(cli, "calendars", "add", "office", *OFFICE, "--holiday", "2026-12-24", "--default")
    assert out.splitlines()[0] == (
        "added calendar office (the default calendar): "
        "mon-fri 09:00-12:30, 13:30-17:00 Europe/Berlin"
    )
    rows = as_json(cli, "calendars", "list")
    assert len(rows) == 1
    assert {k: v for k, v in rows[0].items() if k != "calendar_id"} == {
        "name": "office",
        "timezone": "Europe/Berlin",
        "hours": "mon-fri 09:00-12:30, 13:30-17:00",
        "holiday_region": "DE-BE",
        "holidays": ["2026-12-24"],
        "is_default": True,
        "tenant_id": None,
    }
    shown = as_json(cli, "calendars", "show", "office")
    assert shown["week"][0] == {"day": "mon", "hours": "09:00-12:30, 13:30-17:00"}
    assert shown["week"][6] == {"day": "sun", "hours": ""}
    # The coming year (from today) has Christmas Day of the current or next year.
    assert any(h["name"] == "Christmas Day" for h in shown["holidays_coming_year"])
    table = ok(cli, "calendars", "show", "office")
    assert "Holidays, next 365 days" in table and "closed" in table

    # A second default takes over; hours replace; the extra holidays are cleared.
    ok(cli, "calendars", "add", "late", "--hours", "mon-fri 14:00-22:00", "--default")
    ok(cli, "calendars", "update", "office", "--hours", "mon-sat 08:00-18:00", "--clear-holidays")
    by_name = {r["name"]: r for r in as_json(cli, "calendars", "list")}
    assert by_name["office"]["hours"] == "mon-sat 08:00-18:00"
    assert by_name["office"]["holidays"] == []
    assert (by_name["office"]["is_default"], by_name["late"]["is_default"]) == (False, True)
    assert by_name["late"]["timezone"] == "UTC"

    assert ok(cli, "calendars", "remove", "late").splitlines()[0] == "removed calendar late"
    assert [r["name"] for r in as_json(cli, "calendars", "list")] == ["office"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["add", "x", "--timezone", "Mars/Olympus", "--hours", "mon 09:00-17:00"],
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            ["add", "x", "--hours", "mon 09:00-17:00", "--holidays", "XX"],
            "unknown holiday region 'XX'",
        ),
        # Upper-case names of the holidays package that are not regions (a month, a
        # category) once crashed with "'int' object is not callable".
        (
            ["add", "x", "--hours", "mon 09:00-17:00", "--holidays", "JAN"],
            "unknown holiday region 'JAN'",
        ),
        (
            ["add", "x", "--hours", "mon 09:00-17:00", "--holidays", "public"],
            "unknown holiday region 'public'",
        ),
        (["add", "x", "--hours", "mon 9-5"], "invalid hours 'mon 9-5'"),
        (
            ["add", "x", "--hours", "mon-fri 09:00-13:00", "--hours", "wed 12:00-14:00"],
            "intervals overlap on wed",
        ),
        (["add", "x", "--hours", "mon 17:00-09:00"], "the end is not after the start"),
        (
            ["add", "x", "--hours", "mon 09:00-17:00", "--holiday", "2026-13-01"],
            "invalid holiday '2026-13-01'",
        ),
        (["add", "x"], "a calendar needs working hours"),
        (["add", "office", "--hours", "mon 09:00-17:00"], "calendar 'office' already exists"),
        (["update", "office", "--timezone", "Nowhere/City"], "unknown time zone"),
        (["update", "office", "--hours", "sun 10:00-09:00"], "the end is not after the start"),
        (["update", "office"], "nothing to change"),
        (["update", "nosuch", "--default"], "unknown calendar 'nosuch'"),
        (["show", "nosuch"], "unknown calendar 'nosuch'"),
        (["remove", "nosuch"], "unknown calendar 'nosuch'"),
    ],
)
def test_bad_calendar_input_is_exit_2_and_changes_nothing(cli, db, args, message):
    ok(cli, "calendars", "add", "office", *OFFICE, "--default")
    before = snapshot(db)
    r = cli("calendars", *args)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert snapshot(db) == before


def test_a_used_calendar_cannot_be_removed(cli, db):
    ok(cli, "calendars", "add", "office", *OFFICE)
    ok(cli, "calendars", "add", "early", "--hours", "mon-fri 06:00-14:00")
    ok(
        cli,
        "sla",
        "add",
        "urgent",
        "--priority",
        "urgent",
        "--resolution",
        "4h",
        "--calendar",
        "office",
    )
    with db.session(write=True) as s:
        agent = make_agent(s, "ana@example.com")
        early = s.scalar(select(BusinessCalendar).where(BusinessCalendar.name == "early"))
        s.get(Agent, agent.id).calendar_id = early.id  # type: ignore[union-attr]
    before = snapshot(db)
    r = cli("calendars", "remove", "office")
    assert (r.exit_code, r.stderr.splitlines()[0].split(";")[0]) == (
        2,
        "error: calendar 'office' is used by SLA policies urgent",
    )
    r = cli("calendars", "remove", "early")
    assert r.exit_code == 2 and "used by agents ana@example.com" in r.stderr
    assert snapshot(db) == before


def test_policies_are_ordered_and_moved(cli, db):
    ok(cli, "sla", "add", "rest", "--first-response", "4h", "--resolution", "1h30m")
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
        "8h",
        "--position",
        "1",
    )
    ok(cli, "sla", "add", "network", "--category", "Network", "--resolution", "90m")
    rows = as_json(cli, "sla", "list")
    assert [(r["position"], r["name"]) for r in rows] == [
        (1, "urgent"),
        (2, "rest"),
        (3, "network"),
    ]
    assert rows[1]["first_response_minutes"] == 240 and rows[1]["resolution_minutes"] == 90
    assert rows[1]["resolution"] == "1h30m"
    assert rows[2]["categories"] == ["network"] and rows[2]["first_response_minutes"] is None
    out = ok(cli, "sla", "move", "network", "--to", "1")
    assert out.splitlines()[0] == "moved network to position 1"
    assert [r["name"] for r in as_json(cli, "sla", "list")] == ["network", "urgent", "rest"]
    ok(cli, "sla", "update", "rest", "--priority", "low", "--priority", "normal")
    assert as_json(cli, "sla", "show", "rest")[0]["priorities"] == ["low", "normal"]
    ok(cli, "sla", "update", "rest", "--any-priority")
    assert as_json(cli, "sla", "show", "rest")[0]["priorities"] == []
    ok(cli, "sla", "remove", "urgent")
    assert [(r["position"], r["name"]) for r in as_json(cli, "sla", "list")] == [
        (1, "network"),
        (2, "rest"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "x", "--resolution", "2d"], "invalid duration '2d'"),
        (["add", "x", "--resolution", "0m"], "longer than zero"),
        (["add", "x", "--first-response", "h"], "invalid duration 'h'"),
        (["add", "x"], "needs --first-response or --resolution"),
        (["add", "x", "--resolution", "1h", "--priority", "asap"], "invalid priority 'asap'"),
        (["add", "x", "--resolution", "1h", "--calendar", "nosuch"], "unknown calendar"),
        (["add", "x", "--resolution", "1h", "--position", "5"], "--position must be between"),
        (["add", "rest", "--resolution", "1h"], "already exists"),
        (["update", "rest", "--resolution", "soon"], "invalid duration 'soon'"),
        (["update", "rest", "--calendar", "office", "--no-calendar"], "cannot be used together"),
        (["update", "rest"], "nothing to change"),
        (["update", "nosuch", "--resolution", "1h"], "unknown SLA policy 'nosuch'"),
        (["move", "rest", "--to", "3"], "--to must be between 1 and 1"),
        (["move", "rest", "--to", "0"], "--to must be between 1 and 1"),
        (["remove", "nosuch"], "unknown SLA policy 'nosuch'"),
        (["show", "nosuch"], "unknown SLA policy 'nosuch'"),
    ],
)
def test_bad_policy_input_is_exit_2_and_changes_nothing(cli, db, args, message):
    ok(cli, "calendars", "add", "office", *OFFICE)
    ok(cli, "sla", "add", "rest", "--resolution", "8h")
    with db.session(write=True) as s:
        make_ticket(s, ticket_number="T-1")
    before = snapshot(db)
    r = cli("sla", *args)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert snapshot(db) == before


def test_removing_a_policy_clears_it_from_its_tickets_and_keeps_their_due_dates(cli, db):
    ok(cli, "sla", "add", "rest", "--resolution", "8h")
    with db.session(write=True) as s:
        make_ticket(s, ticket_number="T-1")
    ok(cli, "sla", "apply")
    with db.session() as s:
        due = s.scalar(select(Ticket.sla_due_date))
        assert s.scalar(select(Ticket.sla_policy_id)) is not None
    out = ok(cli, "sla", "remove", "rest")
    assert out.splitlines() == [
        "removed rest (1 tickets no longer name it)",
        "No ticket is out of date.",
    ]
    with db.session() as s:
        assert s.scalar(select(Ticket.sla_policy_id)) is None
        assert s.scalar(select(Ticket.sla_due_date)) == due


def test_tenants_keep_their_own_calendars_and_policies(cli, db):
    ok(cli, "--tenant", "acme", "calendars", "add", "office", *OFFICE, "--default")
    ok(
        cli,
        "--tenant",
        "globex",
        "calendars",
        "add",
        "office",
        "--hours",
        "mon 09:00-10:00",
        "--default",
    )
    ok(cli, "--tenant", "acme", "sla", "add", "rest", "--resolution", "1h")
    ok(cli, "--tenant", "globex", "sla", "add", "rest", "--resolution", "2h")
    assert [r["hours"] for r in as_json(cli, "--tenant", "globex", "calendars", "list")] == [
        "mon 09:00-10:00"
    ]
    # Both defaults stay: one per tenant.
    assert [r["is_default"] for r in as_json(cli, "calendars", "list")] == [True, True]
    r = cli("calendars", "show", "office")
    assert r.exit_code == 2 and "exists in several tenants" in r.stderr
    # The single-tenant desk's own calendar is found first without --tenant.
    ok(cli, "calendars", "add", "office", "--hours", "sun 09:00-10:00")
    assert as_json(cli, "calendars", "show", "office")["hours"] == "sun 09:00-10:00"
    assert as_json(cli, "--tenant", "globex", "sla", "show", "rest")[0]["resolution"] == "2h"
    r = cli("--tenant", "globex", "sla", "update", "rest", "--calendar", "nosuch")
    assert r.exit_code == 2


def test_show_prints_a_bracketed_name_as_written(cli):
    """A calendar named "[red]night" is shown by that name (Rich read it as a style)."""
    ok(cli, "calendars", "add", "[red]night", "--hours", "mon 22:00-24:00")
    out = ok(cli, "calendars", "show", "[red]night")
    assert out.splitlines()[0].startswith("[red]night (UTC")
