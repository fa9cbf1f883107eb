"""The performance aggregates: one grouped query per window, whatever the number of agents.

Every figure of DESIGN.md's "Metric definitions" is reduced here to sums and counts
(``sum of minutes`` and ``how many``, ``met`` and ``breached``…). The service layer turns
them into means and rates, so a desk-wide figure is a ratio of sums over all tickets,
never a mean of the agents' means. The trend (per day or week) is in
``agentctl.repository.trend``, built from the helpers here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    and_,
    case,
    func,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from agentctl.columns import Agent, Ticket  # Core: `performance` reads without the ORM
from agentctl.dbtypes import DONE_STATUSES
from agentctl.repository.common import core_connection, minutes_between, tenant_filter
from agentctl.repository.percentile import percentiles

if TYPE_CHECKING:
    # A session or a Core connection: these reads only execute statements.
    from agentctl.repository.common import Reader as Session


@dataclass(frozen=True)
class Totals:
    """The sums and counts one group of cohort tickets reduces to (additive)."""

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
    resolution_business_minutes: float = 0.0  # sum over tickets with the stored value
    resolution_business_count: int = 0
    first_response_business_minutes: float = 0.0
    first_response_business_count: int = 0
    first_response_met: int = 0
    first_response_breached: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            **{
                name: getattr(self, name) + getattr(other, name)
                for name in self.__dataclass_fields__
            }
        )


@dataclass(frozen=True)
class Percentiles:
    """Medians and 90th percentiles of a group's durations (not additive: each group's
    own, computed by the database)."""

    median_resolution: float | None = None
    p90_resolution: float | None = None
    median_first_response: float | None = None
    p90_first_response: float | None = None


@dataclass(frozen=True)
class AgentTotals:
    agent_id: uuid.UUID
    agent_name: str
    agent_email: str
    tenant_id: str | None
    totals: Totals
    percentiles: Percentiles = Percentiles()
    resolved_in_window: int = 0


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sla_met(due: Any = None, done_at: Any = None) -> ColumnElement[bool]:
    """Met: resolved_at <= sla_due_date (a ticket resolved exactly at its due time is met).

    With ``due``/``done_at`` the same rule for other columns (first response).
    """
    due = Ticket.sla_due_date if due is None else due
    done_at = Ticket.resolved_at if done_at is None else done_at
    return and_(due.is_not(None), done_at.is_not(None), done_at <= due)


def sla_breached(as_of: datetime, due: Any = None, done_at: Any = None) -> ColumnElement[bool]:
    """Breached: resolved after the due date, or unresolved and past it at ``as_of``.

    The one definition of a breach: ``performance``, the reports and ``sla-breaches`` use it
    (and, with ``due``/``done_at``, the first-response SLA).
    """
    due = Ticket.sla_due_date if due is None else due
    done_at = Ticket.resolved_at if done_at is None else done_at
    return and_(
        due.is_not(None),
        or_(
            and_(done_at.is_not(None), done_at > due),
            and_(done_at.is_(None), due < as_of),
        ),
    )


def cohort_source(key: Any, *conditions: ColumnElement[bool]) -> Any:
    """The cohort tickets with their durations, and the group ``key`` (None: one group)."""
    resolution = minutes_between(Ticket.resolved_at, Ticket.created_at)
    first_response = minutes_between(Ticket.first_response_at, Ticket.created_at)
    keys = [] if key is None else [key.label("key")]
    return (
        select(
            *keys,
            Ticket.id,
            Ticket.status,
            Ticket.escalation_level,
            Ticket.resolved_at,
            Ticket.first_response_at,
            Ticket.sla_due_date,
            Ticket.first_response_due_at,
            Ticket.resolution_business_minutes,
            Ticket.first_response_business_minutes,
            resolution.label("resolution"),
            first_response.label("first_response"),
        )
        .where(*conditions)
        .subquery("cohort_tickets")
    )


# How many aggregate columns total_columns gives: Totals' fields, then the two
# (median, p90) pairs that make Percentiles' fields.
_N_TOTALS = len(Totals.__dataclass_fields__)
_N_PERCENTILES = 2


def total_columns(src: Any, as_of: datetime) -> list[ColumnElement[Any]]:
    """The aggregate columns over a cohort_source, in the order of Totals' fields, then
    the (median, p90) pairs of the resolution and the first response (Percentiles')."""
    c = src.c
    met, breached = (
        sla_met(c.sla_due_date, c.resolved_at),
        sla_breached(as_of, c.sla_due_date, c.resolved_at),
    )
    first_due, first_at = c.first_response_due_at, c.first_response_at
    return [
        func.count(c.id).label("assigned"),
        _count_if(c.status.in_(DONE_STATUSES)).label("resolved"),
        _count_if(c.status == "open").label("open"),
        _count_if(c.status == "in_progress").label("in_progress"),
        _count_if(c.status == "waiting").label("waiting"),
        func.coalesce(func.sum(c.resolution), 0).label("resolution_minutes"),
        func.count(c.resolved_at).label("resolution_count"),
        func.coalesce(func.sum(c.first_response), 0).label("first_response_minutes"),
        func.count(c.first_response_at).label("first_response_count"),
        _count_if(met).label("sla_met"),
        _count_if(breached).label("sla_breached"),
        _count_if(c.escalation_level > 0).label("escalated"),
        func.coalesce(func.sum(c.resolution_business_minutes), 0).label("res_bm"),
        func.count(c.resolution_business_minutes).label("res_bm_n"),
        func.coalesce(func.sum(c.first_response_business_minutes), 0).label("fr_bm"),
        func.count(c.first_response_business_minutes).label("fr_bm_n"),
        _count_if(sla_met(first_due, first_at)).label("fr_met"),
        _count_if(sla_breached(as_of, first_due, first_at)).label("fr_breached"),
        percentiles(c.resolution).label("res_p"),
        percentiles(c.first_response).label("fr_p"),
    ]


def totals_of(row: Any, offset: int) -> Totals:
    """The Totals of a row whose total_columns start at column ``offset``."""
    values = tuple(row)[offset : offset + _N_TOTALS]
    kinds = Totals.__dataclass_fields__.values()
    numbers: dict[str, Any] = {
        f.name: (float(v or 0) if f.type in (float, "float") else int(v or 0))
        for f, v in zip(kinds, values, strict=True)
    }
    return Totals(**numbers)


def percentiles_of(row: Any, offset: int) -> Percentiles:
    """The Percentiles of a row whose total_columns start at column ``offset``."""
    pairs = tuple(row)[offset + _N_TOTALS : offset + _N_TOTALS + _N_PERCENTILES]
    return Percentiles(*(None if v is None else float(v) for pair in pairs for v in pair))


def cohort_window(
    since: datetime | None, until: datetime, tenant: str | None, created_at: Any = None
) -> ColumnElement[bool]:
    """Tickets whose created_at is in ``[since, until)``, in the tenant when one is set."""
    created_at = Ticket.created_at if created_at is None else created_at
    conditions = [created_at < until, tenant_filter(Ticket.tenant_id, tenant)]
    if since is not None:
        conditions.append(created_at >= since)
    return and_(*conditions)


def resolved_window(
    since: datetime | None, until: datetime, tenant: str | None
) -> ColumnElement[bool]:
    """Tickets whose resolved_at is in ``[since, until)`` (``resolved_in_window``)."""
    conditions = [Ticket.resolved_at < until, tenant_filter(Ticket.tenant_id, tenant)]
    if since is not None:
        conditions.append(Ticket.resolved_at >= since)
    return and_(*conditions)


class scanned(FunctionElement[Any]):
    """``scanned(column)``: the column, which SQLite may not use an index for (``+column``).

    Over the whole desk (``--range all``) every ticket is read anyway, and on SQLite a full
    scan of ``tickets`` beats walking the (assignee, created_at) index and then the table in
    the index's order (at 1,000,000 tickets: 7.1 s of CPU against 12.8 s, mostly page
    reads). PostgreSQL plans by its statistics and gets the plain column.
    """

    inherit_cache = True
    name = "scanned"

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(scanned)
def _scanned_default(element: scanned, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(scanned, "sqlite")
def _scanned_sqlite(element: scanned, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


def active_agent(tenant: str | None) -> ColumnElement[bool]:
    """The active agents, in the tenant when one is set."""
    return and_(Agent.is_active.is_(True), tenant_filter(Agent.tenant_id, tenant))


def resolved_counts(since: datetime | None, until: datetime, tenant: str | None) -> Any:
    """``resolved_in_window`` per assignee: a subquery of (agent_id, n).

    On SQLite no index serves resolved_at, so it scans tickets whatever the window rather
    than walk the assignee index and the table in its order; on PostgreSQL
    ix_tickets_resolved_at_covering (migration 0005) holds every column it reads, so it
    counts rows (count(*): the id is not in that index).
    """
    resolver = scanned(Ticket.assigned_to_user_id)
    return (
        select(resolver.label("agent_id"), func.count().label("n"))
        .where(resolver.is_not(None), resolved_window(since, until, tenant))
        .group_by(resolver)
        .subquery("resolved")
    )


def agent_rows(per_assignee: Any, resolved: Any, tenant: str | None) -> Any:
    """Every active agent with their cohort's aggregate columns (``per_assignee``: an
    agent_id column, then total_columns) and resolved count; zeros for no tickets."""
    sums = [
        func.coalesce(c, 0) if i < _N_TOTALS else c for i, c in enumerate(list(per_assignee.c)[1:])
    ]
    return (
        select(
            Agent.id,
            Agent.name,
            Agent.email,
            Agent.tenant_id,
            *sums,
            func.coalesce(resolved.c.n, 0),
        )
        .outerjoin(per_assignee, per_assignee.c.agent_id == Agent.id)
        .outerjoin(resolved, resolved.c.agent_id == Agent.id)
        .where(active_agent(tenant))
    )


def agent_totals_query(
    since: datetime | None, until: datetime, as_of: datetime, tenant: str | None
) -> CompoundSelect:
    """The one statement behind ``performance`` on SQLite: every active agent and their
    cohort, plus one desk row (null agent id) over the union of the active agents'
    cohorts (PostgreSQL's: ``agentctl.repository.performance_pg``).

    The cohort is aggregated per assignee first and then joined to the agents, so each
    ticket of the window is read once per branch; agents without tickets come out of the
    outer join with nulls, which ``totals_of`` reads as zeros. The desk row is its own
    aggregate because medians do not add up.
    """
    # --range all: no index on SQLite (see ``scanned``).
    column = scanned if since is None else (lambda c: c)
    assignee = column(Ticket.assigned_to_user_id)
    created_at = column(Ticket.created_at)
    cohort = cohort_source(
        assignee, assignee.is_not(None), cohort_window(since, until, tenant, created_at)
    )
    per_assignee = (
        select(cohort.c.key.label("agent_id"), *total_columns(cohort, as_of))
        .group_by(cohort.c.key)
        .subquery("cohort")
    )
    agents = agent_rows(per_assignee, resolved_counts(since, until, tenant), tenant)
    desk_cohort = cohort_source(
        None,
        Agent.id == assignee,
        active_agent(tenant),
        cohort_window(since, until, tenant, created_at),
    )
    # The desk's resolved_in_window is the sum of the agents' (each ticket has one
    # assignee, and the desk is the active agents): agent_totals adds it up rather than
    # read the resolved tickets a second time.
    desk = select(
        null(), null(), null(), null(), *total_columns(desk_cohort, as_of), null()
    ).select_from(desk_cohort)
    return union_all(agents, desk)


def agent_totals(
    session: Session,
    since: datetime | None,
    until: datetime,
    as_of: datetime,
    tenant: str | None,
) -> tuple[list[AgentTotals], AgentTotals]:
    """(totals per active agent over the window, the desk's), in one statement (on
    PostgreSQL over the whole desk, between two planner settings)."""
    agents: list[AgentTotals] = []
    desk: AgentTotals | None = None
    if core_connection(session).dialect.name == "postgresql":
        from agentctl.repository.performance_pg import agent_totals_rows

        rows = agent_totals_rows(session, since, until, as_of, tenant)
    else:
        rows = list(session.execute(agent_totals_query(since, until, as_of, tenant)))
    for row in rows:
        totals = AgentTotals(
            agent_id=row[0],
            agent_name=row[1],
            agent_email=row[2],
            tenant_id=row[3],
            totals=totals_of(row, 4),
            percentiles=percentiles_of(row, 4),
            resolved_in_window=int(row[-1] or 0),
        )
        if row[0] is None:
            desk = totals
        else:
            agents.append(totals)
    agents.sort(key=lambda a: (a.agent_name, a.agent_email, str(a.agent_id)))
    assert desk is not None  # the desk branch has no GROUP BY: always one row
    return agents, replace(desk, resolved_in_window=sum(a.resolved_in_window for a in agents))
