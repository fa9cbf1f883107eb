"""The models and the migrations agree, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
import warnings

from alembic.util.exc import CommandError
from sqlalchemy import func, select, text

from agentctl import migrate
from agentctl.database import Database, create_db_engine
from agentctl.models import Agent, Ticket
from agentctl.schema import HEAD_REVISION
from factories import make_agent, make_ticket


def test_single_head_and_constant_matches():
    heads = migrate.heads()
    assert heads == [HEAD_REVISION], "one head, and agentctl.schema.HEAD_REVISION names it"


def test_upgrade_then_check_finds_no_drift(empty_db_url):
    engine = create_db_engine(empty_db_url)
    try:
        migrate.upgrade(engine)
        assert migrate.current(engine) == HEAD_REVISION
        with warnings.catch_warnings():
            # SQLite cannot reflect the coalesce(tenant_id, '') expression indexes; alembic
            # says so and skips them (PostgreSQL compares them).
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            try:
                migrate.check(engine)
            except CommandError as exc:  # pragma: no cover - the failure we guard against
                raise AssertionError(f"models and migrations drifted: {exc}") from None
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back_with_data(empty_db_url):
    engine = create_db_engine(empty_db_url)
    try:
        migrate.upgrade(engine)
        db = Database(empty_db_url)
        with db.session(write=True) as s:
            agent = make_agent(s, "a@example.com", skills={"network": (3, True)})
            make_ticket(s, agent=agent, category="network")
        db.dispose()

        migrate.downgrade(engine, "base")
        with engine.connect() as conn:
            assert not engine.dialect.has_table(conn, "tickets")
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0

        migrate.upgrade(engine)
        db = Database(empty_db_url)
        with db.session(write=True) as s:
            assert s.scalar(select(func.count()).select_from(Ticket)) == 0
            agent = make_agent(s, "b@example.com")
            make_ticket(s, agent=agent)
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Agent)) == 1
        db.dispose()
    finally:
        engine.dispose()


def test_null_tenant_uniqueness_is_enforced(db):
    """Two tickets with the same number in the NULL tenant clash (coalesce index)."""
    import pytest

    from agentctl.errors import RuntimeFailure

    with db.session(write=True) as s:
        make_ticket(s, ticket_number="T-1")
        make_ticket(s, ticket_number="T-1", tenant_id="acme")  # another tenant: fine
    with pytest.raises(RuntimeFailure, match="conflicts"), db.session(write=True) as s:
        make_ticket(s, ticket_number="T-1", id=uuid.uuid4())


def test_upgrade_from_0001_keeps_data_and_seeds_availability_history(empty_db_url):
    """0001 -> head on a database with agents, tickets and runs in it."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    engine = create_db_engine(empty_db_url)
    try:
        migrate.upgrade(engine, "0001_initial")
        sqlite = engine.dialect.name == "sqlite"

        def uid(n: int) -> str:
            value = uuid.UUID(int=n)
            return value.hex if sqlite else str(value)

        ts = "2026-10-01 08:00:00.000000" if sqlite else "2026-10-01 08:00:00+00"
        with engine.begin() as conn:
            for n, (email, status) in enumerate([("a@x.io", "busy"), ("b@x.io", "offline")], 1):
                conn.execute(
                    text(
                        "INSERT INTO agents (id, email, name, is_active, created_at, updated_at) "
                        "VALUES (:id, :e, :e, true, :ts, :ts)"
                    ),
                    {"id": uid(n), "e": email, "ts": ts},
                )
                conn.execute(
                    text(
                        "INSERT INTO agent_availability (id, user_id, status, status_message, "
                        "created_at, updated_at) VALUES (:id, :u, :s, 'msg', :ts, :ts)"
                    ),
                    {"id": uid(100 + n), "u": uid(n), "s": status, "ts": ts},
                )
            conn.execute(
                text(
                    "INSERT INTO tickets (id, ticket_number, subject, status, priority, "
                    "required_skill_level, escalation_level, created_at, updated_at, "
                    "assigned_to_user_id) VALUES (:id, 'T-1', 's', 'open', 'normal', 1, 0, "
                    ":ts, :ts, :a)"
                ),
                {"id": uid(200), "ts": ts, "a": uid(1)},
            )
        migrate.upgrade(engine)
        assert migrate.current(engine) == HEAD_REVISION
        with engine.connect() as conn:
            events = conn.execute(
                text("SELECT status, status_message FROM availability_events ORDER BY status")
            ).all()
            assert [tuple(e) for e in events] == [("busy", "msg"), ("offline", "msg")]
            row = conn.execute(
                text("SELECT ticket_number, first_response_due_at, sla_policy_id FROM tickets")
            ).one()
            assert tuple(row) == ("T-1", None, None)
        # The expression indexes survived (no table copy) and emails now clash by case.
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tickets (id, ticket_number, subject, status, priority, "
                    "required_skill_level, escalation_level, created_at, updated_at) "
                    "VALUES (:id, 'T-1', 's', 'open', 'normal', 1, 0, :ts, :ts)"
                ),
                {"id": uid(201), "ts": ts},
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO agents (id, email, name, is_active, created_at, updated_at) "
                    "VALUES (:id, 'A@X.io', 'A', true, :ts, :ts)"
                ),
                {"id": uid(3), "ts": ts},
            )
        migrate.downgrade(engine, "0001_initial")
        migrate.upgrade(engine)
    finally:
        engine.dispose()
