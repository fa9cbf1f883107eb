"""Small SQL helpers shared by the repository modules."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import ColumnElement, literal, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Float

from agentctl.dbtypes import UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    # What a read runs on: an ORM session, or a Core connection (``Database.connect``:
    # read paths that only select, without importing the ORM).
    Reader: TypeAlias = Session | Connection


def core_connection(reader: Reader) -> Connection:
    """The Core connection under ``reader``: the reader itself when it is a connection
    (``Database.connect``), else the session's connection."""
    from sqlalchemy import Connection

    if isinstance(reader, Connection):
        return reader
    return reader.connection()


def tenant_filter(column: Any, tenant: str | None) -> ColumnElement[bool]:
    """``--tenant`` limits every read and write; without it, every tenant is visible."""
    if tenant is None:
        return true()
    return column == tenant


def same_tenant(column: Any, tenant: str | None) -> ColumnElement[bool]:
    """Exact tenant match where NULL matches NULL (a single-tenant desk)."""
    if tenant is None:
        return column.is_(None)
    return column == tenant


def moment(value: datetime) -> ColumnElement[datetime]:
    """A timestamp parameter that compares like a column (naive UTC text on SQLite)."""
    return literal(value, UTCDateTime())


class minutes_between(FunctionElement[float]):
    """``(later - earlier)`` in minutes, as a float: the one place time arithmetic differs."""

    type = Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between, "sqlite")
def _minutes_between_sqlite(element: minutes_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 1440.0)"
    )


@compiles(minutes_between, "postgresql")
def _minutes_between_pg(element: minutes_between, compiler: Any, **kw: Any) -> str:
    # date_part, not EXTRACT: since PostgreSQL 14 EXTRACT gives numeric, whose division,
    # sums and cast to float8 (percentile_cont's) made `performance --range 7d`'s
    # statement at 10,000,000 tickets 4.1-4.5 s instead of 2.6-2.9 s; date_part is float8.
    later, earlier = list(element.clauses)
    return (
        f"(date_part('epoch', {compiler.process(later, **kw)} - "
        f"{compiler.process(earlier, **kw)}) / 60.0)"
    )
