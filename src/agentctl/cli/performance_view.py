"""The table view of `agentctl performance`: the heading, the summary lines and the table
(with --compare's arrows), fitted to the terminal's width.

Rich is imported inside the functions, and ``agentctl.cli.performance`` imports this module
inside its command: `agentctl performance --help` loads neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

    from agentctl.rendering import Column
    from agentctl.services import performance as service


def _count(value: Any) -> str:
    return f"{value:,}" if value is not None else "-"


def _minutes(value: Any) -> str:
    from agentctl.timeutil import human_duration

    return human_duration(value)


def _rate(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}%"


@dataclass(frozen=True)
class Metric:
    header: str
    formatter: Callable[[Any], str]
    better_when_higher: bool | None  # for colouring --compare arrows (None: neither)


# Every metric field of DESIGN.md, in output order, with how the table shows it.
METRICS: dict[str, Metric] = {
    "total_assigned": Metric("assigned", _count, None),
    "total_resolved": Metric("resolved", _count, True),
    "total_open": Metric("open", _count, None),
    "total_in_progress": Metric("in\nprogress", _count, None),
    "total_waiting": Metric("waiting", _count, None),
    "avg_resolution_time_minutes": Metric("avg\nresolution", _minutes, False),
    "avg_first_response_time_minutes": Metric("avg first\nresponse", _minutes, False),
    "sla_compliance_rate": Metric("SLA met", _rate, True),
    "escalation_rate": Metric("escalated", _rate, False),
    "median_resolution_time_minutes": Metric("median\nresolution", _minutes, False),
    "p90_resolution_time_minutes": Metric("p90\nresolution", _minutes, False),
    "median_first_response_time_minutes": Metric("median 1st\nresponse", _minutes, False),
    "p90_first_response_time_minutes": Metric("p90 1st\nresponse", _minutes, False),
    "avg_resolution_business_minutes": Metric("avg resol.\nbiz time", _minutes, False),
    "avg_first_response_business_minutes": Metric("avg 1st resp.\nbiz time", _minutes, False),
    "first_response_sla_rate": Metric("1st response\nSLA met", _rate, True),
    "resolved_in_window": Metric("resolved\nin window", _count, True),
}
IDENTITY = {"agent_name": "agent", "agent_email": "email"}
# What a lead needs first, readable at 120 columns; --columns picks any others.
DEFAULT_COLUMNS = (
    "agent_name",
    "total_assigned",
    "total_resolved",
    "resolved_in_window",
    "median_resolution_time_minutes",
    "p90_resolution_time_minutes",
    "median_first_response_time_minutes",
    "sla_compliance_rate",
    "first_response_sla_rate",
)
# On a narrower terminal the default columns are dropped in this order until the table fits.
DROP_FIRST = (
    "resolved_in_window",
    "median_first_response_time_minutes",
    "p90_resolution_time_minutes",
    "first_response_sla_rate",
    "total_resolved",
)


def _delta(name: str, current: Any, previous: Any) -> Text:
    """``▲3``, ``▼1h 5m``, ``▲2.5pp`` or ``=``: the change against the previous window."""
    from rich.text import Text

    if current is None or previous is None:
        return Text("")
    change = current - previous
    if abs(change) < 0.005:
        return Text(" =", style="dim")
    arrow = "▲" if change > 0 else "▼"
    metric = METRICS[name]
    if metric.formatter is _minutes:
        amount = _minutes(abs(change))
    elif metric.formatter is _rate:
        amount = f"{abs(change):.1f}pp"
    else:
        amount = f"{abs(change):,}"
    better = metric.better_when_higher
    style = "" if better is None else ("green" if (change > 0) == better else "red")
    return Text(f" {arrow}{amount}", style=style)


def _cell(name: str) -> Callable[[Any], RenderableType]:
    """A table cell for a metric; with --compare the value is a (current, previous) pair."""
    from rich.text import Text

    formatter = METRICS[name].formatter

    def display(value: Any) -> RenderableType:
        if isinstance(value, tuple):
            current, previous = value
            return Text.assemble(Text(formatter(current)), _delta(name, current, previous))
        return Text(formatter(value), style="dim" if value in (None, 0) else "")

    return display


def _table_columns(chosen: tuple[str, ...]) -> list[Column]:
    from agentctl.rendering import Column

    return [
        Column(n, IDENTITY[n])
        if n in IDENTITY
        else Column(n, METRICS[n].header, display=_cell(n), justify="right")
        for n in chosen
    ]


def _summary_lines(report: service.PerformanceReport) -> Text:
    from rich.text import Text

    now, before = report.summary, report.previous_summary
    rows = [
        [
            ("active agents", "active_agents", _count),
            ("assigned", "total_assigned", _count),
            ("resolved", "total_resolved", _count),
            ("resolved in window", "resolved_in_window", _count),
        ],
        [
            ("SLA compliance", "sla_compliance_rate", _rate),
            ("first response SLA", "first_response_sla_rate", _rate),
            ("escalated", "escalation_rate", _rate),
        ],
        [
            ("resolution: avg", "avg_resolution_time_minutes", _minutes),
            ("median", "median_resolution_time_minutes", _minutes),
            ("p90", "p90_resolution_time_minutes", _minutes),
            ("avg business time", "avg_resolution_business_minutes", _minutes),
        ],
        [
            ("first response: avg", "avg_first_response_time_minutes", _minutes),
            ("median", "median_first_response_time_minutes", _minutes),
            ("p90", "p90_first_response_time_minutes", _minutes),
            ("avg business time", "avg_first_response_business_minutes", _minutes),
        ],
    ]
    text = Text()
    for number, figures in enumerate(rows):
        if number:
            text.append("\n")
        for i, (label, name, formatter) in enumerate(figures):
            if i:
                text.append("   ")
            value = getattr(now, name)
            text.append(f"{label} ")
            text.append(formatter(value), style="bold")
            if before is not None and name in METRICS:
                text.append_text(_delta(name, value, getattr(before, name)))
    return text


def _heading(report: service.PerformanceReport) -> Text:
    from rich.text import Text

    window = report.window
    text = Text(f"Performance: {window.period()}", style="bold")
    if window.as_of != window.until:
        text.append(f" (as of {window.as_of:%Y-%m-%d %H:%M} UTC)", style="")
    if report.previous_window is not None:
        text.append(f"\ncompared with {report.previous_window.period()}", style="dim")
    return text


def _fitting_table(rows: list[dict[str, Any]], chosen: tuple[str, ...] | None) -> Any:
    """The table of the chosen columns; by default, as many as the terminal's width holds."""
    from rich.measure import Measurement

    from agentctl.rendering import build_table, stdout_console

    if chosen is not None:
        return build_table(rows, _table_columns(chosen))
    console = stdout_console()
    columns = _table_columns(DEFAULT_COLUMNS)
    dropping = list(DROP_FIRST)
    # A table is as wide as the table of each column's widest row: measuring those few
    # rows instead of every agent's (500 agents: 0.57 s → a few ms).
    widest, widths = _widest(rows, columns)
    while True:
        # Measured without the terminal's limit (Measurement clamps to it otherwise).
        options = console.options.update_width(10_000)
        width = Measurement.get(console, options, build_table(widest, columns)).maximum
        if width <= console.width or not dropping:
            break
        dropped = dropping.pop(0)
        columns = [c for c in columns if c.key != dropped]
    table = build_table(rows, columns)
    if width <= console.width:
        # It fits, so Rich would give each column its widest cell's width: say so, and
        # it does not measure every cell again when it prints (500 agents: 0.5 s less).
        for shown, column in zip(table.columns, columns, strict=True):
            shown.width = widths[column.key]
    return table


