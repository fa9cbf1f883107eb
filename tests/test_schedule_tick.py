"""`schedule tick` and `run-now`: due runs, coalescing, exactly once, failures, windows.

Reports are really built, written and mailed to a real SMTP server on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from agentctl.database import Database
from agentctl.models import ReportRun, ScheduledReport
from factories import make_agent, make_ticket

# Monday 2026-03-02 09:00 Europe/Berlin (CET) = 08:00 UTC
MONDAY_9 = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture
def mail_env(smtp_server, monkeypatch, tmp_path) -> Any:
    monkeypatch.setenv("AGENTCTL_SMTP_URL", smtp_server.url())
    monkeypatch.setenv("AGENTCTL_MAIL_FROM", "agentctl@example.com")
    monkeypatch.setenv("AGENTCTL_SMTP_ATTEMPTS", "1")
    return smtp_server


def add(cli, name: str, out: Path, *extra: str, cron: str = "0 9 * * MON", fmt: str = "json"):
    result = cli(
        "schedule", "add", name,
        "--report", "sla-breaches",
        "--cron", cron,
        "--timezone", "Europe/Berlin",
        "--format", fmt,
        "--to", "lead@example.com",
        "--output-dir", str(out),
        *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result


def set_next_run(db: Database, name: str, when: datetime) -> None:
    with db.session(write=True) as session:
        session.execute(
            update(ScheduledReport).where(ScheduledReport.name == name).values(next_run_at=when)
        )


def runs(db: Database) -> list[ReportRun]:
    with db.session() as session:
        return list(session.scalars(select(ReportRun).order_by(ReportRun.started_at)))


def schedule(db: Database, name: str) -> ScheduledReport:
    with db.session() as session:
        return session.scalars(select(ScheduledReport).where(ScheduledReport.name == name)).one()


def tick(cli, now: datetime) -> Any:
    """A real tick, with the clock set to ``now`` (``--now`` only lists, it runs nothing)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("agentctl.cli.schedule.utcnow", lambda: now)
        return cli("schedule", "tick")


