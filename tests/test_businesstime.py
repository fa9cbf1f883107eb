"""Business-time arithmetic at its edges; every expected value is worked out by hand.

Europe/Berlin is UTC+1 in winter (CET) and UTC+2 in summer (CEST); it springs forward on
2026-03-29 (02:00 -> 03:00) and falls back on 2026-10-25 (03:00 -> 02:00).
America/New_York is UTC-5 (EST) and UTC-4 (EDT); 2026-03-08 and 2026-11-01.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agentctl.businesstime import Calendar, CalendarError, parse_hours, validate_region


def cal(
    tz: str, *hours: str, holidays: tuple[str, ...] = (), region: str | None = None
) -> Calendar:
    return Calendar(
        timezone=tz,
        week=parse_hours(hours),
        holidays=frozenset(date.fromisoformat(d) for d in holidays),
        holiday_region=region,
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


OFFICE = ("mon-fri 09:00-17:00",)


def test_friday_evening_ticket_answered_monday_morning() -> None:
    # Fri 2026-11-27 18:00 CET = 17:00Z; Mon 2026-11-30 09:30 CET = 08:30Z: only 09:00-09:30.
    berlin = cal("Europe/Berlin", *OFFICE)
    assert berlin.business_minutes(utc(2026, 11, 27, 17), utc(2026, 11, 30, 8, 30)) == 30


def test_span_starting_and_ending_outside_hours_counts_the_whole_day() -> None:
    # Mon 2026-11-30 07:00 to 20:00 local: the full 09:00-17:00, 480 minutes.
    berlin = cal("Europe/Berlin", *OFFICE)
    assert berlin.business_minutes(utc(2026, 11, 30, 6), utc(2026, 11, 30, 19)) == 480


def test_span_inside_one_interval_and_empty_spans() -> None:
    berlin = cal("Europe/Berlin", *OFFICE)
    # 10:00 to 10:45 local.
    assert berlin.business_minutes(utc(2026, 11, 30, 9), utc(2026, 11, 30, 9, 45)) == 45
    # Saturday only, and a reversed span.
    assert berlin.business_minutes(utc(2026, 11, 28, 8), utc(2026, 11, 28, 20)) == 0
    assert berlin.business_minutes(utc(2026, 11, 30, 12), utc(2026, 11, 30, 9)) == 0


def test_span_across_a_weekend() -> None:
    # Fri 16:00 local to Mon 10:00 local: 60 on Friday + 60 on Monday.
    berlin = cal("Europe/Berlin", *OFFICE)
    assert berlin.business_minutes(utc(2026, 11, 27, 15), utc(2026, 11, 30, 9)) == 120


def test_public_holidays_of_a_region() -> None:
    # Christmas Day (Fri 2026-12-25) is a holiday in all of Germany, Christmas Eve is not:
    # Thu 24th 16:00 to Mon 28th 10:00 local = 60 (Thu) + 0 (Fri) + 60 (Mon).
    berlin = cal("Europe/Berlin", *OFFICE, region="DE-BE")
    assert berlin.business_minutes(utc(2026, 12, 24, 15), utc(2026, 12, 28, 9)) == 120
    # An explicit holiday removes the 24th too.
    eve = cal("Europe/Berlin", *OFFICE, region="DE-BE", holidays=("2026-12-24",))
    assert eve.business_minutes(utc(2026, 12, 24, 15), utc(2026, 12, 28, 9)) == 60


def test_subdivision_holidays_differ_from_the_country() -> None:
    # Women's Day (Mon 2027-03-08) is a holiday in Berlin only.
    start, end = utc(2027, 3, 8, 8), utc(2027, 3, 9, 8)  # Mon 09:00 to Tue 09:00 local
    assert cal("Europe/Berlin", *OFFICE, region="DE-BE").business_minutes(start, end) == 0
    assert cal("Europe/Berlin", *OFFICE, region="DE").business_minutes(start, end) == 480


def test_adding_from_outside_hours_starts_at_the_next_working_minute() -> None:
    berlin = cal("Europe/Berlin", *OFFICE)
    # Sat 10:00 + 1 minute = Mon 09:01 local (08:01Z).
    assert berlin.add_minutes(utc(2026, 11, 28, 9), 1) == utc(2026, 11, 30, 8, 1)
    # Fri 18:00 + 30 = Mon 09:30.
    assert berlin.add_minutes(utc(2026, 11, 27, 17), 30) == utc(2026, 11, 30, 8, 30)
    # Adding nothing is the start itself, even outside hours.
    assert berlin.add_minutes(utc(2026, 11, 28, 9), 0) == utc(2026, 11, 28, 9)


def test_adding_exactly_to_the_end_of_an_interval_gives_that_end() -> None:
    # The earliest instant: Fri 16:00 + 60 = Fri 17:00, not Mon 09:00.
    berlin = cal("Europe/Berlin", *OFFICE)
    assert berlin.add_minutes(utc(2026, 11, 27, 15), 60) == utc(2026, 11, 27, 16)
    assert berlin.add_minutes(utc(2026, 11, 27, 15), 61) == utc(2026, 11, 30, 8, 1)


def test_several_intervals_a_day() -> None:
    lunch = cal("Europe/Berlin", "mon-fri 09:00-12:30", "mon-fri 13:30-17:00")
    # Mon 12:00 to 14:00 local: 30 before lunch + 30 after.
    assert lunch.business_minutes(utc(2026, 11, 30, 11), utc(2026, 11, 30, 13)) == 60
    # A whole day: 210 + 210.
    assert lunch.business_minutes(utc(2026, 11, 30, 0), utc(2026, 12, 1, 0)) == 420
    # Mon 12:00 + 45 = 30 to 12:30, then 15 from 13:30: 13:45 local.
    assert lunch.add_minutes(utc(2026, 11, 30, 11), 45) == utc(2026, 11, 30, 12, 45)
    # Inside the lunch break + 1 = 13:31 local.
    assert lunch.add_minutes(utc(2026, 11, 30, 12), 1) == utc(2026, 11, 30, 12, 31)
    assert not lunch.is_working(utc(2026, 11, 30, 12))
    assert lunch.is_working(utc(2026, 11, 30, 12, 30))  # 13:30 local, start inclusive
    assert not lunch.is_working(utc(2026, 11, 30, 16))  # 17:00 local, end exclusive


def test_24_00_ends_make_a_night_shift_continuous() -> None:
    night = cal("UTC", "mon-fri 18:00-24:00", "tue-sat 00:00-02:00")
    # Mon 23:00 to Tue 01:00: 60 + 60, nothing lost at midnight.
    assert night.business_minutes(utc(2026, 11, 30, 23), utc(2026, 12, 1, 1)) == 120
    assert night.add_minutes(utc(2026, 11, 30, 23, 30), 60) == utc(2026, 12, 1, 0, 30)
    # Sat 02:00 + 1 = Mon 18:01.
    assert night.add_minutes(utc(2026, 12, 5, 2), 1) == utc(2026, 12, 7, 18, 1)
    assert night.business_minutes(utc(2026, 11, 30, 0), utc(2026, 12, 1, 0)) == 360


def test_berlin_spring_forward() -> None:
    always = cal("Europe/Berlin", "mon-sun 00:00-24:00")
    # Sat 00:00 CET (Fri 23:00Z) to Mon 00:00 CEST (Sun 22:00Z): 24h + 23h.
    assert always.business_minutes(utc(2026, 3, 27, 23), utc(2026, 3, 29, 22)) == 47 * 60
    # Sun 01:00-04:00 local is 00:00Z to 02:00Z: two real hours.
    night = cal("Europe/Berlin", "sun 01:00-04:00")
    assert night.business_minutes(utc(2026, 3, 29, 0), utc(2026, 3, 29, 12)) == 120
    # Fri 16:00 CET (15:00Z) + 120 = 60 on Friday, then Mon 10:00 CEST (08:00Z).
    berlin = cal("Europe/Berlin", *OFFICE)
    assert berlin.add_minutes(utc(2026, 3, 27, 15), 120) == utc(2026, 3, 30, 8)


def test_intervals_overlapping_in_a_spring_forward_gap_count_once() -> None:
    # With fold=0, 02:00 and 02:45 (which do not exist) are 01:00Z and 01:45Z, and
    # 03:00-04:00 CEST is 01:00Z-02:00Z: the union is 01:00Z-02:00Z, 60 minutes (not 105).
    gap = cal("Europe/Berlin", "sun 02:00-02:45", "sun 03:00-04:00")
    assert gap.business_minutes(utc(2026, 3, 29, 0), utc(2026, 3, 29, 12)) == 60
    assert gap.add_minutes(utc(2026, 3, 29, 0), 60) == utc(2026, 3, 29, 2)


def test_berlin_fall_back() -> None:
    always = cal("Europe/Berlin", "mon-sun 00:00-24:00")
    # Sun 00:00 CEST (Sat 22:00Z) to Mon 00:00 CET (Sun 23:00Z): a 25-hour day.
    assert always.business_minutes(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)) == 25 * 60
    # 02:00-03:00 local with fold=0: 02:00 CEST (00:00Z) to 03:00 CET (02:00Z).
    repeated = cal("Europe/Berlin", "sun 02:00-03:00")
    assert repeated.business_minutes(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)) == 120
    # Fri 16:30 CEST (14:30Z) + 60 = 30 on Friday, then Mon 09:30 CET (08:30Z).
    berlin = cal("Europe/Berlin", *OFFICE)
    assert berlin.add_minutes(utc(2026, 10, 23, 14, 30), 60) == utc(2026, 10, 26, 8, 30)


def test_new_york_spring_forward_and_fall_back() -> None:
    ny = cal("America/New_York", *OFFICE)
    # Fri 2026-03-06 16:00 EST (21:00Z) to Mon 03-09 10:00 EDT (14:00Z): 60 + 60.
    assert ny.business_minutes(utc(2026, 3, 6, 21), utc(2026, 3, 9, 14)) == 120
    # Fri 16:30 EST (21:30Z) + 60 = Mon 09:30 EDT (13:30Z).
    assert ny.add_minutes(utc(2026, 3, 6, 21, 30), 60) == utc(2026, 3, 9, 13, 30)
    # Fri 2026-10-30 16:30 EDT (20:30Z) + 60 = Mon 11-02 09:30 EST (14:30Z).
    assert ny.add_minutes(utc(2026, 10, 30, 20, 30), 60) == utc(2026, 11, 2, 14, 30)
    always = cal("America/New_York", "mon-sun 00:00-24:00")
    # Sun 11-01 00:00 EDT (04:00Z) to Mon 00:00 EST (05:00Z): 25 hours.
    assert always.business_minutes(utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)) == 25 * 60
    # Sun 03-08 00:00 EST (05:00Z) to Mon 00:00 EDT (04:00Z): 23 hours.
    assert always.business_minutes(utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)) == 23 * 60


def test_a_year_long_span_is_worked_per_day() -> None:
    office = cal("UTC", *OFFICE)
    assert date(2026, 1, 5).weekday() == 0  # a Monday
    # 52 weeks x 5 days x 480 minutes.
    assert office.business_minutes(utc(2026, 1, 5, 9), utc(2027, 1, 4, 9)) == 124_800
    # And back: the earliest end is Friday of week 52, 2027-01-01 17:00.
    assert office.add_minutes(utc(2026, 1, 5, 9), 124_800) == utc(2027, 1, 1, 17)
    # Ten years: the table of days has about 3,650 + 400 + 30 rows, not one per minute.
    assert office.business_minutes(utc(2026, 1, 5, 9), utc(2036, 1, 5, 9)) > 0
    assert len(office._days) < 4_200


def test_a_span_earlier_than_the_table_rebuilds_it() -> None:
    office = cal("UTC", *OFFICE)
    assert office.business_minutes(utc(2026, 11, 30, 9), utc(2026, 11, 30, 10)) == 60
    # Two years earlier: Mon 2024-12-02 16:00 to Tue 10:00.
    assert office.business_minutes(utc(2024, 12, 2, 16), utc(2024, 12, 3, 10)) == 120
    assert office.business_minutes(utc(2026, 11, 30, 9), utc(2026, 11, 30, 10)) == 60


def test_a_calendar_with_no_working_time_cannot_add() -> None:
    closed = cal("UTC", "mon 09:00-10:00", holidays=())
    closed.week = {}
    with pytest.raises(CalendarError, match="no working time"):
        closed.add_minutes(utc(2026, 11, 30, 9), 1)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mon-fri 9-17", "invalid hours"),
        ("mon-fri 09:00 17:00", "invalid hours"),
        ("funday 09:00-17:00", "invalid day"),
        ("fri-mon 09:00-17:00", "runs backwards"),
        ("mon 17:00-09:00", "end is not after the start"),
        ("mon 09:00-09:00", "end is not after the start"),
        ("mon 25:00-26:00", "invalid time"),
        ("mon 09:60-10:00", "invalid time"),
        ("mon 24:00-24:00", "invalid time"),
    ],
)
def test_bad_hours(spec: str, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        parse_hours([spec])


def test_overlapping_intervals_are_refused() -> None:
    with pytest.raises(CalendarError, match="overlap on tue: 09:00-13:00 and 12:00-17:00"):
        parse_hours(["mon-fri 09:00-13:00", "tue 12:00-17:00"])
    # Touching intervals are fine.
    assert parse_hours(["mon 09:00-12:00", "mon 12:00-17:00"]) == {0: [(540, 720), (720, 1020)]}


def test_bad_zone_and_region() -> None:
    with pytest.raises(CalendarError, match="unknown time zone 'Mars/Olympus'"):
        cal("Mars/Olympus", *OFFICE)
    for region in ("XX", "DE-XX", ""):
        with pytest.raises(CalendarError, match="unknown holiday region"):
            validate_region(region)
    assert validate_region("de-be") == "DE-BE"
