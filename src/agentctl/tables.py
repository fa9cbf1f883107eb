"""The schema as SQLAlchemy Core tables: DESIGN.md's data model, without the ORM.

Read paths that only select (``status``, ``performance``, ``assign --dry-run``) use these
tables through a Core connection, so they never import ``sqlalchemy.orm`` nor configure
mappers; ``agentctl.models`` maps its ORM classes onto the same tables.

Two indexes exist on one dialect only (a partial unique index, a covering ``INCLUDE``
index). Declaring them needs ``postgresql_*`` keyword arguments, which make SQLAlchemy
import its PostgreSQL dialect (~60 ms) even on SQLite, so they are added to the metadata by
:func:`declare_dialect_indexes`, called where DDL is compared or emitted
(``migrations/env.py``). Alembic (``migrations/``) is the only way the schema changes;
``tests/test_migrations.py`` proves these tables and the migrations agree.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)

from agentctl.dbtypes import (
    AVAILABILITY_STATUSES,
    PRIORITIES,
    RUN_STATUSES,
    TICKET_STATUSES,
    UTCDateTime,
)
from agentctl.timeutil import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Column shorthands: the declarative models' types and nullability, spelled once.
def _id() -> Column[Any]:
    return Column("id", Uuid(), primary_key=True, default=uuid.uuid4)


def _tenant() -> Column[Any]:
    return Column("tenant_id", String(64), nullable=True)


def _at(name: str, *, null: bool = False, **kwargs: Any) -> Column[Any]:
    return Column(name, UTCDateTime(), nullable=null, **kwargs)


def _ref(name: str, target: str, *, null: bool = False, **kwargs: Any) -> Column[Any]:
    return Column(name, Uuid(), ForeignKey(target, **kwargs), nullable=null)


def _stamps() -> tuple[Column[Any], Column[Any]]:
    return (
        _at("created_at", default=utcnow),
        _at("updated_at", default=utcnow, onupdate=utcnow),
    )


agents = Table(
    "agents",
    metadata,
    _id(),
    _tenant(),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("max_open_tickets", Integer(), nullable=True),
    Column("is_active", Boolean(), nullable=False, default=True),
    # The agent's shift: eligible for assignment only inside this calendar's working hours.
    _ref("calendar_id", "business_calendars.id", null=True),
    *_stamps(),
    # NULL tenant = single-tenant desk; coalesce so two NULL-tenant rows still clash.
    # lower(): Bob@x and bob@x are the same mailbox, so they are the same agent.
    Index(
        "uq_agents_tenant_email",
        text("coalesce(tenant_id, '')"),
        text("lower(email)"),
        unique=True,
    ),
    CheckConstraint("max_open_tickets IS NULL OR max_open_tickets >= 0", name="max_open"),
)

agent_availability = Table(
    "agent_availability",
    metadata,
    _id(),
    Column(
        "user_id", Uuid(), ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, unique=True
    ),
    _tenant(),
    Column("status", String(16), nullable=False, default="offline"),
    Column("status_message", Text(), nullable=True),
    _at("last_activity_at", null=True),
    *_stamps(),
    CheckConstraint(_in("status", AVAILABILITY_STATUSES), name="status"),
    Index(None, "tenant_id", "status"),
)

agent_skills = Table(
    "agent_skills",
    metadata,
    _id(),
    _ref("user_id", "agents.id", ondelete="CASCADE"),
    _tenant(),
    Column("skill_category", String(64), nullable=False),
    Column("skill_level", Integer(), nullable=False),
    Column("can_handle_escalations", Boolean(), nullable=False, default=False),
    *_stamps(),
    Index(None, "user_id", "skill_category", unique=True),
    Index(None, "tenant_id", "skill_category"),
    CheckConstraint("skill_level BETWEEN 1 AND 4", name="skill_level"),
)

tickets = Table(
    "tickets",
    metadata,
    _id(),
    _tenant(),
    Column("ticket_number", String(64), nullable=False),
    Column("subject", Text(), nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("priority", String(16), nullable=False, default="normal"),
    Column("category", String(64), nullable=True),
    Column("required_skill_level", Integer(), nullable=False, default=1),
    _ref("assigned_to_user_id", "agents.id", null=True, ondelete="SET NULL"),
    Column("escalation_level", Integer(), nullable=False, default=0),
    _at("created_at"),
    _at("first_response_at", null=True),
    _at("resolved_at", null=True),
    _at("sla_due_date", null=True),
    _at("updated_at", default=utcnow, onupdate=utcnow),
    # Business time (DESIGN.md "Business time"): the policy that set the due dates, the
    # first-response due date, and the business minutes stored when the ticket is written
    # or `sla apply` runs, so that every metric stays one SQL aggregate.
    # No ON DELETE action: SQLite cannot add one to an existing table without copying it;
    # `sla remove` clears the tickets' policy in the same transaction.
    _ref("sla_policy_id", "sla_policies.id", null=True),
    _at("first_response_due_at", null=True),
    Column("first_response_business_minutes", Float(), nullable=True),
    Column("resolution_business_minutes", Float(), nullable=True),
    Index(
        "uq_tickets_tenant_ticket_number",
        text("coalesce(tenant_id, '')"),
        "ticket_number",
        unique=True,
    ),
    # The backlog: unassigned tickets of a tenant in an open status, by priority.
    Index(None, "tenant_id", "assigned_to_user_id", "status", "priority"),
    # Cohorts and workloads: an agent's tickets by creation time.
    Index(None, "assigned_to_user_id", "created_at"),
    # Windows over the whole desk (reports, aging).
    Index(None, "tenant_id", "created_at"),
    CheckConstraint(_in("status", TICKET_STATUSES), name="status"),
    CheckConstraint(_in("priority", PRIORITIES), name="priority"),
    CheckConstraint("required_skill_level BETWEEN 1 AND 4", name="required_skill_level"),
    CheckConstraint("escalation_level >= 0", name="escalation_level"),
)

assignment_log = Table(
    "assignment_log",
    metadata,
    _id(),
    _ref("ticket_id", "tickets.id", ondelete="CASCADE"),
    _ref("agent_id", "agents.id", ondelete="CASCADE"),
    _ref("previous_agent_id", "agents.id", null=True, ondelete="SET NULL"),
    Column("strategy", String(32), nullable=False),
    Column("reason", Text(), nullable=False),
    _at("assigned_at", default=utcnow),
    _tenant(),
    Index(None, "ticket_id"),
    Index(None, "agent_id", "assigned_at"),
    Index(None, "tenant_id", "assigned_at"),
)

scheduled_reports = Table(
    "scheduled_reports",
    metadata,
    _id(),
    _tenant(),
    Column("name", String(200), nullable=False),
    Column("report_type", String(32), nullable=False),
    Column("schedule_cron", String(200), nullable=False),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("parameters", JSON(), nullable=False, default=dict),
    Column("recipients", JSON(), nullable=False, default=list),
    Column("format", String(8), nullable=False),
    Column("is_active", Boolean(), nullable=False, default=True),
    _at("last_run_at", null=True),
    _at("next_run_at", null=True),
    # --skip-empty: a run with no detail rows sends nothing (recorded as skipped).
    Column("skip_empty", Boolean(), nullable=False, default=False, server_default=text("false")),
    # --new-only: leave out the rows this schedule already delivered (schedule_deliveries).
    Column("new_only", Boolean(), nullable=False, default=False, server_default=text("false")),
    # --webhook URL...: incoming webhooks (Slack/Teams) that also receive the summary.
    Column("webhooks", JSON(), nullable=False, default=list, server_default=text("'[]'")),
    *_stamps(),
    Index("uq_scheduled_reports_tenant_name", text("coalesce(tenant_id, '')"), "name", unique=True),
    Index(None, "is_active", "next_run_at"),
)

report_runs = Table(
    "report_runs",
    metadata,
    _id(),
    _ref("schedule_id", "scheduled_reports.id", null=True, ondelete="SET NULL"),
    _tenant(),
    Column("report_type", String(32), nullable=False),
    Column("format", String(8), nullable=False),
    Column("status", String(16), nullable=False, default="running"),
    Column("error", Text(), nullable=True),
    _at("started_at", default=utcnow),
    _at("finished_at", null=True),
    # The occurrence a scheduled run belongs to (its claimed next_run_at); null ad hoc.
    _at("occurrence_at", null=True),
    Column("recipients", JSON(), nullable=False, default=list),
    Column("output_path", Text(), nullable=True),
    Column("bytes", BigInteger(), nullable=True),
    Column("rows", Integer(), nullable=True),
    # The schedule's name at run time: history keeps it after the schedule is removed.
    Column("schedule_name", String(200), nullable=True),
    # Per recipient (and webhook, masked) what happened: {"ana@x": "accepted", ...}.
    Column("deliveries", JSON(), nullable=True),
    # The claim is a lease: who runs it, until when; renewed while the run works. A run whose
    # lease expired while still `running` is taken over by the next tick or daemon.
    Column("claimed_by", String(200), nullable=True),
    _at("lease_expires_at", null=True),
    _ref("takeover_of_run_id", "report_runs.id", null=True, ondelete="SET NULL"),
    CheckConstraint(_in("status", RUN_STATUSES), name="status"),
    Index(None, "schedule_id", "started_at"),
    Index(None, "started_at"),
)

# Working hours of a desk or a shift: a time zone, weekly intervals and holidays.
business_calendars = Table(
    "business_calendars",
    metadata,
    _id(),
    _tenant(),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    # {"mon": [["09:00", "12:30"], ["13:30", "17:00"]], ...}: local times, "24:00" allowed.
    Column("hours", JSON(), nullable=False, default=dict),
    Column("holiday_region", String(32), nullable=True),
    Column("holidays", JSON(), nullable=False, default=list),  # ISO dates
    Column("is_default", Boolean(), nullable=False, default=False),
    *_stamps(),
    Index(
        "uq_business_calendars_tenant_name", text("coalesce(tenant_id, '')"), "name", unique=True
    ),
    # uq_business_calendars_tenant_default: declare_dialect_indexes().
)

# First-response and resolution targets for the tickets it matches, in business time.
sla_policies = Table(
    "sla_policies",
    metadata,
    _id(),
    _tenant(),
    Column("name", String(200), nullable=False),
    Column("position", Integer(), nullable=False),  # evaluation order, first match applies
    Column("priorities", JSON(), nullable=False, default=list),  # empty = any
    Column("categories", JSON(), nullable=False, default=list),  # empty = any
    Column("first_response_minutes", Integer(), nullable=True),
    Column("resolution_minutes", Integer(), nullable=True),
    _ref("calendar_id", "business_calendars.id", null=True),
    *_stamps(),
    Index("uq_sla_policies_tenant_name", text("coalesce(tenant_id, '')"), "name", unique=True),
    Index(None, "tenant_id", "position"),
    CheckConstraint(
        "first_response_minutes IS NULL OR first_response_minutes > 0", name="first_response"
    ),
    CheckConstraint("resolution_minutes IS NULL OR resolution_minutes > 0", name="resolution"),
)

# One change of an agent's availability; appended, never updated or deleted.
availability_events = Table(
    "availability_events",
    metadata,
    _id(),
    _ref("agent_id", "agents.id", ondelete="CASCADE"),
    _tenant(),
    Column("status", String(16), nullable=False),
    Column("status_message", Text(), nullable=True),
    _at("at"),
    CheckConstraint(_in("status", AVAILABILITY_STATUSES), name="status"),
    Index(None, "agent_id", "at"),
    Index(None, "tenant_id", "at"),
)

# A period of leave: the agent is never eligible for assignment inside it.
agent_time_off = Table(
    "agent_time_off",
    metadata,
    _id(),
    _ref("agent_id", "agents.id", ondelete="CASCADE"),
    _tenant(),
    _at("starts_at"),
    _at("ends_at"),
    Column("reason", Text(), nullable=True),
    _at("created_at", default=utcnow),
    CheckConstraint("ends_at > starts_at", name="period"),
    Index(None, "agent_id", "starts_at"),
)

# A detail row a `--new-only` schedule delivered, by key (ticket and due time).
schedule_deliveries = Table(
    "schedule_deliveries",
    metadata,
    _id(),
    _ref("schedule_id", "scheduled_reports.id", ondelete="CASCADE"),
    _ref("ticket_id", "tickets.id", ondelete="CASCADE"),
    _at("due_at"),
    _ref("run_id", "report_runs.id", null=True, ondelete="SET NULL"),
    _at("delivered_at", default=utcnow),
    Index(None, "schedule_id", "ticket_id", "due_at", unique=True),
)


def declare_dialect_indexes() -> MetaData:
    """Add the indexes that exist on one dialect only; return the whole metadata.

    Called where the schema is compared or created (``migrations/env.py``), never on a
    command's read path: their ``postgresql_*`` arguments import the PostgreSQL dialect.
    """
    names = {index.name for table in metadata.tables.values() for index in table.indexes}
    if "uq_business_calendars_tenant_default" not in names:
        # At most one default calendar per tenant.
        business_calendars.append_constraint(
            Index(
                "uq_business_calendars_tenant_default",
                text("coalesce(tenant_id, '')"),
                unique=True,
                sqlite_where=text("is_default"),
                postgresql_where=text("is_default"),
            )
        )
    if "ix_tickets_created_at_covering" not in names:
        # --- issue 15: migration 0004_perf_indexes -----------------------------------------
        # `performance` over a window of the whole desk, as an index-only scan
        # (PostgreSQL; on SQLite a full scan beats it for --range all).
        Index(
            "ix_tickets_created_at_covering",
            tickets.c.created_at,
            postgresql_include=[
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
            ],
        ).ddl_if(dialect="postgresql")
    if "ix_tickets_resolved_at_covering" not in names:
        # Migration 0005_resolved_index: `performance`'s resolved_in_window over a window
        # of resolved_at, as an index-only scan (PostgreSQL; SQLite scans tickets).
        Index(
            "ix_tickets_resolved_at_covering",
            tickets.c.resolved_at,
            postgresql_include=["assigned_to_user_id", "tenant_id"],
        ).ddl_if(dialect="postgresql")
        # --- end issue 15 --------------------------------------------------------------------
    return metadata
