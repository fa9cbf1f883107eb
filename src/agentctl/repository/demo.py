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
    ScheduleDelivery,
    Ticket,
)
from agentctl.repository.common import tenant_filter


def count_agents(session: Session, tenant: str | None) -> int:
    query = select(func.count()).select_from(Agent).where(tenant_filter(Agent.tenant_id, tenant))
    return int(session.scalar(query) or 0)


def clear_desk(session: Session, tenant: str | None) -> None:
    """Remove agents (with their skills, availability, history and time off), tickets, the
    assignment log and what schedules delivered of ``tenant`` (or all).

    Scheduled reports, their runs, calendars and SLA policies are configuration, not desk
    data; they stay (tickets stop pointing at policies when the tickets go).
    """
    if tenant is None and session.connection().dialect.name == "postgresql":
        session.connection().exec_driver_sql(
            "TRUNCATE schedule_deliveries, assignment_log, tickets, agent_skills, "
            "agent_availability, availability_events, agent_time_off, agents"
        )
        return
    session.execute(
        delete(ScheduleDelivery).where(
            ScheduleDelivery.ticket_id.in_(
                select(Ticket.id).where(tenant_filter(Ticket.tenant_id, tenant))
            )
        )
    )
    for model in (
        AssignmentLog,
        Ticket,
        AgentSkill,
        AgentAvailability,
        AvailabilityEvent,
        AgentTimeOff,
        Agent,
    ):
        session.execute(delete(model).where(tenant_filter(model.tenant_id, tenant)))
