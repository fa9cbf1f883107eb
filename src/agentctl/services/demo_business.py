"""The demo's business time and availability history.

- a default calendar (Mon-Fri 08:00-18:00 Europe/Berlin, German public holidays) and two
  shift calendars, ``early`` (06:00-14:00) and ``late`` (14:00-22:00), each given to about
  a third of the agents;
- three SLA policies (urgent, high, the rest) whose due dates and business minutes the
  generated tickets carry, computed by the same ``SlaRules`` as ``sla apply``;
- 30 days of availability events per agent, inside their working hours, ending in their
  current status; and a few time-off periods (one past, one now, one coming).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agentctl import tables
from agentctl.businesstime import Calendar, from_micros, hours_to_json, parse_hours, to_micros
from agentctl.models import (
    Agent,
    AgentAvailability,
    AgentTimeOff,
    BusinessCalendar,
    SlaPolicy,
)
from agentctl.slapolicy import SlaRules

ZONE = "Europe/Berlin"
CALENDARS = (  # name, hours, holiday region, default
    ("office", "mon-fri 08:00-18:00", "DE", True),
    ("early", "mon-fri 06:00-14:00", "DE", False),
    ("late", "mon-fri 14:00-22:00", "DE", False),
)
# name, priorities, first response minutes, resolution minutes
POLICIES: tuple[tuple[str, list[str], int, int], ...] = (
    ("urgent", ["urgent"], 30, 4 * 60),
    ("high", ["high"], 60, 8 * 60),
    ("standard", [], 4 * 60, 24 * 60),
)
HISTORY_DAYS = 30
EVENTS = tables.availability_events
EVENT_FIELDS = ("id", "agent_id", "tenant_id", "status", "status_message", "at")
MESSAGES = {"busy": [None, "on a call", "site visit"], "away": [None, "lunch", "meeting"]}


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def make_calendars(rng: random.Random, tenant: str | None, now: datetime) -> list[BusinessCalendar]:
    return [
        BusinessCalendar(
            id=_uuid(rng),
            tenant_id=tenant,
            name=name,
            timezone=ZONE,
            hours=hours_to_json(parse_hours([hours])),
            holiday_region=region,
            holidays=[],
            is_default=default,
            created_at=now - timedelta(days=120),
            updated_at=now - timedelta(days=120),
        )
        for name, hours, region, default in CALENDARS
    ]


def make_policies(rng: random.Random, tenant: str | None, now: datetime) -> list[SlaPolicy]:
    """The three policies, on the tenant's default calendar."""
    return [
        SlaPolicy(
            id=_uuid(rng),
            tenant_id=tenant,
            name=name,
            position=position,
            priorities=priorities,
            categories=[],
            first_response_minutes=first,
            resolution_minutes=resolution,
            calendar_id=None,
            created_at=now - timedelta(days=120),
            updated_at=now - timedelta(days=120),
        )
        for position, (name, priorities, first, resolution) in enumerate(POLICIES, start=1)
    ]


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def rules(calendars: Sequence[BusinessCalendar], policies: Sequence[SlaPolicy]) -> SlaRules:
    return SlaRules.build([_columns(p) for p in policies], [_columns(c) for c in calendars])


def assign_shifts(
    rng: random.Random, agents: Sequence[Agent], calendars: Sequence[BusinessCalendar]
) -> None:
    """About a third of the agents work the early shift, a third the late one."""
    by_name = {c.name: c.id for c in calendars}
    for agent in agents:
        roll = rng.random()
        agent.calendar_id = (
            by_name["early"] if roll < 0.33 else by_name["late"] if roll < 0.66 else None
        )


def availability_events(
    rng: random.Random,
    agents: Sequence[Agent],
    current: Sequence[AgentAvailability],
    calendars: Sequence[BusinessCalendar],
    now: datetime,
) -> Iterator[tuple[Any, ...]]:
    """EVENT_FIELDS tuples: each working day of the last 30, the agent signs on at the
    start of their hours, is busy or away now and then, and signs off at the end; the
    last event is their current status."""
    built = {
        c.id: Calendar.from_stored(c.timezone, c.hours, c.holidays, c.holiday_region)
        for c in calendars
    }
    office = next(c.id for c in calendars if c.is_default)
    status_now = {a.user_id: a for a in current}
    today = now.astimezone(ZoneInfo(ZONE)).date()
    minute = 60_000_000
    for agent in agents:
        calendar = built[agent.calendar_id or office]
        tenant = agent.tenant_id
        last = to_micros(now - timedelta(days=HISTORY_DAYS + 1))
        for back in range(HISTORY_DAYS, 0, -1):
            for start, end in calendar.day_intervals(today - timedelta(days=back)):
                at = start + rng.randint(0, 10) * minute
                yield (_uuid(rng), agent.id, tenant, "available", None, from_micros(at))
                for _ in range(rng.randint(0, 3)):
                    at += rng.randint(30, 150) * minute
                    if at >= end:
                        break
                    status = "busy" if rng.random() < 0.6 else "away"
                    message = rng.choice(MESSAGES[status])
                    yield (_uuid(rng), agent.id, tenant, status, message, from_micros(at))
                    at += rng.randint(10, 60) * minute
                    yield (_uuid(rng), agent.id, tenant, "available", None, from_micros(at))
                at = max(at, end) + rng.randint(0, 15) * minute
                yield (_uuid(rng), agent.id, tenant, "offline", None, from_micros(at))
                last = at
        state = status_now[agent.id]
        final = state.last_activity_at or now
        if to_micros(final) <= last:
            final = from_micros(last + minute)
        final = min(final, now)
        yield (_uuid(rng), agent.id, tenant, state.status, state.status_message, final)


def time_off(rng: random.Random, agents: Sequence[Agent], now: datetime) -> list[AgentTimeOff]:
    """One past, one current and one coming period, on three different agents."""
    if not agents:
        return []
    chosen = rng.sample(list(agents), min(3, len(agents)))
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    periods = [
        (day - timedelta(days=12), day - timedelta(days=9), "vacation"),
        (day - timedelta(days=1), day + timedelta(days=2), "sick leave"),
        (day + timedelta(days=7), day + timedelta(days=12), "training"),
    ]
    return [
        AgentTimeOff(
            id=_uuid(rng),
            agent_id=agent.id,
            tenant_id=agent.tenant_id,
            starts_at=start,
            ends_at=end,
            reason=reason,
            created_at=now - timedelta(days=20),
        )
        for agent, (start, end, reason) in zip(chosen, periods, strict=False)
    ]
