"""`agentctl schedule` add/list/show/pause/resume/remove/history, and every validation error."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from agentctl.database import Database
from agentctl.models import ReportRun, ScheduledReport
from agentctl.repository import schedules as repo
from agentctl.services.scheduling.cron import parse_cron
from agentctl.timeutil import utcnow

FIELDS = [
    "id",
    "name",
    "report_type",
    "schedule_cron",
    "timezone",
    "format",
    "recipients",
    "parameters",
    "is_active",
    "last_run_at",
    "next_run_at",
    "skip_empty",
    "new_only",
    "webhooks",
]
HISTORY_FIELDS = [
    "id",
    "schedule_name",
    "report_type",
    "format",
    "status",
    "occurrence",
    "started_at",
    "finished_at",
    "rows",
    "bytes",
    "recipients",
    "output_path",
    "error",
    "claimed_by",
    "takeover_of",
]


def record_failed_run(
    session: Any,
    schedule: ScheduledReport,
    *,
    occurrence_at: datetime,
    started_at: datetime,
    error: str,
) -> None:
    """A finished, failed run of ``schedule``, as the runner records one."""
    session.add(
        ReportRun(
            schedule_id=schedule.id,
            schedule_name=schedule.name,
            tenant_id=schedule.tenant_id,
            report_type=schedule.report_type,
            format=schedule.format,
            status="failed",
            error=error,
            started_at=started_at,
            finished_at=started_at,
            occurrence_at=occurrence_at,
            recipients=list(schedule.recipients),
        )
    )


def add_args(name: str = "weekly-sla", **overrides: Any) -> list[str]:
    options = {
        "--report": "sla-breaches",
        "--cron": "0 9 * * MON",
        "--timezone": "Europe/Berlin",
        "--format": "pdf",
        "--to": "lead@example.com",
    }
    options.update(overrides)
    args = ["schedule", "add", name]
    for key, value in options.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            args += [key, item]
    return args


def count_schedules(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ScheduledReport)) or 0)


def test_add_prints_id_and_next_five_runs_in_the_schedule_zone(cli, db) -> None:
    result = cli(*add_args(**{"--to": ["lead@example.com", "boss@example.com"]}))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    schedule_id = lines[0].split()[-1]
    uuid.UUID(schedule_id)
    next_runs = lines[lines.index("next runs:") + 1 :]
    assert len(next_runs) == 5
    assert all(" 09:00 CE" in line for line in next_runs)  # 09:00 CET or CEST, local
    with db.session() as session:
        stored = session.get(ScheduledReport, uuid.UUID(schedule_id))
        assert stored is not None
        assert stored.recipients == ["lead@example.com", "boss@example.com"]
        assert stored.parameters == {"range": "7d"}
        assert stored.next_run_at is not None
        expected = parse_cron("0 9 * * MON", "Europe/Berlin").next_after(utcnow())
        assert stored.next_run_at == expected


def test_list_json_has_the_design_fields(cli) -> None:
    assert cli(*add_args()).exit_code == 0
    assert cli(*add_args("daily-aging", **{"--report": "aging", "--cron": "@daily"})).exit_code == 0
    result = cli("schedule", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    assert isinstance(rows, list)
    assert [list(row) for row in rows] == [FIELDS, FIELDS]
    assert [row["name"] for row in rows] == ["daily-aging", "weekly-sla"]
    aging = rows[0]
    assert aging["schedule_cron"] == "@daily"
    assert aging["timezone"] == "Europe/Berlin"
    assert aging["parameters"] == {"range": "all"}  # aging looks at all open work
    assert aging["is_active"] is True
    assert aging["last_run_at"] is None
    assert aging["next_run_at"].endswith("+00:00")

    csv_out = cli("schedule", "list", "--format", "csv").stdout.splitlines()
    assert csv_out[0] == ",".join(FIELDS)
    assert len(csv_out) == 3


def test_add_with_range_and_output_dir(cli, tmp_path) -> None:
    args = [*add_args(**{"--range": "30d", "--format": "xlsx"}), "--output-dir", str(tmp_path)]
    assert cli(*args).exit_code == 0
    row = cli("schedule", "show", "weekly-sla", "--format", "json").json()
    assert isinstance(row, dict)
    assert row["format"] == "xlsx"
    assert row["parameters"] == {"range": "30d", "output_dir": str(tmp_path)}
    assert len(row["next_runs"]) == 5
    assert row["next_runs"][0] == row["next_run_at"]


def test_show_by_name_and_by_id(cli) -> None:
    assert cli(*add_args()).exit_code == 0
    by_name = cli("schedule", "show", "weekly-sla", "--format", "json").json()
    assert isinstance(by_name, dict)
    by_id = cli("schedule", "show", by_name["id"], "--format", "json").json()
    assert by_id == by_name
    table = cli("schedule", "show", "weekly-sla")
    assert table.exit_code == 0
    assert "0 9 * * MON (Europe/Berlin)" in table.stdout


def test_next_runs_shown_across_the_october_dst_change(cli, db) -> None:
    """`show` lists the runs in the schedule's zone, with the offset of each date."""
    assert cli(*add_args(**{"--cron": "0 9 * * *"})).exit_code == 0
    with db.session(write=True) as session:
        session.execute(
            update(ScheduledReport).values(next_run_at=datetime(2026, 10, 23, 7, tzinfo=UTC))
        )
    # Overdue schedules list their stored next run first; later ones follow the cron.
    details_now = datetime(2026, 10, 23, 6, tzinfo=UTC)
    from agentctl.services.scheduling import show_schedule

    details = show_schedule(db, "weekly-sla", None, now=details_now)
    assert [t.isoformat() for t in details.next_runs] == [
        "2026-10-23T09:00:00+02:00",
        "2026-10-24T09:00:00+02:00",
        "2026-10-25T09:00:00+01:00",
        "2026-10-26T09:00:00+01:00",
        "2026-10-27T09:00:00+01:00",
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--cron": "0 9 * *"}, "error: invalid cron expression '0 9 * *': expected five fields"),
        ({"--cron": "0 9 * * 8"}, "error: invalid cron expression '0 9 * * 8': day of week '8'"),
        ({"--cron": "99 * * * *"}, "error: invalid cron expression '99 * * * *'"),
        ({"--timezone": "Mars/Olympus"}, "error: unknown time zone 'Mars/Olympus'"),
        ({"--report": "revenue"}, "error: unknown report type 'revenue'; use one of performance"),
        ({"--format": "docx"}, "error: unknown report format 'docx'; use one of csv"),
        ({"--to": "not-an-address"}, "error: invalid email address 'not-an-address'"),
        (
            {"--to": ["lead@example.com", "x@"]},
            "error: invalid email address 'x@'",
        ),
        ({"--range": "forever"}, "error: unknown range 'forever'"),
    ],
)
def test_add_validation_errors_exit_2_and_store_nothing(cli, db, overrides, message) -> None:
    result = cli(*add_args(**overrides))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message), lines[0]
    assert count_schedules(db) == 0


