"""Availability: who is available, busy, away or offline, what they carry, and since when."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from agentctl.businesstime import Calendar
from agentctl.dbtypes import AVAILABILITY_STATUSES
from agentctl.errors import UsageError
from agentctl.repository import availability as repo
from agentctl.timeutil import isoformat, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agentctl.repository.common import Reader
    from agentctl.services.window import Window


def resolve_agent(session: Session, ref: str, tenant: str | None) -> Any:
    """``repository.agents.resolve_agent``, imported on use: it loads the ORM models, which
    `status` (a Core read, ``list_status``) does without."""
    from agentctl.repository.agents import resolve_agent as resolve

    return resolve(session, ref, tenant)


def _with_shift(session: Reader, rows: list[dict[str, Any]], now: datetime) -> None:
    """Add ``on_shift`` to each row (null without a calendar): the calendars are loaded once
    and each is asked about ``now``, so there is no query per agent."""
    stored = repo.calendars_by_id(session, (r["calendar_id"] for r in rows))
    calendars = {
        cid: Calendar.from_stored(c.timezone, c.hours, c.holidays, c.holiday_region)
        for cid, c in stored.items()
    }
    working = {cid: cal.is_working(now) for cid, cal in calendars.items()}
    for row in rows:
        calendar_id = row.pop("calendar_id")
        row["on_shift"] = working.get(calendar_id) if calendar_id is not None else None


def list_status(
    session: Reader, tenant: str | None, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    now = now or utcnow()
    rows = repo.status_rows(session, tenant, now)
    _with_shift(session, rows, now)
    return rows


def tenant_note(session: Reader, tenant: str | None) -> str | None:
    """When ``--tenant`` names a tenant without agents: a line that says so and names the
    tenants that exist (a likely typo). None otherwise."""
    if tenant is None:
        return None
    tenants = repo.known_tenants(session)
    if tenant in tenants:
        return None
    names = ", ".join(t if t is not None else "(no tenant)" for t in tenants) or "none"
    return f"tenant {tenant!r} has no agents; tenants with agents: {names}"


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
    now = utcnow()
    rows = repo.status_rows(session, tenant, now, agent_id=found.id)
    _with_shift(session, rows, now)
    return rows[0]


def set_status(
    session: Session,
    agent: str | None,
    status: str,
    *,
    message: str | None,
    me: str | None,
    tenant: str | None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Change an agent's status now, or at ``at`` (a change that happened earlier: not
    before the agent's latest recorded change, not in the future)."""
    status = status.strip().lower()
    if status not in AVAILABILITY_STATUSES:
        raise UsageError(
            f"invalid status {status!r}; use one of {', '.join(AVAILABILITY_STATUSES)}"
        )
    found = resolve_agent(session, _agent_ref(agent, me), tenant)
    if not found.is_active:
        raise UsageError(
            f"agent {found.email} is inactive; reactivate them with "
            f"`agentctl agents set {found.email} --active`"
        )
    now = utcnow()
    if at is None:
        at = now
    else:
        if at > now:
            raise UsageError(f"--at {isoformat(at)} is in the future; give a past time")
        latest = repo.latest_event_at(session, found.id)
        if latest is not None and at < latest:
            raise UsageError(
                f"--at {isoformat(at)} is before {found.email}'s latest recorded change "
                f"({isoformat(latest)}); history is only appended to"
            )
    repo.set_status(session, found.id, found.tenant_id, status, message, at)
    rows = repo.status_rows(session, tenant, now, agent_id=found.id)
    _with_shift(session, rows, now)
    return rows[0]


def history(
    session: Session,
    agent: str | None,
    window: Window,
    *,
    tenant: str | None,
) -> list[dict[str, Any]]:
    """Status periods overlapping the window, for one agent or every agent."""
    agent_id = resolve_agent(session, agent, tenant).id if agent else None
    return repo.history_rows(
        session, tenant, window.since, window.until, utcnow(), agent_id=agent_id
    )
