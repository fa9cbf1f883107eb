"""``performance``'s statement on PostgreSQL: the window's tickets read once.

SQLite's statement (``agent_totals_query``) reads the cohort twice, once grouped per
assignee and once more for the desk row, because medians do not add up. PostgreSQL groups
one read both ways, ``GROUP BY ROLLUP (assignee)``: a row per assignee and the desk's row
(the empty grouping set, null key), from one sort of the window's tickets. The cohort is
the active agents' tickets (the join to ``agents``), which is the desk's definition and
changes no agent's row (only active agents are listed).

``--range all`` reads every ticket. PostgreSQL then liked to walk the (assignee,
created_at) index and the table in its order, which hands the rows over already grouped
but fetches ten million rows one at a time: 56 s against 22 s for a scan and a sort.
The statement runs with ``enable_indexscan`` off (``SET LOCAL``, and back to its default
after), as SQLite's does with ``scanned``.

At 10,000,000 tickets, with float8 durations (``minutes_between``), the statement of
``--range 7d`` went from 3.85 s to 1.55-1.69 s, ``30d`` from 15.1 s to 7.0-7.1 s and
``all`` from 70 s to 19 s (README, "`performance` at scale on PostgreSQL").
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, null, select, union_all

from agentctl.columns import Agent, Ticket
from agentctl.repository.common import core_connection
from agentctl.repository.performance import (
    active_agent,
    agent_rows,
    cohort_source,
    cohort_window,
    resolved_counts,
    total_columns,
)

if TYPE_CHECKING:
    from sqlalchemy import CompoundSelect

    from agentctl.repository.common import Reader


def agent_totals_rollup(
    since: datetime | None, until: datetime, as_of: datetime, tenant: str | None
) -> CompoundSelect:
    """Every active agent and their cohort, then the desk's row (null agent id): the
    columns and rows of ``agent_totals_query``, from one read of the window."""
    assignee = Ticket.assigned_to_user_id
    cohort = cohort_source(
        assignee, Agent.id == assignee, active_agent(tenant), cohort_window(since, until, tenant)
    )
    grouped = (
        select(cohort.c.key.label("agent_id"), *total_columns(cohort, as_of))
        .group_by(func.rollup(cohort.c.key))
        .cte("cohort")
    )
    agents = agent_rows(grouped, resolved_counts(since, until, tenant), tenant)
    # The key is never null in an assignee's group (the join to agents), so the null-key
    # row is the empty grouping set: the desk. It is there even when no ticket is.
    desk = select(null(), null(), null(), null(), *list(grouped.c)[1:], null()).where(
        grouped.c.agent_id.is_(None)
    )
    return union_all(agents, desk)


def agent_totals_rows(
    reader: Reader, since: datetime | None, until: datetime, as_of: datetime, tenant: str | None
) -> list[Any]:
    """The rows of ``agent_totals_rollup``; over the whole desk, without index scans."""
    query = agent_totals_rollup(since, until, as_of, tenant)
    if since is not None:
        return list(reader.execute(query))
    connection = core_connection(reader)
    connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
    rows = list(reader.execute(query))
    # After a failure the transaction is rolled back, and the setting with it.
    connection.exec_driver_sql("SET LOCAL enable_indexscan TO DEFAULT")
    return rows
