"""Availability: who is available, busy, away or offline, and what they carry."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from agentctl.errors import UsageError
from agentctl.models import AVAILABILITY_STATUSES
from agentctl.repository import availability as repo
from agentctl.repository.agents import resolve_agent


def list_status(session: Session, tenant: str | None) -> list[dict[str, Any]]:
    return repo.status_rows(session, tenant)


def _agent_ref(agent: str | None, me: str | None) -> str:
    ref = agent or me
    if not ref:
        raise UsageError(
            "no agent given and no acting agent set; name one, or use --as / AGENTCTL_AGENT"
        )
    return ref


def show_status(
    session: Session, agent: str | None, *, me: str | None, tenant: str | None
) -> dict[str, Any]:
    found = resolve_agent(session, _agent_ref(agent, me), tenant)
    return repo.status_rows(session, tenant, agent_id=found.id)[0]


def set_status(
    session: Session,
    agent: str | None,
    status: str,
    *,
    message: str | None,
    me: str | None,
    tenant: str | None,
) -> dict[str, Any]:
    status = status.strip().lower()
    if status not in AVAILABILITY_STATUSES:
        raise UsageError(
            f"invalid status {status!r}; use one of {', '.join(AVAILABILITY_STATUSES)}"
        )
    found = resolve_agent(session, _agent_ref(agent, me), tenant)
    if not found.is_active:
        raise UsageError(f"agent {found.email} is inactive; re-add them with `agents import`")
    repo.set_status(session, found.id, status, message)
    return repo.status_rows(session, tenant, agent_id=found.id)[0]
