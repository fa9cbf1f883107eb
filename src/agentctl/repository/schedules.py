"""Scheduled reports and their runs: every query the scheduler makes.

The one that matters most is :func:`claim_occurrence`, the compare-and-set on
``next_run_at`` that makes each occurrence run exactly once across processes and machines.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agentctl.errors import NotFoundError, UsageError
from agentctl.models import ScheduledReport
from agentctl.repository import runs
from agentctl.repository.common import same_tenant, tenant_filter
from agentctl.timeutil import utcnow


def _as_uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def name_taken(session: Session, name: str, tenant: str | None) -> bool:
    query = select(func.count()).where(
        same_tenant(ScheduledReport.tenant_id, tenant), ScheduledReport.name == name
    )
    return bool(session.scalar(query))


def insert_schedule(session: Session, **fields: Any) -> ScheduledReport:
    """Insert a schedule; a name already used in the tenant is a UsageError (exit 2)."""
    schedule = ScheduledReport(**fields)
    session.add(schedule)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Another process added the same name between our check and this insert.
        where = f" in tenant {fields.get('tenant_id')!r}" if fields.get("tenant_id") else ""
        raise UsageError(f"a schedule named {fields.get('name')!r} already exists{where}") from None
    return schedule


def resolve_schedule(session: Session, ref: str, tenant: str | None) -> ScheduledReport:
    """The schedule named by id or name (within ``tenant`` if set)."""
    ref = ref.strip()
    query = select(ScheduledReport).where(tenant_filter(ScheduledReport.tenant_id, tenant))
    schedule_id = _as_uuid(ref)
    if schedule_id is not None:
        by_id = session.scalars(query.where(ScheduledReport.id == schedule_id)).first()
        if by_id is not None:
            return by_id
    found = list(session.scalars(query.where(ScheduledReport.name == ref).limit(2)))
    where = f" in tenant {tenant!r}" if tenant is not None else ""
    if not found:
        raise NotFoundError(f"unknown schedule {ref!r}{where}; see `agentctl schedule list`")
    if len(found) > 1:
        raise UsageError(f"schedule {ref!r} exists in several tenants; name one with --tenant")
    return found[0]


def list_schedules(
    session: Session, tenant: str | None, *, active_only: bool = False
) -> list[ScheduledReport]:
    query = select(ScheduledReport).where(tenant_filter(ScheduledReport.tenant_id, tenant))
    if active_only:
        query = query.where(ScheduledReport.is_active.is_(True))
    order = (ScheduledReport.tenant_id, ScheduledReport.name)
    return list(session.scalars(query.order_by(*order)))


def get_schedule(session: Session, schedule_id: uuid.UUID) -> ScheduledReport | None:
    return session.get(ScheduledReport, schedule_id)


def set_active(
    session: Session, schedule: ScheduledReport, active: bool, next_run_at: datetime | None
) -> None:
    schedule.is_active = active
    schedule.next_run_at = next_run_at
    session.flush()


def update_schedule(session: Session, schedule: ScheduledReport, **fields: Any) -> None:
    for key, value in fields.items():
        setattr(schedule, key, value)
    schedule.updated_at = utcnow()
    session.flush()


def delete_schedule(session: Session, schedule: ScheduledReport) -> None:
    session.execute(delete(ScheduledReport).where(ScheduledReport.id == schedule.id))


def due_schedules(
    session: Session,
    now: datetime,
    tenant: str | None,
    *,
    schedule_ids: Sequence[uuid.UUID] | None = None,
) -> list[ScheduledReport]:
    """Active schedules whose next_run_at has come, the longest-waiting first."""
    query = select(ScheduledReport).where(
        tenant_filter(ScheduledReport.tenant_id, tenant),
        ScheduledReport.is_active.is_(True),
        ScheduledReport.next_run_at.is_not(None),
        ScheduledReport.next_run_at <= now,
    )
    if schedule_ids is not None:
        query = query.where(ScheduledReport.id.in_(list(schedule_ids)))
    order = (ScheduledReport.next_run_at, ScheduledReport.name, ScheduledReport.id)
    return list(session.scalars(query.order_by(*order)))


def claim_occurrence(
    session: Session,
    schedule: ScheduledReport,
    *,
    seen_next_run_at: datetime,
    next_run_at: datetime | None,
    occurrence_at: datetime,
    claimed_by: str,
    lease_expires_at: datetime,
) -> uuid.UUID | None:
    """Compare-and-set on next_run_at, and the run row with its lease; None if we lost.

    Exactly one of any number of racing processes sees rowcount 1; the others skip the
    occurrence. The value compared is the one read back from the database, so SQLite's
    text timestamps and PostgreSQL's timestamptz compare equal to themselves exactly.
    The run row is written in the same transaction: a claim never exists without its run.
    """
    result = session.execute(
        update(ScheduledReport)
        .where(
            ScheduledReport.id == schedule.id,
            ScheduledReport.next_run_at == seen_next_run_at,
            ScheduledReport.is_active.is_(True),
        )
        .values(next_run_at=next_run_at, last_run_at=occurrence_at, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        return None
    return runs.insert_run(
        session,
        report_type=schedule.report_type,
        fmt=schedule.format,
        tenant=schedule.tenant_id,
        recipients=list(schedule.recipients or []),
        schedule_id=schedule.id,
        schedule_name=schedule.name,
        occurrence_at=occurrence_at,
        claimed_by=claimed_by,
        lease_expires_at=lease_expires_at,
    )


def initialize_next_runs(session: Session, schedule_id: uuid.UUID, next_run_at: datetime) -> bool:
    """Give an active schedule with no next_run_at one (only if it still has none)."""
    result = session.execute(
        update(ScheduledReport)
        .where(ScheduledReport.id == schedule_id, ScheduledReport.next_run_at.is_(None))
        .values(next_run_at=next_run_at)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1
