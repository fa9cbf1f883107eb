"""Agents: add, list, import from CSV, deactivate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agentctl.addresses import normalize_email  # the one address check (agents and mail)
from agentctl.errors import UsageError
from agentctl.models import Agent
from agentctl.repository import agents as repo
from agentctl.services.importing import ImportResult


def agent_row(agent: Agent, calendar: str | None = None) -> dict[str, Any]:
    return {
        "agent_id": agent.id,
        "email": agent.email,
        "name": agent.name,
        "max_open_tickets": agent.max_open_tickets,
        "is_active": agent.is_active,
        "tenant_id": agent.tenant_id,
        "calendar": calendar,
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
    try:
        repo.add_agents(session, [agent])
    except IntegrityError:  # another process added the same (case-insensitive) address
        where = f" in tenant {tenant!r}" if tenant else ""
        raise UsageError(f"agent {email} already exists{where}") from None
    return agent_row(agent)


def list_agents(
    session: Session, tenant: str | None, *, include_inactive: bool
) -> list[dict[str, Any]]:
    agents = repo.list_agents(session, tenant, include_inactive=include_inactive)
    calendars = repo.calendar_names(session, agents)
    return [agent_row(a, calendars.get(a.calendar_id) if a.calendar_id else None) for a in agents]


def remove_agent(session: Session, ref: str, tenant: str | None) -> dict[str, Any]:
    """Deactivate an agent (their tickets stay theirs) and mark them offline.

    The row carries ``workload``: the open, in-progress and waiting tickets they still hold.
    """
    agent = repo.resolve_agent(session, ref, tenant)
    if not agent.is_active:
        raise UsageError(f"agent {agent.email} is already inactive")
    agent.is_active = False
    repo.set_offline(session, agent)
    session.flush()
    workload = repo.open_workloads(session, [agent.id])[agent.id]
    return agent_row(agent) | {"workload": workload}


def set_agent(
    session: Session,
    ref: str,
    tenant: str | None,
    *,
    name: str | None = None,
    max_open: int | None = None,
    no_cap: bool = False,
    calendar: str | None = None,
    no_calendar: bool = False,
    active: bool | None = None,
) -> dict[str, Any]:
    """Change an agent's name, cap, shift calendar or active flag (only what is given).

    Deactivating marks them offline, with a history row, as ``agents remove`` does.
    """
    if max_open is not None and no_cap:
        raise UsageError("use either --max-open or --no-cap, not both")
    if calendar is not None and no_calendar:
        raise UsageError("use either --calendar or --no-calendar, not both")
    if max_open is not None and max_open < 0:
        raise UsageError("--max-open must be 0 or more")
    if name is not None and not name.strip():
        raise UsageError("--name must not be empty")
    changes = (name, max_open, calendar, active)
    if all(c is None for c in changes) and not no_cap and not no_calendar:
        raise UsageError(
            "nothing to change; give --name, --max-open, --no-cap, --calendar, "
            "--no-calendar, --active or --inactive"
        )
    agent = repo.resolve_agent(session, ref, tenant)
    calendar_name: str | None = None
    if name is not None:
        agent.name = name.strip()
    if max_open is not None:
        agent.max_open_tickets = max_open
    if no_cap:
        agent.max_open_tickets = None
    if calendar is not None:
        found = repo.calendar_by_name(session, agent.tenant_id, calendar)
        agent.calendar_id, calendar_name = found.id, found.name
    if no_calendar:
        agent.calendar_id = None
    if active is False and agent.is_active:
        agent.is_active = False
        repo.set_offline(session, agent)
    elif active is True:
        agent.is_active = True
    session.flush()
    if agent.calendar_id is not None and calendar_name is None:
        calendar_name = repo.calendar_names(session, [agent]).get(agent.calendar_id)
    return agent_row(agent, calendar_name)


def import_agents(session: Session, path: Path, tenant: str | None) -> ImportResult:
    """Create or update agents from a CSV or JSONL file (see ``services.agent_import``)."""
    from agentctl.services.agent_import import import_agents as run_import

    return run_import(session, path, tenant)
