"""Availability history: events on every change, `status set --at`, `status history`, and
`report availability`, on SQLite and PostgreSQL. Minutes are worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from agentctl.models import Agent, AgentAvailability, AvailabilityEvent
from factories import make_agent

DAY = datetime(2026, 10, 1, tzinfo=UTC)
WINDOW = ("--since", "2026-10-01T08:00:00Z", "--until", "2026-10-01T11:00:00Z")
AS_OF = ("--as-of", "2026-10-01T12:00:00Z")


def at(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return DAY + timedelta(hours=int(hours), minutes=int(minutes))


def add_events(session: Session, agent: Agent, *changes: tuple[str, str]) -> None:
    for hhmm, status in changes:
        session.add(
            AvailabilityEvent(
                agent_id=agent.id, tenant_id=agent.tenant_id, status=status, at=at(hhmm)
            )
        )
    session.flush()


def seed(db) -> None:  # type: ignore[no-untyped-def]
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com", status="busy")
        add_events(
            s,
            ana,
            ("07:00", "available"),  # before the window: seeds it
            ("09:00", "busy"),
            ("09:30", "away"),
            ("10:30", "offline"),
            ("11:30", "busy"),  # after the window
        )
        ben = make_agent(s, "ben@example.com", status="busy")
        add_events(s, ben, ("08:45", "available"), ("10:00", "busy"))  # nothing before
        make_agent(s, "cid@example.com", status="offline")  # no history at all
        old = make_agent(s, "old@example.com", is_active=False)
        add_events(s, old, ("07:00", "available"))
        zed = make_agent(s, "zed@acme.example", tenant_id="acme", status="away")
        add_events(s, zed, ("08:00", "available"), ("09:00", "away"))  # at the start


def run_report(cli, *args: str, tenant: str | None = None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    prefix = ("--tenant", tenant) if tenant else ()
    r = cli(*prefix, "report", "availability", "-f", "json", "-o", "-", *args)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def minutes(row: dict) -> tuple:  # type: ignore[type-arg]
    return (
        row["agent_email"],
        row["available_minutes"],
        row["busy_minutes"],
        row["away_minutes"],
        row["offline_minutes"],
        row["available_pct"],
        row["status_changes"],
        row["tenant_id"],
    )


def test_time_in_status_by_hand(cli, db):
    seed(db)
    doc = run_report(cli, *WINDOW, *AS_OF)
    assert [minutes(r) for r in doc["rows"]] == [
        # mid-status start: available 08:00-09:00, busy 30, away 60, offline 10:30-11:00
        ("ana@example.com", 60.0, 30.0, 60.0, 30.0, 33.33, 3, None),
        # no event before the window: 08:00-08:45 is not counted; 75 / 135
        ("ben@example.com", 75.0, 60.0, 0.0, 0.0, 55.56, 2, None),
        ("cid@example.com", 0.0, 0.0, 0.0, 0.0, None, 0, None),
        # an event exactly at the window start is inside it
        ("zed@acme.example", 60.0, 0.0, 120.0, 0.0, 33.33, 2, "acme"),
    ]
    summary = doc["summary"]
    assert summary["active_agents"] == 4  # old@ is inactive
    assert (summary["available_minutes"], summary["busy_minutes"]) == (195.0, 90.0)
    assert (summary["away_minutes"], summary["offline_minutes"]) == (180.0, 30.0)
    assert summary["available_pct"] == 39.39  # 195 / 495
    assert summary["status_changes"] == 7
    assert summary["by_status"][0] == {"status": "available", "minutes": 195.0, "share_pct": 39.39}


def test_tenants_are_kept_apart(cli, db):
    seed(db)
    doc = run_report(cli, *WINDOW, *AS_OF, tenant="acme")
    assert [minutes(r) for r in doc["rows"]] == [
        ("zed@acme.example", 60.0, 0.0, 120.0, 0.0, 33.33, 2, "acme")
    ]
    assert doc["summary"]["available_minutes"] == 60.0


def test_unbounded_window_and_the_window_end_clipped_at_as_of(cli, db):
    seed(db)
    doc = run_report(cli, "--range", "all", *AS_OF)
    ana = minutes(doc["rows"][0])
    # available 07:00-09:00, busy 09:00-09:30 + 11:30-12:00, away 60, offline 10:30-11:30
    assert ana == ("ana@example.com", 120.0, 60.0, 60.0, 60.0, 40.0, 5, None)
    # --until after --as-of: the time after as_of is not known yet
    doc = run_report(
        cli, "--since", "2026-10-01T11:00:00Z", "--until", "2026-10-01T13:00:00Z", *AS_OF
    )
    assert minutes(doc["rows"][0]) == ("ana@example.com", 0.0, 30.0, 0.0, 30.0, 0.0, 1, None)


def test_report_availability_csv_xlsx_pdf(cli, db, tmp_path):
    import openpyxl
    from pypdf import PdfReader

    seed(db)
    r = cli("report", "availability", "-f", "csv", "-o", "-", *WINDOW, *AS_OF)
    assert r.stdout.splitlines()[:2] == [
        "agent_email,available_minutes,busy_minutes,away_minutes,offline_minutes,"
        "available_pct,status_changes,tenant_id",
        "ana@example.com,60.0,30.0,60.0,30.0,33.33,3,",
    ]
    xlsx = tmp_path / "a.xlsx"
    assert cli("report", "availability", "-f", "xlsx", "-o", str(xlsx), *WINDOW).exit_code == 0
    summary = openpyxl.load_workbook(xlsx)["Summary"]
    [chart] = summary._charts
    assert chart.tagname == "barChart" and chart.grouping == "stacked"
    # one series per status, each reading its own column of the chart's cells
    assert [s.val.numRef.f.split("!")[1][:3] for s in chart.series] == ["$B$", "$C$", "$D$", "$E$"]
    header = {c.value for row in summary.iter_rows() for c in row}
    assert {"Available (h:mm)", "Busy (h:mm)", "Away (h:mm)", "Offline (h:mm)"} <= header
    pdf = tmp_path / "a.pdf"
    assert cli("report", "availability", "-f", "pdf", "-o", str(pdf), *WINDOW).exit_code == 0
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Agent availability" in text and "Time per status per agent" in text
    assert "Available" in text and "Offline" in text


def test_statement_count_does_not_grow_with_agents(db):
    from agentctl.services.reports.availability import availability_report
    from agentctl.services.window import resolve_window

    def statements(agents: int) -> int:
        with db.session(write=True) as s:
            for i in range(agents):
                agent = make_agent(s, f"a{agents}-{i}@example.com", tenant_id=f"t{agents}")
                add_events(s, agent, ("07:00", "available"), ("09:00", "busy"))
        count = 0

        def counter(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            nonlocal count
            if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN
                count += 1

        window = resolve_window(None, "2026-10-01T08:00:00Z", "2026-10-01T11:00:00Z")
        with db.session() as s:
            event.listen(db.engine, "before_cursor_execute", counter)
            try:
                built = availability_report(s, window, f"t{agents}", window.as_of)
                assert len(list(built.rows())) == agents
            finally:
                event.remove(db.engine, "before_cursor_execute", counter)
        return count

    assert statements(2) == statements(20) == 1


# --- history -------------------------------------------------------------------------------


def _events(db, email: str) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        rows = s.execute(
            select(AvailabilityEvent.status, AvailabilityEvent.status_message)
            .join(Agent, Agent.id == AvailabilityEvent.agent_id)
            .where(Agent.email == email)
            .order_by(AvailabilityEvent.at)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_every_change_appends_an_event(cli, db):
    assert cli("agents", "add", "ana@example.com", "--name", "Ana").exit_code == 0
    assert _events(db, "ana@example.com") == [("offline", None)]
    assert cli("status", "set", "ana@example.com", "available", "-m", "in").exit_code == 0
    assert cli("agents", "set", "ana@example.com", "--inactive").exit_code == 0
    assert _events(db, "ana@example.com") == [
        ("offline", None),
        ("available", "in"),
        ("offline", None),
    ]
    assert cli("agents", "set", "ana@example.com", "--active").exit_code == 0
    assert cli("status", "set", "ana@example.com", "busy").exit_code == 0
    assert cli("agents", "remove", "ana@example.com").exit_code == 0
    assert [s for s, _ in _events(db, "ana@example.com")] == [
        "offline",
        "available",
        "offline",
        "busy",
        "offline",
    ]


def test_status_set_at_backdates_within_the_rules(cli, db):
    seed(db)
    with db.session() as s:
        before = s.scalar(select(func.count()).select_from(AvailabilityEvent))

    r = cli("status", "set", "ana@example.com", "available", "--at", "2026-10-01T11:00:00Z")
    assert r.exit_code == 2
    assert r.stderr == (
        "error: --at 2026-10-01T11:00:00+00:00 is before ana@example.com's latest recorded "
        "change (2026-10-01T11:30:00+00:00); history is only appended to\n"
    )
    r = cli("status", "set", "ana@example.com", "available", "--at", "2999-01-01T00:00:00Z")
    assert r.exit_code == 2
    assert r.stderr == (
        "error: --at 2999-01-01T00:00:00+00:00 is in the future; give a past time\n"
    )
    r = cli("status", "set", "ana@example.com", "available", "--at", "yesterday")
    assert r.exit_code == 2 and r.stderr.startswith("error: --at: invalid timestamp")
    with db.session() as s:  # the refusals changed nothing
        assert s.scalar(select(func.count()).select_from(AvailabilityEvent)) == before
        assert (
            s.scalar(
                select(AgentAvailability.status).join(Agent).where(Agent.email == "ana@example.com")
            )
            == "busy"
        )

    r = cli("status", "set", "ana@example.com", "available", "--at", "2026-10-01T12:00:00+02:00")
    assert r.exit_code == 2 and "before ana@example.com's latest" in r.stderr  # 10:00 UTC
    r = cli(
        "status",
        "set",
        "ana@example.com",
        "available",
        "--at",
        "2026-10-01T12:00:00Z",
        "-f",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()[0]["status"] == "available"
    doc = run_report(
        cli,
        "--since",
        "2026-10-01T11:00:00Z",
        "--until",
        "2026-10-01T13:00:00Z",
        "--as-of",
        "2026-10-01T13:00:00Z",
    )
    # offline 11:00-11:30, busy 11:30-12:00, available (backdated) 12:00-13:00
    assert minutes(doc["rows"][0]) == ("ana@example.com", 60.0, 30.0, 0.0, 30.0, 50.0, 2, None)


def test_status_history(cli, db):
    seed(db)
    r = cli("status", "history", "ana@example.com", *WINDOW, "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [(h["status"], h["started_at"], h["ended_at"], h["minutes"]) for h in r.json()] == [
        ("available", "2026-10-01T07:00:00+00:00", "2026-10-01T09:00:00+00:00", 120.0),
        ("busy", "2026-10-01T09:00:00+00:00", "2026-10-01T09:30:00+00:00", 30.0),
        ("away", "2026-10-01T09:30:00+00:00", "2026-10-01T10:30:00+00:00", 60.0),
        ("offline", "2026-10-01T10:30:00+00:00", "2026-10-01T11:30:00+00:00", 60.0),
    ]
    assert list(r.json()[0]) == [
        "agent_email",
        "status",
        "status_message",
        "started_at",
        "ended_at",
        "minutes",
        "tenant_id",
    ]
    # the current period has no end; its minutes run to now
    r = cli("status", "history", "ben@example.com", "--range", "all", "-f", "json")
    current = r.json()[-1]
    assert (current["status"], current["ended_at"]) == ("busy", None)
    so_far = (datetime.now(UTC) - at("10:00")).total_seconds() / 60
    assert abs(current["minutes"] - so_far) < 5
    # every agent, tenants apart
    r = cli("--tenant", "acme", "status", "history", *WINDOW, "-f", "csv")
    lines = r.stdout.splitlines()
    assert lines[:2] == [
        "agent_email,status,status_message,started_at,ended_at,minutes,tenant_id",
        "zed@acme.example,available,,2026-10-01T08:00:00+00:00,2026-10-01T09:00:00+00:00,60.0,acme",
    ]
    assert len(lines) == 3 and lines[2].startswith("zed@acme.example,away,,2026-10-01T09:00")
    r = cli("status", "history", "ana@example.com", "--range", "all")
    assert r.exit_code == 0 and "● available" in r.stdout
    r = cli("--tenant", "acme", "status", "history", "ana@example.com")
    assert r.exit_code == 2 and "unknown agent" in r.stderr
