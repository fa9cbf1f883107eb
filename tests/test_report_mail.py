"""`agentctl report --email`: the message a real SMTP server on loopback receives, and
what happens when delivery fails."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from agentctl.models import ReportRun
from test_report import AS_OF, seed


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCTL_SMTP_ATTEMPTS", "2")
    monkeypatch.setenv("AGENTCTL_SMTP_BACKOFF", "0.01")


@pytest.fixture
def desk(db):  # type: ignore[no-untyped-def]
    seed(db)
    return db


def the_run(db) -> ReportRun:  # type: ignore[no-untyped-def]
    with db.session() as s:
        (run,) = s.scalars(select(ReportRun))
        return run


def test_report_is_mailed(cli, desk, db, tmp_path, smtp_server):
    out = tmp_path / "breaches.xlsx"
    r = cli(
        "report",
        "sla-breaches",
        "--format",
        "xlsx",
        "--output",
        str(out),
        "--as-of",
        AS_OF,
        "--email",
        "lead@example.com",
        "--email",
        "Boss@Example.com",
        "--smtp-url",
        smtp_server.url(),
        "--mail-from",
        "desk@example.org",
    )
    assert r.exit_code == 0, r.stderr
    (received,) = smtp_server.messages
    assert received.mail_from == "desk@example.org"
    assert received.rcpt_tos == ["lead@example.com", "Boss@example.com"]
    msg = received.message
    assert msg["From"] == "desk@example.org"
    assert msg["Subject"] == (
        "agentctl sla-breaches report: 2026-09-24 08:00 to 2026-10-01 08:00 UTC (7d)"
    )
    assert msg["Date"] and msg["Message-ID"].endswith("@example.org>")
    run = the_run(db)
    assert msg["X-Agentctl-Run"] == str(run.id)

    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert "Breached tickets" in plain.get_content() and "5" in plain.get_content()
    assert "<table" in html.get_content() and ">Breached tickets</div>" in html.get_content()
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "breaches.xlsx"
    assert attachment.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert attachment.get_payload(decode=True) == out.read_bytes()

    assert run.status == "succeeded"
    assert run.recipients == ["lead@example.com", "Boss@example.com"]
    assert run.bytes == out.stat().st_size


def test_smtp_settings_from_the_environment(cli, desk, tmp_path, smtp_server, monkeypatch):
    monkeypatch.setenv("AGENTCTL_SMTP_URL", smtp_server.url())
    monkeypatch.setenv("AGENTCTL_MAIL_FROM", "reports@example.net")
    out = tmp_path / "aging.csv"
    r = cli(
        "report",
        "aging",
        "--format",
        "csv",
        "--output",
        str(out),
        "--as-of",
        AS_OF,
        "--email",
        "lead@example.com",
        "--subject",
        "Aging – Woche 40",
    )
    assert r.exit_code == 0, r.stderr
    (received,) = smtp_server.messages
    assert received.message["Subject"] == "Aging – Woche 40"
    assert received.mail_from == "reports@example.net"
    (attachment,) = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_payload(decode=True) == out.read_bytes()


def test_json_attachment(cli, desk, tmp_path, smtp_server):
    out = tmp_path / "w.json"
    r = cli(
        "report",
        "workload",
        "--format",
        "json",
        "--output",
        str(out),
        "--as-of",
        AS_OF,
        "--email",
        "lead@example.com",
        "--smtp-url",
        smtp_server.url(),
    )
    assert r.exit_code == 0, r.stderr
    (attachment,) = list(smtp_server.messages[0].message.iter_attachments())
    assert attachment.get_content_type() == "application/json"
    assert json.loads(attachment.get_payload(decode=True))["report"] == "workload"


def test_refused_delivery_keeps_the_file_and_fails_the_run(cli, desk, db, tmp_path, smtp_factory):
    server = smtp_factory(refuse_with="550 5.1.1 mailbox unavailable")
    out = tmp_path / "perf.pdf"
    r = cli(
        "report",
        "performance",
        "--format",
        "pdf",
        "--output",
        str(out),
        "--as-of",
        AS_OF,
        "--email",
        "lead@example.com",
        "--smtp-url",
        server.url(),
    )
    assert r.exit_code == 1
    assert r.stderr.startswith("error: SMTP delivery via smtp://127.0.0.1:")
    assert "550" in r.stderr and str(out) in r.stderr
    assert out.read_bytes().startswith(b"%PDF")
    run = the_run(db)
    assert run.status == "failed" and "550" in (run.error or "")
    assert run.output_path == str(out) and run.bytes == out.stat().st_size


def test_login_required(cli, desk, db, tmp_path, smtp_factory):
    server = smtp_factory(credentials=("reports", "pa55word"))
    out = tmp_path / "a.csv"
    r = cli(
        "report",
        "aging",
        "--format",
        "csv",
        "--output",
        str(out),
        "--as-of",
        AS_OF,
        "--email",
        "lead@example.com",
        "--smtp-url",
        server.url("reports", "pa55word"),
    )
    assert r.exit_code == 0, r.stderr
    assert len(server.messages) == 1


def test_wrong_password_never_printed_nor_stored(cli, desk, db, tmp_path, smtp_factory):
    server = smtp_factory(credentials=("reports", "pa55word"))
    out = tmp_path / "a.csv"
    r = cli(
        "report",
        "aging",
        "--format",
        "csv",
        "--output",
        str(out),
        "--as-of",
        AS_OF,
        "--email",
        "lead@example.com",
        "--smtp-url",
        server.url("reports", "Wr0ngSecret"),
    )
    assert r.exit_code == 1
    assert "Wr0ngSecret" not in r.stderr + r.stdout
    assert "reports:***@" in r.stderr
    assert out.exists()
    run = the_run(db)
    assert run.status == "failed" and "Wr0ngSecret" not in (run.error or "")


def test_unreachable_server(cli, desk, db, tmp_path):
    from smtp_server import free_port

    out = tmp_path / "a.csv"
    r = cli(
        "report",
        "aging",
        "--format",
        "csv",
        "--output",
        str(out),
        "--as-of",
        AS_OF,
        "--email",
        "lead@example.com",
        "--smtp-url",
        f"smtp://127.0.0.1:{free_port()}",
    )
    assert r.exit_code == 1
    assert "after 2 attempts" in r.stderr and "refused" in r.stderr.lower()
    assert out.exists()
    assert the_run(db).status == "failed"


def test_mail_body_has_figure_boxes_and_the_chart_inline(cli, desk, tmp_path, smtp_server):
    """Both parts as received: plain text for a terminal, HTML with boxes and a cid: PNG.

    The seed's breaches (see test_report): 360, 120, 4,200, 60 and 180 minutes over, so the
    average is 984 min = 16h 24m and the maximum 4,200 min = 2d 22h 0m; Ana has two."""
    import io
    import re

    from PIL import Image

    out = tmp_path / "breaches.pdf"
    r = cli("report", "sla-breaches", "--format", "pdf", "--output", str(out), "--as-of", AS_OF,
            "--email", "lead@example.com", "--smtp-url", smtp_server.url(),
            "--mail-from", "desk@example.org")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    (received,) = smtp_server.messages
    msg = received.message
    plain = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert re.search(r"^  Breached tickets +5$", plain, re.M)
    assert re.search(r"^  Avg over by +16h 24m$", plain, re.M)
    assert re.search(r"^  Max over by +2d 22h 0m$", plain, re.M)
    assert re.search(r"^  Ana Alves +2  #{30}$", plain, re.M)  # the longest bar
    assert re.search(r"^  Bo Berg +1  #{15}$", plain, re.M)
    assert "The full report is attached: breaches.pdf" in plain
    assert max(len(line) for line in plain.splitlines()) <= 78
    assert "<" not in plain  # no markup in the plain part

    html_part = msg.get_body(preferencelist=("html",))
    html = html_part.get_content()
    box = r'<div style="[^"]*font-weight:bold[^"]*">{}</div><div style="[^"]*">{}</div>'
    assert re.search(box.format("5", "Breached tickets"), html)
    assert re.search(box.format("16h 24m", "Avg over by"), html)
    (cid,) = re.findall(r'<img src="cid:([^"]+)"', html)
    related = msg.get_body(preferencelist=("related",))
    assert related is not None  # HTML and its image travel together
    (image,) = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == f"<{cid}>"
    png = Image.open(io.BytesIO(image.get_payload(decode=True)))
    assert png.format == "PNG" and png.width == 1200  # drawn at twice its 600 px
    assert len(image.get_payload(decode=True)) < 60_000
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "breaches.pdf"
