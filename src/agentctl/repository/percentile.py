"""``percentile_cont`` on both engines, as one aggregate column of a grouped statement.

PostgreSQL has the ordered-set aggregate ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``.
SQLite has none, so every SQLite connection gets one Python aggregate per fraction
(``register_sqlite_percentiles``, called from the engine's "connect" hook in
``agentctl.database``): it collects the group's values, ignores NULLs, sorts them and
interpolates linearly between the two closest ranks around ``h = p * (n - 1)``:
``v[floor(h)] + (h - floor(h)) * (v[floor(h) + 1] - v[floor(h)])``, which is exactly
percentile_cont's definition; no values give NULL. Either way it is one aggregate column
in one statement, whatever the number of groups.

``percentiles(value)`` is the median and the 90th percentile of one value in one
aggregate column: one sort of the group's values (PostgreSQL's
``percentile_cont(ARRAY[0.5, 0.9])``), and on SQLite half the Python calls a row of two
single-fraction aggregates (each row's value handed to Python once, not twice: at
1,000,000 tickets the calls were most of the percentiles' cost). SQLite's aggregate gives
the pair as text, ``repr`` of each float (which reads back exactly); the column's type
reads either engine's value as a ``(p50, p90)`` tuple.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Float, String, TypeDecorator

# The fractions the SQLite aggregates exist for (one SQL function each).
FRACTIONS = (0.5, 0.9)


def sqlite_function_name(fraction: float) -> str:
    """``percentile_cont_50`` for 0.5: the SQLite aggregate of one fraction."""
    if fraction not in FRACTIONS:
        raise ValueError(f"no SQLite percentile aggregate for {fraction!r} (have {FRACTIONS})")
    return f"percentile_cont_{round(fraction * 100)}"


def _sorted_present(values: list[Any]) -> list[Any]:
    """``values`` without NULLs, sorted (in place when there were none)."""
    present = [v for v in values if v is not None] if None in values else values
    present.sort()
    return present


def percentile_cont(values: list[Any], fraction: float) -> float | None:
    """percentile_cont of ``values`` (NULLs ignored; none: None). Sorts ``values``."""
    present = _sorted_present(values)
    if not present:
        return None
    return _interpolate(present, fraction)


def _interpolate(present: list[Any], fraction: float) -> float:
    """percentile_cont of sorted, non-empty ``present``."""
    h = fraction * (len(present) - 1)
    low = math.floor(h)
    below = present[low]
    if low + 1 >= len(present):
        return float(below)
    return float(below + (h - low) * (present[low + 1] - below))


def _aggregate_class(fraction: float) -> type:
    class PercentileCont:
        """One group's values; ``step`` is the list's own append (no Python frame a row)."""

        __slots__ = ("step", "values")

        def __init__(self) -> None:
            self.values: list[Any] = []
            self.step = self.values.append

        def finalize(self) -> float | None:
            return percentile_cont(self.values, fraction)

    PercentileCont.__name__ = sqlite_function_name(fraction)
    return PercentileCont


class PercentileCont5090:
    """``percentile_cont_50_90``: one group's median and 90th percentile, as the text
    ``"<p50> <p90>"`` (each float's repr), or NULL when the group has no values."""

    __slots__ = ("step", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.step = self.values.append

    def finalize(self) -> str | None:
        present = _sorted_present(self.values)  # one sort for both fractions
        if not present:
            return None
        return f"{_interpolate(present, 0.5)!r} {_interpolate(present, 0.9)!r}"


PAIR_FUNCTION = "percentile_cont_50_90"

_AGGREGATES: dict[str, type] = {
    **{sqlite_function_name(p): _aggregate_class(p) for p in FRACTIONS},
    PAIR_FUNCTION: PercentileCont5090,
}


def register_sqlite_percentiles(dbapi_connection: Any) -> None:
    """Register ``percentile_cont_50`` and ``percentile_cont_90`` on a sqlite3 connection."""
    for name, aggregate in _AGGREGATES.items():
        dbapi_connection.create_aggregate(name, 1, aggregate)


class percentile_of(FunctionElement[float]):
    """``percentile_of(value, p)``: the aggregate (p is a float literal)."""

    type = Float()
    inherit_cache = True
    name = "percentile_of"


def percentile(fraction: float, value: ColumnElement[Any]) -> percentile_of:
    return percentile_of(value, fraction)


def _parts(element: percentile_of, compiler: Any, **kw: Any) -> tuple[str, float]:
    value, fraction = list(element.clauses)
    return compiler.process(value, **kw), float(fraction.value)


@compiles(percentile_of, "sqlite")
def _percentile_sqlite(element: percentile_of, compiler: Any, **kw: Any) -> str:
    value, fraction = _parts(element, compiler, **kw)
    return f"{sqlite_function_name(fraction)}({value})"


@compiles(percentile_of, "postgresql")
def _percentile_pg(element: percentile_of, compiler: Any, **kw: Any) -> str:
    value, fraction = _parts(element, compiler, **kw)
    return f"percentile_cont({fraction!r}) WITHIN GROUP (ORDER BY {value})"


class PercentilePair(TypeDecorator[tuple[float | None, float | None]]):
    """A ``(p50, p90)`` column: SQLite's text pair or PostgreSQL's float8[] (NULL: two
    Nones)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        raise TypeError("a percentile pair is a result column only")

    def process_result_value(
        self, value: Any, dialect: Dialect
    ) -> tuple[float | None, float | None]:
        if value is None:
            return None, None
        if isinstance(value, str):
            p50, p90 = value.split(" ")
            return float(p50), float(p90)
        p50, p90 = value
        return (None if p50 is None else float(p50)), (None if p90 is None else float(p90))


class percentiles(FunctionElement[tuple[float | None, float | None]]):
    """``percentiles(value)``: the (median, 90th percentile) pair of ``value``."""

    type = PercentilePair()
    inherit_cache = True
    name = "percentiles"


@compiles(percentiles, "sqlite")
def _percentiles_sqlite(element: percentiles, compiler: Any, **kw: Any) -> str:
    return f"{PAIR_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(percentiles, "postgresql")
def _percentiles_pg(element: percentiles, compiler: Any, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    fractions = ", ".join(repr(p) for p in FRACTIONS)
    return f"percentile_cont(ARRAY[{fractions}]::float8[]) WITHIN GROUP (ORDER BY {value})"
