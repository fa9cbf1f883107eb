"""The state of one `assign` run: the agents it loaded, its output rows, pending writes.

The decisions themselves are made by ``assignment_engine``; this module turns database rows
into the engine's agents (once per run where it can), records each ticket's outcome, and
hands the writes of a batch to the repository.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from agentctl.businesstime import Calendar
from agentctl.dbtypes import OPEN_STATUSES
from agentctl.repository import assignment as repo
from agentctl.repository.assignment import AgentRow, AssignmentWrite, TicketRow
from agentctl.services.assignment_engine import (
    OFF_SHIFT,
    ON_TIME_OFF,
    AgentState,
    Clock,
    Decider,
    ManualTarget,
    Outcome,
    Pool,
    Strategy,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MIN_BATCH, START_BATCH, MAX_BATCH = 100, 500, 10_000


@dataclass(frozen=True)
class Assignment:
    """One output row: the ticket, the agent it got (or has), the strategy and why."""

    ticket_number: str
    tenant_id: str | None
    outcome: Outcome
    agent_id: uuid.UUID | None
    agent_email: str | None
    strategy: str | None
    reason: str
    previous_agent_email: str | None = None


@dataclass
class AssignResult:
    rows: list[Assignment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    committed: int = 0  # assignments committed so far (a batch commits on its own)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome is outcome)

    @property
    def per_agent(self) -> Counter[str]:
        return Counter(
            row.agent_email
            for row in self.rows
            if row.outcome is Outcome.assigned and row.agent_email is not None
        )


def absence(
    at: datetime, calendar: Calendar | None, time_off: Sequence[tuple[datetime, datetime]]
) -> str | None:
    """Why an agent cannot take work at ``at``: time off (whatever their status) first,
    then outside their shift; None when neither. Periods are ``[starts_at, ends_at)``."""
    if any(start <= at < end for start, end in time_off):
        return ON_TIME_OFF
    if calendar is not None and not calendar.is_working(at):
        return OFF_SHIFT
    return None


class Shifts:
    """The calendars and time off of one tenant's agents, loaded once per run."""

    def __init__(self, session: Session, tenant: str | None, since: datetime) -> None:
        calendars: dict[uuid.UUID, Calendar] = {}
        self.calendar_of: dict[uuid.UUID, Calendar] = {}
        for row in repo.agent_shifts(session, tenant):
            calendar = calendars.get(row.calendar_id)
            if calendar is None:
                calendar = Calendar.from_stored(
                    row.timezone, row.hours, row.holidays, row.holiday_region
                )
                calendars[row.calendar_id] = calendar
            self.calendar_of[row.agent_id] = calendar
        self.time_off: dict[uuid.UUID, list[tuple[datetime, datetime]]] = {}
        for off in repo.time_off_from(session, tenant, since):
            self.time_off.setdefault(off.agent_id, []).append((off.starts_at, off.ends_at))

    def absence(self, agent_id: uuid.UUID, at: datetime) -> str | None:
        return absence(at, self.calendar_of.get(agent_id), self.time_off.get(agent_id, ()))


_Seen = tuple[bool, str, datetime | None]  # (is_active, status, last_activity_at)


