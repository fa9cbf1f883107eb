"""The Core tables under the ORM classes' names, their columns read as attributes.

``from agentctl.columns import Agent, Ticket`` gives objects on which a query written
against the models (``select(Ticket.id).join(Agent, Agent.id == Ticket.assigned_to_user_id)``)
builds the same SQL, without importing ``sqlalchemy.orm`` or configuring mappers: a read
path switches from the ORM to Core by its import line. They select columns, never
objects: ``select(Agent)`` gives rows of the agents table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, FromClause, Table

from agentctl import tables


class Columns:
    """A Core table whose columns are attributes (``Ticket.status``), as on a model."""

    def __init__(self, table: Table) -> None:
        # FromClause, as on the ORM classes (DeclarativeBase types it so).
        self.__table__: FromClause = table

    def __getattr__(self, name: str) -> Column[Any]:
        try:
            column: Column[Any] = self.__dict__["__table__"].c[name]
        except KeyError:
            raise AttributeError(name) from None
        return column

    def __clause_element__(self) -> Any:  # Any: SQLAlchemy's protocol types a column here
        """What SQLAlchemy uses where a table goes (``join``, ``FOR UPDATE OF``, DML)."""
        return self.__table__

    def __repr__(self) -> str:
        return f"Columns({self.__table__})"


Agent = Columns(tables.agents)
AgentAvailability = Columns(tables.agent_availability)
AgentSkill = Columns(tables.agent_skills)
AgentTimeOff = Columns(tables.agent_time_off)
AssignmentLog = Columns(tables.assignment_log)
AvailabilityEvent = Columns(tables.availability_events)
BusinessCalendar = Columns(tables.business_calendars)
ReportRun = Columns(tables.report_runs)
ScheduleDelivery = Columns(tables.schedule_deliveries)
ScheduledReport = Columns(tables.scheduled_reports)
SlaPolicy = Columns(tables.sla_policies)
Ticket = Columns(tables.tickets)
