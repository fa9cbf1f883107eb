"""What a report is, whatever its format: figures, summary tables, a chart, detail rows.

The writers (``csv_json``, ``xlsx``, ``pdf``) know nothing of tickets or agents; they
lay out a ``Report``. Detail rows are a *stream* (``Report.rows()`` yields tuples in
``Report.fields`` order), so CSV and JSON write them one by one in constant memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar, Literal

from agentctl.services.window import Window
from agentctl.timeutil import isoformat

# Column kinds. The first five are the originals; the others say how people read a value:
# "count" (an integer that counts things), "minutes" / "hours" (a duration, shown as
# ``1d 11h 55m`` in documents and as an Excel duration in XLSX), "percent" (0-100, shown
# as ``87.5%``), "agent" (an agent's email: documents name the agent, see
# ``Report.agent_label``) and "id" (a machine identifier: PDF leaves it out, XLSX puts it
# last). CSV and JSON write every kind as before: numbers rounded to 2 decimals, text.
Kind = Literal[
    "text",
    "int",
    "float",
    "datetime",
    "bool",
    "count",
    "minutes",
    "hours",
    "percent",
    "agent",
    "id",
]
NUMERIC_KINDS = frozenset({"int", "float", "count", "minutes", "hours", "percent"})
COUNT_KINDS = frozenset({"int", "count"})
DURATION_KINDS = frozenset({"minutes", "hours"})
ChartKind = Literal["bar", "stacked"]


@dataclass(frozen=True)
class Field:
    """One column: its key (CSV header, JSON key), title, type and width in characters.

    ``in_pdf=False``: a column for analysts, left out of the PDF, whose page holds the
    columns a manager reads (CSV, JSON and XLSX carry every column)."""

    key: str
    title: str
    kind: Kind = "text"
    width: float = 12
    in_pdf: bool = True


def text(key: str, title: str, width: float = 14) -> Field:
    return Field(key, title, "text", width)


def integer(key: str, title: str, width: float = 9) -> Field:
    return Field(key, title, "int", width)


def number(key: str, title: str, width: float = 10) -> Field:
    return Field(key, title, "float", width)


def moment(key: str, title: str, width: float = 17) -> Field:
    return Field(key, title, "datetime", width)


def count(key: str, title: str, width: float = 9) -> Field:
    return Field(key, title, "count", width)


def minutes(key: str, title: str, width: float = 12) -> Field:
    """A duration in minutes (``1d 11h 55m`` in documents, ``[h]:mm`` in XLSX)."""
    return Field(key, title, "minutes", width)


def hours(key: str, title: str, width: float = 12) -> Field:
    """A duration in hours (documents and XLSX show it like ``minutes``)."""
    return Field(key, title, "hours", width)


def percent(key: str, title: str, width: float = 10) -> Field:
    """A rate from 0 to 100 (``87.5%``)."""
    return Field(key, title, "percent", width)


def agent(key: str, title: str, width: float = 26) -> Field:
    """An agent's email: documents show the agent's name (with the email where two agents
    share a name); CSV, JSON and XLSX cells keep the email."""
    return Field(key, title, "agent", width)


def identifier(key: str, title: str, width: float = 36) -> Field:
    """A machine identifier (UUID): PDF leaves it out, XLSX puts it last."""
    return Field(key, title, "id", width)


# How every report names the tickets and groups that have no agent.
UNASSIGNED = "(unassigned)"


def ticket_head() -> list[Field]:
    """The columns the ticket-per-row reports (aging, sla-breaches) start with."""
    return [
        text("ticket_number", "Ticket", 12),
        text("subject", "Subject", 40),
        text("status", "Status", 11),
        text("priority", "Priority", 9),
        text("category", "Category", 12),
        agent("agent_email", "Agent"),
        moment("created_at", "Created (UTC)"),
    ]


def not_in_pdf(field_: Field) -> Field:
    """``field_`` for CSV, JSON and XLSX only (see ``Field.in_pdf``)."""
    return replace(field_, in_pdf=False)


@dataclass(frozen=True)
class Figure:
    """A headline figure: ``key`` in JSON, ``label`` for people."""

    key: str
    label: str
    value: Any
    kind: Kind = "int"

    def display(self) -> str:
        return display_value(self.value, self.kind)


@dataclass
class Section:
    """A small table of the summary (per agent, per priority, the trend…)."""

    key: str
    title: str
    fields: Sequence[Field]
    rows: list[tuple[Any, ...]]
    own_sheet: bool = False  # XLSX: a sheet of its own (the performance trend)
    # A trend: the first column is the start of a "day" or "week" bucket. Documents name
    # the bucket (``28 Nov``) and mark the last one when the window ends inside it.
    period: Literal["day", "week"] | None = None

    def dicts(self) -> list[dict[str, Any]]:
        keys = [f.key for f in self.fields]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: one bar per label, the largest first, at most ``MAX_BARS``.

    ``kind="stacked"``: each bar is split into ``series`` (e.g. available, busy, away,
    offline minutes); ``parts`` holds each label's values in ``series`` order and ``bars``
    their totals. ``unit`` says how values read: "count" (integers), "minutes" (durations)
    or "percent". Labels that are agents' emails are shown by name (``Report.agent_label``).
    """

    title: str
    value_title: str
    bars: list[tuple[str, float]]
    kind: ChartKind = "bar"
    series: tuple[str, ...] = ()
    parts: list[tuple[str, tuple[float, ...]]] = field(default_factory=list)
    unit: Literal["count", "minutes", "percent"] = "count"

    MAX_BARS: ClassVar[int] = 30  # 500 agents do not fit one chart

    @classmethod
    def top(
        cls,
        title: str,
        value_title: str,
        bars: Iterable[tuple[str, Any]],
        *,
        unit: Literal["count", "minutes", "percent"] = "count",
    ) -> Chart:
        kept = [(label, float(value)) for label, value in bars if value is not None]
        kept.sort(key=lambda bar: (-bar[1], bar[0]))
        return cls(title, value_title, kept[: cls.MAX_BARS], unit=unit)

    @classmethod
    def stacked(
        cls,
        title: str,
        value_title: str,
        series: Sequence[str],
        parts: Iterable[tuple[str, Sequence[Any]]],
        *,
        unit: Literal["count", "minutes", "percent"] = "count",
    ) -> Chart:
        """A stacked bar per label; the largest totals first, at most ``MAX_BARS``."""
        kept = [
            (label, tuple(float(v or 0) for v in values))
            for label, values in parts
            if any(v for v in values)
        ]
        kept.sort(key=lambda part: (-sum(part[1]), part[0]))
        kept = kept[: cls.MAX_BARS]
        return cls(
            title,
            value_title,
            [(label, sum(values)) for label, values in kept],
            kind="stacked",
            series=tuple(series),
            parts=kept,
            unit=unit,
        )

    def segments(self) -> list[tuple[str, tuple[float, ...]]]:
        """Each bar's parts (a plain bar is one part)."""
        if self.kind == "stacked":
            return self.parts
        return [(label, (value,)) for label, value in self.bars]


