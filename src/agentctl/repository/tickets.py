"""Tickets: keyed lookups for upserts, bulk writes, and listing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from agentctl.models import Agent, BusinessCalendar, SlaPolicy, Ticket, sqlite_datetime_text
from agentctl.repository.common import tenant_filter
from agentctl.timeutil import as_utc

LOOKUP_CHUNK = 500


def existing_ticket_ids(
    session: Session, keys: Iterable[tuple[str | None, str]]
) -> dict[tuple[str | None, str], uuid.UUID]:
    """Ids of the tickets that already exist for these (tenant_id, ticket_number) keys.

    A fixed number of queries per 500 keys, never one per ticket.
    """
    by_tenant: dict[str | None, list[str]] = {}
    for tenant, number in keys:
        by_tenant.setdefault(tenant, []).append(number)
    found: dict[tuple[str | None, str], uuid.UUID] = {}
    for tenant, numbers in by_tenant.items():
        tenant_clause = Ticket.tenant_id.is_(None) if tenant is None else Ticket.tenant_id == tenant
        for start in range(0, len(numbers), LOOKUP_CHUNK):
            chunk = numbers[start : start + LOOKUP_CHUNK]
            rows = session.execute(
                select(Ticket.ticket_number, Ticket.id).where(
                    tenant_clause, Ticket.ticket_number.in_(chunk)
                )
            )
            found.update({(tenant, number): ticket_id for number, ticket_id in rows})
    return found


def insert_tickets(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Ticket), list(rows))


def update_tickets(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key (each row has ``id`` plus the columns to set)."""
    if rows:
        session.execute(update(Ticket), list(rows))


