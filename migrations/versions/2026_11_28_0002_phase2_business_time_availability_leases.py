"""business time, availability history, shifts, leases, deliveries

Revision ID: 0002_phase2
Revises: 0001_initial
Create Date: 2026-11-28 10:01:00

One revision for the whole phase:
- business calendars and SLA policies, and the ticket columns they set;
- availability history (seeded with every agent's current status) and time off;
- agents.calendar_id (shifts); agent emails unique case-insensitively;
- schedule flags (--skip-empty, --new-only, --webhook), delivered rows, and run leases.

SQLite: columns are added with plain ALTER TABLE (their foreign keys inline) rather than
batch mode, because a batch copy of ``tickets`` or ``agents`` would drop the
``coalesce(tenant_id, '')`` expression indexes, which SQLite cannot reflect.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_phase2"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _add_fk_column(table: str, column: str, referred: str, ondelete: str | None) -> None:
    """Add a nullable UUID column that references ``referred.id``."""
    if _sqlite():
        on_delete = f" ON DELETE {ondelete}" if ondelete else ""
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} CHAR(32) "
            f"CONSTRAINT fk_{table}_{column}_{referred} REFERENCES {referred} (id){on_delete}"
        )
        return
    op.add_column(table, sa.Column(column, sa.Uuid(), nullable=True))
    op.create_foreign_key(
        f"fk_{table}_{column}_{referred}", table, referred, [column], ["id"], ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "business_calendars",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("holiday_region", sa.String(length=32), nullable=True),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendars")),
    )
    op.create_index(
        "uq_business_calendars_tenant_name",
        "business_calendars",
        [sa.text("coalesce(tenant_id, '')"), "name"],
        unique=True,
    )
    op.create_index(
        "uq_business_calendars_tenant_default",
        "business_calendars",
        [sa.text("coalesce(tenant_id, '')")],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("priorities", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("calendar_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "first_response_minutes IS NULL OR first_response_minutes > 0",
            name=op.f("ck_sla_policies_first_response"),
        ),
        sa.CheckConstraint(
            "resolution_minutes IS NULL OR resolution_minutes > 0",
            name=op.f("ck_sla_policies_resolution"),
        ),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["business_calendars.id"],
            name=op.f("fk_sla_policies_calendar_id_business_calendars"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
    )
    op.create_index(
        "uq_sla_policies_tenant_name",
        "sla_policies",
        [sa.text("coalesce(tenant_id, '')"), "name"],
        unique=True,
    )
    op.create_index(
        op.f("ix_sla_policies_tenant_id_position"), "sla_policies", ["tenant_id", "position"]
    )
    op.create_table(
        "agent_time_off",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_agent_time_off_period")),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_time_off_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_time_off")),
    )
    op.create_index(
        op.f("ix_agent_time_off_agent_id_starts_at"), "agent_time_off", ["agent_id", "starts_at"]
    )
    op.create_table(
        "availability_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('available', 'busy', 'away', 'offline')",
            name=op.f("ck_availability_events_status"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_availability_events_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_events")),
    )
    op.create_index(
        op.f("ix_availability_events_agent_id_at"), "availability_events", ["agent_id", "at"]
    )
    op.create_index(
        op.f("ix_availability_events_tenant_id_at"), "availability_events", ["tenant_id", "at"]
    )
    op.create_table(
        "schedule_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("delivered_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["report_runs.id"],
            name=op.f("fk_schedule_deliveries_run_id_report_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["scheduled_reports.id"],
            name=op.f("fk_schedule_deliveries_schedule_id_scheduled_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_schedule_deliveries_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_deliveries")),
    )
    op.create_index(
        op.f("ix_schedule_deliveries_schedule_id_ticket_id_due_at"),
        "schedule_deliveries",
        ["schedule_id", "ticket_id", "due_at"],
        unique=True,
    )

    # agents: the shift calendar, and emails unique whatever their case.
    _add_fk_column("agents", "calendar_id", "business_calendars", None)
    op.drop_index("uq_agents_tenant_email", table_name="agents")
    op.create_index(
        "uq_agents_tenant_email",
        "agents",
        [sa.text("coalesce(tenant_id, '')"), sa.text("lower(email)")],
        unique=True,
    )

    # tickets: business time.
    _add_fk_column("tickets", "sla_policy_id", "sla_policies", None)
    op.add_column("tickets", sa.Column("first_response_due_at", TS, nullable=True))
    op.add_column("tickets", sa.Column("first_response_business_minutes", sa.Float()))
    op.add_column("tickets", sa.Column("resolution_business_minutes", sa.Float()))

    # scheduled_reports: the new delivery options.
    op.add_column(
        "scheduled_reports",
        sa.Column("skip_empty", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "scheduled_reports",
        sa.Column("new_only", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "scheduled_reports",
        sa.Column("webhooks", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )

    # report_runs: names kept after a schedule is removed, per-recipient deliveries, leases,
    # and two more outcomes (partial, skipped). SQLite: report_runs has no expression
    # index, so batch mode may copy it to change the CHECK constraint. Reflecting it also
    # reflects scheduled_reports, whose expression index SQLite cannot reflect: that
    # warning would reach a user's terminal on the default database's first use.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        _alter_report_runs()
    _fill_and_seed()


def _alter_report_runs() -> None:
    with op.batch_alter_table("report_runs") as batch_op:
        batch_op.add_column(sa.Column("schedule_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("deliveries", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lease_expires_at", TS, nullable=True))
        batch_op.add_column(sa.Column("takeover_of_run_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_report_runs_takeover_of_run_id_report_runs"),
            "report_runs",
            ["takeover_of_run_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(op.f("ck_report_runs_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_report_runs_status"),
            "status IN ('running', 'succeeded', 'failed', 'partial', 'skipped')",
        )


def _fill_and_seed() -> None:
    op.execute(
        "UPDATE report_runs SET schedule_name = (SELECT name FROM scheduled_reports "
        "WHERE scheduled_reports.id = report_runs.schedule_id) WHERE schedule_id IS NOT NULL"
    )

    # Availability history starts with every agent's current status, dated when it was set.
    bind = op.get_bind()
    uuid_expr = (
        "lower(hex(randomblob(16)))" if bind.dialect.name == "sqlite" else "gen_random_uuid()"
    )
    op.execute(
        f"INSERT INTO availability_events (id, agent_id, tenant_id, status, status_message, at) "
        f"SELECT {uuid_expr}, user_id, tenant_id, status, status_message, updated_at "
        f"FROM agent_availability"
    )


def downgrade() -> None:
    with op.batch_alter_table("report_runs") as batch_op:
        batch_op.drop_constraint(op.f("ck_report_runs_status"), type_="check")
        batch_op.drop_constraint(
            op.f("fk_report_runs_takeover_of_run_id_report_runs"), type_="foreignkey"
        )
        batch_op.drop_column("takeover_of_run_id")
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("deliveries")
        batch_op.drop_column("schedule_name")
    op.execute(
        "UPDATE report_runs SET status = 'failed' WHERE status NOT IN "
        "('running', 'succeeded', 'failed')"
    )
    with op.batch_alter_table("report_runs") as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_report_runs_status"), "status IN ('running', 'succeeded', 'failed')"
        )
    for column in ("webhooks", "new_only", "skip_empty"):
        op.drop_column("scheduled_reports", column)
    for column in (
        "resolution_business_minutes",
        "first_response_business_minutes",
        "first_response_due_at",
    ):
        op.drop_column("tickets", column)
    if not _sqlite():
        op.drop_constraint("fk_tickets_sla_policy_id_sla_policies", "tickets", type_="foreignkey")
        op.drop_constraint("fk_agents_calendar_id_business_calendars", "agents", type_="foreignkey")
    op.drop_column("tickets", "sla_policy_id")
    op.drop_index("uq_agents_tenant_email", table_name="agents")
    op.create_index(
        "uq_agents_tenant_email",
        "agents",
        [sa.text("coalesce(tenant_id, '')"), "email"],
        unique=True,
    )
    op.drop_column("agents", "calendar_id")
    op.drop_table("schedule_deliveries")
    op.drop_table("availability_events")
    op.drop_table("agent_time_off")
    op.drop_table("sla_policies")
    op.drop_table("business_calendars")
