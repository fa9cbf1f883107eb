"""Engines, sessions and the schema-version gate.

Dialect set-up lives here once: SQLite gets foreign keys, WAL, a busy timeout and real
``BEGIN``/``BEGIN IMMEDIATE`` transactions; PostgreSQL URLs are routed to psycopg 3.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import DatabaseError as SADatabaseError

from agentctl.config import mask_secrets
from agentctl.errors import DatabaseUnavailable, RuntimeFailure, SchemaOutOfDate, UsageError
from agentctl.repository.percentile import register_sqlite_percentiles
from agentctl.schema import HEAD_REVISION

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_S = 60


def normalize_url(raw: str) -> URL:
    """Parse a database URL; ``postgresql://`` and ``postgres://`` use psycopg 3."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        raise UsageError(
            f"invalid database URL {mask_secrets(raw)!r} "
            "(expected sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise UsageError(
            f"unsupported database {url.drivername!r} in {safe_url(url)!r} "
            "(agentctl supports sqlite and postgresql)"
        )
    return url


def safe_url(url: URL | str) -> str:
    if isinstance(url, str):
        return mask_secrets(url)
    return url.render_as_string(hide_password=True)


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN itself (pysqlite's implicit
        # transactions would defeat BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # percentile_cont for performance's medians and p90s (SQLite has none).
        register_sqlite_percentiles(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front, so that two writers queue on the busy
        # timeout instead of failing with "database is locked" on lock upgrade.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def create_db_engine(raw_url: str, **kwargs: Any) -> Engine:
    url = normalize_url(raw_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            folder = Path(url.database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # e.g. sqlite:////etc/passwd/x.db (issue 13.11)
                raise RuntimeFailure(
                    f"cannot create the database {url.database}: {folder} "
                    f"{'is not a directory' if folder.is_file() else exc.strerror}"
                ) from None
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **kwargs)
        _install_sqlite_hooks(engine)
        return engine
    connect_args = {"connect_timeout": 10, "application_name": "agentctl"}
    try:
        return create_engine(url, connect_args=connect_args, pool_pre_ping=False, **kwargs)
    except NoSuchModuleError:
        raise UsageError(f"no driver for database URL {safe_url(url)!r}") from None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text_ = str(orig).strip().splitlines()
    return mask_secrets(text_[0]) if text_ else type(orig).__name__


def unavailable(engine: Engine, exc: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"cannot use database {safe_url(engine.url)}: {_first_line(exc)}")


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None for an empty database."""
    try:
        with engine.connect() as conn:
            has_table = engine.dialect.has_table(conn, "alembic_version")
            if not has_table:
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, SADatabaseError) as exc:
        raise unavailable(engine, exc) from exc


class Database:
    """One database: its engine, and sessions for reading and writing."""

    def __init__(self, url: str, *, auto_migrate: bool = False, **engine_kwargs: Any) -> None:
        self.engine = create_db_engine(url, **engine_kwargs)
        self.auto_migrate = auto_migrate
        self._checked = False

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def safe_url(self) -> str:
        return safe_url(self.engine.url)

    # --- issue 13.19: `demo` migrates a new SQLite file it is pointed at ----------------
    def migrate_if_new(self) -> None:
        """Let the next session create the schema if this is an empty SQLite database."""
        if self.dialect == "sqlite" and current_revision(self.engine) is None:
            self.auto_migrate = True

    # --- end issue 13.19 -------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Refuse a database that is not at the newest revision (migrate the default one)."""
        if self._checked:
            return
        revision = current_revision(self.engine)
        if revision != HEAD_REVISION:
            if self.auto_migrate:
                # Racing first commands queue on the migration's write lock (see migrate).
                from agentctl.migrate import upgrade

                try:
                    upgrade(self.engine)
                except OperationalError as exc:
                    raise unavailable(self.engine, exc) from exc
            elif revision is None:
                raise SchemaOutOfDate(
                    f"database {self.safe_url} has no agentctl schema; "
                    "run `agentctl db upgrade` first"
                )
            else:
                raise SchemaOutOfDate(
                    f"database {self.safe_url} is at revision {revision}, not the newest "
                    f"({HEAD_REVISION}); run `agentctl db upgrade` first"
                )
        self._checked = True

    @contextlib.contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        ``write=True`` takes SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``).
        """
        from sqlalchemy.orm import Session  # the ORM loads only for commands that use it

        bind = self._bind(write)
        with (
            self._errors_mapped(),
            Session(bind, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextlib.contextmanager
    def connect(self, *, write: bool = False) -> Iterator[Connection]:
        """A Core connection in one transaction, as ``session`` but without the ORM (read
        paths that only select: ``status``, ``performance``, ``assign --dry-run``)."""
        bind = self._bind(write)
        with self._errors_mapped(), bind.connect() as connection, connection.begin():
            yield connection

    def _bind(self, write: bool) -> Engine:
        self.ensure_schema()  # its errors are its own: before _errors_mapped
        if write and self.dialect == "sqlite":
            return self.engine.execution_options(sqlite_begin="IMMEDIATE")
        return self.engine

    @contextlib.contextmanager
    def _errors_mapped(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            raise unavailable(self.engine, exc) from exc
        except IntegrityError as exc:
            # Validation catches bad input first; this is a write racing another process.
            raise RuntimeFailure(
                f"the change conflicts with data written meanwhile, nothing was changed: "
                f"{_first_line(exc)}"
            ) from exc

    def dispose(self) -> None:
        self.engine.dispose()
