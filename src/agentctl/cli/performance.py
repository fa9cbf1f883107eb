"""`agentctl performance`: each active agent's metrics over a window."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from agentctl.cli.context import AppContext, FormatOption, app_context, lazy_module
from agentctl.cli.options import AsOfOption, RangeOption, SinceOption, UntilOption
from agentctl.errors import UsageError
from agentctl.rendering import Column, OutputFormat, build_table, render, stdout_console
from agentctl.timeutil import human_duration, isoformat

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

    from agentctl.services import performance as service
    from agentctl.services.window import Window
else:
    # Loaded when the command runs, so `performance --help` stays light.
    service = lazy_module("agentctl.services.performance")

DEFAULT_WATCH_SECONDS = 30.0

# Which way is better, for colouring --compare arrows (None: neither).
_BETTER_WHEN_HIGHER: dict[str, bool | None] = {
    "total_assigned": None,
    "total_resolved": True,
    "total_open": None,
    "total_in_progress": None,
    "total_waiting": None,
    "avg_resolution_time_minutes": False,
    "avg_first_response_time_minutes": False,
    "sla_compliance_rate": True,
    "escalation_rate": False,
}


def _count(value: Any) -> str:
    return f"{value:,}" if value is not None else "-"


def _minutes(value: Any) -> str:
    return human_duration(value)


def _rate(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}%"


_FORMATTERS: dict[str, Callable[[Any], str]] = {
    "total_assigned": _count,
    "total_resolved": _count,
    "total_open": _count,
    "total_in_progress": _count,
    "total_waiting": _count,
    "avg_resolution_time_minutes": _minutes,
    "avg_first_response_time_minutes": _minutes,
    "sla_compliance_rate": _rate,
    "escalation_rate": _rate,
}


def _delta(name: str, current: Any, previous: Any) -> Text:
    """``▲3``, ``▼1h 5m``, ``▲2.5pp`` or ``=``: the change against the previous window."""
    from rich.text import Text

    if current is None or previous is None:
        return Text("")
    change = current - previous
    if abs(change) < 0.005:
        return Text(" =", style="dim")
    arrow = "▲" if change > 0 else "▼"
    if name.startswith("avg_"):
        amount = human_duration(abs(change))
    elif name.endswith("_rate"):
        amount = f"{abs(change):.1f}pp"
    else:
        amount = f"{abs(change):,}"
    better = _BETTER_WHEN_HIGHER[name]
    style = "" if better is None else ("green" if (change > 0) == better else "red")
    return Text(f" {arrow}{amount}", style=style)


def _cell(name: str) -> Callable[[Any], RenderableType]:
    """A table cell for a metric; with --compare the value is a (current, previous) pair."""
    formatter = _FORMATTERS[name]

    def display(value: Any) -> RenderableType:
        from rich.text import Text

        if isinstance(value, tuple):
            current, previous = value
            return Text.assemble(Text(formatter(current)), _delta(name, current, previous))
        return Text(formatter(value), style="dim" if value in (None, 0) else "")

    return display


def _columns(compare: bool) -> list[Column]:
    headers = {
        "total_assigned": "assigned",
        "total_resolved": "resolved",
        "total_open": "open",
        "total_in_progress": "in progress",
        "total_waiting": "waiting",
        "avg_resolution_time_minutes": "avg resolution",
        "avg_first_response_time_minutes": "avg first response",
        "sla_compliance_rate": "SLA met",
        "escalation_rate": "escalated",
    }
    columns = [
        Column("agent_id", in_table=False),
        Column("agent_name", "agent"),
        Column("agent_email", "email"),
        *(Column(n, headers[n], display=_cell(n), justify="right") for n in service.METRIC_FIELDS),
    ]
    if compare:
        columns += [Column(f"{n}_previous", in_table=False) for n in service.METRIC_FIELDS]
    return columns


def _summary_line(report: service.PerformanceReport) -> Text:
    from rich.text import Text

    now = report.summary
    before = report.previous_summary
    figures = [
        ("active agents", "active_agents", _count),
        ("assigned", "total_assigned", _count),
        ("resolved", "total_resolved", _count),
        ("SLA compliance", "sla_compliance_rate", _rate),
        ("avg resolution", "avg_resolution_time_minutes", _minutes),
        ("avg first response", "avg_first_response_time_minutes", _minutes),
    ]
    line = Text()
    for i, (label, name, formatter) in enumerate(figures):
        if i:
            line.append("   ")
        value = getattr(now, name)
        line.append(f"{label} ")
        line.append(formatter(value), style="bold")
        if before is not None and name in _BETTER_WHEN_HIGHER:
            line.append_text(_delta(name, value, getattr(before, name)))
    return line


def _heading(report: service.PerformanceReport) -> Text:
    from rich.text import Text

    window = report.window
    text = Text(f"Performance, {window.label}: {window.describe()}", style="bold")
    if window.as_of != window.until:
        text.append(f" (as of {isoformat(window.as_of)})", style="")
    if report.previous_window is not None:
        text.append(f"\ncompared with {report.previous_window.describe()}", style="dim")
    return text


def _table_view(report: service.PerformanceReport) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    rows: list[dict[str, Any]] = []
    for agent in report.agents:
        row = agent.as_dict()
        before = report.previous_agents.get(agent.agent_id)
        if report.previous_window is not None:
            for name in service.METRIC_FIELDS:
                row[name] = (row[name], getattr(before, name) if before else None)
        rows.append(row)
    parts: list[RenderableType] = [_heading(report), _summary_line(report)]
    if rows:
        parts.append(build_table(rows, _columns(compare=False)))
    else:
        parts.append(Text("No active agents."))
    return Group(*parts)


def _parse_watch(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise UsageError(f"--watch: invalid interval {raw!r} (expected seconds, e.g. 30)")
    return seconds


def _watch(seconds: float, draw: Callable[[], RenderableType]) -> None:
    """Redraw in place every ``seconds`` until Ctrl-C, which ends the watch normally."""
    from rich.live import Live

    try:
        with Live(draw(), console=stdout_console(), auto_refresh=False) as live:
            while True:
                time.sleep(seconds)
                live.update(draw(), refresh=True)
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
            help="Order rows by a field: name or any metric field of --format json "
            "(default: name).",
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
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Each active agent's tickets, resolution and response times, SLA and escalations."""
    interval = _parse_watch(watch)
    if interval is not None and fmt is not OutputFormat.table:
        raise UsageError("--watch redraws a table; it cannot be used with --format json or csv")
    app = app_context(ctx)

    def fetch() -> service.PerformanceReport:
        from agentctl.services.window import resolve_window

        window = resolve_window(range_, since, until, as_of)
        return _run(app, window, sort, descending, compare)

    report = fetch()  # bad options fail here, before any redraw
    if interval is not None:
        first = [report]
        _watch(interval, lambda: _table_view(first.pop() if first else fetch()))
        return
    if fmt is OutputFormat.table:
        stdout_console().print(_table_view(report))
        return
    render(report.rows(), _columns(compare), fmt)


def _run(
    app: AppContext, window: Window, sort: str | None, descending: bool, compare: bool
) -> service.PerformanceReport:
    with app.db.session() as session:
        return service.performance(
            session, window, app.tenant, sort=sort, descending=descending, compare=compare
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
