"""Agents: lookup by email or id, listing, and open workloads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agentctl.errors import NotFoundError, UsageError
from agentctl.models import OPEN_STATUSES, Agent, Ticket
from agentctl.repository.common import tenant_filter


def _as_uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def resolve_agent(
    session: Session, ref: str, tenant: str | None, *, include_inactive: bool = True
) -> Agent:
    """The agent named by email (case-insensitive) or id, within ``tenant`` if set.

    Unknown, or ambiguous across tenants without ``--tenant``: a UsageError (exit 2).
    """
    ref = ref.strip()
    agent_id = _as_uuid(ref)
    query = select(Agent).where(tenant_filter(Agent.tenant_id, tenant))
    if agent_id is not None:
        query = query.where(Agent.id == agent_id)
    else:
        query = query.where(func.lower(Agent.email) == ref.lower())
    if not include_inactive:
        query = query.where(Agent.is_active.is_(True))
    found = list(session.scalars(query.limit(2)))
    where = f" in tenant {tenant!r}" if tenant is not None else ""
    if not found:
        raise NotFoundError(f"unknown agent {ref!r}{where}; see `agentctl agents list`")
    if len(found) > 1:
        raise UsageError(f"agent {ref!r} exists in several tenants; name one with --tenant")
    return found[0]


def open_workloads(session: Session, agent_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Open workload (open, in_progress, waiting tickets) per agent, in one query."""
    if not agent_ids:
        return {}
    rows = session.execute(
        select(Ticket.assigned_to_user_id, func.count())
        .where(Ticket.assigned_to_user_id.in_(agent_ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assigned_to_user_id)
    )
    counts = {agent_id: 0 for agent_id in agent_ids}
    counts.update({agent_id: int(n) for agent_id, n in rows if agent_id is not None})
    return counts
