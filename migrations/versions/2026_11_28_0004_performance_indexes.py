"""performance indexes: a covering index on tickets.created_at (PostgreSQL)

Revision ID: 0004_perf_indexes
Revises: 0002_phase2
Create Date: 2026-11-28 10:40:00

`performance --range 7d|30d|all` without a tenant filters tickets on ``created_at`` only;
no index served that window, so PostgreSQL read the whole table (a parallel seq scan of
1.7 GB at 10M tickets). This index holds every column the performance aggregate reads
(issue 15), so a window is an index-only scan of its own rows.

PostgreSQL only (``INCLUDE`` is PostgreSQL's): on SQLite a full scan beats a
``created_at`` index for ``--range all`` (1.57 s against 2.68 s at 1M tickets), so SQLite
keeps its plan. models.py declares the index with ``ddl_if(dialect="postgresql")``.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004_perf_indexes"
down_revision: str | None = "0002_phase2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_tickets_created_at_covering"
# The INCLUDE list of this index in tables.declare_dialect_indexes(), written out here
# because a migration never imports the current schema.
INCLUDE = [
    "id",
    "assigned_to_user_id",
    "status",
    "resolved_at",
    "first_response_at",
    "sla_due_date",
    "escalation_level",
    "first_response_due_at",
    "first_response_business_minutes",
    "resolution_business_minutes",
    "tenant_id",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(INDEX, "tickets", ["created_at"], postgresql_include=INCLUDE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="tickets")
