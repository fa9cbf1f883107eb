"""Agent performance over a window: the metrics of DESIGN.md, per agent and desk-wide.

Each function here runs a fixed number of statements (one per window) whatever the number
of agents; the SQL is in ``agentctl.repository.performance`` and, for the trend,
``agentctl.repository.trend``. Values are kept unrounded; ``as_dict()`` rounds rates and
minutes to 2 decimals, as JSON, CSV and reports show them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from agentctl.errors import UsageError
from agentctl.repository import performance as repo
from agentctl.repository import trend
from agentctl.repository.performance import AgentTotals, Percentiles, Totals
from agentctl.repository.trend import BucketSize
from agentctl.services.window import Window

if TYPE_CHECKING:
    from agentctl.repository.common import Reader

# The fields whose change --compare shows (everything but the agent's identity).
METRIC_FIELDS = (
    "total_assigned",
    "total_resolved",
    "total_open",
    "total_in_progress",
    "total_waiting",
    "avg_resolution_time_minutes",
    "avg_first_response_time_minutes",
    "sla_compliance_rate",
    "escalation_rate",
    "median_resolution_time_minutes",
    "p90_resolution_time_minutes",
    "median_first_response_time_minutes",
    "p90_first_response_time_minutes",
    "avg_resolution_business_minutes",
    "avg_first_response_business_minutes",
    "first_response_sla_rate",
    "resolved_in_window",
)
AGENT_FIELDS = ("agent_id", "agent_name", "agent_email", *METRIC_FIELDS)
SORT_FIELDS = AGENT_FIELDS
BUCKET_SIZES = ("day", "week")
_ROUNDED = {
    "avg_resolution_time_minutes",
    "avg_first_response_time_minutes",
    "sla_compliance_rate",
    "escalation_rate",
    "median_resolution_time_minutes",
    "p90_resolution_time_minutes",
    "median_first_response_time_minutes",
    "p90_first_response_time_minutes",
    "avg_resolution_business_minutes",
    "avg_first_response_business_minutes",
    "first_response_sla_rate",
}


def _ratio(numerator: float, denominator: int, scale: float = 1.0) -> float | None:
    return None if denominator == 0 else scale * numerator / denominator


def round2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class Metrics:
    """The metric figures of one group of cohort tickets (an agent, a day, the desk)."""

    total_assigned: int
    total_resolved: int
    total_open: int
    total_in_progress: int
    total_waiting: int
    avg_resolution_time_minutes: float | None
    avg_first_response_time_minutes: float | None
    sla_compliance_rate: float | None
    escalation_rate: float | None
    median_resolution_time_minutes: float | None
    p90_resolution_time_minutes: float | None
    median_first_response_time_minutes: float | None
    p90_first_response_time_minutes: float | None
    avg_resolution_business_minutes: float | None
    avg_first_response_business_minutes: float | None
    first_response_sla_rate: float | None
    resolved_in_window: int

    @staticmethod
    def values_from(
        t: Totals, p: Percentiles = Percentiles(), resolved_in_window: int = 0
    ) -> dict[str, Any]:
        return {
            "total_assigned": t.assigned,
            "total_resolved": t.resolved,
            "total_open": t.open,
            "total_in_progress": t.in_progress,
            "total_waiting": t.waiting,
            "avg_resolution_time_minutes": _ratio(t.resolution_minutes, t.resolution_count),
            "avg_first_response_time_minutes": _ratio(
                t.first_response_minutes, t.first_response_count
            ),
            "sla_compliance_rate": _ratio(t.sla_met, t.sla_met + t.sla_breached, 100.0),
            "escalation_rate": _ratio(t.escalated, t.assigned, 100.0),
            "median_resolution_time_minutes": p.median_resolution,
            "p90_resolution_time_minutes": p.p90_resolution,
            "median_first_response_time_minutes": p.median_first_response,
            "p90_first_response_time_minutes": p.p90_first_response,
            "avg_resolution_business_minutes": _ratio(
                t.resolution_business_minutes, t.resolution_business_count
            ),
            "avg_first_response_business_minutes": _ratio(
                t.first_response_business_minutes, t.first_response_business_count
            ),
            "first_response_sla_rate": _ratio(
                t.first_response_met, t.first_response_met + t.first_response_breached, 100.0
            ),
            "resolved_in_window": resolved_in_window,
        }

    def as_dict(self) -> dict[str, Any]:
        """The fields in output order, rates and minutes rounded to 2 decimals."""
        return {
            f.name: round2(getattr(self, f.name)) if f.name in _ROUNDED else getattr(self, f.name)
            for f in fields(self)
        }


@dataclass(frozen=True)
class AgentMetrics:
    """One row of ``agentctl performance``: exactly DESIGN.md's JSON fields."""

    agent_id: uuid.UUID
    agent_name: str
    agent_email: str
    total_assigned: int
    total_resolved: int
    total_open: int
    total_in_progress: int
    total_waiting: int
    avg_resolution_time_minutes: float | None
    avg_first_response_time_minutes: float | None
    sla_compliance_rate: float | None
    escalation_rate: float | None
    median_resolution_time_minutes: float | None
    p90_resolution_time_minutes: float | None
    median_first_response_time_minutes: float | None
    p90_first_response_time_minutes: float | None
    avg_resolution_business_minutes: float | None
    avg_first_response_business_minutes: float | None
    first_response_sla_rate: float | None
    resolved_in_window: int

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        return {k: round2(v) if k in _ROUNDED else v for k, v in values.items()}


