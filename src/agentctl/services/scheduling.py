"""Scheduled reports: adding and managing schedules, and running their occurrences.

Every run of an occurrence, whether from ``schedule tick`` or the ``schedule run`` daemon,
goes through :func:`run_due`: it reads the due schedules, claims each occurrence with a
compare-and-set on ``next_run_at`` (moving it to the first occurrence after now, which
coalesces the missed ones), and runs the report only if the claim won. Any number of
ticks and daemons, on any number of machines, therefore run each occurrence once.

A report's window is taken relative to the occurrence, not to the moment the process got
round to it: "every Monday at 9, last 7 days" covers the 7 days before that Monday 09:00.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from agentctl.config import Settings, mask_secrets
from agentctl.database import Database
from agentctl.errors import AgentctlError, DatabaseUnavailable, UsageError
from agentctl.models import ScheduledReport
from agentctl.repository import schedules as repo
from agentctl.services.cron import CronSchedule, apscheduler_trigger, load_timezone, parse_cron
from agentctl.services.window import DEFAULT_RANGE, resolve_window
from agentctl.timeutil import isoformat, utcnow

log = logging.getLogger("agentctl.schedule")

DEFAULT_RELOAD_INTERVAL_S = 30.0
NEXT_RUNS_SHOWN = 5
_TINY = timedelta(microseconds=1)


# --- schedules -------------------------------------------------------------------------


def schedule_row(schedule: ScheduledReport) -> dict[str, Any]:
    """A schedule as DESIGN.md's JSON fields."""
    return {
        "id": schedule.id,
        "name": schedule.name,
        "report_type": schedule.report_type,
        "schedule_cron": schedule.schedule_cron,
        "timezone": schedule.timezone,
        "format": schedule.format,
        "recipients": list(schedule.recipients or []),
        "parameters": dict(schedule.parameters or {}),
        "is_active": schedule.is_active,
        "last_run_at": schedule.last_run_at,
        "next_run_at": schedule.next_run_at,
    }


@dataclass(frozen=True)
class ScheduleDetails:
    row: dict[str, Any]
    next_runs: list[datetime]  # in the schedule's time zone


def _details(schedule: ScheduledReport, now: datetime) -> ScheduleDetails:
    cron = parse_cron(schedule.schedule_cron, schedule.timezone)
    start = now
    if schedule.is_active and schedule.next_run_at is not None:
        # The first listed run is the stored (claimable) one, even when it is overdue.
        start = min(now, schedule.next_run_at - _TINY)
    return ScheduleDetails(schedule_row(schedule), cron.next_times(start, NEXT_RUNS_SHOWN))


def _validate_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise UsageError("a schedule needs a name")
    try:
        uuid.UUID(name)
    except ValueError:
        return name
    raise UsageError(f"schedule name {name!r} looks like an id; choose another name")


