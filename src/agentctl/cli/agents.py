"""`agentctl agents`: the desk's agents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agentctl.cli.context import FormatOption, app_context
from agentctl.rendering import Column, OutputFormat, render
from agentctl.services import agents as service

agents_app = typer.Typer(help="Add, list, import and remove agents.", no_args_is_help=True)

AGENT_COLUMNS = [
    Column("agent_id", "id", in_table=False),
    Column("email"),
    Column("name"),
    Column("max_open_tickets", "cap", justify="right"),
    Column("is_active", "active"),
    Column("tenant_id", "tenant"),
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
    render(rows, AGENT_COLUMNS, fmt, empty_message="No agents. Add one with `agentctl agents add`.")


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
    typer.echo(f"deactivated {row['email']}")


def register(app: typer.Typer) -> None:
    app.add_typer(agents_app, name="agents")