@dataclass
class Summary:
    """What a report says about its rows: headline figures, summary tables, a chart, and
    how many rows ``Report.rows()`` yields."""

    figures: list[Figure]
    sections: list[Section]
    total_rows: int
    chart: Chart | None = None


@dataclass
class Report:
    report_type: str
    title: str
    window: Window
    tenant: str | None
    generated_at: datetime
    fields: Sequence[Field]
    rows: Callable[[], Iterator[tuple[Any, ...]]]
    # The summary, or what computes it on first use (issue 15: a CSV file alone never
    # reads it, so sla-breaches runs its statement only for a format or a delivery that
    # shows it). The function runs on the reader the report was built on: read
    # ``summary`` before that closes when it will be needed after (mail, webhooks).
    summary_source: Summary | Callable[[], Summary]
    parameters: dict[str, Any] = field(default_factory=dict)
    # PDF row cap: ``top_rows(n)`` yields the n rows the reader needs most (e.g. the
    # longest overdue), in the order to print them; None = the first n of ``rows()``.
    # ``top_rows_order`` says which rows those are, for the note on page 1.
    # ``capped=False``: one row per agent, never too many to print: the PDF lists all.
    top_rows: Callable[[int], Iterator[tuple[Any, ...]]] | None = None
    top_rows_order: str = "in order"
    capped: bool = True
    # CSV only (issue 15): the rows of ``rows()`` in batches (lists of rows), read with
    # timestamps as the database stores them (SQLite's text, psycopg's datetimes), which
    # the CSV writer turns into the same ISO text a column at a time. None:
    # ``rows()``. Replacing ``rows`` means dropping this (``_only_new`` does).
    csv_batches: Callable[[], Iterator[Sequence[Any]]] | None = None
    # Agents' display names by email (``agent_label``); filled by ``build_report``.
    agent_names: dict[str, str] = field(default_factory=dict)
    # Problems met while writing (e.g. glyphs the PDF font lacks): one line each, for
    # the CLI to print as ``warning:`` lines.
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def summary(self) -> Summary:
        source = self.summary_source
        return source if isinstance(source, Summary) else source()

    @property
    def figures(self) -> list[Figure]:
        return self.summary.figures

    @property
    def sections(self) -> list[Section]:
        return self.summary.sections

    @property
    def chart(self) -> Chart | None:
        return self.summary.chart

    @property
    def total_rows(self) -> int:
        """How many rows ``rows()`` yields (from the summary's counts)."""
        return self.summary.total_rows

    @property
    def known_total_rows(self) -> int | None:
        """``total_rows`` when the summary is at hand, else None (never computes it)."""
        if "summary" in self.__dict__ or isinstance(self.summary_source, Summary):
            return self.total_rows
        return None

    def agent_label(self, value: Any) -> str:
        """An agent's name for people (the email itself when the agent is unknown)."""
        text_ = "" if value is None else str(value)
        return self.agent_names.get(text_, text_)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def header_lines(self) -> list[tuple[str, str]]:
        """Window, tenant and generation time, as every format shows them."""
        return [
            ("Window", self.window.period()),
            ("Tenant", self.tenant if self.tenant is not None else "all tenants"),
            ("Generated", f"{self.generated_at:%Y-%m-%d %H:%M} UTC"),
        ]

    def summary_dict(self) -> dict[str, Any]:
        """The JSON ``summary``: the figures, then each section as a list of objects."""
        summary: dict[str, Any] = {f.key: f.value for f in self.figures}
        for section in self.sections:
            summary[section.key] = section.dicts()
        return summary


