"""SQLAlchemy 2 declarative models: the schema of DESIGN.md's data model.

Alembic (``migrations/``) is the only way the schema changes; ``tests/test_migrations.py``
proves these models and the migrations agree.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from agentctl.timeutil import as_utc, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TICKET_STATUSES = ("open", "in_progress", "waiting", "resolved", "closed")
OPEN_STATUSES = ("open", "in_progress", "waiting")  # what counts as workload
DONE_STATUSES = ("resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
AVAILABILITY_STATUSES = ("available", "busy", "away", "offline")
SKILL_LEVELS = {1: "Beginner", 2: "Intermediate", 3: "Advanced", 4: "Expert"}
RUN_STATUSES = ("running", "succeeded", "failed", "partial", "skipped")

SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always an aware UTC datetime in Python.

    PostgreSQL stores ``timestamptz``. SQLite has no time zones, so the value is stored as
    naive UTC text and given back its UTC zone on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw text from a SQLite expression
            value = datetime.fromisoformat(value)
        return as_utc(value)


def sqlite_datetime_text(value: datetime) -> str:
    """The text SQLite stores for ``value`` (used by bulk loaders that bypass the ORM).

    Same text as SQLAlchemy's SQLite DATETIME (``SQLITE_DATETIME_FORMAT``), built faster.
    """
    if value.tzinfo is not UTC:
        value = as_utc(value)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    max_open_tickets: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The agent's shift: eligible for assignment only inside this calendar's working hours.
    calendar_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_calendars.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
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


class AgentAvailability(Base):
    __tablename__ = "agent_availability"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), unique=True
    )
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="offline")
    status_message: Mapped[str | None] = mapped_column(Text)
    last_activity_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(_in("status", AVAILABILITY_STATUSES), name="status"),
        Index(None, "tenant_id", "status"),
    )


class AgentSkill(Base):
    __tablename__ = "agent_skills"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    skill_category: Mapped[str] = mapped_column(String(64))
    skill_level: Mapped[int] = mapped_column(Integer)
    can_handle_escalations: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index(None, "user_id", "skill_category", unique=True),
        Index(None, "tenant_id", "skill_category"),
        CheckConstraint("skill_level BETWEEN 1 AND 4", name="skill_level"),
    )


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    ticket_number: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    category: Mapped[str | None] = mapped_column(String(64))
    required_skill_level: Mapped[int] = mapped_column(Integer, default=1)
    assigned_to_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column()
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    sla_due_date: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Business time (DESIGN.md "Business time"): the policy that set the due dates, the
    # first-response due date, and the business minutes stored when the ticket is written
    # or `sla apply` runs, so that every metric stays one SQL aggregate.
    # No ON DELETE action: SQLite cannot add one to an existing table without copying it;
    # `sla remove` clears the tickets' policy in the same transaction.
    sla_policy_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sla_policies.id"))
    first_response_due_at: Mapped[datetime | None] = mapped_column()
    first_response_business_minutes: Mapped[float | None] = mapped_column(Float)
    resolution_business_minutes: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        Index(
            "uq_tickets_tenant_ticket_number",
            text("coalesce(tenant_id, '')"),
            ticket_number,
            unique=True,
        ),
        # The backlog: unassigned tickets of a tenant in an open status, by priority.
        Index(None, "tenant_id", "assigned_to_user_id", "status", "priority"),
        # Cohorts and workloads: an agent's tickets by creation time.
        Index(None, "assigned_to_user_id", "created_at"),
        # Windows over the whole desk (reports, aging).
        Index(None, "tenant_id", "created_at"),
        # --- issue 15: migration 0004_perf_indexes ---------------------------------------
        # `performance` over a window of the whole desk, as an index-only scan
        # (PostgreSQL; on SQLite a full scan beats it for --range all).
        Index(
            "ix_tickets_created_at_covering",
            "created_at",
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
        ).ddl_if(dialect="postgresql"),
        # --- end issue 15 ------------------------------------------------------------------
        CheckConstraint(_in("status", TICKET_STATUSES), name="status"),
        CheckConstraint(_in("priority", PRIORITIES), name="priority"),
        CheckConstraint("required_skill_level BETWEEN 1 AND 4", name="required_skill_level"),
        CheckConstraint("escalation_level >= 0", name="escalation_level"),
    )


class AssignmentLog(Base):
    __tablename__ = "assignment_log"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    previous_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    strategy: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    tenant_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index(None, "ticket_id"),
        Index(None, "agent_id", "assigned_at"),
        Index(None, "tenant_id", "assigned_at"),
    )


class ScheduledReport(Base):
    __tablename__ = "scheduled_reports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    report_type: Mapped[str] = mapped_column(String(32))
    schedule_cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    format: Mapped[str] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column()
    next_run_at: Mapped[datetime | None] = mapped_column()
    # --skip-empty: a run with no detail rows sends nothing (recorded as skipped).
    skip_empty: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # --new-only: leave out the rows this schedule already delivered (schedule_deliveries).
    new_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # --webhook URL...: incoming webhooks (Slack/Teams) that also receive the summary.
    webhooks: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index(
            "uq_scheduled_reports_tenant_name", text("coalesce(tenant_id, '')"), name, unique=True
        ),
        Index(None, "is_active", "next_run_at"),
    )


class ReportRun(Base):
    __tablename__ = "report_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scheduled_reports.id", ondelete="SET NULL")
    )
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    report_type: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # The occurrence a scheduled run belongs to (its claimed next_run_at); null ad hoc.
    occurrence_at: Mapped[datetime | None] = mapped_column()
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    output_path: Mapped[str | None] = mapped_column(Text)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    rows: Mapped[int | None] = mapped_column(Integer)
    # The schedule's name at run time: history keeps it after the schedule is removed.
    schedule_name: Mapped[str | None] = mapped_column(String(200))
    # Per recipient (and webhook, masked) what happened: {"ana@x": "accepted", ...}.
    deliveries: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The claim is a lease: who runs it, until when; renewed while the run works. A run whose
    # lease expired while still `running` is taken over by the next tick or daemon.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    takeover_of_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_runs.id", ondelete="SET NULL")
    )

    __table_args__ = (
        CheckConstraint(_in("status", RUN_STATUSES), name="status"),
        Index(None, "schedule_id", "started_at"),
        Index(None, "started_at"),
    )


class BusinessCalendar(Base):
    """Working hours of a desk or a shift: a time zone, weekly intervals and holidays."""

    __tablename__ = "business_calendars"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # {"mon": [["09:00", "12:30"], ["13:30", "17:00"]], ...}: local times, "24:00" allowed.
    hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    holiday_region: Mapped[str | None] = mapped_column(String(32))
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index(
            "uq_business_calendars_tenant_name",
            text("coalesce(tenant_id, '')"),
            name,
            unique=True,
        ),
        # At most one default calendar per tenant.
        Index(
            "uq_business_calendars_tenant_default",
            text("coalesce(tenant_id, '')"),
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )


class SlaPolicy(Base):
    """First-response and resolution targets for the tickets it matches, in business time."""

    __tablename__ = "sla_policies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)  # evaluation order, first match applies
    priorities: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty = any
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty = any
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    calendar_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_calendars.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("uq_sla_policies_tenant_name", text("coalesce(tenant_id, '')"), name, unique=True),
        Index(None, "tenant_id", "position"),
        CheckConstraint(
            "first_response_minutes IS NULL OR first_response_minutes > 0", name="first_response"
        ),
        CheckConstraint("resolution_minutes IS NULL OR resolution_minutes > 0", name="resolution"),
    )


class AvailabilityEvent(Base):
    """One change of an agent's availability; appended, never updated or deleted."""

    __tablename__ = "availability_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    status_message: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        CheckConstraint(_in("status", AVAILABILITY_STATUSES), name="status"),
        Index(None, "agent_id", "at"),
        Index(None, "tenant_id", "at"),
    )


class AgentTimeOff(Base):
    """A period of leave: the agent is never eligible for assignment inside it."""

    __tablename__ = "agent_time_off"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period"),
        Index(None, "agent_id", "starts_at"),
    )


class ScheduleDelivery(Base):
    """A detail row a `--new-only` schedule delivered, by key (ticket and due time)."""

    __tablename__ = "schedule_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scheduled_reports.id", ondelete="CASCADE")
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column()
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_runs.id", ondelete="SET NULL")
    )
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "schedule_id", "ticket_id", "due_at", unique=True),)
