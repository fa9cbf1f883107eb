"""Column types and value vocabularies of the schema (``agentctl.tables`` re-exports them).

No ORM here, and nothing dialect-specific: importing this costs SQLAlchemy's core only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from agentctl.timeutil import as_utc

TICKET_STATUSES = ("open", "in_progress", "waiting", "resolved", "closed")
OPEN_STATUSES = ("open", "in_progress", "waiting")  # what counts as workload
DONE_STATUSES = ("resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
AVAILABILITY_STATUSES = ("available", "busy", "away", "offline")
SKILL_LEVELS = {1: "Beginner", 2: "Intermediate", 3: "Advanced", 4: "Expert"}
RUN_STATUSES = ("running", "succeeded", "failed", "partial", "skipped")

SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always an aware UTC datetime in Python.

    PostgreSQL stores ``timestamptz``. SQLite has no time zones, so the value is stored as
    naive UTC text and given back its UTC zone on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw text from a SQLite expression
            value = datetime.fromisoformat(value)
        return as_utc(value)


def sqlite_datetime_text(value: datetime) -> str:
    """The text SQLite stores for ``value`` (used by bulk loaders that bypass the ORM).

    Same text as SQLAlchemy's SQLite DATETIME (``SQLITE_DATETIME_FORMAT``), built faster.
    """
    if value.tzinfo is not UTC:
        value = as_utc(value)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")
