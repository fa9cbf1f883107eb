"""Scheduled reports: schedules (``crud``), claiming and running occurrences (``runner``),
running one claimed occurrence (``execution``) under a lease (``lease``), the daemon
(``daemon``) and cron expressions (``cron``).

The CLI imports this package inside its commands: it loads SQLAlchemy.
"""

from __future__ import annotations

from agentctl.services.scheduling.crud import (
    ScheduleChanges,
    ScheduleDetails,
    add_schedule,
    history,
    list_schedules,
    pause_schedule,
    remove_schedule,
    resume_schedule,
    schedule_row,
    show_schedule,
    update_schedule,
)
from agentctl.services.scheduling.execution import RunOutcome
from agentctl.services.scheduling.runner import (
    check_settings,
    due_at,
    log,
    run_due,
    run_now,
    take_over_expired,
)

__all__ = [
    "RunOutcome",
    "ScheduleChanges",
    "ScheduleDetails",
    "add_schedule",
    "check_settings",
    "due_at",
    "history",
    "list_schedules",
    "log",
    "pause_schedule",
    "remove_schedule",
    "resume_schedule",
    "run_due",
    "run_now",
    "schedule_row",
    "show_schedule",
    "take_over_expired",
    "update_schedule",
]
