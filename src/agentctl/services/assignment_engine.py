"""The assignment decision engine: who gets a ticket, and why. No database here.

DESIGN.md, "Assignment rules" and "Availability history, shifts and time off". Decisions
are made in memory: a :class:`Pool` keeps one heap per ticket class (category, required
level, escalated) ordered by the strategy's key, so a decision costs O(log agents). The run
(``services.assignment``) loads the agents, claims tickets and writes what was decided.
"""

from __future__ import annotations

import enum
import heapq
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from agentctl.timeutil import utcnow

_NEVER = datetime.min.replace(tzinfo=UTC)

OFF_SHIFT = "off shift"
ON_TIME_OFF = "on time off"


class Strategy(enum.StrEnum):
    balanced = "balanced"
    round_robin = "round-robin"
    skill = "skill"


MANUAL = "manual"


class Outcome(enum.StrEnum):
    assigned = "assigned"
    unassigned = "unassigned"  # an unassigned ticket got no agent: the reason says why
    kept = "kept"  # --from/--reassign found nobody else: the ticket stays with its agent
    skipped = "skipped"  # already assigned, or not in an open status


class TicketLike(Protocol):
    """What a decision needs to know about a ticket."""

    @property
    def ticket_number(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def required_skill_level(self) -> int: ...
    @property
    def escalation_level(self) -> int: ...


class Clock:
    """Assignment times: the wall clock, made strictly increasing within a run.

    Distinct times keep the rotation exact: an agent's last_activity_at orders them just as
    assigning one ticket at a time would.
    """

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._last = _NEVER
        self._now = now or utcnow

    def tick(self) -> datetime:
        now = self._now()
        if now <= self._last:
            now = self._last + timedelta(microseconds=1)
        self._last = now
        return now

    def observe(self, moment: datetime | None) -> None:
        """Never hand out a time earlier than an activity already recorded."""
        if moment is not None and moment > self._last:
            self._last = moment


ClassKey = tuple[str | None, int, bool]  # (category, required level, escalated)
# A flat tuple: the strategy's key, then the agent's index (its rank by id, so the last
# tie-break), then the agent's version. Flat, with an int for the id, so the heap compares
# plain ints and datetimes in C, never a nested tuple or a UUID's Python-level __lt__.
HeapEntry = tuple[object, ...]


@dataclass(eq=False)
class AgentState:
    """An agent as the engine sees it; workload and activity change as it decides."""

    id: uuid.UUID
    email: str
    cap: int | None
    workload: int
    last_activity_at: datetime | None
    skills: dict[str, tuple[int, bool]]  # category -> (level, can_handle_escalations)
    status: str = "available"
    is_active: bool = True
    off: str | None = None  # OFF_SHIFT or ON_TIME_OFF at the assignment time, else None
    index: int = 0  # position in the pool
    version: int = 0  # bumped on every change; older heap entries are stale
    classes: list[TicketClass] = field(default_factory=list)

    @property
    def at_cap(self) -> bool:
        return self.cap is not None and self.workload >= self.cap

    @property
    def idle_key(self) -> datetime:
        return self.last_activity_at or _NEVER  # never active = first in the rotation

    @property
    def eligible(self) -> bool:
        """Active, available and on shift (caps and skills are per ticket)."""
        return self.is_active and self.status == "available" and self.off is None

    def qualifies(self, key: ClassKey) -> bool:
        category, level, escalated = key
        if category is None:
            return not escalated or any(esc for _, esc in self.skills.values())
        skill = self.skills.get(category)
        return skill is not None and skill[0] >= level and (not escalated or skill[1])

    def level_in(self, category: str | None) -> int:
        skill = self.skills.get(category) if category is not None else None
        return skill[0] if skill is not None else 0


def ticket_class(ticket: TicketLike) -> ClassKey:
    level = ticket.required_skill_level if ticket.category is not None else 1
    return (ticket.category, level, ticket.escalation_level > 0)


def describe_class(key: ClassKey) -> str:
    """``available agent with network >= 3 who handles escalations``: for reasons."""
    category, level, escalated = key
    text = "available agent"
    if category is not None:
        text += f" with {category} >= {level}"
    if escalated:
        text += " who handles escalations"
    return text


@dataclass(eq=False)
class TicketClass:
    """The agents who qualify for one kind of ticket, in a heap by the strategy's key.

    Each member below their cap has exactly one current heap entry; entries of an older
    version of an agent, or of an agent at their cap, are dropped when they surface.
    """

    key: ClassKey
    members: list[AgentState]
    heap: list[HeapEntry] = field(default_factory=list)
    below_cap: int = 0


Decision = tuple[AgentState | None, str, list[str]]  # (agent, reason, warnings)


class Pool:
    """A tenant's eligible agents and the strategy that picks one.

    ``absent`` are active, available agents who are off shift or on time off: never
    picked, only named in the reason when nobody else qualifies.
    """

    def __init__(
        self,
        agents: Iterable[AgentState],
        strategy: Strategy,
        absent: Iterable[AgentState] = (),
    ) -> None:
        # By id: an agent's index is then its rank by id, the strategies' last tie-break.
        self.agents = sorted(agents, key=lambda agent: agent.id)
        for index, agent in enumerate(self.agents):
            agent.index = index
            agent.classes = []
        self.by_id = {agent.id: agent for agent in self.agents}
        self.absent = list(absent)
        self.strategy = strategy
        self._classes: dict[ClassKey, TicketClass] = {}

    def _entry(self, agent: AgentState, key: ClassKey) -> HeapEntry:
        """The heap entry of ``agent`` in class ``key``: smallest is picked first."""
        idle = agent.last_activity_at or _NEVER  # never active = first in the rotation
        if self.strategy is Strategy.round_robin:
            return (idle, agent.index, agent.version)
        if self.strategy is Strategy.skill:
            level = -agent.level_in(key[0])
            return (level, agent.workload, idle, agent.index, agent.version)
        return (agent.workload, idle, agent.index, agent.version)

    def _class(self, key: ClassKey) -> TicketClass:
        cls = self._classes.get(key)
        if cls is None:
            cls = TicketClass(key, [a for a in self.agents if a.qualifies(key)])
            for agent in cls.members:
                agent.classes.append(cls)
                if not agent.at_cap:
                    cls.below_cap += 1
                    cls.heap.append(self._entry(agent, key))
            heapq.heapify(cls.heap)
            self._classes[key] = cls
        return cls

    def _top(self, cls: TicketClass, exclude: uuid.UUID | None) -> AgentState | None:
        heap, agents = cls.heap, self.agents
        set_aside: list[HeapEntry] = []
        chosen = None
        while heap:
            entry = heap[0]
            agent = agents[entry[-2]]  # type: ignore[call-overload]
            if entry[-1] != agent.version or (
                agent.cap is not None and agent.workload >= agent.cap
            ):
                heapq.heappop(heap)
            elif agent.id == exclude:
                set_aside.append(heapq.heappop(heap))
            else:
                chosen = agent
                break
        for entry in set_aside:
            heapq.heappush(heap, entry)
        return chosen

    def _changed(self, agent: AgentState, was_at_cap: bool) -> None:
        agent.version += 1
        at_cap = agent.cap is not None and agent.workload >= agent.cap
        if was_at_cap != at_cap:
            for cls in agent.classes:
                cls.below_cap += int(was_at_cap) - int(at_cap)
        if at_cap:
            return  # no current entry: one is pushed again when the workload drops
        push = heapq.heappush
        if self.strategy is Strategy.skill:
            for cls in agent.classes:
                push(cls.heap, self._entry(agent, cls.key))
        else:  # the same entry in every class
            entry = self._entry(agent, (None, 1, False))
            for cls in agent.classes:
                push(cls.heap, entry)

    def take(self, agent: AgentState, at: datetime) -> None:
        was_at_cap = agent.at_cap
        agent.workload += 1
        agent.last_activity_at = at
        self._changed(agent, was_at_cap)

    def release(self, agent_id: uuid.UUID | None) -> None:
        """A ticket moved away from ``agent_id``: their workload drops by one."""
        agent = self.by_id.get(agent_id) if agent_id is not None else None
        if agent is not None and agent.workload > 0:
            was_at_cap = agent.at_cap
            agent.workload -= 1
            self._changed(agent, was_at_cap)

    def decide(self, ticket: TicketLike, exclude: uuid.UUID | None = None) -> Decision:
        """The agent for ``ticket`` (``take`` it to commit) and the reason, in plain words."""
        key = ticket_class(ticket)
        cls = self._class(key)
        agent = self._top(cls, exclude)
        if agent is None:
            if any(m.id != exclude for m in cls.members):
                return None, f"every {describe_class(key)} is at their cap", []
            return None, f"no {describe_class(key)}{self._absent_note(key, exclude)}", []
        excluded = self.by_id.get(exclude) if exclude is not None else None
        eligible = cls.below_cap
        if excluded is not None and cls in excluded.classes and not excluded.at_cap:
            eligible -= 1
        return agent, self._reason(agent, key, eligible), []

    def _absent_note(self, key: ClassKey, exclude: uuid.UUID | None) -> str:
        """``: 2 off shift, 1 on time off``: who would have qualified but is away."""
        counts = {OFF_SHIFT: 0, ON_TIME_OFF: 0}
        for agent in self.absent:
            if agent.id != exclude and agent.off is not None and agent.qualifies(key):
                counts[agent.off] += 1
        parts = [f"{n} {why}" for why, n in counts.items() if n]
        return ": " + ", ".join(parts) if parts else ""

    def _reason(self, agent: AgentState, key: ClassKey, eligible: int) -> str:
        among = f"among {eligible} eligible"
        if self.strategy is Strategy.round_robin:
            if agent.last_activity_at is None:
                return f"next in rotation (never active) {among}"
            last = agent.last_activity_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            return f"next in rotation (last active {last} UTC) {among}"
        least = f"least workload ({agent.workload} open) {among}"
        if self.strategy is Strategy.skill and key[0] is not None:
            return f"highest {key[0]} level ({agent.level_in(key[0])}), {least}"
        return least


class ManualTarget:
    """``--to AGENT``: every ticket goes to one agent; cap, skill, status, shift only warn."""

    def __init__(self, agent: AgentState) -> None:
        self.agent = agent

    def decide(self, ticket: TicketLike, exclude: uuid.UUID | None = None) -> Decision:
        agent = self.agent
        key = ticket_class(ticket)
        notes: list[tuple[str, str]] = []  # (in the reason, in the warning)
        if agent.at_cap:
            load = f"{agent.workload} open, cap {agent.cap}"
            notes.append((f"over cap ({load})", f"is at or over their cap ({load})"))
        category, level, escalated = key
        if category is not None and not agent.qualifies((category, level, False)):
            notes.append((f"lacks {category} >= {level}", f"lacks {category} >= {level}"))
        elif escalated and not agent.qualifies(key):
            notes.append(("does not handle escalations", "does not handle escalations"))
        if agent.status != "available":
            notes.append((agent.status, f"is {agent.status}"))
        if agent.off is not None:
            notes.append((agent.off, f"is {agent.off}"))
        reason = "assigned by hand"
        if notes:
            reason += "; " + ", ".join(short for short, _ in notes)
        warnings = [
            f"{ticket.ticket_number}: {agent.email} {long}; assigned anyway" for _, long in notes
        ]
        return agent, reason, warnings

    def take(self, agent: AgentState, at: datetime) -> None:
        agent.workload += 1
        agent.last_activity_at = at

    def release(self, agent_id: uuid.UUID | None) -> None:
        if agent_id == self.agent.id:
            self.agent.workload -= 1


Decider = Pool | ManualTarget
