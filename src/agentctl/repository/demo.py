"""Clearing a desk's data before demo data replaces it."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from agentctl.models import (
    Agent,
    AgentAvailability,
    AgentSkill,
    AgentTimeOff,
    AssignmentLog,
    AvailabilityEvent,
    BusinessCalendar,
    SlaPolicy,
    Ticket,
)
from agentctl.repository.common import tenant_filter


def count_agents(session: Session, tenant: str | None) -> int:
    query = select(func.count()).select_from(Agent).where(tenant_filter(Agent.tenant_id, tenant))
    return int(session.scalar(query) or 0)


def clear_desk(session: Session, tenant: str | None) -> None:
    """Remove agents, skills, availability (and its history), time off, tickets, assignment
    log, calendars and SLA policies of ``tenant`` (or all): the demo makes them again.

    Scheduled reports and their runs are configuration, not desk data; they stay.
    """
    if tenant is None and session.connection().dialect.name == "postgresql":
        # schedule_deliveries name tickets (ON DELETE CASCADE, which TRUNCATE does not do).
        session.connection().exec_driver_sql(
            "TRUNCATE schedule_deliveries, assignment_log, tickets, agent_skills, "
            "agent_availability, "
            "availability_events, agent_time_off, agents, sla_policies, business_calendars"
        )
        return
    models = (
        AssignmentLog,
        Ticket,
        AgentSkill,
        AgentAvailability,
        AvailabilityEvent,
        AgentTimeOff,
        Agent,
        SlaPolicy,
        BusinessCalendar,
    )
    for model in models:
        session.execute(delete(model).where(tenant_filter(model.tenant_id, tenant)))
