"""``report sla-at-risk``: the open tickets that breach their SLA soon.

Rows (DESIGN.md): ``ticket_number, subject, priority, category, agent_email, due_kind,
due_at, minutes_left, tenant_id``, soonest first. ``due_kind`` is ``first_response``
while the ticket awaits its first response (and has a first-response due time), else
``resolution`` (``sla_due_date``). The summary counts the tickets per agent (and
unassigned) and per due kind.

Each detail row also has a key for schedules that send only new rows (``--new-only``):
``AtRiskReport.keyed_rows()`` yields ``((ticket_id, due_at), row)``; the ticket's id is
never written to a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from agentctl.errors import UsageError
from agentctl.repository.streams import stream_rows
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
    minutes,
    moment,
    text,
)
from agentctl.services.window import Window

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEFAULT_WITHIN = "2h"
_WITHIN = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")

AT_RISK_FIELDS: list[Field] = [
    text("ticket_number", "Ticket", 12),
    text("subject", "Subject", 40),
    text("priority", "Priority", 9),
    text("category", "Category", 12),
    agent("agent_email", "Agent"),
    text("due_kind", "Due", 14),
    moment("due_at", "Due at (UTC)"),
    minutes("minutes_left", "Time left", 12),
    text("tenant_id", "Tenant", 10),
]
RowKey = tuple[Any, datetime]  # (ticket id, due time): "the same row" for --new-only


def parse_within(value: str | None) -> timedelta:
    """``30m``, ``2h``, ``1h30m`` (and ``1d``) as a positive timedelta; UsageError if not."""
    raw = (value if value is not None else DEFAULT_WITHIN).strip().lower()
    match = _WITHIN.fullmatch(raw)
    if not raw or match is None:
        raise UsageError(f"--within: {value!r} is not a duration; use e.g. 30m, 2h or 1h30m")
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    within = timedelta(days=days, hours=hours, minutes=minutes)
    if within <= timedelta(0):
        raise UsageError(f"--within must be more than 0, not {value!r}")
    return within


def check_within(report_type: str, within: str | None) -> timedelta | None:
    """The ``--within`` of an sla-at-risk report (default 2h); None for other types."""
    if report_type.strip().lower() != "sla-at-risk":
        if within is not None:
            raise UsageError("--within applies to the sla-at-risk report only")
        return None
    return parse_within(within)


def describe_within(within: timedelta) -> str:
    """``timedelta(minutes=90)`` → ``1h30m``."""
    minutes = int(within.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return "".join(parts) or "0m"


@dataclass
class AtRiskReport(Report):
    keyed_rows: Callable[[], Iterator[tuple[RowKey, tuple[Any, ...]]]] | None = None


def sla_at_risk_report(
    session: Session,
    window: Window,
    tenant: str | None,
    generated_at: datetime,
    within: timedelta,
) -> AtRiskReport:
    # The ORM models load for this report only: run_report imports this module for
    # check_within whatever the report (issue 15: sla-breaches loads no ORM).
    from agentctl.repository import at_risk as repo

    args = (window.since, window.until, window.as_of, within, tenant)
    groups = repo.at_risk_by_agent(session, *args)
    first = sum(g.first_response for g in groups)
    resolution = sum(g.resolution for g in groups)
    soonest = [g.soonest_minutes_left for g in groups if g.soonest_minutes_left is not None]
    label = describe_within(within)
    figures = [
        Figure("at_risk_tickets", f"At risk (due within {label})", first + resolution, "count"),
        Figure("first_response_due", "First response due", first, "count"),
        Figure("resolution_due", "Resolution due", resolution, "count"),
        Figure(
            "unassigned_at_risk",
            "At risk, unassigned",
            sum(g.total for g in groups if g.agent_email is None),
            "count",
        ),
        Figure("soonest_minutes_left", "Soonest due in", min(soonest, default=None), "minutes"),
    ]
    agent_section = Section(
        "by_agent",
        "At risk per agent",
        [
            agent("agent_email", "Agent"),
            text("agent_name", "Name", 20),
            count("at_risk", "At risk"),
            count("first_response", "First response", 10),
            count("resolution", "Resolution", 10),
            minutes("soonest_minutes_left", "Soonest due in", 11),
        ],
        [
            (
                g.agent_email,
                g.agent_name if g.agent_email is not None else UNASSIGNED,
                g.total,
                g.first_response,
                g.resolution,
                g.soonest_minutes_left,
            )
            for g in groups
        ],
    )
    kind_section = Section(
        "by_due_kind",
        "At risk per due kind",
        [text("due_kind", "Due", 14), count("tickets", "Tickets")],
        [(repo.FIRST_RESPONSE, first), (repo.RESOLUTION, resolution)],
    )

    def keyed_rows() -> Iterator[tuple[RowKey, tuple[Any, ...]]]:
        for row in stream_rows(session, repo.at_risk_rows_query(*args)):
            yield (row[-1], row[6]), row[:-1]

    def rows() -> Iterator[tuple[Any, ...]]:
        return (row for _, row in keyed_rows())

    return AtRiskReport(
        report_type="sla-at-risk",
        title=f"SLA at risk within {label}",
        window=window,
        tenant=tenant,
        generated_at=generated_at,
        fields=AT_RISK_FIELDS,
        rows=rows,
        summary_source=Summary(
            figures,
            [agent_section, kind_section],
            first + resolution,
            Chart.top(
                "At-risk tickets per agent",
                "At risk",
                ((g.agent_email or UNASSIGNED, g.total) for g in groups),
            ),
        ),
        parameters={"within": label, "within_minutes": int(within.total_seconds() // 60)},
        top_rows_order="the soonest due",
        keyed_rows=keyed_rows,
    )
