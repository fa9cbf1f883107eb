"""Clearing a desk's data before demo data replaces it."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from agentctl.models import Agent, AgentAvailability, AgentSkill, AssignmentLog, Ticket
from agentctl.repository.common import tenant_filter


def count_agents(session: Session, tenant: str | None) -> int:
    query = select(func.count()).select_from(Agent).where(tenant_filter(Agent.tenant_id, tenant))
    return int(session.scalar(query) or 0)


def clear_desk(session: Session, tenant: str | None) -> None:
    """Remove agents, skills, availability, tickets and assignment log of ``tenant`` (or all).

    Scheduled reports and their runs are configuration, not desk data; they stay.
    """
    if tenant is None and session.connection().dialect.name == "postgresql":
        session.connection().exec_driver_sql(
            "TRUNCATE assignment_log, tickets, agent_skills, agent_availability, agents"
        )
        return
    for model in (AssignmentLog, Ticket, AgentSkill, AgentAvailability, Agent):
        session.execute(delete(model).where(tenant_filter(model.tenant_id, tenant)))