def test_tick_now_lists_what_would_run_and_changes_nothing(cli, db, mail_env, tmp_path) -> None:
    """Issue 10: `tick --now` a week ahead claimed the real Monday run, which never ran."""
    add(cli, "weekly", tmp_path)
    add(cli, "later", tmp_path)
    set_next_run(db, "weekly", MONDAY_9)
    set_next_run(db, "later", MONDAY_9 + timedelta(days=14))
    before = schedule(db, "weekly")
    # A week and a day ahead: the 2026-03-02 and 2026-03-09 Mondays coalesce into one.
    ahead = (MONDAY_9 + timedelta(days=8)).isoformat()
    result = cli("schedule", "tick", "--now", ahead, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert [(r["schedule_name"], r["occurrence"], r["next_run_at"]) for r in result.json()] == [
        ("weekly", "2026-03-09T08:00:00+00:00", "2026-03-16T08:00:00+00:00")
    ]
    assert "weekly" in cli("schedule", "tick", "--now", ahead).stdout  # the table
    after = schedule(db, "weekly")
    assert (after.next_run_at, after.last_run_at) == (before.next_run_at, before.last_run_at)
    assert runs(db) == [] and mail_env.messages == [] and list(tmp_path.glob("*.json")) == []
    # The real tick afterwards still runs the real occurrence.
    assert tick(cli, MONDAY_9 + timedelta(minutes=1)).exit_code == 0
    assert [r.occurrence_at for r in runs(db)] == [MONDAY_9]


def test_tick_runs_a_due_schedule_once_and_mails_it(cli, db, mail_env, tmp_path) -> None:
    add(cli, "weekly", tmp_path)
    set_next_run(db, "weekly", MONDAY_9)
    result = tick(cli, MONDAY_9 + timedelta(minutes=1))
    assert result.exit_code == 0, result.stderr + result.stdout
    [line] = result.stdout.splitlines()
    assert "run schedule=weekly occurrence=2026-03-02T08:00:00+00:00 status=succeeded" in line
    assert "recipients=lead@example.com" in line

    [run] = runs(db)
    assert run.status == "succeeded" and run.error is None
    assert run.occurrence_at == MONDAY_9
    assert run.schedule_id == schedule(db, "weekly").id
    assert run.output_path is not None and Path(run.output_path).parent == tmp_path
    assert Path(run.output_path).name.startswith("agentctl-sla-breaches-2026-03-02-weekly-")
    assert run.bytes == Path(run.output_path).stat().st_size
    [message] = mail_env.messages
    assert message.rcpt_tos == ["lead@example.com"]

    stored = schedule(db, "weekly")
    assert stored.last_run_at == MONDAY_9
    assert stored.next_run_at == datetime(2026, 3, 9, 8, tzinfo=UTC)

    # The same moment again: nothing is due any more.
    again = tick(cli, MONDAY_9 + timedelta(minutes=1))
    assert again.exit_code == 0 and again.stdout == ""
    assert len(runs(db)) == 1 and len(mail_env.messages) == 1


def test_tick_skips_schedules_not_due_and_paused(cli, db, mail_env, tmp_path) -> None:
    add(cli, "due", tmp_path)
    add(cli, "not-due", tmp_path)
    add(cli, "paused", tmp_path)
    set_next_run(db, "due", MONDAY_9)
    set_next_run(db, "not-due", MONDAY_9 + timedelta(seconds=1))
    set_next_run(db, "paused", MONDAY_9)
    assert cli("schedule", "pause", "paused").exit_code == 0

    result = tick(cli, MONDAY_9)  # next_run_at <= now: due exactly at its time
    assert result.exit_code == 0, result.stdout
    assert [r.schedule_id for r in runs(db)] == [schedule(db, "due").id]
    assert schedule(db, "not-due").next_run_at == MONDAY_9 + timedelta(seconds=1)
    assert schedule(db, "paused").next_run_at == MONDAY_9
    assert len(mail_env.messages) == 1


def test_missed_occurrences_coalesce_into_one_run(cli, db, mail_env, tmp_path) -> None:
    add(cli, "weekly", tmp_path)
    set_next_run(db, "weekly", MONDAY_9)
    # Three Mondays missed; tick on Wednesday of the third week.
    now = MONDAY_9 + timedelta(days=16)
    result = tick(cli, now)
    assert result.exit_code == 0, result.stdout
    [run] = runs(db)
    latest_missed = MONDAY_9 + timedelta(days=14)  # 2026-03-16 09:00 CET
    assert run.occurrence_at == latest_missed
    stored = schedule(db, "weekly")
    assert stored.last_run_at == latest_missed
    # The next future occurrence: Monday 23 March 09:00 CET.
    assert stored.next_run_at == datetime(2026, 3, 23, 8, tzinfo=UTC)
    assert len(mail_env.messages) == 1


def test_the_window_is_relative_to_the_occurrence_not_the_run(cli, db, mail_env, tmp_path) -> None:
    """Every Monday 9:00, last 7 days, run 6 hours late: covers the 7 days before 9:00."""
    with db.session(write=True) as session:
        agent = make_agent(session, "ana@example.com")
        for number, created in [
            ("IN-WINDOW", MONDAY_9 - timedelta(hours=3)),
            ("AFTER-OCCURRENCE", MONDAY_9 + timedelta(hours=1)),
            ("TOO-OLD", MONDAY_9 - timedelta(days=7, hours=1)),
        ]:
            make_ticket(
                session,
                ticket_number=number,
                agent=agent,
                created_at=created,
                sla_due_date=created + timedelta(minutes=30),
            )
    add(cli, "weekly", tmp_path)
    set_next_run(db, "weekly", MONDAY_9)
    assert tick(cli, MONDAY_9 + timedelta(hours=6)).exit_code == 0
    [run] = runs(db)
    assert run.rows == 1
    assert run.output_path is not None
    report = json.loads(Path(run.output_path).read_text())
    assert report["window"]["until"] == "2026-03-02T08:00:00+00:00"
    assert report["window"]["since"] == "2026-02-23T08:00:00+00:00"
    assert [row["ticket_number"] for row in report["rows"]] == ["IN-WINDOW"]


def test_a_failed_run_is_recorded_and_never_blocks_the_others(cli, db, mail_env, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the output directory should be")
    add(cli, "a-broken", blocker)
    add(cli, "b-fine", tmp_path)
    set_next_run(db, "a-broken", MONDAY_9)
    set_next_run(db, "b-fine", MONDAY_9)

    result = tick(cli, MONDAY_9)
    assert result.exit_code == 1  # so that cron mails the operator
    by_schedule = {r.schedule_id: r for r in runs(db)}
    broken = by_schedule[schedule(db, "a-broken").id]
    fine = by_schedule[schedule(db, "b-fine").id]
    assert broken.status == "failed" and broken.error
    assert fine.status == "succeeded"
    assert len(mail_env.messages) == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "schedule=a-broken" in lines[0] and "status=failed" in lines[0]
    # Both moved on to next week: a failure does not block the schedule either.
    assert schedule(db, "a-broken").next_run_at == MONDAY_9 + timedelta(days=7)


def test_smtp_failure_is_a_failed_run_then_the_next_occurrence_and_run_now_work(
    cli, db, smtp_factory, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("AGENTCTL_SMTP_ATTEMPTS", "1")
    monkeypatch.setenv("AGENTCTL_MAIL_FROM", "agentctl@example.com")
    refusing = smtp_factory(refuse_with="550 5.1.1 mailbox unavailable")
    working = smtp_factory()
    add(cli, "first", tmp_path)
    add(cli, "second", tmp_path)
    set_next_run(db, "first", MONDAY_9)
    set_next_run(db, "second", MONDAY_9)

    monkeypatch.setenv("AGENTCTL_SMTP_URL", refusing.url())
    failed = tick(cli, MONDAY_9)
    assert failed.exit_code == 1
    assert [r.status for r in runs(db)] == ["failed", "failed"]  # the second still ran
    for run in runs(db):
        assert run.error is not None and "550" in run.error
        assert run.output_path is not None and Path(run.output_path).exists()  # file kept
    history = cli("schedule", "history", "first", "-f", "json").json()
    assert isinstance(history, list) and history[0]["status"] == "failed"
    assert "550" in history[0]["error"]

    monkeypatch.setenv("AGENTCTL_SMTP_URL", working.url())
    retried = cli("schedule", "run-now", "first")
    assert retried.exit_code == 0, retried.stdout
    assert "status=succeeded" in retried.stdout
    assert len(working.messages) == 1
    # run-now leaves the schedule's own timing alone.
    assert schedule(db, "first").next_run_at == MONDAY_9 + timedelta(days=7)

    following = tick(cli, MONDAY_9 + timedelta(days=7))
    assert following.exit_code == 0, following.stdout
    assert len(working.messages) == 3
    statuses = [r.status for r in runs(db)]
    assert statuses == ["failed", "failed", "succeeded", "succeeded", "succeeded"]


def test_run_now_failure_exits_1(cli, db, smtp_factory, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("AGENTCTL_SMTP_ATTEMPTS", "1")
    monkeypatch.setenv("AGENTCTL_SMTP_URL", smtp_factory(refuse_with="554 no").url())
    add(cli, "weekly", tmp_path)
    result = cli("schedule", "run-now", "weekly")
    assert result.exit_code == 1
    assert "status=failed" in result.stdout
    [run] = runs(db)
    assert run.status == "failed" and run.error is not None and "554" in run.error


def test_tick_rejects_a_bad_now(cli) -> None:
    result = cli("schedule", "tick", "--now", "next tuesday")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --now: invalid timestamp 'next tuesday'")


def test_concurrent_ticks_run_each_occurrence_exactly_once(
    cli, db, db_url, smtp_server, tmp_path
) -> None:
    names = [f"s{i}" for i in range(4)]
    for name in names:
        add(cli, name, tmp_path, fmt="csv")
        set_next_run(db, name, MONDAY_9)
    env = {
        **os.environ,
        "AGENTCTL_SMTP_URL": smtp_server.url(),
        "AGENTCTL_MAIL_FROM": "agentctl@example.com",
        "AGENTCTL_SMTP_ATTEMPTS": "1",
    }
    for name in names:  # due a few minutes ago, by the real clock
        set_next_run(
            db, name, datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=3)
        )
    command = [sys.executable, "-m", "agentctl", "--db", db_url, "schedule", "tick"]
    processes = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], outputs
    run_lines = [line for out, _ in outputs for line in out.splitlines()]
    assert len(run_lines) == len(names)

    all_runs = runs(db)
    assert len(all_runs) == len(names)
    assert {r.schedule_id for r in all_runs} == {schedule(db, n).id for n in names}
    assert all(r.status == "succeeded" for r in all_runs)
    assert len(smtp_server.messages) == len(names)
    for name in names:
        assert schedule(db, name).next_run_at > datetime.now(UTC)


def test_run_ids_in_history_are_the_runs(cli, db, mail_env, tmp_path) -> None:
    add(cli, "weekly", tmp_path)
    set_next_run(db, "weekly", MONDAY_9)
    assert tick(cli, MONDAY_9).exit_code == 0
    [row] = cli("schedule", "history", "-f", "json").json()  # type: ignore[misc]
    [run] = runs(db)
    assert uuid.UUID(row["id"]) == run.id
    assert row["status"] == "succeeded"
    assert row["recipients"] == ["lead@example.com"]
    assert row["rows"] == 0 and row["bytes"] == run.bytes
