"""What a person sees from `assign`: a screenful of rows, the summary, Ctrl-C, and
two named runs over the same tickets that must not deadlock."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text

from agentctl.models import Agent, AgentAvailability, AssignmentLog, Ticket
from agentctl.services.assignment import AssignInterrupted, AssignRequest, assign
from factories import T0, make_agent

AGENTCTL = (sys.executable, "-m", "agentctl")


def backlog(db, tickets: int, agents: int = 3) -> None:
    with db.session(write=True) as s:
        for n in range(agents):
            make_agent(s, f"a{n}@d.com", agent_id=uuid.UUID(int=n + 1))
        s.execute(
            insert(Ticket),
            [
                {
                    "ticket_number": f"T-{i:05d}",
                    "subject": "Slow line",
                    "created_at": T0 + timedelta(seconds=i),
                }
                for i in range(tickets)
            ],
        )


def assigned_count(db) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).where(Ticket.assigned_to_user_id.is_not(None))))


# --- the table: a screenful, the rest with --all or json/csv -----------------------------


def test_piped_table_shows_fifty_rows_and_says_how_to_get_the_rest(db, cli):
    backlog(db, 60)
    r = cli("assign", "--backlog")
    assert r.exit_code == 0, r.stderr
    shown = re.findall(r"T-\d{5}", r.stdout)
    assert shown == [f"T-{i:05d}" for i in range(50)]
    assert r.stdout.rstrip().splitlines()[-1] == (
        "… 10 more rows not shown: use --all, or --format json|csv"
    )
    assert r.stderr == "assigned 60, unassigned 0; a0@d.com 20, a1@d.com 20, a2@d.com 20\n"


def test_all_shows_every_row_and_json_always_has_every_row(db, cli):
    backlog(db, 60)
    r = cli("assign", "--backlog", "--dry-run", "--all")
    assert len(re.findall(r"T-\d{5}", r.stdout)) == 60
    assert "more rows not shown" not in r.stdout
    r = cli("assign", "--backlog", "--dry-run", "--format", "json")
    assert len(r.json()) == 60


def test_summary_names_the_ten_busiest_agents_then_counts_the_rest(db, cli):
    backlog(db, 13, agents=12)  # a0..a11; one more ticket each for a0 (the first in turn)
    r = cli("assign", "--backlog", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == (
        # Ties by email, as text: "a10@" sorts before "a1@" ("0" < "@").
        "assigned 13, unassigned 0; a0@d.com 2, a10@d.com 1, a11@d.com 1, a1@d.com 1, "
        "a2@d.com 1, a3@d.com 1, a4@d.com 1, a5@d.com 1, a6@d.com 1, a7@d.com 1 "
        "and 2 more agents\n"
    )


@pytest.mark.parametrize("backend", ["sqlite"])
def test_terminal_table_fits_the_screen_then_the_summary(db, db_url):
    backlog(db, 60)
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentctl", "--db", db_url, "assign", "--backlog"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**env, "TERM": "xterm"},
        close_fds=True,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=60) == 0
    os.close(primary)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode())
    # 30 lines: 20 rows, the table's 4 lines of frame and header, the note, the summary
    # and the next prompt fit on one screen.
    assert re.findall(r"T-\d{5}", screen) == [f"T-{i:05d}" for i in range(20)]
    assert "… 40 more rows not shown: use --all, or --format json|csv" in screen
    assert screen.rstrip().endswith("a0@d.com 20, a1@d.com 20, a2@d.com 20")


# --- Ctrl-C: each batch is atomic, and the message says what was committed ------------------


def test_stop_after_a_batch_keeps_the_committed_batches_only(db):
    backlog(db, 35)
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) >= 2  # after the second batch

    with pytest.raises(AssignInterrupted) as info:
        assign(db, AssignRequest(backlog=True, batch_size=10), stop=stop)
    assert info.value.result.committed == 20
    assert info.value.message == (
        "interrupted: 20 tickets assigned in committed batches; the rest untouched"
    )
    assert assigned_count(db) == 20
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AssignmentLog)) == 20


@pytest.mark.parametrize("backend", ["sqlite"])
def test_ctrl_c_says_what_was_committed_and_exits_130(db, db_url):
    backlog(db, 20_000, agents=20)
    proc = subprocess.Popen(
        [*AGENTCTL, "--db", db_url, "assign", "--backlog", "--batch-size", "10", "-f", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while assigned_count(db) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    match = re.fullmatch(
        r"interrupted: ([\d,]+) tickets assigned in committed batches; the rest untouched\n", err
    )
    assert match, err
    committed = int(match[1].replace(",", ""))
    assert 0 < committed < 20_000
    assert committed == assigned_count(db)  # exactly what the database holds


# --- named runs: one global lock order ------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_named_runs_over_the_same_tickets_in_opposite_orders_do_not_deadlock(db, db_url):
    tickets = 2000
    with db.session(write=True) as s:
        for n in range(10):
            make_agent(s, f"a{n}@d.com")
        s.execute(
            insert(Ticket),
            [
                {"ticket_number": f"N-{i:05d}", "subject": "x", "created_at": T0}
                for i in range(tickets)
            ],
        )
    numbers = [f"N-{i:05d}" for i in range(tickets)]
    command = [sys.executable, "-m", "agentctl", "--db", db_url, "assign", "--format", "json"]
    # Hold one ticket in the middle until both runs wait on a lock, so that they overlap
    # for sure: locks taken per 500-ticket chunk (the old way) then deadlock every time.
    deadlocks = text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
    with db.engine.connect() as conn:
        deadlocks_before = conn.execute(deadlocks).scalar_one()
    with db.engine.connect() as holder:
        holder.execute(select(Ticket.id).where(Ticket.ticket_number == "N-01000").with_for_update())
        procs = [
            subprocess.Popen(
                [*command, *order], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            for order in (numbers, numbers[::-1])
        ]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            holder.execute(text("SELECT pg_stat_clear_snapshot()"))  # a fresh view each time
            waiting = holder.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if waiting >= 2:
                break
            time.sleep(0.05)
        holder.rollback()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-500:]
    with db.session() as s:
        logs = s.scalar(select(func.count()).select_from(AssignmentLog))
        left = s.scalar(select(func.count()).where(Ticket.assigned_to_user_id.is_(None)))
        agents = s.scalar(select(func.count()).select_from(Agent).join(AgentAvailability))
    # Whichever run locked first assigned all 2,000; the other found them assigned.
    assert (logs, left, agents) == (tickets, 0, 10)
    # No deadlock happened at all (a victim's retry would hide one from the exit codes).
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        assert conn.execute(deadlocks).scalar_one() == deadlocks_before
