"""`agentctl tickets`: all-or-nothing import (CSV and JSONL), upserts, time zones, listing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from agentctl.models import Ticket
from conftest import CLI

HEADER = (
    "ticket_number,subject,status,priority,category,required_skill_level,assignee,"
    "escalation_level,created_at,first_response_at,resolved_at,sla_due_date\n"
)


def _setup_agents(cli: CLI) -> None:
    assert cli("agents", "add", "ana@example.com", "--name", "Ana").exit_code == 0


def _count(db) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Ticket)))


def test_csv_import_and_upsert(cli, db, tmp_path):
    _setup_agents(cli)
    path = tmp_path / "tickets.csv"
    path.write_text(
        HEADER + "T-1,No internet,open,high,Network,2,ana@example.com,0,"
        "2026-10-01T10:00:00+02:00,,,2026-10-01T12:00:00Z\n"
        + "T-2,Wrong bill,resolved,normal,billing,1,,1,2026-10-01T08:00:00,"
        "2026-10-01T08:30:00Z,2026-10-02T08:00:00Z,\n"
    )
    r = cli("tickets", "import", str(path))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "imported 2 tickets (2 new, 0 updated)\n"
    r = cli("tickets", "import", str(path))
    assert r.stdout == "imported 2 tickets (0 new, 2 updated)\n"
    assert _count(db) == 2

    r = cli("tickets", "list", "--format", "json")
    rows = {t["ticket_number"]: t for t in r.json()}
    assert rows["T-1"] == {
        "ticket_number": "T-1",
        "subject": "No internet",
        "status": "open",
        "priority": "high",
        "category": "network",
        "required_skill_level": 2,
        "agent_email": "ana@example.com",
        "escalation_level": 0,
        "created_at": "2026-10-01T08:00:00+00:00",  # +02:00 input, same instant in UTC
        "first_response_at": None,
        "resolved_at": None,
        "sla_due_date": "2026-10-01T12:00:00+00:00",
        "tenant_id": None,
        "first_response_due_at": None,
        "sla_policy": None,
    }
    # A naive timestamp is taken as UTC.
    assert rows["T-2"]["created_at"] == "2026-10-01T08:00:00+00:00"
    assert rows["T-2"]["agent_email"] is None


def test_offset_and_z_are_the_same_instant(cli, db, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(
        json.dumps(
            {"ticket_number": "A", "subject": "s", "created_at": "2026-10-01T10:00:00+02:00"}
        )
        + "\n"
        + json.dumps({"ticket_number": "B", "subject": "s", "created_at": "2026-10-01T08:00:00Z"})
        + "\n"
        + json.dumps(
            {"ticket_number": "C", "subject": "s", "created_at": "2026-10-01T03:00:00-05:00"}
        )
        + "\n"
    )
    assert cli("tickets", "import", str(path)).exit_code == 0
    with db.session() as s:
        stamps = {t.ticket_number: t.created_at for t in s.scalars(select(Ticket))}
        assert set(stamps.values()) == {datetime(2026, 10, 1, 8, tzinfo=UTC)}
        # The database compares them as one instant, too.
        same = s.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(
                Ticket.created_at == datetime(2026, 10, 1, 10, tzinfo=timezone(timedelta(hours=2)))
            )
        )
        assert same == 3


def test_bad_rows_are_all_reported_and_nothing_is_written(cli, db, tmp_path):
    _setup_agents(cli)
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "T-1,Fine,open,high,network,2,ana@example.com,0,2026-10-01T08:00:00Z,,,\n"
        + "T-2,Bad prio,open,hgih,network,2,,0,2026-10-01T08:00:00Z,,,\n"
        + "T-3,Bad agent,open,low,network,1,nobody@example.com,0,2026-10-01T08:00:00Z,,,\n"
        + "T-4,Bad time,open,low,network,9,,0,yesterday,,,\n"
        + "T-5,Before,resolved,low,,1,,0,2026-10-02T08:00:00Z,,2026-10-01T08:00:00Z,\n"
        + "T-1,Dup,open,low,,1,,0,2026-10-01T08:00:00Z,,,\n"
    )
    r = cli("tickets", "import", str(path))
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert lines[0] == f"error: {path}: 5 bad rows, nothing imported"
    assert lines[1:] == [
        "  line 3, column priority: 'hgih' is not one of low, normal, high, urgent",
        "  line 4, column assignee: unknown agent 'nobody@example.com'",
        "  line 5, column created_at: invalid timestamp 'yesterday' "
        "(expected ISO 8601, e.g. 2026-10-01T08:00:00Z)",
        "  line 5, column required_skill_level: 9 is out of range (1-4)",
        "  line 6, column resolved_at: is before created_at",
        "  line 7, column ticket_number: 'T-1' already appears on line 2",
    ]
    assert _count(db) == 0


def test_malformed_files(cli, db, tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("ticket_number,subject,created_at\nT-1,a\n")
    r = cli("tickets", "import", str(ragged))
    assert r.exit_code == 2 and "line 2: expected 3 fields, found 2" in r.stderr
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text(
        '{"ticket_number": "T-1", "subject": "a", "created_at": "2026-01-01"}\n{oops\n'
    )
    r = cli("tickets", "import", str(jsonl))
    assert r.exit_code == 2 and "line 2: invalid JSON" in r.stderr
    other = tmp_path / "tickets.xml"
    other.write_text("<x/>")
    r = cli("tickets", "import", str(other))
    assert r.exit_code == 2 and "use .csv or .jsonl" in r.stderr
    unknown = tmp_path / "u.csv"
    unknown.write_text("ticket_number,subject,created_at,colour\nT-1,a,2026-01-01,red\n")
    r = cli("tickets", "import", str(unknown))
    assert r.exit_code == 2 and "unknown column(s): colour" in r.stderr
    assert _count(db) == 0


def test_assignee_must_be_in_the_tickets_tenant(cli, db, tmp_path):
    assert cli("--tenant", "acme", "agents", "add", "ana@example.com", "--name", "A").exit_code == 0
    path = tmp_path / "t.csv"
    path.write_text(
        "ticket_number,subject,created_at,assignee,tenant_id\n"
        "T-1,s,2026-10-01T08:00:00Z,ana@example.com,globex\n"
    )
    r = cli("tickets", "import", str(path))
    assert r.exit_code == 2
    assert "line 2, column assignee: unknown agent 'ana@example.com' in tenant 'globex'" in r.stderr
    path.write_text(
        "ticket_number,subject,created_at,assignee\nT-1,s,2026-10-01T08:00:00Z,ana@example.com\n"
    )
    assert cli("--tenant", "acme", "tickets", "import", str(path)).exit_code == 0
    # The same number in another tenant is another ticket.
    path.write_text("ticket_number,subject,created_at\nT-1,other,2026-10-01T08:00:00Z\n")
    assert cli("--tenant", "globex", "tickets", "import", str(path)).exit_code == 0
    assert _count(db) == 2
    r = cli("--tenant", "acme", "tickets", "list", "-f", "json")
    assert [(t["subject"], t["tenant_id"]) for t in r.json()] == [("s", "acme")]


def test_list_filters_and_csv(cli, db, tmp_path):
    _setup_agents(cli)
    path = tmp_path / "t.csv"
    path.write_text(
        "ticket_number,subject,status,assignee,created_at\n"
        "T-1,one,open,ana@example.com,2026-10-01T08:00:00Z\n"
        "T-2,two,resolved,ana@example.com,2026-10-02T08:00:00Z\n"
        'T-3,"=cmd, three",waiting,,2026-10-03T08:00:00Z\n'
    )
    assert cli("tickets", "import", str(path)).exit_code == 0

    def numbers(*args: str) -> list[str]:
        r = cli("tickets", "list", "-f", "json", *args)
        assert r.exit_code == 0, r.stderr
        return [t["ticket_number"] for t in r.json()]

    assert numbers() == ["T-3", "T-2", "T-1"]
    assert numbers("--status", "open", "--status", "waiting") == ["T-3", "T-1"]
    assert numbers("--unassigned") == ["T-3"]
    assert numbers("--agent", "ana@example.com") == ["T-2", "T-1"]
    assert numbers("--limit", "1") == ["T-3"]
    r = cli("tickets", "list", "--status", "bogus")
    assert r.exit_code == 2 and "invalid status 'bogus'" in r.stderr
    r = cli("tickets", "list", "--agent", "ghost@example.com")
    assert r.exit_code == 2
    r = cli("tickets", "list", "-f", "csv", "--unassigned")
    # Formula-safe CSV, as every CSV agentctl writes (issue 14.11).
    assert r.stdout.splitlines()[1].startswith('T-3,"\'=cmd, three",waiting,normal,,1,,0,')
