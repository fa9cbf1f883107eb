"""``percentile_cont`` on both engines, as one aggregate column of a grouped statement.

PostgreSQL has the ordered-set aggregate ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``.
SQLite has none, so every SQLite connection gets one Python aggregate per fraction
(``register_sqlite_percentiles``, called from the engine's "connect" hook in
``agentctl.database``): it collects the group's values, ignores NULLs, sorts them and
interpolates linearly between the two closest ranks around ``h = p * (n - 1)``:
``v[floor(h)] + (h - floor(h)) * (v[floor(h) + 1] - v[floor(h)])``, which is exactly
percentile_cont's definition; no values give NULL. Either way it is one aggregate column
in one statement, whatever the number of groups.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Float

# The fractions the SQLite aggregates exist for (one SQL function each).
FRACTIONS = (0.5, 0.9)


def sqlite_function_name(fraction: float) -> str:
    """``percentile_cont_50`` for 0.5: the SQLite aggregate of one fraction."""
    if fraction not in FRACTIONS:
        raise ValueError(f"no SQLite percentile aggregate for {fraction!r} (have {FRACTIONS})")
    return f"percentile_cont_{round(fraction * 100)}"


def percentile_cont(values: list[Any], fraction: float) -> float | None:
    """percentile_cont of ``values`` (NULLs ignored; none: None). Sorts ``values``."""
    present = [v for v in values if v is not None] if None in values else values
    present.sort()
    if not present:
        return None
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


_AGGREGATES = {sqlite_function_name(p): _aggregate_class(p) for p in FRACTIONS}


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
