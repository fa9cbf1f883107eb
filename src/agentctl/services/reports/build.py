"""The reports: each turns a window of the database into a ``Report``.

Summaries are a fixed number of grouped statements; detail rows are streamed from the
database when the writer asks for them (the reader must stay open while it writes). Each
report's module loads only when it runs: sla-breaches (``breaches``) reads through a Core
connection, without the ORM (issue 15); the others get a session. The performance report
reuses ``agentctl.services.performance``: same definitions, same statement, so its
figures equal ``agentctl performance`` on the same data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agentctl.repository.streams import agent_identities
from agentctl.services.reports.model import (
    Chart,
    Field,
    Figure,
    Report,
    Section,
    Summary,
    agent,
    agent_labels,
    count,
    identifier,
    minutes,
    moment,
    not_in_pdf,
    percent,
    text,
)
from agentctl.services.window import Window

if TYPE_CHECKING:
    from agentctl.repository.common import Reader

# Reports built on the Core tables alone: ``run_report`` reads them through
# ``Database.connect`` (no ORM); the others through a session.
CORE_REPORTS = frozenset({"sla-breaches"})

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
    session: Reader, window: Window, tenant: str | None, generated_at: datetime, by: str | None
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
        fields=PERFORMANCE_FIELDS,
        rows=lambda: iter(agent_rows),
        summary_source=Summary(
            figures,
            [
                Section(
                    "trend",
                    f"Trend per {by}",
                    trend_fields,
                    trend_rows,
                    own_sheet=True,
                    period=by,  # type: ignore[arg-type]
                )
            ],
            len(agent_rows),
            Chart.top(
                "Resolved tickets per agent",
                "Resolved",
                ((m.agent_email, m.total_resolved) for m in result.agents),
            ),
        ),
        parameters={"by": by},
        capped=False,  # one row per agent: the PDF lists every agent
    )


def build_report(
    session: Reader,
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
    report.agent_names = agent_labels(agent_identities(session, tenant))
    return report


def _build(
    session: Reader,
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
            session,  # type: ignore[arg-type]  # a session: not in CORE_REPORTS
            window,
            tenant,
            generated_at,
            within or parse_within(None),
        )
    if report_type == "performance":
        return performance_report(session, window, tenant, generated_at, by)
    if report_type == "sla-breaches":
        from agentctl.services.reports.breaches import sla_breaches_report

        return sla_breaches_report(session, window, tenant, generated_at)
    if report_type in ("aging", "workload"):
        from agentctl.services.reports.open_work import aging_report, workload_report

        build = aging_report if report_type == "aging" else workload_report
        return build(session, window, tenant, generated_at)  # type: ignore[arg-type]  # session
    if report_type == "availability":  # availability history (issue 11)
        from agentctl.services.reports.availability import availability_report

        return availability_report(session, window, tenant, generated_at)  # type: ignore[arg-type]
    raise ValueError(report_type)  # pragma: no cover - run_report validated it
