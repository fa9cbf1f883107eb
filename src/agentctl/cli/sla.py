"""`agentctl sla`: SLA policies (targets per priority and category) and `sla apply`.

Only Typer is imported at the top: the database, services and Rich load inside the
commands, so `agentctl --help` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.cli.calendars import report_out_of_date
from agentctl.cli.fmt import Fmt, FormatOpt, shown_columns

if TYPE_CHECKING:
    from agentctl.cli.context import AppContext

sla_app = typer.Typer(
    help="SLA policies: first-response and resolution targets in business time.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The policy's name.")]
FirstOption = Annotated[
    str | None,
    typer.Option(
        "--first-response", help="First-response target: 90m, 8h, 1h30m.", show_default=False
    ),
]
ResolutionOption = Annotated[
    str | None,
    typer.Option("--resolution", help="Resolution target: 90m, 8h, 1h30m.", show_default=False),
]
PriorityOption = Annotated[
    list[str] | None,
    typer.Option(
        "--priority", help="Match this priority (repeatable; none = any).", show_default=False
    ),
]
CategoryOption = Annotated[
    list[str] | None,
    typer.Option(
        "--category", help="Match this category (repeatable; none = any).", show_default=False
    ),
]
CalendarOption = Annotated[
    str | None,
    typer.Option(
        "--calendar",
        help="Count in this calendar's business time (default: the tenant's default "
        "calendar, else plain minutes).",
        show_default=False,
    ),
]


def _context(ctx: typer.Context) -> AppContext:
    from agentctl.cli.context import app_context

    return app_context(ctx)


def _any(values: Any) -> str:
    return ", ".join(values) if values else "any"


def _columns() -> list[Any]:
    from agentctl.rendering import Column

    return [
        Column("position", "#", justify="right"),
        Column("name"),
        Column("priorities", display=_any),
        Column("categories", display=_any),
        Column("first_response", "first response", justify="right"),
        Column("resolution", justify="right"),
        Column("calendar", display=lambda v: v or "default"),
        Column("tenant_id", "tenant"),
        Column("first_response_minutes", in_table=False),
        Column("resolution_minutes", in_table=False),
        Column("policy_id", in_table=False),
    ]


def _describe(row: dict[str, Any]) -> str:
    targets = []
    if row["first_response"]:
        targets.append(f"first response {row['first_response']}")
    if row["resolution"]:
        targets.append(f"resolution {row['resolution']}")
    matches = " ".join(row["priorities"]) or "any priority"
    if row["categories"]:
        matches += ", " + " ".join(row["categories"])
    calendar = row["calendar"] or "default calendar"
    return f"#{row['position']} {row['name']}: {', '.join(targets)} ({matches}; {calendar})"


@sla_app.command("add")
def add(
    ctx: typer.Context,
    name: NameArgument,
    first_response: FirstOption = None,
    resolution: ResolutionOption = None,
    priority: PriorityOption = None,
    category: CategoryOption = None,
    calendar: CalendarOption = None,
    position: Annotated[
        int | None,
        typer.Option("--position", help="Evaluation order (default: last).", show_default=False),
    ] = None,
) -> None:
    """Add a policy; the first policy (by position) that matches a ticket applies."""
    from agentctl.services import sla as service

    app = _context(ctx)
    with app.db.session(write=True) as session:
        row = service.add_policy(
            session,
            app.tenant,
            name,
            first_response=first_response,
            resolution=resolution,
            priorities=priority or [],
            categories=category or [],
            calendar=calendar,
            position=position,
        )
    typer.echo(f"added {_describe(row)}")
    report_out_of_date(app, app.tenant)


@sla_app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """List the policies in evaluation order."""
    from agentctl.rendering import OutputFormat, render
    from agentctl.services import sla as service

    app = _context(ctx)
    with app.db.session() as session:
        rows = service.list_policies(session, app.tenant)
    columns = _columns()
    if fmt is Fmt.table:  # JSON and CSV keep every field
        columns = shown_columns(columns, rows, keep={"position", "name", "priorities"})
    render(rows, columns, OutputFormat(fmt.value), empty_message="No SLA policies.")


@sla_app.command("show")
def show(ctx: typer.Context, name: NameArgument, fmt: FormatOpt = Fmt.table) -> None:
    """Show one policy."""
    from agentctl.rendering import OutputFormat, render
    from agentctl.services import sla as service

    app = _context(ctx)
    with app.db.session() as session:
        row = service.show_policy(session, app.tenant, name)
    if fmt is Fmt.table:
        typer.echo(_describe(row))
        return
    render([row], _columns(), OutputFormat(fmt.value))


@sla_app.command("update")
def update(
    ctx: typer.Context,
    name: NameArgument,
    first_response: FirstOption = None,
    resolution: ResolutionOption = None,
    priority: PriorityOption = None,
    any_priority: Annotated[
        bool, typer.Option("--any-priority", help="Match every priority.")
    ] = False,
    category: CategoryOption = None,
    any_category: Annotated[
        bool, typer.Option("--any-category", help="Match every category.")
    ] = False,
    calendar: CalendarOption = None,
    no_calendar: Annotated[
        bool, typer.Option("--no-calendar", help="Use the tenant's default calendar.")
    ] = False,
) -> None:
    """Change a policy: given --priority/--category values replace the stored lists."""
    from agentctl.services import sla as service

    app = _context(ctx)
    with app.db.session(write=True) as session:
        row = service.update_policy(
            session,
            app.tenant,
            name,
            first_response=first_response,
            resolution=resolution,
            priorities=priority or [],
            any_priority=any_priority,
            categories=category or [],
            any_category=any_category,
            calendar=calendar,
            no_calendar=no_calendar,
        )
    typer.echo(f"updated {_describe(row)}")
    report_out_of_date(app, app.tenant)


@sla_app.command("move")
def move(
    ctx: typer.Context,
    name: NameArgument,
    to: Annotated[int, typer.Option("--to", help="The new position (1 = evaluated first).")],
) -> None:
    """Move a policy to another position in the evaluation order."""
    from agentctl.services import sla as service

    app = _context(ctx)
    with app.db.session(write=True) as session:
        row = service.move_policy(session, app.tenant, name, to)
    typer.echo(f"moved {row['name']} to position {row['position']}")
    report_out_of_date(app, app.tenant)


@sla_app.command("remove")
def remove(ctx: typer.Context, name: NameArgument) -> None:
    """Remove a policy; its tickets keep their due dates until `sla apply`."""
    from agentctl.services import sla as service

    app = _context(ctx)
    with app.db.session(write=True) as session:
        row, cleared = service.remove_policy(session, app.tenant, name)
    typer.echo(f"removed {row['name']} ({cleared:,} tickets no longer name it)")
    report_out_of_date(app, app.tenant)


@sla_app.command("apply")
def apply(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count the tickets that would change; change none.")
    ] = False,
) -> None:
    """Recompute every ticket's policy, due dates and business minutes."""
    from agentctl.rendering import progress_bar
    from agentctl.services import sla_apply

    app = _context(ctx)
    with (
        app.db.session(write=not dry_run) as session,
        progress_bar("applying SLA policies", sys.stderr.isatty()) as progress,
    ):
        result = sla_apply.apply(session, app.tenant, dry_run=dry_run, progress=progress)
    verb = "would change" if dry_run else "changed"
    typer.echo(f"{result.changed:,} of {result.tickets:,} tickets {verb}.")


def register(app: typer.Typer) -> None:
    app.add_typer(sla_app, name="sla")
