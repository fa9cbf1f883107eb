"""The sla-breaches report: every breached ticket of the window, and its summary.

Core only (``agentctl.columns``, a ``Database.connect`` connection): no ORM on this path.
The summary (breaches per agent and per priority, the desk's SLA compliance) is one
statement, run only when something reads it (issue 15): a CSV file alone never does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agentctl.repository import breaches
from agentctl.repository.streams import stream_batches, stream_rows
from agentctl.services.reports.model import (
    UNASSIGNED,
    Chart,
    Figure,
    Report,
    Section,
    Summary,
    agent,
    count,
    minutes,
    moment,
    text,
    ticket_head,
)
from agentctl.services.window import Window

if TYPE_CHECKING:
    from agentctl.repository.common import Reader


BREACH_FIELDS = [
    *ticket_head(),
    moment("sla_due_date", "SLA due (UTC)"),
    moment("resolved_at", "Resolved (UTC)"),
    minutes("minutes_over", "Over by", 12),
    text("tenant_id", "Tenant", 10),
]
_GROUP_FIELDS = [
    count("breaches", "Breaches"),
    minutes("avg_minutes_over", "Avg over by", 14),
    minutes("max_minutes_over", "Max over by", 14),
]


def _group_row(group: breaches.BreachGroup) -> tuple[Any, ...]:
    avg = group.minutes_over_sum / group.breaches if group.breaches else None
    return (group.breaches, avg, group.minutes_over_max)


def breach_summary(summary: breaches.BreachSummary) -> Summary:
    """The report's figures, tables and chart from the summary statement's result."""
    by_agent, by_priority = summary.by_agent, summary.by_priority
    judged = summary.sla_met + summary.sla_breached
    compliance = 100.0 * summary.sla_met / judged if judged else None
    total = sum(g.breaches for g in by_agent)
    over_sum = sum(g.minutes_over_sum for g in by_agent)
    maxima = [g.minutes_over_max for g in by_agent if g.minutes_over_max is not None]
    unassigned = sum(g.breaches for g in by_agent if g.key is None)
    figures = [
        Figure("breached_tickets", "Breached tickets", total, "count"),
        Figure("unassigned_breaches", "Breached, unassigned", unassigned, "count"),
        Figure("avg_minutes_over", "Avg over by", over_sum / total if total else None, "minutes"),
        Figure("max_minutes_over", "Max over by", max(maxima, default=None), "minutes"),
        Figure(
            "sla_compliance_rate",
            "SLA compliance (agents' tickets)",
            compliance,
            "percent",
        ),
    ]
    agent_section = Section(
        "by_agent",
        "Breaches per agent",
        [agent("agent_email", "Agent"), text("agent_name", "Name", 20), *_GROUP_FIELDS],
        [(g.key, g.name if g.key is not None else UNASSIGNED, *_group_row(g)) for g in by_agent],
    )
    priority_section = Section(
        "by_priority",
        "Breaches per priority",
        [text("priority", "Priority", 10), *_GROUP_FIELDS],
        [(g.key, *_group_row(g)) for g in by_priority],
    )
    return Summary(
        figures,
        [agent_section, priority_section],
        total,
        Chart.top(
            "SLA breaches per agent",
            "Breaches",
            ((g.key or UNASSIGNED, g.breaches) for g in by_agent),
        ),
    )


def sla_breaches_report(
    reader: Reader, window: Window, tenant: str | None, generated_at: datetime
) -> Report:
    args = (window.since, window.until, window.as_of, tenant)

    def summarize() -> Summary:  # one statement (issue 15), when something reads it
        return breach_summary(breaches.breach_summary(reader, *args))

    def rows() -> Iterator[tuple[Any, ...]]:
        return stream_rows(reader, breaches.breach_rows_query(*args))

    def worst_rows(limit: int) -> Iterator[tuple[Any, ...]]:
        query = breaches.breach_rows_query(*args, worst_first=True).limit(limit)
        return stream_rows(reader, query)

    def csv_batches() -> Iterator[Sequence[Any]]:
        query = breaches.breach_rows_query(*args)
        return stream_batches(reader, query)

    return Report(
        report_type="sla-breaches",
        title="SLA breaches",
        window=window,
        tenant=tenant,
        generated_at=generated_at,
        fields=BREACH_FIELDS,
        rows=rows,
        summary_source=summarize,
        top_rows=worst_rows,
        top_rows_order="the longest overdue",
        csv_batches=csv_batches,
    )
