"""`agentctl performance --watch`: redraws with fresh data until Ctrl-C, which exits 0."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

from factories import T0, make_agent, make_ticket


def test_watch_redraws_fresh_data_and_ctrl_c_exits_0(db, cli, monkeypatch):
    """In-process: each tick re-reads the database; Ctrl-C during the wait ends it cleanly."""
    import agentctl.cli.performance as command

    with db.session(write=True) as s:
        alice = make_agent(s, "alice@example.com", name="Alice")
        make_ticket(s, agent=alice, created_at=T0)
    ticks: list[float] = []

    class Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            ticks.append(seconds)
            if len(ticks) == 1:  # a ticket arrives between two redraws
                with db.session(write=True) as s:
                    make_ticket(s, agent=alice, created_at=T0, status="waiting")
            else:
                raise KeyboardInterrupt

    monkeypatch.setattr(command, "time", Clock)
    r = cli("performance", "--range", "all", "--as-of", "2026-10-02", "--watch", "2.5")
    assert (r.exit_code, r.stderr) == (0, "")
    assert ticks == [2.5, 2.5]
    # Off a terminal, Live leaves the last frame: the one drawn after the new ticket.
    assert "active agents 1   assigned 2   resolved 0" in r.stdout
    assert r.stdout.count("Performance: the beginning") == 1


def test_watch_defaults_to_30_seconds(db, cli, monkeypatch):
    import agentctl.cli.performance as command

    ticks: list[float] = []

    class Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            ticks.append(seconds)
            raise KeyboardInterrupt

    monkeypatch.setattr(command, "time", Clock)
    r = cli("performance", "--watch", "--range", "7d")
    assert (r.exit_code, r.stderr, ticks) == (0, "", [30.0])


def _read_until(fd: int, needle: bytes, count: int, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while seen.count(needle) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"no {count} redraws within {timeout} s; output so far: {seen[-2000:]!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            seen += chunk
    return seen


def test_watch_on_a_terminal_until_sigint(db, db_url):
    """A real process on a pseudo-terminal: it redraws in place, and SIGINT exits 0."""
    with db.session(write=True) as s:
        make_ticket(s, agent=make_agent(s, "alice@example.com"), created_at=T0)
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentctl", "--db", db_url, "performance", "--watch", "0.2"],
        stdin=child,
        stdout=child,
        stderr=subprocess.PIPE,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "200"},
        # A test runner started in the background may ignore SIGINT; Ctrl-C must reach us.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(child)
    try:
        output = _read_until(main, b"Ctrl-C to stop", count=3, timeout=60)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    assert proc.returncode == 0, stderr
    assert stderr == b""
    # Live redraws in place: it moves the cursor up over the previous frame.
    assert b"\x1b[" in output and b"A" in output


def test_watch_footer_and_rows_that_fit_the_terminal(db, cli, monkeypatch):
    """Issue 13 item 15: a footer, and only the rows the terminal holds, with a count."""
    import re

    import agentctl.cli.performance as command

    with db.session(write=True) as s:
        for i in range(30):
            make_ticket(s, agent=make_agent(s, f"a{i:02d}@example.com"), created_at=T0)

    class Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(command, "time", Clock)
    # 24 lines: heading, 4 summary lines, 5 table lines (borders, 2 header lines,
    # separator), the "more" line and the footer leave 24 - 12 = 12 agent rows.
    monkeypatch.setenv("LINES", "24")
    r = cli("performance", "--range", "all", "--as-of", "2026-10-02", "--watch", "5")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"every 5 s · updated \d\d:\d\d:\d\d · Ctrl-C to stop", lines[-1])
    assert lines[-2] == "… and 18 more agents (a taller terminal shows more)"
    assert sum(line.startswith("│ A") for line in lines) == 12
    assert len(lines) <= 24


def test_heading_reads_like_the_reports(db, cli):
    """Issue 13 item 13: minutes and UTC, not raw ISO with microseconds."""
    r = cli("performance", "--range", "7d", "--as-of", "2026-11-28T04:48:10.123456Z")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == (
        "Performance: 2026-11-21 04:48 to 2026-11-28 04:48 UTC (7d)"
    )
    r = cli(
        "performance",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-02T12:00:00+02:00",
        "--as-of",
        "2026-11-28T04:48:00Z",
    )
    assert r.stdout.splitlines()[0] == (
        "Performance: 2026-11-01 00:00 to 2026-11-02 10:00 UTC (as of 2026-11-28 04:48 UTC)"
    )
