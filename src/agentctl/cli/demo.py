"""`agentctl demo`: fill a database with realistic, reproducible demo data."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from agentctl.cli.context import app_context
from agentctl.errors import UsageError
from agentctl.timeutil import parse_datetime


def demo(
    ctx: typer.Context,
    agents: Annotated[int, typer.Option("--agents", help="Number of agents.")] = 25,
    tickets: Annotated[int, typer.Option("--tickets", help="Number of tickets.")] = 5000,
    days: Annotated[int, typer.Option("--days", help="Spread tickets over N days.")] = 90,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 42,
    reset: Annotated[
        bool, typer.Option("--reset", help="Replace the desk's existing agents and tickets.")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Generate as if it were this time (default: now)."),
    ] = None,
) -> None:
    """Fill the database with demo agents, skills and tickets."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from agentctl.services import demo as service

    app = app_context(ctx)
    try:
        anchor = parse_datetime(now) if now else None
    except ValueError as exc:
        raise UsageError(f"--now: {exc}") from None
    app.db.migrate_if_new()  # `--db sqlite:///new.db demo` works without `db upgrade`
    show_progress = sys.stderr.isatty() and tickets >= 50_000
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task("tickets", total=tickets)
        with app.db.session(write=True) as session:
            result = service.generate(
                session,
                agents=agents,
                tickets=tickets,
                days=days,
                seed=seed,
                reset=reset,
                tenant=app.tenant,
                now=anchor,
                progress=lambda n: progress.advance(task, n),
            )
    where = f" in tenant {result.tenant}" if result.tenant else ""
    typer.echo(
        f"demo data{where}: {result.agents} agents, {result.tickets} tickets "
        f"({result.unassigned} unassigned) in {app.db.safe_url}"
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
