"""Running scheduled occurrences: claim one with a lease, run it, take over dead ones.

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
import os
import re
import socket
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agentctl.config import Settings, mask_secrets
from agentctl.database import Database
from agentctl.errors import AgentctlError, UsageError
from agentctl.models import ScheduledReport
from agentctl.repository import runs
from agentctl.repository import schedules as repo
from agentctl.services.scheduling.cron import load_timezone, parse_cron
from agentctl.services.window import resolve_window
from agentctl.timeutil import as_utc, isoformat, utcnow

log = logging.getLogger("agentctl.schedule")

DEFAULT_LEASE_S = 300.0
LEASE_ENV = "AGENTCTL_SCHEDULE_LEASE"


def lease_seconds() -> float:
    """How long a claim holds without renewal (``AGENTCTL_SCHEDULE_LEASE``, seconds)."""
    raw = os.environ.get(LEASE_ENV, "").strip()
    if not raw:
        return DEFAULT_LEASE_S
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value < 1:
        raise UsageError(f"{LEASE_ENV} must be a number of seconds >= 1, not {raw!r}")
    return value


def check_settings() -> None:
    """Every setting a run reads, checked before any schedule is claimed (exit 2)."""
    from agentctl.services.reports.delivery import retry_settings

    lease_seconds()
    retry_settings()


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunOutcome:
    """What one run of a schedule did (one log line)."""

    schedule_id: uuid.UUID
    schedule_name: str
    occurrence_at: datetime
    status: str  # succeeded | partial | failed | skipped
    run_id: uuid.UUID | None = None
    rows: int | None = None
    bytes: int | None = None
    recipients: list[str] = field(default_factory=list)
    output_path: str | None = None
    error: str | None = None
    takeover_of: uuid.UUID | None = None
    finished_at: datetime = field(default_factory=utcnow)

    @property
    def failed(self) -> bool:
        return self.status not in ("succeeded", "skipped")

    def log_line(self) -> str:
        """``run schedule=… occurrence=… status=… rows=… bytes=… recipients=…``."""
        parts = [
            "run",
            f"schedule={self.schedule_name}",
            f"occurrence={isoformat(self.occurrence_at)}",
            f"status={self.status}",
            f"rows={self.rows if self.rows is not None else '-'}",
            f"bytes={self.bytes if self.bytes is not None else '-'}",
            f"recipients={','.join(self.recipients) or '-'}",
        ]
        if self.takeover_of is not None:
            parts.append(f"takeover_of={self.takeover_of}")
        if self.output_path:
            parts.append(f"output={self.output_path}")
        if self.error:
            parts.append(f"error={mask_secrets(self.error)!r}")
        return " ".join(parts)


_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def default_output_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("agentctl", appauthor=False)) / "reports"


def _output_path(schedule: ScheduledReport, occurrence: datetime) -> Path:
    """``agentctl-<type>-<YYYY-MM-DD>-<schedule>-<token>.<ext>`` in the output dir."""
    parameters = schedule.parameters or {}
    directory = Path(parameters.get("output_dir") or default_output_dir())
    local_day = occurrence.astimezone(load_timezone(schedule.timezone)).date().isoformat()
    slug = _UNSAFE_IN_FILENAME.sub("-", schedule.name).strip("-") or "schedule"
    token = uuid.uuid4().hex[:8]
    name = f"agentctl-{schedule.report_type}-{local_day}-{slug}-{token}.{schedule.format}"
    return directory / name


@contextmanager
def _lease(db: Database, run_id: uuid.UUID, claimed_by: str, seconds: float) -> Iterator[None]:
    """Renew the run's lease every third of its length until the block ends."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(seconds / 3):
            try:
                with db.session(write=True) as session:
                    ours = runs.renew_lease(
                        session, run_id, claimed_by, utcnow() + timedelta(seconds=seconds)
                    )
            except Exception as exc:  # a renewal that fails is retried at the next beat
                log.warning("could not renew the lease of run %s: %s", run_id, exc)
                continue
            if not ours:
                log.warning("run %s was taken over by another runner", run_id)
                return

    thread = threading.Thread(target=renew, name=f"lease-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _fail_run(db: Database, run_id: uuid.UUID, error: str) -> None:
    try:
        with db.session(write=True) as session:
            runs.finish_run(
                session, run_id, status="failed", rows=None, size=None, output_path=None,
                error=error,
            )  # fmt: skip
    except Exception as exc:  # the lease runs out and a later tick takes over
        log.warning("could not record the failed run %s: %s", run_id, exc)


def _execute(
    db: Database,
    settings: Settings,
    schedule: ScheduledReport,
    occurrence: datetime,
    run_id: uuid.UUID,
    *,
    claimed_by: str,
    lease_s: float,
    takeover_of: uuid.UUID | None = None,
) -> RunOutcome:
    """Run the claimed report. A failure is recorded and returned; Ctrl-C is re-raised."""
    parameters = schedule.parameters or {}
    recipients = list(schedule.recipients or [])
    outcome = RunOutcome(
        schedule.id, schedule.name, occurrence, "failed", run_id=run_id,
        recipients=recipients, takeover_of=takeover_of,
    )  # fmt: skip
    with _lease(db, run_id, claimed_by, lease_s):
        try:
            from agentctl.services.reports import run_report

            window = resolve_window(range_=parameters.get("range"), as_of=occurrence)
            output = _output_path(schedule, occurrence)
            output.parent.mkdir(parents=True, exist_ok=True)
            result = run_report(
                db,
                report_type=schedule.report_type,
                fmt=schedule.format,
                window=window,
                tenant=schedule.tenant_id,
                output=str(output),
                recipients=recipients,
                subject=parameters.get("subject"),
                smtp_url=settings.smtp_url,
                mail_from=settings.mail_from,
                schedule_id=schedule.id,
                schedule_name=schedule.name,
                occurrence_at=occurrence,
                run_id=run_id,
                webhooks=list(schedule.webhooks or []),
                skip_empty=bool(schedule.skip_empty),
                new_only=bool(schedule.new_only),
                **({"within": parameters["within"]} if parameters.get("within") else {}),
            )
        except Exception as exc:  # one broken run must never stop the others (or the daemon)
            error = (
                exc.message if isinstance(exc, AgentctlError) else f"{type(exc).__name__}: {exc}"
            )
            error = mask_secrets(error)
            log.debug("run of schedule %s failed", schedule.name, exc_info=True)
            _fail_run(db, run_id, error)
            return RunOutcome(**{**outcome.__dict__, "error": error, "finished_at": utcnow()})
        except BaseException:
            _fail_run(db, run_id, "interrupted")
            raise
    return RunOutcome(
        schedule.id,
        schedule.name,
        occurrence,
        result.status,
        run_id=result.run_id,
        rows=result.rows,
        bytes=result.bytes,
        recipients=list(result.recipients),
        output_path=result.output_path,
        error=result.error,
        takeover_of=takeover_of,
    )


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
    return _execute(
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
        outcome = _execute(
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
    outcome = _execute(db, settings, schedule, moment, run_id, claimed_by=me, lease_s=lease_s)
    log.info(outcome.log_line())
    return outcome
