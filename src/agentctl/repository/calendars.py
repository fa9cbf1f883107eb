"""Business calendars and SLA policies: lookups by name, and who uses a calendar."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agentctl.errors import NotFoundError, UsageError
from agentctl.models import Agent, BusinessCalendar, SlaPolicy
from agentctl.repository.common import same_tenant, tenant_filter

Named = TypeVar("Named", BusinessCalendar, SlaPolicy)


def find_named(
    session: Session, model: type[Named], name: str, tenant: str | None, *, kind: str, hint: str
) -> Named:
    """The calendar or policy called ``name`` in ``tenant``.

    Without --tenant: the single-tenant desk's (null tenant) if it has one, else the only
    tenant's that has the name; refused when several tenants have it.
    """
    found = list(
        session.scalars(
            select(model).where(model.name == name.strip(), tenant_filter(model.tenant_id, tenant))
        )
    )
    if tenant is None and len(found) > 1:
        found = [row for row in found if row.tenant_id is None] or found
    if not found:
        where = f" in tenant {tenant!r}" if tenant is not None else ""
        raise NotFoundError(f"unknown {kind} {name!r}{where}; see `{hint}`")
    if len(found) > 1:
        raise UsageError(f"{kind} {name!r} exists in several tenants; name one with --tenant")
    return found[0]


def name_taken(session: Session, model: type[Named], name: str, tenant: str | None) -> bool:
    query = select(model.id).where(model.name == name, same_tenant(model.tenant_id, tenant))
    return session.scalar(query.limit(1)) is not None


def list_calendars(session: Session, tenant: str | None) -> list[BusinessCalendar]:
    query = (
        select(BusinessCalendar)
        .where(tenant_filter(BusinessCalendar.tenant_id, tenant))
        .order_by(BusinessCalendar.tenant_id, BusinessCalendar.name)
    )
    return list(session.scalars(query))


def clear_default(session: Session, tenant: str | None, keep: uuid.UUID | None = None) -> None:
    """Unset the tenant's default calendar (all but ``keep``), before setting a new one."""
    query = update(BusinessCalendar).where(
        same_tenant(BusinessCalendar.tenant_id, tenant), BusinessCalendar.is_default.is_(True)
    )
    if keep is not None:
        query = query.where(BusinessCalendar.id != keep)
    session.execute(query.values(is_default=False))
    session.flush()


def calendar_users(session: Session, calendar_id: uuid.UUID) -> tuple[list[str], list[str]]:
    """(policy names, agent emails) that use the calendar."""
    policies = session.scalars(
        select(SlaPolicy.name).where(SlaPolicy.calendar_id == calendar_id).order_by(SlaPolicy.name)
    )
    agents = session.scalars(
        select(Agent.email).where(Agent.calendar_id == calendar_id).order_by(Agent.email)
    )
    return list(policies), list(agents)


def calendar_names(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(BusinessCalendar.id, BusinessCalendar.name).where(BusinessCalendar.id.in_(ids))
    )
    return {row[0]: row[1] for row in rows}


def list_policies(session: Session, tenant: str | None) -> list[SlaPolicy]:
    query = (
        select(SlaPolicy)
        .where(tenant_filter(SlaPolicy.tenant_id, tenant))
        .order_by(SlaPolicy.tenant_id, SlaPolicy.position, SlaPolicy.name)
    )
    return list(session.scalars(query))


def tenant_policies(session: Session, tenant: str | None) -> list[SlaPolicy]:
    """One tenant's policies in evaluation order (null tenant = the single-tenant desk)."""
    query = (
        select(SlaPolicy)
        .where(same_tenant(SlaPolicy.tenant_id, tenant))
        .order_by(SlaPolicy.position, SlaPolicy.name)
        .with_for_update()
    )
    return list(session.scalars(query))


def rule_rows(
    session: Session, tenant: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(policy rows, calendar rows) for slapolicy.SlaRules.build: two statements."""
    policy_columns = [c for c in SlaPolicy.__table__.c]
    calendar_columns = [c for c in BusinessCalendar.__table__.c]
    policies = session.execute(
        select(*policy_columns).where(tenant_filter(SlaPolicy.tenant_id, tenant))
    )
    calendars = session.execute(
        select(*calendar_columns).where(tenant_filter(BusinessCalendar.tenant_id, tenant))
    )
    return [dict(r._mapping) for r in policies], [dict(r._mapping) for r in calendars]
