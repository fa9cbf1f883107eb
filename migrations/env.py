"""Alembic environment for agentctl: one tree for SQLite and PostgreSQL.

The engine comes from ``agentctl.migrate.alembic_config`` (``config.attributes``).
SQLite uses batch mode so that ALTERs work; the models' naming convention gives every
constraint a stable name.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from agentctl.models import Base

config = context.config
target_metadata = Base.metadata


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
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("agentctl migrations run online only (agentctl db upgrade)")
run_migrations_online()