@dataclass(frozen=True)
class Summary(Metrics):
    """Desk-wide figures over the union of the active agents' cohorts.

    Averages and rates are ratios of sums over all those tickets, not means of the
    agents' means.
    """

    active_agents: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"active_agents": self.active_agents, **super().as_dict()}


@dataclass(frozen=True)
class BucketMetrics(Metrics):
    """Desk-wide figures for the cohort tickets created in one day or ISO week."""

    bucket_start: datetime = field(default=datetime.min)

    def as_dict(self) -> dict[str, Any]:
        return {"bucket_start": self.bucket_start, **super().as_dict()}


@dataclass(frozen=True)
class PerformanceReport:
    """What ``agentctl performance`` shows: the rows, the summary and, with --compare,
    the same figures for the previous window of the same length."""

    window: Window
    agents: list[AgentMetrics]
    summary: Summary
    previous_window: Window | None = None
    previous_agents: dict[uuid.UUID, AgentMetrics] = field(default_factory=dict)
    previous_summary: Summary | None = None

    def rows(self) -> list[dict[str, Any]]:
        """Output rows; with --compare each metric gains a ``<metric>_previous`` field."""
        result = []
        for agent in self.agents:
            row = agent.as_dict()
            before = self.previous_agents.get(agent.agent_id)
            if self.previous_window is not None:
                old = before.as_dict() if before is not None else {}
                for name in METRIC_FIELDS:
                    row[f"{name}_previous"] = old.get(name)
            result.append(row)
        return result


def _agent_metrics(totals: AgentTotals) -> AgentMetrics:
    return AgentMetrics(
        agent_id=totals.agent_id,
        agent_name=totals.agent_name,
        agent_email=totals.agent_email,
        **Metrics.values_from(totals.totals, totals.percentiles, totals.resolved_in_window),
    )


Fetched = tuple[list[AgentTotals], AgentTotals]


def _summary(fetched: Fetched) -> Summary:
    agents, desk = fetched
    return Summary(
        **Metrics.values_from(desk.totals, desk.percentiles, desk.resolved_in_window),
        active_agents=len(agents),
    )


def _fetch(session: Reader, window: Window, tenant: str | None) -> Fetched:
    return repo.agent_totals(session, window.since, window.until, window.as_of, tenant)


def agent_metrics(session: Reader, window: Window, tenant: str | None) -> list[AgentMetrics]:
    """Every active agent's metrics over ``window`` (one statement), ordered by name."""
    return [_agent_metrics(t) for t in _fetch(session, window, tenant)[0]]


