"""One agent by email (case-insensitive) or id: the query, in Core.

``repository.agents.resolve_agent`` loads the ORM object from it; ``find_agent`` reads the
row through a Core connection or a session alike (``assign`` plans without the ORM).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row, Select, func, select

from agentctl.columns import Agent
from agentctl.errors import NotFoundError, UsageError
from agentctl.repository.common import tenant_filter
from agentctl.tables import agents

if TYPE_CHECKING:
    from agentctl.repository.common import Reader

T = TypeVar("T")


def _as_uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def agent_query(entity: Any, ref: str, tenant: str | None, include_inactive: bool) -> Select[Any]:
    """``SELECT entity`` of the agents named by ``ref`` (at most two: enough to tell)."""
    ref = ref.strip()
    agent_id = _as_uuid(ref)
    query = select(entity).where(tenant_filter(Agent.tenant_id, tenant))
    if agent_id is not None:
        query = query.where(Agent.id == agent_id)
    else:
        query = query.where(func.lower(Agent.email) == ref.lower())
    if not include_inactive:
        query = query.where(Agent.is_active.is_(True))
    return query.limit(2)


def only_agent(found: list[T], ref: str, tenant: str | None) -> T:
    """The one agent found; unknown, or ambiguous across tenants without ``--tenant``:
    a UsageError (exit 2)."""
    ref = ref.strip()
    where = f" in tenant {tenant!r}" if tenant is not None else ""
    if not found:
        raise NotFoundError(f"unknown agent {ref!r}{where}; see `agentctl agents list`")
    if len(found) > 1:
        raise UsageError(f"agent {ref!r} exists in several tenants; name one with --tenant")
    return found[0]


def find_agent(
    session: Reader, ref: str, tenant: str | None, *, include_inactive: bool = True
) -> Row[Any]:
    """The ``agents`` row named by ``ref`` (see ``resolve_agent``), without the ORM."""
    query = agent_query(agents, ref, tenant, include_inactive)
    return only_agent(list(session.execute(query)), ref, tenant)
