"""``agentctl report``: build a report, write it atomically, mail it, record the run.

``run_report`` is the one entry point, for the CLI (ad hoc runs) and the scheduler alike.
Bad input (an unknown type or format, a bad address, ``--output -`` with a binary format,
mail without an SMTP server) is a UsageError raised before any run is recorded or any
query runs. Everything that fails later is a *failed run*: recorded in ``report_runs``
with its error and returned, never raised, so a scheduler can go on with the next one.
"""

from __future__ import annotations

import io
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlalchemy.exc import SQLAlchemyError

from agentctl.config import mask_secrets
from agentctl.database import Database
from agentctl.errors import AgentctlError, UsageError
from agentctl.repository import runs
from agentctl.services.reports.build import CORE_REPORTS, build_report
from agentctl.services.reports.files import MIME_TYPES, atomic_path
from agentctl.services.reports.model import Report
from agentctl.services.reports.request import (
    REPORT_FORMATS,
    REPORT_TYPES,
    STREAM_FORMATS,
    Request,
    check,
    check_delivery,
    validate_recipients,
)
from agentctl.services.window import Window
from agentctl.timeutil import utcnow

# The window a report covers when none is given: metrics look back a week; aging and
# workload are about *all* open work, whenever it was created.
DEFAULT_RANGES = {
    "performance": "7d",
    "sla-breaches": "7d",
    "sla-at-risk": "all",  # every open ticket, whenever it was created
    "aging": "all",
    "workload": "all",
    "availability": "7d",
}

Progress = Callable[[int, int | None], None]

__all__ = [
    "DEFAULT_RANGES",
    "REPORT_FORMATS",
    "REPORT_TYPES",
    "ReportRunResult",
    "check_delivery",
    "run_report",
    "validate_recipients",
]


@dataclass
class ReportRunResult:
    run_id: uuid.UUID
    status: str  # "succeeded" | "partial" | "failed" | "skipped"
    rows: int
    bytes: int
    output_path: str | None
    recipients: list[str]
    error: str | None
    report_type: str = ""
    format: str = ""
    deliveries: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. glyphs the PDF font lacks

    @property
    def succeeded(self) -> bool:
        """Nothing went wrong: delivered to everyone, or skipped on purpose."""
        return self.status in ("succeeded", "skipped")


class _CountingWriter(io.TextIOBase):
    """Counts the UTF-8 bytes written through it to stdout."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode("utf-8"))
        return self.out.write(text)


def _write(report: Report, fmt: str, target: Path, progress: Progress | None) -> int:
    """Write ``report`` to ``target`` atomically; return the number of rows written."""
    with atomic_path(target) as temporary:
        if fmt in STREAM_FORMATS:
            from agentctl.services.reports.text_formats import write_csv, write_json

            writer = write_csv if fmt == "csv" else write_json
            with temporary.open("w", encoding="utf-8", newline="") as out:
                return writer(report, out, progress)
        if fmt == "xlsx":
            from agentctl.services.reports.xlsx import write_xlsx

            return write_xlsx(report, temporary, progress)
        from agentctl.services.reports.pdf import write_pdf

        return write_pdf(report, temporary, progress)


def _failure_message(exc: BaseException, target: Path | None) -> str:
    if isinstance(exc, OSError):
        where = exc.filename or target or "stdout"
        return f"cannot write {where}: {exc.strerror or exc}"
    if isinstance(exc, AgentctlError):
        return exc.message
    if isinstance(exc, SQLAlchemyError):
        orig = getattr(exc, "orig", None) or exc
        return f"database error: {str(orig).strip().splitlines()[0]}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}"


# Detail rows a --new-only schedule recognizes: the same ticket with the same due time.
NEW_ONLY_DUE_FIELDS = {"sla-breaches": "sla_due_date", "sla-at-risk": "due_at"}


def _only_new(
    session: Any, report: Report, schedule_id: uuid.UUID
) -> tuple[Report, list[runs.DeliveryKey]]:
    """The report without the rows this schedule delivered before, and the kept rows' keys."""
    keys = [f.key for f in report.fields]
    number_at, tenant_at = keys.index("ticket_number"), keys.index("tenant_id")
    due_at = keys.index(NEW_ONLY_DUE_FIELDS[report.report_type])
    delivered = runs.delivered_keys(session, schedule_id)
    kept: list[tuple[Any, ...]] = []
    kept_keys: list[runs.DeliveryKey] = []
    for row in report.rows():
        key = (row[tenant_at], row[number_at], row[due_at])
        if row[due_at] is None or key in delivered:
            continue
        kept.append(row)
        kept_keys.append(key)
    summary = replace(report.summary, total_rows=len(kept))
    kept_report = replace(report, rows=lambda: iter(kept), csv_batches=None, summary_source=summary)
    return kept_report, kept_keys


