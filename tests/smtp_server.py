"""A real SMTP server on loopback (aiosmtpd) for mail tests.

``SMTPServer`` records every message it accepts. ``refuse_with`` makes it answer every
RCPT with that reply (e.g. ``"550 5.1.1 mailbox unavailable"`` or a transient ``"451 …"``);
``rcpt_replies`` scripts the replies per address instead: ``{"b@x": ["450 4.2.0 later"] * 2}``
refuses ``b@x`` twice and then accepts it, as a greylisting server does.
``credentials`` makes it require AUTH LOGIN/PLAIN with that user and password.
TLS: ``tls="smtps"`` speaks TLS from the first byte, ``tls="starttls"`` offers STARTTLS;
both with ``cert`` (a ``trustme.LeafCert``), e.g. made by the ``tls_ca`` fixture.
``connections`` counts the SMTP sessions opened (a TLS handshake that fails opens none).
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class _Handler:
    refuse_with: str | None = None
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    messages: list[Received] = field(default_factory=list)
    rcpt_log: list[tuple[str, str]] = field(default_factory=list)  # (address, reply)
    connections: int = 0

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        if not getattr(session, "agentctl_counted", False):  # not again after STARTTLS
            session.agentctl_counted = True  # type: ignore[attr-defined]
            self.connections += 1
        session.host_name = hostname  # the hook replaces aiosmtpd's own bookkeeping
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: Any
    ) -> str:
        script = self.rcpt_replies.get(address)
        reply = self.refuse_with or (script.pop(0) if script else "250 OK")
        self.rcpt_log.append((address, reply))
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), message, raw)
        )
        return "250 Message accepted"


class SMTPServer:
    def __init__(
        self,
        *,
        refuse_with: str | None = None,
        rcpt_replies: dict[str, list[str]] | None = None,
        credentials: tuple[str, str] | None = None,
        tls: str | None = None,
        cert: Any = None,
    ) -> None:
        self.port = free_port()
        self.handler = _Handler(refuse_with=refuse_with, rcpt_replies=dict(rcpt_replies or {}))
        self.credentials = credentials
        self.tls = tls
        kwargs: dict[str, Any] = {}
        if credentials is not None:
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            if tls == "smtps":
                kwargs["ssl_context"] = context
            elif tls == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                raise ValueError(tls)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and auth_data.login.decode() == self.credentials[0]
            and auth_data.password.decode() == self.credentials[1]
        )
        return AuthResult(success=ok, handled=False)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def rcpt_log(self) -> list[tuple[str, str]]:
        return self.handler.rcpt_log

    @property
    def connections(self) -> int:
        return self.handler.connections

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user is not None else ""
        scheme = {None: "smtp", "smtps": "smtps", "starttls": "smtp+starttls"}[self.tls]
        return f"{scheme}://{auth}127.0.0.1:{self.port}"

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop the server (again: a test may stop it early to make it go away)."""
        if self.controller._thread is not None:
            self.controller.stop()
