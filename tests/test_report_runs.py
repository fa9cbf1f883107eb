"""Every run ends: succeeded, failed, partial or skipped, whatever is raised (issue 14.4).

And settings a run needs are checked before any work starts: a bad one is exit 2 with
nothing written, neither the report file nor a run row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from agentctl.database import Database
from agentctl.models import ReportRun, ScheduledReport
from agentctl.services.reports import run_report
from agentctl.services.window import resolve_window
from factories import make_ticket

T1 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def all_runs(db: Database) -> list[ReportRun]:
    with db.session() as session:
        return list(session.scalars(select(ReportRun)))


def test_a_bad_smtp_setting_is_exit_2_before_any_work(
    cli, db, smtp_server, monkeypatch, tmp_path
) -> None:
    """It used to write the file, leave the run `running` for ever, and exit 2."""
    monkeypatch.setenv("AGENTCTL_SMTP_URL", smtp_server.url())
    monkeypatch.setenv("AGENTCTL_SMTP_ATTEMPTS", "three")
    out = tmp_path / "r.csv"
    result = cli("report", "workload", "-f", "csv", "-o", str(out), "--email", "a@b.example")
    assert not out.exists() and all_runs(db) == [] and smtp_server.messages == []
    assert result.exit_code == 2
    assert result.stderr == (
        "error: AGENTCTL_SMTP_ATTEMPTS must be a whole number >= 1, not 'three'\n"
    )


def test_a_bad_setting_stops_tick_before_it_claims_anything(
    cli, db, smtp_server, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("AGENTCTL_SMTP_URL", smtp_server.url())
    assert cli(
        "schedule", "add", "w", "--report", "workload", "--cron", "@hourly", "--format", "csv",
        "--to", "a@b.example", "--output-dir", str(tmp_path),
    ).exit_code == 0  # fmt: skip
    with db.session(write=True) as session:
        session.execute(update(ScheduledReport).values(next_run_at=T1))
    for name, value, message in [
        ("AGENTCTL_SMTP_BACKOFF", "-1", "AGENTCTL_SMTP_BACKOFF must be a number >= 0"),
        ("AGENTCTL_SCHEDULE_LEASE", "soon", "AGENTCTL_SCHEDULE_LEASE must be a number"),
    ]:
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            result = cli("schedule", "tick")
        assert result.exit_code == 2
        assert result.stderr.startswith(f"error: {message}")
    with db.session() as session:
        assert session.scalars(select(ScheduledReport.next_run_at)).one() == T1
    assert all_runs(db) == [] and list(tmp_path.glob("*.csv")) == []


@pytest.mark.parametrize(
    ("raised", "error"),
    [(KeyboardInterrupt, "interrupted"), (RuntimeError, "RuntimeError: boom")],
)
def test_a_run_interrupted_mid_write_ends_failed(db, tmp_path, raised, error) -> None:
    with db.session(write=True) as session:
        make_ticket(session, ticket_number="T-1", created_at=T1 - timedelta(days=1))

    def progress(done: int, total: int | None) -> None:
        raise raised("boom")

    with pytest.raises(raised):
        run_report(
            db,
            report_type="aging",
            fmt="csv",
            window=resolve_window(range_="all", as_of=T1),
            tenant=None,
            output=str(tmp_path / "aging.csv"),
            progress=progress,
        )
    [run] = all_runs(db)
    assert (run.status, run.error, run.output_path) == ("failed", error, None)
    assert run.finished_at is not None
    assert not (tmp_path / "aging.csv").exists()
    assert not [p for p in Path(tmp_path).iterdir() if p.name.startswith("aging")]
