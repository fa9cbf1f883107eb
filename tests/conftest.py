"""Test fixtures: real databases, the CLI in-process, an isolated environment.

Every database test runs twice, on a real SQLite file and on a real PostgreSQL database
(``AGENTCTL_TEST_POSTGRES_URL``). Each test gets its own database, copied from a template
that was built by running the migrations once per session, and removes it afterwards.
Without PostgreSQL the PostgreSQL half is skipped with a reason, except in CI (``CI`` set),
where a skip would hide a broken setup and so fails instead.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from agentctl.database import Database, create_db_engine

PG_ENV = "AGENTCTL_TEST_POSTGRES_URL"
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _pg_admin_url() -> str | None:
    raw = os.environ.get(PG_ENV)
    if not raw:
        return None
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _missing_postgres(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user config, data dir or AGENTCTL_* variable leaks into a test."""
    for name in list(os.environ):
        if name.startswith("AGENTCTL_") and name not in (PG_ENV,):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("NO_COLOR", raising=False)


# --- templates, built once per test session (per xdist worker) ----------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from agentctl import migrate

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[tuple[str, str]]:
    """(admin URL, template database name); skipped or failed without PostgreSQL."""
    admin = _pg_admin_url()
    if admin is None:
        _missing_postgres(f"{PG_ENV} is not set")
        return
    from agentctl import migrate

    name = f"agentctl_tpl_{uuid.uuid4().hex[:12]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any connection failure means "no usable PostgreSQL"
        admin_engine.dispose()
        _missing_postgres(f"cannot reach {make_url(admin).render_as_string()}: {exc}")
        return
    engine = create_db_engine(str(make_url(admin).set(database=name).render_as_string(False)))
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield admin, name
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


class _Dropper:
    """Drops per-test databases in a background thread.

    DROP DATABASE forces a checkpoint (about a second); doing it behind the next test
    instead of in its way keeps the PostgreSQL half of the suite fast. Every database is
    still dropped: the session waits for the queue before it ends.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")
        self._pending: list[Future[None]] = []

    def submit(self, admin: str, name: str) -> None:
        def drop() -> None:
            engine = create_engine(admin, isolation_level="AUTOCOMMIT")
            try:
                with engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            finally:
                engine.dispose()

        self._pending.append(self._pool.submit(drop))

    def wait(self) -> None:
        for future in self._pending:
            future.result()
        self._pool.shutdown()


_dropper = _Dropper()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _dropper.wait()


def _new_pg_database(admin: str, template: str | None) -> tuple[str, Callable[[], None]]:
    name = f"agentctl_t_{uuid.uuid4().hex[:16]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    admin_engine.dispose()

    def drop() -> None:
        _dropper.submit(admin, name)

    url = make_url(admin).set(database=name, drivername="postgresql")
    return url.render_as_string(hide_password=False), drop


# --- per-test databases ----------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database of its own for this test, removed afterwards."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "agentctl.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    admin, name = request.getfixturevalue("pg_template")
    url, drop = _new_pg_database(admin, name)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no schema at all (for migration tests)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = _pg_admin_url()
    if admin is None:
        _missing_postgres(f"{PG_ENV} is not set")
        return
    url, drop = _new_pg_database(admin, None)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


# --- the CLI ---------------------------------------------------------------------------


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        import json

        return json.loads(self.stdout)


class CLI:
    """Runs agentctl in-process against one database, capturing stdout and stderr."""

    def __init__(self, db_url: str | None) -> None:
        self.db_url = db_url

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        from agentctl.cli import run

        argv = (["--db", self.db_url] if self.db_url else []) + [str(a) for a in args]
        out, err = io.StringIO(), io.StringIO()
        old_stdin = sys.stdin
        try:
            if stdin is not None:
                sys.stdin = io.StringIO(stdin)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = run(argv)
        finally:
            sys.stdin = old_stdin
        return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(db_url: str) -> CLI:
    return CLI(db_url)


@pytest.fixture
def bare_cli() -> CLI:
    """The CLI with no --db (the default database or the environment decides)."""
    return CLI(None)


def run_agentctl(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
    """Run agentctl as a real subprocess (for concurrency, daemons and import checks)."""
    proc = subprocess.run(
        [sys.executable, "-m", "agentctl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


# --- mail ------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[object]:
    """A real SMTP server on loopback that accepts everything (tests/smtp_server.py)."""
    from smtp_server import SMTPServer

    server = SMTPServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_factory() -> Iterator[Callable[..., object]]:
    """Start SMTP servers with options: ``smtp_factory(refuse_with="550 no")``,
    ``smtp_factory(credentials=("user", "secret"))``. All are stopped afterwards."""
    from smtp_server import SMTPServer

    servers: list[SMTPServer] = []

    def start(**kwargs: object) -> SMTPServer:
        server = SMTPServer(**kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
