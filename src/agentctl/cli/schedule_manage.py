"""The commands of `agentctl schedule` that manage schedules: add, update, list, show,
pause, resume, remove and history, with the options add and update share.

``agentctl.cli.schedule`` registers these commands in the group, in help order.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from agentctl.cli.context import FormatOption, app_context
from agentctl.cli.schedule_views import (
    SCHEDULE_COLUMNS,
    SCHEDULE_HISTORY_COLUMNS,
    local_time,
    print_details,
    with_takeover,
)
from agentctl.errors import UsageError
from agentctl.rendering import Column, OutputFormat, plain, render
from agentctl.timeutil import isoformat

ScheduleArg = Annotated[str, typer.Argument(help="The schedule, by name or id.")]

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
    print_details(details)
    if not app.settings_with().smtp_url:
        typer.echo(
            "note: no SMTP server is configured here (AGENTCTL_SMTP_URL); "
            "runs fail until the scheduler has one",
            err=True,
        )


def update(
    ctx: typer.Context,
    schedule: ScheduleArg,
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
    print_details(details)


def list_(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """List schedules, active and paused; tables show times in each schedule's zone."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    rows = service.list_schedules(app.db, app.tenant)
    if fmt is OutputFormat.table:
        rows = [
            {
                **row,
                "last_run_at": local_time(row["last_run_at"], row["timezone"]),
                "next_run_at": local_time(row["next_run_at"], row["timezone"])
                if row["is_active"]
                else "paused",
            }
            for row in rows
        ]
    render(
        rows, SCHEDULE_COLUMNS, fmt, empty_message="No schedules. Add one: agentctl schedule add"
    )


def show(ctx: typer.Context, schedule: ScheduleArg, fmt: FormatOption = OutputFormat.table) -> None:
    """Show a schedule and its next five run times (in its time zone)."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    details = service.show_schedule(app.db, schedule, app.tenant)
    if fmt is OutputFormat.table:
        print_details(details)
        return
    row = {**details.row, "next_runs": [isoformat(t) for t in details.next_runs]}
    if fmt is OutputFormat.json:
        payload = {key: plain(value) for key, value in row.items()}
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        render([row], [*SCHEDULE_COLUMNS, Column("next_runs")], fmt)


def pause(ctx: typer.Context, schedule: ScheduleArg) -> None:
    """Stop running a schedule until it is resumed."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    row = service.pause_schedule(app.db, schedule, app.tenant)
    typer.echo(f"paused schedule {row['name']}")


def resume(ctx: typer.Context, schedule: ScheduleArg) -> None:
    """Run a paused schedule again, from its next occurrence on."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    row = service.resume_schedule(app.db, schedule, app.tenant)
    typer.echo(f"resumed schedule {row['name']}; next run {isoformat(row['next_run_at'])}")


def remove(ctx: typer.Context, schedule: ScheduleArg) -> None:
    """Delete a schedule (its run history stays, under its name)."""
    from agentctl.services import scheduling as service

    app = app_context(ctx)
    row = service.remove_schedule(app.db, schedule, app.tenant)
    typer.echo(f"removed schedule {row['name']}")


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
        rows = [with_takeover(row) for row in rows]
    render(rows, SCHEDULE_HISTORY_COLUMNS, fmt, empty_message="No runs yet.")
