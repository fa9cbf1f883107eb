"""TLS against real servers on loopback: implicit TLS (smtps://) and STARTTLS, with a
certificate made in the test by a private CA (trustme), trusted through
AGENTCTL_SMTP_CA_FILE or SSL_CERT_FILE, and refused when nobody trusts it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import trustme

from agentctl.errors import UsageError
from agentctl.services import mail


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def message() -> object:
    return mail.build_message(
        mail_from="agentctl@example.com",
        recipients=["to@example.com"],
        subject="s",
        intro="intro",
        figures=[("Open", "3")],
        attachment=b"a,b\n1,2\n",
        filename="r.csv",
        mime_type="text/csv",
        run_id=uuid.uuid4(),
    )


@pytest.mark.parametrize("tls", ["smtps", "starttls"])
def test_tls_with_a_private_ca(smtp_factory, ca, ca_file, monkeypatch, tls):
    server = smtp_factory(tls=tls, cert=ca.issue_cert("127.0.0.1"), credentials=("bot", "pw"))
    monkeypatch.setenv("AGENTCTL_SMTP_CA_FILE", ca_file)
    config = mail.parse_smtp_url(server.url("bot", "pw"))
    assert config.ca_file == ca_file
    result = mail.send(config, message(), ["to@example.com"], attempts=1)
    assert result.accepted == ["to@example.com"] and result.attempts == 1
    (received,) = server.messages
    assert received.rcpt_tos == ["to@example.com"]
    assert received.message.get_body(("plain",)).get_content().startswith("intro")


def test_ssl_cert_file_is_honoured(smtp_factory, ca, ca_file, monkeypatch):
    # OpenSSL's own variable replaces the system store; agentctl does not get in its way.
    server = smtp_factory(tls="smtps", cert=ca.issue_cert("127.0.0.1"))
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    mail.send(mail.parse_smtp_url(server.url()), message(), ["to@example.com"], attempts=1)
    assert len(server.messages) == 1


@pytest.mark.parametrize("tls", ["smtps", "starttls"])
def test_untrusted_certificate_is_permanent(smtp_factory, ca, tls):
    server = smtp_factory(tls=tls, cert=ca.issue_cert("127.0.0.1"))
    slept: list[float] = []
    with pytest.raises(mail.MailError) as caught:
        mail.send(
            mail.parse_smtp_url(server.url()),
            message(),
            ["to@example.com"],
            attempts=3,
            sleep=slept.append,
        )
    assert slept == []  # not retried
    assert server.connections == (1 if tls == "starttls" else 0)
    assert server.messages == []
    text = caught.value.message
    assert "\n" not in text
    assert text.startswith(f"SMTP delivery via {server.url()} failed: TLS certificate not trusted")
    assert "AGENTCTL_SMTP_CA_FILE" in text


def test_certificate_for_another_host_is_refused(smtp_factory, ca, ca_file, monkeypatch):
    server = smtp_factory(tls="smtps", cert=ca.issue_cert("mail.example.com"))
    monkeypatch.setenv("AGENTCTL_SMTP_CA_FILE", ca_file)
    with pytest.raises(mail.MailError) as caught:
        mail.send(mail.parse_smtp_url(server.url()), message(), ["to@example.com"], attempts=3)
    assert "not valid for '127.0.0.1'" in caught.value.message
    assert server.messages == []


def test_bad_ca_file_is_a_usage_error(tmp_path, monkeypatch):
    missing = tmp_path / "nope.pem"
    monkeypatch.setenv("AGENTCTL_SMTP_CA_FILE", str(missing))
    with pytest.raises(UsageError, match="AGENTCTL_SMTP_CA_FILE"):
        mail.parse_smtp_url("smtps://mail.example.com")
    not_pem = tmp_path / "junk.pem"
    not_pem.write_text("hello\n")
    monkeypatch.setenv("AGENTCTL_SMTP_CA_FILE", str(not_pem))
    with pytest.raises(UsageError, match="not a readable PEM file"):
        mail.parse_smtp_url("smtp+starttls://mail.example.com")
    # Plain SMTP never uses it, so it is not checked there.
    assert mail.parse_smtp_url("smtp://mail.example.com").ca_file is None


def test_report_with_an_untrusted_certificate_exits_1(cli, smtp_factory, ca, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTCTL_SMTP_ATTEMPTS", "3")
    monkeypatch.setenv("AGENTCTL_SMTP_BACKOFF", "5")  # a retry would show as a long test
    server = smtp_factory(tls="smtps", cert=ca.issue_cert("127.0.0.1"))
    out = tmp_path / "workload.csv"
    r = cli(
        "report",
        "workload",
        "--format",
        "csv",
        "--output",
        str(out),
        "--email",
        "lead@corp.internal",
        "--smtp-url",
        server.url(),
    )
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"error: SMTP delivery via {server.url()} failed: TLS certificate")
    assert "after" not in lines[0]  # one attempt only
    assert out.exists()  # the file is kept
    assert server.messages == []
