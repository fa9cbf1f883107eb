"""The workload report keeps removed agents who still hold work, and says "Workload" for
open + in progress + waiting, "Open" only for the status (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from factories import T0, make_agent, make_ticket

AS_OF = ("--as-of", "2026-10-02T08:00:00Z")


def _desk(db) -> None:  # type: ignore[no-untyped-def]
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com", name="Ana", max_open_tickets=4)
        make_ticket(s, agent=ana, ticket_number="A-1", status="open")
        make_ticket(s, agent=ana, ticket_number="A-2", status="waiting")
        make_agent(s, "gone@example.com", name="Gone", is_active=False)  # holds nothing
        make_agent(s, "kim@example.com", name="Kim")
    # Kim leaves with two tickets of her workload, and one resolved
    with db.session(write=True) as s:
        from sqlalchemy import select

        from agentctl.models import Agent

        kim = s.scalars(select(Agent).where(Agent.email == "kim@example.com")).one()
        make_ticket(s, agent=kim, ticket_number="K-1", status="in_progress", created_at=T0)
        make_ticket(s, agent=kim, ticket_number="K-2", status="open")
        make_ticket(s, agent=kim, ticket_number="K-3", status="resolved")


def test_inactive_agent_holding_work_stays_in_the_workload_report(cli, db):
    _desk(db)
    r = cli("agents", "remove", "kim@example.com")
    assert r.stdout == (
        "deactivated kim@example.com; they keep 2 tickets of their workload (open, in progress "
        "or waiting): reassign with `agentctl assign --from kim@example.com`\n"
    )
    r = cli("report", "workload", "-f", "json", "-o", "-", *AS_OF)
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    rows = [
        (x["agent_email"], x["status"], x["open"], x["in_progress"], x["waiting"], x["workload"])
        for x in doc["rows"]
    ]
    assert rows == [
        ("ana@example.com", "available", 1, 0, 1, 2),
        ("kim@example.com", "inactive", 1, 1, 0, 2),  # gone@ holds nothing: not listed
    ]
    summary = doc["summary"]
    assert (summary["active_agents"], summary["inactive_agents_with_work"]) == (1, 1)
    assert summary["total_workload"] == 4  # Kim's two tickets are not dropped


def test_workload_report_words(cli, db, tmp_path):
    from pypdf import PdfReader

    _desk(db)
    out = tmp_path / "w.pdf"
    assert cli("report", "workload", "-f", "pdf", "-o", str(out), *AS_OF).exit_code == 0
    text = "".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Workload" in text and "Unassigned workload" in text
    assert "Open workload" not in text and "Oldest open" not in text
