"""``percentile_cont`` on both engines, inside one grouped statement.

PostgreSQL has the ordered-set aggregate ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``.
SQLite has none, so the grouped query reads from a subquery that numbers each group's
values with window functions (``rank_in_group``: 0, 1, ... in ascending order, nulls
last; ``count_in_group``: how many are not null), and the aggregate picks the two values
around the position ``h = p * (n - 1)`` and interpolates between them:
``v[floor(h)] + (h - floor(h)) * (v[floor(h) + 1] - v[floor(h)])``, which is exactly
percentile_cont's linear interpolation between closest ranks. On PostgreSQL the two window
columns compile to NULL, so they cost nothing there. Either way it is one statement,
whatever the number of groups.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Float, Integer


class rank_in_group(FunctionElement[int]):
    """``rank_in_group(group_key, value)``: the value's 0-based rank in its group (SQLite)."""

    type = Integer()
    inherit_cache = True
    name = "rank_in_group"


class count_in_group(FunctionElement[int]):
    """``count_in_group(group_key, value)``: the group's non-null values (SQLite)."""

    type = Integer()
    inherit_cache = True
    name = "count_in_group"


class percentile_of(FunctionElement[float]):
    """``percentile_of(value, rank, count, p)``: the aggregate (p is a float literal)."""

    type = Float()
    inherit_cache = True
    name = "percentile_of"


def percentile(
    fraction: float, value: ColumnElement[Any], rank: ColumnElement[Any], count: ColumnElement[Any]
) -> percentile_of:
    return percentile_of(value, rank, count, fraction)


@compiles(rank_in_group, "sqlite")
def _rank_sqlite(element: rank_in_group, compiler: Any, **kw: Any) -> str:
    key, value = (compiler.process(c, **kw) for c in element.clauses)
    return f"(row_number() OVER (PARTITION BY {key} ORDER BY ({value}) IS NULL, {value}) - 1)"


@compiles(count_in_group, "sqlite")
def _count_sqlite(element: count_in_group, compiler: Any, **kw: Any) -> str:
    key, value = (compiler.process(c, **kw) for c in element.clauses)
    return f"count({value}) OVER (PARTITION BY {key})"


@compiles(rank_in_group, "postgresql")
@compiles(count_in_group, "postgresql")
def _window_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return "CAST(NULL AS INTEGER)"


def _fraction(element: percentile_of) -> float:
    fraction = list(element.clauses)[3].value
    return float(fraction)


@compiles(percentile_of, "sqlite")
def _percentile_sqlite(element: percentile_of, compiler: Any, **kw: Any) -> str:
    clauses = list(element.clauses)
    value, rank, count = (compiler.process(c, **kw) for c in clauses[:3])
    p = repr(_fraction(element))
    # Per row (the count is the same on every row of a group), then over the group.
    row_lo = f"CAST({p} * ({count} - 1) AS INTEGER)"
    low = f"max(CASE WHEN {rank} = {row_lo} THEN {value} END)"
    high = f"max(CASE WHEN {rank} = {row_lo} + 1 THEN {value} END)"
    h = f"({p} * (max({count}) - 1))"
    return f"({low} + ({h} - CAST({h} AS INTEGER)) * (coalesce({high}, {low}) - {low}))"


@compiles(percentile_of, "postgresql")
def _percentile_pg(element: percentile_of, compiler: Any, **kw: Any) -> str:
    value = compiler.process(next(iter(element.clauses)), **kw)
    return f"percentile_cont({_fraction(element)!r}) WITHIN GROUP (ORDER BY {value})"
