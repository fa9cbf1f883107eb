"""Assignment: which agent gets which ticket, and why (DESIGN.md, "Assignment rules").

The decisions are made in memory by ``assignment_engine`` (no database there); this module
runs them: it validates the request, reads the work, and works it in batches.

Work is done per tenant and never across tenants. A batch is one transaction: lock the
tenant's agents in id order (serializing every `assign` on that tenant), bring them up to
date, claim the batch's tickets, decide, write, commit. Each batch is atomic, not the run:
an interrupted run keeps the batches it committed (:class:`AssignInterrupted` says how many).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from agentctl.database import Database
from agentctl.errors import AgentctlError, UsageError
from agentctl.repository import assignment as repo
from agentctl.repository.assignment import AgentRow
from agentctl.repository.lookup import find_agent
from agentctl.services.assignment_engine import MANUAL, Clock, Decider, Outcome, Strategy
from agentctl.services.assignment_run import (
    START_BATCH,
    AgentBook,
    Assignment,
    AssignResult,
    BatchSizer,
    ProgressCallback,
    Run,
    Shifts,
)
from agentctl.timeutil import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "BATCH_SIZE",
    "AssignInterrupted",
    "AssignRequest",
    "AssignResult",
    "Assignment",
    "Outcome",
    "ProgressCallback",
    "Strategy",
    "assign",
]

BATCH_SIZE = START_BATCH
MAX_CLAIM = 10_000  # ticket ids in one claim, however widened


@dataclass(frozen=True)
class AssignRequest:
    """What to assign (exactly one of ticket_numbers, backlog, from_agent, from_off_shift)
    and how."""

    ticket_numbers: Sequence[str] = ()
    backlog: bool = False
    from_agent: str | None = None
    from_off_shift: bool = False
    to_agent: str | None = None
    strategy: Strategy | None = None
    reassign: bool = False
    dry_run: bool = False
    limit: int | None = None
    category: str | None = None
    tenant: str | None = None
    batch_size: int | None = None  # None: adapt to the lock wait
    now: Callable[[], datetime] = utcnow  # the assignment time (shifts, time off, logs)


class AssignInterrupted(AgentctlError):
    """Ctrl-C between or inside batches: the committed batches stay, the rest is untouched."""

    def __init__(self, result: AssignResult) -> None:
        if result.dry_run:
            message = "interrupted: dry run, nothing changed"
        else:
            message = (
                f"interrupted: {result.committed:,} tickets assigned in committed batches; "
                "the rest untouched"
            )
        super().__init__(message)
        self.result = result


def _validate(request: AssignRequest) -> None:
    modes = sum([bool(request.ticket_numbers), request.backlog, request.from_agent is not None])
    if request.from_off_shift and modes:
        raise UsageError(
            "--from-off-shift picks its own tickets; leave out TICKET_NUMBER..., --backlog "
            "and --from"
        )
    if modes == 0 and not request.from_off_shift:
        raise UsageError("say which tickets: name them, or use --backlog or --from AGENT")
    if modes > 1:
        raise UsageError("use only one of TICKET_NUMBER..., --backlog and --from AGENT")
    if request.ticket_numbers and (request.limit is not None or request.category is not None):
        raise UsageError("--limit and --category go with --backlog or --from, not ticket numbers")
    if request.limit is not None and request.limit < 1:
        raise UsageError(f"--limit must be at least 1, not {request.limit}")
    if request.to_agent is not None and request.strategy is not None:
        raise UsageError("--to assigns by hand; leave out --strategy")
    if request.from_off_shift and request.to_agent is not None:
        raise UsageError("--from-off-shift moves work to eligible agents; leave out --to")
    if request.batch_size is not None and request.batch_size < 1:
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
    agent = find_agent(session, ref, tenant)
    return AgentRow(
        agent.id, agent.email, agent.tenant_id, agent.max_open_tickets, agent.is_active, "", None
    )


def _strategy_name(request: AssignRequest) -> str:
    if request.to_agent is not None:
        return MANUAL
    return (request.strategy or Strategy.balanced).value


@contextmanager
def _transaction(db: Database, *, write: bool) -> Iterator[Session]:
    """One transaction of a run. One that only reads (the plan; each batch of a dry run)
    goes through a Core connection, so a dry run never imports the ORM: the repository's
    reads only execute statements, which a Connection runs as a Session does."""
    if write:
        with db.session(write=True) as session:
            yield session
    else:
        with db.connect() as connection:
            yield cast("Session", connection)


def assign(
    db: Database,
    request: AssignRequest,
    progress: ProgressCallback | None = None,
    stop: Callable[[], bool] | None = None,
) -> AssignResult:
    """Assign the named tickets, the backlog, or agents' open work.

    ``stop`` is asked after each committed batch; when it says so, the run ends there with
    :class:`AssignInterrupted` (so is a KeyboardInterrupt inside a batch, rolled back).
    """
    _validate(request)
    if request.ticket_numbers:
        return _assign_named_retrying(db, request)
    return _assign_work(db, request, progress, stop)


def _assign_named_retrying(db: Database, request: AssignRequest) -> AssignResult:
    """A deadlock victim (another engine's lock order, a concurrent writer) retries once."""
    try:
        return _assign_named(db, request)
    except AgentctlError as exc:
        if not repo.is_deadlock(exc):
            raise
    return _assign_named(db, request)


def _assign_named(db: Database, request: AssignRequest) -> AssignResult:
    """Named tickets: one transaction, so an unknown number or a bad --to changes nothing."""
    numbers = list(dict.fromkeys(n.strip() for n in request.ticket_numbers))
    strategy = request.strategy or Strategy.balanced
    clock = Clock(request.now)
    run = Run(_strategy_name(request), moving=request.reassign, clock=clock)
    run.result.dry_run = request.dry_run
    at = request.now()
    with _transaction(db, write=not request.dry_run) as session:
        tickets = repo.find_tickets(session, numbers, request.tenant, lock=not request.dry_run)
        target = _agent_row(session, request.to_agent, request.tenant)
        for ticket in tickets:
            _check_target(target, ticket.tenant_id, f"ticket {ticket.ticket_number}")
        current = {t.assigned_to_user_id for t in tickets if t.assigned_to_user_id is not None}
        emails = repo.agent_emails(session, sorted(current))
        tenants = sorted({t.tenant_id for t in tickets}, key=lambda t: (t is not None, t or ""))
        # One tenant at a time, in a fixed order, so two runs never wait on each other.
        deciders = {
            tenant: AgentBook(
                tenant,
                strategy,
                clock,
                dry_run=request.dry_run,
                to_agent=target.id if target else None,
            ).refresh(session, at)
            for tenant in tenants
        }
        for ticket in tickets:
            run.handle(deciders[ticket.tenant_id], ticket, emails)
        run.result.committed = run.flush(session, dry_run=request.dry_run)
    if request.dry_run:
        run.result.committed = 0
    return run.result


@dataclass
class _Work:
    """One tenant's share of a run: whose tickets, and their ids in backlog order."""

    tenant: str | None
    sources: list[uuid.UUID]  # empty: the unassigned backlog
    ids: list[uuid.UUID]


def _plan(
    db: Database, request: AssignRequest
) -> tuple[list[_Work], AgentRow | None, dict[uuid.UUID, str]]:
    """Which tickets, per tenant, in order; the --to target; the sources' emails."""
    with _transaction(db, write=False) as session:
        source = _agent_row(session, request.from_agent, request.tenant)
        target = _agent_row(session, request.to_agent, request.tenant)
        plan: list[tuple[str | None, list[uuid.UUID]]]
        emails: dict[uuid.UUID, str] = {}
        if source is not None:
            plan = [(source.tenant_id, [source.id])]
            emails[source.id] = source.email
            _check_target(target, source.tenant_id, f"{source.email}'s work")
            if target is not None and target.id == source.id:
                raise UsageError(f"--from and --to both name {source.email}")
        elif request.from_off_shift:
            plan = _off_shift_sources(session, request, emails)
        elif target is not None:
            plan = [(target.tenant_id, [])]  # --to takes only its own tenant's backlog
            _check_target(target, target.tenant_id, "the backlog")
        else:
            tenants = repo.backlog_tenants(session, request.tenant, request.category)
            plan = [(tenant, []) for tenant in tenants]
        work: list[_Work] = []
        remaining = request.limit
        for tenant, sources in plan:
            if remaining is not None and remaining <= 0:
                break
            ids = repo.work_order(
                session, tenant, assignees=sources, category=request.category, limit=remaining
            )
            if remaining is not None:
                remaining -= len(ids)
            work.append(_Work(tenant, sources, ids))
    return work, target, emails


def _off_shift_sources(
    session: Session, request: AssignRequest, emails: dict[uuid.UUID, str]
) -> list[tuple[str | None, list[uuid.UUID]]]:
    """Per tenant, the agents holding open work who are now off shift or on time off."""
    at = request.now()
    holders = repo.holders_of_work(session, request.tenant)
    plan: dict[str | None, list[uuid.UUID]] = {}
    shifts: dict[str | None, Shifts] = {}
    for agent in holders:
        if agent.tenant_id not in shifts:
            shifts[agent.tenant_id] = Shifts(session, agent.tenant_id, at)
        if shifts[agent.tenant_id].absence(agent.id, at) is not None:
            plan.setdefault(agent.tenant_id, []).append(agent.id)
            emails[agent.id] = agent.email
    return list(plan.items())


def _assign_work(
    db: Database,
    request: AssignRequest,
    progress: ProgressCallback | None,
    stop: Callable[[], bool] | None,
) -> AssignResult:
    """The backlog, or agents' open work: batches, each one short transaction."""
    strategy = request.strategy or Strategy.balanced
    work, target, emails = _plan(db, request)
    moving = request.from_agent is not None or request.from_off_shift
    run = Run(_strategy_name(request), moving=moving, clock=Clock(request.now))
    run.result.dry_run = request.dry_run
    total = sum(len(w.ids) for w in work)
    sizer = BatchSizer(request.batch_size)
    done = 0
    try:
        for share in work:
            book = AgentBook(
                share.tenant,
                strategy,
                run.clock,
                dry_run=request.dry_run,
                to_agent=target.id if target else None,
                without=frozenset(share.sources),
            )
            position = 0
            while position < len(share.ids):
                before = position
                started = time.perf_counter()
                with _transaction(db, write=not request.dry_run) as session:
                    decider = book.refresh(session, request.now())
                    sizer.observe(time.perf_counter() - started, book.contended)
                    position = _fill_batch(
                        session, run, decider, share, position, sizer.size, emails, request
                    )
                    written = run.flush(session, dry_run=request.dry_run)
                if not request.dry_run:
                    run.result.committed += written
                book.committed()
                done += position - before
                if progress is not None:
                    progress(done, total)
                if stop is not None and stop() and done < total:
                    raise AssignInterrupted(run.result)
    except KeyboardInterrupt:
        raise AssignInterrupted(run.result) from None
    return run.result


def _fill_batch(
    session: Session,
    run: Run,
    decider: Decider,
    share: _Work,
    position: int,
    size: int,
    emails: dict[uuid.UUID, str],
    request: AssignRequest,
) -> int:
    """Claim and decide ``share``'s tickets from ``position`` until the batch holds
    ``size`` assignments, or the work ends; returns the new position (claimed tickets past
    the last one decided are left, unlocked at commit, to the next batch).

    A window of tickets can yield fewer assignments than it holds: tickets another run
    took meanwhile no longer match the claim, and tickets nobody can take (no agent with
    the skill) are decided but write nothing. Then the next window is widened by the
    yield seen so far (at most doubled), so concurrent runs share the work, and a backlog
    full of tickets nobody can take still moves in batches of ``size`` assignments, in a
    few claims, not in one batch (lock, claim, commit) per ``size`` tickets.
    """
    assigned = claimed = 0
    window = size
    while position < len(share.ids):
        ids = share.ids[position : position + window]
        tickets = repo.claim_tickets(
            session, ids, assignees=share.sources, lock=not request.dry_run
        )
        for ticket in tickets:
            pending = len(run.writes)
            run.handle(decider, ticket, emails)
            assigned += len(run.writes) - pending
            if assigned >= size:  # full: the window's undecided rest goes to the next batch
                return position + ids.index(ticket.id) + 1
        position += len(ids)
        claimed += len(ids)
        shortfall = size - assigned
        # As many as the yield so far says the shortfall needs, but at most twice the last
        # window: a stretch that yielded nothing (another run's batch just ahead) says
        # little about the tickets past it, which are often all free.
        needed = -(-shortfall * claimed // max(assigned, 1))
        window = min(MAX_CLAIM, 2 * window, max(shortfall, needed))
    return position
