"""Tickets: import from CSV/JSONL (validated whole, then upserted) and list."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agentctl.errors import UsageError
from agentctl.models import PRIORITIES, TICKET_STATUSES, Ticket
from agentctl.repository import agents as agents_repo
from agentctl.repository import tickets as repo
from agentctl.services.importing import (
    ImportResult,
    RowErrors,
    SourceRow,
    parse_choice,
    parse_int,
    read_rows,
    require,
)
from agentctl.timeutil import parse_datetime, utcnow

TICKET_COLUMNS = (
    "ticket_number",
    "subject",
    "status",
    "priority",
    "category",
    "required_skill_level",
    "assignee",
    "escalation_level",
    "created_at",
    "first_response_at",
    "resolved_at",
    "sla_due_date",
    "tenant_id",
)
REQUIRED_COLUMNS = ("ticket_number", "subject", "created_at")
TIMESTAMP_COLUMNS = ("created_at", "first_response_at", "resolved_at", "sla_due_date")
WRITE_CHUNK = 1000


def _timestamp(row: SourceRow, column: str, errors: RowErrors) -> datetime | None:
    raw = row.values.get(column)
    if raw is None:
        return None
    try:
        return parse_datetime(raw)
    except ValueError as exc:
        errors.add(row.line, column, str(exc))
        return None


def _parse_row(
    row: SourceRow, tenant: str | None, errors: RowErrors
) -> tuple[dict[str, Any], str | None] | None:
    """One validated ticket (without assignee resolution) and its assignee email."""
    before = len(errors.problems)
    number = require(row, "ticket_number", errors)
    subject = require(row, "subject", errors)
    if row.values.get("created_at") is None:
        errors.add(row.line, "created_at", "required")
    stamps = {c: _timestamp(row, c, errors) for c in TIMESTAMP_COLUMNS}
    row_tenant = row.values.get("tenant_id")
    if tenant is not None and row_tenant not in (None, tenant):
        errors.add(row.line, "tenant_id", f"{row_tenant!r} is outside --tenant {tenant!r}")
    fields: dict[str, Any] = {
        "tenant_id": row_tenant if row_tenant is not None else tenant,
        "ticket_number": number,
        "subject": subject,
        "status": parse_choice(row, "status", TICKET_STATUSES, errors, default="open"),
        "priority": parse_choice(row, "priority", PRIORITIES, errors, default="normal"),
        "category": (row.values.get("category") or "").lower() or None,
        "required_skill_level": parse_int(
            row, "required_skill_level", errors, default=1, minimum=1, maximum=4
        ),
        "escalation_level": parse_int(row, "escalation_level", errors, default=0, minimum=0),
        **stamps,
    }
    created = stamps["created_at"]
    if created is not None:
        for column in ("first_response_at", "resolved_at"):
            stamp = stamps[column]
            if stamp is not None and stamp < created:
                errors.add(row.line, column, "is before created_at")
    if len(errors.problems) > before:
        return None
    return fields, row.values.get("assignee")


def import_tickets(session: Session, path: Path, tenant: str | None) -> ImportResult:
    """Upsert tickets by (tenant_id, ticket_number) from a .csv or .jsonl file.

    The whole file is validated first; one bad row and nothing is written. An unknown
    assignee email (in the ticket's tenant) is a bad row.
    """
    errors = RowErrors(str(path))
    parsed: list[tuple[int, dict[str, Any], str | None]] = []
    seen: dict[tuple[str | None, str], int] = {}
    for row in read_rows(path, required=REQUIRED_COLUMNS, known=TICKET_COLUMNS, errors=errors):
        result = _parse_row(row, tenant, errors)
        if result is None:
            continue
        fields, assignee = result
        key = (fields["tenant_id"], fields["ticket_number"])
        if key in seen:
            errors.add(row.line, "ticket_number", f"{key[1]!r} already appears on line {seen[key]}")
            continue
        seen[key] = row.line
        parsed.append((row.line, fields, assignee))

    agents = agents_repo.agents_by_email(session, list({f["tenant_id"] for _, f, _ in parsed}))
    for line, fields, assignee in parsed:
        fields["assigned_to_user_id"] = None
        if assignee is None:
            continue
        agent = agents.get((fields["tenant_id"], assignee.lower()))
        if agent is None:
            where = f" in tenant {fields['tenant_id']!r}" if fields["tenant_id"] else ""
            errors.add(line, "assignee", f"unknown agent {assignee!r}{where}")
        else:
            fields["assigned_to_user_id"] = agent.id
    errors.raise_if_any()
    if not parsed:
        raise UsageError(f"{path}: no tickets in the file")

    existing = repo.existing_ticket_ids(session, seen.keys())
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for _, fields, _ in parsed:
        ticket_id = existing.get((fields["tenant_id"], fields["ticket_number"]))
        if ticket_id is None:
            inserts.append({**fields, "updated_at": now})
        else:
            updates.append({**fields, "id": ticket_id, "updated_at": now})
    for start in range(0, max(len(inserts), len(updates)), WRITE_CHUNK):
        repo.insert_tickets(session, inserts[start : start + WRITE_CHUNK])
        repo.update_tickets(session, updates[start : start + WRITE_CHUNK])
    return ImportResult(len(inserts), len(updates))


def ticket_row(ticket: Ticket, agent_email: str | None) -> dict[str, Any]:
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
    return [ticket_row(ticket, email) for ticket, email in rows]
