"""`agentctl performance`: each active agent's metrics over a window.

Only Typer is imported at the top: the database, the services, Rich and the table view
(``agentctl.cli.performance_view``) load inside the command, so `agentctl --help` stays fast.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from agentctl.cli.fmt import Fmt, FormatOpt
from agentctl.cli.options import AsOfOption, RangeOption, SinceOption, UntilOption

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from agentctl.cli.context import AppContext
    from agentctl.rendering import Column
    from agentctl.services import performance as service
    from agentctl.services.window import Window

DEFAULT_WATCH_SECONDS = 30.0


def parse_columns(raw: str | None) -> tuple[str, ...] | None:
    """``--columns a,b,c``: output fields for the table (None: the defaults that fit)."""
    from agentctl.cli.performance_view import IDENTITY, METRICS
    from agentctl.errors import UsageError

    if raw is None:
        return None
    chosen: list[str] = []
    for part in raw.split(","):
        name = part.strip().lower().replace("-", "_")
        if not name:
            continue
        if name in ("name", "email"):
            name = f"agent_{name}"
        if name not in METRICS and name not in IDENTITY:
            known = ", ".join([*IDENTITY, *METRICS])
            raise UsageError(f"--columns: unknown column {part.strip()!r}; use any of {known}")
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise UsageError("--columns: name at least one column")
    return tuple(chosen)


def _output_columns(compare: bool) -> list[Column]:
    """JSON and CSV: every field, whatever --columns says."""
    from agentctl.cli.performance_view import METRICS
    from agentctl.rendering import Column

    columns = [Column("agent_id"), Column("agent_name"), Column("agent_email")]
    columns += [Column(n) for n in METRICS]
    if compare:
        columns += [Column(f"{n}_previous") for n in METRICS]
    return columns


def _parse_watch(raw: str | None) -> float | None:
    from agentctl.errors import UsageError

    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise UsageError(f"--watch: invalid interval {raw!r} (expected seconds, e.g. 30)")
    return seconds


# Lines a watch frame uses besides the agent rows: heading (2 with --compare), four summary
# lines, the table's top border, two header lines, separator and bottom border, the "more"
# line and the footer.
_FRAME_LINES = 12


def watch_frame(
    report: service.PerformanceReport,
    chosen: tuple[str, ...] | None,
    seconds: float,
    console: Console,
) -> RenderableType:
    """One --watch frame: as many rows as the terminal holds, and the footer."""
    from agentctl.cli.performance_view import table_view

    spare = _FRAME_LINES + (1 if report.previous_window is not None else 0)
    footer = f"every {seconds:g} s · updated {datetime.now():%H:%M:%S} · Ctrl-C to stop"
    return table_view(report, chosen, max_rows=max(console.size.height - spare, 1), footer=footer)


def _watch(seconds: float, draw: Callable[[Console], RenderableType]) -> None:
    """Redraw in place every ``seconds`` until Ctrl-C, which ends the watch normally."""
    from rich.live import Live

    from agentctl.rendering import stdout_console

    console = stdout_console()
    try:
        with Live(draw(console), console=console, auto_refresh=False) as live:
            while True:
                time.sleep(seconds)
                live.update(draw(console), refresh=True)
    except KeyboardInterrupt:
        pass


def performance(
    ctx: typer.Context,
    range_: RangeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            help="Order rows by any output field, e.g. total_resolved or "
            "median_resolution_time_minutes (default: name).",
            show_default=False,
        ),
    ] = None,
    descending: Annotated[
        bool, typer.Option("--desc/--asc", help="Sort descending or ascending.")
    ] = False,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Show the change against the previous window of the same length.",
        ),
    ] = False,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            "-c",
            metavar="A,B,...",
            help="Table columns: output field names, comma-separated (default: a set that "
            "fits 120 columns; JSON and CSV always carry every field).",
            show_default=False,
        ),
    ] = None,
    watch: Annotated[
        str | None,
        typer.Option(
            "--watch",
            "-w",
            metavar="[SECONDS]",
            help="Redraw in place every SECONDS (default 30) until Ctrl-C.",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """Each active agent's tickets, resolution and response times, SLA and escalations."""
    from agentctl.cli.context import app_context
    from agentctl.cli.performance_view import table_view
    from agentctl.errors import UsageError
    from agentctl.rendering import OutputFormat, render, stdout_console
    from agentctl.services.window import resolve_window

    output = OutputFormat(fmt.value)
    interval = _parse_watch(watch)
    chosen = parse_columns(columns)
    if interval is not None and output is not OutputFormat.table:
        raise UsageError("--watch redraws a table; it cannot be used with --format json or csv")
    app = app_context(ctx)

    def fetch() -> service.PerformanceReport:
        window = resolve_window(range_, since, until, as_of)
        return _run(app, window, sort, descending, compare)

    report = fetch()  # bad options fail here, before any redraw
    if interval is not None:
        first = [report]
        seconds = interval
        _watch(
            seconds,
            lambda console: watch_frame(
                first.pop() if first else fetch(), chosen, seconds, console
            ),
        )
        return
    if output is OutputFormat.table:
        stdout_console().print(table_view(report, chosen))
        return
    render(report.rows(), _output_columns(compare), output)


def _run(
    app: AppContext, window: Window, sort: str | None, descending: bool, compare: bool
) -> service.PerformanceReport:
    from agentctl.services import performance as service

    with app.db.connect() as connection:  # Core: the report only selects
        return service.performance(
            connection, window, app.tenant, sort=sort, descending=descending, compare=compare
        )


class _WatchValueOptional(TyperCommand):
    """Lets ``--watch`` stand alone (meaning every 30 s) or take SECONDS."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        given: list[str] = []
        for i, arg in enumerate(args):
            if arg == "--":
                given.extend(args[i:])
                break
            given.append(arg)
            if arg in ("--watch", "-w"):
                following = args[i + 1] if i + 1 < len(args) else None
                if following is None or (following.startswith("-") and not _is_number(following)):
                    given.append(str(int(DEFAULT_WATCH_SECONDS)))
        return super().parse_args(ctx, given)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def register(app: typer.Typer) -> None:
    app.command("performance", cls=_WatchValueOptional)(performance)
