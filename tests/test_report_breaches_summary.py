"""`report sla-breaches`: the summary is computed only for what shows it (issue 15).

A CSV file (or stdout) alone never reads the summary, so its statement (the grouped
breaches and the met count, the one statement with GROUP BY) does not run; JSON,
``--skip-empty`` and mail still carry the same summary. The run history counts the rows
the writer wrote. Statements are counted with SQLAlchemy's ``before_cursor_execute``.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from agentctl.database import Database
from agentctl.repository.runs import run_history
from agentctl.services.reports import run_report
from agentctl.services.window import resolve_window
from factories import T0, make_agent, make_ticket
from sqlite_plans import recorded_statements

H = timedelta(hours=1)
WINDOW = resolve_window("7d", as_of=T0)


@pytest.fixture
def desk(db: Database) -> Database:
    """Two breached tickets (one Ana's, 60 min late; one unassigned, 120 min late) and
    one of Ana's met: compliance 1 met of 2 judged = 50 %."""
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com", name="Ana")
        make_ticket(
            s,
            ticket_number="B-1",
            agent=ana,
            status="resolved",
            created_at=T0 - 5 * H,
            sla_due_date=T0 - 4 * H,
            resolved_at=T0 - 3 * H,
        )
        make_ticket(s, ticket_number="B-2", created_at=T0 - 4 * H, sla_due_date=T0 - 2 * H)
        make_ticket(
            s,
            ticket_number="M-1",
            agent=ana,
            status="resolved",
            created_at=T0 - 3 * H,
            sla_due_date=T0 - H,
            resolved_at=T0 - 2 * H,
        )
    return db


def _grouped(seen: list[tuple[str, object]]) -> list[str]:
    return [sql for sql, _ in seen if "GROUP BY" in sql]


def _run(db: Database, fmt: str, output: str, **kwargs: object):  # type: ignore[no-untyped-def]
    with recorded_statements(db) as seen:
        result = run_report(
            db, report_type="sla-breaches", fmt=fmt, window=WINDOW, tenant=None,
            output=output, **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip
    return result, seen


def _history_rows(db: Database) -> list[int | None]:
    with db.session() as s:
        return [r["rows"] for r in run_history(s, None)]


def test_a_csv_file_runs_no_summary_statement(desk: Database, tmp_path: Path) -> None:
    out = tmp_path / "b.csv"
    result, seen = _run(desk, "csv", str(out))
    assert result.status == "succeeded", result.error
    assert _grouped(seen) == []
    assert [s for s, _ in seen if "FROM tickets" in s and "SELECT" in s] != []
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["B-1", "B-2"]
    assert result.rows == 2
    assert _history_rows(desk) == [2]


def test_csv_to_stdout_runs_no_summary_statement(desk: Database) -> None:
    out = io.StringIO()
    result, seen = _run(desk, "csv", "-", stdout=out)
    assert result.status == "succeeded", result.error
    assert _grouped(seen) == []
    assert out.getvalue().count("\n") == 3  # the header and 2 rows
    assert _history_rows(desk) == [2]


def test_json_still_carries_the_summary(desk: Database, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    result, seen = _run(desk, "json", str(out))
    assert result.status == "succeeded", result.error
    assert len(_grouped(seen)) == 1
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    assert summary["breached_tickets"] == 2
    assert summary["unassigned_breaches"] == 1
    assert summary["avg_minutes_over"] == 90.0  # (60 + 120) / 2
    assert summary["max_minutes_over"] == 120.0
    assert summary["sla_compliance_rate"] == 50.0
    assert [a["breaches"] for a in summary["by_agent"]] == [1, 1]


@pytest.mark.parametrize(("empty", "status"), [(False, "succeeded"), (True, "skipped")])
def test_skip_empty_counts_the_rows_from_the_summary(
    desk: Database, tmp_path: Path, empty: bool, status: str
) -> None:
    window = resolve_window("1d", as_of=T0 - 48 * H) if empty else WINDOW
    with recorded_statements(desk) as seen:
        result = run_report(
            desk,
            report_type="sla-breaches",
            fmt="csv",
            window=window,
            tenant=None,
            output=str(tmp_path / "b.csv"),
            skip_empty=True,
        )
    assert result.status == status, result.error
    assert len(_grouped(seen)) == 1
    assert (tmp_path / "b.csv").exists() is not empty


def test_a_mailed_csv_carries_the_summary(
    desk: Database, tmp_path: Path, smtp_server: object
) -> None:
    """The mail is written after the reader closed: the summary was read before."""
    result, seen = _run(
        desk,
        "csv",
        str(tmp_path / "b.csv"),
        recipients=["lead@example.com"],
        smtp_url=smtp_server.url(),  # type: ignore[attr-defined]
        mail_from="desk@example.org",
    )
    assert result.status == "succeeded", result.error
    assert len(_grouped(seen)) == 1
    (received,) = smtp_server.messages  # type: ignore[attr-defined]
    plain = received.message.get_body(preferencelist=("plain",)).get_content()
    assert "Breached tickets" in plain
    figures = [" ".join(line.split()) for line in plain.splitlines()]
    assert "Breached tickets 2" in figures
    assert "Max over by 2h 0m" in figures
    assert "SLA compliance (agents' tickets) 50%" in figures
    assert result.rows == 2


def test_progress_without_a_total_starts_only_for_a_long_export() -> None:
    """The CSV writer knows no total when no summary was computed: the bar on a terminal
    starts once PROGRESS_MIN_ROWS rows are written, as it did for a known small total."""
    from agentctl.cli.report import PROGRESS_MIN_ROWS, _ProgressBar

    bar = _ProgressBar()
    bar(1000, None)
    bar(PROGRESS_MIN_ROWS - 1, None)
    assert bar._bar is None
    bar(PROGRESS_MIN_ROWS, None)
    try:
        assert bar._bar is not None
    finally:
        bar.stop()


def test_progress_without_a_total_shows_the_rows_written() -> None:
    """Without a total the bar says how many rows are written and for how long (Rich's
    default columns showed a bare pulsing bar), within 80 columns; with one, the share."""
    import io

    from rich.console import Console

    from agentctl.cli.report import _progress

    def shown(total: int | None, done: int) -> str:
        out = io.StringIO()
        console = Console(file=out, width=80, force_terminal=True, color_system=None)
        bar = _progress(total, console)
        task = bar.add_task("writing rows", total=total)
        bar.update(task, completed=done)
        console.print(bar.make_tasks_table(bar.tasks))
        return out.getvalue()

    unknown = shown(None, 148891)
    assert "writing rows" in unknown and "148,891 rows" in unknown and "0:00:00" in unknown
    assert max(len(line) for line in unknown.splitlines()) <= 80
    assert "50%" in shown(200000, 100000)
