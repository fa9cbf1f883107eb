"""Business-time arithmetic: working minutes between instants, and adding them.

No database here. A :class:`Calendar` is a time zone, weekly working intervals in local
time, and holidays (whole local days without business time). DESIGN.md defines:

- the business minutes between instants a < b: the total length of the overlap of
  ``[a, b)`` with the calendar's working intervals, each interval turned into UTC instants
  with the calendar's time zone (zoneinfo, fold=0);
- adding D business minutes to an instant t: the earliest instant u such that the business
  minutes in ``[t, u)`` equal D.

Both run in time per *day*, never per minute: each local day's intervals are turned into
UTC once (integer microseconds, so sums are exact), and a running total of business time
per day is kept, so a span of a year is a subtraction plus two partial days. That is what
makes ``sla apply`` over a million tickets fast.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTES_PER_DAY = 24 * 60
# How far forward `add_minutes` looks for working time before it gives up.
_MAX_SEARCH_DAYS = 366 * 10
_SPEC = re.compile(r"^\s*([a-z,\-]+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")

Interval = tuple[int, int]  # local minutes since midnight, end exclusive, 0 <= s < e <= 1440


class CalendarError(ValueError):
    """Bad calendar input: the message says what is wrong (exit 2 at the CLI)."""


# --- parsing and validation ---------------------------------------------------------


def parse_clock(text: str, *, allow_24: bool) -> int:
    """``"09:30"`` -> 570 minutes; ``"24:00"`` only where ``allow_24`` (an end)."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match:
        raise CalendarError(f"invalid time {text!r} (expected HH:MM)")
    hours, minutes = int(match[1]), int(match[2])
    if hours == 24 and minutes == 0 and allow_24:
        return _MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise CalendarError(f"invalid time {text!r} (00:00 to 23:59, or 24:00 as an end)")
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_days(text: str) -> list[int]:
    """``"mon-fri"``, ``"sat,sun"``, ``"mon,wed-fri"`` -> weekday numbers (Monday = 0)."""
    days: list[int] = []
    for part in text.strip().lower().split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in DAYS or last not in DAYS:
                raise CalendarError(f"invalid day range {part!r} (days are mon ... sun)")
            start, end = DAYS.index(first), DAYS.index(last)
            if end < start:
                raise CalendarError(f"invalid day range {part!r}: it runs backwards")
            days.extend(range(start, end + 1))
        elif part in DAYS:
            days.append(DAYS.index(part))
        else:
            raise CalendarError(f"invalid day {part!r} (days are mon ... sun)")
    return days


def parse_hours(specs: Iterable[str]) -> dict[int, list[Interval]]:
    """``["mon-fri 09:00-12:30", "mon-fri 13:30-17:00"]`` -> weekday -> sorted intervals.

    Raises CalendarError for a malformed spec, an end not after its start, or intervals of
    one day that overlap.
    """
    week: dict[int, list[Interval]] = {}
    for spec in specs:
        match = _SPEC.match(spec.lower())
        if not match:
            raise CalendarError(
                f"invalid hours {spec!r} (expected DAYS HH:MM-HH:MM, e.g. 'mon-fri 09:00-17:00')"
            )
        days = parse_days(match[1])
        start = parse_clock(match[2], allow_24=False)
        end = parse_clock(match[3], allow_24=True)
        if end <= start:
            raise CalendarError(f"invalid hours {spec!r}: the end is not after the start")
        for day in days:
            week.setdefault(day, []).append((start, end))
    return normalize_week(week)


def normalize_week(week: Mapping[int, Sequence[Interval]]) -> dict[int, list[Interval]]:
    """Sort each day's intervals; CalendarError when two overlap."""
    result: dict[int, list[Interval]] = {}
    for day in sorted(week):
        intervals = sorted(week[day])
        for (s1, e1), (s2, e2) in itertools.pairwise(intervals):
            if s2 < e1:
                raise CalendarError(
                    f"intervals overlap on {DAYS[day]}: {format_clock(s1)}-{format_clock(e1)} "
                    f"and {format_clock(s2)}-{format_clock(e2)}"
                )
        if intervals:
            result[day] = intervals
    return result


def hours_to_json(week: Mapping[int, Sequence[Interval]]) -> dict[str, list[list[str]]]:
    """The stored form: ``{"mon": [["09:00", "12:30"], ...]}``."""
    return {
        DAYS[day]: [[format_clock(s), format_clock(e)] for s, e in intervals]
        for day, intervals in sorted(week.items())
    }


