"""The four reports: each turns a window of the database into a ``Report``.

Summaries are a fixed number of grouped statements; detail rows are streamed from the
database when the writer asks for them (the session must stay open while it writes).
The performance report reuses ``agentctl.services.performance``: same definitions, same
statement, so its figures equal ``agentctl performance`` on the same data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from agentctl.repository import breaches
from agentctl.repository import reports as repo
from agentctl.services.reports.model import (
    Chart,
    Field,
    Figure,
    Report,
    Section,
    agent,
    agent_labels,
    count,
    hours,
    identifier,
    integer,
    minutes,
    moment,
    not_in_pdf,
    percent,
    text,
)
from agentctl.services.window import Window

UNASSIGNED = "(unassigned)"

# --- performance -------------------------------------------------------------------------

# The PDF keeps the columns a manager reads (volume, speed, SLA, escalations) so that
# they fit the page at a readable size; the others are for analysts, in CSV and XLSX.
_METRIC_FIELDS: list[Field] = [
    count("total_assigned", "Assigned"),
    count("total_resolved", "Resolved"),
    count("total_open", "Open"),
    not_in_pdf(count("total_in_progress", "In progress", 10)),
    not_in_pdf(count("total_waiting", "Waiting")),
    minutes("avg_resolution_time_minutes", "Avg resolution", 13),
    minutes("avg_first_response_time_minutes", "Avg first response", 15),
    percent("sla_compliance_rate", "SLA compliance", 12),
    percent("escalation_rate", "Escalation rate", 11),
    # Business time (issue 9): percentiles, business minutes, first-response SLA.
    minutes("median_resolution_time_minutes", "Median resolution", 13),
    minutes("p90_resolution_time_minutes", "P90 resolution", 13),
    not_in_pdf(minutes("median_first_response_time_minutes", "Median first response", 15)),
    not_in_pdf(minutes("p90_first_response_time_minutes", "P90 first response", 15)),
    not_in_pdf(minutes("avg_resolution_business_minutes", "Avg resolution (business)", 15)),
    not_in_pdf(minutes("avg_first_response_business_minutes", "Avg first response (business)", 16)),
    percent("first_response_sla_rate", "First response SLA", 12),
    not_in_pdf(count("resolved_in_window", "Resolved in window", 10)),
]
PERFORMANCE_FIELDS: list[Field] = [
    identifier("agent_id", "Agent id"),
    text("agent_name", "Agent", 20),
    agent("agent_email", "Email"),
    *_METRIC_FIELDS,
]


def default_bucket(window: Window) -> str:
    """Days for a window of up to a month, weeks for anything longer (or unbounded)."""
    length = window.length
    return "day" if length is not None and length <= timedelta(days=31) else "week"


def performance_report(
    session: Session, window: Window, tenant: str | None, generated_at: datetime, by: str | None
) -> Report:
    from agentctl.services import performance as perf  # this report's only (issue 15)

    result = perf.performance(session, window, tenant)
    by = by or default_bucket(window)
    trend = perf.bucket_metrics(session, window, tenant, by)  # type: ignore[arg-type]
    summary = result.summary.as_dict()
    figures = [
        Figure("active_agents", "Active agents", summary["active_agents"], "count"),
        *[Figure(f.key, f.title, summary[f.key], f.kind) for f in _METRIC_FIELDS],
    ]
    keys = [f.key for f in PERFORMANCE_FIELDS]
    agent_rows = [tuple(m.as_dict()[k] for k in keys) for m in result.agents]
    trend_fields = [moment("bucket_start", "Day" if by == "day" else "Week of"), *_METRIC_FIELDS]
    trend_rows = [tuple(b.as_dict()[f.key] for f in trend_fields) for b in trend]
    return Report(
        report_type="performance",
        title="Agent performance",
        window=window,
        tenant=tenant,
        generated_at=generated_at,
        figures=figures,
        sections=[
            Section(
                "trend",
                f"Trend per {by}",
                trend_fields,
                trend_rows,
                own_sheet=True,
                period=by,  # type: ignore[arg-type]
            )
        ],
        fields=PERFORMANCE_FIELDS,
        rows=lambda: iter(agent_rows),
        total_rows=len(agent_rows),
        chart=Chart.top(
            "Resolved tickets per agent",
            "Resolved",
            ((m.agent_email, m.total_resolved) for m in result.agents),
        ),
        parameters={"by": by},
        capped=False,  # one row per agent: the PDF lists every agent
    )


# --- sla-breaches ------------------------------------------------------------------------

BREACH_FIELDS: list[Field] = [
    text("ticket_number", "Ticket", 12),
    text("subject", "Subject", 40),
    text("status", "Status", 11),
    text("priority", "Priority", 9),
    text("category", "Category", 12),
    agent("agent_email", "Agent"),
    moment("created_at", "Created (UTC)"),
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


def sla_breaches_report(
    session: Session, window: Window, tenant: str | None, generated_at: datetime
) -> Report:
    args = (window.since, window.until, window.as_of, tenant)
    summary = breaches.breach_summary(session, *args)  # one statement (issue 15)
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

    def rows() -> Iterator[tuple[Any, ...]]:
        return repo.stream_rows(session, breaches.breach_rows_query(*args))

    def worst_rows(limit: int) -> Iterator[tuple[Any, ...]]:
        query = breaches.breach_rows_query(*args, worst_first=True).limit(limit)
        return repo.stream_rows(session, query)

    def csv_batches() -> Iterator[Sequence[Any]]:
        query = breaches.breach_rows_query(*args, stored_timestamps=True)
        return repo.stream_batches(session, query)

    return Report(
        report_type="sla-breaches",
        title="SLA breaches",
        window=window,
        tenant=tenant,
        generated_at=generated_at,
        figures=figures,
        sections=[agent_section, priority_section],
        fields=BREACH_FIELDS,
        rows=rows,
        total_rows=total,
        chart=Chart.top(
            "SLA breaches per agent",
            "Breaches",
            ((g.key or UNASSIGNED, g.breaches) for g in by_agent),
        ),
        top_rows=worst_rows,
        top_rows_order="the longest overdue",
        csv_batches=csv_batches,
    )


# --- aging -------------------------------------------------------------------------------

BUCKET_KEYS = {
    "<1d": "under_1d",
    "1-3d": "1_to_3d",
    "3-7d": "3_to_7d",
    "7-30d": "7_to_30d",
    ">30d": "over_30d",
}
AGING_FIELDS: list[Field] = [
    text("ticket_number", "Ticket", 12),
    text("subject", "Subject", 40),
    text("status", "Status", 11),
    text("priority", "Priority", 9),
    text("category", "Category", 12),
    agent("agent_email", "Agent"),
    moment("created_at", "Created (UTC)"),
    hours("age_hours", "Age", 11),
    text("age_bucket", "Age bucket", 10),
    text("tenant_id", "Tenant", 10),
]


def aging_report(
    session: Session, window: Window, tenant: str | None, generated_at: datetime
) -> Report:
    args = (window.since, window.until, window.as_of, tenant)
    groups = repo.aging_by_agent(session, *args)
    labels = [label for label, _ in repo.AGE_BUCKETS]
    totals = {label: sum(g.buckets[label] for g in groups) for label in labels}
    total = sum(totals.values())
    figures = [
        Figure("open_tickets", "Open tickets", total, "count"),
        Figure(
            "unassigned_open",
            "Open, unassigned",
            sum(g.total for g in groups if g.agent_email is None),
            "count",
        ),
        *[
            Figure(f"age_{BUCKET_KEYS[label]}", f"Age {label}", totals[label], "count")
            for label in labels
        ],
    ]
    section = Section(
        "by_agent",
        "Open tickets per agent and age",
        [
            agent("agent_email", "Agent"),
            text("agent_name", "Name", 20),
            *[count(BUCKET_KEYS[label], label, 8) for label in labels],
            count("total", "Total", 8),
        ],
        [
            (
                g.agent_email,
                g.agent_name if g.agent_email is not None else UNASSIGNED,
                *[g.buckets[label] for label in labels],
                g.total,
            )
            for g in groups
        ],
    )

    def rows() -> Iterator[tuple[Any, ...]]:
        return repo.stream_rows(session, repo.aging_rows_query(*args))

    return Report(
        report_type="aging",
        title="Open work by age",
        window=window,
        tenant=tenant,
        generated_at=generated_at,
        figures=figures,
        sections=[section],
        fields=AGING_FIELDS,
        rows=rows,
        total_rows=total,
        top_rows_order="the oldest",
        chart=Chart.top(
            "Open tickets per agent",
            "Open tickets",
            ((g.agent_email or UNASSIGNED, g.total) for g in groups),
        ),
    )


# --- workload ----------------------------------------------------------------------------

WORKLOAD_FIELDS: list[Field] = [
    identifier("agent_id", "Agent id"),
    text("agent_name", "Agent", 20),
    agent("agent_email", "Email"),
    text("status", "Status", 10),
    moment("last_activity_at", "Last activity (UTC)"),
    count("open", "Open", 7),
    count("in_progress", "In progress", 10),
    count("waiting", "Waiting", 8),
    count("workload", "Workload", 9),
    integer("max_open_tickets", "Cap", 6),
    percent("utilization_rate", "Cap used", 10),
    text("oldest_open_ticket", "Oldest ticket", 12),
    moment("oldest_open_created_at", "Oldest created (UTC)"),
    hours("oldest_open_age_hours", "Oldest age", 12),
    text("tenant_id", "Tenant", 10),
]


def workload_report(
    session: Session, window: Window, tenant: str | None, generated_at: datetime
) -> Report:
    rows: list[tuple[Any, ...]] = []
    for r in repo.workload_rows(session, window.since, window.until, tenant):
        workload, cap, oldest_at = r[8], r[9], r[11]
        used = 100.0 * workload / cap if cap else None
        age = (window.as_of - oldest_at).total_seconds() / 3600 if oldest_at else None
        rows.append((*r[:10], used, r[10], oldest_at, age, r[12]))
    # "inactive": removed agents who still hold open work (listed, not dropped).
    statuses = ("available", "busy", "away", "offline", "inactive")
    by_status = [
        (s, sum(1 for r in rows if r[3] == s), sum(r[8] for r in rows if r[3] == s))
        for s in statuses
    ]
    ages = [r[13] for r in rows if r[13] is not None]
    figures = [
        Figure("active_agents", "Active agents", len(rows) - by_status[4][1], "count"),
        Figure("available_agents", "Available agents", by_status[0][1], "count"),
        Figure("total_workload", "Workload", sum(r[8] for r in rows), "count"),
        Figure(
            "inactive_agents_with_work", "Inactive agents holding work", by_status[4][1], "count"
        ),
        Figure(
            "unassigned_open",
            "Unassigned workload",
            repo.unassigned_open(session, window.since, window.until, tenant),
            "count",
        ),
        Figure(
            "agents_at_capacity",
            "Agents at capacity",
            sum(1 for r in rows if r[9] is not None and r[8] >= r[9]),
            "count",
        ),
        Figure("oldest_open_age_hours", "Oldest in workload", max(ages, default=None), "hours"),
    ]
    section = Section(
        "by_status",
        "Agents per status",
        [
            text("status", "Status", 10),
            count("agents", "Agents"),
            count("workload", "Workload"),
        ],
        by_status,
    )
    return Report(
        report_type="workload",
        title="Agent workload",
        window=window,
        tenant=tenant,
        generated_at=generated_at,
        figures=figures,
        sections=[section],
        fields=WORKLOAD_FIELDS,
        rows=lambda: iter(rows),
        total_rows=len(rows),
        chart=Chart.top("Workload per agent", "Workload", ((r[2], r[8]) for r in rows)),
        capped=False,  # one row per agent: the PDF lists every agent
    )


def build_report(
    session: Session,
    report_type: str,
    window: Window,
    tenant: str | None,
    generated_at: datetime,
    *,
    by: str | None = None,
    within: timedelta | None = None,
) -> Report:
    report = _build(session, report_type, window, tenant, generated_at, by=by, within=within)
    # Documents name agents by name (the email only where two share a name): one statement.
    report.agent_names = agent_labels(repo.agent_identities(session, tenant))
    return report


def _build(
    session: Session,
    report_type: str,
    window: Window,
    tenant: str | None,
    generated_at: datetime,
    *,
    by: str | None = None,
    within: timedelta | None = None,
) -> Report:
    if report_type == "sla-at-risk":
        from agentctl.services.reports.at_risk import parse_within, sla_at_risk_report

        return sla_at_risk_report(
            session, window, tenant, generated_at, within or parse_within(None)
        )
    if report_type == "performance":
        return performance_report(session, window, tenant, generated_at, by)
    if report_type == "sla-breaches":
        return sla_breaches_report(session, window, tenant, generated_at)
    if report_type == "aging":
        return aging_report(session, window, tenant, generated_at)
    if report_type == "workload":
        return workload_report(session, window, tenant, generated_at)
    if report_type == "availability":  # availability history (issue 11)
        from agentctl.services.reports.availability import availability_report

        return availability_report(session, window, tenant, generated_at)
    raise ValueError(report_type)  # pragma: no cover - run_report validated it
