"""`agentctl calendars`: business calendars (time zone, weekly hours, holidays).

Only Typer is imported at the top: the database, services and Rich load inside the
commands, so `agentctl --help` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.cli.fmt import Fmt, FormatOpt, shown_columns

if TYPE_CHECKING:
    from agentctl.cli.context import AppContext

calendars_app = typer.Typer(
    help="Business calendars: working hours, time zone and holidays.", no_args_is_help=True
)


NameArgument = Annotated[str, typer.Argument(help="The calendar's name.")]
HoursOption = Annotated[
    list[str] | None,
    typer.Option(
        "--hours",
        help="Weekly working interval in local time, e.g. 'mon-fri 09:00-17:00'; repeat for "
        "several a day ('mon-fri 09:00-12:30' --hours 'mon-fri 13:30-17:00').",
        show_default=False,
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--holidays",
        metavar="REGION",
        help="Public holidays of a country or subdivision (DE, DE-BE, US-NY).",
        show_default=False,
    ),
]
HolidayOption = Annotated[
    list[str] | None,
    typer.Option(
        "--holiday",
        metavar="DATE",
        help="An extra holiday (YYYY-MM-DD); repeatable.",
        show_default=False,
    ),
]


def _context(ctx: typer.Context) -> AppContext:
    from agentctl.cli.context import app_context

    return app_context(ctx)


def _columns() -> list[Any]:
    from agentctl.rendering import Column

    return [
        Column("name"),
        Column("timezone", "time zone"),
        Column("hours"),
        Column("holiday_region", "holidays"),
        Column("holidays", "extra holidays"),
        Column("is_default", "default"),
        Column("tenant_id", "tenant"),
        Column("calendar_id", in_table=False),
    ]


def report_out_of_date(app: AppContext, tenant: str | None) -> None:
    """After a change to policies or calendars: how many tickets `sla apply` would change."""
    from agentctl.services import sla_apply

    with app.db.session() as session:
        count = sla_apply.out_of_date(session, tenant)
    if count:
        noun = "ticket is" if count == 1 else "tickets are"
        typer.echo(f"{count:,} {noun} now out of date; run `agentctl sla apply` to update them.")
    else:
        typer.echo("No ticket is out of date.")


@calendars_app.command("add")
def add(
    ctx: typer.Context,
    name: NameArgument,
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA time zone, e.g. Europe/Berlin.")
    ] = "UTC",
    hours: HoursOption = None,
    region: RegionOption = None,
    holiday: HolidayOption = None,
    default: Annotated[
        bool, typer.Option("--default", help="Make it the tenant's default calendar.")
    ] = False,
) -> None:
    """Add a calendar: --hours (repeatable), --timezone, --holidays REGION, --holiday DATE."""
    from agentctl.services import calendars as service

    app = _context(ctx)
    with app.db.session(write=True) as session:
        row = service.add_calendar(
            session,
            app.tenant,
            name,
            timezone=timezone,
            hours=hours or [],
            region=region,
            holidays=holiday or [],
            default=default,
        )
    default_note = " (the default calendar)" if row["is_default"] else ""
    typer.echo(f"added calendar {row['name']}{default_note}: {row['hours']} {row['timezone']}")
    report_out_of_date(app, app.tenant)


@calendars_app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """List the calendars."""
    from agentctl.rendering import OutputFormat, render
    from agentctl.services import calendars as service

    app = _context(ctx)
    with app.db.session() as session:
        rows = service.list_calendars(session, app.tenant)
    columns = _columns()
    if fmt is Fmt.table:  # JSON and CSV keep every field
        columns = shown_columns(columns, rows, keep={"name", "timezone", "hours", "is_default"})
    render(rows, columns, OutputFormat(fmt.value), empty_message="No calendars.")


@calendars_app.command("show")
def show(ctx: typer.Context, name: NameArgument, fmt: FormatOpt = Fmt.table) -> None:
    """Show a calendar's week and its holidays of the coming year."""
    import json
    import sys

    from rich.text import Text

    from agentctl.rendering import Column, OutputFormat, build_table, plain, stdout_console
    from agentctl.services import calendars as service
    from agentctl.timeutil import utcnow

    app = _context(ctx)
    with app.db.session() as session:
        view = service.show_calendar(session, app.tenant, name, utcnow().date())
    if fmt is not Fmt.table:
        payload = {
            **{k: plain(v) for k, v in view.calendar.items()},
            "week": view.week,
            "holidays_coming_year": view.holidays,
            "used_by_policies": view.used_by_policies,
            "used_by_agents": view.used_by_agents,
        }
        if fmt is Fmt.json:
            json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
        else:
            from agentctl.rendering import render

            columns = [Column("date"), Column("weekday"), Column("name")]
            render(view.holidays, columns, OutputFormat.csv)
        return
    cal = view.calendar
    console = stdout_console()
    default = ", the default calendar" if cal["is_default"] else ""
    region = f", public holidays of {cal['holiday_region']}" if cal["holiday_region"] else ""
    title = Text(cal["name"], style="bold")
    console.print(Text.assemble(title, f" ({cal['timezone']}{region}{default})"))
    week_rows = [{**d, "hours": d["hours"] or "closed"} for d in view.week]
    console.print(build_table(week_rows, [Column("day"), Column("hours")]))
    if view.holidays:
        holiday_columns = [Column("date"), Column("weekday", "day"), Column("name")]
        console.print(build_table(view.holidays, holiday_columns, title="Holidays, next 365 days"))
    else:
        console.print("No holidays in the next 365 days.")
    users = view.used_by_policies + view.used_by_agents
    if users:
        console.print(
            "Used by: "
            + ", ".join(
                [f"policy {p}" for p in view.used_by_policies]
                + [f"agent {a}" for a in view.used_by_agents]
            ),
            markup=False,
        )


