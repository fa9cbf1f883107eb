"""``sla apply`` on PostgreSQL: read in physical order, write once, in one transaction.

Why not an ``UPDATE`` per page by id (the first design): ids are random UUIDs, so every
page touched rows all over the heap, and every rewritten row (no update can be HOT: the
covering index includes the SLA columns, and a full heap page has no room for a new
version anyway) inserts into every index of ``tickets`` (six then) at random places. On a
1,000,000-ticket desk with the default 128 MB of shared buffers that dirtied 2.8 million
buffers and wrote 3.4 GB of WAL (full-page images after each of eight checkpoints): 91 s
for a bare ``UPDATE`` of every row, before agentctl computed anything.

So, all in the caller's one transaction (all-or-nothing; nothing is committed before
the end, and a failure rolls back everything, the index changes too):

1. ``LOCK TABLE tickets IN SHARE MODE``: readers go on, writers of tickets wait, so the
   inputs cannot change between the read and the write (and ``ctid`` stays valid).
2. Read every ticket through one server-side cursor, a sequential scan in physical
   order (``synchronize_seqscans`` off so it starts at block 0), in pages of ``PAGE``.
3. COPY each page's changed rows, with their ``ctid``, into a temporary table.
4. Write in chunks of ``WRITE_PAGE`` rows of that table: an ``UPDATE ... FROM`` joined on
   ``ctid`` (and id), limited to the chunk's ``ctid`` range so each chunk reads only its
   own heap blocks. When at least ``REBUILD_AT`` of the table's rows change, the
   secondary indexes of ``tickets`` (not the primary key) are dropped first and created
   again from their own definitions (``pg_get_indexdef``) afterwards: building an index
   sorts once, where a million single inserts at random places do not fit in the buffers.
   Dropping an index takes an ACCESS EXCLUSIVE lock: from then until the commit other
   readers of tickets wait too. It is done only by the owner of the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from agentctl.errors import RuntimeFailure

PAGE = 20_000
WRITE_PAGE = 100_000
REBUILD_AT = 0.2  # share of all the table's rows that must change to rebuild its indexes

TEMP = "sla_apply_changes"


def _raw(session: Session) -> Any:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    return raw


def lock_tickets(session: Session) -> None:
    with _raw(session).cursor() as cursor:
        cursor.execute("LOCK TABLE tickets IN SHARE MODE")


def ticket_pages(
    session: Session, columns: Sequence[str], tenant: str | None
) -> Iterator[list[tuple[Any, ...]]]:
    """Every ticket's ``columns`` and then its ``ctid`` (as text), in physical order."""
    raw = _raw(session)
    with raw.cursor() as cursor:
        cursor.execute("SET LOCAL synchronize_seqscans = off")
    where = " WHERE tenant_id = %s" if tenant is not None else ""
    args: tuple[Any, ...] = (tenant,) if tenant is not None else ()
    query = f"SELECT {', '.join(columns)}, ctid::text FROM tickets{where}"
    with raw.cursor(name="sla_apply_read") as cursor:
        cursor.itersize = PAGE
        cursor.execute(query, args)
        while rows := cursor.fetchmany(PAGE):
            yield rows


class Writer:
    """Collects the changed rows of every page, then writes them all (``finish``)."""

    def __init__(self, session: Session) -> None:
        self.raw = _raw(session)
        self.rows = 0

    def add(self, changes: Sequence[tuple[Any, ...]]) -> None:
        """Changes: (id, policy id, first_response_due_at, sla_due_date, first-response
        minutes, resolution minutes, ctid text), in the order they were read."""
        if not changes:
            return
        with self.raw.cursor() as cursor:
            if self.rows == 0:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {TEMP} (n bigint, tid tid, id uuid, "
                    "sla_policy_id uuid, first_response_due_at timestamptz, "
                    "sla_due_date timestamptz, first_response_business_minutes double "
                    "precision, resolution_business_minutes double precision) ON COMMIT DROP"
                )
            n = self.rows
            with cursor.copy(f"COPY {TEMP} FROM STDIN") as copy:
                for i, p, f, s, fb, rb, tid in changes:
                    n += 1
                    copy.write_row((n, tid, i, p, f, s, fb, rb))
        self.rows = n

    def finish(self, now: Any, table_rows: int, progress: Callable[[int], None]) -> bool:
        """Write every collected row; True when the indexes were rebuilt to do it.

        ``table_rows``: how many rows ``tickets`` holds, every tenant's.
        ``progress(n)`` is called with the rows written so far.
        """
        if self.rows == 0:
            return False
        with self.raw.cursor() as cursor:
            cursor.execute(f"CREATE INDEX ON {TEMP} (n)")
            cursor.execute(f"ANALYZE {TEMP}")
            rebuild = self.rows >= REBUILD_AT * table_rows and _owns_tickets(cursor)
            indexes = _drop_secondary_indexes(cursor) if rebuild else []
            for start in range(0, self.rows, WRITE_PAGE):
                end = start + WRITE_PAGE
                cursor.execute(
                    f"SELECT min(tid), max(tid) FROM {TEMP} WHERE n > %s AND n <= %s",
                    (start, end),
                )
                low, high = cursor.fetchone()
                cursor.execute(
                    "UPDATE tickets AS t SET sla_policy_id = c.sla_policy_id, "
                    "first_response_due_at = c.first_response_due_at, "
                    "sla_due_date = c.sla_due_date, "
                    "first_response_business_minutes = c.first_response_business_minutes, "
                    "resolution_business_minutes = c.resolution_business_minutes, "
                    f"updated_at = %s FROM {TEMP} AS c "
                    "WHERE c.n > %s AND c.n <= %s AND t.ctid = c.tid AND t.id = c.id "
                    # The chunk's own heap blocks only (a TID range scan), not all of them.
                    "AND t.ctid BETWEEN %s::tid AND %s::tid",
                    (now, start, end, low, high),
                )
                if cursor.rowcount != min(end, self.rows) - start:
                    # Cannot happen under the SHARE lock; never commit a partial write.
                    raise RuntimeFailure(
                        "tickets changed while `sla apply` wrote them, nothing was changed"
                    )
                progress(min(end, self.rows))
            for definition in indexes:
                cursor.execute(definition)
        return rebuild


def _owns_tickets(cursor: Any) -> bool:
    cursor.execute(
        "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'tickets'::regclass"
    )
    return bool(cursor.fetchone()[0])


def _drop_secondary_indexes(cursor: Any) -> list[str]:
    """Drop the indexes of tickets that back no constraint; return their definitions."""
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = 'tickets'::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY i.indexrelid"
    )
    rows = cursor.fetchall()
    if rows:
        cursor.execute("DROP INDEX " + ", ".join(name for name, _ in rows))
    return [definition for _, definition in rows]
