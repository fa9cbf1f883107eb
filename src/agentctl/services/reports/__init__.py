"""``agentctl report``: build a report, write it atomically, mail it, record the run.

``run_report`` is the one entry point, for the CLI (ad hoc runs) and the scheduler alike.
Bad input (an unknown type or format, a bad address, ``--output -`` with a binary format,
mail without an SMTP server) is a UsageError raised before any run is recorded or any
query runs. Everything that fails later is a *failed run*: recorded in ``report_runs``
with its error and returned, never raised, so a scheduler can go on with the next one.
"""

from __future__ import annotations

import io
import socket
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.exc import SQLAlchemyError

from agentctl.config import mask_secrets
from agentctl.database import Database
from agentctl.errors import AgentctlError, UsageError
from agentctl.repository import reports as repo
from agentctl.services import mail
from agentctl.services.reports.build import build_report
from agentctl.services.reports.files import MIME_TYPES, atomic_path, default_filename
from agentctl.services.reports.model import Report, describe_window
from agentctl.services.window import Window
from agentctl.timeutil import utcnow

REPORT_TYPES = (
    "performance",
    "sla-breaches",
    "sla-at-risk",
    "aging",
    "workload",
    "availability",
)
REPORT_FORMATS = ("csv", "xlsx", "pdf", "json")
STREAM_FORMATS = ("csv", "json")  # the ones that can go to stdout
BUCKETS = ("day", "week")
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
    "run_report",
    "validate_recipients",
]


@dataclass
class ReportRunResult:
    run_id: uuid.UUID
    status: str  # "succeeded" | "failed"
    rows: int
    bytes: int
    output_path: str | None
    recipients: list[str]
    error: str | None
    report_type: str = ""
    format: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. glyphs the PDF font lacks

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


def validate_recipients(addresses: Sequence[str]) -> list[str]:
    """The addresses normalized, duplicates dropped; a UsageError on the first bad one."""
    normalized: list[str] = []
    for address in addresses:
        valid = mail.validate_address(address)
        if valid.lower() not in (a.lower() for a in normalized):
            normalized.append(valid)
    return normalized


def _choice(value: str, choices: Sequence[str], what: str) -> str:
    normalized = (value or "").strip().lower()
    if normalized not in choices:
        raise UsageError(f"unknown {what} {value!r}; use one of {', '.join(choices)}")
    return normalized


@dataclass(frozen=True)
class _Request:
    report_type: str
    fmt: str
    to_stdout: bool
    target: Path | None
    recipients: list[str]
    smtp: mail.SMTPConfig | None
    mail_from: str
    by: str | None


def _check(
    report_type: str,
    fmt: str,
    window: Window,
    output: str | None,
    recipients: Sequence[str],
    smtp_url: str | None,
    mail_from: str | None,
    by: str | None,
) -> _Request:
    """Every check that needs no database, so bad input fails before any work."""
    report_type = _choice(report_type, REPORT_TYPES, "report type")
    fmt = _choice(fmt, REPORT_FORMATS, "format")
    if by is not None:
        by = _choice(by, BUCKETS, "--by bucket")
        if report_type != "performance":
            raise UsageError("--by applies to the performance report only")
    to_stdout = output == "-"
    if to_stdout and fmt not in STREAM_FORMATS:
        raise UsageError(f"--output - writes csv or json to stdout; {fmt} needs a file path")
    valid = validate_recipients(recipients)
    smtp = None
    if valid:
        if to_stdout:
            raise UsageError("--email needs a file to attach; give --output PATH, not -")
        if not smtp_url:
            raise UsageError(
                "--email needs an SMTP server: set AGENTCTL_SMTP_URL or pass --smtp-url"
            )
        smtp = mail.parse_smtp_url(smtp_url)
    sender = mail_from or f"agentctl@{socket.gethostname()}"
    if "@" not in sender:
        raise UsageError(f"invalid sender {sender!r}: set AGENTCTL_MAIL_FROM or --mail-from")
    target = None
    if not to_stdout:
        name = output or default_filename(report_type, fmt, window.as_of)
        target = Path(name).expanduser().absolute()
    return _Request(report_type, fmt, to_stdout, target, valid, smtp, sender, by)


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


def default_subject(report: Report) -> str:
    tenant = f" [{report.tenant}]" if report.tenant is not None else ""
    return f"agentctl {report.report_type} report{tenant}: {describe_window(report.window)}"


