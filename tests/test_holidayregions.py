"""Region holidays load one country module, and agree with the holidays package's own API.

The expected values come from ``holidays.country_holidays`` (the package's public entry
point, which loads every country) and from the calendar's table of days.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import holidays
import pytest

from agentctl.businesstime import Calendar, parse_hours
from agentctl.holidayregions import UnknownRegion, region_holidays


@pytest.mark.parametrize(
    ("region", "country", "subdiv"),
    [
        ("DE", "DE", None),
        ("de-be", "DE", "BE"),
        ("DEU", "DEU", None),
        ("US-NY", "US", "NY"),
        ("IM", "IM", None),  # Isle of Man imports the United Kingdom's module
        ("XNYS", "XNYS", None),  # a financial market, as country_holidays accepts
    ],
)
def test_same_holidays_as_the_package(region, country, subdiv):
    years = [2025, 2026, 2027]
    expected = dict(holidays.country_holidays(country, subdiv=subdiv, years=years).items())
    assert expected  # the comparison is not vacuous
    assert region_holidays(region, years) == expected


@pytest.mark.parametrize("region", ["XX", "DE-XX", "", "JAN", "PUBLIC", "HolidaysAX"])
def test_unknown_regions(region):
    with pytest.raises(UnknownRegion):
        region_holidays(region, [2026])


PROBE = """
import json, sys
from datetime import datetime, UTC
from agentctl.businesstime import Calendar, parse_hours
calendar = Calendar("Europe/Berlin", parse_hours(["mon-fri 08:00-18:00"]), holiday_region="DE")
working = calendar.is_working(datetime.fromisoformat(sys.argv[1]))
loaded = [m for m in sys.modules if m == "holidays" or m.startswith("holidays.")]
countries = sorted(m for m in loaded if m.startswith("holidays.countries."))
print(json.dumps({"working": working, "any": bool(loaded), "countries": countries}))
"""


def _probe(instant: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, instant], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_a_working_weekday_loads_only_its_country():
    # Thu 2026-10-01 10:00 in Berlin (08:00Z): office hours, not a holiday.
    assert _probe("2026-10-01T08:00:00+00:00") == {
        "working": True,
        "any": True,
        "countries": ["holidays.countries.germany"],
    }
    # Sat 2026-10-03 (German Unity Day, and a Saturday) and Mon 2026-10-05 at night: the
    # weekly hours already say no, so no holiday is looked up.
    for instant in ("2026-10-03T08:00:00+00:00", "2026-10-05T01:00:00+00:00"):
        assert _probe(instant) == {"working": False, "any": False, "countries": []}
    # Fri 2026-12-25, Christmas, inside the weekly hours: a holiday.
    assert _probe("2026-12-25T09:00:00+00:00")["working"] is False


@pytest.mark.parametrize(
    ("zone", "hours"),
    [
        ("Europe/Berlin", ["mon-fri 09:00-12:30", "mon-fri 13:30-17:00"]),
        ("Europe/Berlin", ["sun 01:30-03:30", "mon-sat 00:00-02:45", "mon-sat 22:00-24:00"]),
        ("America/New_York", ["mon-sun 00:00-24:00"]),
    ],
)
def test_is_working_agrees_with_the_table_of_days(zone, hours):
    """is_working(t) looks at one local day; the table counts one microsecond from t."""
    week = parse_hours(hours)
    quick = Calendar(zone, week, holidays=frozenset({date(2026, 3, 30)}), holiday_region="DE")
    table = Calendar(zone, week, holidays=frozenset({date(2026, 3, 30)}), holiday_region="DE")
    rng = random.Random(15)
    start = datetime(2026, 3, 1, tzinfo=UTC)  # spans both 2026 DST changes and Easter
    instants = [start + timedelta(minutes=15 * i) for i in range(4 * 24 * 60)]
    instants += [start + timedelta(seconds=rng.randrange(300 * 86400)) for _ in range(2000)]
    for instant in instants:
        micros = int(instant.timestamp()) * 1_000_000
        expected = table.business_micros(micros, micros + 1) == 1
        assert quick.is_working(instant) is expected, instant
