"""The performance aggregates: one grouped query per window, whatever the number of agents.

Every figure of DESIGN.md's "Metric definitions" is reduced here to sums and counts
(``sum of minutes`` and ``how many``, ``met`` and ``breached``…). The service layer turns
them into means and rates, so a desk-wide figure is a ratio of sums over all tickets,
never a mean of the agents' means.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import String

from agentctl.models import DONE_STATUSES, Agent, Ticket
from agentctl.repository.common import minutes_between, tenant_filter

BucketSize = Literal["day", "week"]


@dataclass(frozen=True)
class Totals:
    """The sums and counts one group of cohort tickets reduces to."""

    assigned: int = 0
    resolved: int = 0
    open: int = 0
    in_progress: int = 0
    waiting: int = 0
    resolution_minutes: float = 0.0  # sum over tickets with resolved_at
    resolution_count: int = 0
    first_response_minutes: float = 0.0  # sum over tickets with first_response_at
    first_response_count: int = 0
    sla_met: int = 0
    sla_breached: int = 0
    escalated: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            **{
                name: getattr(self, name) + getattr(other, name)
                for name in self.__dataclass_fields__
            }
        )


@dataclass(frozen=True)
class AgentTotals:
    agent_id: uuid.UUID
    agent_name: str
    agent_email: str
    tenant_id: str | None
    totals: Totals


@dataclass(frozen=True)
class BucketTotals:
    bucket_start: datetime  # midnight UTC of the day, or of the ISO week's Monday
    totals: Totals


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sla_met() -> ColumnElement[bool]:
    """Met: resolved_at <= sla_due_date (a ticket resolved exactly at its due time is met)."""
    due, resolved_at = Ticket.sla_due_date, Ticket.resolved_at
    return and_(due.is_not(None), resolved_at.is_not(None), resolved_at <= due)


def sla_breached(as_of: datetime) -> ColumnElement[bool]:
    """Breached: resolved after the due date, or unresolved and past it at ``as_of``.

    The one definition of a breach: ``performance``, the reports and ``sla-breaches`` use it.
    """
    due, resolved_at = Ticket.sla_due_date, Ticket.resolved_at
    return and_(
        due.is_not(None),
        or_(
            and_(resolved_at.is_not(None), resolved_at > due),
            and_(resolved_at.is_(None), due < as_of),
        ),
    )


def _total_columns(as_of: datetime) -> list[ColumnElement[Any]]:
    """The aggregate columns, in the order of Totals' fields."""
    resolved_at = Ticket.resolved_at
    met, breached = sla_met(), sla_breached(as_of)
    return [
        func.count(Ticket.id).label("assigned"),
        _count_if(Ticket.status.in_(DONE_STATUSES)).label("resolved"),
        _count_if(Ticket.status == "open").label("open"),
        _count_if(Ticket.status == "in_progress").label("in_progress"),
        _count_if(Ticket.status == "waiting").label("waiting"),
        func.coalesce(func.sum(minutes_between(resolved_at, Ticket.created_at)), 0).label(
            "resolution_minutes"
        ),
        func.count(resolved_at).label("resolution_count"),
        func.coalesce(
            func.sum(minutes_between(Ticket.first_response_at, Ticket.created_at)), 0
        ).label("first_response_minutes"),
        func.count(Ticket.first_response_at).label("first_response_count"),
        _count_if(met).label("sla_met"),
        _count_if(breached).label("sla_breached"),
        _count_if(Ticket.escalation_level > 0).label("escalated"),
    ]


def _totals(row: Any, offset: int) -> Totals:
    values = tuple(row)[offset : offset + len(Totals.__dataclass_fields__)]
    (assigned, resolved, open_, in_progress, waiting, res_sum, res_n, fr_sum, fr_n) = values[:9]
    met, breached, escalated = values[9:]
    return Totals(
        assigned=int(assigned),
        resolved=int(resolved),
        open=int(open_),
        in_progress=int(in_progress),
        waiting=int(waiting),
        resolution_minutes=float(res_sum),
        resolution_count=int(res_n),
        first_response_minutes=float(fr_sum),
        first_response_count=int(fr_n),
        sla_met=int(met),
        sla_breached=int(breached),
        escalated=int(escalated),
    )


def cohort_window(
    since: datetime | None, until: datetime, tenant: str | None
) -> ColumnElement[bool]:
    """Tickets whose created_at is in ``[since, until)``, in the tenant when one is set."""
    conditions = [Ticket.created_at < until, tenant_filter(Ticket.tenant_id, tenant)]
    if since is not None:
        conditions.append(Ticket.created_at >= since)
    return and_(*conditions)


def agent_totals_query(
    since: datetime | None, until: datetime, as_of: datetime, tenant: str | None
) -> Select[*tuple[Any, ...]]:
    """The one statement behind ``performance``: every active agent and their cohort.

    The cohort is aggregated per assignee first and then joined to the agents, so each
    ticket of the window is read once; agents without tickets come out of the outer join
    with nulls, which ``_totals`` reads as zeros.
    """
    per_assignee = (
        select(Ticket.assigned_to_user_id.label("agent_id"), *_total_columns(as_of))
        .where(Ticket.assigned_to_user_id.is_not(None), cohort_window(since, until, tenant))
        .group_by(Ticket.assigned_to_user_id)
        .subquery("cohort")
    )
    sums = [func.coalesce(c, 0) for c in list(per_assignee.c)[1:]]
    return (
        select(Agent.id, Agent.name, Agent.email, Agent.tenant_id, *sums)
        .outerjoin(per_assignee, per_assignee.c.agent_id == Agent.id)
        .where(Agent.is_active.is_(True), tenant_filter(Agent.tenant_id, tenant))
        .order_by(Agent.name, Agent.email, Agent.id)
    )


def agent_totals(
    session: Session,
    since: datetime | None,
    until: datetime,
    as_of: datetime,
    tenant: str | None,
) -> list[AgentTotals]:
    """Totals per active agent over the window, in one statement."""
    rows = session.execute(agent_totals_query(since, until, as_of, tenant))
    return [
        AgentTotals(
            agent_id=row[0],
            agent_name=row[1],
            agent_email=row[2],
            tenant_id=row[3],
            totals=_totals(row, 4),
        )
        for row in rows
    ]


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
    """Desk-wide totals per day or ISO week of created_at, in one grouped statement.

    The desk is the union of the active agents' cohorts (the same tickets ``performance``
    counts), so the trend adds up to the summary.
    """
    bucket = (day_start if by == "day" else week_start)(Ticket.created_at).label("bucket")
    query = (
        select(bucket, *_total_columns(as_of))
        .join(Agent, Agent.id == Ticket.assigned_to_user_id)
        .where(
            Agent.is_active.is_(True),
            tenant_filter(Agent.tenant_id, tenant),
            cohort_window(since, until, tenant),
        )
        .group_by(bucket)
        .order_by(bucket)
    )
    result = []
    for row in session.execute(query):
        day = date.fromisoformat(str(row[0])[:10])
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        result.append(BucketTotals(bucket_start=start, totals=_totals(row, 1)))
    return result