def _widest(
    rows: list[dict[str, Any]], columns: list[Any]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Each column's widest cell: the rows that hold them (the first such row, in the rows'
    order) and each column's width (its widest line, the header's included).

    Every table cell here is text (``str`` or ``Text``), whose widest measurement is its
    longest line, so a table of these rows measures as wide as the table of all of them.
    """
    from rich.cells import cell_len
    from rich.text import Text

    from agentctl.rendering import table_cell

    def longest_line(text: str) -> int:
        return max(cell_len(line) for line in text.split("\n"))

    picked: set[int] = set()
    widths: dict[str, int] = {}
    for column in columns:
        best, best_width = 0, -1
        for i, row in enumerate(rows):
            cell = table_cell(column, row.get(column.key))
            width = longest_line(cell.plain if isinstance(cell, Text) else str(cell))
            if width > best_width:
                best, best_width = i, width
        picked.add(best)
        widths[column.key] = max(best_width, longest_line(column.title))
    return [rows[i] for i in sorted(picked)], widths


def table_view(
    report: service.PerformanceReport,
    chosen: tuple[str, ...] | None,
    *,
    max_rows: int | None = None,
    footer: str | None = None,
) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    agents = report.agents
    hidden = 0
    if max_rows is not None and len(agents) > max_rows:
        hidden = len(agents) - max(max_rows, 1)
        agents = agents[: max(max_rows, 1)]
    rows: list[dict[str, Any]] = []
    for agent in agents:
        row = agent.as_dict()
        before = report.previous_agents.get(agent.agent_id)
        if report.previous_window is not None:
            for name in METRICS:
                row[name] = (row[name], getattr(before, name) if before else None)
        rows.append(row)
    parts: list[RenderableType] = [_heading(report), _summary_lines(report)]
    if rows:
        parts.append(_fitting_table(rows, chosen))
    else:
        parts.append(Text("No active agents."))
    if hidden:
        parts.append(Text(f"… and {hidden:,} more agents (a taller terminal shows more)"))
    if footer:
        parts.append(Text(footer, style="dim"))
    return Group(*parts)
