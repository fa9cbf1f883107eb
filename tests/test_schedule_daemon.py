"""`schedule run`: the daemon, as a real subprocess, and its job sync in-process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from agentctl.config import resolve_settings
from agentctl.database import Database
from agentctl.models import ReportRun, ScheduledReport
from agentctl.services.scheduling.cron import parse_cron
from agentctl.services.scheduling.daemon import SchedulerDaemon
from agentctl.timeutil import utcnow

WAIT_S = 30.0


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """Poll ``condition`` until it is truthy (bounded: fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Daemon:
    def __init__(self, db_url: str, log: Path, env: dict[str, str]) -> None:
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "agentctl", "--db", db_url,
                "schedule", "run", "--reload-interval", "1",
            ],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
        )  # fmt: skip

    @property
    def stderr(self) -> str:
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=WAIT_S)
        finally:
            self._log_file.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log_file.close()


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(db_url: str, **env: str) -> Daemon:
        daemon = Daemon(db_url, tmp_path / f"daemon-{len(started)}.log", env)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill()


def add_schedule(cli, name: str, out: Path, cron: str = "0 9 * * MON") -> None:
    result = cli(
        "schedule", "add", name,
        "--report", "workload",
        "--cron", cron,
        "--format", "csv",
        "--to", "lead@example.com",
        "--output-dir", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def make_due(db: Database, name: str) -> None:
    with db.session(write=True) as session:
        session.execute(
            update(ScheduledReport)
            .where(ScheduledReport.name == name)
            .values(next_run_at=utcnow() - timedelta(seconds=1))
        )


def succeeded_runs(db: Database) -> list[ReportRun]:
    with db.session() as session:
        query = select(ReportRun).where(ReportRun.status == "succeeded")
        return list(session.scalars(query))


def test_daemon_picks_up_a_new_schedule_sends_it_and_stops_on_sigterm(
    cli, db, db_url, smtp_server, daemon_factory, tmp_path
) -> None:
    daemon = daemon_factory(
        db_url,
        AGENTCTL_SMTP_URL=smtp_server.url(),
        AGENTCTL_MAIL_FROM="agentctl@example.com",
        AGENTCTL_SMTP_ATTEMPTS="1",
    )
    wait_for(lambda: "scheduler started" in daemon.stderr, "the daemon to start")

    # Added after the daemon started, and already due (its occurrence has come).
    add_schedule(cli, "late-arrival", tmp_path)
    make_due(db, "late-arrival")

    wait_for(lambda: smtp_server.messages, "the report email")
    [run] = wait_for(lambda: succeeded_runs(db), "the recorded run")
    assert run.output_path is not None and Path(run.output_path).exists()
    [message] = smtp_server.messages
    assert message.rcpt_tos == ["lead@example.com"]
    wait_for(lambda: "run schedule=late-arrival" in daemon.stderr, "the run's log line")
    [line] = [line for line in daemon.stderr.splitlines() if " run schedule=" in line]
    assert "status=succeeded" in line and "recipients=lead@example.com" in line

    with db.session() as session:
        stored = session.scalars(select(ScheduledReport)).one()
        expected = parse_cron("0 9 * * MON").next_after(utcnow())
        assert stored.next_run_at == expected

    assert daemon.stop(signal.SIGTERM) == 0, daemon.stderr
    assert "scheduler stopped" in daemon.stderr
    assert "Traceback" not in daemon.stderr
    assert len(smtp_server.messages) == 1  # and exactly once


def test_daemon_exits_0_on_sigint_with_nothing_to_do(db_url, daemon_factory) -> None:
    daemon = daemon_factory(db_url)
    wait_for(lambda: "scheduler started" in daemon.stderr, "the daemon to start")
    assert daemon.stop(signal.SIGINT) == 0, daemon.stderr


def test_daemon_waits_for_an_unreachable_database(daemon_factory) -> None:
    # Nothing listens on port 1: the daemon logs, keeps retrying, and still stops cleanly.
    daemon = daemon_factory("postgresql://agentctl@127.0.0.1:1/agentctl")
    wait_for(lambda: "cannot use database" in daemon.stderr, "the retry warning")
    assert daemon.process.poll() is None  # still alive
    assert daemon.stop(signal.SIGTERM) == 0, daemon.stderr


def test_daemon_refuses_a_database_without_schema(daemon_factory, tmp_path) -> None:
    daemon = daemon_factory(f"sqlite:///{tmp_path / 'empty.db'}")
    assert daemon.process.wait(timeout=WAIT_S) == 1
    assert "error: database" in daemon.stderr and "agentctl db upgrade" in daemon.stderr


# --- job sync, in-process --------------------------------------------------------------


@pytest.fixture
def paused_daemon(db: Database) -> Iterator[SchedulerDaemon]:
    """A daemon whose scheduler holds jobs but fires none, so sync can be inspected."""
    daemon = SchedulerDaemon(db, resolve_settings({"database_url": "sqlite://"}))
    daemon.scheduler.start(paused=True)
    yield daemon
    daemon.scheduler.shutdown(wait=False)


def job_times(daemon: SchedulerDaemon) -> dict[str, Any]:
    return {job.name: job.next_run_time for job in daemon.scheduler.get_jobs()}


def test_reload_adds_pauses_changes_and_removes_jobs(cli, db, paused_daemon, tmp_path) -> None:
    add_schedule(cli, "weekly", tmp_path, cron="0 9 * * MON")
    add_schedule(cli, "daily", tmp_path, cron="30 6 * * *")
    paused_daemon.reload()
    with db.session() as session:
        stored = {s.name: s.next_run_at for s in session.scalars(select(ScheduledReport))}
    # Each job fires at the schedule's stored next run (same cron, same zone).
    assert job_times(paused_daemon) == stored

    assert cli("schedule", "pause", "daily").exit_code == 0
    paused_daemon.reload()
    assert set(job_times(paused_daemon)) == {"weekly"}

    assert cli("schedule", "resume", "daily").exit_code == 0
    with db.session(write=True) as session:
        session.execute(
            update(ScheduledReport)
            .where(ScheduledReport.name == "weekly")
            .values(schedule_cron="0 9 * * FRI", timezone="Asia/Tokyo")
        )
    paused_daemon.reload()
    times = job_times(paused_daemon)
    assert set(times) == {"weekly", "daily"}
    assert times["weekly"] == parse_cron("0 9 * * FRI", "Asia/Tokyo").next_after(utcnow())

    assert cli("schedule", "remove", "weekly").exit_code == 0
    paused_daemon.reload()
    assert set(job_times(paused_daemon)) == {"daily"}


def test_reload_fires_an_overdue_schedule_at_once(cli, db, paused_daemon, tmp_path) -> None:
    add_schedule(cli, "weekly", tmp_path)
    make_due(db, "weekly")
    before = utcnow()
    paused_daemon.reload()
    assert job_times(paused_daemon)["weekly"] <= utcnow()
    assert job_times(paused_daemon)["weekly"] >= before


def test_reload_survives_an_unreachable_database(caplog) -> None:
    unreachable = Database("postgresql://agentctl@127.0.0.1:1/agentctl")
    daemon = SchedulerDaemon(unreachable, resolve_settings({"database_url": "sqlite://"}))
    try:
        daemon.reload()  # logs, does not raise
        daemon.reload()
    finally:
        unreachable.dispose()
    assert not daemon.db_ok
    warnings = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    # One line per failed attempt (issue 14.6: the log shows how long the outage lasted).
    assert len(warnings) == 2
    assert all("\n" not in r.getMessage() and r.exc_info is None for r in warnings)


def test_sigterm_lets_the_run_in_progress_finish(cli, db, db_url, daemon_factory, tmp_path):
    """SIGTERM arrives while the report is being mailed: the run completes, then exit 0."""
    import asyncio
    import threading

    from aiosmtpd.controller import Controller

    from smtp_server import free_port

    in_data = threading.Event()
    received: list[bytes] = []

    class SlowHandler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            in_data.set()
            await asyncio.sleep(2)
            received.append(envelope.content)
            return "250 OK"

    port = free_port()
    controller = Controller(SlowHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        daemon = daemon_factory(
            db_url,
            AGENTCTL_SMTP_URL=f"smtp://127.0.0.1:{port}",
            AGENTCTL_MAIL_FROM="agentctl@example.com",
            AGENTCTL_SMTP_ATTEMPTS="1",
        )
        wait_for(lambda: "scheduler started" in daemon.stderr, "the daemon to start")
        add_schedule(cli, "slow", tmp_path)
        make_due(db, "slow")
        assert in_data.wait(WAIT_S), daemon.stderr
        assert daemon.stop(signal.SIGTERM) == 0, daemon.stderr
    finally:
        controller.stop()
    assert len(received) == 1
    [run] = succeeded_runs(db)
    assert run.finished_at is not None
    assert "status=succeeded" in daemon.stderr
