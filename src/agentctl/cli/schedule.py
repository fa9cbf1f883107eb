"""`agentctl schedule`: reports that run on a cron schedule, and the runners that run them."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from agentctl.cli.context import FormatOption, app_context
from agentctl.cli.options import MailFromOption, SMTPUrlOption
from agentctl.errors import ExitCode, UsageError
from agentctl.rendering import Column, OutputFormat, plain, render
from agentctl.timeutil import isoformat, parse_datetime, utcnow

if TYPE_CHECKING:
    from agentctl.services.scheduling import RunOutcome, ScheduleDetails

# Mirrors services.scheduling.daemon.DEFAULT_RELOAD_INTERVAL_S (not imported: it loads
# SQLAlchemy, and `--help` must not).
RELOAD_INTERVAL_S = 30.0
log = logging.getLogger("agentctl.schedule")

schedule_app = typer.Typer(
    help="Send reports on a cron schedule: add and manage schedules, run them.",
    no_args_is_help=True,
)

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

ScheduleArg = Annotated[str, typer.Argument(help="The schedule, by name or id.")]


def _when(value: datetime) -> str:
    """A run time in its schedule's zone, with the offset (``2026-03-30 09:00 CEST +02:00``)."""
    offset = value.strftime("%z")
    return f"{value:%Y-%m-%d %H:%M} {value.tzname()} {offset[:3]}:{offset[3:]}"


def _local(value: datetime | None, zone: str) -> str | None:
    return _when(value.astimezone(ZoneInfo(zone))) if value is not None else None


def _print_details(details: ScheduleDetails) -> None:
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
        ("last run", _local(row["last_run_at"], row["timezone"]) or "-"),
    ]
    for label, value in lines:
        typer.echo(f"{label + ':':<12}{value}")
    heading = "next runs:" if row["is_active"] else "next runs (once resumed):"
    typer.echo(heading)
    for moment in details.next_runs:
        typer.echo(f"  {_when(moment)}")


def _flags(row: dict[str, Any]) -> list[str]:
    return [
        flag
        for flag, on in (("skip-empty", row["skip_empty"]), ("new-only", row["new_only"]))
        if on
    ]


SkipEmptyOption = Annotated[
    bool | None,
    typer.Option(
        "--skip-empty/--no-skip-empty",
        help="Send nothing when the report has no detail rows (the run is recorded skipped).",
        show_default=False,
    ),
]
NewOnlyOption = Annotated[
    bool | None,
    typer.Option(
        "--new-only/--no-new-only",
        help="Leave out rows this schedule already delivered (sla-breaches, sla-at-risk).",
        show_default=False,
    ),
]
WithinOption = Annotated[
    str | None,
    typer.Option(
        "--within",
        help="sla-at-risk: tickets due within this horizon (30m, 2h, 1h30m).",
        show_default=False,
    ),
]
WebhookOption = Annotated[
    list[str] | None,
    typer.Option(
        "--webhook",
        help="Also post the summary to this Slack/Teams incoming webhook (repeatable).",
        show_default=False,
    ),
]


