"""`agentctl status`: who is available, what each agent is carrying, and since when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.cli.context import FormatOption, app_context
from agentctl.cli.options import RangeOption, SinceOption, UntilOption
from agentctl.errors import UsageError
from agentctl.rendering import STATUS_STYLES, Column, OutputFormat, render

if TYPE_CHECKING:
    from rich.text import Text

status_app = typer.Typer(
    help="List every active agent's availability and workload; show, set or trace one.",
    invoke_without_command=True,
)


def _badge(status: str | None) -> Text:
    """● available, in its colour (a no-wrap column keeps the dot with its word)."""
    from rich.text import Text

    if status is None:
        return Text("-", style="dim")
    return Text(f"● {status}", style=STATUS_STYLES.get(status, ""))


def _workload(row: Mapping[str, Any]) -> Text:
    """``3/5``, with ``!`` and in bold red when at or over the cap."""
    from rich.text import Text

    held, cap = row["open_tickets"], row["max_open_tickets"]
    if cap is None:
        return Text(str(held), style="bold" if held else "dim")
    if held >= cap:
        return Text(f"! {held}/{cap}", style="bold red")
    return Text(f"{held}/{cap}", style="bold" if held else "dim")


def _shift(row: Mapping[str, Any]) -> Text:
    from rich.text import Text

    if row["time_off"]:
        return Text("time off", style="yellow")
    if row["on_shift"] is None:
        return Text("-", style="dim")
    return Text("on", style="green") if row["on_shift"] else Text("off", style="bright_black")


# JSON and CSV: the fields of DESIGN.md, raw values.
STATUS_FIELDS = [
    Column("agent_id"),
    Column("agent_name"),
    Column("agent_email"),
    Column("status"),
    Column("status_message"),
    Column("last_activity_at"),
    Column("open_tickets"),
    Column("max_open_tickets"),
    Column("tenant_id"),
    Column("on_shift"),
    Column("time_off"),
]


def _table_columns(rows: Sequence[Mapping[str, Any]]) -> list[Column]:
    """The table's columns: message, shift and tenant only when some row has a value."""
    columns = [
        Column("agent_name", "agent", no_wrap=True),
        Column("agent_email", "email", no_wrap=True),
        Column("status", display=_badge, no_wrap=True),
    ]
    if any(r["status_message"] for r in rows):
        columns.append(Column("status_message", "message"))
    columns.append(
        Column("_workload", "workload", display=_workload, justify="right", no_wrap=True)
    )
    if any(r["on_shift"] is not None or r["time_off"] for r in rows):
        columns.append(Column("_shift", "shift", display=_shift, no_wrap=True))
    columns.append(Column("last_activity_at", "last activity", no_wrap=True))
    if any(r["tenant_id"] is not None for r in rows):
        columns.append(Column("tenant_id", "tenant", no_wrap=True))
    return columns


# Dropped first when the terminal is too narrow for every column.
_DROP_ORDER = ("last_activity_at", "status_message", "tenant_id", "agent_name")


def fit_columns(
    rows: Sequence[Mapping[str, Any]],
    columns: list[Column],
    width: int,
    drop_order: Sequence[str] = _DROP_ORDER,
) -> list[Column]:
    """Drop the least needed columns until the table fits ``width`` without wrapping."""
    from rich.text import Text

    from agentctl.rendering import table_cell

    def natural(column: Column) -> int:
        cells = [table_cell(column, row.get(column.key)) for row in rows]
        lengths = [c.cell_len if isinstance(c, Text) else len(str(c)) for c in cells]
        return max([len(column.title), *lengths])

    widths = {c.key: natural(c) for c in columns}
    kept = list(columns)
    for key in drop_order:
        if sum(widths[c.key] + 3 for c in kept) + 1 <= width:
            break
        kept = [c for c in kept if c.key != key]
    return kept


def _render(
    rows: list[dict[str, Any]], fmt: OutputFormat, *, empty_message: str | None = None
) -> None:
    if fmt is not OutputFormat.table:
        render(rows, STATUS_FIELDS, fmt)
        return
    from agentctl.rendering import stdout_console

    # The composite cells read the whole row.
    table_rows = [r | {"_workload": r, "_shift": r} for r in rows]
    console = stdout_console()
    columns = fit_columns(table_rows, _table_columns(rows), console.width)
    render(table_rows, columns, fmt, empty_message=empty_message, console=console)


