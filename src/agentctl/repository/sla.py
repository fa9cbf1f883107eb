"""The SQL behind ``sla apply``: stream every ticket's SLA inputs, write the changed rows.

A million tickets must take well under a minute, so this bypasses the ORM like
``repository.bulk`` does. On SQLite tickets are read in keyset pages (``id > last ORDER
BY id``, the primary key's index) through the driver and each page's changed rows are
written with ``executemany``; PostgreSQL reads and writes differently, see
``repository.sla_pg``. Values cross the driver as each dialect stores
them (on SQLite: UUIDs as 32-digit hex, timestamps as naive-UTC text), so comparing a
computed value with the stored one needs no parsing of the stored due dates.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agentctl.models import Ticket, sqlite_datetime_text
from agentctl.repository import sla_pg
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
    """How one dialect's driver hands over and takes timestamps, as UTC microseconds."""

    load_us: Callable[[Any], int | None]  # stored -> microseconds since the epoch
    dump_us: Callable[[int | None], Any]  # microseconds -> stored
    dump_uuid: Callable[[uuid.UUID | None], Any]


_EPOCH = datetime(1970, 1, 1)  # naive: SQLite stores naive UTC text
_AWARE_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _sqlite_load_us(value: Any) -> int | None:
    if value is None:
        return None
    delta = datetime.fromisoformat(value) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _sqlite_dump_us(value: int | None) -> str | None:
    if value is None:
        return None
    # The text SQLAlchemy's SQLite DATETIME stores (models.sqlite_datetime_text).
    return (_EPOCH + timedelta(microseconds=value)).isoformat(" ", "microseconds")


def _pg_load_us(value: Any) -> int | None:
    if value is None:
        return None
    delta = value - _AWARE_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _pg_dump_us(value: int | None) -> datetime | None:
    return None if value is None else _AWARE_EPOCH + timedelta(microseconds=value)


SQLITE = Codec(_sqlite_load_us, _sqlite_dump_us, lambda v: None if v is None else v.hex)
POSTGRESQL = Codec(_pg_load_us, _pg_dump_us, lambda v: v)


def codec(session: Session) -> Codec:
    return SQLITE if session.connection().dialect.name == "sqlite" else POSTGRESQL


def is_sqlite(session: Session) -> bool:
    return session.connection().dialect.name == "sqlite"


def count_tickets(session: Session, tenant: str | None) -> int:
    query = select(func.count(Ticket.id)).where(tenant_filter(Ticket.tenant_id, tenant))
    return int(session.scalar(query) or 0)


def ticket_pages(session: Session, tenant: str | None) -> Iterator[list[tuple[Any, ...]]]:
    """Every ticket's READ_COLUMNS (driver values), in pages: on SQLite of PAGE rows by
    id; on PostgreSQL in physical order, each row followed by its ``ctid``."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield from sla_pg.ticket_pages(session, READ_COLUMNS, tenant)
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    mark = "?"
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
# first_response_business_minutes, resolution_business_minutes[, ctid on PostgreSQL]),
# driver values.
Change = tuple[Any, ...]


def write_changes(session: Session, changes: Sequence[Change], now: datetime) -> None:
    """Write one page of changed rows on SQLite (values already in its stored form)."""
    if not changes:
        return
    raw = session.connection().connection.driver_connection
    assert raw is not None
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