@dataclass
class _Written:
    report: Report
    rows: int = 0
    size: int = 0
    keys: list[runs.DeliveryKey] = field(default_factory=list)
    preview: list[tuple[Any, ...]] = field(default_factory=list)
    skipped: bool = False


def _build_and_write(
    db: Database,
    request: Request,
    window: Window,
    tenant: str | None,
    *,
    new_only_for: uuid.UUID | None,
    skip_empty: bool,
    within: str | None,
    progress: Progress | None,
    stdout: IO[str] | None,
) -> _Written:
    core = request.report_type in CORE_REPORTS  # no ORM for these (issue 15)
    with db.connect() if core else db.session() as session:
        from agentctl.services.reports.at_risk import check_within  # sla-at-risk only

        report = build_report(
            session,
            request.report_type,
            window,
            tenant,
            utcnow(),
            by=request.by,
            within=check_within(request.report_type, within),
        )
        written = _Written(report)
        if new_only_for is not None:
            report, written.keys = _only_new(session, report, new_only_for)
            written.report = report
        if skip_empty and report.total_rows == 0:
            written.skipped = True
            return written
        if request.webhooks:
            from agentctl.services import webhook

            written.preview = list(islice(report.rows(), webhook.ROWS_SHOWN))
        if request.target is None:
            from agentctl.services.reports.text_formats import write_csv, write_json

            out = _CountingWriter(stdout or sys.stdout)
            writer = write_csv if request.fmt == "csv" else write_json
            # Issue 13.7: the reader closing stdout (`-o - | head`) is no failure: the run
            # succeeded with the rows handed to stdout before it left.
            try:
                written.rows = writer(report, out, progress)  # type: ignore[arg-type]
                out.flush()
            except BrokenPipeError as exc:
                written.rows = getattr(exc, "rows_written", 0)
            written.size = out.bytes
        else:
            written.rows = _write(report, request.fmt, request.target, progress)
            written.size = request.target.stat().st_size
        if request.recipients or request.webhooks:
            report.summary  # noqa: B018  # mail and webhooks show it, after the reader closes
    return written


