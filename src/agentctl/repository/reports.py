"""The SQL of ``agentctl report``: open-work aging, workload, and the row streams.

The sla-breaches statements are in ``agentctl.repository.breaches`` (re-exported here).

Detail rows are *streamed*: ``stream_rows`` runs a statement with ``yield_per`` (a
server-side cursor on PostgreSQL, the lazily stepped cursor on SQLite), so a report over a
million tickets never holds more than one batch in memory. Summaries are grouped
aggregates, one statement each. The performance report reuses
``agentctl.repository.performance``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from agentctl.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Agent,
    AgentAvailability,
    Ticket,
    UTCDateTime,
)
from agentctl.repository.common import minutes_between, moment, tenant_filter
from agentctl.repository.performance import cohort_window
from agentctl.repository.streams import AnySelect, stream_rows

__all__ = ["AnySelect", "stream_rows"]  # aging's rows stream through them

if TYPE_CHECKING:
    pass

# Age buckets of DESIGN.md, lower bound inclusive: (label, minimum age).
AGE_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("<1d", timedelta(0)),
    ("1-3d", timedelta(days=1)),
    ("3-7d", timedelta(days=3)),
    ("7-30d", timedelta(days=7)),
    (">30d", timedelta(days=30)),
)


# --- aging -------------------------------------------------------------------------------


def _open_before(
    since: datetime | None, until: datetime, as_of: datetime, tenant: str | None
) -> ColumnElement[bool]:
    return and_(
        cohort_window(since, until, tenant),
        Ticket.created_at < as_of,
        Ticket.status.not_in(DONE_STATUSES),
    )


def _bucket_case(as_of: datetime) -> ColumnElement[str]:
    """The age bucket, by comparing created_at with as_of minus each bound: exact on both
    databases, where a float age would round a ticket exactly one day old either way."""
    whens = [
        (Ticket.created_at <= moment(as_of - bound), label)
        for label, bound in reversed(AGE_BUCKETS[1:])
    ]
    return case(*whens, else_=AGE_BUCKETS[0][0])


AGING_COLUMNS = (
    "ticket_number",
    "subject",
    "status",
    "priority",
    "category",
    "agent_email",
    "created_at",
    "age_hours",
    "age_bucket",
    "tenant_id",
)


def aging_rows_query(
    since: datetime | None, until: datetime, as_of: datetime, tenant: str | None
) -> AnySelect:
    """Open work created before as_of, oldest first (columns: AGING_COLUMNS)."""
    return (
        select(
            Ticket.ticket_number,
            Ticket.subject,
            Ticket.status,
            Ticket.priority,
            Ticket.category,
            Agent.email,
            Ticket.created_at,
            minutes_between(moment(as_of), Ticket.created_at) / 60.0,
            _bucket_case(as_of),
            Ticket.tenant_id,
        )
        .outerjoin(Agent, Agent.id == Ticket.assigned_to_user_id)
        .where(_open_before(since, until, as_of, tenant))
        .order_by(Ticket.created_at, Ticket.ticket_number, Ticket.id)
    )


@dataclass(frozen=True)
class AgingGroup:
    agent_email: str | None  # None = unassigned
    agent_name: str | None
    buckets: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


def aging_by_agent(
    session: Session, since: datetime | None, until: datetime, as_of: datetime, tenant: str | None
) -> list[AgingGroup]:
    """Open tickets per assignee (unassigned as None) and age bucket, most first."""
    bucket = _bucket_case(as_of)
    counts = [
        func.coalesce(func.sum(case((bucket == label, 1), else_=0)), 0).label(f"b{i}")
        for i, (label, _) in enumerate(AGE_BUCKETS)
    ]
    per_assignee = (
        select(Ticket.assigned_to_user_id.label("agent_id"), *counts)
        .where(_open_before(since, until, as_of, tenant))
        .group_by(Ticket.assigned_to_user_id)
        .subquery()
    )
    rows = session.execute(
        select(Agent.email, Agent.name, *list(per_assignee.c)[1:]).outerjoin(
            Agent, Agent.id == per_assignee.c.agent_id
        )
    )
    groups = [
        AgingGroup(
            r[0], r[1], {label: int(n) for (label, _), n in zip(AGE_BUCKETS, r[2:], strict=True)}
        )
        for r in rows
    ]
    return sorted(groups, key=lambda g: (-g.total, g.agent_email is None, g.agent_email or ""))


# --- workload ----------------------------------------------------------------------------


WORKLOAD_COLUMNS = (
    "agent_id",
    "agent_name",
    "agent_email",
    "status",
    "last_activity_at",
    "open",
    "in_progress",
    "waiting",
    "workload",
    "max_open_tickets",
    "oldest_open_ticket",
    "oldest_open_created_at",
    "tenant_id",
)


def workload_rows(
    session: Session, since: datetime | None, until: datetime, tenant: str | None
) -> list[tuple[Any, ...]]:
    """Every active agent, and every inactive one who still holds open work (status
    ``inactive``), with their open work and oldest open ticket (WORKLOAD_COLUMNS), in two
    grouped statements whatever the number of agents."""
    open_work = and_(
        Ticket.assigned_to_user_id.is_not(None),
        Ticket.status.in_(OPEN_STATUSES),
        cohort_window(since, until, tenant),
    )
    counts = (
        select(
            Ticket.assigned_to_user_id.label("agent_id"),
            *[func.sum(case((Ticket.status == s, 1), else_=0)).label(s) for s in OPEN_STATUSES],
        )
        .where(open_work)
        .group_by(Ticket.assigned_to_user_id)
        .subquery("counts")
    )
    ranked = (
        select(
            Ticket.assigned_to_user_id.label("agent_id"),
            Ticket.ticket_number,
            Ticket.created_at,
            func.row_number()
            .over(
                partition_by=Ticket.assigned_to_user_id,
                order_by=(Ticket.created_at, Ticket.ticket_number),
            )
            .label("rank"),
        )
        .where(open_work)
        .subquery("ranked")
    )
    oldest = aliased(ranked, name="oldest")
    # Inactive agents who still hold tickets stay listed, so no ticket drops from the totals.
    status = case((Agent.is_active.is_(True), AgentAvailability.status), else_="inactive")
    query = (
        select(
            Agent.id,
            Agent.name,
            Agent.email,
            status,
            AgentAvailability.last_activity_at,
            *[func.coalesce(counts.c[s], 0) for s in OPEN_STATUSES],
            Agent.max_open_tickets,
            oldest.c.ticket_number,
            oldest.c.created_at,
            Agent.tenant_id,
        )
        .outerjoin(AgentAvailability, AgentAvailability.user_id == Agent.id)
        .outerjoin(counts, counts.c.agent_id == Agent.id)
        .outerjoin(oldest, and_(oldest.c.agent_id == Agent.id, oldest.c.rank == 1))
        .where(
            or_(Agent.is_active.is_(True), counts.c.agent_id.is_not(None)),
            tenant_filter(Agent.tenant_id, tenant),
        )
        .order_by(Agent.name, Agent.email, Agent.id)
    )
    rows = []
    for r in session.execute(query):
        open_, in_progress, waiting = (int(n) for n in r[5:8])
        created = r[10]
        if isinstance(created, str):  # SQLite gives a subquery's timestamp back as text
            created = UTCDateTime().process_result_value(created, session.get_bind().dialect)
        rows.append(
            (
                *r[0:5],
                open_,
                in_progress,
                waiting,
                open_ + in_progress + waiting,
                r[8],
                r[9],
                created,
                r[11],
            )
        )
    return rows


def unassigned_open(
    session: Session, since: datetime | None, until: datetime, tenant: str | None
) -> int:
    """The unassigned backlog: open tickets with no assignee."""
    return int(
        session.scalar(
            select(func.count(Ticket.id)).where(
                Ticket.assigned_to_user_id.is_(None),
                Ticket.status.in_(OPEN_STATUSES),
                cohort_window(since, until, tenant),
            )
        )
        or 0
    )
