"""Running scheduled occurrences: claim one with a lease, run it, take over dead ones.

This module decides which occurrence runs and claims it; ``execution`` runs a claimed
occurrence and ``lease`` keeps its claim alive meanwhile.

Every run of an occurrence, whether from ``schedule tick`` or the ``schedule run`` daemon,
goes through :func:`run_due`: it reads the due schedules, claims each occurrence with a
compare-and-set on ``next_run_at`` (moving it to the first occurrence after now, which
coalesces the missed ones) and writes the run row with a *lease* in the same
transaction, then runs the report while a thread renews the lease. A process that dies
mid-run leaves its run ``running`` with a lease that runs out; the next tick or daemon
takes it over (:func:`take_over_expired`) and runs that occurrence again, once. Any
number of ticks and daemons, on any number of machines, therefore run each occurrence
exactly once, or once more after a runner died.

A report's window is taken relative to the occurrence, not to the moment the process got
round to it: "every Monday at 9, last 7 days" covers the 7 days before that Monday 09:00.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agentctl.config import Settings
from agentctl.database import Database
from agentctl.errors import UsageError
from agentctl.models import ScheduledReport
from agentctl.repository import runs
from agentctl.repository import schedules as repo
from agentctl.services.scheduling.cron import parse_cron
from agentctl.services.scheduling.execution import RunOutcome, execute
from agentctl.services.scheduling.lease import lease_seconds, runner_id
from agentctl.timeutil import as_utc, isoformat, utcnow

log = logging.getLogger("agentctl.schedule")


def check_settings() -> None:
    """Every setting a run reads, checked before any schedule is claimed (exit 2)."""
    from agentctl.services.reports.delivery import retry_settings

    lease_seconds()
    retry_settings()


@dataclass(frozen=True)
class DueOccurrence:
    """An occurrence that would run now (``tick --now`` shows these)."""

    schedule: ScheduledReport
    occurrence_at: datetime
    next_run_at: datetime | None


def _due_occurrence(schedule: ScheduledReport, now: datetime) -> DueOccurrence | None:
    seen = schedule.next_run_at
    if seen is None:
        return None
    cron = parse_cron(schedule.schedule_cron, schedule.timezone)
    # Missed occurrences coalesce into one run, for the latest of them.
    occurrence = cron.latest_between(seen, now) or seen
    return DueOccurrence(schedule, occurrence, cron.next_after(now))


def due_at(db: Database, *, now: datetime, tenant: str | None = None) -> list[dict[str, Any]]:
    """What a tick at ``now`` would run, changing nothing: one row per schedule."""
    with db.session() as session:
        due = repo.due_schedules(session, as_utc(now), tenant)
    rows: list[dict[str, Any]] = []
    for schedule in due:
        try:
            found = _due_occurrence(schedule, as_utc(now))
        except UsageError as exc:
            rows.append({"schedule_name": schedule.name, "error": exc.message})
            continue
        if found is not None:
            rows.append(
                {
                    "schedule_name": schedule.name,
                    "report_type": schedule.report_type,
                    "timezone": schedule.timezone,
                    "occurrence": found.occurrence_at,
                    "next_run_at": found.next_run_at,
                    "recipients": list(schedule.recipients or []),
                    "error": None,
                }
            )
    return rows


def _claim_and_run(
    db: Database, settings: Settings, schedule: ScheduledReport, now: datetime, lease_s: float
) -> RunOutcome | None:
    """Claim the schedule's due occurrence and run it; None when another process won."""
    try:
        found = _due_occurrence(schedule, now)
    except UsageError as exc:  # stored by something other than `schedule add`
        seen = schedule.next_run_at or now
        return RunOutcome(schedule.id, schedule.name, seen, "failed", error=exc.message)
    if found is None:
        return None
    me = runner_id()
    with db.session(write=True) as session:
        run_id = repo.claim_occurrence(
            session,
            schedule,
            seen_next_run_at=schedule.next_run_at,  # type: ignore[arg-type]
            next_run_at=found.next_run_at,
            occurrence_at=found.occurrence_at,
            claimed_by=me,
            lease_expires_at=utcnow() + timedelta(seconds=lease_s),
        )
    if run_id is None:
        return None
    return execute(
        db, settings, schedule, found.occurrence_at, run_id, claimed_by=me, lease_s=lease_s
    )


