"""What a report is, whatever its format: figures, summary tables, a chart, detail rows.

The writers (``csv_json``, ``xlsx``, ``pdf``) know nothing of tickets or agents; they
lay out a ``Report``. Detail rows are a *stream* (``Report.rows()`` yields tuples in
``Report.fields`` order), so CSV and JSON write them one by one in constant memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from agentctl.services.window import Window
from agentctl.timeutil import isoformat

Kind = Literal["text", "int", "float", "datetime", "bool"]


@dataclass(frozen=True)
class Field:
    """One column: its key (CSV header, JSON key), title, type and width in characters."""

    key: str
    title: str
    kind: Kind = "text"
    width: float = 12


def text(key: str, title: str, width: float = 14) -> Field:
    return Field(key, title, "text", width)


def integer(key: str, title: str, width: float = 9) -> Field:
    return Field(key, title, "int", width)


def number(key: str, title: str, width: float = 10) -> Field:
    return Field(key, title, "float", width)


def moment(key: str, title: str, width: float = 17) -> Field:
    return Field(key, title, "datetime", width)


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

    def dicts(self) -> list[dict[str, Any]]:
        keys = [f.key for f in self.fields]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Chart:
    """A bar chart: one bar per label (the largest values first, at most ``MAX_BARS``)."""

    title: str
    value_title: str
    bars: list[tuple[str, float]]
    # Stacked bars (availability): one name per segment, and each bar's segments in
    # ``bars`` order (``bars`` then carries each bar's total). Empty: plain bars.
    series: tuple[str, ...] = ()
    stacks: tuple[tuple[float, ...], ...] = ()

    MAX_BARS: ClassVar[int] = 30  # 500 agents do not fit one chart

    @classmethod
    def top(cls, title: str, value_title: str, bars: Iterable[tuple[str, Any]]) -> Chart:
        kept = [(label, float(value)) for label, value in bars if value is not None]
        kept.sort(key=lambda bar: (-bar[1], bar[0]))
        return cls(title, value_title, kept[: cls.MAX_BARS])

    @classmethod
    def stacked(
        cls,
        title: str,
        value_title: str,
        series: Sequence[str],
        bars: Iterable[tuple[str, Sequence[float]]],
    ) -> Chart:
        """Stacked bars, the largest first segment first (at most ``MAX_BARS``)."""
        kept = sorted(bars, key=lambda bar: (-bar[1][0], bar[0]))[: cls.MAX_BARS]
        return cls(
            title,
            value_title,
            [(label, float(sum(parts))) for label, parts in kept],
            tuple(series),
            tuple(tuple(float(p) for p in parts) for _, parts in kept),
        )


@dataclass
class Report:
    report_type: str
    title: str
    window: Window
    tenant: str | None
    generated_at: datetime
    figures: list[Figure]
    sections: list[Section]
    fields: Sequence[Field]
    rows: Callable[[], Iterator[tuple[Any, ...]]]
    total_rows: int  # how many rows ``rows()`` yields (from the summary's counts)
    chart: Chart | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def header_lines(self) -> list[tuple[str, str]]:
        """Window, tenant and generation time, as every format shows them."""
        return [
            ("Window", describe_window(self.window)),
            ("Tenant", self.tenant if self.tenant is not None else "all tenants"),
            ("Generated", f"{self.generated_at:%Y-%m-%d %H:%M} UTC"),
        ]

    def summary_dict(self) -> dict[str, Any]:
        """The JSON ``summary``: the figures, then each section as a list of objects."""
        summary: dict[str, Any] = {f.key: f.value for f in self.figures}
        for section in self.sections:
            summary[section.key] = section.dicts()
        return summary


def describe_window(window: Window) -> str:
    def short(moment_: datetime) -> str:
        return f"{moment_:%Y-%m-%d %H:%M}"

    since = short(window.since) if window.since is not None else "the beginning"
    label = f" ({window.label})" if window.label != "custom" else ""
    return f"{since} to {short(window.until)} UTC{label}"


def display_value(value: Any, kind: Kind) -> str:
    """A value for people (PDF, mail): rates and minutes with 2 decimals, '-' for none."""
    if value is None:
        return "-"
    if kind == "float":
        return f"{float(value):,.2f}"
    if kind == "int":
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
    if kind == "float":
        return round(float(value), 2)
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return str(value)
