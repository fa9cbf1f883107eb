"""The four reports: each turns a window of the database into a ``Report``.

Summaries are a fixed number of grouped statements; detail rows are streamed from the
database when the writer asks for them (the session must stay open while it writes).
The performance report reuses ``agentctl.services.performance``: same definitions, same
statement, so its figures equal ``agentctl performance`` on the same data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from agentctl.repository import reports as repo
from agentctl.services import performance as perf
from agentctl.services.reports.model import (
    Chart,
    Field,
    Figure,
    Report,
    Section,
    integer,
    moment,
    number,
    text,
)
from agentctl.services.window import Window

UNASSIGNED = "(unassigned)"

# --- performance -------------------------------------------------------------------------

_METRIC_FIELDS: list[Field] = [
    integer("total_assigned", "Assigned"),
    integer("total_resolved", "Resolved"),
    integer("total_open", "Open"),
    integer("total_in_progress", "In progress", 10),
    integer("total_waiting", "Waiting"),
    number("avg_resolution_time_minutes", "Avg resolution (min)", 13),
    number("avg_first_response_time_minutes", "Avg first response (min)", 15),
    number("sla_compliance_rate", "SLA compliance %", 12),
    number("escalation_rate", "Escalation %", 11),
]
PERFORMANCE_FIELDS: list[Field] = [
    text("agent_id", "Agent id", 36),
    text("agent_name", "Agent", 20),
    text("agent_email", "Email", 26),
    *_METRIC_FIELDS,
]


def default_bucket(window: Window) -> str:
    """Days for a window of up to a month, weeks for anything longer (or unbounded)."""
    length = window.length
    return "day" if length is not None and length <= timedelta(days=31) else "week"


def performance_report(
    session: Session, window: Window, tenant: str | None, generated_at: datetime, by: str | None
) -> Report:
    result = perf.performance(session, window, tenant)
    by = by or default_bucket(window)
    trend = perf.bucket_metrics(session, window, tenant, by)  # type: ignore[arg-type]
    summary = result.summary.as_dict()
    figures = [
        Figure("active_agents", "Active agents", summary["active_agents"]),
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
        sections=[Section("trend", f"Trend per {by}", trend_fields, trend_rows, own_sheet=True)],
        fields=PERFORMANCE_FIELDS,
        rows=lambda: iter(agent_rows),
        total_rows=len(agent_rows),
        chart=Chart.top(
            "Resolved tickets per agent",
            "Resolved",
            ((m.agent_email, m.total_resolved) for m in result.agents),
        ),
        parameters={"by": by},
    )


# --- sla-breaches ------------------------------------------------------------------------

BREACH_FIELDS: list[Field] = [
    text("ticket_number", "Ticket", 12),
    text("subject", "Subject", 40),
    text("status", "Status", 11),
    text("priority", "Priority", 9),
    text("category", "Category", 12),
    text("agent_email", "Agent", 26),
    moment("created_at", "Created (UTC)"),
    moment("sla_due_date", "SLA due (UTC)"),
    moment("resolved_at", "Resolved (UTC)"),
    number("minutes_over", "Minutes over", 12),
    text("tenant_id", "Tenant", 10),
]
_GROUP_FIELDS = [
    integer("breaches", "Breaches"),
    number("avg_minutes_over", "Avg minutes over", 14),
    number("max_minutes_over", "Max minutes over", 14),
]


def _group_row(group: repo.BreachGroup) -> tuple[Any, ...]:
    avg = group.minutes_over_sum / group.breaches if group.breaches else None
    return (group.breaches, avg, group.minutes_over_max)


def sla_breaches_report(
    session: Session, window: Window, tenant: str | None, generated_at: datetime
) -> Report:
    args = (window.since, window.until, window.as_of, tenant)
    by_agent = repo.breaches_by_agent(session, *args)
    by_priority = repo.breaches_by_priority(session, *args)
    desk = perf.summarize(session, window, tenant)
    total = sum(g.breaches for g in by_agent)
    over_sum = sum(g.minutes_over_sum for g in by_agent)
    maxima = [g.minutes_over_max for g in by_agent if g.minutes_over_max is not None]
    unassigned = sum(g.breaches for g in by_agent if g.key is None)
    figures = [
        Figure("breached_tickets", "Breached tickets", total),
        Figure("unassigned_breaches", "Breached, unassigned", unassigned),
        Figure(
            "avg_minutes_over", "Avg minutes over", over_sum / total if total else None, "float"
        ),
        Figure("max_minutes_over", "Max minutes over", max(maxima, default=None), "float"),
        Figure(
            "sla_compliance_rate",
            "SLA compliance % (agents' tickets)",
            desk.sla_compliance_rate,
            "float",
        ),
    ]
    agent_section = Section(
        "by_agent",
        "Breaches per agent",
        [text("agent_email", "Agent", 26), text("agent_name", "Name", 20), *_GROUP_FIELDS],
        [(g.key, g.name if g.key is not None else UNASSIGNED, *_group_row(g)) for g in by_agent],
    )
    priority_section = Section(
        "by_priority",
        "Breaches per priority",
        [text("priority", "Priority", 10), *_GROUP_FIELDS],
        [(g.key, *_group_row(g)) for g in by_priority],
    )

    def rows() -> Iterator[tuple[Any, ...]]:
        return repo.stream_rows(session, repo.breach_rows_query(*args))

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
    text("agent_email", "Agent", 26),
    moment("created_at", "Created (UTC)"),
    number("age_hours", "Age (hours)", 11),
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
        Figure("open_tickets", "Open tickets", total),
        Figure(
            "unassigned_open",
            "Open, unassigned",
            sum(g.total for g in groups if g.agent_email is None),
        ),
        *[Figure(f"age_{BUCKET_KEYS[label]}", f"Age {label}", totals[label]) for label in labels],
    ]
    section = Section(
        "by_agent",
        "Open tickets per agent and age",
        [
            text("agent_email", "Agent", 26),
            text("agent_name", "Name", 20),
            *[integer(BUCKET_KEYS[label], label, 8) for label in labels],
            integer("total", "Total", 8),
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
        chart=Chart.top(
            "Open tickets per agent",
            "Open tickets",
            ((g.agent_email or UNASSIGNED, g.total) for g in groups),
        ),
    )


# --- workload ----------------------------------------------------------------------------

WORKLOAD_FIELDS: list[Field] = [
    text("agent_id", "Agent id", 36),
    text("agent_name", "Agent", 20),
    text("agent_email", "Email", 26),
    text("status", "Status", 10),
    moment("last_activity_at", "Last activity (UTC)"),
    integer("open", "Open", 7),
    integer("in_progress", "In progress", 10),
    integer("waiting", "Waiting", 8),
    integer("workload", "Workload", 9),
    integer("max_open_tickets", "Cap", 6),
    number("utilization_rate", "Cap used %", 10),
    text("oldest_open_ticket", "Oldest open", 12),
    moment("oldest_open_created_at", "Oldest created (UTC)"),
    number("oldest_open_age_hours", "Oldest age (h)", 12),
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
    statuses = ("available", "busy", "away", "offline")
    by_status = [
        (s, sum(1 for r in rows if r[3] == s), sum(r[8] for r in rows if r[3] == s))
        for s in statuses
    ]
    ages = [r[13] for r in rows if r[13] is not None]
    figures = [
        Figure("active_agents", "Active agents", len(rows)),
        Figure("available_agents", "Available agents", by_status[0][1]),
        Figure("total_workload", "Open workload", sum(r[8] for r in rows)),
        Figure(
            "unassigned_open",
            "Open, unassigned",
            repo.unassigned_open(session, window.since, window.until, tenant),
        ),
        Figure(
            "agents_at_capacity",
            "Agents at capacity",
            sum(1 for r in rows if r[9] is not None and r[8] >= r[9]),
        ),
        Figure("oldest_open_age_hours", "Oldest open (hours)", max(ages, default=None), "float"),
    ]
    section = Section(
        "by_status",
        "Agents per status",
        [
            text("status", "Status", 10),
            integer("agents", "Agents"),
            integer("workload", "Workload"),
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
        chart=Chart.top("Open workload per agent", "Workload", ((r[2], r[8]) for r in rows)),
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
    raise ValueError(report_type)  # pragma: no cover - run_report validated it
