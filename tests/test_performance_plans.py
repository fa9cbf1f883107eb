"""Query plans of the performance statements that read every ticket of a window.

No index serves ``resolved_at``: walking the (assignee, created_at) index and then the
table in its order costs SQLite several times a full scan (1.8 s against 0.4 s at
1,000,000 tickets). These tests read SQLite's own plan, so a statement that goes back to
the index fails here. PostgreSQL plans by its statistics: its tests build a small desk,
analyze it and read the plan of a short window, which must go through the indexes, and
of the whole desk, which must not.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentctl.database import Database
from agentctl.services import performance as perf
from agentctl.services.window import resolve_window
from sqlite_plans import ASSIGNEE_INDEX, desk_with_statistics, query_plan, recorded_statements

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


def _statements(db: Database, call: Any) -> list[tuple[str, Any]]:
    with recorded_statements(db) as seen, db.connect() as connection:
        call(connection)
    return seen


def _trend_statement_plan(template: Path, tmp_path: Path, marker: str) -> list[str]:
    """The plan of the one statement of the trend over 30 days that contains ``marker``,
    on a 500-agent, 1,000,000-ticket desk's statistics."""
    path = desk_with_statistics(template, tmp_path, STATS)
    db = Database(f"sqlite:///{path}")
    try:
        window = resolve_window("30d")
        seen = _statements(db, lambda c: perf.bucket_metrics(c, window, None, "day"))
    finally:
        db.dispose()
    chosen = [(s, p) for s, p in seen if marker in s]
    assert len(chosen) == 1, [s for s, _ in seen]
    return query_plan(path, *chosen[0])


def test_trend_counts_resolved_tickets_by_a_scan(sqlite_template: Path, tmp_path: Path) -> None:
    plan = _trend_statement_plan(sqlite_template, tmp_path, "GROUP BY date(tickets.resolved_at)")
    assert any(step.startswith("SCAN tickets") for step in plan), plan
    assert not any(ASSIGNEE_INDEX in step for step in plan), plan


def test_trend_reads_its_cohort_by_a_scan(sqlite_template: Path, tmp_path: Path) -> None:
    """The trend's per-day aggregate over a window without --tenant: a scan of tickets,
    not a walk of the assignee index and of the table in its order (a 30-day window is a
    third of a 1,000,000-ticket desk; the rows are grouped by day in a temporary B-tree
    either way)."""
    plan = _trend_statement_plan(sqlite_template, tmp_path, "date(tickets.created_at)")
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


# Invites PostgreSQL's planner to index scans (as a desk cached in memory may be tuned).
_INVITE = "SET LOCAL random_page_cost = 0.01"


@contextlib.contextmanager
def _pg_performance(
    db_url: str, cli: Any, range_: str
) -> Iterator[tuple[Database, list[tuple[str, Any]]]]:
    """A small analyzed PostgreSQL desk, and the statements `performance --range RANGE`
    sends on it; skipped on SQLite (its plans are pinned above)."""
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
        window = resolve_window(range_, as_of=as_of)
        yield db, _statements(db, lambda c: perf.performance(c, window, None))
    finally:
        db.dispose()


def _pg_plan(db: Database, seen: list[tuple[str, Any]], *before: str) -> dict[str, Any]:
    """PostgreSQL's plan of the longest statement ``seen``, in a transaction that first
    runs ``before`` and every ``SET`` agentctl sent before that statement."""
    statement, params = max(seen, key=lambda s: len(s[0]))
    settings = [s for s, _ in seen[: seen.index((statement, params))] if s.startswith("SET ")]
    with db.engine.connect() as conn:
        cursor = conn.connection.cursor()
        for setting in (*before, *settings):
            cursor.execute(setting)
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, params)
        plan: dict[str, Any] = cursor.fetchone()[0][0]["Plan"]
        conn.rollback()
    return plan


def test_postgresql_reads_a_short_window_through_its_indexes(db_url: str, cli: Any) -> None:
    """On PostgreSQL, `performance --range 7d` reads only the window's tickets, and each
    once: the cohort through ix_tickets_created_at_covering (migration 0004), grouped both
    per assignee and for the desk (``GROUP BY ROLLUP``: it used to be read a second time
    for the desk row), and resolved_in_window through ix_tickets_resolved_at_covering
    (0005; the desk's is added up from the agents'). Two reads of tickets, neither a
    sequential scan of the whole table (at 10,000,000 tickets each one was 1.5 s)."""
    with _pg_performance(db_url, cli, "7d") as (db, seen):
        plan = _pg_plan(db, seen)
    reads = [n for n in _plan_nodes(plan) if n.get("Relation Name") == "tickets"]
    assert [n["Node Type"] for n in reads].count("Seq Scan") == 0, reads
    assert sorted(n["Index Name"] for n in reads) == [
        "ix_tickets_created_at_covering",
        "ix_tickets_resolved_at_covering",
    ]


def test_postgresql_scans_the_whole_desk(db_url: str, cli: Any) -> None:
    """`performance --range all` reads every ticket: PostgreSQL must scan them, not walk
    the (assignee, created_at) index and fetch the table a row at a time in its order
    (at 10,000,000 tickets 56 s against 22 s). The planner is invited to the index here
    (``_INVITE``), and agentctl's own statements must still keep it from the index."""
    with _pg_performance(db_url, cli, "all") as (db, seen):
        invited = _pg_plan(db, [s for s in seen if not s[0].startswith("SET ")], _INVITE)
        plan = _pg_plan(db, seen, _INVITE)

    def index_scans(node: dict[str, Any]) -> list[str]:
        return [
            n["Index Name"]
            for n in _plan_nodes(node)
            if n.get("Relation Name") == "tickets" and n["Node Type"] == "Index Scan"
        ]

    assert ASSIGNEE_INDEX in index_scans(invited), invited  # the test can fail
    assert index_scans(plan) == [], plan
