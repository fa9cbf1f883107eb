"""A desk moves from SQLite to PostgreSQL with list and import (issue 13.5): every
listing's CSV is accepted by the matching import, through the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CLI, _new_pg_database
from factories import make_agent, make_ticket


@pytest.fixture
def sqlite_and_postgres(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, str]]:
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "source.db"
    shutil.copyfile(template, path)
    admin, name = request.getfixturevalue("pg_template")
    url, drop = _new_pg_database(admin, name)
    try:
        yield f"sqlite:///{path}", url
    finally:
        drop()


def without(rows: list[dict[str, object]], *keys: str) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k not in keys} for row in rows]


def test_list_csv_imports_back_from_sqlite_into_postgresql(sqlite_and_postgres, tmp_path):
    from agentctl.database import Database
    from factories import T0

    source_url, target_url = sqlite_and_postgres
    source = Database(source_url)
    with source.session(write=True) as s:
        ana = make_agent(
            s,
            "Ana@example.com",
            name="Ana Lima",
            max_open_tickets=5,
            skills={"network": (3, True), "billing": 1},
        )
        bob = make_agent(s, "bob@example.com", name="Bob", is_active=False)
        acme = make_agent(
            s, "ana@example.com", name="Ana of Acme", tenant_id="acme", skills={"fiber": 4}
        )
        make_ticket(
            s,
            ticket_number="T-1",
            agent=ana,
            priority="urgent",
            category="network",
            required_skill_level=2,
            escalation_level=1,
            subject='=cmd, "quoted"',
            sla_due_date=T0.replace(hour=12),
        )
        make_ticket(
            s,
            ticket_number="T-2",
            agent=bob,
            status="resolved",
            first_response_at=T0.replace(hour=9),
            resolved_at=T0.replace(hour=10),
        )
        make_ticket(s, ticket_number="T-3", status="open")
        make_ticket(s, ticket_number="T-1", tenant_id="acme", agent=acme, category="fiber")
    source.dispose()
    old, new = CLI(source_url), CLI(target_url)

    exports = {}
    for name, args in {
        "agents": ("agents", "list", "--all"),
        "skills": ("skills", "list"),
        "tickets": ("tickets", "list", "--all"),
    }.items():
        r = old(*args, "-f", "csv")
        assert r.exit_code == 0, r.stderr
        exports[name] = tmp_path / f"{name}.csv"
        exports[name].write_text(r.stdout)
    for name in ("agents", "skills", "tickets"):
        r = new(name, "import", str(exports[name]))
        assert r.exit_code == 0, (name, r.stderr)

    def listing(cli: CLI, *args: str) -> list[dict[str, object]]:
        r = cli(*args, "-f", "json")
        assert r.exit_code == 0, r.stderr
        return r.json()  # type: ignore[return-value]

    agents_before = listing(old, "agents", "list", "--all")
    assert [(a["email"], a["is_active"], a["max_open_tickets"]) for a in agents_before] == [
        ("Ana@example.com", True, 5),
        ("bob@example.com", False, None),
        ("ana@example.com", True, None),
    ]
    assert without(listing(new, "agents", "list", "--all"), "agent_id") == without(
        agents_before, "agent_id"
    )
    assert without(listing(new, "skills", "list"), "agent_id") == without(
        listing(old, "skills", "list"), "agent_id"
    )
    tickets_before = listing(old, "tickets", "list")
    assert len(tickets_before) == 4
    assert listing(new, "tickets", "list") == tickets_before