def run_report(
    db: Database,
    *,
    report_type: str,
    fmt: str,
    window: Window,
    tenant: str | None,
    output: str | None = None,
    recipients: Sequence[str] = (),
    subject: str | None = None,
    smtp_url: str | None = None,
    mail_from: str | None = None,
    schedule_id: uuid.UUID | None = None,
    schedule_name: str | None = None,
    occurrence_at: datetime | None = None,
    run_id: uuid.UUID | None = None,
    webhooks: Sequence[str] = (),
    skip_empty: bool = False,
    new_only: bool = False,
    within: str | None = None,
    by: str | None = None,
    progress: Progress | None = None,
    stdout: IO[str] | None = None,
) -> ReportRunResult:
    """Run one report: check the input, record the run, write the file, deliver it.

    ``output``: None writes ``agentctl-<type>-<date>.<ext>`` in the current directory,
    ``"-"`` writes csv/json to ``stdout`` (default ``sys.stdout``). ``run_id``: a run row
    the scheduler already claimed (``running``); otherwise one is inserted. Whatever is
    raised after that, Ctrl-C included, the run ends failed, partial, succeeded or
    skipped: a failure after the checks (file system, database, SMTP) is returned as a
    failed run, anything else is recorded and raised again.
    """
    request = check(report_type, fmt, window, output, recipients, smtp_url, mail_from, by, webhooks)
    from agentctl.services.reports.at_risk import check_within

    check_within(request.report_type, within)  # a bad --within is exit 2, before any run
    if new_only and (schedule_id is None or request.report_type not in NEW_ONLY_DUE_FIELDS):
        raise UsageError(
            "--new-only needs a schedule and a report of "
            + " or ".join(sorted(NEW_ONLY_DUE_FIELDS))
        )
    path_text = str(request.target) if request.target is not None else None
    if run_id is None:
        with db.connect(write=True) as connection:
            run_id = runs.insert_run(
                connection,
                report_type=request.report_type,
                fmt=request.fmt,
                tenant=tenant,
                recipients=request.recipients,
                output_path=path_text,
                schedule_id=schedule_id,
                schedule_name=schedule_name,
                occurrence_at=occurrence_at,
            )
    the_run = run_id

    def finish(
        status: str,
        written: _Written | None,
        error: str | None,
        deliveries: dict[str, str] | None = None,
    ) -> ReportRunResult:
        error = mask_secrets(error) if error else None
        rows = written.rows if written is not None else 0
        size = written.size if written is not None else 0
        path = path_text if written is not None and not written.skipped else None
        with db.connect(write=True) as connection:
            ours = runs.finish_run(
                connection,
                the_run,
                status=status,
                rows=rows,
                size=size,
                output_path=path,
                error=error,
                deliveries=deliveries or None,
            )
            # Remembered in the transaction that marks the run succeeded: a failed or
            # partial delivery sends these rows again next time.
            # (Not when the run was taken over meanwhile: the takeover records its own.)
            if ours and status == "succeeded" and written is not None and written.keys:
                assert schedule_id is not None
                runs.record_deliveries(connection, schedule_id, the_run, written.keys)
        report = written.report if written is not None else None
        return ReportRunResult(
            run_id=the_run,
            status=status,
            rows=rows,
            bytes=size,
            output_path=path,
            recipients=request.recipients,
            error=error,
            report_type=request.report_type,
            format=request.fmt,
            deliveries=deliveries or {},
            warnings=list(report.warnings) if report is not None else [],
        )

    written: _Written | None = None
    finished = False
    try:
        written = _build_and_write(
            db,
            request,
            window,
            tenant,
            new_only_for=schedule_id if new_only else None,
            skip_empty=skip_empty,
            within=within,
            progress=progress,
            stdout=stdout,
        )
        if written.skipped:
            result = finish("skipped", written, None)
        elif request.recipients or request.webhooks:
            assert request.retry is not None
            from agentctl.services.reports.delivery import deliver

            outcome = deliver(
                smtp=request.smtp,
                mail_from=request.mail_from,
                recipients=request.recipients,
                webhooks=request.webhooks,
                subject=subject,
                report=written.report,
                target=request.target,
                mime_type=MIME_TYPES[request.fmt],
                run_id=the_run,
                preview=written.preview,
                retry=request.retry,
            )
            result = finish(outcome.status, written, outcome.error, outcome.deliveries)
        else:
            result = finish("succeeded", written, None)
        finished = True
        return result
    except (OSError, AgentctlError, SQLAlchemyError) as exc:
        if finished:
            raise
        finished = True
        keep = written if written is not None and written.rows else None
        return finish("failed", keep, _failure_message(exc, request.target))
    finally:
        if not finished:  # Ctrl-C, or a bug: never leave the run `running`
            exc_now = sys.exc_info()[1]
            finish(
                "failed", None, _failure_message(exc_now, request.target) if exc_now else "stopped"
            )
