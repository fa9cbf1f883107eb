"""Detail rows streamed from the database, on the Core tables (no ORM on this path).

``stream_rows`` runs a statement with ``yield_per`` (a server-side cursor on PostgreSQL,
the lazily stepped cursor on SQLite), so a report over a million tickets never holds more
than one batch in memory; ``stream_batches`` hands the CSV writer the driver's rows.
Either runs on an ORM session or a Core connection (``Database.connect``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import Select, select

from agentctl.columns import Agent
from agentctl.repository.common import core_connection, tenant_filter

if TYPE_CHECKING:
    from agentctl.repository.common import Reader

STREAM_BATCH = 2000
AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"


def stream_rows(
    session: Reader, statement: AnySelect, *, batch: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """The statement's rows as tuples, fetched ``batch`` (default STREAM_BATCH) at a time."""
    result = session.execute(statement, execution_options={"yield_per": batch or STREAM_BATCH})
    try:
        for row in result:
            yield tuple(row)
    finally:
        result.close()


def stream_batches(session: Reader, statement: AnySelect) -> Iterator[Sequence[Any]]:
    """The statement's rows in lists of STREAM_BATCH, fetched a batch at a time like
    ``stream_rows`` (for the CSV writer), as the driver gives them: for a statement whose
    columns need no conversion by SQLAlchemy, or whose reader converts them itself (the
    CSV writer turns stored timestamps into ISO text).

    On SQLite, straight from the DB-API cursor (pysqlite steps the statement as rows are
    fetched; SQLAlchemy makes no Row objects); on PostgreSQL through Core's partitions of
    a server-side cursor (``yield_per``).
    """
    connection = core_connection(session)
    if connection.dialect.name == "sqlite":
        result = connection.execute(statement)  # no yield_per: nothing fetched ahead
        cursor = result.cursor
        try:
            while rows := cursor.fetchmany(STREAM_BATCH):
                yield rows
        finally:
            result.close()
        return
    result = connection.execute(statement, execution_options={"yield_per": STREAM_BATCH})
    try:
        yield from result.partitions(STREAM_BATCH)
    finally:
        result.close()


def agent_identities(session: Reader, tenant: str | None) -> list[tuple[str, str | None]]:
    """Every agent's (email, name), for naming agents in documents."""
    query = select(Agent.email, Agent.name).where(tenant_filter(Agent.tenant_id, tenant))
    return [(r[0], r[1]) for r in session.execute(query)]
