"""`agentctl db`: the schema's migrations (Alembic, loaded only here)."""

from __future__ import annotations

import typer

from agentctl.cli.context import app_context
from agentctl.errors import ExitCode

db_app = typer.Typer(help="Migrate and inspect the database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    revision: str = typer.Argument("head", help="Target revision."),
) -> None:
    """Migrate the database to the newest schema (or to REVISION)."""
    from agentctl.services import schema

    app = app_context(ctx)
    before, after = schema.upgrade(app.db, revision)
    if before == after:
        typer.echo(f"{app.db.safe_url}: already at {after}")
    else:
        typer.echo(f"{app.db.safe_url}: upgraded {before or 'empty'} -> {after}")


@db_app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision."""
    from agentctl.services import schema

    app = app_context(ctx)
    revision, head = schema.status(app.db)
    marker = " (head)" if revision == head else f" (newest is {head})"
    typer.echo(f"{revision or 'empty'}{marker}")


@db_app.command("check")
def check(ctx: typer.Context) -> None:
    """Exit 1 unless the database is at the newest schema revision and every SQLite
    timestamp is in the format agentctl compares."""
    from agentctl.services import schema

    app = app_context(ctx)
    revision, head = schema.status(app.db)
    if revision != head:
        typer.echo(
            f"{app.db.safe_url} is at {revision or 'no revision'}, newest is {head}; "
            "run `agentctl db upgrade`",
            err=True,
        )
        raise typer.Exit(int(ExitCode.FAILURE))
    from agentctl.services import timestamps

    odd = timestamps.check(app.db)
    if odd:
        columns = ", ".join(f"{c.name}: {c.rows}" for c in odd)
        typer.echo(
            f"error: {sum(c.rows for c in odd)} timestamp(s) stored in another format "
            f"({columns}); run `agentctl db repair-timestamps`",
            err=True,
        )
        raise typer.Exit(int(ExitCode.FAILURE))
    typer.echo(f"{app.db.safe_url} is at the newest revision ({head})")


@db_app.command("repair-timestamps")
def repair_timestamps(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; change nothing."),
) -> None:
    """Rewrite SQLite timestamps written by other tools (e.g. 2026-10-01T08:00:00Z) in
    the one format agentctl compares; one transaction. PostgreSQL needs nothing."""
    from agentctl.services import timestamps

    app = app_context(ctx)
    if app.db.dialect != "sqlite":
        typer.echo(f"{app.db.safe_url}: PostgreSQL stores timestamps natively; nothing to do")
        return
    repaired = timestamps.repair(app.db, dry_run=dry_run)
    verb = "would rewrite" if dry_run else "rewrote"
    for column in repaired:
        typer.echo(f"{column.name}: {verb} {column.rows}")
    total = sum(c.rows for c in repaired)
    if total:
        typer.echo(f"{verb} {total} timestamp(s) in {len(repaired)} column(s)")
    else:
        typer.echo("every timestamp is already in the canonical format")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
