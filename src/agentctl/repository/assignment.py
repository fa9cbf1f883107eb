"""SQL for `agentctl assign`: the tenant lock, the agent pool, ticket claims, bulk writes.

Every batch runs a fixed set of statements whatever the backlog or team size:
lock-and-load agents (workloads and skills only when another process changed them), claim
tickets, then one UPDATE of tickets, one INSERT into assignment_log and one UPDATE of
agent_availability. The SQL lives in three modules, by responsibility; this one names
them all for the service:

- ``assignment_pool``: agents, shifts, time off, workloads, skills;
- ``assignment_tickets``: the backlog order, the claim, named tickets;
- ``assignment_writes``: the writes of a batch.
"""

from __future__ import annotations

from agentctl.repository.assignment_pool import (
    AgentRow,
    ShiftRow,
    SkillRow,
    TimeOffRow,
    agent_emails,
    agent_shifts,
    holders_of_work,
    lock_and_load_agents,
    skills_of,
    time_off_from,
    workloads,
)
from agentctl.repository.assignment_tickets import (
    NO_DUE_DATE,
    PRIORITY_RANK,
    TicketRow,
    backlog_tenants,
    claim_tickets,
    find_tickets,
    is_deadlock,
    work_order,
)
from agentctl.repository.assignment_writes import AssignmentWrite, write_assignments

__all__ = [
    "NO_DUE_DATE",
    "PRIORITY_RANK",
    "AgentRow",
    "AssignmentWrite",
    "ShiftRow",
    "SkillRow",
    "TicketRow",
    "TimeOffRow",
    "agent_emails",
    "agent_shifts",
    "backlog_tenants",
    "claim_tickets",
    "find_tickets",
    "holders_of_work",
    "is_deadlock",
    "lock_and_load_agents",
    "skills_of",
    "time_off_from",
    "work_order",
    "workloads",
    "write_assignments",
]
