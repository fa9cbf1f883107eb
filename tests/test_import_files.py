"""Imports and the files users really have: partial files (issue 11), semicolons, values
too long for their column, emails in another case (issue 13), SLA policies applied by
`tickets import` (issue 9)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from agentctl.models import Agent, AgentAvailability, BusinessCalendar, SlaPolicy, Ticket
from factories import make_agent, make_ticket


def tickets_json(cli, *args: str) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    r = cli("tickets", "list", "-f", "json", *args)
    assert r.exit_code == 0, r.stderr
    return {t["ticket_number"]: t for t in r.json()}


def agents_json(cli) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    r = cli("agents", "list", "--all", "-f", "json")
    assert r.exit_code == 0, r.stderr
    return {a["email"]: a for a in r.json()}


# --- partial files: a missing column leaves the field as it is ------------------------


def test_tickets_import_without_assignee_status_priority_keeps_them(cli, db, tmp_path):
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com")
        make_ticket(
            s,
            ticket_number="T-1",
            agent=ana,
            status="in_progress",
            priority="urgent",
            category="network",
            required_skill_level=3,
            escalation_level=1,
        )
        make_ticket(s, ticket_number="T-2", agent=ana, status="waiting", priority="high")
    path = tmp_path / "partial.csv"
    path.write_text(
        "ticket_number,subject,created_at\n"
        "T-1,Renamed one,2026-10-01T08:00:00Z\n"
        "T-2,Renamed two,2026-10-01T09:00:00Z\n"
        "T-3,Brand new,2026-10-01T10:00:00Z\n"
    )
    r = cli("tickets", "import", str(path))
    assert (r.exit_code, r.stdout) == (0, "imported 3 tickets (1 new, 2 updated)\n")
    after = tickets_json(cli)
    pick = ("subject", "status", "priority", "agent_email", "category")
    pick += ("required_skill_level", "escalation_level", "created_at")
    assert {n: tuple(t[k] for k in pick) for n, t in after.items()} == {
        "T-1": (
            "Renamed one",
            "in_progress",
            "urgent",
            "ana@example.com",
            "network",
            3,
            1,
            "2026-10-01T08:00:00+00:00",
        ),
        "T-2": (
            "Renamed two",
            "waiting",
            "high",
            "ana@example.com",
            None,
            1,
            0,
            "2026-10-01T09:00:00+00:00",
        ),
        # A new ticket takes the defaults.
        "T-3": ("Brand new", "open", "normal", None, None, 1, 0, "2026-10-01T10:00:00+00:00"),
    }


def test_tickets_import_empty_cell_in_present_column_is_no_value(cli, db, tmp_path):
    with db.session(write=True) as s:
        ana = make_agent(s, "ana@example.com")
        make_ticket(s, ticket_number="T-1", agent=ana, status="waiting", category="network")
    path = tmp_path / "t.csv"
    path.write_text(
        "ticket_number,subject,created_at,assignee,category,status\n"
        "T-1,Same,2026-10-01T08:00:00Z,,,waiting\n"
    )
    assert cli("tickets", "import", str(path)).exit_code == 0
    t = tickets_json(cli)["T-1"]
    assert (t["agent_email"], t["category"], t["status"]) == (None, None, "waiting")


def test_agents_import_without_cap_keeps_caps_and_never_reactivates(cli, db, tmp_path):
    with db.session(write=True) as s:
        make_agent(s, "ana@example.com", name="Ana", max_open_tickets=5)
        make_agent(s, "bob@example.com", name="Bob", max_open_tickets=2, is_active=False)
    path = tmp_path / "agents.csv"
    path.write_text(
        "email,name\nana@example.com,Ana Lima\nbob@example.com,Bob Stone\nceci@example.com,Ceci\n"
    )
    r = cli("agents", "import", str(path))
    assert (r.exit_code, r.stdout) == (0, "imported 3 agents (1 new, 2 updated)\n")
    after = agents_json(cli)
    assert {e: (a["name"], a["max_open_tickets"], a["is_active"]) for e, a in after.items()} == {
        "ana@example.com": ("Ana Lima", 5, True),
        "bob@example.com": ("Bob Stone", 2, False),
        "ceci@example.com": ("Ceci", None, True),
    }


def test_agents_import_is_active_column_says_what_happens(cli, db, tmp_path):
    with db.session(write=True) as s:
        make_agent(s, "ana@example.com", name="Ana", max_open_tickets=5, status="available")
        make_agent(s, "bob@example.com", name="Bob", is_active=False)
        make_agent(s, "cid@example.com", name="Cid", is_active=False)
    path = tmp_path / "agents.csv"
    path.write_text(
        "email,name,max_open_tickets,is_active\n"
        "ana@example.com,Ana,,false\n"  # empty cap: no cap; deactivated
        "bob@example.com,Bob,3,true\n"  # reactivated
        "cid@example.com,Cid,1,\n"  # empty: unchanged (stays removed)
        "dee@example.com,Dee,2,false\n"  # a new agent, inactive from the start
    )
    assert cli("agents", "import", str(path)).exit_code == 0
    after = agents_json(cli)
    assert {e: (a["max_open_tickets"], a["is_active"]) for e, a in after.items()} == {
        "ana@example.com": (None, False),
        "bob@example.com": (3, True),
        "cid@example.com": (1, False),
        "dee@example.com": (2, False),
    }
    with db.session() as s:
        status = dict(
            s.execute(
                select(Agent.email, AgentAvailability.status).join(
                    AgentAvailability, AgentAvailability.user_id == Agent.id
                )
            ).all()
        )
    assert status["ana@example.com"] == "offline"  # deactivated, like `agents remove`


# --- semicolons, lengths, case -------------------------------------------------------


def test_semicolon_csv_is_read(cli, db, tmp_path):
    agents = tmp_path / "agents.csv"
    agents.write_text("email;name;max_open_tickets\nana@example.com;Lima, Ana;4\n")
    r = cli("agents", "import", str(agents))
    assert (r.exit_code, r.stdout) == (0, "imported 1 agents (1 new, 0 updated)\n")
    assert agents_json(cli)["ana@example.com"]["name"] == "Lima, Ana"
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "ticket_number;subject;created_at;assignee\n"
        "T-1;Slow, then down;2026-10-01T08:00:00Z;ana@example.com\n"
    )
    assert cli("tickets", "import", str(tickets)).exit_code == 0
    t = tickets_json(cli)["T-1"]
    assert (t["subject"], t["agent_email"]) == ("Slow, then down", "ana@example.com")
    skills = tmp_path / "skills.csv"
    skills.write_text("agent;category;level\nana@example.com;Network;3\n")
    assert cli("skills", "import", str(skills)).exit_code == 0


def test_a_file_that_only_looks_like_semicolons_says_so(cli, tmp_path):
    # One column name holds a comma-free, semicolon-joined header that the sniffer reads
    # as commas because the other separator is a comma: the hint names the semicolon.
    path = tmp_path / "agents.csv"
    path.write_text("email;name,x\na@example.com;A,1\n")
    r = cli("agents", "import", str(path))
    assert r.exit_code == 2
    assert "the file seems to use ';' between columns" in r.stderr


@pytest.mark.parametrize(
    ("header", "row", "column", "length", "limit"),
    [
        ("ticket_number,subject,created_at", "{long},s,2026-10-01", "ticket_number", 65, 64),
        (
            "ticket_number,subject,created_at,tenant_id",
            "T-1,s,2026-10-01,{long}",
            "tenant_id",
            65,
            64,
        ),
        (
            "ticket_number,subject,created_at,category",
            "T-1,s,2026-10-01,{long}",
            "category",
            65,
            64,
        ),
    ],
)
def test_tickets_values_longer_than_their_column(
    cli, db, tmp_path, header, row, column, length, limit
):
    path = tmp_path / "t.csv"
    fine = row.format(long="ok").replace("T-1", "T-0")
    path.write_text(f"{header}\n{fine}\n{row.format(long='x' * length)}\n")
    r = cli("tickets", "import", str(path))
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"error: {path}: 1 bad row, nothing imported",
        f"  line 3, column {column}: is {length} characters long; the most it takes is {limit}",
    ]
    with db.session() as s:
        assert s.scalars(select(Ticket)).all() == []


def test_agents_values_longer_than_their_column(cli, db, tmp_path):
    path = tmp_path / "a.csv"
    local = "a" * 60
    email = f"{local}@{'d' * 60}.{'e' * 60}.{'f' * 60}.{'g' * 60}.{'h' * 60}.example.com"
    path.write_text(f"email,name,tenant_id\nok@example.com,{'n' * 201},{'t' * 65}\n{email},X,\n")
    r = cli("agents", "import", str(path))
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"error: {path}: 2 bad rows, nothing imported",
        "  line 2, column name: is 201 characters long; the most it takes is 200",
        "  line 2, column tenant_id: is 65 characters long; the most it takes is 64",
        f"  line 3, column email: is {len(email)} characters long; the most it takes is 320",
    ]
    r = cli("--tenant", "t" * 65, "tickets", "import", str(path))
    assert (r.exit_code, r.stderr) == (
        2,
        "error: --tenant is 65 characters long; a tenant id has at most 64\n",
    )
    assert agents_json(cli) == {}


def test_emails_match_whatever_their_case(cli, db, tmp_path):
    with db.session(write=True) as s:
        make_agent(s, "bob@example.com", name="Bob", max_open_tickets=3)
    agents = tmp_path / "agents.csv"
    agents.write_text("email,name\nBOB@Example.com,Robert\n")
    r = cli("agents", "import", str(agents))
    assert (r.exit_code, r.stdout) == (0, "imported 1 agents (0 new, 1 updated)\n")
    assert {e: a["name"] for e, a in agents_json(cli).items()} == {"bob@example.com": "Robert"}
    agents.write_text("email,name\nana@example.com,Ana\nANA@example.com,Ana again\n")
    r = cli("agents", "import", str(agents))
    assert r.exit_code == 2
    assert "line 3, column email: ANA@example.com already appears on line 2" in r.stderr
    tickets = tmp_path / "t.csv"
    tickets.write_text(
        "ticket_number,subject,created_at,assignee\nT-1,s,2026-10-01,Bob@EXAMPLE.com\n"
    )
    assert cli("tickets", "import", str(tickets)).exit_code == 0
    assert tickets_json(cli)["T-1"]["agent_email"] == "bob@example.com"
    skills = tmp_path / "s.csv"
    skills.write_text("agent,category,level\nBOB@example.COM,network,2\n")
    assert cli("skills", "import", str(skills)).exit_code == 0


# --- SLA policies applied by tickets import ---------------------------------------------


def add_policies(db) -> None:  # type: ignore[no-untyped-def]
    """A default calendar Mon-Fri 09:00-17:00 UTC, and one policy for urgent tickets:
    first response in 1 h, resolution in 8 h, of business time."""
    week = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    with db.session(write=True) as s:
        calendar = BusinessCalendar(
            id=uuid.uuid4(), name="office", timezone="UTC", hours=week, is_default=True
        )
        s.add(calendar)
        s.flush()
        s.add(
            SlaPolicy(
                name="urgent",
                position=1,
                priorities=["urgent"],
                categories=[],
                first_response_minutes=60,
                resolution_minutes=480,
                calendar_id=calendar.id,
            )
        )


def test_tickets_import_applies_sla_policies(cli, db, tmp_path):
    add_policies(db)
    path = tmp_path / "t.csv"
    # 2026-10-02 is a Friday. T-1: created Fri 16:00, answered Mon 09:30, resolved Mon
    # 12:00. T-2: no policy matches (low), the default calendar still counts its minutes.
    # T-3: an explicit sla_due_date wins over the policy's.
    path.write_text(
        "ticket_number,subject,priority,created_at,first_response_at,resolved_at,sla_due_date\n"
        "T-1,a,urgent,2026-10-02T16:00:00Z,2026-10-05T09:30:00Z,2026-10-05T12:00:00Z,\n"
        "T-2,b,low,2026-10-02T16:00:00Z,2026-10-05T09:30:00Z,,\n"
        "T-3,c,urgent,2026-10-02T16:00:00Z,,,2026-10-09T00:00:00Z\n"
    )
    assert cli("tickets", "import", str(path)).exit_code == 0
    with db.session() as s:
        rows = {t.ticket_number: t for t in s.scalars(select(Ticket))}
        policy = s.scalar(select(SlaPolicy.id))

    def fields(t: Ticket) -> tuple[object, ...]:
        return (
            t.sla_policy_id,
            t.first_response_due_at,
            t.sla_due_date,
            t.first_response_business_minutes,
            t.resolution_business_minutes,
        )

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 10, day, hour, minute, tzinfo=UTC)

    # 60 business minutes from Fri 16:00 end Fri 17:00; 480 end Mon 16:00 (60 + 420).
    # Fri 16:00 -> Mon 09:30 is 60 + 30 business minutes; -> Mon 12:00 is 60 + 180.
    assert fields(rows["T-1"]) == (policy, at(2, 17), at(5, 16), 90.0, 240.0)
    assert fields(rows["T-2"]) == (None, None, None, 90.0, None)
    assert fields(rows["T-3"]) == (policy, at(2, 17), at(9, 0), None, None)
    r = cli("tickets", "list", "-f", "json")
    listed = {t["ticket_number"]: t for t in r.json()}
    assert (listed["T-1"]["sla_policy"], listed["T-1"]["first_response_due_at"]) == (
        "urgent",
        "2026-10-02T17:00:00+00:00",
    )

    # A file without priority keeps the stored one, so the policy still applies; an
    # explicit first_response_due_at wins.
    path.write_text(
        "ticket_number,subject,created_at,first_response_due_at\n"
        "T-1,a,2026-10-05T09:00:00Z,2026-10-05T09:10:00Z\n"
    )
    assert cli("tickets", "import", str(path)).exit_code == 0
    with db.session() as s:
        t1 = s.scalar(select(Ticket).where(Ticket.ticket_number == "T-1"))
        assert t1 is not None
        # Mon 09:00 + 480 business minutes = Mon 17:00; answered 09:30, resolved 12:00.
        assert fields(t1) == (policy, at(5, 9, 10), at(5, 17), 30.0, 180.0)
        assert t1.priority == "urgent"


def test_jsonl_fields_are_the_first_objects(cli, db, tmp_path):
    path = tmp_path / "t.jsonl"
    first = {"ticket_number": "T-1", "subject": "s", "created_at": "2026-10-01T08:00:00Z"}
    path.write_text(
        json.dumps(first) + "\n" + json.dumps({**first, "ticket_number": "T-2", "priority": "high"})
    )
    r = cli("tickets", "import", str(path))
    assert r.exit_code == 2
    assert "line 2, column priority: not a field of the first object" in r.stderr


@pytest.mark.parametrize(
    ("numbers", "second"),
    [
        (["T-1", "T-1", "T-2"], 3),  # in one chunk, all new
        (["T-1", "T-2", "T-9", "T-1"], 5),  # new chunk written, then a chunk that updates
        (["T-9", "T-1", "T-1", "T-3"], 4),  # every row staged (the first one updates)
    ],
)
def test_a_ticket_number_twice_is_named_and_nothing_changes(
    cli, db, tmp_path, monkeypatch, numbers, second
):
    from agentctl.services import ticket_import

    monkeypatch.setattr(ticket_import, "CHUNK", 2)
    with db.session(write=True) as s:
        make_ticket(s, ticket_number="T-9", subject="kept")
    path = tmp_path / "t.csv"
    body = "".join(f"{n},new,2026-10-01T08:00:00Z\n" for n in numbers)
    path.write_text("ticket_number,subject,created_at\n" + body)
    r = cli("tickets", "import", str(path))
    first = numbers.index("T-1") + 2
    assert (r.exit_code, r.stderr.splitlines()) == (
        2,
        [
            f"error: {path}: 1 bad row, nothing imported",
            f"  line {second}, column ticket_number: 'T-1' already appears on line {first}",
        ],
    )
    with db.session() as s:
        assert [(t.ticket_number, t.subject) for t in s.scalars(select(Ticket))] == [
            ("T-9", "kept")
        ]
