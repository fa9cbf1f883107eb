"""Schema migrations as a service: upgrade and inspect."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from agentctl.database import Database, current_revision, unavailable
from agentctl.schema import HEAD_REVISION


def status(db: Database) -> tuple[str | None, str]:
    """(the database's revision, the newest revision)."""
    return current_revision(db.engine), HEAD_REVISION


def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    from agentctl import migrate

    before = current_revision(db.engine)
    try:
        migrate.upgrade(db.engine, revision)
    except OperationalError as exc:
        raise unavailable(db.engine, exc) from exc
    return before, current_revision(db.engine)
