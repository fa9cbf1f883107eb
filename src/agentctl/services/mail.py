"""Sending mail: SMTP URLs, address validation, messages, delivery with retries.

SMTP URLs (DESIGN.md, Configuration): ``smtp://[user:pass@]host[:port]`` is plain SMTP
(port 25), ``smtp+starttls://`` upgrades with STARTTLS (port 587) and ``smtps://`` speaks
TLS from the first byte (port 465). A password never leaves this module: every error
names the server by its masked URL.

Transient failures (connection refused or dropped, timeouts, 4xx replies) are retried a
few times with exponential backoff; permanent ones (5xx, a refused login) are not. The
number of attempts and the first delay come from ``AGENTCTL_SMTP_ATTEMPTS`` and
``AGENTCTL_SMTP_BACKOFF`` (seconds) when set, so tests and impatient cron jobs can keep
them short.
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from typing import Any
from urllib.parse import unquote, urlsplit

from agentctl.config import mask_secrets
from agentctl.errors import RuntimeFailure, UsageError

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_S = 1.0
TIMEOUT_S = 30.0
# Lines up to RFC 5322's hard limit: Python's folding of a long Subject otherwise starts
# with a line break, which parsers (Python's own among them) read as a leading space.
MESSAGE_POLICY = email.policy.SMTP.clone(max_line_length=998)


@dataclass
class DeliveryResult:
    """What one delivery achieved, per recipient.

    ``accepted``: addresses the server accepted. ``refused``: address -> the server's reply
    (e.g. ``"450 4.2.0 greylisted"``) for those it refused in the end, after retries.
    ``attempts``: SMTP transactions made. A run is succeeded when ``refused`` is empty,
    and partial when both lists have addresses.
    """

    accepted: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    attempts: int = 1

    @property
    def complete(self) -> bool:
        return not self.refused


class MailError(RuntimeFailure):
    """Delivery failed for good (exit 1). ``message`` is safe to print and to store."""


@dataclass(frozen=True)
class SMTPConfig:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def safe_url(self) -> str:
        auth = (
            f"{self.username}:***@"
            if self.password
            else (f"{self.username}@" if self.username else "")
        )
        return f"{self.scheme}://{auth}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SMTPConfig:
    """Parse an SMTP URL; anything malformed is a UsageError (exit 2)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UsageError(f"invalid SMTP URL {mask_secrets(url)!r}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UsageError(
            f"invalid SMTP URL {mask_secrets(url)!r}: the scheme must be smtp://, "
            "smtp+starttls:// or smtps://"
        )
    if not parts.hostname:
        raise UsageError(f"invalid SMTP URL {mask_secrets(url)!r}: no host")
    return SMTPConfig(
        scheme=scheme,
        host=parts.hostname,
        port=port or SCHEMES[scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def validate_address(address: str) -> str:
    """The normalized address; a UsageError naming it when it is not a valid address.

    No DNS lookups: a cron job must not fail because a resolver is slow.
    """
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise UsageError(f"invalid email address {address!r}: {exc}") from None


def _domain_of(address: str) -> str | None:
    domain = address.rpartition("@")[2].strip(" >")
    return domain or None


def summary_text(title: str, figures: Sequence[tuple[str, str]]) -> str:
    width = max((len(label) for label, _ in figures), default=0)
    lines = [title, ""]
    lines += [f"  {label.ljust(width)}  {value}" for label, value in figures]
    return "\n".join(lines) + "\n"


def summary_html(title: str, figures: Sequence[tuple[str, str]]) -> str:
    rows = "\n".join(
        f'<tr><th align="left">{escape(label)}</th><td align="right">{escape(value)}</td></tr>'
        for label, value in figures
    )
    return (
        "<!DOCTYPE html>\n<html><body>\n"
        f"<p>{escape(title)}</p>\n"
        f'<table border="1" cellpadding="4" cellspacing="0">\n{rows}\n</table>\n'
        "</body></html>\n"
    )


def build_message(
    *,
    mail_from: str,
    recipients: Sequence[str],
    subject: str,
    intro: str,
    figures: Sequence[tuple[str, str]],
    attachment: bytes,
    filename: str,
    mime_type: str,
    run_id: uuid.UUID,
    text: str | None = None,
    html: str | None = None,
    images: Sequence[tuple[str, bytes]] = (),
) -> EmailMessage:
    """A report message: plain text and HTML summaries, and the report attached.

    ``text`` and ``html`` replace the summaries built from ``figures``; ``images`` are
    PNGs (content id, bytes) the HTML shows inline as ``cid:`` images."""
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = mail_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain_of(mail_from))
    message["X-Agentctl-Run"] = str(run_id)
    message.set_content(text if text is not None else summary_text(intro, figures))
    message.add_alternative(html if html is not None else summary_html(intro, figures), "html")
    if images:
        html_part = message.get_body(preferencelist=("html",))
        assert html_part is not None
        for cid, png in images:
            html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    maintype, _, subtype = mime_type.partition("/")
    message.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    return message


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return max(float(raw), 0.0)
    except ValueError:
        raise UsageError(f"{name} must be a number, not {raw!r}") from None


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, smtplib.SMTPServerDisconnected | OSError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{addr}: {code} {_decode(reply)}" for addr, (code, reply) in exc.recipients.items()
        )
        return f"recipients refused ({refused})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _decode(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _connect(config: SMTPConfig) -> smtplib.SMTP:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if config.scheme == "smtps":
        client = smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT_S, context=context)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_S)
    try:
        client.ehlo()
        if config.scheme == "smtp+starttls":
            client.starttls(context=context)
            client.ehlo()
        if config.username is not None:
            client.login(config.username, config.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _deliver_once(config: SMTPConfig, message: EmailMessage, recipients: Sequence[str]) -> None:
    client = _connect(config)
    try:
        refused: Mapping[str, Any] = client.send_message(message, to_addrs=list(recipients))
        if refused:  # some recipients accepted, others not: still a failed delivery
            raise smtplib.SMTPRecipientsRefused(dict(refused))
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def send(
    config: SMTPConfig,
    message: EmailMessage,
    recipients: Sequence[str],
    *,
    attempts: int | None = None,
    backoff: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Deliver ``message``; return who accepted it. Raise MailError when nobody did.

    CONTRACT (being reworked): retries only the refused recipients; returns a
    DeliveryResult whose ``refused`` is non-empty when some recipients were refused in the
    end; raises MailError only when no recipient accepted the message.
    """
    if attempts is None:
        attempts = int(_env_number("AGENTCTL_SMTP_ATTEMPTS", DEFAULT_ATTEMPTS))
    if backoff is None:
        backoff = _env_number("AGENTCTL_SMTP_BACKOFF", DEFAULT_BACKOFF_S)
    attempts = max(attempts, 1)
    for attempt in range(1, attempts + 1):
        try:
            _deliver_once(config, message, recipients)
            return DeliveryResult(accepted=list(recipients), attempts=attempt)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            if attempt < attempts and _is_transient(exc):
                sleep(backoff * 2 ** (attempt - 1))
                continue
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            raise MailError(
                mask_secrets(f"SMTP delivery via {config.safe_url} failed{tries}: {_describe(exc)}")
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover
