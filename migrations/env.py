"""Alembic environment for agentctl: one tree for SQLite and PostgreSQL.

The engine comes from ``agentctl.migrate.alembic_config`` (``config.attributes``).
SQLite uses batch mode so that ALTERs work; the tables' naming convention gives every
constraint a stable name. The target is ``agentctl.tables`` with its dialect-specific
indexes declared (``declare_dialect_indexes``), so autogenerate compares the whole schema.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Engine

from agentctl.tables import declare_dialect_indexes

config = context.config
target_metadata = declare_dialect_indexes()


def _include_object(dialect: str) -> Any:
    """Skip model indexes that are created on another dialect only (``Index.ddl_if``)."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        if type_ == "index" and not reflected and condition is not None:
            wanted = condition.dialect
            if wanted is not None and dialect not in (
                [wanted] if isinstance(wanted, str) else wanted
            ):
                return False
        return True

    return include


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        from agentctl.config import resolve_settings
        from agentctl.database import create_db_engine

        engine = create_db_engine(resolve_settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=_include_object(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("agentctl migrations run online only (agentctl db upgrade)")
run_migrations_online()