class AgentBook:
    """A tenant's agents for one run, kept across batches.

    Every batch locks the tenant's agent rows (serializing `assign` on the tenant) and
    reads them back. Workloads and skills are read again only when those rows differ from
    what this run left: then another process committed in between.
    """

    def __init__(
        self,
        tenant: str | None,
        strategy: Strategy,
        clock: Clock,
        *,
        dry_run: bool,
        to_agent: uuid.UUID | None = None,
        without: frozenset[uuid.UUID] = frozenset(),
    ) -> None:
        self.tenant = tenant
        self.strategy = strategy
        self.clock = clock
        self.dry_run = dry_run
        self.to_agent = to_agent
        self.without = without
        self.shifts: Shifts | None = None
        self.states: list[AgentState] | None = None
        self.seen: dict[uuid.UUID, _Seen] = {}
        self.decider: Decider | None = None
        self.offs: tuple[str | None, ...] = ()
        self.reloads = 0
        self.contended = False  # another process committed since this run's last batch

    def refresh(self, session: Session, at: datetime) -> Decider:
        """Lock (unless a dry run) and bring the agents up to date for a batch at ``at``."""
        if self.dry_run and self.states is not None:
            return self._decider(at)  # a dry run keeps its own picture of the load
        rows = repo.lock_and_load_agents(session, self.tenant, lock=not self.dry_run)
        for row in rows:
            self.clock.observe(row.last_activity_at)
        seen = {r.id: (r.is_active, r.status, r.last_activity_at) for r in rows}
        if self.shifts is None:
            self.shifts = Shifts(session, self.tenant, at)
        self.contended = self.states is not None and seen != self.seen
        if self.states is None or seen != self.seen or self.to_agent is not None:
            self.states = self._load(session, rows)
            self.decider = None
            self.reloads += 1
        self.seen = seen
        return self._decider(at)

    def committed(self) -> None:
        """This run's batch is committed: what it wrote is now what the rows say."""
        for state in self.states or ():
            seen = self.seen.get(state.id)
            if seen is not None:
                self.seen[state.id] = (seen[0], seen[1], state.last_activity_at)

    def _load(self, session: Session, rows: Sequence[AgentRow]) -> list[AgentState]:
        if self.to_agent is not None:
            wanted = [r for r in rows if r.id == self.to_agent]
        else:
            wanted = [
                r
                for r in rows
                if r.is_active and r.status == "available" and r.id not in self.without
            ]
        ids = [r.id for r in wanted]
        loads = repo.workloads(session, ids)
        skills: dict[uuid.UUID, dict[str, tuple[int, bool]]] = {i: {} for i in ids}
        for skill in repo.skills_of(session, ids):
            skills[skill.agent_id][skill.category] = (skill.level, skill.can_handle_escalations)
        return [
            AgentState(
                id=r.id,
                email=r.email,
                cap=r.max_open_tickets,
                workload=loads.get(r.id, 0),
                last_activity_at=r.last_activity_at,
                skills=skills[r.id],
                status=r.status,
                is_active=r.is_active,
            )
            for r in wanted
        ]

    def _decider(self, at: datetime) -> Decider:
        assert self.states is not None and self.shifts is not None
        for state in self.states:
            state.off = self.shifts.absence(state.id, at)
        offs = tuple(state.off for state in self.states)
        if self.decider is None or offs != self.offs:
            self.offs = offs
            if self.to_agent is not None:
                self.decider = ManualTarget(self.states[0])
            else:
                self.decider = Pool(
                    [s for s in self.states if s.eligible],
                    self.strategy,
                    absent=[s for s in self.states if s.off is not None],
                )
        return self.decider


class BatchSizer:
    """Tickets per batch: fixed when asked, else growing while this run has the tenant to
    itself (fewer commits), and shrinking when another process committed in between or
    the lock took long to come (others are waiting for it: keep each hold short)."""

    def __init__(self, fixed: int | None) -> None:
        self.fixed = fixed
        self.size = fixed or START_BATCH

    def observe(self, lock_wait: float, contended: bool) -> None:
        if self.fixed is not None:
            return
        if contended or lock_wait > 0.5:
            self.size = max(self.size // 2, MIN_BATCH)
        else:
            self.size = min(self.size * 2, MAX_BATCH)


@dataclass
class Run:
    """One `assign` run: its clock, output rows and pending writes."""

    strategy: str
    moving: bool  # --from or --reassign: assigned tickets may change hands
    clock: Clock
    result: AssignResult = field(default_factory=AssignResult)
    writes: list[AssignmentWrite] = field(default_factory=list)

    def handle(self, decider: Decider, ticket: TicketRow, emails: dict[uuid.UUID, str]) -> None:
        current = ticket.assigned_to_user_id
        current_email = emails.get(current) if current is not None else None
        if ticket.status not in OPEN_STATUSES:
            self._row(
                ticket, Outcome.skipped, current, current_email, None, f"ticket is {ticket.status}"
            )
            return
        if current is not None and (
            not self.moving or (isinstance(decider, ManualTarget) and decider.agent.id == current)
        ):
            self._row(ticket, Outcome.skipped, current, current_email, None, "already assigned")
            return
        agent, reason, warnings = decider.decide(ticket, exclude=current)
        if agent is None:
            if current is not None:  # nobody else: the ticket stays where it is
                self._row(ticket, Outcome.kept, current, current_email, self.strategy, reason)
            else:
                self._row(ticket, Outcome.unassigned, None, None, self.strategy, reason)
            return
        at = self.clock.tick()
        decider.release(current)
        decider.take(agent, at)
        self.result.warnings.extend(warnings)
        self.writes.append(
            AssignmentWrite(
                ticket.id, ticket.tenant_id, agent.id, current, self.strategy, reason, at
            )
        )
        self._row(
            ticket, Outcome.assigned, agent.id, agent.email, self.strategy, reason, current_email
        )

    def _row(
        self,
        ticket: TicketRow,
        outcome: Outcome,
        agent_id: uuid.UUID | None,
        agent_email: str | None,
        strategy: str | None,
        reason: str,
        previous_email: str | None = None,
    ) -> None:
        self.result.rows.append(
            Assignment(
                ticket.ticket_number,
                ticket.tenant_id,
                outcome,
                agent_id,
                agent_email,
                strategy,
                reason,
                previous_email,
            )
        )

    def flush(self, session: Session, *, dry_run: bool) -> int:
        """Write the pending assignments in the session's transaction; how many."""
        count = len(self.writes)
        if not dry_run:
            repo.write_assignments(session, self.writes)
        self.writes.clear()
        return count


ProgressCallback = Callable[[int, int], None]  # (tickets decided so far, total)