def test_duplicate_name_in_the_tenant_is_refused(cli, db) -> None:
    assert cli(*add_args()).exit_code == 0
    result = cli(*add_args(**{"--report": "aging"}))
    assert result.exit_code == 2
    assert result.stderr == "error: a schedule named 'weekly-sla' already exists\n"
    assert count_schedules(db) == 1
    # The same name in another tenant is another schedule.
    other = cli("--tenant", "acme", *add_args())
    assert other.exit_code == 0, other.stderr
    again = cli("--tenant", "acme", *add_args())
    assert again.exit_code == 2
    assert again.stderr == "error: a schedule named 'weekly-sla' already exists in tenant 'acme'\n"
    assert count_schedules(db) == 2


def test_tenants_see_only_their_schedules(cli) -> None:
    assert cli("--tenant", "acme", *add_args("acme-weekly")).exit_code == 0
    assert cli("--tenant", "globex", *add_args("globex-weekly")).exit_code == 0
    acme = cli("--tenant", "acme", "schedule", "list", "-f", "json").json()
    assert [row["name"] for row in acme] == ["acme-weekly"]  # type: ignore[union-attr,index]
    missing = cli("--tenant", "acme", "schedule", "show", "globex-weekly")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: unknown schedule 'globex-weekly' in tenant 'acme'")


def test_a_name_that_looks_like_an_id_is_refused(cli, db) -> None:
    result = cli(*add_args(str(uuid.uuid4())))
    assert result.exit_code == 2
    assert "looks like an id" in result.stderr
    assert count_schedules(db) == 0


def test_unknown_schedule_exits_2(cli) -> None:
    for verb in ("show", "pause", "resume", "remove", "run-now", "history"):
        result = cli("schedule", verb, "nope")
        assert result.exit_code == 2, verb
        assert result.stderr.startswith("error: unknown schedule 'nope'"), verb


def test_pause_and_resume(cli, db) -> None:
    assert cli(*add_args()).exit_code == 0
    paused = cli("schedule", "pause", "weekly-sla")
    assert paused.exit_code == 0
    assert paused.stdout == "paused schedule weekly-sla\n"
    row = cli("schedule", "show", "weekly-sla", "-f", "json").json()
    assert isinstance(row, dict) and row["is_active"] is False

    # Resuming does not catch up what fell due while paused: next_run_at is in the future.
    with db.session(write=True) as session:
        session.execute(update(ScheduledReport).values(next_run_at=utcnow() - timedelta(days=30)))
    resumed = cli("schedule", "resume", "weekly-sla")
    assert resumed.exit_code == 0
    row = cli("schedule", "show", "weekly-sla", "-f", "json").json()
    assert isinstance(row, dict) and row["is_active"] is True
    assert datetime.fromisoformat(row["next_run_at"]) > utcnow()


