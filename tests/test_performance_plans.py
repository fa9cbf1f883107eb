"""Query plans of the performance statements that read every ticket of a window.

No index serves ``resolved_at``: walking the (assignee, created_at) index and then the
table in its order costs SQLite several times a full scan (1.8 s against 0.4 s at
1,000,000 tickets). These tests read SQLite's own plan, so a statement that goes back to
the index fails here. PostgreSQL plans by its statistics: its test builds a small desk,
analyzes it and reads the plan of a short window, which must go through the indexes.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from agentctl.database import Database
from agentctl.repository.percentile import register_sqlite_percentiles
from agentctl.services import performance as perf
from agentctl.services.window import resolve_window

ASSIGNEE_INDEX = "ix_tickets_assigned_to_user_id_created_at"

# The planner statistics `agentctl demo --agents 500 --tickets 1000000` leaves (it runs
# ANALYZE), read off such a desk: the plan is the one a real desk of that size gets,
# without building it.
STATS = [
    ("agents", "uq_agents_tenant_email", "500 500 1"),
    ("agents", "sqlite_autoindex_agents_1", "500 1"),
    ("tickets", "ix_tickets_tenant_id_created_at", "1000000 1000000 1"),
    (
        "tickets",
        "ix_tickets_tenant_id_assigned_to_user_id_status_priority",
        "1000000 1000000 1997 400 122",
    ),
    ("tickets", ASSIGNEE_INDEX, "1000000 1997 1"),
    ("tickets", "uq_tickets_tenant_ticket_number", "1000000 1000000 1"),
    ("tickets", "sqlite_autoindex_tickets_1", "1000000 1"),
]


def _desk_statistics(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("ANALYZE")  # creates sqlite_stat1
        con.execute("DELETE FROM sqlite_stat1")
        con.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", STATS)


def _statements(db: Database, call: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any):
        seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.connect() as connection:
            call(connection)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _plan(path: Path, statement: str, params: Any) -> list[str]:
    with sqlite3.connect(path) as con:
        register_sqlite_percentiles(con)  # the statement names them
        return [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + statement, params)]


def test_trend_counts_resolved_tickets_by_a_scan(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    shutil.copy(sqlite_template, path)  # migrated, empty: the plan does not need rows
    _desk_statistics(path)
    db = Database(f"sqlite:///{path}")
    try:
        window = resolve_window("30d")
        seen = _statements(db, lambda c: perf.bucket_metrics(c, window, None, "day"))
    finally:
        db.dispose()
    resolved = [(s, p) for s, p in seen if "GROUP BY date(tickets.resolved_at)" in s]
    assert len(resolved) == 1, [s for s, _ in seen]
    plan = _plan(path, *resolved[0])
    assert any(step.startswith("SCAN tickets") for step in plan), plan
    assert not any(ASSIGNEE_INDEX in step for step in plan), plan


def test_trend_reads_its_cohort_by_a_scan(sqlite_template: Path, tmp_path: Path) -> None:
    """The trend's per-day aggregate over a window without --tenant: a scan of tickets,
    not a walk of the assignee index and of the table in its order (a 30-day window is a
    third of a 1,000,000-ticket desk; the rows are grouped by day in a temporary B-tree
    either way)."""
    path = tmp_path / "desk.db"
    shutil.copy(sqlite_template, path)
    _desk_statistics(path)
    db = Database(f"sqlite:///{path}")
    try:
        window = resolve_window("30d")
        seen = _statements(db, lambda c: perf.bucket_metrics(c, window, None, "day"))
    finally:
        db.dispose()
    cohort = [(s, p) for s, p in seen if "date(tickets.created_at)" in s]
    assert len(cohort) == 1, [s for s, _ in seen]
    plan = _plan(path, *cohort[0])
    assert any(step.startswith("SCAN tickets") for step in plan), plan
    assert not any("INDEX ix_tickets" in step for step in plan), plan


def test_each_duration_is_one_percentile_aggregate(sqlite_template: Path, tmp_path: Path) -> None:
    """A duration's median and p90 come from one aggregate (one Python call a row on
    SQLite, one sort), not from one aggregate per fraction: in performance's statement
    (per agent and desk) and in the trend's."""
    path = tmp_path / "desk.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    try:
        window = resolve_window("30d")
        seen = _statements(db, lambda c: perf.performance(c, window, None))
        seen += _statements(db, lambda c: perf.bucket_metrics(c, window, None, "day"))
    finally:
        db.dispose()
    text = "\n".join(s for s, _ in seen)
    assert "percentile_cont_50(" not in text and "percentile_cont_90(" not in text
    # resolution and first response, in the agents', the desk's and the trend's branches
    assert text.count("percentile_cont_50_90(") == 6, text


def _plan_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += _plan_nodes(child)
    return found


def test_postgresql_reads_a_short_window_through_its_indexes(db_url: str, cli: Any) -> None:
    """On PostgreSQL, `performance --range 7d` reads only the window's tickets: the cohort
    through ix_tickets_created_at_covering (migration 0004), resolved_in_window through
    ix_tickets_resolved_at_covering (0005), and the desk's resolved count is added up from
    the agents' (it used to be a third, whole-table count). Three reads of tickets, none a
    sequential scan of the whole table (at 10,000,000 tickets each one was 1.5 s)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's plan; SQLite's are pinned above")
    as_of = "2026-10-01T08:00:00Z"
    r = cli("demo", "--agents", "20", "--tickets", "20000", "--seed", "3", "--now", as_of)
    assert r.exit_code == 0, r.stderr
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE tickets"
            )
        window = resolve_window("7d", as_of=as_of)
        seen = _statements(db, lambda c: perf.performance(c, window, None))
        statement, params = max(seen, key=lambda s: len(s[0]))
        with db.engine.connect() as conn:
            cursor = conn.connection.cursor()
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, params)
            plan = cursor.fetchone()[0][0]["Plan"]
    finally:
        db.dispose()
    reads = [n for n in _plan_nodes(plan) if n.get("Relation Name") == "tickets"]
    assert [n["Node Type"] for n in reads].count("Seq Scan") == 0, reads
    assert sorted(n["Index Name"] for n in reads) == [
        "ix_tickets_created_at_covering",
        "ix_tickets_created_at_covering",
        "ix_tickets_resolved_at_covering",
    ]
