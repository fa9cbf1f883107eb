"""Issue 13.20: agents and recipients on internal mail domains, through the CLI."""

from __future__ import annotations

import json


def test_agent_on_an_internal_domain(cli):
    r = cli("agents", "add", "Ana@HelpDesk.local", "--name", "Ana")
    assert r.exit_code == 0, r.stderr
    r = cli("agents", "add", "lead@corp.internal", "--name", "Lead")
    assert r.exit_code == 0, r.stderr
    listed = json.loads(cli("agents", "list", "--format", "json").stdout)
    assert sorted(a["email"] for a in listed) == ["Ana@helpdesk.local", "lead@corp.internal"]


def test_reserved_names_stay_refused(cli):
    for bad in ("ana@helpdesk.invalid", "ana@helpdesk", "ana@[10.0.0.1]"):
        r = cli("agents", "add", bad, "--name", "Ana")
        assert r.exit_code == 2, bad
        assert r.stderr.startswith(f"error: invalid email address {bad!r}"), r.stderr
    assert json.loads(cli("agents", "list", "--format", "json").stdout) == []


def test_report_mailed_to_internal_domains(cli, smtp_server, tmp_path):
    r = cli(
        "report",
        "workload",
        "--format",
        "csv",
        "--output",
        str(tmp_path / "w.csv"),
        "--email",
        "lead@corp.internal",
        "--email",
        "ops@helpdesk.local",
        "--smtp-url",
        smtp_server.url(),
    )
    assert r.exit_code == 0, r.stderr
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["lead@corp.internal", "ops@helpdesk.local"]
