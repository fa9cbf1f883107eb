"""``report availability``: how much of the window each agent was available, busy, away
or offline, from the availability history (see ``repository.availability_report``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from agentctl.models import AVAILABILITY_STATUSES
from agentctl.repository.availability_report import availability_minutes
from agentctl.services.reports.model import (
    Chart,
    Field,
    Figure,
    Report,
    Section,
    Summary,
    agent,
    count,
    minutes,
    percent,
    text,
)
from agentctl.services.window import Window

AVAILABILITY_FIELDS: list[Field] = [
    agent("agent_email", "Agent"),
    *[minutes(f"{s}_minutes", s.title(), 11) for s in AVAILABILITY_STATUSES],
    percent("available_pct", "Available share", 10),
    count("status_changes", "Changes", 8),
    text("tenant_id", "Tenant", 10),
]


def _pct(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole else None


def availability_report(
    session: Session, window: Window, tenant: str | None, generated_at: datetime
) -> Report:
    # Time after as_of is not known yet: the window ends at as_of at the latest.
    until = min(window.until, window.as_of)
    agents = availability_minutes(session, window.since, until, tenant)
    rows: list[tuple[Any, ...]] = []
    for a in agents:
        spent = [a.minutes[s] for s in AVAILABILITY_STATUSES]
        rows.append(
            (
                a.agent_email,
                *spent,
                _pct(a.minutes["available"], sum(spent)),
                a.status_changes,
                a.tenant_id,
            )
        )
    desk = {s: sum(a.minutes[s] for a in agents) for s in AVAILABILITY_STATUSES}
    counted = sum(desk.values())
    figures = [
        Figure("active_agents", "Active agents", len(agents), "count"),
        *[
            Figure(f"{s}_minutes", f"{s.title()} time", desk[s], "minutes")
            for s in AVAILABILITY_STATUSES
        ],
        Figure(
            "available_pct", "Available share (desk)", _pct(desk["available"], counted), "percent"
        ),
        Figure("status_changes", "Status changes", sum(a.status_changes for a in agents), "count"),
        Figure(
            "agents_never_available",
            "Agents never available (of those counted)",
            sum(1 for a in agents if sum(a.minutes.values()) and not a.minutes["available"]),
            "count",
        ),
    ]
    section = Section(
        "by_status",
        "Desk time per status",
        [
            text("status", "Status", 10),
            minutes("minutes", "Time"),
            percent("share_pct", "Share"),
        ],
        [(s, desk[s], _pct(desk[s], counted)) for s in AVAILABILITY_STATUSES],
    )
    return Report(
        report_type="availability",
        title="Agent availability",
        window=window,
        tenant=tenant,
        generated_at=generated_at,
        fields=AVAILABILITY_FIELDS,
        rows=lambda: iter(rows),
        summary_source=Summary(
            figures,
            [section],
            len(rows),
            Chart.stacked(
                "Time per status per agent",
                "Time",
                [s.title() for s in AVAILABILITY_STATUSES],
                ((a.agent_email, [a.minutes[s] for s in AVAILABILITY_STATUSES]) for a in agents),
                unit="minutes",
            ),
        ),
        capped=False,  # one row per agent: the PDF lists every agent
    )
