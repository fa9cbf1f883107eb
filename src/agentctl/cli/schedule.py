"""`agentctl schedule`: reports that run on a cron schedule, and the runners that run them.

This module is the command group: it registers every command in help order, and holds
the two one-shot runs, run-now and tick. The commands that manage schedules are in
``schedule_manage``, the daemon (`schedule run`) in ``schedule_daemon``, and the columns
and time formats they share in ``schedule_views``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from agentctl.cli import schedule_daemon, schedule_manage
from agentctl.cli.context import FormatOption, app_context
from agentctl.cli.options import MailFromOption, SMTPUrlOption
from agentctl.cli.schedule_manage import ScheduleArg
from agentctl.cli.schedule_views import DUE_COLUMNS, local_time, print_outcomes
from agentctl.errors import ExitCode, UsageError
from agentctl.rendering import OutputFormat, render
from agentctl.timeutil import parse_datetime, utcnow

schedule_app = typer.Typer(
    help="Send reports on a cron schedule: add and manage schedules, run them.",
    no_args_is_help=True,
)


def _moment(option: str, value: str) -> datetime:
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def run_now(
    ctx: typer.Context,
    schedule: ScheduleArg,
    occurrence: Annotated[
        str | None,
        typer.Option(
            "--occurrence",
            help="Run this past occurrence (ISO 8601), with its window: a backfill.",
            show_default=False,
        ),
    ] = None,
    smtp_url: SMTPUrlOption = None,
    mail_from: MailFromOption = None,
) -> None:
    """Run a schedule's report now, for example to retry a failed run.

    The schedule stays as it is. Exit 1 if the run failed or reached only some recipients.
    """
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    settings = app.settings_with(smtp_url=smtp_url, mail_from=mail_from)
    chosen = _moment("--occurrence", occurrence) if occurrence is not None else None
    service.check_settings()
    outcome = service.run_now(app.db, settings, schedule, app.tenant, occurrence=chosen)
    print_outcomes([outcome])
    if outcome.failed:
        raise typer.Exit(ExitCode.FAILURE)


def tick(
    ctx: typer.Context,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Only list what would run at this time (ISO 8601); change nothing.",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    smtp_url: SMTPUrlOption = None,
    mail_from: MailFromOption = None,
) -> None:
    """Run every due schedule once, then exit (for cron). Exit 1 if any run failed.

    Runs whose runner died (an expired lease) are taken over and run again first.
    """
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    if now is not None:
        rows = service.due_at(app.db, now=_moment("--now", now), tenant=app.tenant)
        if fmt is OutputFormat.table:
            rows = [
                {
                    **row,
                    "occurrence": local_time(row.get("occurrence"), row.get("timezone") or "UTC"),
                    "next_run_at": local_time(row.get("next_run_at"), row.get("timezone") or "UTC"),
                }
                for row in rows
            ]
        render(rows, DUE_COLUMNS, fmt, empty_message=f"Nothing would run at {now}.")
        return
    settings = app.settings_with(smtp_url=smtp_url, mail_from=mail_from)
    service.check_settings()
    outcomes = service.run_due(app.db, settings, now=utcnow(), tenant=app.tenant)
    print_outcomes(outcomes)
    if any(outcome.failed for outcome in outcomes):
        raise typer.Exit(ExitCode.FAILURE)


# The group's commands, in the order `agentctl schedule --help` lists them.
for name, command in (
    ("add", schedule_manage.add),
    ("update", schedule_manage.update),
    ("list", schedule_manage.list_),
    ("show", schedule_manage.show),
    ("pause", schedule_manage.pause),
    ("resume", schedule_manage.resume),
    ("remove", schedule_manage.remove),
    ("history", schedule_manage.history),
    ("run-now", run_now),
    ("tick", tick),
    ("run", schedule_daemon.run),
):
    schedule_app.command(name)(command)


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