def list_tickets(
    session: Session,
    tenant: str | None,
    *,
    statuses: Sequence[str] = (),
    unassigned: bool = False,
    agent_id: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[tuple[Ticket, str | None, str | None]]:
    query = (
        select(Ticket, Agent.email.label("agent_email"), SlaPolicy.name.label("sla_policy"))
        .outerjoin(Agent, Agent.id == Ticket.assigned_to_user_id)
        .outerjoin(SlaPolicy, SlaPolicy.id == Ticket.sla_policy_id)
        .where(tenant_filter(Ticket.tenant_id, tenant))
    )
    if statuses:
        query = query.where(Ticket.status.in_(statuses))
    if unassigned:
        query = query.where(Ticket.assigned_to_user_id.is_(None))
    if agent_id is not None:
        query = query.where(Ticket.assigned_to_user_id == agent_id)
    query = query.order_by(Ticket.created_at.desc(), Ticket.ticket_number)
    if limit is not None:
        query = query.limit(limit)
    return [(ticket, email, policy) for ticket, email, policy in session.execute(query)]


# --- import: what it reads once, and the upsert -----------------------------------------


def sla_rule_rows(
    session: Session,
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Every SLA policy and business calendar (two statements), for ``SlaRules.build``."""
    policies = session.execute(select(SlaPolicy.__table__)).mappings().all()
    calendars = session.execute(select(BusinessCalendar.__table__)).mappings().all()
    return [dict(p) for p in policies], [dict(c) for c in calendars]


def agent_ids_by_email(
    session: Session, tenant: str | None
) -> dict[tuple[str | None, str], uuid.UUID]:
    """(tenant_id, lower(email)) -> id of every agent (of ``tenant`` if set), active or not."""
    rows = session.execute(
        select(Agent.tenant_id, Agent.email, Agent.id).where(tenant_filter(Agent.tenant_id, tenant))
    )
    return {(t, email.lower()): agent_id for t, email, agent_id in rows}


def stored_sla_inputs(
    session: Session, keys: Sequence[tuple[str | None, str]]
) -> dict[tuple[str | None, str], tuple[Any, ...]]:
    """(priority, category, first_response_at, resolved_at) of the existing tickets among
    ``keys``: one statement per tenant and 500 keys, served by the unique index.

    Sent through the driver: SQLAlchemy's statement cache would keep every chunk's
    ticket numbers alive, and the import must not grow with the file.
    """
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    raw = connection.connection.driver_connection
    assert raw is not None
    by_tenant: dict[str | None, list[str]] = {}
    for tenant, number in keys:
        by_tenant.setdefault(tenant, []).append(number)
    found: dict[tuple[str | None, str], tuple[Any, ...]] = {}
    cursor = raw.cursor()
    try:
        for tenant, numbers in by_tenant.items():
            for start in range(0, len(numbers), LOOKUP_CHUNK):
                part = numbers[start : start + LOOKUP_CHUNK]
                cursor.execute(
                    "SELECT ticket_number, priority, category, first_response_at, resolved_at "
                    f"FROM tickets WHERE coalesce(tenant_id, '') = {mark} "
                    f"AND ticket_number IN ({', '.join(mark for _ in part)})",
                    (tenant or "", *part),
                )
                for number, priority, category, first_response, resolved in cursor.fetchall():
                    found[(tenant, number)] = (
                        priority,
                        category,
                        _stored_stamp(first_response),
                        _stored_stamp(resolved),
                    )
    finally:
        cursor.close()
    return found


def _stored_stamp(value: Any) -> datetime | None:
    """A timestamp as the driver returns it: naive-UTC text on SQLite, aware on PostgreSQL."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


# The values of a parsed import row, in order (services/ticket_import.py builds them).
VALUE_COLUMNS = (
    "tenant_id",
    "ticket_number",
    "subject",
    "status",
    "priority",
    "category",
    "required_skill_level",
    "assigned_to_user_id",
    "escalation_level",
    "created_at",
    "first_response_at",
    "resolved_at",
    "sla_due_date",
    "first_response_due_at",
    "sla_policy_id",
    "first_response_business_minutes",
    "resolution_business_minutes",
)
WRITE_COLUMNS = ("id", *VALUE_COLUMNS, "updated_at")
# File column -> ticket column it sets (where the names differ).
_FILE_TO_TICKET = {"assignee": "assigned_to_user_id"}
_KEY = "(coalesce(tenant_id, ''), ticket_number)"
_UUIDS = {"id", "assigned_to_user_id", "sla_policy_id"}
_STAMPS = {
    "created_at",
    "first_response_at",
    "resolved_at",
    "sla_due_date",
    "first_response_due_at",
    "updated_at",
}


# COPY's binary types; the other columns are uuid or timestamptz.
_PG_OTHER_TYPES = {
    "tenant_id": "varchar",
    "ticket_number": "varchar",
    "subject": "text",
    "status": "varchar",
    "priority": "varchar",
    "category": "varchar",
    "required_skill_level": "int4",
    "escalation_level": "int4",
    "first_response_business_minutes": "float8",
    "resolution_business_minutes": "float8",
}
_PG_TYPES = [
    "uuid" if c in _UUIDS else "timestamptz" if c in _STAMPS else _PG_OTHER_TYPES[c]
    for c in WRITE_COLUMNS
]


class TicketUpsert:
    """Writes import rows, upserting by (tenant_id, ticket_number), in the session's
    transaction: SQLite by executemany of ``INSERT … ON CONFLICT DO UPDATE`` a chunk at a
    time; PostgreSQL by COPY into a temporary staging table, then one upsert at ``finish``.

    ``absent`` are the file's missing columns: an update leaves them as they are. A due
    date the file lacks is kept when no policy matches (a policy's due date replaces it).
    """

    def __init__(
        self,
        session: Session,
        *,
        now: datetime,
        absent: Sequence[str],
        due_dates_in_file: Sequence[str],
    ) -> None:
        self.session = session
        self.connection = session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.now = now
        self.written = 0
        self.staging = False
        self.direct = self.postgres  # PostgreSQL: COPY straight into tickets while all new
        self.direct_written = 0
        kept = {_FILE_TO_TICKET.get(c, c) for c in absent}
        sets = []
        for column in WRITE_COLUMNS:
            if column in ("id", "tenant_id", "ticket_number") or column in kept:
                continue
            if column in ("sla_due_date", "first_response_due_at") and (
                column not in due_dates_in_file
            ):
                sets.append(
                    f"{column} = CASE WHEN excluded.sla_policy_id IS NULL "
                    f"THEN tickets.{column} ELSE excluded.{column} END"
                )
            else:
                sets.append(f"{column} = excluded.{column}")
        self.set_clause = ", ".join(sets)
        self.before = 0 if self.postgres else self._count()

    def _count(self) -> int:
        return int(self.connection.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one())

    def write(self, rows: list[list[Any]]) -> bool:
        """Write a chunk; False when a ticket appeared twice in the file (SQLite sees it
        here, PostgreSQL at ``finish``)."""
        if self.postgres:
            return self._copy(rows)
        return self._sqlite_upsert(rows)

    def finish(self) -> tuple[int, int] | None:
        """(created, updated), or None when a ticket appeared twice in the file."""
        if self.postgres:
            return self._postgres_upsert()
        created = self._count() - self.before
        return created, self.written - created

    # --- SQLite ---------------------------------------------------------------------

    def _sqlite_upsert(self, rows: list[list[Any]]) -> bool:
        raw = self.connection.connection.driver_connection
        assert raw is not None
        now = sqlite_datetime_text(self.now)
        uuid4 = uuid.uuid4
        columns = list(zip(*rows, strict=True))
        converted: list[Any] = [[uuid4().hex for _ in rows]]
        for name, values in zip(VALUE_COLUMNS, columns, strict=True):
            if name in _UUIDS:
                converted.append([None if v is None else v.hex for v in values])
            elif name in _STAMPS:
                converted.append([None if v is None else sqlite_datetime_text(v) for v in values])
            else:
                converted.append(values)
        converted.append([now] * len(rows))
        names = ", ".join(WRITE_COLUMNS)
        marks = ", ".join("?" for _ in WRITE_COLUMNS)
        # A row this import already wrote has updated_at = now: a second row with its key
        # changes nothing, and the rowcount tells.
        sql = (
            f"INSERT INTO tickets ({names}) VALUES ({marks}) ON CONFLICT {_KEY} "
            f"DO UPDATE SET {self.set_clause} WHERE tickets.updated_at IS NOT excluded.updated_at"
        )
        cursor = raw.cursor()
        try:
            cursor.execute("PRAGMA cache_size=-131072")
            cursor.executemany(sql, zip(*converted, strict=True))
            changed = cursor.rowcount
        finally:
            cursor.close()
        self.written += len(rows)
        return changed == len(rows)

    # --- PostgreSQL -----------------------------------------------------------------

    def _copy(self, rows: list[list[Any]]) -> bool:
        """New tickets go straight into ``tickets`` (the cost of a plain COPY) as long as
        no ticket of a chunk exists yet; from the first chunk that updates, every row goes
        to the staging table that ``finish`` upserts from."""
        import psycopg

        raw = self.connection.connection.driver_connection
        assert raw is not None
        names = ", ".join(WRITE_COLUMNS)
        uuid4, now = uuid.uuid4, self.now
        with raw.cursor() as cursor:
            if self.direct and self._any_exists(cursor, rows):
                self.direct = False
            if not self.direct and not self.staging:
                cursor.execute(
                    "CREATE TEMPORARY TABLE ticket_import "
                    "(LIKE tickets INCLUDING DEFAULTS) ON COMMIT DROP"
                )
                self.staging = True
            target = "tickets" if self.direct else "ticket_import"
            try:
                with cursor.copy(f"COPY {target} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                    # Binary COPY with declared types: about 10x less CPU than text.
                    copy.set_types(_PG_TYPES)
                    for row in rows:
                        copy.write_row((uuid4(), *row, now))
            except psycopg.errors.UniqueViolation:
                # A ticket number twice in the file (the transaction is lost; the import
                # fails and names the lines).
                return False
        if self.direct:
            self.direct_written += len(rows)
        self.written += len(rows)
        return True

    @staticmethod
    def _any_exists(cursor: Any, rows: list[list[Any]]) -> bool:
        by_tenant: dict[str, list[str]] = {}
        for row in rows:
            by_tenant.setdefault(row[0] or "", []).append(row[1])
        for tenant, numbers in by_tenant.items():
            cursor.execute(
                "SELECT 1 FROM tickets WHERE coalesce(tenant_id, '') = %s "
                "AND ticket_number = ANY(%s) LIMIT 1",
                (tenant, numbers),
            )
            if cursor.fetchone() is not None:
                return True
        return False

    def _postgres_upsert(self) -> tuple[int, int] | None:
        if not self.staging:
            return self.direct_written, 0
        import psycopg

        raw = self.connection.connection.driver_connection
        assert raw is not None
        names = ", ".join(WRITE_COLUMNS)
        # A row this import already wrote has updated_at = now: a second row with its key
        # changes nothing, and the count tells.
        sql = (
            f"WITH up AS (INSERT INTO tickets ({names}) SELECT {names} FROM ticket_import "
            f"ON CONFLICT ((coalesce(tenant_id, '')), ticket_number) "
            f"DO UPDATE SET {self.set_clause} "
            "WHERE tickets.updated_at IS DISTINCT FROM excluded.updated_at "
            "RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FROM up"
        )
        with raw.cursor() as cursor:
            cursor.execute("SAVEPOINT ticket_upsert")
            try:
                cursor.execute(sql)
            except psycopg.errors.CardinalityViolation:
                # ON CONFLICT cannot update one row twice: a ticket number twice in the file.
                cursor.execute("ROLLBACK TO SAVEPOINT ticket_upsert")
                return None
            created, total = cursor.fetchone() or (0, 0)
            cursor.execute("RELEASE SAVEPOINT ticket_upsert")
        if int(total) < self.written - self.direct_written:
            return None
        return self.direct_written + int(created), int(total) - int(created)
