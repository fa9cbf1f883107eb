"""Shifts and time off in assignment, `--from-off-shift`, and the `kept` outcome.

DESIGN.md, "Availability history, shifts and time off": an agent with a calendar is
eligible only inside its working intervals; time off makes any agent ineligible.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agentctl.models import Agent, AgentTimeOff, BusinessCalendar, Ticket
from agentctl.services.assignment import AssignRequest, Outcome, assign
from factories import T0, make_agent, make_ticket

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def aid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def calendar(s: Session, name: str, hours: dict[str, Any], tz: str = "UTC") -> BusinessCalendar:
    cal = BusinessCalendar(name=name, timezone=tz, hours=hours, holidays=[])
    s.add(cal)
    s.flush()
    return cal


def always(s: Session) -> BusinessCalendar:
    return calendar(s, "always", {d: [["00:00", "24:00"]] for d in DAYS})


def never(s: Session) -> BusinessCalendar:
    return calendar(s, "never", {})


def on_shift(s: Session, agent: Agent, cal: BusinessCalendar) -> None:
    agent.calendar_id = cal.id
    s.flush()


def time_off(s: Session, agent: Agent, start: datetime, end: datetime) -> None:
    s.add(AgentTimeOff(agent_id=agent.id, tenant_id=agent.tenant_id, starts_at=start, ends_at=end))
    s.flush()


def assignees(db: Any) -> dict[str, uuid.UUID | None]:
    with db.session() as s:
        return dict(s.execute(select(Ticket.ticket_number, Ticket.assigned_to_user_id)).all())


# --- eligibility at the edges ---------------------------------------------------------------


def test_shift_and_time_off_eligibility_at_the_interval_edges(db):
    # 2026-10-01 is a Thursday; Berlin is UTC+2 then, so 09:00-17:00 Berlin = 07:00-15:00 UTC.
    day = datetime(2026, 10, 1, tzinfo=UTC)
    with db.session(write=True) as s:
        shift = make_agent(s, "shift@d.com", agent_id=aid(1), skills={"network": 2})
        leave = make_agent(s, "leave@d.com", agent_id=aid(2), skills={"network": 2})
        make_agent(s, "plain@d.com", agent_id=aid(3))  # no network skill: never a candidate
        weekdays = {d: [["09:00", "17:00"]] for d in DAYS[:5]}
        on_shift(s, shift, calendar(s, "berlin", weekdays, "Europe/Berlin"))
        time_off(s, leave, day + timedelta(hours=8), day + timedelta(hours=12))
        time_off(s, leave, day + timedelta(hours=16), day + timedelta(hours=17))
        make_ticket(s, ticket_number="N-1", category="network")

    def decide(at: datetime) -> tuple[str | None, str, Outcome]:
        request = AssignRequest(ticket_numbers=["N-1"], dry_run=True, now=lambda: at)
        [row] = assign(db, request).rows
        return row.agent_email, row.reason, row.outcome

    tiny = timedelta(microseconds=1)
    assert decide(day + timedelta(hours=7) - tiny) == (
        "leave@d.com",
        "least workload (0 open) among 1 eligible",
        Outcome.assigned,
    )
    # The shift starts at 07:00 UTC sharp: both eligible, the smaller id wins the tie.
    assert decide(day + timedelta(hours=7))[:2] == (
        "shift@d.com",
        "least workload (0 open) among 2 eligible",
    )
    # Time off from 08:00 (inclusive) to 12:00 (exclusive), whatever the agent's status.
    assert decide(day + timedelta(hours=8))[1] == "least workload (0 open) among 1 eligible"
    assert decide(day + timedelta(hours=12) - tiny)[1] == (
        "least workload (0 open) among 1 eligible"
    )
    assert decide(day + timedelta(hours=12))[1] == "least workload (0 open) among 2 eligible"
    assert decide(day + timedelta(hours=15) - tiny)[0] == "shift@d.com"
    assert decide(day + timedelta(hours=15)) == (
        "leave@d.com",
        "least workload (0 open) among 1 eligible",
        Outcome.assigned,
    )
    # 16:00 UTC: off shift and on time off, so nobody; the reason says why.
    assert decide(day + timedelta(hours=16)) == (
        None,
        "no available agent with network >= 1: 1 off shift, 1 on time off",
        Outcome.unassigned,
    )


def test_nobody_on_shift_is_exit_3_with_the_reason(db, cli):
    with db.session(write=True) as s:
        night = make_agent(s, "night@d.com")
        on_shift(s, night, never(s))
        make_agent(s, "away@d.com", status="away")
        make_ticket(s, ticket_number="T-1")
    r = cli("assign", "--backlog", "--format", "json")
    assert r.exit_code == 3
    assert [(x["agent_email"], x["reason"], x["outcome"]) for x in r.json()] == [
        (None, "no available agent: 1 off shift", "unassigned")
    ]


def test_to_an_agent_on_time_off_warns(db, cli):
    with db.session(write=True) as s:
        gone = make_agent(s, "gone@d.com")
        now = datetime.now(UTC)
        time_off(s, gone, now - timedelta(days=1), now + timedelta(days=1))
        make_ticket(s, ticket_number="M-1")
    r = cli("assign", "M-1", "--to", "gone@d.com", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()[0]["reason"] == "assigned by hand; on time off"
    assert r.stderr.splitlines()[0] == "warning: M-1: gone@d.com is on time off; assigned anyway"


# --- --from and --from-off-shift ------------------------------------------------------------


def test_from_works_for_an_agent_who_is_off_shift(db, cli):
    with db.session(write=True) as s:
        night = make_agent(s, "night@d.com", agent_id=aid(1))
        day = make_agent(s, "day@d.com", agent_id=aid(2))
        on_shift(s, night, never(s))
        on_shift(s, day, always(s))
        make_ticket(s, ticket_number="F-1", agent=night)
    r = cli("assign", "--from", "night@d.com", "--format", "json")
    assert r.exit_code == 0, r.stderr
    [row] = r.json()
    assert (row["agent_email"], row["previous_agent_email"]) == ("day@d.com", "night@d.com")
    assert assignees(db)["F-1"] == aid(2)


def test_from_off_shift_moves_the_work_of_everyone_off_shift_or_on_time_off(db, cli):
    now = datetime.now(UTC)
    with db.session(write=True) as s:
        day = make_agent(s, "day@d.com", agent_id=aid(1), skills={"network": 2})
        night = make_agent(s, "night@d.com", agent_id=aid(2), skills={"network": 2})
        leave = make_agent(s, "leave@d.com", agent_id=aid(3), skills={"billing": 3})
        plain = make_agent(s, "plain@d.com", agent_id=aid(4))  # no calendar, no leave
        on_shift(s, day, always(s))
        on_shift(s, night, never(s))
        # Time off makes leave@ ineligible although their status is `available`.
        time_off(s, leave, now - timedelta(hours=1), now + timedelta(hours=1))
        time_off(s, plain, now - timedelta(days=2), now - timedelta(days=1))  # over
        make_ticket(s, ticket_number="N-1", agent=night, category="network")
        make_ticket(
            s, ticket_number="N-2", agent=night, status="waiting", created_at=T0 + timedelta(1)
        )
        make_ticket(s, ticket_number="N-3", agent=night, status="resolved")
        make_ticket(
            s,
            ticket_number="L-1",
            agent=leave,
            category="billing",
            required_skill_level=3,
            created_at=T0 + timedelta(2),
        )
        make_ticket(s, ticket_number="P-1", agent=plain)
    r = cli("assign", "--from-off-shift", "--format", "json")
    assert r.exit_code == 3  # L-1 is kept: nobody else handles billing >= 3
    got = [
        (x["ticket_number"], x["agent_email"], x["previous_agent_email"], x["outcome"])
        for x in r.json()
    ]
    assert got == [
        ("N-1", "day@d.com", "night@d.com", "assigned"),
        # day@ has 1 open now and plain@ 1 too; plain@ was never active: the rotation.
        ("N-2", "plain@d.com", "night@d.com", "assigned"),
        ("L-1", "leave@d.com", None, "kept"),
    ]
    assert r.json()[2]["reason"] == "no available agent with billing >= 3"
    assert r.stderr == "assigned 2, unassigned 0, kept 1; day@d.com 1, plain@d.com 1\n"
    after = assignees(db)
    assert (after["N-1"], after["N-2"], after["N-3"], after["L-1"], after["P-1"]) == (
        aid(1),
        aid(4),
        aid(2),
        aid(3),
        aid(4),
    )


def test_reassign_with_nobody_else_keeps_the_ticket(db, cli):
    with db.session(write=True) as s:
        only = make_agent(s, "only@d.com")
        make_ticket(s, ticket_number="T-1", agent=only)
    r = cli("assign", "T-1", "--reassign", "--format", "json")
    assert r.exit_code == 3
    [row] = r.json()
    assert (row["outcome"], row["agent_email"], row["agent_id"], row["reason"]) == (
        "kept",
        "only@d.com",
        str(only.id),
        "no available agent",
    )
    assert r.stderr == "assigned 0, unassigned 0, kept 1\n"


def test_category_matches_case_insensitively(db, cli):
    with db.session(write=True) as s:
        make_agent(s, "a@d.com", skills={"network": 1})
        make_ticket(s, ticket_number="T-1", category="network")
        make_ticket(s, ticket_number="T-2", category="billing")
    r = cli("assign", "--backlog", "--category", "Network", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert [(x["ticket_number"], x["agent_email"]) for x in r.json()] == [("T-1", "a@d.com")]
