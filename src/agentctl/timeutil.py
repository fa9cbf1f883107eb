"""Timezone-aware UTC everywhere.

Every timestamp inside agentctl is an aware ``datetime`` in UTC. Input with any UTC
offset is converted to the same instant in UTC; naive input is taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive means UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_datetime(text: str) -> datetime:
    """Parse ISO 8601 (``Z`` or any offset; a bare date is midnight UTC). Raise ValueError."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty timestamp")
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        try:
            parsed_date = date.fromisoformat(raw)
        except ValueError:
            raise ValueError(
                f"invalid timestamp {text!r} (expected ISO 8601, e.g. 2026-10-01T08:00:00Z)"
            ) from None
        parsed = datetime(parsed_date.year, parsed_date.month, parsed_date.day)
    return as_utc(parsed)


def parse_optional_datetime(text: str | None) -> datetime | None:
    if text is None or not str(text).strip():
        return None
    return parse_datetime(str(text))


def parse_duration(text: str) -> timedelta:
    """``30s``, ``15m``, ``2h``, ``7d``, ``1w`` → timedelta. Raise ValueError."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"invalid duration {text!r} (expected e.g. 30m, 2h, 7d)")
    return timedelta(**{_DURATION_UNITS[match.group(2)]: int(match.group(1))})


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 with an explicit UTC offset, as every JSON/CSV output uses."""
    if value is None:
        return None
    return as_utc(value).isoformat()


def human_duration(minutes: float | None) -> str:
    """``135.0`` → ``2h 15m``; ``None`` → ``-``."""
    if minutes is None:
        return "-"
    total = round(minutes)
    if total < 1:
        return f"{max(minutes, 0) * 60:.0f}s" if minutes > 0 else "0m"
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"
