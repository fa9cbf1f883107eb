"""Report runs: recording them, their leases, and what a ``--new-only`` schedule delivered.

A scheduled run is claimed as a *lease*: the row says who runs it (``claimed_by``) and
until when (``lease_expires_at``), and the runner renews the lease while it works. A run
still ``running`` after its lease expired belongs to a process that died; the next tick
or daemon takes it over with a compare-and-set on the old row (:func:`take_over`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from importlib import import_module
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    and_,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

# Core tables: recording a run needs no ORM (``report`` runs on ``Database.connect``,
# issue 15). The two reads that return runs as objects import the models themselves.
from agentctl.columns import ReportRun, ScheduleDelivery, Ticket
from agentctl.repository.common import core_connection, tenant_filter
from agentctl.timeutil import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from agentctl import models
    from agentctl.repository.common import Reader

# Keys per statement when mapping tickets or inserting deliveries: far below both
# databases' bound-parameter limits.
_CHUNK = 500


def insert_run(
    session: Reader,
    *,
    report_type: str,
    fmt: str,
    tenant: str | None,
    recipients: Sequence[str],
    output_path: str | None = None,
    schedule_id: uuid.UUID | None = None,
    schedule_name: str | None = None,
    occurrence_at: datetime | None = None,
    claimed_by: str | None = None,
    lease_expires_at: datetime | None = None,
    takeover_of_run_id: uuid.UUID | None = None,
) -> uuid.UUID:
    run_id = uuid.uuid4()
    values = dict(
        id=run_id,
        schedule_id=schedule_id,
        schedule_name=schedule_name,
        tenant_id=tenant,
        report_type=report_type,
        format=fmt,
        status="running",
        started_at=utcnow(),
        occurrence_at=occurrence_at,
        recipients=list(recipients),
        output_path=output_path,
        claimed_by=claimed_by,
        lease_expires_at=lease_expires_at,
        takeover_of_run_id=takeover_of_run_id,
    )
    session.execute(insert(ReportRun).values(**values))
    return run_id


def finish_run(
    session: Reader,
    run_id: uuid.UUID,
    *,
    status: str,
    rows: int | None,
    size: int | None,
    output_path: str | None,
    error: str | None,
    deliveries: dict[str, Any] | None = None,
) -> bool:
    """End a run that is still ``running``; False when it had ended (e.g. taken over)."""
    result = session.execute(
        update(ReportRun)
        .where(ReportRun.id == run_id, ReportRun.status == "running")
        .values(
            status=status,
            rows=rows,
            bytes=size,
            output_path=output_path,
            error=error,
            deliveries=deliveries,
            finished_at=utcnow(),
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def renew_lease(
    session: Reader, run_id: uuid.UUID, claimed_by: str, lease_expires_at: datetime
) -> bool:
    """Move the lease on; False when the run is no longer ours (ended or taken over)."""
    result = session.execute(
        update(ReportRun)
        .where(
            ReportRun.id == run_id,
            ReportRun.status == "running",
            ReportRun.claimed_by == claimed_by,
        )
        .values(lease_expires_at=lease_expires_at)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def expired_leases(
    session: Session,
    now: datetime,
    tenant: str | None,
    *,
    schedule_ids: Sequence[uuid.UUID] | None = None,
) -> list[tuple[models.ReportRun, models.ScheduledReport]]:
    """Scheduled runs still ``running`` whose lease ran out, with their (active) schedule."""
    from agentctl.models import ReportRun, ScheduledReport  # runs as objects

    query = (
        select(ReportRun, ScheduledReport)
        .join(ScheduledReport, ScheduledReport.id == ReportRun.schedule_id)
        .where(
            ReportRun.status == "running",
            ReportRun.lease_expires_at.is_not(None),
            ReportRun.lease_expires_at < now,
            ScheduledReport.is_active.is_(True),
            tenant_filter(ScheduledReport.tenant_id, tenant),
        )
        .order_by(ReportRun.lease_expires_at, ReportRun.id)
    )
    if schedule_ids is not None:
        query = query.where(ReportRun.schedule_id.in_(list(schedule_ids)))
    return [(run, schedule) for run, schedule in session.execute(query)]


def take_over(
    session: Reader,
    old: models.ReportRun,
    *,
    claimed_by: str,
    lease_expires_at: datetime,
) -> uuid.UUID | None:
    """Fail the expired run and start a new one for its occurrence, if nobody did first.

    The compare-and-set is on the old row's status and lease as read: of any number of
    processes that found the same expired lease, one sees rowcount 1.
    """
    result = session.execute(
        update(ReportRun)
        .where(
            ReportRun.id == old.id,
            ReportRun.status == "running",
            ReportRun.lease_expires_at == old.lease_expires_at,
        )
        .values(
            status="failed",
            error=f"lease expired; taken over by {claimed_by}",
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        return None
    return insert_run(
        session,
        report_type=old.report_type,
        fmt=old.format,
        tenant=old.tenant_id,
        recipients=list(old.recipients or []),
        schedule_id=old.schedule_id,
        schedule_name=old.schedule_name,
        occurrence_at=old.occurrence_at,
        claimed_by=claimed_by,
        lease_expires_at=lease_expires_at,
        takeover_of_run_id=old.id,
    )


# --- what a --new-only schedule delivered ----------------------------------------------

DeliveryKey = tuple[str | None, str, datetime]  # (tenant_id, ticket_number, due time)


def delivered_keys(session: Reader, schedule_id: uuid.UUID) -> set[DeliveryKey]:
    """Every (tenant, ticket number, due time) this schedule delivered, in one statement."""
    query = (
        select(Ticket.tenant_id, Ticket.ticket_number, ScheduleDelivery.due_at)
        .join(Ticket, Ticket.id == ScheduleDelivery.ticket_id)
        .where(ScheduleDelivery.schedule_id == schedule_id)
    )
    return {(tenant, number, due) for tenant, number, due in session.execute(query)}


def _ticket_ids(
    session: Reader, keys: Sequence[tuple[str | None, str]]
) -> dict[tuple[str | None, str], uuid.UUID]:
    found: dict[tuple[str | None, str], uuid.UUID] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        with_tenant = [(t, n) for t, n in chunk if t is not None]
        without = [n for t, n in chunk if t is None]
        conditions: list[ColumnElement[bool]] = []
        if with_tenant:
            conditions.append(tuple_(Ticket.tenant_id, Ticket.ticket_number).in_(with_tenant))
        if without:
            conditions.append(and_(Ticket.tenant_id.is_(None), Ticket.ticket_number.in_(without)))
        query = select(Ticket.id, Ticket.tenant_id, Ticket.ticket_number).where(or_(*conditions))
        for ticket_id, tenant, number in session.execute(query):
            found[(tenant, number)] = ticket_id
    return found


def record_deliveries(
    session: Reader, schedule_id: uuid.UUID, run_id: uuid.UUID, keys: Iterable[DeliveryKey]
) -> int:
    """Remember the delivered rows by key; a key already recorded is kept as it was."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return 0
    ids = _ticket_ids(session, list(dict.fromkeys((t, n) for t, n, _ in wanted)))
    now = utcnow()
    values = [
        {
            "id": uuid.uuid4(),
            "schedule_id": schedule_id,
            "ticket_id": ids[(tenant, number)],
            "due_at": due,
            "run_id": run_id,
            "delivered_at": now,
        }
        for tenant, number, due in wanted
        if (tenant, number) in ids
    ]
    dialect = core_connection(session).dialect.name
    # The dialect's module only where it is the database's (PostgreSQL's loads in ~60 ms).
    name = "postgresql" if dialect == "postgresql" else "sqlite"
    insert = import_module(f"sqlalchemy.dialects.{name}").insert
    for start in range(0, len(values), _CHUNK):
        statement = insert(ScheduleDelivery).on_conflict_do_nothing(
            index_elements=["schedule_id", "ticket_id", "due_at"]
        )
        session.execute(statement, values[start : start + _CHUNK])
    return len(values)


