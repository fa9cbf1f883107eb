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
    """Public holidays of ``region`` (``DE``, ``DE-BE``, ``US-NY``) from the holidays package."""
    import holidays  # imported here: only calendars with a region need it

    country, _, subdivision = region.strip().upper().partition("-")
    try:
        found = holidays.country_holidays(country, subdiv=subdivision or None, years=list(years))
    except NotImplementedError:
        raise CalendarError(
            f"unknown holiday region {region!r} (a country code such as DE, or DE-BE)"
        ) from None
    return dict(found.items())


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


@dataclass
class Calendar:
    """A time zone, weekly working intervals (local minutes) and holidays.

    ``holiday_region`` adds that region's public holidays, year by year as they are needed.
    Instances cache per-day results: build one per calendar and reuse it across tickets.
    """

    timezone: str
    week: Mapping[int, Sequence[Interval]]
    holidays: frozenset[date] = frozenset()
    holiday_region: str | None = None
    _zone: ZoneInfo = field(init=False, repr=False)
    _region_years: dict[int, frozenset[date]] = field(init=False, repr=False)
    _day_cache: dict[date, tuple[Interval, ...]] = field(init=False, repr=False)
    _base: date | None = field(init=False, repr=False, default=None)
    _cum: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._zone = parse_timezone(self.timezone)
        self.week = normalize_week(self.week)
        self._region_years = {}
        self._day_cache = {}
        self._cum = [0]

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
        """The working intervals of local ``day`` as UTC microseconds (empty on holidays)."""
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        intervals: tuple[Interval, ...] = ()
        if not self.is_holiday(day):
            local = self.week.get(day.weekday(), ())
            pairs = ((self._local(day, s), self._local(day, e)) for s, e in local)
            intervals = tuple((s, e) for s, e in pairs if e > s)
        self._day_cache[day] = intervals
        return intervals

    def _local_date(self, micros: int) -> date:
        return _from_micros(micros).astimezone(self._zone).date()

    # -- the running total: _cum[i] = business microseconds in days [_base, _base + i)

    def _index(self, day: date) -> int:
        if self._base is None or day < self._base:
            self._base = day - timedelta(days=400)
            self._cum = [0]
        index = (day - self._base).days
        while len(self._cum) <= index:
            current = self._base + timedelta(days=len(self._cum) - 1)
            self._cum.append(self._cum[-1] + sum(e - s for s, e in self.day_intervals(current)))
        return index

    def _cum_at(self, micros: int) -> int:
        day = self._local_date(micros)
        index = self._index(day)  # first: it may replace self._cum
        total = self._cum[index]
        for start, end in self.day_intervals(day):
            if micros <= start:
                break
            total += min(micros, end) - start
        return total

    # -- the two operations of DESIGN.md

    def business_minutes(self, start: datetime, end: datetime) -> float:
        """Business minutes in ``[start, end)``; 0 when end <= start."""
        a, b = _micros(start), _micros(end)
        if b <= a:
            return 0.0
        # The earlier total first: it may move the running total's base day back, which
        # the later one (a day >= the earlier's) then never does.
        earlier = self._cum_at(a)
        later = self._cum_at(b)
        return (later - earlier) / (60 * _US)

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The earliest instant u such that the business minutes in ``[start, u)`` equal
        ``minutes`` (a start outside working hours begins at the next working minute)."""
        if minutes < 0:
            raise ValueError("cannot add negative business minutes")
        a = _micros(start)
        if minutes == 0:
            return start
        target = self._cum_at(a) + round(minutes * 60 * _US)
        first = self._index(self._local_date(a))
        base = self._base
        assert base is not None  # set by _index
        index = bisect.bisect_left(self._cum, target, lo=first)
        while index >= len(self._cum):
            if len(self._cum) - first > _MAX_SEARCH_DAYS:
                raise CalendarError("the calendar has no working time in the next ten years")
            self._index(base + timedelta(days=len(self._cum) + 30))
            index = bisect.bisect_left(self._cum, target, lo=first)
        day = base + timedelta(days=index - 1)
        remaining = target - self._cum[index - 1]
        for s, e in self.day_intervals(day):
            if remaining <= e - s:
                return _from_micros(s + remaining)
            remaining -= e - s
        raise AssertionError("running total and day intervals disagree")  # pragma: no cover

    def is_working(self, instant: datetime) -> bool:
        """Whether ``instant`` falls inside a working interval (start inclusive)."""
        micros = _micros(instant)
        return any(s <= micros < e for s, e in self.day_intervals(self._local_date(micros)))


def plain_minutes(start: datetime, end: datetime) -> float:
    """Wall-clock minutes, for tickets whose calendar is none."""
    return max((end - start).total_seconds() / 60, 0.0)