def _validate_report(report_type: str, fmt: str) -> tuple[str, str]:
    from agentctl.services.reports import REPORT_FORMATS, REPORT_TYPES

    report_type, fmt = report_type.strip().lower(), fmt.strip().lower()
    if report_type not in REPORT_TYPES:
        raise UsageError(
            f"unknown report type {report_type!r}; use one of {', '.join(REPORT_TYPES)}"
        )
    if fmt not in REPORT_FORMATS:
        raise UsageError(f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
    return report_type, fmt


def add_schedule(
    db: Database,
    *,
    tenant: str | None,
    name: str,
    report_type: str,
    cron: str,
    timezone: str = "UTC",
    fmt: str,
    recipients: Sequence[str],
    range_: str | None = None,
    output_dir: str | None = None,
    subject: str | None = None,
    now: datetime | None = None,
) -> ScheduleDetails:
    """Validate everything, then store the schedule in one transaction."""
    from agentctl.services.reports import DEFAULT_RANGES, validate_recipients

    now = now or utcnow()
    name = _validate_name(name)
    report_type, fmt = _validate_report(report_type, fmt)
    schedule_cron = parse_cron(cron, timezone)
    range_ = (range_ or DEFAULT_RANGES.get(report_type, DEFAULT_RANGE)).strip().lower()
    resolve_window(range_=range_, as_of=now)  # a bad range is a UsageError here, not later
    if not recipients:
        raise UsageError("a schedule needs at least one recipient (--to ADDR)")
    addresses = validate_recipients(recipients)
    parameters: dict[str, Any] = {"range": range_}
    if output_dir:
        parameters["output_dir"] = str(Path(output_dir).expanduser().resolve())
    if subject:
        parameters["subject"] = subject

    with db.session(write=True) as session:
        if repo.name_taken(session, name, tenant):
            where = f" in tenant {tenant!r}" if tenant is not None else ""
            raise UsageError(f"a schedule named {name!r} already exists{where}")
        schedule = repo.insert_schedule(
            session,
            tenant_id=tenant,
            name=name,
            report_type=report_type,
            schedule_cron=schedule_cron.expression,
            timezone=timezone,
            parameters=parameters,
            recipients=addresses,
            format=fmt,
            is_active=True,
            next_run_at=schedule_cron.next_after(now),
        )
    return _details(schedule, now)


def list_schedules(db: Database, tenant: str | None) -> list[dict[str, Any]]:
    with db.session() as session:
        return [schedule_row(s) for s in repo.list_schedules(session, tenant)]


def show_schedule(
    db: Database, ref: str, tenant: str | None, now: datetime | None = None
) -> ScheduleDetails:
    with db.session() as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
    return _details(schedule, now or utcnow())


def pause_schedule(db: Database, ref: str, tenant: str | None) -> dict[str, Any]:
    with db.session(write=True) as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
        # next_run_at stays, so `show` still says when it would have run.
        repo.set_active(session, schedule, False, schedule.next_run_at)
        return schedule_row(schedule)


def resume_schedule(
    db: Database, ref: str, tenant: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """Reactivate; occurrences that fell while paused are skipped, not caught up."""
    now = now or utcnow()
    with db.session(write=True) as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
        if not schedule.is_active:
            cron = parse_cron(schedule.schedule_cron, schedule.timezone)
            repo.set_active(session, schedule, True, cron.next_after(now))
        return schedule_row(schedule)


def remove_schedule(db: Database, ref: str, tenant: str | None) -> dict[str, Any]:
    """Delete the schedule; its past runs stay in report_runs (schedule_id set null)."""
    with db.session(write=True) as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
        row = schedule_row(schedule)
        repo.delete_schedule(session, schedule)
        return row


def history(
    db: Database, ref: str | None, tenant: str | None, *, limit: int = 20
) -> list[dict[str, Any]]:
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    with db.session() as session:
        schedule_id = repo.resolve_schedule(session, ref, tenant).id if ref else None
        return repo.run_history(session, tenant, schedule_id=schedule_id, limit=limit)


# --- running occurrences -------------------------------------------------------------


@dataclass(frozen=True)
class RunOutcome:
    """What one run of a schedule did (one log line)."""

    schedule_id: uuid.UUID
    schedule_name: str
    occurrence_at: datetime
    status: str  # "succeeded" | "failed"
    run_id: uuid.UUID | None = None
    rows: int | None = None
    bytes: int | None = None
    recipients: list[str] = field(default_factory=list)
    output_path: str | None = None
    error: str | None = None
    finished_at: datetime = field(default_factory=utcnow)

    @property
    def failed(self) -> bool:
        return self.status != "succeeded"

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


def _execute(
    db: Database, settings: Settings, schedule: ScheduledReport, occurrence: datetime
) -> RunOutcome:
    """Run the report for one occurrence. Never raises: a failure is recorded and returned."""
    started = utcnow()
    parameters = schedule.parameters or {}
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
            recipients=list(schedule.recipients or []),
            subject=parameters.get("subject"),
            smtp_url=settings.smtp_url,
            mail_from=settings.mail_from,
            schedule_id=schedule.id,
            occurrence_at=occurrence,
        )
    except Exception as exc:  # one broken run must never stop the others (or the daemon)
        error = exc.message if isinstance(exc, AgentctlError) else f"{type(exc).__name__}: {exc}"
        error = mask_secrets(error)
        log.debug("run of schedule %s failed", schedule.name, exc_info=True)
        run_id: uuid.UUID | None = None
        try:
            with db.session(write=True) as session:
                run_id = repo.record_failed_run(
                    session, schedule, occurrence_at=occurrence, started_at=started, error=error
                )
        except (AgentctlError, SQLAlchemyError) as record_exc:
            log.warning("could not record the failed run of %s: %s", schedule.name, record_exc)
        return RunOutcome(
            schedule.id,
            schedule.name,
            occurrence,
            "failed",
            run_id=run_id,
            recipients=list(schedule.recipients or []),
            error=error,
        )
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
    )


def _claim_and_run(
    db: Database, settings: Settings, schedule: ScheduledReport, now: datetime
) -> RunOutcome | None:
    """Claim the schedule's due occurrence and run it; None when another process won."""
    seen = schedule.next_run_at
    if seen is None:
        return None
    try:
        cron: CronSchedule = parse_cron(schedule.schedule_cron, schedule.timezone)
    except UsageError as exc:  # stored by something other than `schedule add`
        return RunOutcome(schedule.id, schedule.name, seen, "failed", error=exc.message)
    # Missed occurrences coalesce into one run, for the latest of them.
    occurrence = cron.latest_between(seen, now) or seen
    with db.session(write=True) as session:
        claimed = repo.claim_occurrence(
            session,
            schedule.id,
            seen_next_run_at=seen,
            next_run_at=cron.next_after(now),
            occurrence_at=occurrence,
        )
    if not claimed:
        return None
    return _execute(db, settings, schedule, occurrence)