def hours_from_json(stored: Mapping[str, Sequence[Sequence[str]]]) -> dict[int, list[Interval]]:
    week: dict[int, list[Interval]] = {}
    for name, intervals in stored.items():
        week[DAYS.index(name)] = [
            (parse_clock(s, allow_24=False), parse_clock(e, allow_24=True)) for s, e in intervals
        ]
    return normalize_week(week)


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"unknown time zone {name!r} (e.g. Europe/Berlin, UTC)") from None


def region_holidays(region: str, years: Iterable[int]) -> dict[date, str]:
    """Public holidays of ``region`` (``DE``, ``DE-BE``, ``US-NY``): one country's module of
    the holidays package, imported here as only calendars with a region need it."""
    from agentctl import holidayregions

    try:
        return holidayregions.region_holidays(region, years)
    except holidayregions.UnknownRegion:
        raise CalendarError(
            f"unknown holiday region {region!r} (a country code such as DE, or DE-BE)"
        ) from None


def validate_region(region: str) -> str:
    """Upper-cased ``region`` after checking the holidays package knows it."""
    region_holidays(region, [2026])
    return region.strip().upper()


# --- the calendar -------------------------------------------------------------------


def _micros(instant: datetime) -> int:
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def _from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


to_micros = _micros  # an aware datetime as integer microseconds since the epoch (UTC)
from_micros = _from_micros  # and back, as an aware UTC datetime


@dataclass(frozen=True)
class Clock:
    """An instant's place in a calendar's table of days (see ``Calendar.clock``)."""

    at: int  # UTC microseconds since the epoch
    index: int  # the table index of its local day
    total: int  # business microseconds from the table's start to it


