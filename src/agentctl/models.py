"""SQLAlchemy 2 ORM classes, mapped onto the Core tables of ``agentctl.tables``.

The schema (columns, indexes, constraints) is declared once, in ``agentctl.tables``; the
annotations here only type the attributes. Write paths and commands that load and change
objects use these classes; read paths that only select use the tables and a Core
connection, without importing this module. Alembic (``migrations/``) is the only way the
schema changes; ``tests/test_migrations.py`` proves the tables and the migrations agree.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import FromClause
from sqlalchemy.orm import DeclarativeBase, Mapped

from agentctl import tables
from agentctl.dbtypes import (  # re-exported: the constants and types predate dbtypes.py
    AVAILABILITY_STATUSES,
    DONE_STATUSES,
    OPEN_STATUSES,
    PRIORITIES,
    RUN_STATUSES,
    SKILL_LEVELS,
    SQLITE_DATETIME_FORMAT,
    TICKET_STATUSES,
    UTCDateTime,
    sqlite_datetime_text,
)
from agentctl.tables import NAMING_CONVENTION

__all__ = [
    "AVAILABILITY_STATUSES",
    "DONE_STATUSES",
    "NAMING_CONVENTION",
    "OPEN_STATUSES",
    "PRIORITIES",
    "RUN_STATUSES",
    "SKILL_LEVELS",
    "SQLITE_DATETIME_FORMAT",
    "TICKET_STATUSES",
    "Agent",
    "AgentAvailability",
    "AgentSkill",
    "AgentTimeOff",
    "AssignmentLog",
    "AvailabilityEvent",
    "Base",
    "BusinessCalendar",
    "ReportRun",
    "ScheduleDelivery",
    "ScheduledReport",
    "SlaPolicy",
    "Ticket",
    "UTCDateTime",
    "sqlite_datetime_text",
]


class Base(DeclarativeBase):
    metadata = tables.metadata


class Agent(Base):
    __table__: ClassVar[FromClause] = tables.agents

    id: Mapped[uuid.UUID]
    tenant_id: Mapped[str | None]
    email: Mapped[str]
    name: Mapped[str]
    max_open_tickets: Mapped[int | None]
    is_active: Mapped[bool]
    calendar_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AgentAvailability(Base):
    __table__: ClassVar[FromClause] = tables.agent_availability

    id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    tenant_id: Mapped[str | None]
    status: Mapped[str]
    status_message: Mapped[str | None]
    last_activity_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AgentSkill(Base):
    __table__: ClassVar[FromClause] = tables.agent_skills

    id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    tenant_id: Mapped[str | None]
    skill_category: Mapped[str]
    skill_level: Mapped[int]
    can_handle_escalations: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Ticket(Base):
    __table__: ClassVar[FromClause] = tables.tickets

    id: Mapped[uuid.UUID]
    tenant_id: Mapped[str | None]
    ticket_number: Mapped[str]
    subject: Mapped[str]
    status: Mapped[str]
    priority: Mapped[str]
    category: Mapped[str | None]
    required_skill_level: Mapped[int]
    assigned_to_user_id: Mapped[uuid.UUID | None]
    escalation_level: Mapped[int]
    created_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    sla_due_date: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    sla_policy_id: Mapped[uuid.UUID | None]
    first_response_due_at: Mapped[datetime | None]
    first_response_business_minutes: Mapped[float | None]
    resolution_business_minutes: Mapped[float | None]


class AssignmentLog(Base):
    __table__: ClassVar[FromClause] = tables.assignment_log

    id: Mapped[uuid.UUID]
    ticket_id: Mapped[uuid.UUID]
    agent_id: Mapped[uuid.UUID]
    previous_agent_id: Mapped[uuid.UUID | None]
    strategy: Mapped[str]
    reason: Mapped[str]
    assigned_at: Mapped[datetime]
    tenant_id: Mapped[str | None]


class ScheduledReport(Base):
    __table__: ClassVar[FromClause] = tables.scheduled_reports

    id: Mapped[uuid.UUID]
    tenant_id: Mapped[str | None]
    name: Mapped[str]
    report_type: Mapped[str]
    schedule_cron: Mapped[str]
    timezone: Mapped[str]
    parameters: Mapped[dict[str, Any]]
    recipients: Mapped[list[str]]
    format: Mapped[str]
    is_active: Mapped[bool]
    last_run_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None]
    skip_empty: Mapped[bool]
    new_only: Mapped[bool]
    webhooks: Mapped[list[str]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReportRun(Base):
    __table__: ClassVar[FromClause] = tables.report_runs

    id: Mapped[uuid.UUID]
    schedule_id: Mapped[uuid.UUID | None]
    tenant_id: Mapped[str | None]
    report_type: Mapped[str]
    format: Mapped[str]
    status: Mapped[str]
    error: Mapped[str | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    occurrence_at: Mapped[datetime | None]
    recipients: Mapped[list[str]]
    output_path: Mapped[str | None]
    bytes: Mapped[int | None]
    rows: Mapped[int | None]
    schedule_name: Mapped[str | None]
    deliveries: Mapped[dict[str, Any] | None]
    claimed_by: Mapped[str | None]
    lease_expires_at: Mapped[datetime | None]
    takeover_of_run_id: Mapped[uuid.UUID | None]


class BusinessCalendar(Base):
    """Working hours of a desk or a shift: a time zone, weekly intervals and holidays."""

    __table__: ClassVar[FromClause] = tables.business_calendars

    id: Mapped[uuid.UUID]
    tenant_id: Mapped[str | None]
    name: Mapped[str]
    timezone: Mapped[str]
    hours: Mapped[dict[str, Any]]
    holiday_region: Mapped[str | None]
    holidays: Mapped[list[str]]
    is_default: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SlaPolicy(Base):
    """First-response and resolution targets for the tickets it matches, in business time."""

    __table__: ClassVar[FromClause] = tables.sla_policies

    id: Mapped[uuid.UUID]
    tenant_id: Mapped[str | None]
    name: Mapped[str]
    position: Mapped[int]
    priorities: Mapped[list[str]]
    categories: Mapped[list[str]]
    first_response_minutes: Mapped[int | None]
    resolution_minutes: Mapped[int | None]
    calendar_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AvailabilityEvent(Base):
    """One change of an agent's availability; appended, never updated or deleted."""

    __table__: ClassVar[FromClause] = tables.availability_events

    id: Mapped[uuid.UUID]
    agent_id: Mapped[uuid.UUID]
    tenant_id: Mapped[str | None]
    status: Mapped[str]
    status_message: Mapped[str | None]
    at: Mapped[datetime]


class AgentTimeOff(Base):
    """A period of leave: the agent is never eligible for assignment inside it."""

    __table__: ClassVar[FromClause] = tables.agent_time_off

    id: Mapped[uuid.UUID]
    agent_id: Mapped[uuid.UUID]
    tenant_id: Mapped[str | None]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str | None]
    created_at: Mapped[datetime]


class ScheduleDelivery(Base):
    """A detail row a `--new-only` schedule delivered, by key (ticket and due time)."""

    __table__: ClassVar[FromClause] = tables.schedule_deliveries

    id: Mapped[uuid.UUID]
    schedule_id: Mapped[uuid.UUID]
    ticket_id: Mapped[uuid.UUID]
    due_at: Mapped[datetime]
    run_id: Mapped[uuid.UUID | None]
    delivered_at: Mapped[datetime]
