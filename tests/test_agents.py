"""`agentctl agents` through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from agentctl.models import Agent, AgentAvailability
from conftest import CLI


def _emails(cli: CLI, *args: str) -> list[str]:
    r = cli("agents", "list", "--format", "json", *args)
    assert r.exit_code == 0, r.stderr
    return [a["email"] for a in r.json()]


def test_add_list_json_and_csv(cli, db):
    r = cli("agents", "add", "ana@example.com", "--name", "Ana", "--max-open", "5", "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = r.json()
    assert list(row) == [
        "agent_id",
        "email",
        "name",
        "max_open_tickets",
        "is_active",
        "tenant_id",
        "calendar",
    ]
    assert row | {"agent_id": None} == {
        "agent_id": None,
        "email": "ana@example.com",
        "name": "Ana",
        "max_open_tickets": 5,
        "is_active": True,
        "tenant_id": None,
        "calendar": None,
    }
    with db.session() as s:
        availability = s.scalars(select(AgentAvailability)).one()
        assert availability.status == "offline"  # a new agent starts offline

    r = cli("agents", "list", "--format", "csv")
    assert r.stdout == (
        "agent_id,email,name,max_open_tickets,is_active,tenant_id,calendar\n"
        f"{row['agent_id']},ana@example.com,Ana,5,true,,\n"
    )
    r = cli("agents", "list")
    assert "ana@example.com" in r.stdout and "Ana" in r.stdout


def test_duplicate_and_bad_email_are_exit_2_and_change_nothing(cli, db):
    assert cli("agents", "add", "ana@example.com", "--name", "Ana").exit_code == 0
    r = cli("agents", "add", "ANA@example.com", "--name", "Ana again")
    assert r.exit_code == 2 and r.stderr == "error: agent ANA@example.com already exists\n"
    r = cli("agents", "add", "not-an-email", "--name", "X")
    assert r.exit_code == 2 and r.stderr.startswith("error: invalid email address 'not-an-email'")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Agent)) == 1


def test_remove_deactivates_and_keeps_tickets(cli, db):
    from factories import make_ticket

    cli("agents", "add", "ana@example.com", "--name", "Ana")
    cli("agents", "add", "ben@example.com", "--name", "Ben")
    with db.session(write=True) as s:
        ana = s.scalars(select(Agent).where(Agent.email == "ana@example.com")).one()
        make_ticket(s, agent=ana, ticket_number="T-1")
    r = cli("agents", "remove", "ana@example.com")
    assert r.exit_code == 0
    assert r.stdout == (
        "deactivated ana@example.com; they keep 1 ticket of their workload (open, in progress "
        "or waiting): reassign with `agentctl assign --from ana@example.com`\n"
    )
    assert _emails(cli) == ["ben@example.com"]
    assert _emails(cli, "--all") == ["ana@example.com", "ben@example.com"]
    r = cli("tickets", "list", "--agent", "ana@example.com", "--format", "json")
    assert [t["ticket_number"] for t in r.json()] == ["T-1"]
    r = cli("agents", "remove", "ben@example.com")
    assert r.stdout == "deactivated ben@example.com; their workload is empty\n"
    r = cli("agents", "remove", "nobody@example.com")
    assert r.exit_code == 2
    assert r.stderr == "error: unknown agent 'nobody@example.com'; see `agentctl agents list`\n"


def test_import_all_or_nothing_with_line_and_column(cli, db, tmp_path):
    cli("agents", "add", "ana@example.com", "--name", "Ana")
    bad = tmp_path / "agents.csv"
    bad.write_text(
        "email,name,max_open_tickets\n"
        "ben@example.com,Ben,4\n"
        "broken,Broken,x\n"
        "cid@example.com,,\n"
        "ben@example.com,Ben twice,\n"
    )
    r = cli("agents", "import", str(bad))
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert lines[0] == f"error: {bad}: 3 bad rows, nothing imported"
    assert "  line 3, column max_open_tickets: 'x' is not a whole number" in lines
    assert any(line.startswith("  line 3, column email: invalid email") for line in lines)
    assert "  line 4, column name: required" in lines
    assert "  line 5, column email: ben@example.com already appears on line 2" in lines
    assert _emails(cli) == ["ana@example.com"]

    good = tmp_path / "good.csv"
    good.write_text(
        "email,name,max_open_tickets\nana@example.com,Ana Updated,3\nben@example.com,Ben,\n"
    )
    r = cli("agents", "import", str(good))
    assert r.exit_code == 0 and r.stdout == "imported 2 agents (1 new, 1 updated)\n"
    rows = {a["email"]: a for a in cli("agents", "list", "-f", "json").json()}
    assert rows["ana@example.com"]["name"] == "Ana Updated"
    assert rows["ana@example.com"]["max_open_tickets"] == 3
    assert rows["ben@example.com"]["max_open_tickets"] is None


def test_import_missing_column_and_missing_file(cli, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name\nAna\n")
    r = cli("agents", "import", str(path))
    assert r.exit_code == 2 and "missing required column(s): email" in r.stderr
    r = cli("agents", "import", str(tmp_path / "nope.csv"))
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_tenants_are_kept_apart(cli, tmp_path):
    assert cli("--tenant", "acme", "agents", "add", "ana@example.com", "--name", "A").exit_code == 0
    assert (
        cli("--tenant", "globex", "agents", "add", "ana@example.com", "--name", "G").exit_code == 0
    )
    assert _emails(cli, "--all") == ["ana@example.com", "ana@example.com"]
    r = cli("--tenant", "acme", "agents", "list", "-f", "json")
    assert [(a["name"], a["tenant_id"]) for a in r.json()] == [("A", "acme")]
    # Without --tenant the email is ambiguous.
    r = cli("agents", "remove", "ana@example.com")
    assert r.exit_code == 2 and "several tenants" in r.stderr
    assert cli("--tenant", "globex", "agents", "remove", "ana@example.com").exit_code == 0
    r = cli("--tenant", "acme", "agents", "list", "-f", "json")
    assert [a["is_active"] for a in r.json()] == [True]
    path = tmp_path / "t.csv"
    path.write_text("email,name,tenant_id\nzed@example.com,Zed,globex\n")
    r = cli("--tenant", "acme", "agents", "import", str(path))
    assert r.exit_code == 2 and "outside --tenant 'acme'" in r.stderr


def test_emails_are_one_agent_whatever_their_case(cli, db):
    assert cli("agents", "add", "Bob@example.com", "--name", "Bob").exit_code == 0
    r = cli("agents", "add", "bob@EXAMPLE.com", "--name", "Bob again")
    assert (r.exit_code, r.stderr) == (
        2,
        "error: agent bob@example.com already exists\n",
    )  # domain normalized
    r = cli("status", "set", "BOB@example.com", "busy", "-f", "json")
    assert r.exit_code == 0 and r.json()[0]["agent_email"] == "Bob@example.com"
    r = cli("agents", "set", "bob@example.com", "--max-open", "2", "-f", "json")
    assert r.json()[0]["max_open_tickets"] == 2
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Agent)) == 1
