"""`agentctl assign`: give tickets, the backlog, or an agent's open work to the right agents."""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from agentctl.cli.context import FormatOption, app_context
from agentctl.errors import ExitCode
from agentctl.rendering import Column, OutputFormat, render, stderr_console

if TYPE_CHECKING:
    from agentctl.services.assignment import AssignResult, ProgressCallback


class StrategyName(enum.StrEnum):
    """The --strategy choices: services.assignment.Strategy's values, known without
    importing the service (and SQLAlchemy) for `--help`; tests/test_imports.py checks."""

    balanced = "balanced"
    round_robin = "round-robin"
    skill = "skill"


COLUMNS = (
    Column("ticket_number", "ticket"),
    Column("agent_id", in_table=False),
    Column("agent_email", "agent"),
    Column("strategy"),
    Column("reason"),
    Column("outcome", in_table=False),
    Column("previous_agent_email", in_table=False),
    Column("tenant_id", in_table=False),
)


def assign_command(
    ctx: typer.Context,
    tickets: Annotated[
        list[str] | None,
        typer.Argument(metavar="[TICKET_NUMBER]...", help="Tickets to assign.", show_default=False),
    ] = None,
    backlog: Annotated[
        bool,
        typer.Option(
            "--backlog", help="Assign every unassigned open, in-progress or waiting ticket."
        ),
    ] = False,
    from_agent: Annotated[
        str | None,
        typer.Option("--from", help="Move this agent's open work to eligible colleagues."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Take at most N tickets (--backlog, --from).")
    ] = None,
    category: Annotated[
        str | None,
        typer.Option("--category", help="Only tickets of this category (--backlog, --from)."),
    ] = None,
    strategy: Annotated[
        StrategyName | None,
        typer.Option(
            "--strategy",
            case_sensitive=False,
            help="balanced (least workload), round-robin (longest idle) or skill "
            "(highest level). [default: balanced]",
            show_default=False,
        ),
    ] = None,
    to_agent: Annotated[
        str | None,
        typer.Option(
            "--to", help="Assign by hand to this agent (warns when over cap or without the skill)."
        ),
    ] = None,
    reassign: Annotated[
        bool, typer.Option("--reassign", help="Allow moving tickets that already have an agent.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide and show, but change nothing.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", hidden=True, help="Tickets per transaction.")
    ] = None,
) -> None:
    """Assign tickets to agents: named tickets, the whole backlog, or an agent's work.

    Exit 3 when any ticket was left without an agent (the reason says why).
    """
    from agentctl.services.assignment import BATCH_SIZE, AssignRequest, Outcome, Strategy, assign

    app = app_context(ctx)
    request = AssignRequest(
        ticket_numbers=tuple(tickets or ()),
        backlog=backlog,
        from_agent=from_agent,
        to_agent=to_agent,
        strategy=Strategy(strategy) if strategy else None,
        reassign=reassign,
        dry_run=dry_run,
        limit=limit,
        category=category,
        tenant=app.tenant,
        batch_size=batch_size or BATCH_SIZE,
    )
    show_progress = fmt is OutputFormat.table and sys.stdout.isatty() and sys.stderr.isatty()
    with _progress_bar(show_progress and not request.ticket_numbers) as progress:
        result = assign(app.db, request, progress)
    rows = [vars(row) for row in result.rows]
    render(rows, COLUMNS, fmt, empty_message="Nothing to assign.")
    err = stderr_console()
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False)
    err.print(summary(result), markup=False)
    if result.count(Outcome.unassigned):
        raise typer.Exit(int(ExitCode.PARTIAL))


def summary(result: AssignResult) -> str:
    """``assigned 8, unassigned 2; a@x.com 3, b@x.com 3, c@x.com 2``."""
    from agentctl.services.assignment import Outcome

    verb = "would assign" if result.dry_run else "assigned"
    parts = [f"{verb} {result.count(Outcome.assigned)}"]
    parts.append(f"unassigned {result.count(Outcome.unassigned)}")
    skipped = result.count(Outcome.skipped)
    if skipped:
        parts.append(f"skipped {skipped}")
    line = ", ".join(parts)
    per_agent = sorted(result.per_agent.items(), key=lambda item: (-item[1], item[0]))
    if per_agent:
        line += "; " + ", ".join(f"{email} {n}" for email, n in per_agent)
    if result.dry_run:
        line = f"dry run, nothing changed: {line}"
    return line


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A Rich progress bar on stderr for long runs on a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("assigning"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr_console(),
        transient=True,
    ) as bar:
        task = bar.add_task("assign", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def register(app: typer.Typer) -> None:
    app.command("assign")(assign_command)