def test_remove_keeps_the_run_history_rows(cli, db) -> None:
    assert cli(*add_args()).exit_code == 0
    with db.session() as session:
        schedule = repo.resolve_schedule(session, "weekly-sla", None)
    with db.session(write=True) as session:
        record_failed_run(
            session, schedule, occurrence_at=utcnow(), started_at=utcnow(), error="boom"
        )
    removed = cli("schedule", "remove", "weekly-sla")
    assert removed.exit_code == 0
    assert removed.stdout == "removed schedule weekly-sla\n"
    assert count_schedules(db) == 0
    assert cli("schedule", "show", "weekly-sla").exit_code == 2
    with db.session() as session:
        run = session.scalars(select(ReportRun)).one()
        assert run.schedule_id is None and run.error == "boom"
    # Still listed under the removed schedule's name, by both history commands.
    for command in (["schedule", "history"], ["report", "history"]):
        rows = cli(*command, "-f", "json").json()
        assert [(r["schedule_name"], r["error"]) for r in rows] == [("weekly-sla", "boom")]  # type: ignore[index,union-attr]
    by_name = cli("schedule", "history", "weekly-sla", "-f", "json").json()
    assert [r["error"] for r in by_name] == ["boom"]  # type: ignore[index,union-attr]
    by_option = cli("report", "history", "--schedule", "weekly-sla", "-f", "json").json()
    assert [r["id"] for r in by_option] == [r["id"] for r in by_name]  # type: ignore[index,union-attr]


def test_history_fields_and_filter(cli, db) -> None:
    assert cli(*add_args("one")).exit_code == 0
    assert cli(*add_args("two")).exit_code == 0
    with db.session() as session:
        one = repo.resolve_schedule(session, "one", None)
        two = repo.resolve_schedule(session, "two", None)
    base = datetime(2026, 3, 2, 8, tzinfo=UTC)
    with db.session(write=True) as session:
        for i, schedule in enumerate([one, two, one]):
            moment = base + timedelta(days=7 * i)
            record_failed_run(
                session, schedule, occurrence_at=moment, started_at=moment, error=f"e{i}"
            )
    everything = cli("schedule", "history", "-f", "json").json()
    assert isinstance(everything, list)
    assert [list(row) for row in everything] == [HISTORY_FIELDS] * 3
    assert [row["error"] for row in everything] == ["e2", "e1", "e0"]  # newest first
    only_one = cli("schedule", "history", "one", "-f", "json").json()
    assert [row["schedule_name"] for row in only_one] == ["one", "one"]  # type: ignore[union-attr,index]
    limited = cli("schedule", "history", "--limit", "1", "-f", "json").json()
    assert len(limited) == 1  # type: ignore[arg-type]
    table = cli("schedule", "history")
    assert table.exit_code == 0 and "failed" in table.stdout and "e2" in table.stdout
    assert cli("schedule", "history", "-f", "csv").stdout.splitlines()[0] == ",".join(
        HISTORY_FIELDS
    )


def test_claim_is_a_compare_and_set(db, cli) -> None:
    """Of two claims of the same occurrence, only the first succeeds."""
    assert cli(*add_args()).exit_code == 0
    with db.session() as session:
        schedule = repo.resolve_schedule(session, "weekly-sla", None)
    seen = schedule.next_run_at
    assert seen is not None
    later = seen + timedelta(days=7)
    results = []
    lease = utcnow() + timedelta(minutes=5)
    for _ in range(2):
        with db.session(write=True) as session:
            results.append(
                repo.claim_occurrence(
                    session,
                    schedule,
                    seen_next_run_at=seen,
                    next_run_at=later,
                    occurrence_at=seen,
                    claimed_by="host:1",
                    lease_expires_at=lease,
                )
            )
    assert results[0] is not None and results[1] is None
    with db.session() as session:
        stored = session.get(ScheduledReport, schedule.id)
        assert stored is not None
        assert stored.next_run_at == later and stored.last_run_at == seen
        # The claim and its run row, with the lease, are one transaction.
        run = session.get(ReportRun, results[0])
        assert run is not None
        assert (run.status, run.claimed_by, run.occurrence_at) == ("running", "host:1", seen)
        assert run.lease_expires_at == lease and run.schedule_name == "weekly-sla"
    # A paused schedule cannot be claimed.
    assert cli("schedule", "pause", "weekly-sla").exit_code == 0
    with db.session(write=True) as session:
        assert (
            repo.claim_occurrence(
                session,
                schedule,
                seen_next_run_at=later,
                next_run_at=later,
                occurrence_at=later,
                claimed_by="host:1",
                lease_expires_at=lease,
            )
            is None
        )


def test_schedule_help_does_not_load_apscheduler() -> None:
    code = (
        "import sys\n"
        "from agentctl.cli import run\n"
        "run(['schedule', '--help'])\n"
        "run(['schedule', 'add', '--help'])\n"
        "print('apscheduler' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "False"
