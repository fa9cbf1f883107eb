"""Reading SQLite's plan of agentctl's own statements on a desk of a given size.

The planner statistics (``sqlite_stat1``) of a real desk are written into a migrated,
empty copy of the template, so a plan is the one that desk gets, without building it.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event

from agentctl.database import Database
from agentctl.repository.percentile import register_sqlite_percentiles

ASSIGNEE_INDEX = "ix_tickets_assigned_to_user_id_created_at"


def desk_with_statistics(
    template: Path, tmp_path: Path, stats: Sequence[tuple[str, str, str]]
) -> Path:
    """A copy of the migrated, empty ``template`` whose planner statistics are ``stats``."""
    path = tmp_path / "desk.db"
    shutil.copy(template, path)  # the plan does not need rows
    with sqlite3.connect(path) as con:
        con.execute("ANALYZE")  # creates sqlite_stat1
        con.execute("DELETE FROM sqlite_stat1")
        con.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", stats)
    return path


@contextlib.contextmanager
def recorded_statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every (SQL, parameters) ``db`` hands to its driver inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any):
        seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def query_plan(path: Path, statement: str, params: Any) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN steps of ``statement`` on the database at ``path``."""
    with sqlite3.connect(path) as con:
        register_sqlite_percentiles(con)  # performance's statements name them
        return [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + statement, params)]
