"""Assignment: which agent gets which ticket, and why (DESIGN.md, "Assignment rules").

Decisions are made in memory. Each batch loads the tenant's agents with their workloads
and skills once, then keeps one heap per ticket class (category, required level,
escalated) ordered by the strategy's key, so a decision costs O(log agents) and the
database sees a constant number of statements per batch, whatever the backlog or team.

Work is done per tenant and never across tenants. A batch is one transaction: lock the
tenant's agents in id order (serializing every `assign` on that tenant), load them,
claim up to ``batch_size`` tickets, decide, write, commit.
"""

from __future__ import annotations

import enum
import heapq
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from agentctl.database import Database
from agentctl.errors import UsageError
from agentctl.models import OPEN_STATUSES
from agentctl.repository import assignment as repo
from agentctl.repository.agents import resolve_agent
from agentctl.repository.assignment import AgentRow, AssignmentWrite, BacklogKey, TicketRow
from agentctl.timeutil import utcnow

BATCH_SIZE = 500
_NEVER = datetime.min.replace(tzinfo=UTC)

ProgressCallback = Callable[[int, int], None]  # (tickets decided so far, total)


class Strategy(enum.StrEnum):
    balanced = "balanced"
    round_robin = "round-robin"
    skill = "skill"


MANUAL = "manual"


class Outcome(enum.StrEnum):
    assigned = "assigned"
    unassigned = "unassigned"  # no eligible agent: the reason says why
    skipped = "skipped"  # already assigned, or not in an open status


@dataclass(frozen=True)
class AssignRequest:
    """What to assign (exactly one of ticket_numbers, backlog, from_agent) and how."""

    ticket_numbers: Sequence[str] = ()
    backlog: bool = False
    from_agent: str | None = None
    to_agent: str | None = None
    strategy: Strategy | None = None
    reassign: bool = False
    dry_run: bool = False
    limit: int | None = None
    category: str | None = None
    tenant: str | None = None
    batch_size: int = BATCH_SIZE


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

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome is outcome)

    @property
    def per_agent(self) -> Counter[str]:
        return Counter(
            row.agent_email
            for row in self.rows
            if row.outcome is Outcome.assigned and row.agent_email is not None
        )


# --- the in-memory decision ---------------------------------------------------------------


class Clock:
    """Assignment times: the wall clock, made strictly increasing within a run.

    Distinct times keep the rotation exact: an agent's last_activity_at orders them just as
    assigning one ticket at a time would.
    """

    def __init__(self) -> None:
        self._last = _NEVER

    def tick(self) -> datetime:
        now = utcnow()
        if now <= self._last:
            now = self._last + timedelta(microseconds=1)
        self._last = now
        return now

    def observe(self, moment: datetime | None) -> None:
        """Never hand out a time earlier than an activity already recorded."""
        if moment is not None and moment > self._last:
            self._last = moment


@dataclass(eq=False)
class AgentState:
    id: uuid.UUID
    email: str
    cap: int | None
    workload: int
    last_activity_at: datetime | None
    skills: dict[str, tuple[int, bool]]  # category -> (level, can_handle_escalations)
    status: str = "available"
    index: int = 0  # position in the pool
    version: int = 0  # bumped on every change; older heap entries are stale
    classes: list[TicketClass] = field(default_factory=list)

    @property
    def at_cap(self) -> bool:
        return self.cap is not None and self.workload >= self.cap

    @property
    def idle_key(self) -> datetime:
        return self.last_activity_at or _NEVER  # never active = first in the rotation

    def qualifies(self, key: ClassKey) -> bool:
        category, level, escalated = key
        if category is None:
            return not escalated or any(esc for _, esc in self.skills.values())
        skill = self.skills.get(category)
        return skill is not None and skill[0] >= level and (not escalated or skill[1])

    def level_in(self, category: str | None) -> int:
        skill = self.skills.get(category) if category is not None else None
        return skill[0] if skill is not None else 0


ClassKey = tuple[str | None, int, bool]  # (category, required level, escalated)
HeapEntry = tuple[tuple[object, ...], int, int]  # (strategy key, version, agent index)


