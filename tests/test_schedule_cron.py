"""Cron expressions: standard cron meaning, evaluated by APScheduler, in IANA time zones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agentctl.errors import UsageError
from agentctl.services.scheduling.cron import parse_cron

# Wednesday 2026-03-25 00:00 UTC
WED = datetime(2026, 3, 25, tzinfo=UTC)


def days(expression: str, count: int = 7, start: datetime = WED, tz: str = "UTC") -> list[str]:
    return [t.strftime("%a %d") for t in parse_cron(expression, tz).next_times(start, count)]


@pytest.mark.parametrize("weekday", ["0", "7", "SUN", "sun"])
def test_sunday_is_0_or_7_as_in_cron(weekday: str) -> None:
    assert days(f"0 9 * * {weekday}", 2) == ["Sun 29", "Sun 05"]


def test_weekday_numbers_follow_cron_not_apscheduler() -> None:
    assert days("0 9 * * 1-5", 5) == ["Wed 25", "Thu 26", "Fri 27", "Mon 30", "Tue 31"]
    assert days("0 9 * * 1", 1) == ["Mon 30"]
    assert days("0 9 * * 6", 1) == ["Sat 28"]
    assert days("0 9 * * MON,FRI", 3) == ["Fri 27", "Mon 30", "Fri 03"]
    assert days("0 9 * * 5-7", 3) == ["Fri 27", "Sat 28", "Sun 29"]
    assert days("0 9 * * FRI-SUN", 3) == ["Fri 27", "Sat 28", "Sun 29"]
    assert days("0 9 * * */2", 4) == ["Thu 26", "Sat 28", "Sun 29", "Tue 31"]


def test_month_names() -> None:
    first = parse_cron("0 9 1 JAN *").next_times(WED, 2)
    assert [t.isoformat() for t in first] == [
        "2027-01-01T09:00:00+00:00",
        "2028-01-01T09:00:00+00:00",
    ]


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("@hourly", ["2026-03-25T01:00:00+00:00", "2026-03-25T02:00:00+00:00"]),
        ("@daily", ["2026-03-26T00:00:00+00:00", "2026-03-27T00:00:00+00:00"]),
        ("@weekly", ["2026-03-29T00:00:00+00:00", "2026-04-05T00:00:00+00:00"]),
        ("@monthly", ["2026-04-01T00:00:00+00:00", "2026-05-01T00:00:00+00:00"]),
    ],
)
def test_aliases(alias: str, expected: list[str]) -> None:
    assert [t.isoformat() for t in parse_cron(alias).next_times(WED, 2)] == expected


def test_day_of_month_or_day_of_week_as_in_cron() -> None:
    # Both restricted: cron fires on either (the 1st, and every Monday).
    assert days("0 9 1 * MON", 3) == ["Mon 30", "Wed 01", "Mon 06"]
    # One of them '*': only the other counts.
    assert days("0 9 * * MON", 2) == ["Mon 30", "Mon 06"]


def test_next_runs_across_spring_dst_change_in_berlin() -> None:
    """Last Sunday of March 2026 (the 29th): 02:00 CET jumps to 03:00 CEST."""
    start = datetime(2026, 3, 27, tzinfo=UTC)
    at_nine = parse_cron("0 9 * * *", "Europe/Berlin").next_times(start, 4)
    assert [t.isoformat() for t in at_nine] == [
        "2026-03-27T09:00:00+01:00",
        "2026-03-28T09:00:00+01:00",
        "2026-03-29T09:00:00+02:00",
        "2026-03-30T09:00:00+02:00",
    ]
    assert [t.astimezone(UTC).hour for t in at_nine] == [8, 8, 7, 7]
    # 02:30 does not exist on the 29th: APScheduler's trigger runs it an hour later.
    skipped = parse_cron("30 2 * * *", "Europe/Berlin").next_times(start, 4)
    assert [t.isoformat() for t in skipped] == [
        "2026-03-27T02:30:00+01:00",
        "2026-03-28T02:30:00+01:00",
        "2026-03-29T03:30:00+02:00",
        "2026-03-30T02:30:00+02:00",
    ]


def test_midnight_job_does_not_skip_the_day_after_the_spring_change() -> None:
    # APScheduler 3's own search jumps from Sunday 00:00 to Tuesday here.
    runs = parse_cron("@daily", "Europe/Berlin").next_times(datetime(2026, 3, 28, tzinfo=UTC), 3)
    assert [t.isoformat() for t in runs] == [
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
        "2026-03-31T00:00:00+02:00",
    ]


def test_next_runs_across_autumn_dst_change_in_berlin() -> None:
    """Last Sunday of October 2026 (the 25th): 03:00 CEST falls back to 02:00 CET."""
    start = datetime(2026, 10, 23, tzinfo=UTC)
    at_nine = parse_cron("0 9 * * *", "Europe/Berlin").next_times(start, 4)
    assert [t.isoformat() for t in at_nine] == [
        "2026-10-23T09:00:00+02:00",
        "2026-10-24T09:00:00+02:00",
        "2026-10-25T09:00:00+01:00",
        "2026-10-26T09:00:00+01:00",
    ]
    # 02:30 happens twice on the 25th; like cronie, a fixed time fires at the first only.
    repeated = parse_cron("30 2 * * *", "Europe/Berlin").next_times(start, 4)
    assert [t.astimezone(UTC).isoformat() for t in repeated] == [
        "2026-10-23T00:30:00+00:00",
        "2026-10-24T00:30:00+00:00",
        "2026-10-25T00:30:00+00:00",  # 02:30 CEST
        "2026-10-26T01:30:00+00:00",  # 02:30 CET, the next day
    ]


def test_a_repeated_fixed_time_fires_once_on_the_fall_back_sunday_in_new_york() -> None:
    """Issue 14.9: 2026-11-01 01:59:59 EDT is followed by 01:00:00 EST; 01:45 happens twice."""
    cron = parse_cron("45 1 * * SUN", "America/New_York")
    runs = cron.next_times(datetime(2026, 10, 30, tzinfo=UTC), 3)
    assert [t.astimezone(UTC).isoformat() for t in runs] == [
        "2026-11-01T05:45:00+00:00",  # 01:45 EDT (UTC-4); not again at 06:45 UTC (01:45 EST)
        "2026-11-08T06:45:00+00:00",  # 01:45 EST (UTC-5)
        "2026-11-15T06:45:00+00:00",
    ]
    # Coalescing agrees: the latest occurrence by 07:00 UTC that Sunday is the first 01:45.
    assert cron.latest_between(
        datetime(2026, 11, 1, 5, tzinfo=UTC), datetime(2026, 11, 1, 7, tzinfo=UTC)
    ) == datetime(2026, 11, 1, 5, 45, tzinfo=UTC)


def test_wildcard_hours_keep_firing_through_the_repeated_hour() -> None:
    """``*/30 * * * *`` is not a fixed time: both 02:00 and 02:30 happen twice in Berlin."""
    runs = parse_cron("*/30 * * * *", "Europe/Berlin").next_times(
        datetime(2026, 10, 24, 23, 59, tzinfo=UTC), 5
    )
    assert [t.astimezone(UTC).isoformat() for t in runs] == [
        "2026-10-25T00:00:00+00:00",  # 02:00 CEST
        "2026-10-25T00:30:00+00:00",  # 02:30 CEST
        "2026-10-25T01:00:00+00:00",  # 02:00 CET
        "2026-10-25T01:30:00+00:00",  # 02:30 CET
        "2026-10-25T02:00:00+00:00",  # 03:00 CET
    ]


def test_time_zone_changes_the_instant() -> None:
    utc = parse_cron("0 9 * * *").next_after(WED)
    tokyo = parse_cron("0 9 * * *", "Asia/Tokyo").next_after(WED)
    assert utc is not None and tokyo is not None
    assert utc.isoformat() == "2026-03-25T09:00:00+00:00"
    assert tokyo.isoformat() == "2026-03-26T00:00:00+00:00"  # 09:00 JST = 00:00 UTC


def test_next_after_is_strictly_after() -> None:
    cron = parse_cron("0 9 * * *")
    nine = datetime(2026, 3, 25, 9, tzinfo=UTC)
    assert cron.next_after(nine) == datetime(2026, 3, 26, 9, tzinfo=UTC)
    assert cron.first_at_or_after(nine) == nine


def test_latest_between_finds_the_last_missed_occurrence() -> None:
    cron = parse_cron("*/5 * * * *")
    since = datetime(2025, 1, 1, tzinfo=UTC)
    until = datetime(2026, 3, 25, 12, 7, 30, tzinfo=UTC)
    assert cron.latest_between(since, until) == datetime(2026, 3, 25, 12, 5, tzinfo=UTC)
    yearly = parse_cron("0 0 1 1 *")
    assert yearly.latest_between(since, until) == datetime(2026, 1, 1, tzinfo=UTC)
    assert yearly.latest_between(datetime(2026, 1, 2, tzinfo=UTC), until) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("0 9 * *", "expected five fields"),
        ("0 9 * * * *", "expected five fields"),
        ("61 * * * *", "higher than the maximum"),
        ("0 24 * * *", "higher than the maximum"),
        ("0 9 32 * *", "higher than the maximum"),
        ("0 9 * 13 *", "higher than the maximum"),
        ("0 9 * FOO *", "month"),
        ("0 9 * * 8", "day of week '8'"),
        ("0 9 * * XYZ", "day of week 'XYZ'"),
        ("0 9 * * 5-1", "runs backwards"),
        ("@often", "unknown alias"),
        ("0 0 30 2 *", "never fires"),
        ("", "expected five fields"),
    ],
)
def test_invalid_expressions(expression: str, reason: str) -> None:
    with pytest.raises(UsageError) as excinfo:
        parse_cron(expression)
    assert excinfo.value.message.startswith(f"invalid cron expression {expression!r}")
    assert reason.lower() in excinfo.value.message.lower()


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "Europe/Berlin "])
def test_unknown_time_zone(zone: str) -> None:
    with pytest.raises(UsageError, match="unknown time zone"):
        parse_cron("0 9 * * *", zone)
