"""The mail service against real SMTP servers on loopback: URLs, retries, logins, masking."""

from __future__ import annotations

import smtplib
import socket
import ssl
import uuid

import pytest

from agentctl.errors import UsageError
from agentctl.services import mail
from smtp_server import free_port


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("smtp", "mail.example.com", 25, None, None)),
        (
            "smtp+starttls://u:p@mail.example.com",
            ("smtp+starttls", "mail.example.com", 587, "u", "p"),
        ),
        ("smtps://mail.example.com", ("smtps", "mail.example.com", 465, None, None)),
        ("smtps://bot%40x.org:s%2Fcret@h:2465", ("smtps", "h", 2465, "bot@x.org", "s/cret")),
    ],
)
def test_parse_smtp_url(url, expected):
    config = mail.parse_smtp_url(url)
    assert (config.scheme, config.host, config.port, config.username, config.password) == expected


@pytest.mark.parametrize("url", ["http://h", "smtp://", "smtp://h:notaport", "mail.example.com"])
def test_bad_smtp_url_is_usage_error(url):
    with pytest.raises(UsageError):
        mail.parse_smtp_url(url)


def test_bad_url_error_masks_the_password():
    with pytest.raises(UsageError) as caught:
        mail.parse_smtp_url("imap://user:hunter2@h")
    assert "hunter2" not in caught.value.message


def test_validate_address_normalizes_and_rejects():
    assert mail.validate_address(" Ana@EXAMPLE.com ") == "Ana@example.com"
    for bad in ("no-at-sign", "a@b", "two@@example.com", "a@example.com, b@example.com"):
        with pytest.raises(UsageError):
            mail.validate_address(bad)


def test_internal_domains_are_accepted():
    # Issue 13.20: a company's relay delivers these; email-validator calls .local reserved.
    assert mail.validate_address("ana@helpdesk.local") == "ana@helpdesk.local"
    assert mail.validate_address("Lead@Corp.INTERNAL") == "Lead@corp.internal"
    assert mail.validate_address("ops@HelpDesk.Local") == "ops@helpdesk.local"


@pytest.mark.parametrize(
    "bad",
    [
        "x@localhost",  # no period
        "x@helpdesk",  # a forgotten .com
        "x@1.2.3.4",  # not a domain name
        "x@[127.0.0.1]",
        '"quoted"@corp.internal',
        "x@foo.invalid",
        "x@foo.test",
        "x@.local",
        "x@local",
        "x@corp.arpa",
        "x y@corp.internal",
    ],
)
def test_everything_else_stays_strict(bad):
    with pytest.raises(UsageError) as caught:
        mail.validate_address(bad)
    assert repr(bad) in caught.value.message


def message(to: str = "to@example.com") -> object:
    return mail.build_message(
        mail_from="agentctl@example.com",
        recipients=[to],
        subject="s",
        intro="intro",
        figures=[("Open", "3")],
        attachment=b"a,b\n1,2\n",
        filename="r.csv",
        mime_type="text/csv",
        run_id=uuid.uuid4(),
    )


def test_transient_refusal_is_retried_with_backoff(smtp_factory):
    server = smtp_factory(refuse_with="451 4.3.0 try again later")
    slept: list[float] = []
    config = mail.parse_smtp_url(server.url())
    with pytest.raises(mail.MailError) as caught:
        mail.send(
            config, message(), ["to@example.com"], attempts=3, backoff=0.5, sleep=slept.append
        )
    assert slept == [0.5, 1.0]
    assert "after 3 attempts" in caught.value.message and "451" in caught.value.message


def test_permanent_refusal_is_not_retried(smtp_factory):
    server = smtp_factory(refuse_with="550 5.1.1 mailbox unavailable")
    slept: list[float] = []
    with pytest.raises(mail.MailError) as caught:
        mail.send(
            mail.parse_smtp_url(server.url()),
            message(),
            ["to@example.com"],
            attempts=3,
            backoff=0.5,
            sleep=slept.append,
        )
    assert slept == []
    assert "550" in caught.value.message and "to@example.com" in caught.value.message


def copies_for(server, address: str) -> int:
    return sum(1 for m in server.messages if address in m.rcpt_tos)


def test_greylisted_recipient_is_retried_alone(smtp_factory):
    # Issue 14.1: one recipient greylisted twice, the other accepted at once. Before, the
    # whole message went to everyone three times (3 copies for the accepted address).
    server = smtp_factory(rcpt_replies={"grey@example.com": ["450 4.2.0 greylisted"] * 2})
    slept: list[float] = []
    result = mail.send(
        mail.parse_smtp_url(server.url()),
        message(),
        ["ok@example.com", "grey@example.com"],
        attempts=3,
        backoff=0.5,
        sleep=slept.append,
    )
    assert copies_for(server, "ok@example.com") == 1
    assert copies_for(server, "grey@example.com") == 1
    assert [m.rcpt_tos for m in server.messages] == [["ok@example.com"], ["grey@example.com"]]
    assert result.accepted == ["ok@example.com", "grey@example.com"]
    assert result.refused == {} and result.complete
    assert result.attempts == 3
    assert slept == [0.5, 1.0]


