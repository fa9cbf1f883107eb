"""Tickets: import from CSV/JSONL (streamed, validated whole, upserted) and list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agentctl.errors import UsageError
from agentctl.models import TICKET_STATUSES, Ticket
from agentctl.repository import agents as agents_repo
from agentctl.repository import tickets as repo
from agentctl.services.importing import ImportResult


def import_tickets(
    session: Session,
    path: Path,
    tenant: str | None,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Upsert tickets from a .csv or .jsonl file (see ``services.ticket_import``)."""
    from agentctl.services.ticket_import import import_tickets as run_import

    return run_import(session, path, tenant, progress=progress)


def ticket_row(
    ticket: Ticket, agent_email: str | None, policy: str | None = None
) -> dict[str, Any]:
    return {
        "ticket_number": ticket.ticket_number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "required_skill_level": ticket.required_skill_level,
        "agent_email": agent_email,
        "escalation_level": ticket.escalation_level,
        "created_at": ticket.created_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "sla_due_date": ticket.sla_due_date,
        "tenant_id": ticket.tenant_id,
        "first_response_due_at": ticket.first_response_due_at,
        "sla_policy": policy,
    }


def list_tickets(
    session: Session,
    tenant: str | None,
    *,
    statuses: list[str],
    unassigned: bool,
    agent: str | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    bad = [s for s in statuses if s not in TICKET_STATUSES]
    if bad:
        raise UsageError(f"invalid status {bad[0]!r}; use one of {', '.join(TICKET_STATUSES)}")
    if limit is not None and limit < 1:
        raise UsageError("--limit must be at least 1")
    agent_id = agents_repo.resolve_agent(session, agent, tenant).id if agent else None
    rows = repo.list_tickets(
        session, tenant, statuses=statuses, unassigned=unassigned, agent_id=agent_id, limit=limit
    )
    return [ticket_row(ticket, email, policy) for ticket, email, policy in rows]