def ticket_class(ticket: TicketRow) -> ClassKey:
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
    """A tenant's eligible agents (active, available) and the strategy that picks one."""

    def __init__(self, agents: Iterable[AgentState], strategy: Strategy) -> None:
        self.agents = list(agents)
        for index, agent in enumerate(self.agents):
            agent.index = index
        self.by_id = {agent.id: agent for agent in self.agents}
        self.strategy = strategy
        self._classes: dict[ClassKey, TicketClass] = {}

    def _sort_key(self, agent: AgentState, key: ClassKey) -> tuple[object, ...]:
        balanced = (agent.workload, agent.idle_key, agent.id)
        if self.strategy is Strategy.round_robin:
            return (agent.idle_key, agent.id)
        if self.strategy is Strategy.skill:
            return (-agent.level_in(key[0]), *balanced)
        return balanced

    def _push(self, cls: TicketClass, agent: AgentState) -> None:
        heapq.heappush(cls.heap, (self._sort_key(agent, cls.key), agent.version, agent.index))

    def _class(self, key: ClassKey) -> TicketClass:
        cls = self._classes.get(key)
        if cls is None:
            cls = TicketClass(key, [a for a in self.agents if a.qualifies(key)])
            for agent in cls.members:
                agent.classes.append(cls)
                if not agent.at_cap:
                    cls.below_cap += 1
                    self._push(cls, agent)
            self._classes[key] = cls
        return cls

    def _top(self, cls: TicketClass, exclude: uuid.UUID | None) -> AgentState | None:
        set_aside: list[HeapEntry] = []
        chosen = None
        while cls.heap:
            _, version, index = cls.heap[0]
            agent = self.agents[index]
            if version != agent.version or agent.at_cap:
                heapq.heappop(cls.heap)
            elif agent.id == exclude:
                set_aside.append(heapq.heappop(cls.heap))
            else:
                chosen = agent
                break
        for entry in set_aside:
            heapq.heappush(cls.heap, entry)
        return chosen

    def _changed(self, agent: AgentState, was_at_cap: bool) -> None:
        agent.version += 1
        for cls in agent.classes:
            cls.below_cap += int(was_at_cap) - int(agent.at_cap)
            if not agent.at_cap:
                self._push(cls, agent)

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

    def decide(self, ticket: TicketRow, exclude: uuid.UUID | None = None) -> Decision:
        """The agent for ``ticket`` (``take`` it to commit) and the reason, in plain words."""
        key = ticket_class(ticket)
        cls = self._class(key)
        agent = self._top(cls, exclude)
        if agent is None:
            if any(m.id != exclude for m in cls.members):
                return None, f"every {describe_class(key)} is at their cap", []
            return None, f"no {describe_class(key)}", []
        excluded = self.by_id.get(exclude) if exclude is not None else None
        eligible = cls.below_cap
        if excluded is not None and cls in excluded.classes and not excluded.at_cap:
            eligible -= 1
        return agent, self._reason(agent, key, eligible), []

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
    """``--to AGENT``: every ticket goes to one agent; cap, skill and status only warn."""

    def __init__(self, agent: AgentState) -> None:
        self.agent = agent

    def decide(self, ticket: TicketRow, exclude: uuid.UUID | None = None) -> Decision:
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


# --- loading from the database ------------------------------------------------------------


def _agent_states(session: Session, rows: Sequence[AgentRow]) -> list[AgentState]:
    """Workloads and skills of ``rows``: two statements, whatever the team size."""
    ids = [r.id for r in rows]
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
        )
        for r in rows
    ]


def load_decider(
    session: Session,
    tenant: str | None,
    strategy: Strategy,
    clock: Clock,
    *,
    lock: bool,
    to_agent: uuid.UUID | None = None,
    without: uuid.UUID | None = None,
) -> Decider:
    """Lock the tenant (when writing) and load who can take its tickets.

    The lock comes first, so the workloads read next include everything committed by the
    `assign` that held it before us.
    """
    rows = repo.lock_and_load_agents(session, tenant, lock=lock)
    for row in rows:
        clock.observe(row.last_activity_at)
    if to_agent is not None:
        target = [r for r in rows if r.id == to_agent]
        return ManualTarget(_agent_states(session, target)[0])
    eligible = [r for r in rows if r.is_active and r.status == "available" and r.id != without]
    return Pool(_agent_states(session, eligible), strategy)


# --- one ticket ---------------------------------------------------------------------------


@dataclass
class _Run:
    """The state of one `assign` run: its clock, output rows and pending writes."""

    strategy: str
    moving: bool  # --from or --reassign: assigned tickets may change hands
    clock: Clock = field(default_factory=Clock)
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

    def flush(self, session: Session, *, dry_run: bool, batch_size: int) -> None:
        if not dry_run:
            for start in range(0, len(self.writes), batch_size):
                repo.write_assignments(session, self.writes[start : start + batch_size])
        self.writes.clear()


# --- the command ----------------------------------------------------------------------------


def _validate(request: AssignRequest) -> None:
    modes = sum([bool(request.ticket_numbers), request.backlog, request.from_agent is not None])
    if modes == 0:
        raise UsageError("say which tickets: name them, or use --backlog or --from AGENT")
    if modes > 1:
        raise UsageError("use only one of TICKET_NUMBER..., --backlog and --from AGENT")
    if request.ticket_numbers and (request.limit is not None or request.category is not None):
        raise UsageError("--limit and --category go with --backlog or --from, not ticket numbers")
    if request.limit is not None and request.limit < 1:
        raise UsageError(f"--limit must be at least 1, not {request.limit}")
    if request.to_agent is not None and request.strategy is not None:
        raise UsageError("--to assigns by hand; leave out --strategy")
    if request.batch_size < 1:
        raise UsageError("the batch size must be at least 1")


def _tenant_name(tenant: str | None) -> str:
    return f"tenant {tenant!r}" if tenant is not None else "no tenant"


