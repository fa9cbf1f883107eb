"""`agentctl agents`: the desk's agents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.cli.context import FormatOption, app_context, lazy_module
from agentctl.rendering import Column, OutputFormat, render

if TYPE_CHECKING:
    from agentctl.services import agents as service
else:
    service = lazy_module("agentctl.services.agents")

agents_app = typer.Typer(
    help="Add, list, import, change and remove agents; their time off.", no_args_is_help=True
)

AGENT_COLUMNS = [
    Column("agent_id", "id", in_table=False),
    Column("email"),
    Column("name"),
    Column("max_open_tickets", "cap", justify="right"),
    Column("is_active", "active"),
    Column("tenant_id", "tenant"),
    Column("calendar", "shift"),
]


@agents_app.command("add")
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The agent's email address.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    max_open: Annotated[
        int | None,
        typer.Option("--max-open", help="Cap on open tickets (default: no cap).", min=0),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Add an agent (they start offline)."""
    app = app_context(ctx)
    with app.db.session(write=True) as session:
        row = service.add_agent(session, email, name, max_open=max_open, tenant=app.tenant)
    render([row], AGENT_COLUMNS, fmt)


@agents_app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include inactive agents.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List active agents (all with --all)."""
    app = app_context(ctx)
    with app.db.session() as session:
        rows = service.list_agents(session, app.tenant, include_inactive=all_)
        note = None if rows else _tenant_note(session, app.tenant)
    if note is not None:
        typer.echo(f"note: {note}", err=True)
        if fmt is OutputFormat.table:
            return
    render(rows, AGENT_COLUMNS, fmt, empty_message="No agents. Add one with `agentctl agents add`.")


def _tenant_note(session: Any, tenant: str | None) -> str | None:
    from agentctl.services.availability import tenant_note

    return tenant_note(session, tenant)


@agents_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with columns email,name[,max_open_tickets][,is_active][,tenant_id]."
        ),
    ],
) -> None:
    """Create or update agents from a CSV file (all or nothing).

    Only the columns the file has change: without max_open_tickets every cap stays, and
    a removed agent comes back only with an is_active column that says true. The CSV of
    `agents list --all -f csv` is accepted as it is.
    """
    app = app_context(ctx)
    with app.db.session(write=True) as session:
        result = service.import_agents(session, file, app.tenant)
    typer.echo(result.describe("agents"))


@agents_app.command("remove")
def remove(
    ctx: typer.Context,
    agent: Annotated[str, typer.Argument(help="The agent, by email or id.")],
) -> None:
    """Deactivate an agent; their tickets stay assigned to them."""
    app = app_context(ctx)
    with app.db.session(write=True) as session:
        row = service.remove_agent(session, agent, app.tenant)
    held = row["workload"]
    if held:
        tickets = "ticket" if held == 1 else "tickets"
        typer.echo(
            f"deactivated {row['email']}; they keep {held} {tickets} of their workload "
            f"(open, in progress or waiting): reassign with "
            f"`agentctl assign --from {row['email']}`"
        )
    else:
        typer.echo(f"deactivated {row['email']}; their workload is empty")


# --- agents set and agents timeoff (availability) ----------------------------------------


@agents_app.command("set")
def set_(
    ctx: typer.Context,
    agent: Annotated[str, typer.Argument(help="The agent, by email or id.")],
    name: Annotated[str | None, typer.Option("--name", help="New display name.")] = None,
    max_open: Annotated[
        int | None, typer.Option("--max-open", help="Cap on open tickets.", min=0)
    ] = None,
    no_cap: Annotated[bool, typer.Option("--no-cap", help="Remove the cap.")] = False,
    calendar: Annotated[
        str | None,
        typer.Option("--calendar", help="Shift: a business calendar's name (see `calendars`)."),
    ] = None,
    no_calendar: Annotated[
        bool, typer.Option("--no-calendar", help="No shift: eligible at any hour.")
    ] = False,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive",
            help="Reactivate, or deactivate (marks them offline).",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Change an agent's name, cap, shift calendar or active flag."""
    from agentctl.services.agents import set_agent

    app = app_context(ctx)
    with app.db.session(write=True) as session:
        row = set_agent(
            session,
            agent,
            app.tenant,
            name=name,
            max_open=max_open,
            no_cap=no_cap,
            calendar=calendar,
            no_calendar=no_calendar,
            active=active,
        )
    render([row], AGENT_COLUMNS, fmt)


timeoff_app = typer.Typer(
    help="Time off: periods during which an agent gets no tickets.", no_args_is_help=True
)
agents_app.add_typer(timeoff_app, name="timeoff")


def _short_id(value: Any) -> str:
    """The table shows the id's first 8 characters; `timeoff remove` takes that prefix."""
    return str(value)[:8]


TIMEOFF_COLUMNS = [
    Column("id", display=_short_id, no_wrap=True),
    Column("agent_email", "agent", no_wrap=True),
    Column("starts_at", "from", no_wrap=True),
    Column("ends_at", "until", no_wrap=True),
    Column("reason"),
    Column("tenant_id", "tenant", no_wrap=True),
]


def _timeoff_table(rows: list[dict[str, Any]], fmt: OutputFormat) -> list[Column]:
    """JSON/CSV keep every field; a table drops reason and tenant when no row has one, or
    when the terminal is too narrow."""
    if fmt is not OutputFormat.table:
        return TIMEOFF_COLUMNS
    from agentctl.cli.status import fit_columns
    from agentctl.rendering import stdout_console

    optional = {"reason", "tenant_id"}
    shown = [c for c in TIMEOFF_COLUMNS if c.key not in optional or any(r[c.key] for r in rows)]
    return fit_columns(rows, shown, stdout_console().width, ("reason", "tenant_id"))


@timeoff_app.command("add")
def timeoff_add(
    ctx: typer.Context,
    agent: Annotated[str, typer.Argument(help="The agent, by email or id.")],
    starts: Annotated[
        str, typer.Option("--from", help="Start, inclusive (ISO 8601; naive = UTC).")
    ],
    ends: Annotated[str, typer.Option("--until", help="End, exclusive (ISO 8601).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (free text).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Add a time-off period [FROM, UNTIL) for an agent."""
    from agentctl.services.timeoff import add_time_off

    app = app_context(ctx)
    with app.db.session(write=True) as session:
        row = add_time_off(session, agent, starts, ends, reason=reason, tenant=app.tenant)
    render([row], _timeoff_table([row], fmt), fmt)


@timeoff_app.command("list")
def timeoff_list(
    ctx: typer.Context,
    agent: Annotated[str | None, typer.Argument(help="Only this agent (email or id).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List time-off periods, earliest first."""
    from agentctl.services.timeoff import list_time_off

    app = app_context(ctx)
    with app.db.session() as session:
        rows = list_time_off(session, agent, app.tenant)
    render(rows, _timeoff_table(rows, fmt), fmt, empty_message="No time off.")


@timeoff_app.command("remove")
def timeoff_remove(
    ctx: typer.Context,
    period_id: Annotated[
        str,
        typer.Argument(metavar="ID", help="The period's id, or its first 8 characters or more."),
    ],
) -> None:
    """Remove a time-off period."""
    from agentctl.services.timeoff import remove_time_off

    app = app_context(ctx)
    with app.db.session(write=True) as session:
        row = remove_time_off(session, period_id, app.tenant)
    typer.echo(f"removed time off of {row['agent_email']} ({row['id']})")


# --- end of agents set and agents timeoff --------------------------------------------------


def register(app: typer.Typer) -> None:
    app.add_typer(agents_app, name="agents")