# --- history -----------------------------------------------------------------------------


def run_history(
    session: Session,
    tenant: str | None,
    *,
    schedule_id: uuid.UUID | None = None,
    schedule_name: str | None = None,
    scheduled_only: bool = False,
    status: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """The latest runs, newest first: ad hoc and scheduled, removed schedules included."""
    from agentctl.models import ReportRun, ScheduledReport  # runs as objects

    name = func.coalesce(ReportRun.schedule_name, ScheduledReport.name)
    query = (
        select(ReportRun, name)
        .outerjoin(ScheduledReport, ScheduledReport.id == ReportRun.schedule_id)
        .where(tenant_filter(ReportRun.tenant_id, tenant))
    )
    if schedule_id is not None:
        query = query.where(ReportRun.schedule_id == schedule_id)
    elif schedule_name is not None:
        query = query.where(ReportRun.schedule_name == schedule_name)
    if scheduled_only:
        query = query.where(
            or_(ReportRun.schedule_id.is_not(None), ReportRun.schedule_name.is_not(None))
        )
    if status is not None:
        query = query.where(ReportRun.status == status)
    query = query.order_by(ReportRun.started_at.desc(), ReportRun.id).limit(limit)
    return [
        {
            "id": run.id,
            "schedule_name": run_schedule,
            "report_type": run.report_type,
            "format": run.format,
            "status": run.status,
            "occurrence": run.occurrence_at,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "rows": run.rows,
            "bytes": run.bytes,
            "recipients": list(run.recipients or []),
            "output_path": run.output_path,
            "error": run.error,
            "claimed_by": run.claimed_by,
            "takeover_of": run.takeover_of_run_id,
            "deliveries": run.deliveries,
        }
        for run, run_schedule in session.execute(query)
    ]
