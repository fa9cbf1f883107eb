"""SLA policies: add, list, show, update, move, remove (DESIGN.md "Business time").

Policies of a tenant are kept numbered 1..n by ``position``; the first that matches a
ticket applies. Nothing here rewrites tickets, except ``remove``, which must clear the
removed policy from its tickets in the same transaction (the foreign key has no ON
DELETE); ``sla apply`` (services.sla_apply) recomputes due dates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from agentctl.errors import UsageError
from agentctl.models import PRIORITIES, BusinessCalendar, SlaPolicy, Ticket
from agentctl.repository import calendars as repo

NAME_MAX = 200
HINT = "agentctl sla list"
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")


def parse_minutes(text: str, option: str) -> int:
    """``90m``, ``8h``, ``1h30m`` -> minutes (> 0)."""
    raw = text.strip().lower().replace(" ", "")
    match = _DURATION.match(raw)
    if not raw or not match:
        raise UsageError(f"{option}: invalid duration {text!r} (expected e.g. 90m, 8h, 1h30m)")
    minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
    if minutes <= 0:
        raise UsageError(f"{option}: the duration must be longer than zero")
    return minutes


def format_minutes(minutes: int | None) -> str | None:
    if minutes is None:
        return None
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest}m"
    return f"{hours}h" if hours else f"{rest}m"


def _priorities(values: Sequence[str]) -> list[str]:
    result = []
    for value in values:
        clean = value.strip().lower()
        if clean not in PRIORITIES:
            raise UsageError(f"invalid priority {value!r}; use one of {', '.join(PRIORITIES)}")
        if clean not in result:
            result.append(clean)
    return result


def _categories(values: Sequence[str]) -> list[str]:
    result = []
    for value in values:
        clean = value.strip().lower()
        if not clean or len(clean) > 64:
            raise UsageError(f"invalid category {value!r} (1 to 64 characters)")
        if clean not in result:
            result.append(clean)
    return result


def find(session: Session, tenant: str | None, name: str) -> SlaPolicy:
    return repo.find_named(session, SlaPolicy, name, tenant, kind="SLA policy", hint=HINT)


def _calendar(session: Session, tenant: str | None, name: str) -> BusinessCalendar:
    calendar = repo.find_named(
        session, BusinessCalendar, name, tenant, kind="calendar", hint="agentctl calendars list"
    )
    if calendar.tenant_id != tenant:
        raise UsageError(f"calendar {name!r} belongs to another tenant")
    return calendar


def as_rows(session: Session, policies: Sequence[SlaPolicy]) -> list[dict[str, Any]]:
    names = repo.calendar_names(session, [p.calendar_id for p in policies if p.calendar_id])
    return [
        {
            "position": p.position,
            "name": p.name,
            "priorities": list(p.priorities or []),
            "categories": list(p.categories or []),
            "first_response": format_minutes(p.first_response_minutes),
            "resolution": format_minutes(p.resolution_minutes),
            "first_response_minutes": p.first_response_minutes,
            "resolution_minutes": p.resolution_minutes,
            "calendar": names.get(p.calendar_id) if p.calendar_id else None,
            "tenant_id": p.tenant_id,
            "policy_id": p.id,
        }
        for p in policies
    ]


def _renumber(policies: Sequence[SlaPolicy]) -> None:
    for index, policy in enumerate(policies, start=1):
        policy.position = index


def add_policy(
    session: Session,
    tenant: str | None,
    name: str,
    *,
    first_response: str | None,
    resolution: str | None,
    priorities: Sequence[str] = (),
    categories: Sequence[str] = (),
    calendar: str | None = None,
    position: int | None = None,
) -> dict[str, Any]:
    clean = name.strip()
    if not clean or len(clean) > NAME_MAX:
        raise UsageError(f"a policy needs a name of 1 to {NAME_MAX} characters")
    if first_response is None and resolution is None:
        raise UsageError("a policy needs --first-response or --resolution (or both)")
    policy = SlaPolicy(
        tenant_id=tenant,
        name=clean,
        priorities=_priorities(priorities),
        categories=_categories(categories),
        first_response_minutes=(
            parse_minutes(first_response, "--first-response") if first_response else None
        ),
        resolution_minutes=parse_minutes(resolution, "--resolution") if resolution else None,
        calendar_id=_calendar(session, tenant, calendar).id if calendar else None,
    )
    existing = repo.tenant_policies(session, tenant)
    if any(p.name == clean for p in existing):
        raise UsageError(f"SLA policy {clean!r} already exists; change it with `sla update`")
    at = len(existing) + 1 if position is None else position
    if not 1 <= at <= len(existing) + 1:
        raise UsageError(f"--position must be between 1 and {len(existing) + 1}")
    ordered = list(existing)
    ordered.insert(at - 1, policy)
    session.add(policy)
    _renumber(ordered)
    session.flush()
    return as_rows(session, [policy])[0]


def update_policy(
    session: Session,
    tenant: str | None,
    name: str,
    *,
    first_response: str | None = None,
    resolution: str | None = None,
    priorities: Sequence[str] = (),
    any_priority: bool = False,
    categories: Sequence[str] = (),
    any_category: bool = False,
    calendar: str | None = None,
    no_calendar: bool = False,
) -> dict[str, Any]:
    """Change the given settings; --priority/--category replace the stored lists."""
    policy = find(session, tenant, name)
    if (priorities and any_priority) or (categories and any_category):
        raise UsageError("--priority with --any-priority (or --category with --any-category)")
    if calendar and no_calendar:
        raise UsageError("--calendar and --no-calendar cannot be used together")
    values: dict[str, Any] = {}
    if first_response is not None:
        values["first_response_minutes"] = parse_minutes(first_response, "--first-response")
    if resolution is not None:
        values["resolution_minutes"] = parse_minutes(resolution, "--resolution")
    if priorities or any_priority:
        values["priorities"] = _priorities(priorities)
    if categories or any_category:
        values["categories"] = _categories(categories)
    if calendar:
        values["calendar_id"] = _calendar(session, policy.tenant_id, calendar).id
    if no_calendar:
        values["calendar_id"] = None
    if not values:
        raise UsageError("nothing to change; give at least one option (see --help)")
    for key, value in values.items():
        setattr(policy, key, value)
    session.flush()
    return as_rows(session, [policy])[0]


def move_policy(session: Session, tenant: str | None, name: str, to: int) -> dict[str, Any]:
    policy = find(session, tenant, name)
    ordered = repo.tenant_policies(session, policy.tenant_id)
    if not 1 <= to <= len(ordered):
        raise UsageError(f"--to must be between 1 and {len(ordered)}")
    ordered.remove(policy)
    ordered.insert(to - 1, policy)
    _renumber(ordered)
    session.flush()
    return as_rows(session, [policy])[0]


def remove_policy(session: Session, tenant: str | None, name: str) -> tuple[dict[str, Any], int]:
    """Delete a policy; its tickets keep their due dates and lose the policy id.

    Returns the removed row and how many tickets had it.
    """
    policy = find(session, tenant, name)
    row = as_rows(session, [policy])[0]
    cleared = session.execute(
        update(Ticket).where(Ticket.sla_policy_id == policy.id).values(sla_policy_id=None)
    )
    ordered = repo.tenant_policies(session, policy.tenant_id)
    ordered.remove(policy)
    session.delete(policy)
    session.flush()
    _renumber(ordered)
    session.flush()
    return row, int(cleared.rowcount or 0)  # type: ignore[attr-defined]


def list_policies(session: Session, tenant: str | None) -> list[dict[str, Any]]:
    return as_rows(session, repo.list_policies(session, tenant))


def show_policy(session: Session, tenant: str | None, name: str) -> dict[str, Any]:
    return as_rows(session, [find(session, tenant, name)])[0]
