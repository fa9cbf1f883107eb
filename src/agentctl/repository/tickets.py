"""Tickets: keyed lookups for upserts, bulk writes, and listing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from agentctl.models import Agent, Ticket
from agentctl.repository.common import tenant_filter

LOOKUP_CHUNK = 500


def existing_ticket_ids(
    session: Session, keys: Iterable[tuple[str | None, str]]
) -> dict[tuple[str | None, str], uuid.UUID]:
    """Ids of the tickets that already exist for these (tenant_id, ticket_number) keys.

    A fixed number of queries per 500 keys, never one per ticket.
    """
    by_tenant: dict[str | None, list[str]] = {}
    for tenant, number in keys:
        by_tenant.setdefault(tenant, []).append(number)
    found: dict[tuple[str | None, str], uuid.UUID] = {}
    for tenant, numbers in by_tenant.items():
        tenant_clause = Ticket.tenant_id.is_(None) if tenant is None else Ticket.tenant_id == tenant
        for start in range(0, len(numbers), LOOKUP_CHUNK):
            chunk = numbers[start : start + LOOKUP_CHUNK]
            rows = session.execute(
                select(Ticket.ticket_number, Ticket.id).where(
                    tenant_clause, Ticket.ticket_number.in_(chunk)
                )
            )
            found.update({(tenant, number): ticket_id for number, ticket_id in rows})
    return found


def insert_tickets(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Ticket), list(rows))


def update_tickets(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key (each row has ``id`` plus the columns to set)."""
    if rows:
        session.execute(update(Ticket), list(rows))


def list_tickets(
    session: Session,
    tenant: str | None,
    *,
    statuses: Sequence[str] = (),
    unassigned: bool = False,
    agent_id: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[tuple[Ticket, str | None]]:
    query = (
        select(Ticket, Agent.email.label("agent_email"))
        .outerjoin(Agent, Agent.id == Ticket.assigned_to_user_id)
        .where(tenant_filter(Ticket.tenant_id, tenant))
    )
    if statuses:
        query = query.where(Ticket.status.in_(statuses))
    if unassigned:
        query = query.where(Ticket.assigned_to_user_id.is_(None))
    if agent_id is not None:
        query = query.where(Ticket.assigned_to_user_id == agent_id)
    query = query.order_by(Ticket.created_at.desc(), Ticket.ticket_number)
    if limit is not None:
        query = query.limit(limit)
    return [(ticket, email) for ticket, email in session.execute(query)]
