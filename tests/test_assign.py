"""`agentctl assign`: every assignment rule at its edges, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from agentctl.models import AgentAvailability, AssignmentLog, Ticket
from agentctl.services.assignment import AssignRequest, Outcome, assign
from factories import T0, make_agent, make_ticket


def aid(n: int) -> uuid.UUID:
    """Agent ids with a known order: aid(1) < aid(2) < ..."""
    return uuid.UUID(int=n)


def rows(result: Any) -> list[tuple[str, str | None, str | None, str]]:
    """(ticket_number, agent_email, strategy, reason) per JSON row."""
    return [(r["ticket_number"], r["agent_email"], r["strategy"], r["reason"]) for r in result]


def assignees(db: Any) -> dict[str, str | None]:
    """ticket_number -> assignee id (as text), straight from the database."""
    with db.session() as s:
        found = s.execute(select(Ticket.ticket_number, Ticket.assigned_to_user_id))
        return {n: str(a) if a else None for n, a in found}


def log_rows(db: Any) -> list[AssignmentLog]:
    with db.session() as s:
        return list(s.scalars(select(AssignmentLog).order_by(AssignmentLog.assigned_at)))


def snapshot(db: Any) -> tuple[object, ...]:
    with db.session() as s:
        tickets = sorted(
            (t.ticket_number, t.assigned_to_user_id, t.updated_at)
            for t in s.scalars(select(Ticket))
        )
        avail = sorted(
            (str(a.user_id), a.last_activity_at) for a in s.scalars(select(AgentAvailability))
        )
        logs = len(list(s.scalars(select(AssignmentLog))))
    return (tickets, avail, logs)


# --- balanced: workload, then oldest activity, then smaller id ------------------------------


def test_balanced_ties_go_to_oldest_activity_then_smaller_id(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "x@d.com", agent_id=aid(3), last_activity_at=T0)
        make_agent(s, "y@d.com", agent_id=aid(2), last_activity_at=T0)
        make_agent(s, "z@d.com", agent_id=aid(1), last_activity_at=T0 + timedelta(hours=1))
        for i in range(4):
            make_ticket(s, ticket_number=f"T-{i}", created_at=T0 + timedelta(minutes=i))
    r = cli("assign", "--backlog", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert rows(r.json()) == [
        # x and y were last active at the same moment: the smaller id (y) goes first.
        ("T-0", "y@d.com", "balanced", "least workload (0 open) among 3 eligible"),
        ("T-1", "x@d.com", "balanced", "least workload (0 open) among 3 eligible"),
        ("T-2", "z@d.com", "balanced", "least workload (0 open) among 3 eligible"),
        # All at 1 open now; y's assignment is the oldest activity: the rotation goes on.
        ("T-3", "y@d.com", "balanced", "least workload (1 open) among 3 eligible"),
    ]
    assert r.stderr == "assigned 4, unassigned 0; y@d.com 2, x@d.com 1, z@d.com 1\n"


def test_balanced_never_active_agent_comes_first_and_workload_counts_open_statuses(db, cli):
    with db.session(write=True) as s:
        busy = make_agent(s, "busy@d.com", agent_id=aid(1), last_activity_at=None)
        free = make_agent(s, "free@d.com", agent_id=aid(2), last_activity_at=T0)
        fresh = make_agent(s, "fresh@d.com", agent_id=aid(3), last_activity_at=None)
        for status in ("open", "in_progress", "waiting"):
            make_ticket(s, agent=busy, status=status)
        for status in ("resolved", "closed"):  # done work is not workload
            make_ticket(s, agent=free, status=status)
            make_ticket(s, agent=fresh, status=status)
        make_ticket(s, ticket_number="NEW-1")
        make_ticket(s, ticket_number="NEW-2", created_at=T0 + timedelta(minutes=1))
    r = cli("assign", "--backlog", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert rows(r.json()) == [
        ("NEW-1", "fresh@d.com", "balanced", "least workload (0 open) among 3 eligible"),
        ("NEW-2", "free@d.com", "balanced", "least workload (0 open) among 3 eligible"),
    ]


# --- caps -------------------------------------------------------------------------------------


def test_cap_reached_in_the_middle_of_a_run(db, cli):
    with db.session(write=True) as s:
        capped = make_agent(s, "capped@d.com", agent_id=aid(1), max_open_tickets=2)
        other = make_agent(s, "other@d.com", agent_id=aid(2))
        make_ticket(s, agent=capped)
        for _ in range(2):
            make_ticket(s, agent=other)
        for i in range(4):
            make_ticket(s, ticket_number=f"B-{i}", created_at=T0 + timedelta(minutes=i))
    r = cli("assign", "--backlog", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert rows(r.json()) == [
        ("B-0", "capped@d.com", "balanced", "least workload (1 open) among 2 eligible"),
        # capped@ is at 2 of 2 now: only other@ is eligible from here on.
        ("B-1", "other@d.com", "balanced", "least workload (2 open) among 1 eligible"),
        ("B-2", "other@d.com", "balanced", "least workload (3 open) among 1 eligible"),
        ("B-3", "other@d.com", "balanced", "least workload (4 open) among 1 eligible"),
    ]


def test_every_agent_at_cap_leaves_tickets_unassigned_with_exit_3(db, cli):
    with db.session(write=True) as s:
        a = make_agent(s, "a@d.com", max_open_tickets=1, skills={"network": 3})
        make_agent(s, "zero@d.com", max_open_tickets=0, skills={"network": 3})
        make_ticket(s, ticket_number="B-1", category="network", required_skill_level=3)
        make_ticket(
            s,
            ticket_number="B-2",
            category="network",
            required_skill_level=3,
            created_at=T0 + timedelta(minutes=1),
        )
        make_ticket(s, agent=a, status="resolved")  # not workload
    r = cli("assign", "--backlog", "--format", "json")
    assert r.exit_code == 3
    assert [(x["ticket_number"], x["agent_email"], x["reason"]) for x in r.json()] == [
        ("B-1", "a@d.com", "least workload (0 open) among 1 eligible"),
        ("B-2", None, "every available agent with network >= 3 is at their cap"),
    ]
    assert r.json()[1]["agent_id"] is None
    assert r.json()[1]["outcome"] == "unassigned"
    assert r.stderr == "assigned 1, unassigned 1; a@d.com 1\n"
    assert assignees(db)["B-2"] is None


# --- skills and escalations -------------------------------------------------------------------


def test_skill_level_exactly_at_the_requirement_is_enough_one_below_is_not(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "at@d.com", agent_id=aid(2), skills={"network": 3, "billing": 4})
        make_agent(s, "below@d.com", agent_id=aid(1), skills={"network": 2, "billing": 4})
        make_ticket(s, ticket_number="N-3", category="network", required_skill_level=3)
        make_ticket(s, ticket_number="N-4", category="network", required_skill_level=4)
        make_ticket(s, ticket_number="X-1", category="hardware", required_skill_level=1)
        make_ticket(s, ticket_number="ANY", category=None, required_skill_level=4)
    r = cli("assign", "N-3", "N-4", "X-1", "ANY", "--format", "json")
    assert r.exit_code == 3
    assert rows(r.json()) == [
        ("N-3", "at@d.com", "balanced", "least workload (0 open) among 1 eligible"),
        ("N-4", None, "balanced", "no available agent with network >= 4"),
        ("X-1", None, "balanced", "no available agent with hardware >= 1"),
        # No category: no skill needed, whatever required_skill_level says.
        ("ANY", "below@d.com", "balanced", "least workload (0 open) among 2 eligible"),
    ]


def test_escalated_tickets_need_an_agent_who_handles_escalations(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "plain@d.com", agent_id=aid(1), skills={"network": 4})
        make_agent(s, "esc@d.com", agent_id=aid(2), skills={"network": (3, True)})
        make_agent(s, "other@d.com", agent_id=aid(3), skills={"billing": (1, True)})
        make_ticket(s, ticket_number="E-1", category="network", escalation_level=1)
        make_ticket(
            s,
            ticket_number="E-2",
            category="network",
            required_skill_level=4,
            escalation_level=2,
        )
        make_ticket(s, ticket_number="E-3", category=None, escalation_level=1)
        make_ticket(s, ticket_number="N-1", category="network", escalation_level=0)
    r = cli("assign", "E-1", "E-2", "E-3", "N-1", "--format", "json")
    assert r.exit_code == 3
    assert rows(r.json()) == [
        ("E-1", "esc@d.com", "balanced", "least workload (0 open) among 1 eligible"),
        (
            "E-2",
            None,
            "balanced",
            "no available agent with network >= 4 who handles escalations",
        ),
        # No category: any skill that handles escalations will do.
        ("E-3", "other@d.com", "balanced", "least workload (0 open) among 2 eligible"),
        ("N-1", "plain@d.com", "balanced", "least workload (0 open) among 2 eligible"),
    ]


def test_escalated_ticket_without_category_and_nobody_for_escalations(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "plain@d.com", skills={"network": 4})
        make_ticket(s, ticket_number="E-1", escalation_level=1)
    r = cli("assign", "E-1", "--format", "json")
    assert r.exit_code == 3
    assert rows(r.json()) == [
        ("E-1", None, "balanced", "no available agent who handles escalations")
    ]


# --- who is never eligible ----------------------------------------------------------------------


def test_busy_away_offline_and_inactive_agents_are_skipped(db, cli):
    with db.session(write=True) as s:
        for status in ("busy", "away", "offline"):
            make_agent(s, f"{status}@d.com", status=status, last_activity_at=None)
        make_agent(s, "gone@d.com", is_active=False, last_activity_at=None)
        make_agent(s, "here@d.com", last_activity_at=T0 + timedelta(days=1))
        make_ticket(s, ticket_number="T-1")
    r = cli("assign", "T-1", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert rows(r.json()) == [
        ("T-1", "here@d.com", "balanced", "least workload (0 open) among 1 eligible")
    ]


def test_nobody_available(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "off@d.com", status="offline")
        make_ticket(s, ticket_number="T-1")
    r = cli("assign", "--backlog", "--format", "csv")
    assert r.exit_code == 3
    assert r.stdout == (
        "ticket_number,agent_id,agent_email,strategy,reason,outcome,previous_agent_email,"
        "tenant_id\nT-1,,,balanced,no available agent,unassigned,,\n"
    )


# --- tenants ------------------------------------------------------------------------------------


def test_tenants_are_kept_apart(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "a@acme.com", tenant_id="acme")
        make_agent(s, "a@desk.com", tenant_id=None)
        make_agent(s, "b@beta.com", tenant_id="beta", status="offline")
        make_ticket(s, ticket_number="T-1", tenant_id="acme")
        make_ticket(s, ticket_number="T-1", tenant_id="beta")
        make_ticket(s, ticket_number="T-2", tenant_id=None)
    r = cli("--tenant", "acme", "assign", "--backlog", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert [(x["ticket_number"], x["agent_email"], x["tenant_id"]) for x in r.json()] == [
        ("T-1", "a@acme.com", "acme")
    ]
    r = cli("assign", "--backlog", "--format", "json")
    assert r.exit_code == 3
    # Each tenant on its own (the single desk first): beta's only agent is offline and
    # acme's agent is never borrowed.
    assert [(x["ticket_number"], x["agent_email"], x["tenant_id"]) for x in r.json()] == [
        ("T-2", "a@desk.com", None),
        ("T-1", None, "beta"),
    ]
    # The same number in two tenants: ambiguous without --tenant.
    r = cli("assign", "T-1")
    assert r.exit_code == 2
    assert r.stderr == "error: ticket T-1 exists in several tenants; name one with --tenant\n"


def test_to_agent_of_another_tenant_is_refused(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "a@acme.com", tenant_id="acme")
        make_ticket(s, ticket_number="T-1", tenant_id="beta")
    before = snapshot(db)
    r = cli("assign", "T-1", "--to", "a@acme.com")
    assert r.exit_code == 2
    assert r.stderr == (
        "error: ticket T-1 is in tenant 'beta' but a@acme.com is in tenant 'acme'; "
        "tickets never cross tenants\n"
    )
    assert snapshot(db) == before


# --- strategies ---------------------------------------------------------------------------------


def test_round_robin_takes_the_longest_idle_whatever_the_workload(db, cli):
    with db.session(write=True) as s:
        loaded = make_agent(s, "loaded@d.com", agent_id=aid(2), last_activity_at=T0)
        make_agent(s, "light@d.com", agent_id=aid(1), last_activity_at=T0 + timedelta(hours=1))
        for _ in range(5):
            make_ticket(s, agent=loaded)
        make_ticket(s, ticket_number="R-1")
        make_ticket(s, ticket_number="R-2", created_at=T0 + timedelta(minutes=1))
    r = cli("assign", "--backlog", "--strategy", "round-robin", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert rows(r.json()) == [
        (
            "R-1",
            "loaded@d.com",
            "round-robin",
            "next in rotation (last active 2026-10-01 08:00:00 UTC) among 2 eligible",
        ),
        (
            "R-2",
            "light@d.com",
            "round-robin",
            "next in rotation (last active 2026-10-01 09:00:00 UTC) among 2 eligible",
        ),
    ]


def test_skill_strategy_prefers_the_highest_level_then_balanced(db, cli):
    with db.session(write=True) as s:
        expert = make_agent(s, "expert@d.com", agent_id=aid(1), skills={"network": 4})
        make_agent(s, "adv1@d.com", agent_id=aid(3), skills={"network": 3})
        make_agent(s, "adv2@d.com", agent_id=aid(2), skills={"network": 3})
        make_agent(s, "novice@d.com", agent_id=aid(4), skills={"network": 1})
        for _ in range(3):
            make_ticket(s, agent=expert)
        make_ticket(s, ticket_number="S-1", category="network", required_skill_level=2)
        make_ticket(
            s,
            ticket_number="S-2",
            category="network",
            required_skill_level=2,
            created_at=T0 + timedelta(minutes=1),
        )
        make_ticket(s, ticket_number="S-3", category=None, created_at=T0 + timedelta(minutes=2))
    r = cli("assign", "--backlog", "--strategy", "skill", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert rows(r.json()) == [
        (
            "S-1",
            "expert@d.com",
            "skill",
            "highest network level (4), least workload (3 open) among 3 eligible",
        ),
        (
            "S-2",
            "expert@d.com",
            "skill",
            "highest network level (4), least workload (4 open) among 3 eligible",
        ),
        # No category: the skill strategy falls back to balanced (smaller id on the tie).
        ("S-3", "adv2@d.com", "skill", "least workload (0 open) among 4 eligible"),
    ]


# --- order, side effects ------------------------------------------------------------------------


def test_backlog_order_is_priority_then_sla_due_date_then_age(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "a@d.com")
        due = T0 + timedelta(days=1)
        make_ticket(s, ticket_number="low", priority="low", created_at=T0 - timedelta(days=9))
        make_ticket(s, ticket_number="normal-nodue-old", priority="normal", created_at=T0)
        make_ticket(
            s,
            ticket_number="normal-nodue-new",
            priority="normal",
            created_at=T0 + timedelta(seconds=1),
        )
        make_ticket(s, ticket_number="normal-due-late", priority="normal", sla_due_date=due)
        make_ticket(
            s,
            ticket_number="normal-due-soon",
            priority="normal",
            sla_due_date=due - timedelta(hours=1),
            created_at=T0 + timedelta(hours=1),
        )
        make_ticket(s, ticket_number="high", priority="high", created_at=T0 + timedelta(days=2))
        make_ticket(s, ticket_number="urgent", priority="urgent", created_at=T0 + timedelta(days=3))
        make_ticket(
            s,
            ticket_number="waiting",
            priority="urgent",
            status="waiting",
            created_at=T0 + timedelta(days=4),
        )
        make_ticket(s, ticket_number="done", priority="urgent", status="resolved")
    r = cli("assign", "--backlog", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert [x["ticket_number"] for x in r.json()] == [
        "urgent",
        "waiting",
        "high",
        "normal-due-soon",
        "normal-due-late",
        "normal-nodue-old",
        "normal-nodue-new",
        "low",
    ]
    assert assignees(db)["done"] is None


def test_each_assignment_writes_a_log_row_and_bumps_last_activity(db, cli):
    with db.session(write=True) as s:
        agent = make_agent(s, "a@d.com", last_activity_at=T0)
        make_ticket(s, ticket_number="T-1", category=None)
        make_ticket(s, ticket_number="T-2", category=None, created_at=T0 + timedelta(minutes=1))
    r = cli("assign", "--backlog", "--format", "json")
    assert r.exit_code == 0, r.stderr
    logs = log_rows(db)
    assert [(str(x.agent_id), x.previous_agent_id, x.strategy, x.reason) for x in logs] == [
        (str(agent.id), None, "balanced", "least workload (0 open) among 1 eligible"),
        (str(agent.id), None, "balanced", "least workload (1 open) among 1 eligible"),
    ]
    assert logs[0].assigned_at < logs[1].assigned_at
    with db.session() as s:
        tickets = {t.ticket_number: t for t in s.scalars(select(Ticket))}
        activity = s.scalar(select(AgentAvailability.last_activity_at))
    assert {t.id for t in tickets.values()} == {x.ticket_id for x in logs}
    assert tickets["T-1"].updated_at == logs[0].assigned_at
    assert tickets["T-2"].updated_at == logs[1].assigned_at
    assert activity == logs[1].assigned_at


# --- named tickets, --reassign, --to ------------------------------------------------------------


def test_already_assigned_is_skipped_unless_reassign(db, cli):
    with db.session(write=True) as s:
        old = make_agent(s, "old@d.com", agent_id=aid(1))
        make_agent(s, "new@d.com", agent_id=aid(2))
        make_ticket(s, ticket_number="T-1", agent=old)
    r = cli("assign", "T-1", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert [(x["agent_email"], x["strategy"], x["reason"], x["outcome"]) for x in r.json()] == [
        ("old@d.com", None, "already assigned", "skipped")
    ]
    assert log_rows(db) == []
    r = cli("assign", "T-1", "--reassign", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()[0]["agent_email"] == "new@d.com"
    assert r.json()[0]["previous_agent_email"] == "old@d.com"
    # old@'s workload dropped to 0 too, but a move always goes to someone else.
    assert r.json()[0]["reason"] == "least workload (0 open) among 1 eligible"
    [log] = log_rows(db)
    assert (log.agent_id, log.previous_agent_id) == (aid(2), aid(1))


def test_unknown_ticket_number_is_exit_2_and_changes_nothing(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "a@d.com")
        make_ticket(s, ticket_number="T-1")
    before = snapshot(db)
    r = cli("assign", "T-1", "NOPE-9")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr == "error: unknown ticket NOPE-9; see `agentctl tickets list`\n"
    assert snapshot(db) == before


def test_manual_assignment_warns_but_allows_over_cap_and_without_skill(db, cli):
    with db.session(write=True) as s:
        full = make_agent(s, "full@d.com", max_open_tickets=1, status="away")
        make_ticket(s, agent=full)
        make_ticket(s, ticket_number="M-1", category="network", required_skill_level=2)
    r = cli("assign", "M-1", "--to", "full@d.com", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert rows(r.json()) == [
        (
            "M-1",
            "full@d.com",
            "manual",
            "assigned by hand; over cap (1 open, cap 1), lacks network >= 2, away",
        )
    ]
    assert r.stderr.splitlines() == [
        "warning: M-1: full@d.com is at or over their cap (1 open, cap 1); assigned anyway",
        "warning: M-1: full@d.com lacks network >= 2; assigned anyway",
        "warning: M-1: full@d.com is away; assigned anyway",
        "assigned 1, unassigned 0; full@d.com 1",
    ]
    [log] = log_rows(db)
    assert log.strategy == "manual"


def test_manual_assignment_refuses_an_inactive_agent(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "gone@d.com", is_active=False)
        make_ticket(s, ticket_number="M-1")
    r = cli("assign", "M-1", "--to", "gone@d.com")
    assert r.exit_code == 2
    assert r.stderr == "error: agent gone@d.com is inactive; assign to an active agent\n"
    assert assignees(db) == {"M-1": None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "say which tickets: name them, or use --backlog or --from AGENT"),
        (("T-1", "--backlog"), "use only one of TICKET_NUMBER..., --backlog and --from AGENT"),
        (
            ("T-1", "--limit", "3"),
            "--limit and --category go with --backlog or --from, not ticket numbers",
        ),
        (("--backlog", "--limit", "0"), "--limit must be at least 1, not 0"),
        (
            ("--backlog", "--to", "a@d.com", "--strategy", "skill"),
            "--to assigns by hand; leave out --strategy",
        ),
        (("--from", "nobody@d.com"), "unknown agent 'nobody@d.com'; see `agentctl agents list`"),
    ],
)
def test_bad_usage_is_exit_2(db, cli, args, message):
    r = cli("assign", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {message}\n")


# --- --from -------------------------------------------------------------------------------------


def test_from_moves_open_work_to_colleagues(db, cli):
    with db.session(write=True) as s:
        leaver = make_agent(s, "leaver@d.com", agent_id=aid(1), status="offline")
        make_agent(s, "b@d.com", agent_id=aid(2), skills={"network": 2})
        make_agent(s, "c@d.com", agent_id=aid(3), skills={"network": 1})
        make_ticket(
            s, ticket_number="F-1", agent=leaver, category="network", required_skill_level=2
        )
        make_ticket(
            s,
            ticket_number="F-2",
            agent=leaver,
            status="in_progress",
            created_at=T0 + timedelta(minutes=1),
        )
        make_ticket(s, ticket_number="F-3", agent=leaver, status="resolved")
    r = cli("assign", "--from", "leaver@d.com", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert [
        (x["ticket_number"], x["agent_email"], x["previous_agent_email"]) for x in r.json()
    ] == [
        ("F-1", "b@d.com", "leaver@d.com"),
        ("F-2", "c@d.com", "leaver@d.com"),
    ]
    assert assignees(db)["F-3"] == str(aid(1))
    assert {(x.previous_agent_id, x.agent_id) for x in log_rows(db)} == {
        (aid(1), aid(2)),
        (aid(1), aid(3)),
    }


def test_from_with_nobody_eligible_keeps_the_work_and_exits_3(db, cli):
    with db.session(write=True) as s:
        leaver = make_agent(s, "leaver@d.com", skills={"network": 4})
        make_agent(s, "away@d.com", status="away", skills={"network": 4})
        make_agent(s, "weak@d.com", skills={"network": 1})
        make_ticket(
            s, ticket_number="F-1", agent=leaver, category="network", required_skill_level=3
        )
    before = snapshot(db)
    r = cli("assign", "--from", "leaver@d.com", "--format", "json")
    assert r.exit_code == 3
    # DESIGN.md: the ticket stays with its agent (outcome `kept`), whose fields are shown.
    assert rows(r.json()) == [
        ("F-1", "leaver@d.com", "balanced", "no available agent with network >= 3")
    ]
    [row] = r.json()
    assert (row["outcome"], row["agent_id"], row["previous_agent_email"]) == (
        "kept",
        str(leaver.id),
        None,
    )
    assert r.stderr == "assigned 0, unassigned 0, kept 1\n"
    assert snapshot(db) == before


# --- --dry-run ----------------------------------------------------------------------------------


def test_dry_run_shows_the_same_decisions_and_changes_nothing(db, cli):
    with db.session(write=True) as s:
        for n in range(1, 4):
            make_agent(s, f"a{n}@d.com", agent_id=aid(n), max_open_tickets=2, skills={"network": n})
        for i in range(8):
            make_ticket(
                s,
                ticket_number=f"D-{i}",
                category="network",
                required_skill_level=1 + i % 3,
                created_at=T0 + timedelta(minutes=i),
            )
    before = snapshot(db)
    dry = cli("assign", "--backlog", "--format", "json", "--dry-run")
    assert dry.exit_code == 3
    assert snapshot(db) == before
    assert dry.stderr.startswith("dry run, nothing changed: would assign 6, unassigned 2;")
    real = cli("assign", "--backlog", "--format", "json")
    assert real.exit_code == 3
    assert real.json() == dry.json()
    assert snapshot(db) != before


# --- batches ------------------------------------------------------------------------------------


def test_batches_move_past_unassignable_tickets_and_respect_limit(db):
    with db.session(write=True) as s:
        make_agent(s, "a@d.com", skills={"network": 1})
        for i in range(7):
            category = "network" if i % 2 == 0 else "hardware"
            make_ticket(
                s, ticket_number=f"B-{i}", category=category, created_at=T0 + timedelta(minutes=i)
            )
    result = assign(db, AssignRequest(backlog=True, batch_size=2, limit=6))
    assert [(r.ticket_number, r.outcome) for r in result.rows] == [
        ("B-0", Outcome.assigned),
        ("B-1", Outcome.unassigned),
        ("B-2", Outcome.assigned),
        ("B-3", Outcome.unassigned),
        ("B-4", Outcome.assigned),
        ("B-5", Outcome.unassigned),
    ]
    assert sum(1 for v in assignees(db).values() if v) == 3
    # A dry run in batches keeps its own picture of the load.
    dry = assign(db, AssignRequest(backlog=True, batch_size=2, dry_run=True))
    assert [(r.ticket_number, r.reason) for r in dry.rows] == [
        ("B-1", "no available agent with hardware >= 1"),
        ("B-3", "no available agent with hardware >= 1"),
        ("B-5", "no available agent with hardware >= 1"),
        ("B-6", "least workload (3 open) among 1 eligible"),
    ]


def test_statements_per_batch_do_not_grow_with_backlog_or_team(db):
    """The budget: a constant number of SQL statements per batch."""

    def statements_per_batch(agents: int, tickets: int) -> tuple[int, set[int]]:
        with db.session(write=True) as s:
            for n in range(agents):
                make_agent(s, f"s{agents}-{n}@d.com", tenant_id=f"t{agents}", skills={"network": 2})
            for i in range(tickets):
                make_ticket(
                    s,
                    ticket_number=f"S{agents}-{i}",
                    tenant_id=f"t{agents}",
                    category="network" if i % 2 else None,
                )
        counts: list[int] = []

        def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE
                counts[-1] += 1

        def begin(*_: object) -> None:
            counts.append(0)

        event.listen(db.engine, "before_cursor_execute", count)
        event.listen(db.engine, "begin", begin)
        try:
            assign(db, AssignRequest(backlog=True, batch_size=10, tenant=f"t{agents}"))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
            event.remove(db.engine, "begin", begin)
        # The first transaction lists tenants and reads the backlog order; the first batch
        # also loads shifts, time off, workloads and skills, which later batches keep.
        return counts[1], set(counts[2:])

    small = statements_per_batch(agents=2, tickets=20)
    large = statements_per_batch(agents=12, tickets=60)
    assert small == large
    first, later = small
    assert len(later) == 1
    assert first == min(later) + 4
