"""Sending mail: SMTP URLs, address validation, messages, delivery with retries.

SMTP URLs (DESIGN.md, Configuration): ``smtp://[user:pass@]host[:port]`` is plain SMTP
(port 25), ``smtp+starttls://`` upgrades with STARTTLS (port 587) and ``smtps://`` speaks
TLS from the first byte (port 465). A password never leaves this module: every error
names the server by its masked URL.

Delivery is per recipient: a retry goes only to the addresses the server refused with a
4xx (greylisting), never again to one that accepted the message. Transient failures of a
whole transaction (connection refused or dropped, timeouts, 4xx replies) are retried a few
times with exponential backoff; permanent ones (5xx, a refused login, STARTTLS not
offered, an untrusted certificate) are not. The number of attempts and the first delay
come from ``AGENTCTL_SMTP_ATTEMPTS`` and ``AGENTCTL_SMTP_BACKOFF`` (seconds) when set.

TLS trusts the system's CAs (OpenSSL's ``SSL_CERT_FILE``/``SSL_CERT_DIR`` replace them)
and, in addition, the PEM file named by ``AGENTCTL_SMTP_CA_FILE`` (a company's own CA).
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from urllib.parse import unquote, urlsplit

from agentctl.config import mask_secrets
from agentctl.errors import RuntimeFailure, UsageError

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_S = 1.0
TIMEOUT_S = 30.0
CA_FILE_ENV = "AGENTCTL_SMTP_CA_FILE"
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

    def describe_refused(self) -> str:
        """``"b@x: 550 5.1.1 no such user; c@x: 450 4.2.0 greylisted"`` (empty if none)."""
        return _refused(self.refused)


class MailError(RuntimeFailure):
    """Delivery failed for good (exit 1). ``message`` is safe to print and to store."""


@dataclass(frozen=True)
class SMTPConfig:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None  # a private CA trusted besides the system's (PEM)

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
        ca_file=_ca_file() if scheme != "smtp" else None,
    )


def _ca_file() -> str | None:
    """``AGENTCTL_SMTP_CA_FILE``, checked now so that a bad one fails before any work."""
    path = os.environ.get(CA_FILE_ENV, "").strip()
    if not path:
        return None
    try:
        ssl.create_default_context().load_verify_locations(cafile=path)
    except OSError as exc:  # ssl.SSLError (not PEM) is an OSError too
        reason = exc.strerror or getattr(exc, "reason", None) or exc
        raise UsageError(f"{CA_FILE_ENV}={path!r} is not a readable PEM file: {reason}") from None
    return path


def validate_address(address: str) -> str:
    """The normalized address; a UsageError naming it when it is not a valid address.

    Syntax only (``agentctl.addresses``): no DNS, and internal domains are accepted.
    """
    from agentctl.addresses import normalize_email

    try:
        return normalize_email(address)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


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


def is_transient(exc: BaseException) -> bool:
    """Whether trying again later may help. The order matters: ``SMTPException`` and
    ``ssl.SSLError`` are both subclasses of ``OSError``, and most of them are permanent.
    """
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False  # a wrong password stays wrong; retrying only risks a lock-out
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500  # 4xx: try later; 5xx: never
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException):
        return False  # STARTTLS or AUTH not supported, no usable AUTH method, ...
    if isinstance(exc, ssl.SSLError):
        return False  # an untrusted certificate or a failed handshake will fail again
    if isinstance(exc, socket.gaierror):
        return exc.errno == socket.EAI_AGAIN  # "try again" from the resolver, not "no such host"
    return isinstance(exc, OSError)  # refused connections, timeouts, unreachable networks


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate not trusted: {exc.verify_message or exc.reason} "
            f"(for a private CA set {CA_FILE_ENV})"
        )
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _reply(code: int, reply: bytes | str) -> str:
    return f"{code} {_decode(reply)}".strip()


def _decode(reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())  # multi-line replies on one line


def tls_context(config: SMTPConfig) -> ssl.SSLContext:
    """The system's trusted CAs (``SSL_CERT_FILE``/``SSL_CERT_DIR`` override them, as
    OpenSSL does), plus the private CA in ``AGENTCTL_SMTP_CA_FILE`` when set."""
    context = ssl.create_default_context()
    if config.ca_file:
        context.load_verify_locations(cafile=config.ca_file)
    return context


def _connect(config: SMTPConfig) -> smtplib.SMTP:
    client: smtplib.SMTP
    if config.scheme == "smtps":
        context = tls_context(config)
        client = smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT_S, context=context)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_S)
    try:
        client.ehlo()
        if config.scheme == "smtp+starttls":
            client.starttls(context=tls_context(config))
            client.ehlo()
        if config.username is not None:
            client.login(config.username, config.password or "")
    except BaseException:
        client.close()
        raise
    return client


Refusals = dict[str, tuple[int, bytes | str]]


def _deliver_once(config: SMTPConfig, message: EmailMessage, recipients: Sequence[str]) -> Refusals:
    """One SMTP transaction; the recipients the server refused (the others have it)."""
    client = _connect(config)
    try:
        try:
            refused: Refusals = dict(client.send_message(message, to_addrs=list(recipients)))
        except smtplib.SMTPRecipientsRefused as exc:  # all of them: nobody has it
            refused = dict(exc.recipients)
        return refused
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

    Each transaction goes only to the recipients that do not have the message yet: an
    address the server accepted never gets a second copy. A 4xx refusal of an address
    (greylisting) is retried with exponential back-off; a 5xx refusal is final for that
    address. A failure of the whole transaction (connection, TLS, login, DATA) is retried
    only when it is transient (``is_transient``).
    """
    if attempts is None:
        attempts = int(_env_number("AGENTCTL_SMTP_ATTEMPTS", DEFAULT_ATTEMPTS))
    if backoff is None:
        backoff = _env_number("AGENTCTL_SMTP_BACKOFF", DEFAULT_BACKOFF_S)
    attempts = max(attempts, 1)
    pending = list(dict.fromkeys(recipients))
    if not pending:
        return DeliveryResult(attempts=0)
    accepted: list[str] = []
    refused: dict[str, str] = {}
    failure: BaseException | None = None
    attempt = 0
    while pending and attempt < attempts:
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        attempt += 1
        try:
            refusals = _deliver_once(config, message, pending)
        except (smtplib.SMTPException, OSError) as exc:
            failure = exc
            if is_transient(exc):
                continue
            break
        failure = None
        for address in pending:
            if address not in refusals:
                accepted.append(address)
                refused.pop(address, None)  # refused earlier, accepted now
        pending = []
        for address, (code, reply) in refusals.items():
            refused[address] = _reply(code, reply)
            if 400 <= code < 500:
                pending.append(address)
    if failure is not None:
        for address in pending:
            refused[address] = _describe(failure)
    if accepted:
        return DeliveryResult(accepted=accepted, refused=refused, attempts=attempt)
    tries = f" after {attempt} attempts" if attempt > 1 else ""
    if failure is not None and len(set(refused.values())) == 1:
        reason = _describe(failure)  # the same failure for everyone: say it once
    else:
        reason = f"recipients refused ({_refused(refused)})"
    raise MailError(mask_secrets(f"SMTP delivery via {config.safe_url} failed{tries}: {reason}"))


def _refused(refused: Mapping[str, str]) -> str:
    return "; ".join(f"{address}: {reply}" for address, reply in refused.items())
