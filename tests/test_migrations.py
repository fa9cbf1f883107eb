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
