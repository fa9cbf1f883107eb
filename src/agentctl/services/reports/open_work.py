"""The open-work reports: aging (open tickets by age) and workload (agents' open work)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from agentctl.repository import reports as repo
from agentctl.services.reports.model import (
    UNASSIGNED,
    Chart,
    Field,
    Figure,
    Report,
    Section,
    Summary,
    agent,
    count,
    hours,
    identifier,
    integer,
    moment,
    percent,
    text,
    ticket_head,
)
from agentctl.services.window import Window

# --- aging -------------------------------------------------------------------------------

BUCKET_KEYS = {
    "<1d": "under_1d",
    "1-3d": "1_to_3d",
    "3-7d": "3_to_7d",
    "7-30d": "7_to_30d",
    ">30d": "over_30d",
}
AGING_FIELDS: list[Field] = [
    *ticket_head(),
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
        fields=AGING_FIELDS,
        rows=rows,
        summary_source=Summary(
            figures,
            [section],
            total,
            Chart.top(
                "Open tickets per agent",
                "Open tickets",
                ((g.agent_email or UNASSIGNED, g.total) for g in groups),
            ),
        ),
        top_rows_order="the oldest",
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
        fields=WORKLOAD_FIELDS,
        rows=lambda: iter(rows),
        summary_source=Summary(
            figures,
            [section],
            len(rows),
            Chart.top("Workload per agent", "Workload", ((r[2], r[8]) for r in rows)),
        ),
        capped=False,  # one row per agent: the PDF lists every agent
    )