def _check_target(target: AgentRow | None, tenant: str | None, what: str) -> None:
    if target is None:
        return
    if not target.is_active:
        raise UsageError(f"agent {target.email} is inactive; assign to an active agent")
    if target.tenant_id != tenant:
        raise UsageError(
            f"{what} is in {_tenant_name(tenant)} but {target.email} is in "
            f"{_tenant_name(target.tenant_id)}; tickets never cross tenants"
        )


def _agent_row(session: Session, ref: str | None, tenant: str | None) -> AgentRow | None:
    if ref is None:
        return None
    agent = resolve_agent(session, ref, tenant)
    return AgentRow(
        agent.id, agent.email, agent.tenant_id, agent.max_open_tickets, agent.is_active, "", None
    )


def assign(
    db: Database, request: AssignRequest, progress: ProgressCallback | None = None
) -> AssignResult:
    """Assign the named tickets, the backlog, or one agent's open work."""
    _validate(request)
    if request.ticket_numbers:
        return _assign_named(db, request)
    return _assign_work(db, request, progress)


def _strategy_name(request: AssignRequest) -> str:
    if request.to_agent is not None:
        return MANUAL
    return (request.strategy or Strategy.balanced).value


def _assign_named(db: Database, request: AssignRequest) -> AssignResult:
    """Named tickets: one transaction, so an unknown number or a bad --to changes nothing."""
    numbers = list(dict.fromkeys(n.strip() for n in request.ticket_numbers))
    strategy = request.strategy or Strategy.balanced
    run = _Run(_strategy_name(request), moving=request.reassign)
    run.result.dry_run = request.dry_run
    lock = not request.dry_run
    with db.session(write=lock) as session:
        tickets = repo.find_tickets(session, numbers, request.tenant, lock=lock)
        target = _agent_row(session, request.to_agent, request.tenant)
        for ticket in tickets:
            _check_target(target, ticket.tenant_id, f"ticket {ticket.ticket_number}")
        current = {t.assigned_to_user_id for t in tickets if t.assigned_to_user_id is not None}
        emails = repo.agent_emails(session, sorted(current))
        tenants = sorted({t.tenant_id for t in tickets}, key=lambda t: (t is not None, t or ""))
        # One tenant at a time, in a fixed order, so two runs never wait on each other.
        deciders = {
            tenant: load_decider(
                session,
                tenant,
                strategy,
                run.clock,
                lock=lock,
                to_agent=target.id if target else None,
            )
            for tenant in tenants
        }
        for ticket in tickets:
            run.handle(deciders[ticket.tenant_id], ticket, emails)
        run.flush(session, dry_run=request.dry_run, batch_size=request.batch_size)
    return run.result


def _assign_work(
    db: Database, request: AssignRequest, progress: ProgressCallback | None
) -> AssignResult:
    """The backlog, or an agent's open work: batches, each one short transaction."""
    strategy = request.strategy or Strategy.balanced
    run = _Run(_strategy_name(request), moving=request.from_agent is not None)
    run.result.dry_run = request.dry_run
    lock = not request.dry_run
    with db.session() as session:
        source = _agent_row(session, request.from_agent, request.tenant)
        target = _agent_row(session, request.to_agent, request.tenant)
        if source is not None:
            tenants = [source.tenant_id]
            _check_target(target, source.tenant_id, f"{source.email}'s work")
            if target is not None and target.id == source.id:
                raise UsageError(f"--from and --to both name {source.email}")
        elif target is not None:
            tenants = [target.tenant_id]  # --to takes only its own tenant's backlog
            _check_target(target, target.tenant_id, "the backlog")
        else:
            tenants = repo.backlog_tenants(session, request.tenant, request.category)
        assignee = source.id if source is not None else None
        total = sum(repo.count_work(session, t, assignee, request.category) for t in tenants)
    if request.limit is not None:
        total = min(total, request.limit)
    emails = {source.id: source.email} if source is not None else {}
    remaining = total
    done = 0
    for tenant in tenants:
        after: BacklogKey | None = None
        decider: Decider | None = None
        while remaining > 0:
            size = min(request.batch_size, remaining)
            with db.session(write=lock) as session:
                if decider is None or lock:  # a dry run keeps its own picture of the load
                    decider = load_decider(
                        session,
                        tenant,
                        strategy,
                        run.clock,
                        lock=lock,
                        to_agent=target.id if target else None,
                        without=assignee,
                    )
                tickets = repo.claim_work(
                    session,
                    tenant,
                    assignee=assignee,
                    category=request.category,
                    after=after,
                    limit=size,
                    lock=lock,
                )
                for ticket in tickets:
                    run.handle(decider, ticket, emails)
                run.flush(session, dry_run=request.dry_run, batch_size=request.batch_size)
            remaining -= len(tickets)
            done += len(tickets)
            if progress is not None:
                progress(done, total)
            if len(tickets) < size:
                break
            after = tickets[-1].backlog_key
    return run.result