def _mail_report(
    request: _Request,
    report: Report,
    run_id: uuid.UUID,
    subject: str | None,
    attempts: int | None,
    backoff: float | None,
) -> None:
    from email.utils import make_msgid

    from agentctl.services.reports.email_body import email_body

    assert request.smtp is not None and request.target is not None
    intro = f"{report.title}: agentctl {report.report_type} report"
    cid = make_msgid("chart", domain="agentctl.invalid")[1:-1]
    body = email_body(report, intro, request.target.name, chart_cid=cid)
    message = mail.build_message(
        mail_from=request.mail_from,
        recipients=request.recipients,
        subject=subject or default_subject(report),
        intro=intro,
        figures=[],
        attachment=request.target.read_bytes(),
        filename=request.target.name,
        mime_type=MIME_TYPES[request.fmt],
        run_id=run_id,
        text=body.text,
        html=body.html,
        images=body.images,
    )
    mail.send(request.smtp, message, request.recipients, attempts=attempts, backoff=backoff)


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
    occurrence_at: datetime | None = None,
    by: str | None = None,
    progress: Progress | None = None,
    stdout: IO[str] | None = None,
    smtp_attempts: int | None = None,
    smtp_backoff: float | None = None,
    within: str | None = None,
) -> ReportRunResult:
    """Run one report: check the input, record the run, write the file, mail it.

    ``output``: None writes ``agentctl-<type>-<date>.<ext>`` in the current directory,
    ``"-"`` writes csv/json to ``stdout`` (default ``sys.stdout``). Returns the run's
    result; a failure after the checks (file system, database, SMTP) is a failed run.
    """
    from agentctl.services.reports.at_risk import check_within  # sla-at-risk's --within

    within_td = check_within(report_type, within)
    request = _check(report_type, fmt, window, output, recipients, smtp_url, mail_from, by)
    path_text = str(request.target) if request.target is not None else None
    with db.session(write=True) as session:
        run_id = repo.insert_run(
            session,
            report_type=request.report_type,
            fmt=request.fmt,
            tenant=tenant,
            recipients=request.recipients,
            output_path=path_text,
            schedule_id=schedule_id,
            occurrence_at=occurrence_at,
        )

    def finish(
        status: str,
        rows: int,
        size: int,
        path: str | None,
        error: str | None,
        report: Report | None = None,
    ) -> ReportRunResult:
        error = mask_secrets(error) if error else None
        with db.session(write=True) as session:
            repo.finish_run(
                session,
                run_id,
                status=status,
                rows=rows,
                size=size,
                output_path=path,
                error=error,
            )
        return ReportRunResult(
            run_id=run_id,
            status=status,
            rows=rows,
            bytes=size,
            output_path=path,
            recipients=request.recipients,
            error=error,
            report_type=request.report_type,
            format=request.fmt,
            summary=report.summary_dict() if report is not None else {},
            warnings=list(report.warnings) if report is not None else [],
        )

    report: Report | None = None
    try:
        with db.session() as session:
            report = build_report(
                session,
                request.report_type,
                window,
                tenant,
                utcnow(),
                by=request.by,
                within=within_td,
            )
            if request.target is None:
                from agentctl.services.reports.text_formats import write_csv, write_json

                out = _CountingWriter(stdout or sys.stdout)
                writer = write_csv if request.fmt == "csv" else write_json
                # --- issue 13.7: the reader closing stdout (`-o - | head`) is no failure:
                # the run succeeded with the rows handed to stdout before it left.
                rows = 0
                try:
                    rows = writer(report, out, progress)  # type: ignore[arg-type]
                    out.flush()
                except BrokenPipeError as exc:
                    rows = getattr(exc, "rows_written", rows)
                # --- end issue 13.7
                size = out.bytes
            else:
                rows = _write(report, request.fmt, request.target, progress)
                size = request.target.stat().st_size
    except BaseException as exc:
        failed = finish("failed", 0, 0, None, _failure_message(exc, request.target), report)
        if isinstance(exc, OSError | AgentctlError | SQLAlchemyError):
            return failed
        raise

    if request.recipients:
        try:
            _mail_report(request, report, run_id, subject, smtp_attempts, smtp_backoff)
        except mail.MailError as exc:
            return finish("failed", rows, size, path_text, exc.message, report)
    return finish("succeeded", rows, size, path_text, None, report)