def test_partial_delivery_names_who_was_refused(smtp_factory):
    server = smtp_factory(
        rcpt_replies={
            "grey@example.com": ["450 4.2.0 greylisted"] * 5,
            "gone@example.com": ["550 5.1.1 no such user"] * 5,
        }
    )
    slept: list[float] = []
    result = mail.send(
        mail.parse_smtp_url(server.url()),
        message(),
        ["ok@example.com", "gone@example.com", "grey@example.com"],
        attempts=3,
        backoff=0.5,
        sleep=slept.append,
    )
    assert result.accepted == ["ok@example.com"]
    assert result.refused == {
        "gone@example.com": "550 5.1.1 no such user",
        "grey@example.com": "450 4.2.0 greylisted",
    }
    assert not result.complete
    assert result.describe_refused() == (
        "gone@example.com: 550 5.1.1 no such user; grey@example.com: 450 4.2.0 greylisted"
    )
    # The 5xx is final: asked once. The 4xx is asked on every attempt, alone.
    asked = [address for address, _ in server.rcpt_log]
    assert asked.count("gone@example.com") == 1
    assert asked.count("grey@example.com") == 3
    assert copies_for(server, "ok@example.com") == 1
    assert slept == [0.5, 1.0]


def test_server_gone_before_the_retry_is_a_partial_delivery(smtp_factory):
    server = smtp_factory(rcpt_replies={"grey@example.com": ["450 4.2.0 greylisted"]})
    slept: list[float] = []

    def server_goes_away(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:
            server.stop()

    result = mail.send(
        mail.parse_smtp_url(server.url()),
        message(),
        ["ok@example.com", "grey@example.com"],
        attempts=3,
        backoff=0.5,
        sleep=server_goes_away,
    )
    assert result.accepted == ["ok@example.com"]
    assert result.refused == {"grey@example.com": "Connection refused"}
    assert result.attempts == 3
    assert slept == [0.5, 1.0]  # a refused connection is transient: tried until the end
    assert copies_for(server, "ok@example.com") == 1


def test_no_recipients_sends_nothing(smtp_factory):
    server = smtp_factory()
    result = mail.send(mail.parse_smtp_url(server.url()), message(), [], sleep=pytest.fail)
    assert (result.accepted, result.refused, result.attempts) == ([], {}, 0)
    assert server.connections == 0


def test_nobody_accepting_is_a_mail_error(smtp_factory):
    server = smtp_factory(
        rcpt_replies={"a@example.com": ["550 5.1.1 no"], "b@example.com": ["550 5.7.1 denied"]}
    )
    with pytest.raises(mail.MailError) as caught:
        mail.send(
            mail.parse_smtp_url(server.url()),
            message(),
            ["a@example.com", "b@example.com"],
            attempts=3,
            sleep=pytest.fail,
        )
    assert caught.value.message == (
        f"SMTP delivery via smtp://127.0.0.1:{server.port} failed: recipients refused "
        "(a@example.com: 550 5.1.1 no; b@example.com: 550 5.7.1 denied)"
    )


def test_starttls_not_offered_is_permanent(smtp_factory):
    server = smtp_factory()  # plain SMTP, no STARTTLS in its EHLO
    config = mail.parse_smtp_url(f"smtp+starttls://127.0.0.1:{server.port}")
    slept: list[float] = []
    with pytest.raises(mail.MailError) as caught:
        mail.send(config, message(), ["to@example.com"], attempts=3, sleep=slept.append)
    assert slept == []
    assert server.connections == 1
    assert "STARTTLS" in caught.value.message and "after" not in caught.value.message


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (smtplib.SMTPAuthenticationError(454, b"temporary auth failure"), False),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), False),
        (ssl.SSLError(1, "wrong version number"), False),
        (smtplib.SMTPException("No suitable authentication method found."), False),
        (smtplib.SMTPSenderRefused(553, b"sender rejected", "a@x"), False),
        (smtplib.SMTPDataError(451, b"local error"), True),
        (smtplib.SMTPConnectError(421, b"too busy"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), False),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), True),
    ],
)
def test_classification(exc, transient):
    assert mail.is_transient(exc) is transient


def test_connection_refused_is_retried():
    slept: list[float] = []
    config = mail.parse_smtp_url(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(mail.MailError) as caught:
        mail.send(
            config, message(), ["to@example.com"], attempts=2, backoff=0.01, sleep=slept.append
        )
    assert slept == [0.01]
    assert "refused" in caught.value.message.lower()


def test_attempts_and_backoff_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AGENTCTL_SMTP_ATTEMPTS", "4")
    monkeypatch.setenv("AGENTCTL_SMTP_BACKOFF", "0.25")
    slept: list[float] = []
    config = mail.parse_smtp_url(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(mail.MailError):
        mail.send(config, message(), ["to@example.com"], sleep=slept.append)
    assert slept == [0.25, 0.5, 1.0]


def test_login(smtp_factory):
    server = smtp_factory(credentials=("bot", "s3cret!"))
    config = mail.parse_smtp_url(server.url("bot", "s3cret!"))
    assert mail.send(config, message(), ["to@example.com"], attempts=1).attempts == 1
    assert server.messages[0].rcpt_tos == ["to@example.com"]


def test_wrong_password_fails_without_showing_it(smtp_factory):
    server = smtp_factory(credentials=("bot", "s3cret!"))
    config = mail.parse_smtp_url(server.url("bot", "wrong-pass"))
    slept: list[float] = []
    with pytest.raises(mail.MailError) as caught:
        mail.send(config, message(), ["to@example.com"], attempts=3, sleep=slept.append)
    assert "wrong-pass" not in caught.value.message
    assert "bot:***@127.0.0.1" in caught.value.message
    assert "535" in caught.value.message
    assert slept == []  # a refused login is permanent
    assert server.messages == []
