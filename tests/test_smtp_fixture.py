import smtplib
from email.message import EmailMessage

import pytest


def _send(url_port: int, login: tuple[str, str] | None = None) -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["To"] = "b@example.com"
    msg["Subject"] = "hi"
    msg.set_content("body")
    with smtplib.SMTP("127.0.0.1", url_port, timeout=5) as smtp:
        if login:
            smtp.login(*login)
        smtp.send_message(msg)


def test_loopback_server_receives(smtp_server):
    _send(smtp_server.port)
    assert smtp_server.messages[0].rcpt_tos == ["b@example.com"]
    assert smtp_server.messages[0].message["Subject"] == "hi"


def test_refusing_and_auth_servers(smtp_factory):
    refusing = smtp_factory(refuse_with="550 5.1.1 no such user")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        _send(refusing.port)
    auth = smtp_factory(credentials=("u", "pw"))
    with pytest.raises(smtplib.SMTPException):
        _send(auth.port)
    _send(auth.port, login=("u", "pw"))
    assert len(auth.messages) == 1
