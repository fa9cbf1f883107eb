"""`agents set`, `agents timeoff`, and `status`'s on_shift/time_off, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from agentctl.models import Agent, AgentTimeOff, BusinessCalendar
from agentctl.services.availability import list_status
from factories import make_agent

MONDAY = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday


def add_calendar(db, name: str, tenant: str | None = None) -> None:  # type: ignore[no-untyped-def]
    with db.session(write=True) as s:
        s.add(
            BusinessCalendar(
                tenant_id=tenant,
                name=name,
                timezone="Europe/Berlin",  # UTC+2 in October
                hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                holidays=[],
            )
        )


def test_agents_set_changes_only_what_is_given(cli, db):
    add_calendar(db, "early")
    add_calendar(db, "early", tenant="acme")
    cli("agents", "add", "ana@example.com", "--name", "Ana", "--max-open", "5")
    r = cli("agents", "set", "ANA@example.com", "--name", "Ana Lima", "-f", "json")
    assert r.exit_code == 0, r.stderr
    row = r.json()[0]
    assert (row["name"], row["max_open_tickets"], row["calendar"]) == ("Ana Lima", 5, None)
    r = cli("agents", "set", "ana@example.com", "--no-cap", "--calendar", "early", "-f", "json")
    row = r.json()[0]
    assert (row["name"], row["max_open_tickets"], row["calendar"]) == ("Ana Lima", None, "early")
    r = cli("agents", "list", "-f", "csv")
    assert r.stdout.splitlines()[1].endswith(",Ana Lima,,true,,early")
    r = cli("agents", "set", "ana@example.com", "--max-open", "3", "--no-calendar", "-f", "json")
    row = r.json()[0]
    assert (row["max_open_tickets"], row["calendar"]) == (3, None)
    r = cli("agents", "set", "ana@example.com", "--inactive", "-f", "json")
    assert r.json()[0]["is_active"] is False
    assert cli("agents", "list", "-f", "json").json() == []
    r = cli("agents", "set", "ana@example.com", "--active", "-f", "json")
    assert r.json()[0]["is_active"] is True


def test_agents_set_bad_input_is_exit_2_and_changes_nothing(cli, db):
    add_calendar(db, "early", tenant="acme")
    cli("agents", "add", "ana@example.com", "--name", "Ana", "--max-open", "5")
    before = cli("agents", "list", "--all", "-f", "json").stdout
    cases = [
        (("--max-open", "3", "--no-cap"), "error: use either --max-open or --no-cap, not both\n"),
        (
            ("--calendar", "early", "--no-calendar"),
            "error: use either --calendar or --no-calendar, not both\n",
        ),
        (("--name", " "), "error: --name must not be empty\n"),
        (
            ("--calendar", "early"),  # acme's calendar: not the agent's tenant
            "error: unknown calendar 'early'; see `agentctl calendars list`\n",
        ),
        (
            (),
            "error: nothing to change; give --name, --max-open, --no-cap, --calendar, "
            "--no-calendar, --active or --inactive\n",
        ),
    ]
    for args, message in cases:
        r = cli("agents", "set", "ana@example.com", *args)
        assert (r.exit_code, r.stderr) == (2, message), args
    r = cli("agents", "set", "nobody@example.com", "--name", "X")
    assert r.exit_code == 2 and r.stderr.startswith("error: unknown agent 'nobody@example.com'")
    assert cli("agents", "list", "--all", "-f", "json").stdout == before


def test_timeoff_add_list_remove(cli, db):
    cli("agents", "add", "ana@example.com", "--name", "Ana")
    cli("--tenant", "acme", "agents", "add", "zed@acme.example", "--name", "Zed")
    r = cli(
        "agents", "timeoff", "add", "ana@example.com",
        "--from", "2026-10-05T10:00:00+02:00", "--until", "2026-10-06",
        "--reason", "dentist", "-f", "json",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    [period] = r.json()
    assert period | {"id": None} == {
        "id": None,
        "agent_email": "ana@example.com",
        "starts_at": "2026-10-05T08:00:00+00:00",
        "ends_at": "2026-10-06T00:00:00+00:00",
        "reason": "dentist",
        "tenant_id": None,
    }
    cli(
        "--tenant", "acme", "agents", "timeoff", "add", "zed@acme.example",
        "--from", "2026-10-01", "--until", "2026-10-02",
    )  # fmt: skip
    r = cli("agents", "timeoff", "list", "-f", "csv")
    assert [line.split(",")[1] for line in r.stdout.splitlines()] == [
        "agent_email",
        "zed@acme.example",  # earliest first
        "ana@example.com",
    ]
    r = cli("--tenant", "acme", "agents", "timeoff", "list", "-f", "json")
    assert [p["agent_email"] for p in r.json()] == ["zed@acme.example"]
    r = cli("agents", "timeoff", "list", "ana@example.com", "-f", "json")
    assert [p["id"] for p in r.json()] == [period["id"]]
    # another tenant cannot remove it
    r = cli("--tenant", "acme", "agents", "timeoff", "remove", period["id"])
    assert r.exit_code == 2 and r.stderr.startswith(f"error: unknown time-off id '{period['id']}'")
    # the table shows the id's first 8 characters, and remove takes them
    assert period["id"][:8] in cli("agents", "timeoff", "list").stdout
    r = cli("agents", "timeoff", "remove", period["id"][:7])
    assert r.exit_code == 2 and r.stderr.startswith("error: invalid time-off id")
    r = cli("agents", "timeoff", "remove", period["id"][:8].upper())
    assert r.exit_code == 0
    assert r.stdout == f"removed time off of ana@example.com ({period['id']})\n"
    assert cli("agents", "timeoff", "list", "ana@example.com", "-f", "json").json() == []


def test_timeoff_bad_input_is_exit_2_and_changes_nothing(cli, db):
    cli("agents", "add", "ana@example.com", "--name", "Ana")
    cases = [
        (
            ("--from", "2026-10-06", "--until", "2026-10-05"),
            "error: --until (2026-10-05T00:00:00+00:00) must be after "
            "--from (2026-10-06T00:00:00+00:00)\n",
        ),
        (
            ("--from", "2026-10-05", "--until", "2026-10-05"),
            "error: --until (2026-10-05T00:00:00+00:00) must be after "
            "--from (2026-10-05T00:00:00+00:00)\n",
        ),
        (
            ("--from", "monday", "--until", "2026-10-05"),
            "error: --from: invalid timestamp 'monday' (expected ISO 8601, "
            "e.g. 2026-10-01T08:00:00Z)\n",
        ),
    ]
    for args, message in cases:
        r = cli("agents", "timeoff", "add", "ana@example.com", *args)
        assert (r.exit_code, r.stderr) == (2, message), args
    r = cli(
        "agents",
        "timeoff",
        "add",
        "ghost@example.com",
        "--from",
        "2026-10-05",
        "--until",
        "2026-10-06",
    )
    assert r.exit_code == 2 and "unknown agent 'ghost@example.com'" in r.stderr
    r = cli("agents", "timeoff", "remove", "not-an-id")
    assert (r.exit_code, r.stderr) == (
        2,
        "error: invalid time-off id 'not-an-id'; see `agentctl agents timeoff list`\n",
    )
    r = cli("agents", "timeoff", "remove", "00000000-0000-0000-0000-000000000000")
    assert r.exit_code == 2 and "unknown time-off id" in r.stderr
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AgentTimeOff)) == 0


def _shift_desk(db) -> None:  # type: ignore[no-untyped-def]
    add_calendar(db, "day")
    with db.session(write=True) as s:
        calendar_id = s.scalar(select(BusinessCalendar.id))
        ana = make_agent(s, "ana@example.com")
        ana.calendar_id = calendar_id
        ben = make_agent(s, "ben@example.com")  # no calendar
        # [10:00, 12:00) UTC on Monday
        for agent in (ana, ben):
            s.add(
                AgentTimeOff(
                    agent_id=agent.id,
                    tenant_id=None,
                    starts_at=MONDAY.replace(hour=10),
                    ends_at=MONDAY.replace(hour=12),
                )
            )


def _at(db, hour: int, minute: int = 0, second: int = 0) -> dict[str, tuple[object, object]]:  # type: ignore[no-untyped-def]
    now = MONDAY.replace(hour=hour, minute=minute, second=second)
    with db.session() as s:
        return {
            r["agent_email"]: (r["on_shift"], r["time_off"]) for r in list_status(s, None, now=now)
        }


def test_on_shift_and_time_off_at_the_interval_edges(db):
    _shift_desk(db)
    # Berlin 09:00-17:00 is 07:00-15:00 UTC in October (start inclusive, end exclusive)
    assert _at(db, 6, 59, 59)["ana@example.com"] == (False, False)
    assert _at(db, 7) == {"ana@example.com": (True, False), "ben@example.com": (None, False)}
    assert _at(db, 9, 59, 59)["ana@example.com"] == (True, False)
    assert _at(db, 10) == {"ana@example.com": (True, True), "ben@example.com": (None, True)}
    assert _at(db, 11, 59, 59)["ben@example.com"] == (None, True)
    assert _at(db, 12) == {"ana@example.com": (True, False), "ben@example.com": (None, False)}
    assert _at(db, 14, 59, 59)["ana@example.com"] == (True, False)
    assert _at(db, 15)["ana@example.com"] == (False, False)


def test_status_lists_on_shift_and_time_off_without_a_query_per_agent(cli, db):
    from sqlalchemy import event

    _shift_desk(db)
    r = cli("status", "-f", "json")
    rows = r.json()
    assert list(rows[0])[-2:] == ["on_shift", "time_off"]
    assert rows[1]["on_shift"] is None and rows[1]["time_off"] is False
    assert isinstance(rows[0]["on_shift"], bool)

    def statements(extra_agents: int) -> int:
        with db.session(write=True) as s:
            calendar_id = s.scalar(select(BusinessCalendar.id))
            for i in range(extra_agents):
                make_agent(s, f"x{extra_agents}-{i}@example.com").calendar_id = calendar_id
        count = 0

        def counter(_c: object, _k: object, statement: str, *_: object) -> None:
            nonlocal count
            count += not statement.startswith("BEGIN")

        with db.session() as s:
            event.listen(db.engine, "before_cursor_execute", counter)
            try:
                list_status(s, None, now=MONDAY)
            finally:
                event.remove(db.engine, "before_cursor_execute", counter)
        return count

    assert statements(1) == statements(10) == 2  # status rows, then the calendars once
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Agent)) == 13