def partial_period(
    start: datetime, period: str, since: datetime | None, until: datetime
) -> str | None:
    """How much of a trend bucket the window covers, when not all of it: ``to 09:14``
    (the window ends inside the bucket), ``from 09:14`` (it starts inside), or
    ``from 09:14 to 17:00``; None for a whole bucket. A time on another day than the
    bucket's first carries its date (``to 2 Oct 09:14``), as in a weekly trend."""
    end = start + (timedelta(days=1) if period == "day" else timedelta(days=7))

    def moment_(at: datetime) -> str:
        return f"{at:%H:%M}" if at.date() == start.date() else f"{at.day} {at:%b %H:%M}"

    parts = []
    if since is not None and start < since < end:
        parts.append(f"from {moment_(since)}")
    if start < until < end:
        parts.append(f"to {moment_(until)}")
    return " ".join(parts) or None


def period_label(start: datetime, period: str, since: datetime | None, until: datetime) -> str:
    """``28 Nov`` or ``week of 23 Nov``, with ``(to 09:14)`` when the window ends inside
    the bucket (and ``(from 09:14)`` when it starts inside)."""
    label = f"{start.day} {start:%b}" if period == "day" else f"week of {start.day} {start:%b}"
    partial = partial_period(start, period, since, until)
    return label if partial is None else f"{label} ({partial})"


def agent_labels(agents: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Display names by email: the name, or ``name (email)`` where two agents share it."""
    named = [(email, name or email) for email, name in agents]
    seen: dict[str, int] = {}
    for _, name in named:
        seen[name.casefold()] = seen.get(name.casefold(), 0) + 1
    return {
        email: name if seen[name.casefold()] == 1 or name == email else f"{name} ({email})"
        for email, name in named
    }


def duration(minutes_: float) -> str:
    """Minutes for people: ``1d 11h 55m``, ``3h 5m``, ``42m`` (rounded to the minute)."""
    sign = "-" if minutes_ < 0 else ""
    total = round(abs(minutes_))
    days, rest = divmod(total, 1440)
    hours_, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days:,}d {hours_}h {mins}m"
    if hours_:
        return f"{sign}{hours_}h {mins}m"
    return f"{sign}{mins}m"


def percentage(value: float) -> str:
    """A rate for people: ``87.5%`` (one decimal, ``100%`` and ``0%`` without)."""
    text_ = f"{float(value):,.1f}"
    return (text_[:-2] if text_.endswith(".0") else text_) + "%"


def display_value(value: Any, kind: Kind) -> str:
    """A value for people (PDF, mail): durations, percentages, '-' for none."""
    if value is None:
        return "-"
    if kind == "minutes":
        return duration(float(value))
    if kind == "hours":
        return duration(float(value) * 60)
    if kind == "percent":
        return percentage(value)
    if kind == "float":
        return f"{float(value):,.2f}"
    if kind in COUNT_KINDS:
        return f"{int(value):,}"
    if kind == "datetime":
        return f"{value:%Y-%m-%d %H:%M}"
    if kind == "bool":
        return "yes" if value else "no"
    return str(value)


def plain_value(value: Any, kind: Kind) -> Any:
    """A value for CSV/JSON: ISO timestamps with offset, floats rounded to 2 decimals."""
    if value is None:
        return None
    if kind == "datetime":
        return isoformat(value)
    if kind in ("float", "minutes", "hours", "percent"):
        return round(float(value), 2)
    if kind in COUNT_KINDS:
        return int(value)
    if kind == "bool":
        return bool(value)
    return str(value)
