"""Running one claimed occurrence of a schedule: its report, for the window before the
occurrence, into a file of its own, under a lease renewed until it ends; and the
:class:`RunOutcome` that says what it did.

A failure is recorded on the run and returned, so that one broken schedule never stops
the others (or the daemon); Ctrl-C records the run failed and is re-raised.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from agentctl.config import Settings, mask_secrets
from agentctl.database import Database
from agentctl.errors import AgentctlError
from agentctl.models import ScheduledReport
from agentctl.repository import runs
from agentctl.services.scheduling.cron import load_timezone
from agentctl.services.scheduling.lease import renewed_lease
from agentctl.services.window import resolve_window
from agentctl.timeutil import isoformat, utcnow

log = logging.getLogger("agentctl.schedule")


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


def _fail_run(db: Database, run_id: uuid.UUID, error: str) -> None:
    try:
        with db.session(write=True) as session:
            runs.finish_run(
                session, run_id, status="failed", rows=None, size=None, output_path=None,
                error=error,
            )  # fmt: skip
    except Exception as exc:  # the lease runs out and a later tick takes over
        log.warning("could not record the failed run %s: %s", run_id, exc)


def execute(
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
    with renewed_lease(db, run_id, claimed_by, lease_s):
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
