"""The daemon under a database outage (issue 14.6), against a private PostgreSQL server.

The test starts its own PostgreSQL (initdb + pg_ctl into a temporary directory, on a port
of its own), runs `agentctl schedule run` against it, stops the server for 30 seconds
and starts it again. It never touches the shared server on 5432. As root, the server runs
as the ``postgres`` user (initdb refuses root). Without PostgreSQL binaries the test is
skipped, except in CI, where it fails.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from agentctl.database import Database
from agentctl.models import ReportRun, ScheduledReport
from conftest import CLI, IN_CI
from smtp_server import free_port

pytestmark = pytest.mark.private_postgres
OUTAGE_S = 30


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    for candidate in reversed(found):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


@dataclass
class PrivatePostgres:
    bin: Path
    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        if IN_CI:
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are needed in CI", pytrace=False)
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl)")
    # Not under pytest's tmp_path: its parents are private to root, and the server runs
    # as postgres when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="agentctl-pg-"))
    server = PrivatePostgres(bin_dir, root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


class Lines:
    """A process's stderr lines, collected by a thread as they come."""

    def __init__(self, stream: object) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"no {text!r} in:\n" + "\n".join(self.lines)
            time.sleep(0.1)


def test_daemon_survives_a_database_outage_and_runs_the_missed_occurrence_once(
    private_postgres, smtp_server, tmp_path
) -> None:
    from agentctl import migrate

    engine = create_engine(private_postgres.url().replace("postgresql:", "postgresql+psycopg:"))
    migrate.upgrade(engine)
    engine.dispose()
    url = private_postgres.url()
    cli = CLI(url)
    added = cli(
        "schedule", "add", "minutely", "--report", "workload", "--cron", "* * * * *",
        "--format", "csv", "--to", "lead@example.com", "--output-dir", str(tmp_path),
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    db = Database(url)
    # Not due until the server is down: the occurrence falls due during the outage.
    due = datetime.now(UTC) + timedelta(seconds=5)
    with db.session(write=True) as session:
        session.execute(update(ScheduledReport).values(next_run_at=due))
    db.dispose()

    env = {
        **os.environ,
        "AGENTCTL_SMTP_URL": smtp_server.url(),
        "AGENTCTL_MAIL_FROM": "agentctl@example.com",
        "AGENTCTL_SMTP_ATTEMPTS": "1",
    }
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentctl",
            "--db",
            url,
            "schedule",
            "run",
            "--reload-interval",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = Lines(daemon.stderr)
    try:
        log.wait_for("scheduler started", 60)
        private_postgres.stop()
        down_at = time.monotonic()
        time.sleep(OUTAGE_S)
        assert daemon.poll() is None, "the daemon died during the outage"
        failures = [line for line in log.lines if "database unavailable" in line]
        private_postgres.start()
        recovered = datetime.now(UTC)
        log.wait_for("database reachable again", 60)
        log.wait_for("run schedule=minutely", 60)
        time.sleep(2)  # a second run would show by now
        assert daemon.poll() is None
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            pytest.fail("the daemon did not stop on SIGTERM:\n" + "\n".join(log.lines))
    assert daemon.returncode == 0

    # One line per failed attempt (about one a second), never a traceback.
    assert len(failures) >= OUTAGE_S // 3, "\n".join(log.lines)
    assert all(line.count("\n") == 0 and "warning: " in line for line in failures)
    assert not any("Traceback" in line or line.startswith("  ") for line in log.lines)
    assert time.monotonic() - down_at < 120

    db = Database(url)
    try:
        with db.session() as session:
            all_runs = list(session.scalars(select(ReportRun)))
    finally:
        db.dispose()
    # The occurrences due during the outage coalesce into one run. (A minute that begins
    # after the server is back is a run of its own.)
    missed = [r for r in all_runs if r.occurrence_at is not None and r.occurrence_at < recovered]
    assert len(missed) == 1, [(r.occurrence_at, r.status) for r in all_runs]
    [run] = missed
    assert run.status == "succeeded" and run.occurrence_at is not None
    assert run.occurrence_at >= due - timedelta(seconds=1)
    assert len({r.occurrence_at for r in all_runs}) == len(all_runs)  # none ran twice
    assert len(smtp_server.messages) == len(all_runs)
