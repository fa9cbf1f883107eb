"""Time off: add, list and remove the periods during which an agent takes no tickets."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from agentctl.errors import NotFoundError, UsageError
from agentctl.models import AgentTimeOff
from agentctl.repository import timeoff as repo
from agentctl.repository.agents import resolve_agent
from agentctl.timeutil import isoformat, parse_datetime


def _moment(option: str, value: str) -> Any:
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def add_time_off(
    session: Session,
    agent: str,
    starts: str,
    ends: str,
    *,
    reason: str | None,
    tenant: str | None,
) -> dict[str, Any]:
    """A period ``[starts, ends)``: the start is inclusive, the end exclusive."""
    starts_at, ends_at = _moment("--from", starts), _moment("--until", ends)
    if ends_at <= starts_at:
        raise UsageError(
            f"--until ({isoformat(ends_at)}) must be after --from ({isoformat(starts_at)})"
        )
    found = resolve_agent(session, agent, tenant)
    period = AgentTimeOff(
        id=uuid.uuid4(),
        agent_id=found.id,
        tenant_id=found.tenant_id,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=(reason or "").strip() or None,
    )
    session.add(period)
    session.flush()
    return repo.row(session, period.id)


def list_time_off(session: Session, agent: str | None, tenant: str | None) -> list[dict[str, Any]]:
    agent_id = resolve_agent(session, agent, tenant).id if agent else None
    return repo.list_time_off(session, tenant, agent_id=agent_id)


def remove_time_off(session: Session, ref: str, tenant: str | None) -> dict[str, Any]:
    """Remove the period named by its id, or by a unique prefix of 8 characters or more
    (what the table shows)."""
    text = ref.strip().lower()
    try:
        period_id: uuid.UUID | None = uuid.UUID(text)
    except ValueError:
        period_id = None
        if len(text) < 8 or any(c not in "0123456789abcdef-" for c in text):
            raise UsageError(
                f"invalid time-off id {ref!r}; see `agentctl agents timeoff list`"
            ) from None
    if period_id is None:
        matches = [i for i in repo.time_off_ids(session, tenant) if str(i).startswith(text)]
        if len(matches) > 1:
            raise UsageError(f"time-off id {ref!r} is ambiguous; give more of it")
        period_id = matches[0] if matches else None
    period = repo.get_time_off(session, period_id, tenant) if period_id else None
    if period is None or period_id is None:
        raise NotFoundError(f"unknown time-off id {ref!r}; see `agentctl agents timeoff list`")
    row = repo.row(session, period_id)
    session.delete(period)
    session.flush()
    return row