def run_due(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    tenant: str | None = None,
    schedule_ids: Sequence[uuid.UUID] | None = None,
) -> list[RunOutcome]:
    """Run every active schedule whose next_run_at has come, once each."""
    now = now or utcnow()
    with db.session() as session:
        due = repo.due_schedules(session, now, tenant, schedule_ids=schedule_ids)
    outcomes = []
    for schedule in due:
        outcome = _claim_and_run(db, settings, schedule, now)
        if outcome is not None:
            log.info(outcome.log_line())
            outcomes.append(outcome)
    return outcomes


def run_now(
    db: Database, settings: Settings, ref: str, tenant: str | None, *, now: datetime | None = None
) -> RunOutcome:
    """Run a schedule's report at once (a retry, or an extra run); next_run_at stays."""
    now = now or utcnow()
    with db.session() as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
    outcome = _execute(db, settings, schedule, now)
    log.info(outcome.log_line())
    return outcome


# --- the daemon ------------------------------------------------------------------------


class SchedulerDaemon:
    """``schedule run``: an APScheduler job per active schedule, resynced from the database.

    Each job fires at its schedule's cron times and then goes through :func:`run_due`, so
    it claims the occurrence like a tick would. A reload job re-reads the schedules every
    ``reload_interval`` seconds: it adds, reschedules and removes jobs, and fires at once
    any schedule already due (occurrences missed while no daemon ran). Database errors are
    logged and retried at the next reload; they never stop the daemon.
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        tenant: str | None = None,
        reload_interval: float = DEFAULT_RELOAD_INTERVAL_S,
        max_workers: int = 4,
    ) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.db = db
        self.settings = settings
        self.tenant = tenant
        self.reload_interval = reload_interval
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        # schedule id -> (cron, timezone) its job was built from
        self._jobs: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        self.db_ok = True

    def wait_for_database(self, stop: threading.Event, retry_s: float = 5.0) -> bool:
        """Block until the database answers (False if ``stop`` is set first).

        An unreachable database is retried; one at the wrong schema revision is an error.
        """
        warned = False
        while not stop.is_set():
            try:
                self.db.ensure_schema()
                return True
            except DatabaseUnavailable as exc:
                if not warned:
                    log.warning("%s; retrying every %gs", exc.message, retry_s)
                    warned = True
                stop.wait(retry_s)
        return False

    def start(self) -> None:
        self.scheduler.add_job(
            self.reload,
            "interval",
            seconds=self.reload_interval,
            id="reload",
            next_run_time=utcnow(),
        )
        self.scheduler.start()

    def stop(self) -> None:
        """Stop firing; wait for the runs in progress to finish."""
        self.scheduler.shutdown(wait=True)

    def reload(self) -> None:
        try:
            with self.db.session() as session:
                schedules = repo.list_schedules(session, self.tenant, active_only=True)
        except (AgentctlError, SQLAlchemyError) as exc:
            if self.db_ok:
                log.warning(
                    "database unavailable, retrying every %gs: %s", self.reload_interval, exc
                )
            self.db_ok = False
            return
        if not self.db_ok:
            log.info("database reachable again")
        self.db_ok = True
        with self._lock:
            self._sync(schedules)

    def _sync(self, schedules: Sequence[ScheduledReport]) -> None:
        now = utcnow()
        wanted = {str(s.id): s for s in schedules}
        for job_id in set(self._jobs) - set(wanted):
            self._remove_job(job_id)
        for job_id, schedule in wanted.items():
            spec = (schedule.schedule_cron, schedule.timezone)
            if self._jobs.get(job_id) != spec:
                self._add_job(job_id, schedule)
            if job_id not in self._jobs:
                continue
            if schedule.next_run_at is None:
                self._initialize_next_run(schedule, now)
            elif schedule.next_run_at <= now:
                self.scheduler.modify_job(job_id, next_run_time=now)

    def _add_job(self, job_id: str, schedule: ScheduledReport) -> None:
        try:
            cron = parse_cron(schedule.schedule_cron, schedule.timezone)
        except UsageError as exc:
            log.error("schedule %s cannot run: %s", schedule.name, exc.message)
            self._remove_job(job_id)
            return
        self.scheduler.add_job(
            self._fire,
            apscheduler_trigger(cron),
            args=[schedule.id],
            id=job_id,
            name=schedule.name,
            replace_existing=True,
        )
        self._jobs[job_id] = (schedule.schedule_cron, schedule.timezone)

    def _remove_job(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)

    def _initialize_next_run(self, schedule: ScheduledReport, now: datetime) -> None:
        cron = parse_cron(schedule.schedule_cron, schedule.timezone)
        following = cron.next_after(now)
        if following is not None:
            with self.db.session(write=True) as session:
                repo.initialize_next_runs(session, schedule.id, following)

    def _fire(self, schedule_id: uuid.UUID) -> None:
        try:
            run_due(self.db, self.settings, tenant=self.tenant, schedule_ids=[schedule_id])
        except (AgentctlError, SQLAlchemyError) as exc:
            log.warning("schedule run skipped, database unavailable: %s", exc)
