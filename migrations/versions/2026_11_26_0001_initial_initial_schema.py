"""initial schema

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26 16:36:59.713103
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("max_open_tickets", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "max_open_tickets IS NULL OR max_open_tickets >= 0", name=op.f("ck_agents_max_open")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    op.create_index(
        "uq_agents_tenant_email",
        "agents",
        [sa.text("coalesce(tenant_id, '')"), "email"],
        unique=True,
    )
    op.create_table(
        "scheduled_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("report_type", sa.String(length=32), nullable=False),
        sa.Column("schedule_cron", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_reports")),
    )
    op.create_index(
        "uq_scheduled_reports_tenant_name",
        "scheduled_reports",
        [sa.text("coalesce(tenant_id, '')"), "name"],
        unique=True,
    )
    with op.batch_alter_table("scheduled_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_reports_is_active_next_run_at"),
            ["is_active", "next_run_at"],
            unique=False,
        )

    op.create_table(
        "agent_availability",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('available', 'busy', 'away', 'offline')",
            name=op.f("ck_agent_availability_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["agents.id"],
            name=op.f("fk_agent_availability_user_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_availability")),
        sa.UniqueConstraint("user_id", name=op.f("uq_agent_availability_user_id")),
    )
    with op.batch_alter_table("agent_availability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_availability_tenant_id_status"),
            ["tenant_id", "status"],
            unique=False,
        )

    op.create_table(
        "agent_skills",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("skill_category", sa.String(length=64), nullable=False),
        sa.Column("skill_level", sa.Integer(), nullable=False),
        sa.Column("can_handle_escalations", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("skill_level BETWEEN 1 AND 4", name=op.f("ck_agent_skills_skill_level")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["agents.id"],
            name=op.f("fk_agent_skills_user_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_skills")),
    )
    with op.batch_alter_table("agent_skills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_skills_tenant_id_skill_category"),
            ["tenant_id", "skill_category"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_agent_skills_user_id_skill_category"),
            ["user_id", "skill_category"],
            unique=True,
        )

    op.create_table(
        "report_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("report_type", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("occurrence_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("output_path", sa.Text(), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_report_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["scheduled_reports.id"],
            name=op.f("fk_report_runs_schedule_id_scheduled_reports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
    )
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_runs_schedule_id_started_at"),
            ["schedule_id", "started_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_report_runs_started_at"), ["started_at"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("ticket_number", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("required_skill_level", sa.Integer(), nullable=False),
        sa.Column("assigned_to_user_id", sa.Uuid(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_due_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name=op.f("ck_tickets_priority")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'waiting', 'resolved', 'closed')",
            name=op.f("ck_tickets_status"),
        ),
        sa.CheckConstraint("escalation_level >= 0", name=op.f("ck_tickets_escalation_level")),
        sa.CheckConstraint(
            "required_skill_level BETWEEN 1 AND 4", name=op.f("ck_tickets_required_skill_level")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to_user_id"],
            ["agents.id"],
            name=op.f("fk_tickets_assigned_to_user_id_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    op.create_index(
        "uq_tickets_tenant_ticket_number",
        "tickets",
        [sa.text("coalesce(tenant_id, '')"), "ticket_number"],
        unique=True,
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tickets_assigned_to_user_id_created_at"),
            ["assigned_to_user_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tickets_tenant_id_assigned_to_user_id_status_priority"),
            ["tenant_id", "assigned_to_user_id", "status", "priority"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_tickets_tenant_id_created_at"), ["tenant_id", "created_at"], unique=False
        )

    op.create_table(
        "assignment_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("previous_agent_id", sa.Uuid(), nullable=True),
        sa.Column("strategy", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_assignment_log_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["previous_agent_id"],
            ["agents.id"],
            name=op.f("fk_assignment_log_previous_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_assignment_log_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_log")),
    )
    with op.batch_alter_table("assignment_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_log_agent_id_assigned_at"),
            ["agent_id", "assigned_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_assignment_log_tenant_id_assigned_at"),
            ["tenant_id", "assigned_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_assignment_log_ticket_id"), ["ticket_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assignment_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_log_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_log_tenant_id_assigned_at"))
        batch_op.drop_index(batch_op.f("ix_assignment_log_agent_id_assigned_at"))

    op.drop_table("assignment_log")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_tenant_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_tenant_id_assigned_to_user_id_status_priority"))
        batch_op.drop_index(batch_op.f("ix_tickets_assigned_to_user_id_created_at"))

    op.drop_index("uq_tickets_tenant_ticket_number", table_name="tickets")
    op.drop_table("tickets")
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_runs_started_at"))
        batch_op.drop_index(batch_op.f("ix_report_runs_schedule_id_started_at"))

    op.drop_table("report_runs")
    with op.batch_alter_table("agent_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_skills_user_id_skill_category"))
        batch_op.drop_index(batch_op.f("ix_agent_skills_tenant_id_skill_category"))

    op.drop_table("agent_skills")
    with op.batch_alter_table("agent_availability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_availability_tenant_id_status"))

    op.drop_table("agent_availability")
    with op.batch_alter_table("scheduled_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_reports_is_active_next_run_at"))

    op.drop_index("uq_scheduled_reports_tenant_name", table_name="scheduled_reports")
    op.drop_table("scheduled_reports")
    op.drop_index("uq_agents_tenant_email", table_name="agents")
    op.drop_table("agents")
