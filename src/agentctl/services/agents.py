"""Agents: add, list, import from CSV, deactivate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agentctl.errors import UsageError
from agentctl.models import Agent
from agentctl.repository import agents as repo
from agentctl.services.importing import ImportResult


def normalize_email(address: str) -> str:
    """Validate an address's syntax (no DNS) and return it normalized; ValueError if bad."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return str(validate_email(address.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address {address!r}: {exc}") from None


def agent_row(agent: Agent) -> dict[str, Any]:
    return {
        "agent_id": agent.id,
        "email": agent.email,
        "name": agent.name,
        "max_open_tickets": agent.max_open_tickets,
        "is_active": agent.is_active,
        "tenant_id": agent.tenant_id,
    }


def add_agent(
    session: Session, email: str, name: str, *, max_open: int | None, tenant: str | None
) -> dict[str, Any]:
    try:
        email = normalize_email(email)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if max_open is not None and max_open < 0:
        raise UsageError("--max-open must be 0 or more")
    if not name.strip():
        raise UsageError("--name must not be empty")
    if (tenant, email.lower()) in repo.agents_by_email(session, [tenant]):
        where = f" in tenant {tenant!r}" if tenant else ""
        raise UsageError(f"agent {email} already exists{where}")
    agent = Agent(tenant_id=tenant, email=email, name=name.strip(), max_open_tickets=max_open)
    repo.add_agents(session, [agent])
    return agent_row(agent)


def list_agents(
    session: Session, tenant: str | None, *, include_inactive: bool
) -> list[dict[str, Any]]:
    return [
        agent_row(a) for a in repo.list_agents(session, tenant, include_inactive=include_inactive)
    ]


def remove_agent(session: Session, ref: str, tenant: str | None) -> dict[str, Any]:
    """Deactivate an agent (their tickets stay theirs) and mark them offline."""
    agent = repo.resolve_agent(session, ref, tenant)
    if not agent.is_active:
        raise UsageError(f"agent {agent.email} is already inactive")
    agent.is_active = False
    repo.set_offline(session, agent.id)
    session.flush()
    return agent_row(agent)


def import_agents(session: Session, path: Path, tenant: str | None) -> ImportResult:
    """Create or update agents from a CSV or JSONL file (see ``services.agent_import``)."""
    from agentctl.services.agent_import import import_agents as run_import

    return run_import(session, path, tenant)
