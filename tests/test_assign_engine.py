"""The assignment decision engine on its own: no database, plain agents and tickets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agentctl.businesstime import Calendar
from agentctl.services.assignment_engine import (
    OFF_SHIFT,
    ON_TIME_OFF,
    AgentState,
    Clock,
    ManualTarget,
    Pool,
    Strategy,
)
from agentctl.services.assignment_run import absence

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Ticket:
    ticket_number: str = "T-1"
    category: str | None = None
    required_skill_level: int = 1
    escalation_level: int = 0


def agent(
    n: int,
    *,
    workload: int = 0,
    cap: int | None = None,
    last: datetime | None = None,
    skills: dict[str, tuple[int, bool]] | None = None,
    off: str | None = None,
    status: str = "available",
) -> AgentState:
    return AgentState(
        id=uuid.UUID(int=n),
        email=f"a{n}@d.com",
        cap=cap,
        workload=workload,
        last_activity_at=last,
        skills=skills or {},
        off=off,
        status=status,
    )


def pick(pool: Pool, ticket: Ticket, at: datetime) -> str | None:
    chosen, _, _ = pool.decide(ticket)
    if chosen is None:
        return None
    pool.take(chosen, at)
    return chosen.email


def test_balanced_fills_the_least_loaded_then_rotates():
    pool = Pool([agent(1, workload=2), agent(2), agent(3, last=T0)], Strategy.balanced)
    picks = [pick(pool, Ticket(), T0 + timedelta(minutes=i + 1)) for i in range(5)]
    # a2 (0 open, never active), a3 (0 open), then both at 1: a2's assignment is older.
    assert picks == ["a2@d.com", "a3@d.com", "a2@d.com", "a3@d.com", "a1@d.com"]


def test_cap_takes_an_agent_out_and_release_brings_them_back():
    capped = agent(1, cap=1)
    pool = Pool([capped], Strategy.balanced)
    assert pick(pool, Ticket(), T0) == "a1@d.com"
    decided, reason, _ = pool.decide(Ticket())
    assert (decided, reason) == (None, "every available agent is at their cap")
    pool.release(capped.id)
    assert pick(pool, Ticket(), T0 + timedelta(minutes=1)) == "a1@d.com"


def test_skill_level_and_escalations_define_who_qualifies():
    low = agent(1, skills={"network": (2, False)})
    high = agent(2, workload=9, skills={"network": (3, True)})
    pool = Pool([low, high], Strategy.balanced)
    assert pool.decide(Ticket(category="network", required_skill_level=3))[0] is high
    assert pool.decide(Ticket(category="network", required_skill_level=2))[0] is low
    assert pool.decide(Ticket(category="network", escalation_level=1))[0] is high
    assert pool.decide(Ticket(category="billing"))[1] == "no available agent with billing >= 1"


def test_exclude_never_picks_the_current_agent():
    current = agent(1)
    pool = Pool([current], Strategy.balanced)
    chosen, reason, _ = pool.decide(Ticket(), exclude=current.id)
    assert (chosen, reason) == (None, "no available agent")


def test_reason_names_agents_off_shift_and_on_time_off_when_nobody_else_qualifies():
    pool = Pool(
        [agent(1, skills={"billing": (4, False)})],
        Strategy.balanced,
        absent=[
            agent(2, off=OFF_SHIFT, skills={"network": (3, False)}),
            agent(3, off=OFF_SHIFT, skills={"network": (4, False)}),
            agent(4, off=ON_TIME_OFF, skills={"network": (3, False)}),
            agent(5, off=ON_TIME_OFF, skills={"network": (1, False)}),  # too weak anyway
        ],
    )
    _, reason, _ = pool.decide(Ticket(category="network", required_skill_level=3))
    assert reason == "no available agent with network >= 3: 2 off shift, 1 on time off"
    # Someone qualifies: the absent are not mentioned.
    assert pool.decide(Ticket(category="billing"))[0] is not None


def test_round_robin_and_skill_reasons():
    a, b = agent(1, last=T0), agent(2, workload=3, last=T0 - timedelta(hours=1))
    rr = Pool([a, b], Strategy.round_robin)
    assert rr.decide(Ticket()) == (
        b,
        "next in rotation (last active 2026-10-01 07:00:00 UTC) among 2 eligible",
        [],
    )
    expert = agent(3, workload=5, skills={"network": (4, False)})
    novice = agent(4, skills={"network": (1, False)})
    skill = Pool([expert, novice], Strategy.skill)
    assert skill.decide(Ticket(category="network")) == (
        expert,
        "highest network level (4), least workload (5 open) among 2 eligible",
        [],
    )


def test_manual_target_warns_about_shift_and_time_off():
    target = ManualTarget(agent(1, off=ON_TIME_OFF))
    _, reason, warnings = target.decide(Ticket(ticket_number="M-1"))
    assert reason == "assigned by hand; on time off"
    assert warnings == ["M-1: a1@d.com is on time off; assigned anyway"]


def test_clock_is_strictly_increasing_and_never_before_recorded_activity():
    clock = Clock(lambda: T0)
    clock.observe(T0 + timedelta(seconds=5))
    first, second = clock.tick(), clock.tick()
    assert first == T0 + timedelta(seconds=5, microseconds=1)
    assert second == first + timedelta(microseconds=1)


# --- shifts and time off at their edges ---------------------------------------------------

# 09:00-17:00 Berlin on weekdays; 2026-10-01 is a Thursday, Berlin is UTC+2 (summer time).
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
BERLIN = Calendar.from_stored("Europe/Berlin", WEEKDAYS)


def test_shift_starts_inclusive_and_ends_exclusive_in_local_time():
    start = datetime(2026, 10, 1, 7, 0, tzinfo=UTC)  # 09:00 Berlin
    end = datetime(2026, 10, 1, 15, 0, tzinfo=UTC)  # 17:00 Berlin
    assert absence(start - timedelta(microseconds=1), BERLIN, ()) == OFF_SHIFT
    assert absence(start, BERLIN, ()) is None
    assert absence(end - timedelta(microseconds=1), BERLIN, ()) is None
    assert absence(end, BERLIN, ()) == OFF_SHIFT
    saturday = datetime(2026, 10, 3, 10, 0, tzinfo=UTC)
    assert absence(saturday, BERLIN, ()) == OFF_SHIFT


def test_time_off_covers_start_to_end_exclusive_and_wins_over_the_shift():
    leave = [(T0, T0 + timedelta(days=1))]
    assert absence(T0 - timedelta(microseconds=1), None, leave) is None
    assert absence(T0, None, leave) == ON_TIME_OFF
    assert absence(T0 + timedelta(days=1), None, leave) is None
    # Off shift and on leave: the leave is the reason.
    night = datetime(2026, 10, 1, 23, 0, tzinfo=UTC)
    assert absence(night, BERLIN, [(night, night + timedelta(hours=1))]) == ON_TIME_OFF
    assert absence(night, BERLIN, []) == OFF_SHIFT