@calendars_app.command("update")
def update(
    ctx: typer.Context,
    name: NameArgument,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="A new IANA time zone.", show_default=False)
    ] = None,
    hours: HoursOption = None,
    region: RegionOption = None,
    no_region: Annotated[
        bool, typer.Option("--no-holidays", help="Drop the public-holiday region.")
    ] = False,
    holiday: HolidayOption = None,
    clear_holidays: Annotated[
        bool, typer.Option("--clear-holidays", help="Drop every extra holiday date.")
    ] = False,
    default: Annotated[
        bool | None,
        typer.Option(
            "--default/--no-default",
            help="Make it (or stop it being) the tenant's default calendar.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Change a calendar: given --hours replace all hours, given --holiday dates replace
    the extra holidays."""
    from agentctl.errors import UsageError
    from agentctl.services import calendars as service

    if holiday and clear_holidays:
        raise UsageError("--holiday and --clear-holidays cannot be used together")
    app = _context(ctx)
    with app.db.session(write=True) as session:
        row = service.update_calendar(
            session,
            app.tenant,
            name,
            timezone=timezone,
            hours=hours or [],
            region=region,
            no_region=no_region,
            holidays=[] if clear_holidays else (holiday or None),
            default=default,
        )
    typer.echo(f"updated calendar {row['name']}: {row['hours']} {row['timezone']}")
    report_out_of_date(app, app.tenant)


@calendars_app.command("remove")
def remove(ctx: typer.Context, name: NameArgument) -> None:
    """Remove a calendar that no SLA policy or agent uses."""
    from agentctl.services import calendars as service

    app = _context(ctx)
    with app.db.session(write=True) as session:
        row = service.remove_calendar(session, app.tenant, name)
    typer.echo(f"removed calendar {row['name']}")
    report_out_of_date(app, app.tenant)


def register(app: typer.Typer) -> None:
    app.add_typer(calendars_app, name="calendars")
