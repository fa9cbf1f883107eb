"""Timestamps stored in another text format on SQLite: find them and rewrite them.

SQLite has no timestamp type: agentctl stores naive UTC text in exactly one format,
``YYYY-MM-DD HH:MM:SS.ffffff`` (``models.sqlite_datetime_text``), and compares it as
text. A row written by another tool (``2026-10-01T08:00:00Z``, or without the
microseconds) compares wrongly: it lands in the wrong window, and a ``next_run_at``
never matches the scheduler's compare-and-set. PostgreSQL stores ``timestamptz`` and
has no such rows. One statement per table finds them; the rewrite is one ``SELECT`` and
one ``executemany`` per table and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

# What sqlite_datetime_text writes, as a GLOB pattern (GLOB is case-sensitive and
# anchored at both ends).
_D = "[0-9]"
CANONICAL_GLOB = f"{_D * 4}-{_D * 2}-{_D * 2} {_D * 2}:{_D * 2}:{_D * 2}.{_D * 6}"


def timestamp_columns() -> Iterator[tuple[str, list[str]]]:
    """(table, [timestamp columns]) for every table of the models."""
    from agentctl.models import Base, UTCDateTime

    for table in Base.metadata.sorted_tables:
        columns = [c.name for c in table.columns if isinstance(c.type, UTCDateTime)]
        if columns:
            yield table.name, columns


def _other_format(column: str) -> str:
    return (
        f'("{column}" IS NOT NULL AND '
        f"(typeof(\"{column}\") != 'text' OR \"{column}\" NOT GLOB '{CANONICAL_GLOB}'))"
    )


@dataclass
class ColumnFinding:
    table: str
    column: str
    rows: int  # rows whose value is in another format
    # rowid -> raw value, filled by ``rows_in_other_formats`` only
    values: dict[int, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def count_other_formats(session: Session) -> list[ColumnFinding]:
    """Per timestamp column, how many rows hold another format (SQLite; else nothing)."""
    if session.connection().dialect.name != "sqlite":
        return []
    findings = []
    for table, columns in timestamp_columns():
        sums = ", ".join(f"coalesce(sum({_other_format(c)}), 0)" for c in columns)
        counts = session.execute(text(f'SELECT {sums} FROM "{table}"')).one()
        findings += [
            ColumnFinding(table, c, int(n)) for c, n in zip(columns, counts, strict=True) if n
        ]
    return findings


def rows_in_other_formats(session: Session) -> list[ColumnFinding]:
    """The rows behind ``count_other_formats``, with their raw values (SQLite)."""
    if session.connection().dialect.name != "sqlite":
        return []
    findings = []
    for table, columns in timestamp_columns():
        quoted = ", ".join(f'"{c}"' for c in columns)
        where = " OR ".join(_other_format(c) for c in columns)
        rows = session.execute(text(f'SELECT rowid, {quoted} FROM "{table}" WHERE {where}'))
        by_column = {c: ColumnFinding(table, c, 0) for c in columns}
        for rowid, *values in rows:
            for column, value in zip(columns, values, strict=True):
                if value is not None and not _canonical_text(value):
                    by_column[column].values[rowid] = value
        for finding in by_column.values():
            finding.rows = len(finding.values)
            if finding.rows:
                findings.append(finding)
    return findings


def _canonical_text(value: Any) -> bool:
    from fnmatch import fnmatchcase

    return isinstance(value, str) and fnmatchcase(value, CANONICAL_GLOB)


def rewrite(session: Session, table: str, column: str, values: dict[int, str]) -> None:
    """Set ``column`` by rowid, in one executemany."""
    session.execute(
        text(f'UPDATE "{table}" SET "{column}" = :value WHERE rowid = :rowid'),
        [{"rowid": rowid, "value": value} for rowid, value in values.items()],
    )
