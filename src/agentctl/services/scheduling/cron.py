"""Cron expressions: the standard five fields, evaluated by APScheduler's cron trigger.

We parse nothing ourselves except what APScheduler 3 gets wrong for standard cron:

- the ``@hourly``/``@daily``/``@weekly``/``@monthly``/``@yearly`` aliases, which
  ``CronTrigger.from_crontab`` does not know;
- day-of-week numbers: cron counts 0 (and 7) = Sunday, APScheduler 3 counts 0 = Monday.
  The day-of-week field is rewritten as an explicit list of day names, which both agree on;
- cron's rule that when both day-of-month and day-of-week are restricted, a day matching
  *either* fires (``0 9 1 * MON``: the 1st and every Monday). APScheduler requires both, so
  such an expression becomes an ``OrTrigger`` of two cron triggers.

Every other field goes to APScheduler unchanged. Daylight-saving transitions follow
cronie: a time skipped in spring fires an hour later (02:30 becomes 03:30 CEST), and a
fixed time repeated in autumn fires once, at its first instant (``45 1 * * SUN`` in
America/New_York fires at 01:45 EDT and not again at 01:45 EST). An expression with ``*``
in its minute or hour field is not a fixed time: it keeps firing through the repeated
hour, at both instants, as cronie's wildcard jobs do.

APScheduler is imported inside the functions: ``agentctl --help`` must not load it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agentctl.errors import UsageError
from agentctl.timeutil import as_utc

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

# Standard cron numbering: index = cron day number (7 is Sunday again).
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

_EXAMPLE = "expected five fields 'minute hour day month weekday' (e.g. '0 9 * * MON') or @daily"

NextFireTime = Callable[[datetime], datetime | None]


def load_timezone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; unknown names are a UsageError (exit 2)."""
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(
            f"unknown time zone {name!r}; use an IANA name such as UTC or Europe/Berlin"
        ) from None


def _cron_day(token: str, expression: str) -> int:
    text = token.strip().lower()
    if text.isdigit():
        day = int(text)
        if 0 <= day <= 7:
            return day
    elif text in _CRON_DAYS:
        return _CRON_DAYS.index(text)
    raise UsageError(
        f"invalid cron expression {expression!r}: day of week {token!r} is not 0-7 or SUN-SAT"
    )


def _day_of_week_names(field: str, expression: str) -> str:
    """Rewrite a cron day-of-week field (0/7 = Sunday) as APScheduler day names."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        body, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise UsageError(
                    f"invalid cron expression {expression!r}: bad step {item!r} in day of week"
                )
            step = int(step_text)
        if body == "*":
            first, last = 0, 6
        elif "-" in body:
            start, _, end = body.partition("-")
            first, last = _cron_day(start, expression), _cron_day(end, expression)
            if last == 0 and first > 0:  # FRI-SUN: Sunday as 7
                last = 7
            if first > last:
                raise UsageError(
                    f"invalid cron expression {expression!r}: "
                    f"day-of-week range {body!r} runs backwards"
                )
        else:
            first = _cron_day(body, expression)
            last = 6 if slash else first
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_CRON_DAYS[day] for day in sorted(days))


@dataclass(frozen=True)
class CronSchedule:
    """A parsed cron expression in one time zone."""

    expression: str
    timezone: ZoneInfo
    trigger: Any  # an APScheduler trigger (CronTrigger or OrTrigger)
    fixed_time: bool = False  # no "*" in minute or hour: a repeated local time fires once

    def first_at_or_after(self, moment: datetime) -> datetime | None:
        """The first occurrence at or after ``moment`` (UTC), or None if it never fires."""
        found = self._first_at_or_after(moment)
        while found is not None and self.fixed_time and self._second_instant(found):
            found = self._first_at_or_after(found + timedelta(microseconds=1))
        return found

    def _second_instant(self, moment: datetime) -> bool:
        """True when ``moment`` is the later of two instants with the same local time."""
        local = moment.astimezone(self.timezone)
        return bool(local.fold) and local.replace(fold=0).utcoffset() != local.utcoffset()

    def _first_at_or_after(self, moment: datetime) -> datetime | None:
        start = as_utc(moment)
        found = self._search(start)
        if found is None:
            return None
        # APScheduler 3 adds wall-clock differences in UTC, so a search that crosses a
        # daylight-saving transition can overshoot and skip an occurrence (a 00:00 job
        # skips the Monday after the spring change in Europe/Berlin). A search started at
        # the last transition before the true answer crosses none, so restarting at every
        # transition in between and keeping the earliest result gives the right time.
        for transition in _transitions(self.timezone, start, found):
            restarted = self._search(transition)
            if restarted is not None and start <= restarted < found:
                found = restarted
        return found

    def _search(self, start: datetime) -> datetime | None:
        fire = self.trigger.get_next_fire_time(None, start)
        return None if fire is None else as_utc(fire)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after ``moment`` (UTC)."""
        return self.first_at_or_after(as_utc(moment) + timedelta(microseconds=1))

    def next_times(self, after: datetime, count: int = 5) -> list[datetime]:
        """The next ``count`` occurrences after ``after``, in the schedule's time zone."""
        times: list[datetime] = []
        moment: datetime | None = as_utc(after)
        while len(times) < count and moment is not None:
            moment = self.next_after(moment)
            if moment is not None:
                times.append(moment.astimezone(self.timezone))
        return times

    def latest_between(self, since: datetime, until: datetime) -> datetime | None:
        """The latest occurrence in ``[since, until]`` (UTC), or None.

        Used to coalesce missed occurrences into one run, for the most recent of them.
        The look-back grows geometrically, so a per-minute schedule missed for a year does
        not walk half a million occurrences.
        """
        since, until = as_utc(since), as_utc(until)
        span = timedelta(minutes=1)
        while True:
            lower = max(since, until - span)
            first = self.first_at_or_after(lower)
            if first is not None and first <= until:
                latest = first
                while (following := self.next_after(latest)) is not None and following <= until:
                    latest = following
                return latest
            if lower == since:
                return None
            span *= 4


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The instants in ``(start, end]`` where ``zone``'s UTC offset changes."""
    found: list[datetime] = []
    low = start
    while low < end:
        high = min(low + timedelta(days=1), end)
        if _offset(zone, high) == _offset(zone, low):
            low = high
            continue
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if _offset(zone, middle) == _offset(zone, low):
                low = middle
            else:
                high = middle
        found.append(high)
        low = high
    return found


