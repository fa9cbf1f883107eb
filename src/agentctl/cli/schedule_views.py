"""How `agentctl schedule` shows schedules and their runs: the columns of each listing,
run times in a schedule's own zone, the details block of add, update and show, and the
log lines of run-now and tick.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import typer

from agentctl.rendering import Column
from agentctl.timeutil import isoformat

if TYPE_CHECKING:
    from agentctl.services.scheduling import RunOutcome, ScheduleDetails

SCHEDULE_COLUMNS = [
    Column("id", in_table=False),
    Column("name"),
    Column("report_type", "report"),
    Column("schedule_cron", "cron"),
    Column("timezone"),
    Column("format"),
    Column("recipients"),
    Column("parameters", in_table=False),
    Column("is_active", "active", in_table=False),  # the table says "paused" as next run
    Column("last_run_at", "last run"),
    Column("next_run_at", "next run"),
    Column("skip_empty", in_table=False),
    Column("new_only", in_table=False),
    Column("webhooks", in_table=False),
]

HISTORY_COLUMNS = [
    Column("id", in_table=False),
    Column("schedule_name", "schedule"),
    Column("report_type", "report"),
    Column("format"),
    Column("status"),
    Column("occurrence", in_table=False),
    Column("started_at", "when"),
    Column("finished_at", in_table=False),
    Column("rows", justify="right"),
    Column("bytes", justify="right"),
    Column("recipients"),
    Column("output_path", in_table=False),
    Column("error"),
]
# `schedule history` also says who ran each run and which dead run it took over.
SCHEDULE_HISTORY_COLUMNS = [
    *HISTORY_COLUMNS,
    Column("claimed_by", in_table=False),
    Column("takeover_of", in_table=False),
]

DUE_COLUMNS = [
    Column("schedule_name", "schedule"),
    Column("report_type", "report"),
    Column("timezone", in_table=False),
    Column("occurrence"),
    Column("next_run_at", "then next"),
    Column("recipients"),
    Column("error"),
]


def zone_time(value: datetime) -> str:
    """A run time in its schedule's zone, with the offset (``2026-03-30 09:00 CEST +02:00``)."""
    offset = value.strftime("%z")
    return f"{value:%Y-%m-%d %H:%M} {value.tzname()} {offset[:3]}:{offset[3:]}"


def local_time(value: datetime | None, zone: str) -> str | None:
    """``value`` as :func:`zone_time` shows it in ``zone``; None stays None."""
    return zone_time(value.astimezone(ZoneInfo(zone))) if value is not None else None


def print_details(details: ScheduleDetails) -> None:
    """One schedule as labelled lines, then its next run times."""
    row = details.row
    recipients = ", ".join(row["recipients"])
    parameters = ", ".join(f"{k}={v}" for k, v in sorted(row["parameters"].items()))
    lines = [
        ("id", str(row["id"])),
        ("name", row["name"]),
        ("report", f"{row['report_type']} as {row['format']}"),
        ("cron", f"{row['schedule_cron']} ({row['timezone']})"),
        ("recipients", recipients),
        ("parameters", parameters or "-"),
        ("webhooks", ", ".join(row["webhooks"]) or "-"),
        ("options", ", ".join(_flags(row)) or "-"),
        ("active", "yes" if row["is_active"] else "no (paused)"),
        ("last run", local_time(row["last_run_at"], row["timezone"]) or "-"),
    ]
    for label, value in lines:
        typer.echo(f"{label + ':':<12}{value}")
    heading = "next runs:" if row["is_active"] else "next runs (once resumed):"
    typer.echo(heading)
    for moment in details.next_runs:
        typer.echo(f"  {zone_time(moment)}")


def _flags(row: dict[str, Any]) -> list[str]:
    return [
        flag
        for flag, on in (("skip-empty", row["skip_empty"]), ("new-only", row["new_only"]))
        if on
    ]


def with_takeover(row: dict[str, Any]) -> dict[str, Any]:
    """A history row whose error also names the dead run it took over."""
    if row["takeover_of"] is None:
        return row
    note = f"took over run {str(row['takeover_of'])[:8]}"
    return {**row, "error": f"{note}; {row['error']}" if row["error"] else note}


def print_outcomes(outcomes: list[RunOutcome]) -> None:
    """One log line per run, stamped with when it finished."""
    for outcome in outcomes:
        typer.echo(f"{isoformat(outcome.finished_at)} {outcome.log_line()}")
