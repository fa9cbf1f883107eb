"""`agentctl tickets`: import and list tickets."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agentctl.cli.context import FormatOption, app_context, lazy_module
from agentctl.rendering import Column, OutputFormat, render

if TYPE_CHECKING:
    from agentctl.services import tickets as service
else:
    service = lazy_module("agentctl.services.tickets")

tickets_app = typer.Typer(help="Import and list tickets.", no_args_is_help=True)

TICKET_COLUMNS = [
    Column("ticket_number", "ticket"),
    Column("subject"),
    Column("status"),
    Column("priority"),
    Column("category"),
    Column("required_skill_level", "level", justify="right"),
    Column("agent_email", "agent"),
    Column("escalation_level", "esc", justify="right"),
    Column("created_at", "created"),
    Column("first_response_at", in_table=False),
    Column("resolved_at", in_table=False),
    Column("sla_due_date", "sla due"),
    Column("tenant_id", "tenant"),
    Column("first_response_due_at", in_table=False),
    Column("sla_policy", in_table=False),
]


@tickets_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv (with header) or .jsonl file.")],
) -> None:
    """Upsert tickets by (tenant, ticket_number); one bad row and nothing is imported.

    Only the columns the file has change on the tickets it updates. SLA policies apply
    to every ticket written; an explicit sla_due_date or first_response_due_at wins.
    """
    app = app_context(ctx)
    with _rows_progress(sys.stderr.isatty()) as progress, app.db.session(write=True) as session:
        result = service.import_tickets(session, file, app.tenant, progress=progress)
    typer.echo(result.describe("tickets"))


@contextmanager
def _rows_progress(enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """Rows written so far, on stderr, on a terminal only (a big file takes minutes)."""
    if not enabled:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from agentctl.rendering import stderr_console

    with Progress(
        SpinnerColumn(),
        TextColumn("importing: {task.completed:,} rows written"),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=None)
        yield lambda rows: bar.advance(task, rows)


@tickets_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Only this status (repeatable)."),
    ] = None,
    unassigned: Annotated[bool, typer.Option("--unassigned", help="Only unassigned.")] = False,
    agent: Annotated[
        str | None, typer.Option("--agent", help="Only this agent's (email or id).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most N tickets, newest first.")
    ] = 100,
    all_: Annotated[
        bool, typer.Option("--all", help="Every ticket, no limit (e.g. to import elsewhere).")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List tickets, newest first (100 unless --limit or --all).

    The CSV can be imported back by `tickets import` (agent_email is the assignee).
    """
    app = app_context(ctx)
    if all_:
        limit = None
    with app.db.session() as session:
        rows = service.list_tickets(
            session,
            app.tenant,
            statuses=[s.lower() for s in status or []],
            unassigned=unassigned,
            agent=agent,
            limit=limit,
        )
    render(rows, TICKET_COLUMNS, fmt, empty_message="No tickets match.")


def register(app: typer.Typer) -> None:
    app.add_typer(tickets_app, name="tickets")
