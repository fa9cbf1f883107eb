"""Delivering a written report: mail to every recipient, and the summary to each webhook.

The outcome is per recipient and per webhook (``deliveries``, stored on the run): a run
is ``succeeded`` when every one accepted, ``partial`` when some did, ``failed`` when none
did. Webhooks are keyed by their masked URL, never the secret one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentctl.errors import UsageError
from agentctl.services import mail, webhook
from agentctl.services.reports.model import Report, display_value

ACCEPTED = "accepted"


@dataclass(frozen=True)
class RetrySettings:
    attempts: int
    backoff: float


def _env(name: str, default: str, parse: type[int] | type[float], minimum: float) -> Any:
    raw = os.environ.get(name, "").strip() or default
    try:
        value = parse(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        kind = "a whole number" if parse is int else "a number"
        raise UsageError(f"{name} must be {kind} >= {minimum:g}, not {raw!r}")
    return value


def retry_settings() -> RetrySettings:
    """``AGENTCTL_SMTP_ATTEMPTS`` and ``AGENTCTL_SMTP_BACKOFF``, checked before any work."""
    return RetrySettings(
        attempts=_env("AGENTCTL_SMTP_ATTEMPTS", str(mail.DEFAULT_ATTEMPTS), int, 1),
        backoff=_env("AGENTCTL_SMTP_BACKOFF", str(mail.DEFAULT_BACKOFF_S), float, 0),
    )


@dataclass
class DeliveryOutcome:
    status: str  # succeeded | partial | failed
    deliveries: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def webhook_keys(urls: Sequence[str]) -> list[str]:
    """``webhook https://host/…`` per URL, numbered when two share a host."""
    keys: list[str] = []
    for url in urls:
        key = f"webhook {webhook.mask_url(url)}"
        if key in keys:
            key = f"{key} #{sum(k.startswith(key) for k in keys) + 1}"
        keys.append(key)
    return keys


def default_subject(report: Report) -> str:
    tenant = f" [{report.tenant}]" if report.tenant is not None else ""
    return f"agentctl {report.report_type} report{tenant}: {report.window.period()}"


def summary_lines(report: Report) -> list[tuple[str, str]]:
    lines = [(label, value) for label, value in report.header_lines()]
    return lines + [(f.label, f.display()) for f in report.figures]


def _mail(
    *,
    smtp: mail.SMTPConfig,
    mail_from: str,
    recipients: Sequence[str],
    subject: str | None,
    report: Report,
    target: Path,
    mime_type: str,
    run_id: uuid.UUID,
    retry: RetrySettings,
    deliveries: dict[str, str],
) -> None:
    from email.utils import make_msgid

    from agentctl.services.reports.email_body import email_body

    intro = f"{report.title}: agentctl {report.report_type} report"
    cid = make_msgid("chart", domain="agentctl.invalid")[1:-1]
    body = email_body(report, intro, target.name, chart_cid=cid)
    message = mail.build_message(
        mail_from=mail_from,
        recipients=recipients,
        subject=subject or default_subject(report),
        intro=intro,
        figures=[],
        attachment=target.read_bytes(),
        filename=target.name,
        mime_type=mime_type,
        run_id=run_id,
        text=body.text,
        html=body.html,
        images=body.images,
    )
    try:
        result = mail.send(
            smtp, message, recipients, attempts=retry.attempts, backoff=retry.backoff
        )
    except mail.MailError as exc:
        deliveries.update({address: exc.message for address in recipients})
        return
    for address in recipients:
        if address in result.refused:
            deliveries[address] = f"refused: {result.refused[address]}"
        elif address in result.accepted:
            deliveries[address] = ACCEPTED
        else:  # neither: the contract says accepted or refused; be safe
            deliveries[address] = "not delivered"


def _post(
    urls: Sequence[str],
    report: Report,
    preview: Sequence[Sequence[Any]],
    retry: RetrySettings,
    deliveries: dict[str, str],
) -> None:
    payload = webhook.build_payload(
        f"{report.title} (agentctl {report.report_type})",
        summary_lines(report),
        [f.title for f in report.fields],
        [
            [display_value(v, f.kind) for v, f in zip(row, report.fields, strict=False)]
            for row in preview
        ],
        report.total_rows,
    )
    for key, url in zip(webhook_keys(urls), urls, strict=True):
        try:
            webhook.post(url, payload, attempts=retry.attempts, backoff=retry.backoff)
            deliveries[key] = ACCEPTED
        except webhook.WebhookError as exc:
            deliveries[key] = exc.message


def deliver(
    *,
    smtp: mail.SMTPConfig | None,
    mail_from: str,
    recipients: Sequence[str],
    webhooks: Sequence[str],
    subject: str | None,
    report: Report,
    target: Path | None,
    mime_type: str,
    run_id: uuid.UUID,
    preview: Sequence[Sequence[Any]],
    retry: RetrySettings,
) -> DeliveryOutcome:
    """Mail the file and post the summary; say per recipient and webhook what happened."""
    deliveries: dict[str, str] = {}
    if recipients:
        assert smtp is not None and target is not None
        _mail(
            smtp=smtp,
            mail_from=mail_from,
            recipients=recipients,
            subject=subject,
            report=report,
            target=target,
            mime_type=mime_type,
            run_id=run_id,
            retry=retry,
            deliveries=deliveries,
        )
    if webhooks:
        _post(webhooks, report, preview, retry, deliveries)
    failed = {key: why for key, why in deliveries.items() if why != ACCEPTED}
    if not failed:
        return DeliveryOutcome("succeeded", deliveries)
    status = "failed" if len(failed) == len(deliveries) else "partial"
    if status == "failed" and len({*failed.values()}) == 1:
        error = next(iter(failed.values()))  # one cause (the SMTP server is down): say it once
    else:
        error = "not delivered to " + "; ".join(f"{key}: {why}" for key, why in failed.items())
    return DeliveryOutcome(status, deliveries, error)
