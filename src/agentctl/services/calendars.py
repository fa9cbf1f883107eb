"""Business calendars: add, list, show, update, remove (DESIGN.md "Business time")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from agentctl.businesstime import (
    DAYS,
    CalendarError,
    format_clock,
    hours_from_json,
    hours_to_json,
    parse_hours,
    parse_timezone,
    region_holidays,
    validate_region,
)
from agentctl.errors import UsageError
from agentctl.models import BusinessCalendar
from agentctl.repository import calendars as repo

NAME_MAX = 200
HINT = "agentctl calendars list"


def _bad(exc: CalendarError) -> UsageError:
    return UsageError(str(exc))


def _name(name: str) -> str:
    clean = name.strip()
    if not clean:
        raise UsageError("a calendar needs a name")
    if len(clean) > NAME_MAX:
        raise UsageError(f"calendar name is longer than {NAME_MAX} characters")
    return clean


def parse_holiday_dates(values: Sequence[str]) -> list[str]:
    days = set()
    for value in values:
        try:
            days.add(date.fromisoformat(value.strip()))
        except ValueError:
            raise UsageError(f"invalid holiday {value!r} (expected YYYY-MM-DD)") from None
    return [d.isoformat() for d in sorted(days)]


def _week(hours: Sequence[str]) -> dict[str, list[list[str]]]:
    if not hours:
        raise UsageError("a calendar needs working hours: --hours 'mon-fri 09:00-17:00'")
    try:
        return hours_to_json(parse_hours(hours))
    except CalendarError as exc:
        raise _bad(exc) from None


def _zone(name: str) -> str:
    try:
        parse_timezone(name)
    except CalendarError as exc:
        raise _bad(exc) from None
    return name.strip()


def _region(region: str) -> str:
    try:
        return validate_region(region)
    except CalendarError as exc:
        raise _bad(exc) from None


def describe_hours(hours: dict[str, Any]) -> str:
    """``mon-fri 09:00-12:30, 13:30-17:00``: days with equal hours are grouped."""
    week = hours_from_json(hours)
    groups: list[tuple[list[int], str]] = []
    for day in range(7):
        text = ", ".join(f"{format_clock(s)}-{format_clock(e)}" for s, e in week.get(day, ()))
        if not text:
            continue
        if groups and groups[-1][1] == text and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    parts = []
    for days, text in groups:
        label = DAYS[days[0]] if len(days) == 1 else f"{DAYS[days[0]]}-{DAYS[days[-1]]}"
        parts.append(f"{label} {text}")
    return "; ".join(parts)


def as_row(cal: BusinessCalendar) -> dict[str, Any]:
    return {
        "name": cal.name,
        "timezone": cal.timezone,
        "hours": describe_hours(cal.hours),
        "holiday_region": cal.holiday_region,
        "holidays": list(cal.holidays or []),
        "is_default": cal.is_default,
        "tenant_id": cal.tenant_id,
        "calendar_id": cal.id,
    }


def find(session: Session, tenant: str | None, name: str) -> BusinessCalendar:
    return repo.find_named(session, BusinessCalendar, name, tenant, kind="calendar", hint=HINT)


def add_calendar(
    session: Session,
    tenant: str | None,
    name: str,
    *,
    timezone: str,
    hours: Sequence[str],
    region: str | None = None,
    holidays: Sequence[str] = (),
    default: bool = False,
) -> dict[str, Any]:
    """Create a calendar; every input is validated before anything is written."""
    name = _name(name)
    calendar = BusinessCalendar(
        tenant_id=tenant,
        name=name,
        timezone=_zone(timezone),
        hours=_week(hours),
        holiday_region=_region(region) if region else None,
        holidays=parse_holiday_dates(holidays),
        is_default=default,
    )
    if repo.name_taken(session, BusinessCalendar, name, tenant):
        raise UsageError(f"calendar {name!r} already exists; change it with `calendars update`")
    if default:
        repo.clear_default(session, tenant)
    session.add(calendar)
    session.flush()
    return as_row(calendar)


def update_calendar(
    session: Session,
    tenant: str | None,
    name: str,
    *,
    timezone: str | None = None,
    hours: Sequence[str] = (),
    region: str | None = None,
    no_region: bool = False,
    holidays: Sequence[str] | None = None,
    default: bool | None = None,
) -> dict[str, Any]:
    """Change the given settings; ``hours`` and ``holidays`` replace the stored lists."""
    calendar = find(session, tenant, name)
    if region and no_region:
        raise UsageError("--holidays and --no-holidays cannot be used together")
    values: dict[str, Any] = {}
    if timezone is not None:
        values["timezone"] = _zone(timezone)
    if hours:
        values["hours"] = _week(hours)
    if region:
        values["holiday_region"] = _region(region)
    if no_region:
        values["holiday_region"] = None
    if holidays is not None:
        values["holidays"] = parse_holiday_dates(holidays)
    if default is not None:
        values["is_default"] = default
    if not values:
        raise UsageError("nothing to change; give at least one option (see --help)")
    if default:
        repo.clear_default(session, calendar.tenant_id, keep=calendar.id)
    for key, value in values.items():
        setattr(calendar, key, value)
    session.flush()
    return as_row(calendar)


def list_calendars(session: Session, tenant: str | None) -> list[dict[str, Any]]:
    return [as_row(c) for c in repo.list_calendars(session, tenant)]


@dataclass(frozen=True)
class CalendarView:
    """``calendars show``: the calendar, its week, and its holidays of the coming year."""

    calendar: dict[str, Any]
    week: list[dict[str, Any]]  # day, hours ("09:00-12:30, 13:30-17:00" or "")
    holidays: list[dict[str, Any]]  # date, name
    used_by_policies: list[str]
    used_by_agents: list[str]


def show_calendar(session: Session, tenant: str | None, name: str, today: date) -> CalendarView:
    calendar = find(session, tenant, name)
    week = hours_from_json(calendar.hours)
    days = [
        {
            "day": DAYS[d],
            "hours": ", ".join(f"{format_clock(s)}-{format_clock(e)}" for s, e in week.get(d, ())),
        }
        for d in range(7)
    ]
    until = today + timedelta(days=365)
    names: dict[date, str] = {}
    if calendar.holiday_region:
        found = region_holidays(calendar.holiday_region, range(today.year, until.year + 1))
        names.update(found)
    for value in calendar.holidays or []:
        day = date.fromisoformat(value)
        names[day] = f"{names[day]} (also listed)" if day in names else "listed holiday"
    holidays = [
        {"date": d.isoformat(), "weekday": DAYS[d.weekday()], "name": names[d]}
        for d in sorted(names)
        if today <= d < until
    ]
    policies, agents = repo.calendar_users(session, calendar.id)
    return CalendarView(as_row(calendar), days, holidays, policies, agents)


def remove_calendar(session: Session, tenant: str | None, name: str) -> dict[str, Any]:
    """Delete a calendar no policy or agent uses (else exit 2, naming who uses it)."""
    calendar = find(session, tenant, name)
    policies, agents = repo.calendar_users(session, calendar.id)
    if policies or agents:
        users = []
        if policies:
            users.append("SLA policies " + ", ".join(policies))
        if agents:
            users.append("agents " + ", ".join(agents))
        raise UsageError(
            f"calendar {calendar.name!r} is used by {' and '.join(users)}; "
            "change them first (`sla update NAME --no-calendar`, "
            "`agents set AGENT --no-calendar`)"
        )
    row = as_row(calendar)
    session.delete(calendar)
    session.flush()
    return row