@schedule_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for the schedule, unique in the tenant.")],
    report: Annotated[
        str,
        typer.Option("--report", help="Report type: performance, sla-breaches, aging, workload."),
    ],
    cron: Annotated[
        str,
        typer.Option("--cron", help='Five-field cron expression ("0 9 * * MON") or @daily etc.'),
    ],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Report format: csv, xlsx, pdf, json.")
    ],
    to: Annotated[
        list[str] | None, typer.Option("--to", help="Recipient address (repeat for several).")
    ] = None,
    timezone: Annotated[
        str, typer.Option("--timezone", "--tz", help="IANA time zone the cron runs in.")
    ] = "UTC",
    range_: Annotated[
        str | None,
        typer.Option("--range", "-r", help="Report window before each run: 7d, 30d, today, all…"),
    ] = None,
    output_dir: Annotated[
        str | None,
        typer.Option("--output-dir", help="Where report files go (default: the user data dir)."),
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Email subject.")] = None,
    skip_empty: SkipEmptyOption = None,
    new_only: NewOnlyOption = None,
    webhook: WebhookOption = None,
    within: WithinOption = None,
) -> None:
    """Add a schedule; print its id and next run times."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    details = service.add_schedule(
        app.db,
        tenant=app.tenant,
        name=name,
        report_type=report,
        cron=cron,
        timezone=timezone,
        fmt=fmt,
        recipients=to or [],
        range_=range_,
        output_dir=output_dir,
        subject=subject,
        skip_empty=bool(skip_empty),
        new_only=bool(new_only),
        webhooks=webhook or [],
        within=within,
    )
    _print_details(details)
    if not app.settings_with().smtp_url:
        typer.echo(
            "note: no SMTP server is configured here (AGENTCTL_SMTP_URL); "
            "runs fail until the scheduler has one",
            err=True,
        )


@schedule_app.command("update")
def update(
    ctx: typer.Context,
    schedule: Annotated[str, typer.Argument(help="The schedule, by name or id.")],
    report: Annotated[str | None, typer.Option("--report", help="Report type.")] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="Cron expression.")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="Report format: csv, xlsx, pdf, json.")
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="Recipient address (repeatable); replaces the recipients."),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", "--tz", help="IANA time zone the cron runs in.")
    ] = None,
    range_: Annotated[
        str | None, typer.Option("--range", "-r", help="Report window before each run.")
    ] = None,
    output_dir: Annotated[
        str | None, typer.Option("--output-dir", help="Where report files go.")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Email subject.")] = None,
    skip_empty: SkipEmptyOption = None,
    new_only: NewOnlyOption = None,
    webhook: Annotated[
        list[str] | None,
        typer.Option("--webhook", help="Webhook URL (repeatable); replaces the webhooks."),
    ] = None,
    no_webhooks: Annotated[
        bool, typer.Option("--no-webhooks", help="Remove every webhook.")
    ] = False,
    within: WithinOption = None,
) -> None:
    """Change any option of a schedule; its id and run history stay.

    A new --cron or --timezone recomputes the next run from now.
    """
    from agentctl.services import scheduling as service

    if webhook and no_webhooks:
        raise UsageError("--webhook and --no-webhooks contradict each other")
    app = app_context(ctx)
    changes = service.ScheduleChanges(
        report_type=report,
        cron=cron,
        timezone=timezone,
        fmt=fmt,
        recipients=to,
        range_=range_,
        output_dir=output_dir,
        subject=subject,
        skip_empty=skip_empty,
        new_only=new_only,
        webhooks=[] if no_webhooks else webhook,
        within=within,
    )
    details = service.update_schedule(app.db, schedule, app.tenant, changes)
    _print_details(details)


@schedule_app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """List schedules, active and paused; tables show times in each schedule's zone."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    rows = service.list_schedules(app.db, app.tenant)
    if fmt is OutputFormat.table:
        rows = [
            {
                **row,
                "last_run_at": _local(row["last_run_at"], row["timezone"]),
                "next_run_at": _local(row["next_run_at"], row["timezone"])
                if row["is_active"]
                else "paused",
            }
            for row in rows
        ]
    render(
        rows, SCHEDULE_COLUMNS, fmt, empty_message="No schedules. Add one: agentctl schedule add"
    )


@schedule_app.command("show")
def show(ctx: typer.Context, schedule: ScheduleArg, fmt: FormatOption = OutputFormat.table) -> None:
    """Show a schedule and its next five run times (in its time zone)."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    details = service.show_schedule(app.db, schedule, app.tenant)
    if fmt is OutputFormat.table:
        _print_details(details)
        return
    row = {**details.row, "next_runs": [isoformat(t) for t in details.next_runs]}
    if fmt is OutputFormat.json:
        payload = {key: plain(value) for key, value in row.items()}
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        render([row], [*SCHEDULE_COLUMNS, Column("next_runs")], fmt)


@schedule_app.command("pause")
def pause(ctx: typer.Context, schedule: ScheduleArg) -> None:
    """Stop running a schedule until it is resumed."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    row = service.pause_schedule(app.db, schedule, app.tenant)
    typer.echo(f"paused schedule {row['name']}")


@schedule_app.command("resume")
def resume(ctx: typer.Context, schedule: ScheduleArg) -> None:
    """Run a paused schedule again, from its next occurrence on."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    row = service.resume_schedule(app.db, schedule, app.tenant)
    typer.echo(f"resumed schedule {row['name']}; next run {isoformat(row['next_run_at'])}")


@schedule_app.command("remove")
def remove(ctx: typer.Context, schedule: ScheduleArg) -> None:
    """Delete a schedule (its run history stays, under its name)."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    row = service.remove_schedule(app.db, schedule, app.tenant)
    typer.echo(f"removed schedule {row['name']}")


