"""Exactly once across processes: lease takeover after kill -9, and racing --new-only ticks.

Real `agentctl schedule tick` processes against one database and a real SMTP server on
loopback; the clock is the real one (``tick --now`` only lists).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select, update

from agentctl.database import Database
from agentctl.models import ReportRun, ScheduledReport
from factories import make_ticket
from smtp_server import _Handler, free_port


class SlowHandler(_Handler):
    """Holds DATA open while ``slow`` is set; a message whose client died is not kept."""

    def __init__(self) -> None:
        super().__init__()
        self.slow = threading.Event()
        self.in_data = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.slow.is_set():
            self.in_data.set()
            waited = 0.0
            while self.slow.is_set() and waited < 60:
                await asyncio.sleep(0.05)
                waited += 0.05
            return "451 4.3.0 the client went away"  # never reaches a killed client
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowHandler, str]]:
    handler = SlowHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, f"smtp://127.0.0.1:{port}"
    finally:
        handler.slow.clear()
        controller.stop()


def env_for(smtp_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "AGENTCTL_SMTP_URL": smtp_url,
        "AGENTCTL_MAIL_FROM": "agentctl@example.com",
        "AGENTCTL_SMTP_ATTEMPTS": "1",
        **extra,
    }


def tick_process(db_url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentctl", "--db", db_url, "schedule", "tick"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def add_due(cli, db: Database, name: str, out: Path, *extra: str) -> datetime:
    """A yearly schedule made due two minutes ago (so it runs once, not every minute)."""
    result = cli(
        "schedule", "add", name, "--report", "sla-breaches", "--cron", "0 3 1 1 *",
        "--format", "json", "--to", "lead@example.com", "--range", "all",
        "--output-dir", str(out), *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    with db.session(write=True) as session:
        session.execute(
            update(ScheduledReport).where(ScheduledReport.name == name).values(next_run_at=due)
        )
    return due


def runs(db: Database) -> list[ReportRun]:
    with db.session() as session:
        return list(session.scalars(select(ReportRun).order_by(ReportRun.started_at)))


def test_a_tick_killed_mid_delivery_is_taken_over_once(cli, db, db_url, slow_smtp, tmp_path):
    handler, url = slow_smtp
    env = env_for(url, AGENTCTL_SCHEDULE_LEASE="2")
    add_due(cli, db, "weekly", tmp_path)

    handler.slow.set()
    first = tick_process(db_url, env)
    assert handler.in_data.wait(60), first.communicate(timeout=5)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    handler.slow.clear()
    [killed] = runs(db)
    assert killed.status == "running" and killed.claimed_by is not None
    # The lease (2 s) was renewed while the tick lived; now nobody renews it.
    deadline = time.monotonic() + 30
    while True:
        with db.session() as session:
            expires = session.scalars(select(ReportRun.lease_expires_at)).one()
        if expires is not None and expires < datetime.now(UTC):
            break
        assert time.monotonic() < deadline, "the lease never expired"
        time.sleep(0.2)

    later = [tick_process(db_url, env) for _ in range(2)]  # two ticks race for the takeover
    outputs = [p.communicate(timeout=120) for p in later]
    assert [p.returncode for p in later] == [0, 0], outputs
    old, new = runs(db)
    assert old.id == killed.id and old.status == "failed"
    assert old.error is not None and old.error.startswith("lease expired; taken over by ")
    assert old.error.endswith(new.claimed_by or "?")
    assert (new.status, new.takeover_of_run_id, new.occurrence_at) == (
        "succeeded", old.id, killed.occurrence_at,
    )  # fmt: skip
    [message] = handler.messages  # delivered once, by the takeover
    assert message.message["X-Agentctl-Run"] == str(new.id)
    assert sum("takeover_of=" in out for out, _ in outputs) == 1

    history = cli("schedule", "history", "weekly", "-f", "json").json()
    assert [(r["status"], r["takeover_of"]) for r in history] == [  # type: ignore[index,union-attr]
        ("succeeded", str(old.id)),
        ("failed", None),
    ]
    table = cli("schedule", "history", "weekly").stdout
    assert f"took over run {str(old.id)[:8]}" in table

    # A later tick finds nothing left to run.
    again = tick_process(db_url, env)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0 and out == "", err
    assert len(runs(db)) == 2


def delivered(messages: list[Any]) -> list[str]:
    numbers = []
    for received in messages:
        [attachment] = list(received.message.iter_attachments())
        numbers += [row["ticket_number"] for row in json.loads(attachment.get_content())["rows"]]
    return numbers


def test_three_ticks_on_a_new_only_schedule_deliver_each_row_once(
    cli, db, db_url, smtp_server, tmp_path
) -> None:
    now = datetime.now(UTC)
    with db.session(write=True) as session:
        for number in ("R-1", "R-2", "R-3"):
            make_ticket(
                session, ticket_number=number, created_at=now - timedelta(days=1),
                sla_due_date=now - timedelta(hours=2),
            )  # fmt: skip
    add_due(cli, db, "alerts", tmp_path, "--new-only", "--skip-empty")
    env = env_for(smtp_server.url())

    for round_ in range(2):
        if round_ == 1:  # one more ticket breaches; the schedule is due again
            with db.session(write=True) as session:
                make_ticket(
                    session, ticket_number="R-4", created_at=now - timedelta(days=1),
                    sla_due_date=now - timedelta(hours=1),
                )  # fmt: skip
            add_due_again(db, "alerts")
        processes = [tick_process(db_url, env) for _ in range(3)]
        outputs = [p.communicate(timeout=120) for p in processes]
        assert [p.returncode for p in processes] == [0, 0, 0], outputs
        assert sum(len(out.splitlines()) for out, _ in outputs) == 1  # one tick ran it

    assert sorted(delivered(smtp_server.messages)) == ["R-1", "R-2", "R-3", "R-4"]
    assert delivered(smtp_server.messages[1:]) == ["R-4"]
    assert [r.status for r in runs(db)] == ["succeeded", "succeeded"]


def add_due_again(db: Database, name: str) -> None:
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    with db.session(write=True) as session:
        session.execute(
            update(ScheduledReport).where(ScheduledReport.name == name).values(next_run_at=due)
        )
