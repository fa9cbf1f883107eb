"""Agent skills: listing, upserts, the agents x categories grid and category coverage."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from agentctl.models import OPEN_STATUSES, Agent, AgentAvailability, AgentSkill, Ticket
from agentctl.repository.common import tenant_filter
from agentctl.timeutil import utcnow


def list_skills(
    session: Session,
    tenant: str | None,
    *,
    agent_id: uuid.UUID | None = None,
    category: str | None = None,
) -> list[tuple[AgentSkill, Agent]]:
    """Skills with their agent; every active agent's, or one agent's (active or not)."""
    query = (
        select(AgentSkill, Agent)
        .join(Agent, Agent.id == AgentSkill.user_id)
        .where(tenant_filter(Agent.tenant_id, tenant))
        .order_by(Agent.email, Agent.tenant_id, AgentSkill.skill_category)
    )
    if agent_id is not None:
        query = query.where(Agent.id == agent_id)
    else:
        query = query.where(Agent.is_active.is_(True))
    if category is not None:
        query = query.where(AgentSkill.skill_category == category)
    return [(skill, agent) for skill, agent in session.execute(query)]


def skills_of(
    session: Session, agent_ids: Iterable[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], AgentSkill]:
    """The existing skills of these agents, by (agent id, category), in one query."""
    ids = list(set(agent_ids))
    if not ids:
        return {}
    rows = session.scalars(select(AgentSkill).where(AgentSkill.user_id.in_(ids)))
    return {(s.user_id, s.skill_category): s for s in rows}


def add_skills(session: Session, skills: Sequence[AgentSkill]) -> None:
    session.add_all(skills)
    session.flush()


def touch(skill: AgentSkill) -> None:
    skill.updated_at = utcnow()


def delete_skill(session: Session, agent_id: uuid.UUID, category: str) -> int:
    result = session.execute(
        delete(AgentSkill).where(
            AgentSkill.user_id == agent_id, AgentSkill.skill_category == category
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def matrix_rows(session: Session, tenant: str | None) -> list[tuple[Agent, AgentSkill | None]]:
    """Every active agent with each of their skills (or None), in one query."""
    query = (
        select(Agent, AgentSkill)
        .outerjoin(AgentSkill, AgentSkill.user_id == Agent.id)
        .where(Agent.is_active.is_(True), tenant_filter(Agent.tenant_id, tenant))
        .order_by(Agent.name, Agent.email, Agent.id, AgentSkill.skill_category)
    )
    return [(agent, skill) for agent, skill in session.execute(query)]


@dataclass(frozen=True)
class SkillCoverage:
    tenant_id: str | None
    category: str
    active_agents: int
    available_agents: int
    levels: tuple[int, int, int, int]  # agents at level 1, 2, 3, 4
    escalation_agents: int


@dataclass(frozen=True)
class TicketCoverage:
    tenant_id: str | None
    category: str
    open_tickets: int
    uncovered_tickets: int  # open tickets that no available agent can take
    unassigned: int  # open tickets with no agent
    uncovered_unassigned: int  # of those, the ones no available agent can take


def skill_coverage(session: Session, tenant: str | None) -> list[SkillCoverage]:
    """Per tenant and category: active agents with the skill, by availability and level."""

    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            Agent.tenant_id,
            AgentSkill.skill_category,
            func.count(),
            count_if(AgentAvailability.status == "available"),
            *(count_if(AgentSkill.skill_level == level) for level in (1, 2, 3, 4)),
            count_if(AgentSkill.can_handle_escalations.is_(True)),
        )
        .join(Agent, Agent.id == AgentSkill.user_id)
        .outerjoin(AgentAvailability, AgentAvailability.user_id == Agent.id)
        .where(Agent.is_active.is_(True), tenant_filter(Agent.tenant_id, tenant))
        .group_by(Agent.tenant_id, AgentSkill.skill_category)
    )
    return [
        SkillCoverage(
            tenant_id=row[0],
            category=row[1],
            active_agents=int(row[2]),
            available_agents=int(row[3]),
            levels=(int(row[4]), int(row[5]), int(row[6]), int(row[7])),
            escalation_agents=int(row[8]),
        )
        for row in session.execute(query)
    ]


def ticket_coverage(session: Session, tenant: str | None) -> list[TicketCoverage]:
    """Per tenant and category of the open tickets: how many, and how many nobody
    available can take (by the assignment rules: same tenant, active, available, level
    >= required, escalation-capable when escalated)."""
    agent = aliased(Agent)
    skill = aliased(AgentSkill)
    availability = aliased(AgentAvailability)
    someone_can_take = exists().where(
        skill.user_id == agent.id,
        availability.user_id == agent.id,
        agent.is_active.is_(True),
        availability.status == "available",
        agent.tenant_id.is_not_distinct_from(Ticket.tenant_id),
        skill.skill_category == Ticket.category,
        skill.skill_level >= Ticket.required_skill_level,
        or_(Ticket.escalation_level == 0, skill.can_handle_escalations.is_(True)),
    )
    unassigned = Ticket.assigned_to_user_id.is_(None)

    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            Ticket.tenant_id,
            Ticket.category,
            func.count(),
            count_if(~someone_can_take),
            count_if(unassigned),
            count_if(and_(unassigned, ~someone_can_take)),
        )
        .where(
            and_(
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.category.is_not(None),
                tenant_filter(Ticket.tenant_id, tenant),
            )
        )
        .group_by(Ticket.tenant_id, Ticket.category)
    )
    return [
        TicketCoverage(row[0], row[1], int(row[2]), int(row[3]), int(row[4]), int(row[5]))
        for row in session.execute(query)
    ]