def summarize(session: Reader, window: Window, tenant: str | None) -> Summary:
    """Desk-wide figures over ``window`` (one statement)."""
    return _summary(_fetch(session, window, tenant))


def _bucket_starts(window: Window, by: BucketSize, found: Iterable[datetime]) -> list[datetime]:
    """Every bucket of the window, so a quiet day shows as a zero rather than a gap."""
    found = sorted(found)
    step = timedelta(days=1 if by == "day" else 7)

    def floor(moment: datetime) -> datetime:
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return day - timedelta(days=day.weekday()) if by == "week" else day

    first = floor(window.since) if window.since is not None else (found[0] if found else None)
    if first is None:
        return []
    last = floor(window.until - timedelta(microseconds=1))
    starts = []
    current = first
    while current <= last:
        starts.append(current)
        current += step
    return starts


def bucket_metrics(
    session: Reader, window: Window, tenant: str | None, by: BucketSize
) -> list[BucketMetrics]:
    """Desk-wide metrics per day or ISO week (bucket start, UTC) in one grouped statement.

    Every bucket of the window is listed, those without tickets with zeros and nulls.
    """
    if by not in BUCKET_SIZES:
        raise UsageError(f"unknown bucket {by!r}; use day or week")
    rows = trend.bucket_totals(session, window.since, window.until, window.as_of, tenant, by)
    by_start = {r.bucket_start: r for r in rows}
    empty = trend.BucketTotals(datetime.min, Totals())
    result = []
    for start in _bucket_starts(window, by, by_start):
        found = by_start.get(start, empty)
        values = Metrics.values_from(found.totals, found.percentiles, found.resolved_in_window)
        result.append(BucketMetrics(**values, bucket_start=start))
    return result


def _sort_key(name: str, descending: bool) -> Any:
    def key(agent: AgentMetrics) -> tuple[Any, ...]:
        value = getattr(agent, name)
        if isinstance(value, uuid.UUID | str):
            value = str(value).lower()
        return value

    return key


def sort_agents(
    agents: Sequence[AgentMetrics], field_name: str | None, *, descending: bool = False
) -> list[AgentMetrics]:
    """Agents ordered by one field (nulls last; ties by name, then email), or by name."""
    if field_name is None:
        ordered = sorted(agents, key=lambda a: (a.agent_name.lower(), a.agent_email.lower()))
        return list(reversed(ordered)) if descending else ordered
    name = field_name.strip().lower().replace("-", "_")
    if name not in SORT_FIELDS:
        raise UsageError(f"unknown sort field {field_name!r}; use one of {', '.join(SORT_FIELDS)}")
    ordered = sorted(agents, key=lambda a: (a.agent_name.lower(), a.agent_email.lower()))
    present = [a for a in ordered if getattr(a, name) is not None]
    missing = [a for a in ordered if getattr(a, name) is None]
    present.sort(key=_sort_key(name, descending), reverse=descending)
    return present + missing


def performance(
    session: Reader,
    window: Window,
    tenant: str | None,
    *,
    sort: str | None = None,
    descending: bool = False,
    compare: bool = False,
) -> PerformanceReport:
    """Everything ``agentctl performance`` shows: one statement, two with ``compare``."""
    if sort is not None:
        sort_agents([], sort)  # a bad field fails before any query
    previous_window = window.previous() if compare else None
    current = _fetch(session, window, tenant)
    agents = sort_agents([_agent_metrics(t) for t in current[0]], sort, descending=descending)
    report = PerformanceReport(window=window, agents=agents, summary=_summary(current))
    if previous_window is None:
        return report
    before = _fetch(session, previous_window, tenant)
    return PerformanceReport(
        window=window,
        agents=agents,
        summary=report.summary,
        previous_window=previous_window,
        previous_agents={t.agent_id: _agent_metrics(t) for t in before[0]},
        previous_summary=_summary(before),
    )
