"""``schedule run``: the long-running scheduler (APScheduler), resynced from the database."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from agentctl.config import Settings, mask_secrets
from agentctl.database import Database
from agentctl.errors import AgentctlError, DatabaseUnavailable, UsageError
from agentctl.models import ScheduledReport
from agentctl.repository import runs
from agentctl.repository import schedules as repo
from agentctl.services.scheduling.cron import apscheduler_trigger, parse_cron
from agentctl.services.scheduling.runner import run_due, take_over_expired
from agentctl.timeutil import utcnow

log = logging.getLogger("agentctl.schedule")

DEFAULT_RELOAD_INTERVAL_S = 30.0


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, AgentctlError):
        text = exc.message
    else:
        orig = getattr(exc, "orig", None) or exc
        text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(exc).__name__
    return mask_secrets(text)


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
        while not stop.is_set():
            try:
                self.db.ensure_schema()
                return True
            except DatabaseUnavailable as exc:
                log.warning("%s; retrying in %gs", exc.message, retry_s)
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
                expired = runs.expired_leases(session, utcnow(), self.tenant)
        except (AgentctlError, SQLAlchemyError) as exc:
            # One line per failed attempt, no traceback: the operator sees the outage and
            # its end in the log, and the daemon keeps going.
            log.warning(
                "database unavailable, retrying in %gs: %s", self.reload_interval, _one_line(exc)
            )
            self.db_ok = False
            return
        if not self.db_ok:
            log.info("database reachable again")
        self.db_ok = True
        with self._lock:
            self._sync(schedules)
        if expired:  # a runner died mid-run: run its occurrence again, in a worker
            self.scheduler.add_job(self._take_over, id="takeover", replace_existing=True)

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
            # The occurrence stays unclaimed: the next reload fires it (coalesced).
            log.warning("schedule run deferred, database unavailable: %s", _one_line(exc))

    def _take_over(self) -> None:
        """Run again the occurrences whose runner died (an expired lease)."""
        try:
            take_over_expired(self.db, self.settings, tenant=self.tenant)
        except (AgentctlError, SQLAlchemyError) as exc:
            log.warning("lease check deferred, database unavailable: %s", _one_line(exc))
