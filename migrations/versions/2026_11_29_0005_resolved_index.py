"""resolved index: a covering index on tickets.resolved_at (PostgreSQL)

Revision ID: 0005_resolved_index
Revises: 0004_perf_indexes
Create Date: 2026-11-29 05:10:00

`performance`'s ``resolved_in_window`` counts the tickets whose ``resolved_at`` falls in
the window, whatever their ``created_at``. No index served that, so every window, however
short, read the whole table (a parallel seq scan: 0.15 s at 1M tickets, 1.5 s at 10M).
With this index a 7- or 30-day window is an index-only scan of its own rows (issue 15).

PostgreSQL only, as 0004: on SQLite the count scans ``tickets`` (see
``repository.performance.scanned``), which its performance budget already meets.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005_resolved_index"
down_revision: str | None = "0004_perf_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_tickets_resolved_at_covering"
# The INCLUDE list of this index in tables.declare_dialect_indexes(), written out here
# because a migration never imports the current schema.
INCLUDE = ["assigned_to_user_id", "tenant_id"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(INDEX, "tickets", ["resolved_at"], postgresql_include=INCLUDE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="tickets")
