"""Timestamp normalization: report and repair SQLite rows written in another format.

agentctl writes every timestamp in one canonical text on SQLite (``db check`` proves
it); rows written by other tools are found by ``db check`` and rewritten by ``db
repair-timestamps``. A value that is not a timestamp at all is never guessed at: the
repair refuses, names it, and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agentctl.database import Database
from agentctl.errors import RuntimeFailure
from agentctl.models import sqlite_datetime_text
from agentctl.repository import timestamps as repo

MAX_NAMED = 3


@dataclass(frozen=True)
class ColumnRepair:
    table: str
    column: str
    rows: int

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def canonical(value: Any) -> str | None:
    """The canonical text of an ISO 8601 timestamp (naive = UTC); None if it is not one."""
    if not isinstance(value, str):
        return None  # numbers could be Unix seconds or Julian days: never guess
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return sqlite_datetime_text(moment)


def check(db: Database) -> list[ColumnRepair]:
    """The columns with rows in another format, and how many (empty on PostgreSQL)."""
    with db.session() as session:
        found = repo.count_other_formats(session)
    return [ColumnRepair(f.table, f.column, f.rows) for f in found]


def repair(db: Database, *, dry_run: bool = False) -> list[ColumnRepair]:
    """Rewrite every timestamp in another format to the canonical text, in one
    transaction; a RuntimeFailure naming the values that are not timestamps, if any."""
    repaired: list[ColumnRepair] = []
    with db.session(write=True) as session:
        findings = repo.rows_in_other_formats(session)
        unreadable = [
            f"{f.name} rowid {rowid}: {value!r}"
            for f in findings
            for rowid, value in f.values.items()
            if canonical(value) is None
        ]
        if unreadable:
            more = f" and {len(unreadable) - MAX_NAMED} more" if len(unreadable) > MAX_NAMED else ""
            raise RuntimeFailure(
                f"{len(unreadable)} value(s) are not ISO 8601 timestamps, nothing was "
                f"changed; fix or clear them first: {'; '.join(unreadable[:MAX_NAMED])}{more}"
            )
        for finding in findings:
            values = {rowid: canonical(value) or "" for rowid, value in finding.values.items()}
            if not dry_run:
                repo.rewrite(session, finding.table, finding.column, values)
            repaired.append(ColumnRepair(finding.table, finding.column, len(values)))
    return repaired