def parse_cron(expression: str, timezone: str = "UTC") -> CronSchedule:
    """Parse a five-field cron expression (or an @-alias) in an IANA time zone.

    Invalid expressions and unknown zones are a UsageError (exit 2) naming the problem.
    """
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger

    zone = load_timezone(timezone)
    text = " ".join(expression.split())
    expanded = ALIASES.get(text.lower(), text)
    if expanded.startswith("@"):
        raise UsageError(
            f"invalid cron expression {expression!r}: unknown alias; "
            f"use one of {', '.join(sorted(ALIASES))}"
        )
    fields = expanded.split()
    if len(fields) != 5:
        raise UsageError(f"invalid cron expression {expression!r}: {_EXAMPLE}")
    minute, hour, day, month, weekday = fields
    day_of_week = _day_of_week_names(weekday, expression)

    def cron(day_: str, day_of_week_: str) -> Any:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day_,
            month=month,
            day_of_week=day_of_week_,
            timezone=zone,
        )

    try:
        if not day.startswith("*") and not weekday.startswith("*"):
            trigger: Any = OrTrigger([cron(day, "*"), cron("*", day_of_week)])
        else:
            trigger = cron(day, day_of_week)
    except ValueError as exc:
        raise UsageError(f"invalid cron expression {expression!r}: {exc}") from None
    fixed = not minute.startswith("*") and not hour.startswith("*")
    schedule = CronSchedule(expression=text, timezone=zone, trigger=trigger, fixed_time=fixed)
    if schedule.first_at_or_after(datetime.now(UTC)) is None:
        raise UsageError(f"invalid cron expression {expression!r}: it never fires")
    return schedule


def apscheduler_trigger(schedule: CronSchedule) -> Any:
    """An APScheduler trigger that fires at ``schedule``'s occurrences (for the daemon).

    It delegates to :class:`CronSchedule`, so the daemon and ``tick`` agree on every
    occurrence, DST corrections included.
    """
    from apscheduler.triggers.base import BaseTrigger

    class ScheduleTrigger(BaseTrigger):
        def get_next_fire_time(
            self, previous_fire_time: datetime | None, now: datetime
        ) -> datetime | None:
            if previous_fire_time is not None:
                return schedule.next_after(previous_fire_time)
            return schedule.first_at_or_after(now)

        def __str__(self) -> str:
            return f"cron[{schedule.expression!r} in {schedule.timezone.key}]"

    return ScheduleTrigger()
