"""Issue 14.8: SQLite compares timestamps as text, so a row written by another tool in
another ISO 8601 form is misread. agentctl writes one canonical text everywhere; ``db
check`` reports rows in another format and ``db repair-timestamps`` rewrites them.
PostgreSQL stores timestamptz: the same writes are read correctly there, before and after.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, text

from agentctl.models import ReportRun
from factories import T0, make_agent, make_ticket

H = timedelta(hours=1)


def write_raw(db, sql: str, **params: str) -> None:  # type: ignore[no-untyped-def]
    """What another tool does: plain SQL with the timestamp as text."""
    if db.dialect == "postgresql":
        sql = sql.replace(":v", "CAST(:v AS timestamptz)")
    with db.session(write=True) as s:
        s.execute(text(sql), params)


def assigned_between(cli, since: str, until: str) -> int:  # type: ignore[no-untyped-def]
    r = cli("performance", "--since", since, "--until", until, "--format", "json")
    assert r.exit_code == 0, r.stderr
    (ana,) = json.loads(r.stdout)
    return int(ana["total_assigned"])


def test_created_at_in_another_format_lands_in_the_right_window(cli, db, backend):
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com")
        make_ticket(s, ticket_number="Z-1", agent=ana, created_at=T0 - 24 * H)
        make_ticket(s, ticket_number="Z-2", agent=ana, created_at=T0 - 24 * H)
    # 07:00 UTC both, in the window [07:00, 07:30): one with a T and a Z (sorts after
    # every canonical time of that day), one without microseconds (sorts before 07:00:00.000000).
    sql = "UPDATE tickets SET created_at = :v WHERE ticket_number = :n"
    write_raw(db, sql, v="2026-10-01T07:00:00Z", n="Z-1")
    write_raw(db, sql, v="2026-10-01 07:00:00", n="Z-2")
    window = ("2026-10-01T07:00:00Z", "2026-10-01T07:30:00Z")

    check = cli("db", "check")
    if backend == "sqlite":
        assert assigned_between(cli, *window) == 0  # what the text comparison makes of them
        assert check.exit_code == 1
        assert check.stderr == (
            "error: 2 timestamp(s) stored in another format (tickets.created_at: 2); "
            "run `agentctl db repair-timestamps`\n"
        )
        r = cli("db", "repair-timestamps")
        assert r.exit_code == 0, r.stderr
        assert r.stdout.splitlines() == [
            "tickets.created_at: rewrote 2",
            "rewrote 2 timestamp(s) in 1 column(s)",
        ]
        with db.session() as s:
            stored = s.execute(text("SELECT created_at FROM tickets ORDER BY ticket_number"))
            assert [v for (v,) in stored] == ["2026-10-01 07:00:00.000000"] * 2
    else:
        assert check.exit_code == 0, check.stderr
        r = cli("db", "repair-timestamps")
        assert r.exit_code == 0 and "nothing to do" in r.stdout
    assert assigned_between(cli, *window) == 2
    assert assigned_between(cli, "2026-10-01T07:00:01Z", "2026-10-01T08:00:00Z") == 0
    assert cli("db", "check").exit_code == 0


def test_next_run_at_without_microseconds_runs_after_repair(
    cli, db, backend, smtp_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("AGENTCTL_SMTP_URL", smtp_server.url())
    monkeypatch.setenv("AGENTCTL_MAIL_FROM", "agentctl@example.com")
    r = cli(
        "schedule", "add", "weekly",
        "--report", "workload",
        "--cron", "0 9 * * MON",
        "--timezone", "Europe/Berlin",
        "--format", "csv",
        "--to", "lead@example.com",
        "--output-dir", str(tmp_path),
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    # Another tool sets the next run to a past Monday 09:00 Berlin, without microseconds:
    # SQLite's compare-and-set never matches that text, so the schedule would never run.
    write_raw(db, "UPDATE scheduled_reports SET next_run_at = :v", v="2026-01-05 08:00:00")
    if backend == "sqlite":
        check = cli("db", "check")
        assert check.exit_code == 1
        assert "(scheduled_reports.next_run_at: 1)" in check.stderr
        assert cli("db", "repair-timestamps").exit_code == 0
    assert cli("db", "check").exit_code == 0
    tick = cli("schedule", "tick")
    assert tick.exit_code == 0, tick.stderr
    with db.session() as s:
        runs = list(s.scalars(select(ReportRun)))
    assert [run.status for run in runs] == ["succeeded"]
    assert len(smtp_server.messages) == 1


def test_repair_refuses_values_that_are_not_timestamps(cli, db, backend):
    if backend != "sqlite":
        return  # timestamptz cannot hold them
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com")
        make_ticket(s, ticket_number="Z-1", agent=ana)
        make_ticket(s, ticket_number="Z-2", agent=ana)
    sql = "UPDATE tickets SET created_at = :v WHERE ticket_number = :n"
    write_raw(db, sql, v="2026-10-01T07:00:00Z", n="Z-1")
    write_raw(db, sql, v="yesterday", n="Z-2")
    r = cli("db", "repair-timestamps")
    assert r.exit_code == 1
    assert len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith("error: 1 value(s) are not ISO 8601 timestamps, nothing was changed")
    assert "tickets.created_at rowid 2: 'yesterday'" in r.stderr
    with db.session() as s:
        stored = s.execute(text("SELECT created_at FROM tickets ORDER BY ticket_number"))
        assert [v for (v,) in stored] == ["2026-10-01T07:00:00Z", "yesterday"]


def test_every_write_path_stores_the_canonical_text(cli, db, tmp_path):
    # Bulk loads (demo), imports, assignment batches, availability, schedules and runs.
    assert cli("demo", "--agents", "4", "--tickets", "60", "--days", "5").exit_code == 0
    source = tmp_path / "t.csv"
    source.write_text(
        "ticket_number,subject,created_at,first_response_at,sla_due_date\n"
        "X-1,one,2026-10-01T08:00:00Z,2026-10-01 09:00,2026-10-02T08:00:00+02:00\n"
        "X-2,two,2026-10-01,,\n"
    )
    assert cli("tickets", "import", source).exit_code == 0
    assert cli("assign", "--backlog").exit_code in (0, 3)
    agent = json.loads(cli("agents", "list", "-f", "json").stdout)[0]["email"]
    assert cli("status", "set", agent, "busy").exit_code == 0
    r = cli(
        "schedule", "add", "daily",
        "--report", "aging",
        "--cron", "0 9 * * *",
        "--format", "json",
        "--to", "lead@example.com",
        "--output-dir", str(tmp_path),
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    report = cli("report", "workload", "-f", "csv", "-o", tmp_path / "w.csv")
    assert report.exit_code == 0, report.stderr
    check = cli("db", "check")
    assert check.exit_code == 0, check.stderr
