"""Bulk loading for large data sets: executemany on SQLite, COPY on PostgreSQL.

This bypasses the ORM for speed, so it converts values to what each dialect stores:
UUIDs as 32-digit hex and timestamps as naive-UTC text on SQLite (exactly what the models'
types write), native values through COPY on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Boolean, Table, Uuid
from sqlalchemy.orm import Session

from agentctl.models import UTCDateTime, sqlite_datetime_text

CHUNK = 20_000


def _sqlite_converter(column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, Uuid):
        return lambda v: None if v is None else v.hex
    if isinstance(column_type, UTCDateTime):
        return lambda v: None if v is None else sqlite_datetime_text(v)
    if isinstance(column_type, Boolean):
        return lambda v: None if v is None else int(v)
    return None


def bulk_insert(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) in the session's transaction."""
    connection = session.connection()
    raw = connection.connection.driver_connection
    assert raw is not None
    quoted = ", ".join(f'"{c}"' for c in columns)
    iterator = iter(rows)
    written = 0
    if connection.dialect.name == "postgresql":
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy,
        ):
            while chunk := list(islice(iterator, CHUNK)):
                for row in chunk:
                    copy.write_row(row)
                written += len(chunk)
                if progress:
                    progress(len(chunk))
        return written

    converters = [_sqlite_converter(table.c[c].type) for c in columns]
    placeholders = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})'
    cursor = raw.cursor()
    # A bigger page cache keeps the random-UUID primary key and the indexes in memory.
    cursor.execute("PRAGMA cache_size=-262144")
    try:
        while chunk := list(islice(iterator, CHUNK)):
            # Convert column by column (map over a column is much faster than per cell).
            columns_ = [
                values if f is None else list(map(f, values))
                for f, values in zip(converters, zip(*chunk, strict=True), strict=True)
            ]
            cursor.executemany(sql, zip(*columns_, strict=True))
            written += len(chunk)
            if progress:
                progress(len(chunk))
    finally:
        cursor.close()
    return written


def analyze(session: Session) -> None:
    """Refresh planner statistics after a bulk load."""
    session.connection().exec_driver_sql("ANALYZE")
