"""`agentctl demo`: realistic, reproducible, refuses to overwrite without --reset."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from agentctl.models import Agent, AgentAvailability, AgentSkill, Ticket
from conftest import CLI

NOW = "2026-11-02T12:00:00Z"


def test_demo_fills_a_realistic_desk(cli, db):
    r = cli("demo", "--agents", "25", "--tickets", "3000", "--seed", "7", "--now", NOW)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("demo data: 25 agents, 3000 tickets (")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Agent)) == 25
        statuses = Counter(s.scalars(select(AgentAvailability.status)))
        assert len(statuses) >= 3, statuses
        levels = set(s.scalars(select(AgentSkill.skill_level)))
        assert len(levels) >= 3
        assert s.scalar(select(func.count()).where(AgentSkill.can_handle_escalations)) > 0
        caps = list(s.scalars(select(Agent.max_open_tickets)))
        assert None in caps and any(c is not None for c in caps)

        tickets = list(s.scalars(select(Ticket)))
        assert len(tickets) == 3000
        assert len({t.category for t in tickets}) >= 5
        assert {t.priority for t in tickets} == {"low", "normal", "high", "urgent"}
        assert {"open", "resolved", "closed"} <= {t.status for t in tickets}
        assert any(t.escalation_level > 0 for t in tickets)
        assert any(t.assigned_to_user_id is None for t in tickets)
        breached = [
            t
            for t in tickets
            if t.sla_due_date and t.resolved_at and t.resolved_at > t.sla_due_date
        ]
        assert 0 < len(breached) < len(tickets) / 2
        for t in tickets:
            assert t.first_response_at is None or t.first_response_at >= t.created_at
            assert t.resolved_at is None or t.resolved_at >= t.created_at
            assert (t.resolved_at is not None) == (t.status in ("resolved", "closed"))
        span = max(t.created_at for t in tickets) - min(t.created_at for t in tickets)
        assert 85 <= span.days <= 90


def test_demo_is_reproducible(db_url, tmp_path):
    first = CLI(db_url)
    second = CLI(f"sqlite:///{tmp_path / 'second.db'}")
    assert second("db", "upgrade").exit_code == 0
    for cli in (first, second):
        r = cli("demo", "--agents", "6", "--tickets", "200", "--seed", "3", "--now", NOW)
        assert r.exit_code == 0, r.stderr
    a = first("tickets", "list", "--limit", "500", "-f", "json").json()
    b = second("tickets", "list", "--limit", "500", "-f", "json").json()
    assert a == b and len(a) == 200
    assert (
        first("agents", "list", "-f", "json").json()
        == second("agents", "list", "-f", "json").json()
    )


def test_demo_refuses_existing_agents_unless_reset(cli, db):
    assert cli("agents", "add", "ana@example.com", "--name", "Ana").exit_code == 0
    r = cli("demo", "--tickets", "10")
    assert r.exit_code == 2
    assert "already holds 1 agents; use --reset" in r.stderr
    r = cli("demo", "--agents", "3", "--tickets", "10", "--reset")
    assert r.exit_code == 0, r.stderr
    emails = [a["email"] for a in cli("agents", "list", "-f", "json").json()]
    assert "ana@example.com" not in emails and len(emails) == 3


def test_demo_in_a_tenant_leaves_others_alone(cli, db):
    assert cli("--tenant", "acme", "demo", "--agents", "3", "--tickets", "20").exit_code == 0
    assert cli("--tenant", "globex", "demo", "--agents", "4", "--tickets", "30").exit_code == 0
    r = cli("--tenant", "acme", "demo", "--agents", "2", "--tickets", "5", "--reset")
    assert r.exit_code == 0, r.stderr
    with db.session() as s:
        per_tenant = dict(
            s.execute(select(Ticket.tenant_id, func.count()).group_by(Ticket.tenant_id)).all()
        )
    assert per_tenant == {"acme": 5, "globex": 30}


def test_demo_bad_options(cli):
    r = cli("demo", "--agents", "0")
    assert r.exit_code == 2 and "--agents must be at least 1" in r.stderr
    r = cli("demo", "--now", "soon")
    assert r.exit_code == 2 and r.stderr.startswith("error: --now: invalid timestamp")


def test_demo_has_business_time_shifts_history_and_time_off(cli, db):
    from agentctl.models import AgentTimeOff, AvailabilityEvent, BusinessCalendar, SlaPolicy

    r = cli("demo", "--agents", "12", "--tickets", "800", "--seed", "5", "--now", NOW)
    assert r.exit_code == 0, r.stderr
    calendars = {c["name"]: c for c in cli("calendars", "list", "-f", "json").json()}
    assert calendars["office"]["hours"] == "mon-fri 08:00-18:00"
    assert calendars["office"]["is_default"] and calendars["office"]["holiday_region"] == "DE"
    assert calendars["early"]["hours"] == "mon-fri 06:00-14:00"
    assert calendars["late"]["hours"] == "mon-fri 14:00-22:00"
    policies = cli("sla", "list", "-f", "json").json()
    assert [(p["name"], p["priorities"]) for p in policies] == [
        ("urgent", ["urgent"]),
        ("high", ["high"]),
        ("standard", []),
    ]
    # The tickets already carry what the policies give them.
    assert cli("sla", "apply", "--dry-run").stdout == "0 of 800 tickets would change.\n"
    with db.session() as s:
        tickets = list(s.scalars(select(Ticket)))
        assert all(t.sla_policy_id is not None and t.sla_due_date for t in tickets)
        resolved = [t for t in tickets if t.resolved_at is not None]
        assert all(t.resolution_business_minutes is not None for t in resolved)
        # Business time never exceeds wall-clock time.
        for t in resolved:
            wall = (t.resolved_at - t.created_at).total_seconds() / 60
            assert t.resolution_business_minutes <= wall + 1e-6
        assert any(
            t.resolution_business_minutes < (t.resolved_at - t.created_at).total_seconds() / 60 - 60
            for t in resolved
        )
        shifts = Counter(s.scalars(select(Agent.calendar_id)))
        assert None in shifts and len(shifts) == 3
        events = list(s.scalars(select(AvailabilityEvent).order_by(AvailabilityEvent.at)))
        per_agent = Counter(e.agent_id for e in events)
        assert len(per_agent) == 12 and min(per_agent.values()) >= 20
        latest = {e.agent_id: e.status for e in events}
        current = dict(s.execute(select(AgentAvailability.user_id, AgentAvailability.status)).all())
        assert latest == current
        assert all(e.at <= datetime.fromisoformat(NOW) for e in events)
        assert s.scalar(select(func.count()).select_from(AgentTimeOff)) == 3
        assert s.scalar(select(func.count()).select_from(BusinessCalendar)) == 3
        assert s.scalar(select(func.count()).select_from(SlaPolicy)) == 3
    # --reset makes them again instead of failing on the names.
    r = cli("demo", "--agents", "3", "--tickets", "10", "--reset", "--now", NOW)
    assert r.exit_code == 0, r.stderr
    assert len(cli("calendars", "list", "-f", "json").json()) == 3
    r = cli("performance", "--range", "30d", "--as-of", NOW, "-f", "json")
    assert r.exit_code == 0, r.stderr
