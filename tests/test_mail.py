"""The mail service against real SMTP servers on loopback: URLs, retries, logins, masking."""

from __future__ import annotations

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
