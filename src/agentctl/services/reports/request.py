"""The checks of a report run that need no database: type, format, output, mail, hooks.

Bad input is a UsageError raised here, before any run is recorded or any query runs.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agentctl.errors import UsageError
from agentctl.services.reports.files import default_filename
from agentctl.services.window import Window
from agentctl.timeutil import utcnow

if TYPE_CHECKING:
    # Mail and webhooks load only for a run that delivers (issue 15: start-up).
    from agentctl.services import mail
    from agentctl.services.reports.delivery import RetrySettings

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


def validate_recipients(addresses: Sequence[str]) -> list[str]:
    """The addresses normalized, duplicates dropped; a UsageError on the first bad one."""
    normalized: list[str] = []
    if not addresses:
        return normalized
    from agentctl.services import mail

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
class Request:
    report_type: str
    fmt: str
    to_stdout: bool
    target: Path | None
    recipients: list[str]
    smtp: mail.SMTPConfig | None
    mail_from: str
    by: str | None
    webhooks: list[str]
    retry: RetrySettings | None


def check(
    report_type: str,
    fmt: str,
    window: Window,
    output: str | None,
    recipients: Sequence[str],
    smtp_url: str | None,
    mail_from: str | None,
    by: str | None,
    webhooks: Sequence[str],
) -> Request:
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
        from agentctl.services import mail

        smtp = mail.parse_smtp_url(smtp_url)
    sender = mail_from or f"agentctl@{socket.gethostname()}"
    if "@" not in sender:
        raise UsageError(f"invalid sender {sender!r}: set AGENTCTL_MAIL_FROM or --mail-from")
    hooks: list[str] = []
    retry = None
    if valid or webhooks:
        from agentctl.services import webhook
        from agentctl.services.reports.delivery import retry_settings

        hooks = [webhook.validate_url(url) for url in webhooks]
        # Settings that only delivery reads are checked now, not after the file is written.
        retry = retry_settings()
    target = None
    if not to_stdout:
        name = output or default_filename(report_type, fmt, window.as_of)
        target = Path(name).expanduser().absolute()
    return Request(report_type, fmt, to_stdout, target, valid, smtp, sender, by, hooks, retry)


def check_delivery(
    recipients: Sequence[str], webhooks: Sequence[str], smtp_url: str | None, mail_from: str | None
) -> None:
    """The checks of a run's delivery, for callers that record a run before run_report."""
    window = Window(since=None, until=utcnow(), as_of=utcnow(), label="all")
    check("workload", "csv", window, None, recipients, smtp_url, mail_from, None, webhooks)