@schedule_app.command("history")
def history(
    ctx: typer.Context,
    schedule: Annotated[
        str | None,
        typer.Argument(
            help="Only this schedule (name or id; a removed one by name).", show_default=False
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many runs.", min=1)] = 20,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The latest scheduled runs: when, status, rows, recipients, error, lease takeovers."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    rows = service.history(app.db, schedule, app.tenant, limit=limit)
    if fmt is OutputFormat.table:
        rows = [_with_takeover(row) for row in rows]
    render(rows, SCHEDULE_HISTORY_COLUMNS, fmt, empty_message="No runs yet.")


def _with_takeover(row: dict[str, Any]) -> dict[str, Any]:
    if row["takeover_of"] is None:
        return row
    note = f"took over run {str(row['takeover_of'])[:8]}"
    return {**row, "error": f"{note}; {row['error']}" if row["error"] else note}


def _print_outcomes(outcomes: list[RunOutcome]) -> None:
    for outcome in outcomes:
        typer.echo(f"{isoformat(outcome.finished_at)} {outcome.log_line()}")


def _moment(option: str, value: str) -> datetime:
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


@schedule_app.command("run-now")
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
    _print_outcomes([outcome])
    if outcome.failed:
        raise typer.Exit(ExitCode.FAILURE)


@schedule_app.command("tick")
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
                    "occurrence": _local(row.get("occurrence"), row.get("timezone") or "UTC"),
                    "next_run_at": _local(row.get("next_run_at"), row.get("timezone") or "UTC"),
                }
                for row in rows
            ]
        render(rows, DUE_COLUMNS, fmt, empty_message=f"Nothing would run at {now}.")
        return
    settings = app.settings_with(smtp_url=smtp_url, mail_from=mail_from)
    service.check_settings()
    outcomes = service.run_due(app.db, settings, now=utcnow(), tenant=app.tenant)
    _print_outcomes(outcomes)
    if any(outcome.failed for outcome in outcomes):
        raise typer.Exit(ExitCode.FAILURE)


class _LogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
        line = f"{isoformat(utcnow())} {level}{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _configure_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormatter())
    ours = logging.getLogger("agentctl")
    ours.addHandler(handler)
    ours.setLevel(logging.DEBUG if debug else logging.INFO)
    ours.propagate = False
    apscheduler = logging.getLogger("apscheduler")
    apscheduler.addHandler(handler)
    apscheduler.setLevel(logging.INFO if debug else logging.WARNING)
    apscheduler.propagate = False


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT (Ctrl-C), in place of the default handlers."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        if not stop.is_set():
            log.info("%s: stopping once the runs in progress finish", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@schedule_app.command("run")
def run(
    ctx: typer.Context,
    smtp_url: SMTPUrlOption = None,
    mail_from: MailFromOption = None,
    reload_interval: Annotated[
        float,
        typer.Option(
            "--reload-interval",
            help="Seconds between re-reading the schedules (at most 30).",
            min=0.1,
            max=RELOAD_INTERVAL_S,
            hidden=True,
        ),
    ] = RELOAD_INTERVAL_S,
) -> None:
    """Run schedules at their times until SIGTERM or Ctrl-C (a long-running daemon)."""
    from agentctl.services.scheduling import check_settings
    from agentctl.services.scheduling.daemon import SchedulerDaemon

    app = app_context(ctx)
    settings = app.settings_with(smtp_url=smtp_url, mail_from=mail_from)
    check_settings()
    _configure_logging(settings.debug)
    daemon = SchedulerDaemon(app.db, settings, tenant=app.tenant, reload_interval=reload_interval)
    with _stop_on_signals() as stop:
        if not daemon.wait_for_database(stop):
            return
        daemon.start()
        log.info(
            "scheduler started on %s; reloading schedules every %gs",
            app.db.safe_url,
            reload_interval,
        )
        try:
            while not stop.wait(1.0):
                pass
        finally:
            daemon.stop()
    log.info("scheduler stopped")


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
