"""The SQL of `report sla-breaches --format csv` on SQLite: its plans and its rows.

Plans: over the whole desk (`--range all`) every statement reads `tickets` by a scan.
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
from datetime import timedelta
from pathlib import Path

from agentctl.database import Database
from agentctl.repository.breaches import breach_rows_query
from agentctl.repository.streams import stream_batches
from agentctl.services.reports.breaches import sla_breaches_report
from agentctl.services.reports.text_formats import write_csv
from agentctl.services.window import resolve_window
from agentctl.timeutil import parse_datetime
from factories import T0, make_agent, make_ticket
from sqlite_plans import ASSIGNEE_INDEX, desk_with_statistics, query_plan, recorded_statements

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


def test_the_whole_desk_is_read_by_scans(sqlite_template: Path, tmp_path: Path) -> None:
    path = desk_with_statistics(sqlite_template, tmp_path, STATS)
    db = Database(f"sqlite:///{path}")
    window = resolve_window("all", as_of=parse_datetime("2026-10-01T08:00:00Z"))
    try:
        with recorded_statements(db) as seen, db.session() as session:
            report = sla_breaches_report(session, window, None, window.as_of)
            write_csv(report, io.StringIO())
            list(report.top_rows(10))  # the PDF's longest overdue  # type: ignore[misc]
            assert report.figures  # the summary, read by the PDF (not by the CSV)
    finally:
        db.dispose()
    reads = [(s, p) for s, p in seen if "FROM tickets" in s]
    assert len(reads) == 3  # the summary, the CSV rows, the PDF's rows
    for statement, params in reads:
        plan = query_plan(path, statement, params)
        assert "SCAN tickets" in plan, (statement, plan)
        assert not [step for step in plan if ASSIGNEE_INDEX in step], (statement, plan)


# --- the CSV rows: ISO text made in SQL, straight from the DB-API cursor -----------------

# Each stored form (SQLite's tickets text) and the cell isoformat gives its instant.
STORED = [
    ("2026-09-29 12:00:00.000000", "2026-09-29T12:00:00+00:00"),  # canonical, no fraction
    ("2026-09-29 12:00:00.000001", "2026-09-29T12:00:00.000001+00:00"),  # canonical
    ("2026-09-29 12:00:00", "2026-09-29T12:00:00+00:00"),  # not canonical: no fraction
    ("2026-09-29T12:00:00.250000", "2026-09-29T12:00:00.250000+00:00"),  # not canonical: T
]


def test_csv_rows_carry_stored_timestamps(sqlite_template: Path, tmp_path: Path) -> None:
    """csv_batches gives SQLite's timestamps as stored, as plain tuples; the file has the
    ISO cells, whatever the stored form."""
    path = tmp_path / "desk.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    try:
        with db.session(write=True) as s:
            ana = make_agent(s, "ana@example.com", name="Ana")
            for i in range(len(STORED)):
                make_ticket(
                    s,
                    ticket_number=f"S-{i}",
                    agent=ana,
                    created_at=T0 - timedelta(days=3, hours=i),
                    sla_due_date=T0 - timedelta(days=2),
                )
        with sqlite3.connect(path) as con:  # the stored forms, written as they are
            for i, (stored, _) in enumerate(STORED):
                con.execute(
                    "UPDATE tickets SET created_at = ? WHERE ticket_number = ?", (stored, f"S-{i}")
                )
        as_of = T0
        with db.session() as session:
            query = breach_rows_query(None, as_of, as_of, None)
            rows = [row for batch in stream_batches(session, query) for row in batch]
            window = resolve_window("all", as_of=as_of)
            out = io.StringIO()
            write_csv(sla_breaches_report(session, window, None, as_of), out)
    finally:
        db.dispose()
    assert all(type(row) is tuple for row in rows)  # the cursor's rows, no Row objects
    created = {row[0]: row[6] for row in rows}
    assert created == {f"S-{i}": stored for i, (stored, _) in enumerate(STORED)}
    assert {row[7] for row in rows} == {"2026-09-29 08:00:00.000000"}  # the due date
    lines = out.getvalue().splitlines()[1:]
    cells = {line.split(",")[0]: line.split(",")[6] for line in lines}
    assert cells == {f"S-{i}": iso for i, (_, iso) in enumerate(STORED)}
