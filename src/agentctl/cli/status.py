"""`agentctl status`: who is available, and what each agent is carrying."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.cli.context import FormatOption, app_context, lazy_module
from agentctl.errors import UsageError
from agentctl.rendering import Column, OutputFormat, badge, render

if TYPE_CHECKING:
    from rich.text import Text

    from agentctl.services import availability as service
else:
    service = lazy_module("agentctl.services.availability")

status_app = typer.Typer(
    help="List every active agent's availability and open workload; show or set one.",
    invoke_without_command=True,
)


def _workload(row_value: Any) -> Text:
    from rich.text import Text

    return Text(str(row_value), style="bold" if row_value else "dim")


STATUS_COLUMNS = [
    Column("agent_id", "id", in_table=False),
    Column("agent_name", "agent"),
    Column("agent_email", "email"),
    Column("status", display=badge),
    Column("status_message", "message"),
    Column("last_activity_at", "last activity"),
    Column("open_tickets", "open", display=_workload, justify="right"),
    Column("max_open_tickets", "cap", justify="right"),
    Column("tenant_id", "tenant"),
]


@status_app.callback()
def status(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """List every active agent's availability and open workload."""
    if ctx.invoked_subcommand is not None:
        return
    app = app_context(ctx)
    with app.db.session() as session:
        rows = service.list_status(session, app.tenant)
    render(rows, STATUS_COLUMNS, fmt, empty_message="No active agents.")


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
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Set an agent's availability."""
    if len(arguments) > 2:
        raise UsageError("status set takes [AGENT] STATUS")
    agent, status = (None, arguments[0]) if len(arguments) == 1 else arguments
    app = app_context(ctx)
    with app.db.session(write=True) as session:
        row = service.set_status(
            session, agent, status, message=message, me=app.settings.agent, tenant=app.tenant
        )
    render([row], STATUS_COLUMNS, fmt)


@status_app.command("show")
def show(
    ctx: typer.Context,
    agent: Annotated[
        str | None, typer.Argument(help="The agent (email or id); default: --as.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show one agent's availability and open workload."""
    app = app_context(ctx)
    with app.db.session() as session:
        row = service.show_status(session, agent, me=app.settings.agent, tenant=app.tenant)
    render([row], STATUS_COLUMNS, fmt)


def register(app: typer.Typer) -> None:
    app.add_typer(status_app, name="status")
