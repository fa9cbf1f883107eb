"""Build agents and tickets directly through the models, for tests that need exact data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from agentctl.models import Agent, AgentAvailability, AgentSkill, Ticket

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def make_agent(
    session: Session,
    email: str,
    *,
    name: str | None = None,
    tenant_id: str | None = None,
    status: str = "available",
    max_open_tickets: int | None = None,
    is_active: bool = True,
    last_activity_at: datetime | None = None,
    skills: dict[str, int | tuple[int, bool]] | None = None,
    agent_id: uuid.UUID | None = None,
) -> Agent:
    """An agent with availability and skills ({category: level or (level, escalations)})."""
    agent = Agent(
        id=agent_id or uuid.uuid4(),
        tenant_id=tenant_id,
        email=email,
        name=name or email.split("@")[0].title(),
        max_open_tickets=max_open_tickets,
        is_active=is_active,
    )
    session.add(agent)
    session.flush()
    session.add(
        AgentAvailability(
            user_id=agent.id,
            tenant_id=tenant_id,
            status=status,
            last_activity_at=last_activity_at,
        )
    )
    for category, spec in (skills or {}).items():
        level, escalations = spec if isinstance(spec, tuple) else (spec, False)
        session.add(
            AgentSkill(
                user_id=agent.id,
                tenant_id=tenant_id,
                skill_category=category,
                skill_level=level,
                can_handle_escalations=escalations,
            )
        )
    session.flush()
    return agent


_counter = iter(range(1, 10**9))


def make_ticket(
    session: Session,
    *,
    ticket_number: str | None = None,
    tenant_id: str | None = None,
    agent: Agent | None = None,
    created_at: datetime = T0,
    **fields: Any,
) -> Ticket:
    ticket = Ticket(
        tenant_id=tenant_id,
        ticket_number=ticket_number or f"T-{next(_counter):06d}",
        subject=fields.pop("subject", "Cannot connect"),
        assigned_to_user_id=agent.id if agent is not None else None,
        created_at=created_at,
        **fields,
    )
    session.add(ticket)
    session.flush()
    return ticket