@status_app.callback()
def status(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """List every active agent's availability and workload (open, in progress, waiting).

    "! 5/5" marks an agent at or over their cap; shift is on/off their calendar's hours,
    or "time off".
    """
    if ctx.invoked_subcommand is not None:
        return
    from agentctl.services import availability as service

    app = app_context(ctx)
    with app.db.connect() as connection:  # Core: the listing needs no ORM
        rows = service.list_status(connection, app.tenant)
        note = None if rows else service.tenant_note(connection, app.tenant)
    if note is not None:
        typer.echo(f"note: {note}", err=True)
        if fmt is OutputFormat.table:
            return
    _render(rows, fmt, empty_message="No active agents.")


@status_app.command("set")
def set_(
    ctx: typer.Context,
    arguments: Annotated[
        list[str],
        typer.Argument(
            help="[AGENT] STATUS: available, busy, away or offline (AGENT defaults to --as).",
            metavar="[AGENT] STATUS",
        ),
    ],
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="A short status message.")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="When the change happened (ISO 8601, default now): not in the future, "
            "not before the agent's latest recorded change.",
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Set an agent's availability (now, or earlier with --at)."""
    from agentctl.services import availability as service
    from agentctl.timeutil import parse_datetime

    if len(arguments) > 2:
        raise UsageError("status set takes [AGENT] STATUS")
    agent, status = (None, arguments[0]) if len(arguments) == 1 else arguments
    when = None
    if at is not None:
        try:
            when = parse_datetime(at)
        except ValueError as exc:
            raise UsageError(f"--at: {exc}") from None
    app = app_context(ctx)
    with app.db.session(write=True) as session:
        row = service.set_status(
            session,
            agent,
            status,
            message=message,
            me=app.settings.agent,
            tenant=app.tenant,
            at=when,
        )
    _render([row], fmt)


@status_app.command("show")
def show(
    ctx: typer.Context,
    agent: Annotated[
        str | None, typer.Argument(help="The agent (email or id); default: --as.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show one agent's availability and workload."""
    from agentctl.services import availability as service

    app = app_context(ctx)
    with app.db.session() as session:
        row = service.show_status(session, agent, me=app.settings.agent, tenant=app.tenant)
    _render([row], fmt)


def _minutes(value: Any) -> Text:
    from rich.text import Text

    from agentctl.timeutil import human_duration

    return Text(human_duration(value))


HISTORY_COLUMNS = [
    Column("agent_email", "agent", no_wrap=True),
    Column("status", display=_badge, no_wrap=True),
    Column("status_message", "message"),
    Column("started_at", "from", no_wrap=True),
    Column("ended_at", "until", no_wrap=True),
    Column("minutes", "time", display=_minutes, justify="right", no_wrap=True),
    Column("tenant_id", "tenant", in_table=False),
]


@status_app.command("history")
def history(
    ctx: typer.Context,
    agent: Annotated[
        str | None, typer.Argument(help="Only this agent (email or id); default: every agent.")
    ] = None,
    range_: RangeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List status periods that overlap the window (default 7d), oldest first.

    The current period has no end; its minutes run to now.
    """
    from agentctl.services import availability as service
    from agentctl.services.window import resolve_window

    window = resolve_window(range_, since, until)
    app = app_context(ctx)
    with app.db.session() as session:
        rows = service.history(session, agent, window, tenant=app.tenant)
    if fmt is not OutputFormat.table:
        render(rows, HISTORY_COLUMNS, fmt)
        return
    from agentctl.rendering import stdout_console

    console = stdout_console()
    columns = [
        c
        for c in HISTORY_COLUMNS
        if c.key != "status_message" or any(r["status_message"] for r in rows)
    ]
    # "until" is the next row's "from": the first to go on a narrow terminal.
    columns = fit_columns(rows, columns, console.width, ("ended_at", "status_message"))
    render(rows, columns, fmt, empty_message="No status changes in the window.", console=console)


def register(app: typer.Typer) -> None:
    app.add_typer(status_app, name="status")
