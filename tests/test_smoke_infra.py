from sqlalchemy import func, select

from agentctl.models import Ticket
from factories import make_agent, make_ticket


def test_db_roundtrip(db):
    with db.session(write=True) as s:
        a = make_agent(s, "a@example.com")
        make_ticket(s, agent=a)
    with db.session() as s:
        t = s.scalars(select(Ticket)).one()
        assert t.created_at.tzinfo is not None
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1


def test_cli_runs(cli):
    r = cli("db", "check")
    assert r.exit_code == 0, r.stderr