def take_over_expired(
    db: Database,
    settings: Settings,
    *,
    tenant: str | None = None,
    schedule_ids: Sequence[uuid.UUID] | None = None,
) -> list[RunOutcome]:
    """Run again the occurrences whose runner died (lease expired while ``running``)."""
    lease_s = lease_seconds()
    with db.session() as session:
        expired = runs.expired_leases(session, utcnow(), tenant, schedule_ids=schedule_ids)
    outcomes = []
    me = runner_id()
    for old, schedule in expired:
        if old.occurrence_at is None:
            continue
        with db.session(write=True) as session:
            run_id = runs.take_over(
                session, old, claimed_by=me, lease_expires_at=utcnow() + timedelta(seconds=lease_s)
            )
        if run_id is None:
            continue  # another runner took it over first
        log.info("run %s of %s: lease expired; taking it over", old.id, schedule.name)
        outcome = execute(
            db, settings, schedule, old.occurrence_at, run_id,
            claimed_by=me, lease_s=lease_s, takeover_of=old.id,
        )  # fmt: skip
        log.info(outcome.log_line())
        outcomes.append(outcome)
    return outcomes


def run_due(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    tenant: str | None = None,
    schedule_ids: Sequence[uuid.UUID] | None = None,
) -> list[RunOutcome]:
    """Take over dead runs, then run every active schedule whose next_run_at has come."""
    lease_s = lease_seconds()
    outcomes = take_over_expired(db, settings, tenant=tenant, schedule_ids=schedule_ids)
    now = as_utc(now) if now is not None else utcnow()
    with db.session() as session:
        due = repo.due_schedules(session, now, tenant, schedule_ids=schedule_ids)
    for schedule in due:
        outcome = _claim_and_run(db, settings, schedule, now, lease_s)
        if outcome is not None:
            log.info(outcome.log_line())
            outcomes.append(outcome)
    return outcomes


def run_now(
    db: Database,
    settings: Settings,
    ref: str,
    tenant: str | None,
    *,
    occurrence: datetime | None = None,
    now: datetime | None = None,
) -> RunOutcome:
    """Run a schedule's report at once; next_run_at stays.

    ``occurrence``: run that past occurrence (a backfill, with its window) instead of one
    at ``now``. It must be a time the cron expression fires at.
    """
    lease_s = lease_seconds()
    now = now or utcnow()
    with db.session() as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
    moment = now
    if occurrence is not None:
        moment = as_utc(occurrence)
        cron = parse_cron(schedule.schedule_cron, schedule.timezone)
        if moment > now:
            raise UsageError(f"--occurrence {isoformat(moment)} is in the future")
        if cron.first_at_or_after(moment) != moment:
            before = cron.latest_between(moment - timedelta(days=366), moment)
            after = cron.next_after(moment)
            near = ", ".join(isoformat(t) or "" for t in (before, after) if t is not None)
            raise UsageError(
                f"{isoformat(moment)} is not an occurrence of {schedule.name} "
                f"({schedule.schedule_cron} in {schedule.timezone}); the nearest: {near}"
            )
    from agentctl.services.reports import check_delivery

    # An explicit run with no way to deliver is bad usage (exit 2), not a failed run.
    check_delivery(
        list(schedule.recipients or []),
        list(schedule.webhooks or []),
        settings.smtp_url,
        settings.mail_from,
    )
    me = runner_id()
    with db.session(write=True) as session:
        run_id = runs.insert_run(
            session,
            report_type=schedule.report_type,
            fmt=schedule.format,
            tenant=schedule.tenant_id,
            recipients=list(schedule.recipients or []),
            schedule_id=schedule.id,
            schedule_name=schedule.name,
            occurrence_at=moment,
            claimed_by=me,
            lease_expires_at=utcnow() + timedelta(seconds=lease_s),
        )
    outcome = execute(db, settings, schedule, moment, run_id, claimed_by=me, lease_s=lease_s)
    log.info(outcome.log_line())
    return outcome
