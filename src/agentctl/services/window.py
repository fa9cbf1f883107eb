"""Report and metric windows: ``[since, until)`` on created_at, relative to ``as_of``.

``--range 7d`` means ``[as_of - 7 days, as_of)``; ``today`` starts at midnight UTC of
as_of's day; ``all`` has no lower bound. ``as_of`` defaults to now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from agentctl.errors import UsageError
from agentctl.timeutil import isoformat, parse_datetime, utcnow

RANGES = ("today", "7d", "30d", "90d", "all")
DEFAULT_RANGE = "7d"


@dataclass(frozen=True)
class Window:
    since: datetime | None  # None: no lower bound
    until: datetime
    as_of: datetime
    label: str  # "7d", "all", "custom", …

    @property
    def length(self) -> timedelta | None:
        return None if self.since is None else self.until - self.since

    def previous(self) -> Window:
        """The window of the same length just before this one (for --compare)."""
        if self.since is None:
            raise UsageError("--compare needs a bounded window (not --range all)")
        length = self.until - self.since
        return Window(self.since - length, self.since, self.as_of, f"previous {self.label}")

    def as_dict(self) -> dict[str, str | None]:
        return {
            "since": isoformat(self.since),
            "until": isoformat(self.until),
            "as_of": isoformat(self.as_of),
            "range": self.label,
        }

    def period(self) -> str:
        """``2026-11-21 04:48 to 2026-11-28 04:48 UTC (7d)``: the window as the terminal
        and the reports show it."""
        since = f"{self.since:%Y-%m-%d %H:%M}" if self.since is not None else "the beginning"
        label = f" ({self.label})" if self.label != "custom" else ""
        return f"{since} to {self.until:%Y-%m-%d %H:%M} UTC{label}"


def _parse(option: str, value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def resolve_window(
    range_: str | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    as_of: str | datetime | None = None,
    *,
    default_range: str = DEFAULT_RANGE,
) -> Window:
    """Turn the window options into a Window; bad combinations are a UsageError (exit 2)."""
    as_of_dt = _parse("--as-of", as_of) or utcnow()
    since_dt = _parse("--since", since)
    until_dt = _parse("--until", until)

    if range_ is not None and (since_dt is not None or until_dt is not None):
        raise UsageError("use either --range or --since/--until, not both")
    if since_dt is not None or until_dt is not None:
        until_dt = until_dt or as_of_dt
        if since_dt is not None and since_dt >= until_dt:
            raise UsageError(
                f"--since ({isoformat(since_dt)}) must be before --until ({isoformat(until_dt)})"
            )
        return Window(since_dt, until_dt, as_of_dt, "custom")

    label = (range_ or default_range).strip().lower()
    if label == "all":
        return Window(None, as_of_dt, as_of_dt, label)
    if label == "today":
        midnight = as_of_dt.replace(hour=0, minute=0, second=0, microsecond=0)
        return Window(midnight, as_of_dt, as_of_dt, label)
    if label.endswith("d") and label[:-1].isdigit() and int(label[:-1]) > 0:
        return Window(as_of_dt - timedelta(days=int(label[:-1])), as_of_dt, as_of_dt, label)
    raise UsageError(f"unknown range {range_!r}; use one of {', '.join(RANGES)} (or Nd)")