@dataclass
class Calendar:
    """A time zone, weekly working intervals (local minutes) and holidays.

    ``holiday_region`` adds that region's public holidays, year by year as they are needed.
    Instances keep a table of days (local midnight, working intervals and running total,
    all as integer UTC microseconds): build one per calendar and reuse it across tickets.
    """

    timezone: str
    week: Mapping[int, Sequence[Interval]]
    holidays: frozenset[date] = frozenset()
    holiday_region: str | None = None
    _zone: ZoneInfo = field(init=False, repr=False)
    _region_years: dict[int, frozenset[date]] = field(init=False, repr=False)
    # The table covers the local days [_base, _base + len(_days)):
    # _mid[i] is the UTC instant of day i's local midnight (one more entry than _days, so
    # that day i is [_mid[i], _mid[i + 1])), _days[i] its working intervals, and _cum[i]
    # the business time in days [_base, _base + i).
    _base: date | None = field(init=False, repr=False, default=None)
    _mid: list[int] = field(init=False, repr=False)
    _days: list[tuple[Interval, ...]] = field(init=False, repr=False)
    _cum: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._zone = parse_timezone(self.timezone)
        self.week = normalize_week(self.week)
        self._region_years = {}
        self._mid, self._days, self._cum = [], [], [0]

    @classmethod
    def from_stored(
        cls,
        timezone: str,
        hours: Mapping[str, Sequence[Sequence[str]]],
        holidays: Iterable[str] = (),
        holiday_region: str | None = None,
    ) -> Calendar:
        """From a ``business_calendars`` row's columns."""
        return cls(
            timezone=timezone,
            week=hours_from_json(hours),
            holidays=frozenset(date.fromisoformat(d) for d in holidays),
            holiday_region=holiday_region,
        )

    # -- days

    def is_holiday(self, day: date) -> bool:
        if day in self.holidays:
            return True
        if self.holiday_region is None:
            return False
        year = self._region_years.get(day.year)
        if year is None:
            year = frozenset(region_holidays(self.holiday_region, [day.year]))
            self._region_years[day.year] = year
        return day in year

    def _local(self, day: date, minutes: int) -> int:
        """The UTC instant (microseconds) of local ``day`` + ``minutes``, fold=0."""
        if minutes >= _MINUTES_PER_DAY:
            day, minutes = day + timedelta(days=1), minutes - _MINUTES_PER_DAY
        local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self._zone)
        return _micros(local)

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of local ``day`` as UTC microseconds (empty on holidays).

        Sorted and disjoint: on a spring-forward day two local intervals can map onto
        overlapping instants (``02:00-02:45`` and ``03:00-04:00`` in Europe/Berlin both
        start at 01:00 UTC with fold=0), and the overlap counts once.
        """
        if self.is_holiday(day):
            return ()
        merged: list[Interval] = []
        pairs = sorted(
            (self._local(day, s), self._local(day, e)) for s, e in self.week.get(day.weekday(), ())
        )
        for start, end in pairs:
            if end <= start:
                continue  # wholly inside a spring-forward gap
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return tuple(merged)

    def _local_date(self, micros: int) -> date:
        return _from_micros(micros).astimezone(self._zone).date()

    # -- the table of days

    def _rebase(self, day: date) -> None:
        self._base = day
        self._mid = [self._local(day, 0)]
        self._days, self._cum = [], [0]

    def _extend_to(self, day: date) -> None:
        """Grow the table until it covers local ``day``."""
        assert self._base is not None
        while self._base + timedelta(days=len(self._days)) <= day:
            current = self._base + timedelta(days=len(self._days))
            intervals = self.day_intervals(current)
            self._days.append(intervals)
            self._mid.append(self._local(current + timedelta(days=1), 0))
            self._cum.append(self._cum[-1] + sum(e - s for s, e in intervals))

    def _index(self, micros: int) -> int:
        """The table index of the local day holding ``micros`` (growing the table as needed).

        A table that has to grow backwards is rebuilt from 400 days earlier, so callers
        look up their earliest instant first and later look-ups only append.
        """
        if self._base is None or micros < self._mid[0]:
            self._rebase(self._local_date(micros) - timedelta(days=400))
        if micros >= self._mid[-1]:
            self._extend_to(self._local_date(micros) + timedelta(days=30))
        return bisect.bisect_right(self._mid, micros) - 1

    def _cum_at(self, micros: int) -> tuple[int, int]:
        """(table index of micros's day, business microseconds in [table start, micros))."""
        index = self._index(micros)
        total = self._cum[index]
        for start, end in self._days[index]:
            if micros <= start:
                break
            total += min(micros, end) - start
        return index, total

    # -- the two operations of DESIGN.md, on integer microseconds

    def business_micros(self, a: int, b: int) -> int:
        """Business microseconds in ``[a, b)`` (UTC microseconds since the epoch)."""
        if b <= a:
            return 0
        return self.business_micros_from(self.clock(a), b)

    def add_micros(self, a: int, amount: int) -> int:
        """The earliest u such that the business microseconds in ``[a, u)`` equal amount."""
        if amount < 0:
            raise ValueError("cannot add negative business time")
        if amount == 0:
            return a
        return self.add_micros_from(self.clock(a), amount)

    def clock(self, a: int) -> Clock:
        """Where instant ``a`` sits in the table: reused by several look-ups from one start
        (a ticket's two due dates and two durations all start at its created_at)."""
        index, total = self._cum_at(a)
        return Clock(a, index, total)

    def business_micros_from(self, clock: Clock, b: int) -> int:
        """``business_micros(clock.at, b)``; the clock must come from this calendar."""
        if b <= clock.at:
            return 0
        # clock.at was looked up first, so this look-up only appends to the table.
        return self._cum_at(b)[1] - clock.total

    def add_micros_from(self, clock: Clock, amount: int) -> int:
        """``add_micros(clock.at, amount)`` for amount > 0."""
        first, target = clock.index, clock.total + amount
        index = bisect.bisect_left(self._cum, target, lo=first)
        while index >= len(self._cum):
            if len(self._cum) - first > _MAX_SEARCH_DAYS:
                raise CalendarError("the calendar has no working time in the next ten years")
            assert self._base is not None
            self._extend_to(self._base + timedelta(days=len(self._days) + 60))
            index = bisect.bisect_left(self._cum, target, lo=first)
        remaining = target - self._cum[index - 1]
        for s, e in self._days[index - 1]:
            if remaining <= e - s:
                return s + remaining
            remaining -= e - s
        raise AssertionError("running total and day intervals disagree")  # pragma: no cover

    # -- the same on datetimes

    def business_minutes(self, start: datetime, end: datetime) -> float:
        """Business minutes in ``[start, end)``; 0 when end <= start."""
        return self.business_micros(_micros(start), _micros(end)) / (60 * _US)

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The earliest instant u such that the business minutes in ``[start, u)`` equal
        ``minutes`` (a start outside working hours begins at the next working minute)."""
        if minutes < 0:
            raise ValueError("cannot add negative business minutes")
        if minutes == 0:
            return start
        return _from_micros(self.add_micros(_micros(start), round(minutes * 60 * _US)))

    def is_working(self, instant: datetime) -> bool:
        """Whether ``instant`` falls inside a working interval (start inclusive).

        Only the instant's local day is looked at (no table of days is built), and its
        holidays only when the weekly hours say the instant is working time.
        """
        micros = _micros(instant)
        day = self._local_date(micros)
        if not any(
            self._local(day, s) <= micros < self._local(day, e)
            for s, e in self.week.get(day.weekday(), ())
        ):
            return False
        return any(s <= micros < e for s, e in self.day_intervals(day))


def plain_minutes(start: datetime, end: datetime) -> float:
    """Wall-clock minutes, for tickets whose calendar is none."""
    return max((end - start).total_seconds() / 60, 0.0)
