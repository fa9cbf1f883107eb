"""`agentctl skills`: list, set, remove, import, matrix and coverage, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from agentctl.models import AgentSkill
from factories import make_agent, make_ticket


@pytest.fixture
def team(db):
    with db.session(write=True) as s:
        alice = make_agent(s, "alice@example.com", name="Alice", skills={"network": (3, True)})
        bob = make_agent(s, "bob@example.com", name="Bob", status="away", skills={"billing": 2})
        make_agent(s, "zoe@example.com", name="Zoe", is_active=False, skills={"network": 4})
    return {"alice": str(alice.id), "bob": str(bob.id)}


def skills(cli, *args: str) -> list[dict[str, object]]:
    r = cli("skills", "list", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.json()  # type: ignore[return-value]


def test_list_active_agents_skills(team, cli):
    assert skills(cli) == [
        {
            "agent_id": team["alice"],
            "agent_email": "alice@example.com",
            "skill_category": "network",
            "skill_level": 3,
            "can_handle_escalations": True,
            "tenant_id": None,
        },
        {
            "agent_id": team["bob"],
            "agent_email": "bob@example.com",
            "skill_category": "billing",
            "skill_level": 2,
            "can_handle_escalations": False,
            "tenant_id": None,
        },
    ]
    assert [r["agent_email"] for r in skills(cli, "--category", "Network")] == ["alice@example.com"]
    assert [r["skill_category"] for r in skills(cli, "zoe@example.com")] == ["network"]
    r = cli("skills", "list", "--format", "csv")
    assert r.stdout.splitlines() == [
        "agent_id,agent_email,skill_category,skill_level,can_handle_escalations,tenant_id",
        f"{team['alice']},alice@example.com,network,3,true,",
        f"{team['bob']},bob@example.com,billing,2,false,",
    ]
    r = cli("skills", "list")
    assert "3 Advanced" in r.stdout and "2 Intermediate" in r.stdout


def test_set_creates_then_updates_keeping_the_escalation_flag(team, cli):
    r = cli("skills", "set", "bob@example.com", "Network", "expert", "--escalations")
    assert (r.exit_code, r.stdout) == (
        0,
        "added bob@example.com: network level 4 (Expert), escalations yes\n",
    )
    r = cli("skills", "set", team["bob"], "network", "2")
    assert r.stdout == "updated bob@example.com: network level 2 (Intermediate), escalations yes\n"
    r = cli("skills", "set", "bob@example.com", "network", "Beginner", "--no-escalations")
    assert r.stdout == "updated bob@example.com: network level 1 (Beginner), escalations no\n"
    assert [(x["skill_category"], x["skill_level"]) for x in skills(cli, "bob@example.com")] == [
        ("billing", 2),
        ("network", 1),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("alice@example.com", "network", "5"), "error: invalid level '5'; use 1-4"),
        (("alice@example.com", "network", "guru"), "error: invalid level 'guru'"),
        (("nobody@example.com", "network", "2"), "error: unknown agent 'nobody@example.com'"),
        (("alice@example.com", " ", "2"), "error: the category is empty"),
    ],
)
def test_set_rejects_bad_input(team, cli, args, message):
    r = cli("skills", "set", *args)
    assert r.exit_code == 2
    assert r.stderr.startswith(message), r.stderr
    assert skills(cli)[0]["skill_level"] == 3


def test_remove(team, cli):
    r = cli("skills", "remove", "alice@example.com", "network")
    assert (r.exit_code, r.stdout) == (0, "removed alice@example.com: network\n")
    assert [x["agent_email"] for x in skills(cli)] == ["bob@example.com"]
    r = cli("skills", "remove", "alice@example.com", "network")
    assert r.exit_code == 2
    assert r.stderr == (
        "error: alice@example.com has no 'network' skill; "
        "see `agentctl skills list alice@example.com`\n"
    )


def test_skill_rows_carry_the_agents_tenant(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "lead@example.com", tenant_id="acme")
        make_agent(s, "lead@example.com", tenant_id="globex")
    r = cli("skills", "set", "lead@example.com", "network", "2")
    assert r.exit_code == 2
    assert "exists in several tenants; name one with --tenant" in r.stderr
    r = cli("--tenant", "globex", "skills", "set", "lead@example.com", "network", "2")
    assert r.exit_code == 0, r.stderr
    with db.session() as s:
        assert s.scalars(select(AgentSkill.tenant_id)).all() == ["globex"]
    assert cli("--tenant", "acme", "skills", "list", "-f", "json").json() == []


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "skills.csv"
    path.write_text(text)
    return path


def test_import_is_all_or_nothing(team, cli, tmp_path):
    path = write(
        tmp_path,
        "agent,category,level,can_handle_escalations\n"
        "alice@example.com,billing,2,yes\n"  # fine
        "nobody@example.com,network,2,\n"  # line 3: unknown agent
        "bob@example.com,network,7,maybe\n"  # line 4: level and flag
        "bob@example.com,,Expert,\n"  # line 5: no category
        "ALICE@example.com,Billing,1,no\n",  # line 6: same as line 2
    )
    r = cli("skills", "import", str(path))
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"error: {path}: 4 bad rows, nothing imported",
        "  line 3, column agent: unknown agent 'nobody@example.com'",
        "  line 4, column can_handle_escalations: 'maybe' is not true or false",
        "  line 4, column level: invalid level '7'; use 1-4 (1 Beginner, 2 Intermediate, "
        "3 Advanced, 4 Expert)",
        "  line 5, column category: required",
        "  line 6, column category: alice@example.com 'billing' already appears on line 2",
    ]
    assert len(skills(cli)) == 2  # nothing written


def test_import_creates_and_updates(team, cli, tmp_path):
    path = write(
        tmp_path,
        "agent,category,level,can_handle_escalations\n"
        f"{team['alice']},network,4,\n"  # update; keeps escalations
        "bob@example.com,Network,beginner,true\n"  # new
        "bob@example.com,billing,3,\n",  # update
    )
    r = cli("skills", "import", str(path))
    assert (r.exit_code, r.stdout) == (0, "imported 3 skills (1 new, 2 updated)\n")
    assert [
        (x["agent_email"], x["skill_category"], x["skill_level"], x["can_handle_escalations"])
        for x in skills(cli)
    ] == [
        ("alice@example.com", "network", 4, True),
        ("bob@example.com", "billing", 3, False),
        ("bob@example.com", "network", 1, True),
    ]


def test_import_rejects_a_file_without_the_columns(team, cli, tmp_path):
    r = cli("skills", "import", str(write(tmp_path, "email,skill\nx,y\n")))
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: {tmp_path / 'skills.csv'}: missing required column")


def test_matrix(team, cli):
    r = cli("skills", "matrix", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == [
        {
            "agent_id": team["alice"],
            "agent_name": "Alice",
            "agent_email": "alice@example.com",
            "skills": {"network": {"level": 3, "can_handle_escalations": True}},
        },
        {
            "agent_id": team["bob"],
            "agent_name": "Bob",
            "agent_email": "bob@example.com",
            "skills": {"billing": {"level": 2, "can_handle_escalations": False}},
        },
    ]
    r = cli("skills", "matrix", "--format", "csv")
    assert r.stdout.splitlines() == [
        "agent_id,agent_name,agent_email,billing,network",
        f"{team['alice']},Alice,alice@example.com,,3*",
        f"{team['bob']},Bob,bob@example.com,2,",
    ]
    r = cli("skills", "matrix")
    lines = r.stdout.splitlines()
    assert any("Alice" in line and "3 Advanced ★" in line for line in lines)
    assert any("Bob" in line and "2 Intermediate" in line for line in lines)
    assert "★ can take escalations" in r.stdout


def test_coverage_flags_categories_nobody_available_can_take(team, db, cli):
    with db.session(write=True) as s:
        make_agent(s, "cid@example.com", name="Cid", skills={"network": 1})
        # network: alice (3, escalations) is available, so this one is covered
        make_ticket(s, category="network", required_skill_level=3, escalation_level=1)
        # network level 4: nobody available is an expert
        make_ticket(s, category="network", required_skill_level=4)
        # billing: bob is away
        make_ticket(s, category="billing", status="waiting")
        # fiber: nobody has it at all; resolved tickets do not count
        make_ticket(s, category="fiber")
        make_ticket(s, category="fiber", status="resolved")
    r = cli("skills", "coverage", "--format", "json")
    assert r.exit_code == 0
    base = {"tenant_id": None, "beginner": 0, "intermediate": 0, "advanced": 0, "expert": 0}
    assert r.json() == [
        base
        | {
            "category": "billing",
            "active_agents": 1,
            "available_agents": 0,
            "intermediate": 1,
            "escalation_agents": 0,
            "open_tickets": 1,
            "uncovered_tickets": 1,
            "unassigned_tickets": 1,
            "uncovered_unassigned": 1,
        },
        base
        | {
            "category": "fiber",
            "active_agents": 0,
            "available_agents": 0,
            "escalation_agents": 0,
            "open_tickets": 1,
            "uncovered_tickets": 1,
            "unassigned_tickets": 1,
            "uncovered_unassigned": 1,
        },
        base
        | {
            "category": "network",
            "active_agents": 2,  # zoe is inactive
            "available_agents": 2,
            "beginner": 1,
            "advanced": 1,
            "escalation_agents": 1,
            "open_tickets": 2,
            "uncovered_tickets": 1,
            "unassigned_tickets": 2,
            "uncovered_unassigned": 1,
        },
    ]
    assert list(r.json()[0]) == [
        "tenant_id",
        "category",
        "active_agents",
        "available_agents",
        "beginner",
        "intermediate",
        "advanced",
        "expert",
        "escalation_agents",
        "open_tickets",
        "uncovered_tickets",
        "unassigned_tickets",
        "uncovered_unassigned",
    ]
    assert r.stderr.splitlines() == [
        "warning: category 'billing': 1 of 1 unassigned open tickets have no available agent "
        "who can take them",
        "warning: category 'fiber': 1 of 1 unassigned open tickets have no available agent "
        "who can take them",
        "warning: category 'network': 1 of 2 unassigned open tickets have no available agent "
        "who can take them",
    ]


def test_coverage_warns_only_on_unassigned_tickets(team, db, cli):
    """Issue 13.3: 20 open network tickets that nobody available can take, of which one is
    unassigned: one ticket to warn about, not twenty."""
    with db.session(write=True) as s:
        carol = make_agent(s, "carol@example.com", name="Carol", status="offline")
        for _ in range(19):
            make_ticket(s, category="network", required_skill_level=4, agent=carol)
        make_ticket(s, category="network", required_skill_level=4)
        make_ticket(s, category="billing", agent=carol)  # bob (billing) is away
    r = cli("skills", "coverage", "-f", "json")
    counts = {
        x["category"]: (
            x["open_tickets"],
            x["uncovered_tickets"],
            x["unassigned_tickets"],
            x["uncovered_unassigned"],
        )
        for x in r.json()
    }
    assert counts == {"billing": (1, 1, 0, 0), "network": (20, 20, 1, 1)}
    assert r.stderr == (
        "warning: category 'network': 1 of 1 unassigned open tickets have no available agent "
        "who can take them\n"
    )


def test_coverage_without_gaps_is_quiet(team, db, cli):
    with db.session(write=True) as s:
        make_ticket(s, category="network", required_skill_level=2)
    r = cli("skills", "coverage")
    assert (r.exit_code, r.stderr) == (0, "")
    assert "network" in r.stdout and "billing" in r.stdout


def test_coverage_keeps_tenants_apart(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "a@example.com", tenant_id="acme", skills={"network": 4})
        make_ticket(s, tenant_id="globex", category="network")
    r = cli("skills", "coverage", "-f", "json")
    assert [(x["tenant_id"], x["uncovered_tickets"]) for x in r.json()] == [
        ("acme", 0),
        ("globex", 1),
    ]
    assert r.stderr == (
        "warning: category 'network' (tenant globex): 1 of 1 unassigned open tickets have no "
        "available agent who can take them\n"
    )
    r = cli("--tenant", "acme", "skills", "coverage", "-f", "json")
    assert (len(r.json()), r.stderr) == (1, "")
