"""`agentctl assign`: give tickets, the backlog, or an agent's open work to the right agents."""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.cli.context import FormatOption, app_context
from agentctl.errors import ExitCode
from agentctl.rendering import (
    Column,
    OutputFormat,
    progress_bar,
    render,
    stderr_console,
    stdout_console,
)

if TYPE_CHECKING:
    from rich.console import Console

    from agentctl.services.assignment import AssignResult


class StrategyName(enum.StrEnum):
    """The --strategy choices: the engine's Strategy values, known without importing any
    service for `--help` (tests/test_imports.py checks that they match)."""

    balanced = "balanced"
    round_robin = "round-robin"
    skill = "skill"


# Rows a table shows when stdout is not a terminal (a terminal shows a screenful).
PIPED_TABLE_ROWS = 50
SUMMARY_AGENTS = 10  # the summary names the busiest agents, then says how many more
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it

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
        typer.Option(
            "--from", help="Move this agent's open work to eligible colleagues (even off shift)."
        ),
    ] = None,
    from_off_shift: Annotated[
        bool,
        typer.Option(
            "--from-off-shift",
            help="Move the open work of every agent now off shift or on time off "
            "(for cron at the end of each shift).",
        ),
    ] = False,
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
    all_rows: Annotated[
        bool,
        typer.Option(
            "--all", help="Show every row in the table (it shows a screenful by default)."
        ),
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size", hidden=True, help="Tickets per transaction (default: adaptive)."
        ),
    ] = None,
) -> None:
    """Assign tickets to agents: named tickets, the whole backlog, or agents' work.

    Exit 3 when any ticket was left without an agent, or kept by its agent because nobody
    else is eligible (the reason says why). Each batch of a long run is committed on its
    own: Ctrl-C keeps the committed batches, says how many tickets they assigned, exits 130.
    """
    from agentctl.services.assignment import AssignInterrupted, AssignRequest, assign
    from agentctl.services.assignment_engine import Outcome, Strategy

    app = app_context(ctx)
    request = AssignRequest(
        ticket_numbers=tuple(tickets or ()),
        backlog=backlog,
        from_agent=from_agent,
        from_off_shift=from_off_shift,
        to_agent=to_agent,
        strategy=Strategy(strategy.value) if strategy is not None else None,
        reassign=reassign,
        dry_run=dry_run,
        limit=limit,
        category=category,
        tenant=app.tenant,
        batch_size=batch_size,
    )
    # The bar goes to stderr, so it shows whenever stderr is a terminal, also when stdout
    # is piped or redirected (`assign --backlog -f json > out.json`).
    show_progress = sys.stderr.isatty() and not request.ticket_numbers
    err = stderr_console()
    try:
        with (
            progress_bar("assigning", show_progress) as progress,
            _first_ctrl_c(enabled=not request.ticket_numbers) as interrupted,
        ):
            result = assign(app.db, request, progress, interrupted)
    except AssignInterrupted as stop:
        err.print(stop.message, markup=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    rows = [vars(row) for row in result.rows]
    _render(rows, fmt, all_rows=all_rows)
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False)
    err.print(summary(result), markup=False)
    if result.count(Outcome.unassigned) or result.count(Outcome.kept):
        raise typer.Exit(int(ExitCode.PARTIAL))


def _render(rows: list[dict[str, Any]], fmt: OutputFormat, *, all_rows: bool) -> None:
    """JSON and CSV carry every row; a table shows a screenful unless ``--all``."""
    if fmt is not OutputFormat.table or all_rows:
        render(rows, COLUMNS, fmt, empty_message="Nothing to assign.")
        return
    console = stdout_console()
    shown = rows[:PIPED_TABLE_ROWS]
    if console.is_terminal:
        shown = _screenful(console, rows)
    render(shown, COLUMNS, fmt, empty_message="Nothing to assign.", console=console)
    if len(shown) < len(rows):
        console.print(
            f"… {len(rows) - len(shown):,} more rows not shown: use --all, or --format json|csv",
            markup=False,
            style="dim",
        )


def _screenful(console: Console, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """As many rows as fit on the screen with the note and the summary below them; rows
    that wrap at this width count for the lines they take."""
    from agentctl.rendering import build_table

    lines = max(console.size.height - 6, 8)  # the note, the summary, the next prompt
    count = min(len(rows), lines)
    while count > 3:
        height = len(console.render_lines(build_table(rows[:count], COLUMNS), pad=False))
        if height <= lines:
            break
        count = max(3, min(count - 1, count * lines // height))
    return rows[:count]


def summary(result: AssignResult) -> str:
    """``assigned 8, unassigned 2; a@x.com 3, b@x.com 3, c@x.com 2``."""
    from agentctl.services.assignment_engine import Outcome

    verb = "would assign" if result.dry_run else "assigned"
    parts = [f"{verb} {result.count(Outcome.assigned)}"]
    parts.append(f"unassigned {result.count(Outcome.unassigned)}")
    kept = result.count(Outcome.kept)
    if kept:
        parts.append(f"kept {kept}")
    skipped = result.count(Outcome.skipped)
    if skipped:
        parts.append(f"skipped {skipped}")
    line = ", ".join(parts)
    per_agent = sorted(result.per_agent.items(), key=lambda item: (-item[1], item[0]))
    if per_agent:
        shown = per_agent[:SUMMARY_AGENTS]
        line += "; " + ", ".join(f"{email} {n}" for email, n in shown)
        if len(per_agent) > len(shown):
            line += f" and {len(per_agent) - len(shown):,} more agents"
    if result.dry_run:
        line = f"dry run, nothing changed: {line}"
    return line


@contextmanager
def _first_ctrl_c(*, enabled: bool) -> Iterator[Callable[[], bool]]:
    """The first Ctrl-C lets the current batch commit and stops the run after it, so the
    count of committed assignments is exact; a second one stops at once (the batch in
    flight rolls back)."""
    import signal

    if not enabled:  # one transaction: Ctrl-C rolls it back
        yield lambda: False
        return
    pressed: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if pressed:
            raise KeyboardInterrupt
        pressed.append(signum)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (an embedding program): leave SIGINT alone
        yield lambda: False
        return
    try:
        yield lambda: bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)


def register(app: typer.Typer) -> None:
    app.command("assign")(assign_command)
