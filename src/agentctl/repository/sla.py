"""The SQL behind ``sla apply``: stream every ticket's SLA inputs, write the changed rows.

A million tickets must take well under a minute, so this bypasses the ORM like
``repository.bulk`` does: tickets are read in keyset pages (``id > last ORDER BY id``, the
primary key's index, the same plan on both engines) through the driver, and changed rows
are written with ``executemany`` on SQLite and with COPY into a temporary table plus one
``UPDATE ... FROM`` per page on PostgreSQL. Values cross the driver as each dialect stores
them (on SQLite: UUIDs as 32-digit hex, timestamps as naive-UTC text), so comparing a
computed value with the stored one needs no parsing of the stored due dates.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agentctl.models import Ticket, sqlite_datetime_text
from agentctl.repository.common import tenant_filter

PAGE = 20_000

# What a page row holds, in this order.
READ_COLUMNS = (
    "id",
    "tenant_id",
    "priority",
    "category",
    "created_at",
    "first_response_at",
    "resolved_at",
    "sla_policy_id",
    "first_response_due_at",
    "sla_due_date",
    "first_response_business_minutes",
    "resolution_business_minutes",
)


@dataclass(frozen=True)
class Codec:
    """How one dialect's driver hands over and takes UUIDs and timestamps."""

    load_time: Callable[[Any], datetime | None]  # stored -> aware UTC datetime
    dump_time: Callable[[datetime | None], Any]  # aware datetime -> stored
    dump_uuid: Callable[[uuid.UUID | None], Any]


def _sqlite_load_time(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


SQLITE = Codec(
    load_time=_sqlite_load_time,
    dump_time=lambda v: None if v is None else sqlite_datetime_text(v),
    dump_uuid=lambda v: None if v is None else v.hex,
)
POSTGRESQL = Codec(load_time=lambda v: v, dump_time=lambda v: v, dump_uuid=lambda v: v)


def codec(session: Session) -> Codec:
    return SQLITE if session.connection().dialect.name == "sqlite" else POSTGRESQL


def count_tickets(session: Session, tenant: str | None) -> int:
    query = select(func.count(Ticket.id)).where(tenant_filter(Ticket.tenant_id, tenant))
    return int(session.scalar(query) or 0)


def ticket_pages(session: Session, tenant: str | None) -> Iterator[list[tuple[Any, ...]]]:
    """Every ticket's READ_COLUMNS (driver values), in pages of PAGE rows by id."""
    connection = session.connection()
    raw = connection.connection.driver_connection
    assert raw is not None
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    columns = ", ".join(READ_COLUMNS)
    where = f" AND tenant_id = {mark}" if tenant is not None else ""
    first = f"SELECT {columns} FROM tickets WHERE 1 = 1{where} ORDER BY id LIMIT {PAGE}"
    after = f"SELECT {columns} FROM tickets WHERE id > {mark}{where} ORDER BY id LIMIT {PAGE}"
    tenant_args: tuple[Any, ...] = (tenant,) if tenant is not None else ()
    cursor = raw.cursor()
    try:
        cursor.execute(first, tenant_args)
        while rows := cursor.fetchall():
            yield rows
            if len(rows) < PAGE:
                return
            cursor.execute(after, (rows[-1][0], *tenant_args))
    finally:
        cursor.close()


# A changed row: (stored id, policy id, first_response_due_at, sla_due_date,
# first_response_business_minutes, resolution_business_minutes), driver values.
Change = tuple[Any, Any, Any, Any, float | None, float | None]


def write_changes(session: Session, changes: Sequence[Change], now: datetime) -> None:
    """Write one page of changed rows (values already in the dialect's stored form)."""
    if not changes:
        return
    connection = session.connection()
    raw = connection.connection.driver_connection
    assert raw is not None
    if connection.dialect.name == "sqlite":
        stamp = sqlite_datetime_text(now)
        cursor = raw.cursor()
        try:
            cursor.executemany(
                "UPDATE tickets SET sla_policy_id = ?, first_response_due_at = ?, "
                "sla_due_date = ?, first_response_business_minutes = ?, "
                "resolution_business_minutes = ?, updated_at = ? WHERE id = ?",
                ((p, f, s, fb, rb, stamp, i) for i, p, f, s, fb, rb in changes),
            )
        finally:
            cursor.close()
        return
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS sla_apply_changes (id uuid, "
            "sla_policy_id uuid, first_response_due_at timestamptz, sla_due_date timestamptz, "
            "first_response_business_minutes double precision, "
            "resolution_business_minutes double precision) ON COMMIT DROP"
        )
        with cursor.copy("COPY sla_apply_changes FROM STDIN") as copy:
            for row in changes:
                copy.write_row(row)
        cursor.execute(
            "UPDATE tickets AS t SET sla_policy_id = c.sla_policy_id, "
            "first_response_due_at = c.first_response_due_at, sla_due_date = c.sla_due_date, "
            "first_response_business_minutes = c.first_response_business_minutes, "
            "resolution_business_minutes = c.resolution_business_minutes, updated_at = %s "
            "FROM sla_apply_changes AS c WHERE t.id = c.id",
            (now,),
        )
        cursor.execute("TRUNCATE sla_apply_changes")
