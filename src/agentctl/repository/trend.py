"""The performance trend: desk-wide totals per day or ISO week of the window.

The same cohort, sums and counts as ``agentctl.repository.performance`` (whose helpers
build the statements), grouped by the day or week a ticket was created in, so the trend
adds up to the summary. Where SQLite and PostgreSQL differ is the day or week of a
timestamp: ``day_start`` and ``week_start`` below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import String

from agentctl.columns import Agent, Ticket  # Core: `performance` reads without the ORM
from agentctl.repository.performance import (
    Percentiles,
    Totals,
    active_agent,
    cohort_source,
    cohort_window,
    percentiles_of,
    resolved_window,
    scanned,
    total_columns,
    totals_of,
)

if TYPE_CHECKING:
    # A session or a Core connection: these reads only execute statements.
    from agentctl.repository.common import Reader as Session

BucketSize = Literal["day", "week"]


@dataclass(frozen=True)
class BucketTotals:
    bucket_start: datetime  # midnight UTC of the day, or of the ISO week's Monday
    totals: Totals
    # A field: ruff cannot see from here that Percentiles is frozen (RUF009).
    percentiles: Percentiles = field(default_factory=Percentiles)
    resolved_in_window: int = 0  # tickets resolved in this day or week


class day_start(FunctionElement[str]):
    """The UTC day of a timestamp, as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True
    name = "day_start"


class week_start(FunctionElement[str]):
    """The Monday (UTC) of a timestamp's ISO week, as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True
    name = "week_start"


@compiles(day_start, "sqlite")
def _day_start_sqlite(element: day_start, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    # strftime('%w') is 0 for Sunday; step back to Monday.
    return (
        f"date({column}, '-' || ((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7) || ' days')"
    )


@compiles(day_start, "postgresql")
def _day_start_pg(element: day_start, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(week_start, "postgresql")
def _week_start_pg(element: week_start, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    # date_trunc('week') starts weeks on Monday, as ISO does.
    return f"to_char(date_trunc('week', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


def bucket_totals(
    session: Session,
    since: datetime | None,
    until: datetime,
    as_of: datetime,
    tenant: str | None,
    by: BucketSize,
) -> list[BucketTotals]:
    """Desk-wide totals per day or ISO week of created_at, in one grouped statement, and
    the tickets resolved per day or week of resolved_at, in a second one.

    The desk is the union of the active agents' cohorts (the same tickets ``performance``
    counts), so the trend adds up to the summary.
    """
    bucket_of = day_start if by == "day" else week_start
    # Without --tenant, SQLite scans tickets (see ``scanned``) rather than walk the
    # assignee index and the table in its order: the rows are grouped by day in a
    # temporary B-tree either way, and at 1,000,000 tickets a 30-day window is a third of
    # the table. With --tenant, (tenant_id, created_at) serves the window.
    created_at = scanned(Ticket.created_at) if tenant is None else Ticket.created_at
    cohort = cohort_source(
        bucket_of(Ticket.created_at),
        Agent.id == scanned(Ticket.assigned_to_user_id),
        active_agent(tenant),
        cohort_window(since, until, tenant, created_at),
    )
    query = (
        select(cohort.c.key, *total_columns(cohort, as_of))
        .group_by(cohort.c.key)
        .order_by(cohort.c.key)
    )
    resolved_bucket = bucket_of(Ticket.resolved_at).label("bucket")
    # No index serves resolved_at: scan tickets rather than walk the assignee index and
    # the table in its order (see ``scanned``; 1.8 s against 0.4 s at 1,000,000 tickets).
    resolved_query = (
        select(resolved_bucket, func.count(Ticket.id))
        .join(Agent, Agent.id == scanned(Ticket.assigned_to_user_id))
        .where(active_agent(tenant), resolved_window(since, until, tenant))
        .group_by(resolved_bucket)
    )

    def start_of(value: Any) -> datetime:
        day = date.fromisoformat(str(value)[:10])
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    resolved = {start_of(r[0]): int(r[1]) for r in session.execute(resolved_query)}
    result = []
    for row in session.execute(query):
        start = start_of(row[0])
        result.append(
            BucketTotals(
                bucket_start=start,
                totals=totals_of(row, 1),
                percentiles=percentiles_of(row, 1),
                resolved_in_window=resolved.pop(start, 0),
            )
        )
    # Days or weeks in which tickets were resolved but none was created.
    result += [BucketTotals(start, Totals(), Percentiles(), n) for start, n in resolved.items()]
    return sorted(result, key=lambda b: b.bucket_start)
