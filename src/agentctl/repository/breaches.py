"""The SQL of ``report sla-breaches``: the breached tickets and their summary.

Written on the Core tables (``agentctl.columns``), so the report's reads need no ORM.
The rows are streamed (``stream_batches`` in ``agentctl.repository.streams``); the
summary is one statement (issue 15).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, literal, null, select, union_all

from agentctl.columns import Agent, Ticket  # Core: no ORM on this path
from agentctl.repository.common import minutes_between, moment, tenant_filter
from agentctl.repository.performance import cohort_window, scanned, sla_breached, sla_met

if TYPE_CHECKING:
    from agentctl.repository.common import Reader as Session
    from agentctl.repository.streams import AnySelect

PRIORITY_ORDER = ("urgent", "high", "normal", "low")


def minutes_over(as_of: datetime) -> ColumnElement[float]:
    """(resolved_at, or as_of when unresolved) minus sla_due_date, in minutes."""
    return minutes_between(func.coalesce(Ticket.resolved_at, moment(as_of)), Ticket.sla_due_date)


BREACH_COLUMNS = (
    "ticket_number",
    "subject",
    "status",
    "priority",
    "category",
    "agent_email",
    "created_at",
    "sla_due_date",
    "resolved_at",
    "minutes_over",
    "tenant_id",
)


def breach_rows_query(
    since: datetime | None,
    until: datetime,
    as_of: datetime,
    tenant: str | None,
    *,
    worst_first: bool = False,
) -> AnySelect:
    """Every breached ticket of the window, oldest first (columns: BREACH_COLUMNS);
    ``worst_first``: the longest overdue first (what a capped PDF keeps).

    Read as DB-API rows (``streams.stream_batches``, the CSV writer), the timestamps are
    as the database stores them: SQLite's text, psycopg's aware datetimes. Turning
    SQLite's text into ISO text in SQL cost more than the writer's one pass per column
    (at 1,000,000 tickets, 0.65 s of CPU for the statement against about 0.3 s).
    """
    order: tuple[Any, ...] = (Ticket.created_at, Ticket.ticket_number, Ticket.id)
    if worst_first:
        order = (minutes_over(as_of).desc(), *order)

    # --range all reads every ticket: a full scan on SQLite, not a skip-scan of the
    # (assignee, created_at) index and the table in its order (see performance.scanned:
    # at 1,000,000 tickets 0.9 s of CPU against 3.5 s).
    created_at = scanned(Ticket.created_at) if since is None else Ticket.created_at

    return (
        select(
            Ticket.ticket_number,
            Ticket.subject,
            Ticket.status,
            Ticket.priority,
            Ticket.category,
            Agent.email,
            Ticket.created_at,
            Ticket.sla_due_date,
            Ticket.resolved_at,
            minutes_over(as_of),
            Ticket.tenant_id,
        )
        .outerjoin(Agent, Agent.id == Ticket.assigned_to_user_id)
        .where(cohort_window(since, until, tenant, created_at), sla_breached(as_of))
        .order_by(*order)
    )


@dataclass(frozen=True)
class BreachGroup:
    key: str | None  # agent email or priority; None = unassigned
    name: str | None
    breaches: int
    minutes_over_sum: float
    minutes_over_max: float | None


@dataclass(frozen=True)
class BreachSummary:
    """The sla-breaches summary: breaches per agent and per priority, and the desk's SLA
    met/breached counts over the active agents' cohort (``performance``'s definition)."""

    by_agent: list[BreachGroup]
    by_priority: list[BreachGroup]
    sla_met: int
    sla_breached: int


def breach_summary(
    session: Session, since: datetime | None, until: datetime, as_of: datetime, tenant: str | None
) -> BreachSummary:
    """The whole sla-breaches summary from one statement.

    Its first part groups the window's breached tickets by (assignee, priority); they are
    folded here into the two summaries (counts and sums add up, maxima take the maximum).
    Its second part counts the met tickets of active agents (of the tenant), which with the
    breaches of those agents gives the desk's SLA compliance: the same tickets and rule as
    ``performance``'s desk ``sla_compliance_rate``. Only breached tickets are sorted for the
    grouping; the met ones are just counted.
    """
    # --range all reads every ticket: a full scan on SQLite (see performance.scanned).
    column = scanned if since is None else (lambda c: c)
    assignee, created_at = column(Ticket.assigned_to_user_id), column(Ticket.created_at)
    window = cohort_window(since, until, tenant, created_at)
    over = minutes_over(as_of)
    breaches = (
        select(
            literal(True).label("breached"),
            assignee.label("agent_id"),
            Ticket.priority.label("priority"),
            func.count().label("n"),
            func.sum(over).label("over_sum"),
            func.max(over).label("over_max"),
        )
        .where(window, sla_breached(as_of))
        .group_by(assignee, Ticket.priority)
    )
    # The active agents are a handful of ids: a set the scan tests each ticket against.
    active = select(Agent.id).where(
        Agent.is_active.is_(True), tenant_filter(Agent.tenant_id, tenant)
    )
    met = select(literal(False), null(), null(), func.count(), null(), null()).where(
        window, sla_met(), assignee.in_(active)
    )
    both = union_all(breaches, met).subquery()
    rows = session.execute(
        select(Agent.email, Agent.name, Agent.is_active, Agent.tenant_id, *both.c).outerjoin(
            Agent, Agent.id == both.c.agent_id
        )
    )
    agents: dict[str | None, BreachGroup] = {}
    priorities: dict[str | None, BreachGroup] = {}
    met_total = breached_total = 0
    for email, name, active, agent_tenant, breached, _, priority, n, over_sum, over_max in rows:
        if not breached:
            met_total += int(n)
            continue
        if active and (tenant is None or agent_tenant == tenant):
            breached_total += int(n)
        part = BreachGroup(None, None, int(n), float(over_sum or 0), _float(over_max))
        agents[email] = _merged(agents.get(email), email, name, part)
        priorities[priority] = _merged(priorities.get(priority), priority, None, part)
    by_agent = sorted(
        agents.values(), key=lambda g: (-g.breaches, g.key is None, (g.key or "").lower())
    )
    rank = {p: i for i, p in enumerate(PRIORITY_ORDER)}
    by_priority = sorted(priorities.values(), key=lambda g: rank.get(g.key or "", len(rank)))
    return BreachSummary(by_agent, by_priority, met_total, breached_total)


def _merged(
    group: BreachGroup | None, key: str | None, name: str | None, part: BreachGroup
) -> BreachGroup:
    if group is None:
        return BreachGroup(key, name, part.breaches, part.minutes_over_sum, part.minutes_over_max)
    maxima = [m for m in (group.minutes_over_max, part.minutes_over_max) if m is not None]
    return BreachGroup(
        key,
        name,
        group.breaches + part.breaches,
        group.minutes_over_sum + part.minutes_over_sum,
        max(maxima, default=None),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
