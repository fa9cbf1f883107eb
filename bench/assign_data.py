"""The data of bench_assign.py: the generated desk, putting the backlog back between
runs, and the platform's original one-ticket-at-a-time algorithm (run whole, in its own
process, as ``bench_assign.py --original URL``)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, create_engine, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from agentctl.database import Database
from agentctl.models import (
    OPEN_STATUSES,
    PRIORITIES,
    Agent,
    AgentAvailability,
    AgentSkill,
    AssignmentLog,
    Ticket,
)

CATEGORIES = ("network", "billing", "hardware", "email", "tv")
T0 = datetime(2026, 10, 1, tzinfo=UTC)


# --- data ---------------------------------------------------------------------------------------


def seed(db: Database, *, agents: int, tickets: int, seed: int = 7) -> None:
    """M available agents with 2-3 skills and caps, a history of assigned work, and an
    unassigned backlog of N tickets; all bulk inserted."""
    rng = random.Random(seed)
    agent_rows = [
        {
            "id": uuid.UUID(int=n + 1),
            "email": f"agent{n:04d}@bench.test",
            "name": f"Agent {n}",
            "max_open_tickets": rng.choice([None, 80, 120]),
        }
        for n in range(agents)
    ]
    ids = [a["id"] for a in agent_rows]
    skills = []
    for agent_id in ids:
        for category in rng.sample(CATEGORIES, rng.randint(2, 3)):
            skills.append(
                {
                    "user_id": agent_id,
                    "skill_category": category,
                    "skill_level": rng.randint(1, 4),
                    "can_handle_escalations": rng.random() < 0.4,
                }
            )
    history = [
        {
            "ticket_number": f"H-{i:06d}",
            "subject": "history",
            "status": rng.choice(["open", "in_progress", "waiting", "resolved", "closed"]),
            "priority": rng.choice(PRIORITIES),
            "category": rng.choice(CATEGORIES),
            "assigned_to_user_id": rng.choice(ids),
            "created_at": T0 - timedelta(minutes=i),
        }
        for i in range(agents * 10)
    ]
    backlog = [
        {
            "ticket_number": f"B-{i:06d}",
            "subject": "backlog",
            "priority": rng.choice(PRIORITIES),
            "category": rng.choice((*CATEGORIES, None)),
            "required_skill_level": rng.choice([1, 1, 2, 2, 3]),
            "escalation_level": 1 if rng.random() < 0.05 else 0,
            "created_at": T0 + timedelta(seconds=i),
            "sla_due_date": T0 + timedelta(hours=rng.randint(1, 72)) if i % 3 else None,
        }
        for i in range(tickets)
    ]
    with db.session(write=True) as s:
        s.execute(insert(Agent), agent_rows)
        s.execute(insert(AgentAvailability), [{"user_id": i, "status": "available"} for i in ids])
        s.execute(insert(AgentSkill), skills)
        if db.dialect == "postgresql":
            _copy_tickets(s, history + backlog)
            return
        for start in range(0, len(history), 5000):
            s.execute(insert(Ticket), history[start : start + 5000])
        for start in range(0, len(backlog), 5000):
            s.execute(insert(Ticket), backlog[start : start + 5000])


TICKET_COPY_COLUMNS = (
    "id",
    "ticket_number",
    "subject",
    "status",
    "priority",
    "category",
    "required_skill_level",
    "escalation_level",
    "assigned_to_user_id",
    "created_at",
    "sla_due_date",
    "updated_at",
)


def _copy_tickets(session: Session, rows: list[dict[str, object]]) -> None:
    """PostgreSQL: COPY the generated tickets (100,000 rows through the ORM take minutes)."""
    cursor = session.connection().connection.cursor()
    with cursor.copy(f"COPY tickets ({', '.join(TICKET_COPY_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                (
                    uuid.uuid4(),
                    row["ticket_number"],
                    row["subject"],
                    row.get("status", "open"),
                    row["priority"],
                    row["category"],
                    row.get("required_skill_level", 1),
                    row.get("escalation_level", 0),
                    row.get("assigned_to_user_id"),
                    row["created_at"],
                    row.get("sla_due_date"),
                    T0,
                )
            )


def reset_backlog(db: Database) -> None:
    """Put the backlog back as it was, so every run starts from the same data (on
    PostgreSQL, VACUUM too: each run would otherwise inherit the dead rows and index
    entries of all the runs before it)."""
    with db.session(write=True) as s:
        s.execute(delete(AssignmentLog))
        s.execute(
            update(Ticket).where(Ticket.ticket_number.like("B-%")).values(assigned_to_user_id=None)
        )
        s.execute(update(AgentAvailability).values(last_activity_at=None))
    if db.dialect == "postgresql":
        vacuum(db, analyze=False)


def vacuum(db: Database, *, analyze: bool) -> None:
    """VACUUM (ANALYZE after loading: fresh statistics for every plan)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if analyze else "VACUUM"))


# --- the original algorithm ---------------------------------------------------------------------


def original(url: str) -> int:
    """The platform's way, whole: ticket by ticket, a COUNT per eligible agent, then an
    UPDATE, one transaction per ticket. Returns the tickets assigned."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rank = case({"urgent": 0, "high": 1, "normal": 2}, value=Ticket.priority, else_=3)
        backlog = conn.execute(
            select(Ticket.id, Ticket.category, Ticket.required_skill_level)
            .where(Ticket.assigned_to_user_id.is_(None), Ticket.status.in_(OPEN_STATUSES))
            .order_by(rank, Ticket.created_at)
        ).all()
    assigned = 0
    for ticket_id, category, level in backlog:
        with engine.begin() as conn:
            if category is None:
                agents = conn.execute(
                    select(Agent.id, Agent.max_open_tickets)
                    .join(AgentAvailability, AgentAvailability.user_id == Agent.id)
                    .where(Agent.is_active.is_(True), AgentAvailability.status == "available")
                ).all()
            else:
                agents = conn.execute(
                    select(Agent.id, Agent.max_open_tickets)
                    .join(AgentAvailability, AgentAvailability.user_id == Agent.id)
                    .join(AgentSkill, AgentSkill.user_id == Agent.id)
                    .where(
                        Agent.is_active.is_(True),
                        AgentAvailability.status == "available",
                        AgentSkill.skill_category == category,
                        AgentSkill.skill_level >= level,
                    )
                ).all()
            best = None
            for agent_id, cap in agents:
                load = conn.execute(
                    select(func.count())
                    .select_from(Ticket)
                    .where(
                        Ticket.assigned_to_user_id == agent_id,
                        Ticket.status.in_(OPEN_STATUSES),
                    )
                ).scalar_one()
                if (cap is None or load < cap) and (best is None or load < best[1]):
                    best = (agent_id, load)
            if best is not None:
                conn.execute(
                    update(Ticket).where(Ticket.id == ticket_id).values(assigned_to_user_id=best[0])
                )
                assigned += 1
    engine.dispose()
    return assigned
