"""`report sla-breaches --range all` on SQLite: every statement reads `tickets` by a scan.

Over the whole desk every ticket is read anyway; walking the (assignee, created_at) index
and then the table in its order costs SQLite about four times a full scan (the rows at
1,000,000 tickets: 3.5 s of CPU against 0.9 s). The plan is SQLite's own, read under
the statistics `agentctl demo --tickets 1000000` leaves (25 agents), as in
tests/test_performance_plans.py.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event

from agentctl.database import Database
from agentctl.services.reports.build import sla_breaches_report
from agentctl.services.reports.text_formats import write_csv
from agentctl.services.window import resolve_window
from agentctl.timeutil import parse_datetime

ASSIGNEE_INDEX = "ix_tickets_assigned_to_user_id_created_at"

# sqlite_stat1 of `agentctl demo --tickets 1000000 --seed 42` (25 agents), read off it.
STATS = [
    ("agents", "uq_agents_tenant_email", "25 25 1"),
    ("agents", "sqlite_autoindex_agents_1", "25 1"),
    ("tickets", "ix_tickets_tenant_id_created_at", "1000000 1000000 1"),
    (
        "tickets",
        "ix_tickets_tenant_id_assigned_to_user_id_status_priority",
        "1000000 1000000 38462 7813 1965",
    ),
    ("tickets", ASSIGNEE_INDEX, "1000000 38462 1"),
    ("tickets", "uq_tickets_tenant_ticket_number", "1000000 1000000 1"),
    ("tickets", "sqlite_autoindex_tickets_1", "1000000 1"),
]


def _desk(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "desk.db"
    shutil.copy(template, path)  # migrated, empty: the plan does not need rows
    with sqlite3.connect(path) as con:
        con.execute("ANALYZE")  # creates sqlite_stat1
        con.execute("DELETE FROM sqlite_stat1")
        con.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", STATS)
    return path


def _plan(path: Path, statement: str, params: Any) -> list[str]:
    with sqlite3.connect(path) as con:
        return [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + statement, params)]


def test_the_whole_desk_is_read_by_scans(sqlite_template: Path, tmp_path: Path) -> None:
    path = _desk(sqlite_template, tmp_path)
    db = Database(f"sqlite:///{path}")
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any):
        seen.append((statement, params))

    window = resolve_window("all", as_of=parse_datetime("2026-10-01T08:00:00Z"))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.session() as session:
            report = sla_breaches_report(session, window, None, window.as_of)
            write_csv(report, io.StringIO())
            list(report.top_rows(10))  # the PDF's longest overdue  # type: ignore[misc]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        db.dispose()
    reads = [(s, p) for s, p in seen if "FROM tickets" in s]
    assert len(reads) == 3  # the summary, the CSV rows, the PDF's rows
    for statement, params in reads:
        plan = _plan(path, statement, params)
        assert "SCAN tickets" in plan, (statement, plan)
        assert not [step for step in plan if ASSIGNEE_INDEX in step], (statement, plan)
