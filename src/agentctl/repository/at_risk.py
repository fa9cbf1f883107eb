"""The SQL of ``report sla-at-risk``: open tickets whose next due time is near.

The next due time is ``first_response_due_at`` while the ticket has no
``first_response_at`` (and has a first-response due time), else ``sla_due_date``. A
ticket is at risk when that time is after as_of and at most ``within`` after it: one
already past is a breach (``sla-breaches``), not a risk. Two statements: the detail rows
(streamed) and the counts per assignee and due kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from agentctl.models import OPEN_STATUSES, Agent, Ticket
from agentctl.repository.common import minutes_between, moment
from agentctl.repository.performance import cohort_window
from agentctl.repository.streams import AnySelect

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
DUE_KINDS = (FIRST_RESPONSE, RESOLUTION)
# Detail columns; the last one, the ticket's id, is a key for --new-only, not a field.
AT_RISK_COLUMNS = (
    "ticket_number",
    "subject",
    "priority",
    "category",
    "agent_email",
    "due_kind",
    "due_at",
    "minutes_left",
    "tenant_id",
    "ticket_id",
)


def _awaiting_first_response() -> ColumnElement[bool]:
    return and_(Ticket.first_response_at.is_(None), Ticket.first_response_due_at.is_not(None))


def _due_at() -> ColumnElement[Any]:
    return case(
        (_awaiting_first_response(), Ticket.first_response_due_at), else_=Ticket.sla_due_date
    )


def _due_kind() -> ColumnElement[str]:
    return case((_awaiting_first_response(), FIRST_RESPONSE), else_=RESOLUTION)


def _at_risk(
    since: datetime | None, until: datetime, as_of: datetime, within: timedelta, tenant: str | None
) -> ColumnElement[bool]:
    due = _due_at()
    return and_(
        cohort_window(since, until, tenant),
        Ticket.status.in_(OPEN_STATUSES),
        due > moment(as_of),
        due <= moment(as_of + within),
    )


def at_risk_rows_query(
    since: datetime | None, until: datetime, as_of: datetime, within: timedelta, tenant: str | None
) -> AnySelect:
    """At-risk tickets, soonest due first (columns: AT_RISK_COLUMNS)."""
    due = _due_at()
    return (
        select(
            Ticket.ticket_number,
            Ticket.subject,
            Ticket.priority,
            Ticket.category,
            Agent.email,
            _due_kind(),
            due.label("due_at"),
            minutes_between(due, moment(as_of)),
            Ticket.tenant_id,
            Ticket.id,
        )
        .outerjoin(Agent, Agent.id == Ticket.assigned_to_user_id)
        .where(_at_risk(since, until, as_of, within, tenant))
        .order_by(due, Ticket.ticket_number, Ticket.id)
    )


@dataclass(frozen=True)
class AtRiskGroup:
    agent_email: str | None  # None = unassigned
    agent_name: str | None
    first_response: int
    resolution: int
    soonest_minutes_left: float | None

    @property
    def total(self) -> int:
        return self.first_response + self.resolution


def at_risk_by_agent(
    session: Session,
    since: datetime | None,
    until: datetime,
    as_of: datetime,
    within: timedelta,
    tenant: str | None,
) -> list[AtRiskGroup]:
    """At-risk tickets per assignee (unassigned as None) and due kind, most first."""
    kind = _due_kind()
    per_assignee = (
        select(
            Ticket.assigned_to_user_id.label("agent_id"),
            func.sum(case((kind == FIRST_RESPONSE, 1), else_=0)).label("first_response"),
            func.sum(case((kind == RESOLUTION, 1), else_=0)).label("resolution"),
            func.min(minutes_between(_due_at(), moment(as_of))).label("soonest"),
        )
        .where(_at_risk(since, until, as_of, within, tenant))
        .group_by(Ticket.assigned_to_user_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Agent.email,
            Agent.name,
            per_assignee.c.first_response,
            per_assignee.c.resolution,
            per_assignee.c.soonest,
        ).outerjoin(Agent, Agent.id == per_assignee.c.agent_id)
    )
    groups = [
        AtRiskGroup(r[0], r[1], int(r[2]), int(r[3]), None if r[4] is None else float(r[4]))
        for r in rows
    ]
    return sorted(groups, key=lambda g: (-g.total, g.agent_email is None, g.agent_email or ""))
