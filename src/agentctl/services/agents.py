"""Agents: add, list, import from CSV, deactivate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agentctl.addresses import normalize_email  # the one address check (agents and mail)
from agentctl.errors import UsageError
from agentctl.models import Agent
from agentctl.repository import agents as repo
from agentctl.services.importing import ImportResult, RowErrors, parse_int, read_rows, require

AGENT_COLUMNS = ("email", "name", "max_open_tickets", "tenant_id")


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
    """Create or update agents from a CSV (``email,name[,max_open_tickets][,tenant_id]``).

    All or nothing: every bad row is reported and nothing is written.
    """
    errors = RowErrors(str(path))
    parsed: list[tuple[int, str | None, str, str, int | None]] = []
    seen: dict[tuple[str | None, str], int] = {}
    for row in read_rows(path, required=("email", "name"), known=AGENT_COLUMNS, errors=errors):
        raw_email = require(row, "email", errors)
        name = require(row, "name", errors)
        cap = parse_int(row, "max_open_tickets", errors, minimum=0)
        row_tenant = row.values.get("tenant_id")
        if tenant is not None and row_tenant not in (None, tenant):
            errors.add(row.line, "tenant_id", f"{row_tenant!r} is outside --tenant {tenant!r}")
            continue
        row_tenant = row_tenant if row_tenant is not None else tenant
        if raw_email is None or name is None:
            continue
        try:
            email = normalize_email(raw_email)
        except ValueError as exc:
            errors.add(row.line, "email", str(exc))
            continue
        key = (row_tenant, email.lower())
        if key in seen:
            errors.add(row.line, "email", f"{email} already appears on line {seen[key]}")
            continue
        seen[key] = row.line
        parsed.append((row.line, row_tenant, email, name, cap))
    errors.raise_if_any()

    existing = repo.agents_by_email(session, list({t for _, t, _, _, _ in parsed}))
    new_agents: list[Agent] = []
    updated = 0
    for _, row_tenant, email, name, cap in parsed:
        agent = existing.get((row_tenant, email.lower()))
        if agent is None:
            new_agents.append(
                Agent(tenant_id=row_tenant, email=email, name=name, max_open_tickets=cap)
            )
        else:
            agent.name, agent.max_open_tickets, agent.is_active = name, cap, True
            updated += 1
    repo.add_agents(session, new_agents)
    return ImportResult(len(new_agents), updated)
