"""The floor for `assign --backlog` on PostgreSQL: read + heap + write in one script.

    python bench/assign_floor.py postgresql://...

No agentctl imports: psycopg only. One transaction: lock the available agents, read their
workloads and skills, read the backlog in order, decide with one heap per ticket class
(balanced: least workload, then oldest activity, then id; caps, skill levels and
escalations as DESIGN.md says), then write with `UPDATE … FROM unnest` and COPY the log.
"""

from __future__ import annotations

import heapq
import sys
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

OPEN = "('open', 'in_progress', 'waiting')"
NEVER = datetime.min.replace(tzinfo=UTC)


def main(url: str) -> None:
    with psycopg.connect(url) as conn, conn.transaction():
        agents = conn.execute(
            "SELECT a.id, a.max_open_tickets, av.last_activity_at FROM agents a "
            "JOIN agent_availability av ON av.user_id = a.id WHERE a.tenant_id IS NULL "
            "AND a.is_active AND av.status = 'available' ORDER BY a.id FOR UPDATE OF av"
        ).fetchall()
        load = {a: 0 for a, _, _ in agents}
        for agent, n in conn.execute(
            f"SELECT assigned_to_user_id, count(*) FROM tickets WHERE status IN {OPEN} "
            "AND assigned_to_user_id IS NOT NULL GROUP BY 1"
        ):
            if agent in load:
                load[agent] = n
        skills: dict[uuid.UUID, dict[str, tuple[int, bool]]] = {a: {} for a in load}
        for agent, category, level, esc in conn.execute(
            "SELECT user_id, skill_category, skill_level, can_handle_escalations FROM agent_skills"
        ):
            if agent in skills:
                skills[agent][category] = (level, esc)
        backlog = conn.execute(
            "SELECT id, category, required_skill_level, escalation_level FROM tickets "
            f"WHERE tenant_id IS NULL AND assigned_to_user_id IS NULL AND status IN {OPEN} "
            "ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 "
            "WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, "
            "coalesce(sla_due_date, '9999-12-31'::timestamptz), created_at, id FOR UPDATE"
        ).fetchall()

        cap = {a: c for a, c, _ in agents}
        last = {a: t or NEVER for a, _, t in agents}
        version = dict.fromkeys(load, 0)
        heaps: dict[tuple[str | None, int, bool], list[tuple[int, datetime, uuid.UUID, int]]] = {}
        members: dict[uuid.UUID, list[list[tuple[int, datetime, uuid.UUID, int]]]] = {
            a: [] for a in load
        }

        def qualifies(agent: uuid.UUID, key: tuple[str | None, int, bool]) -> bool:
            category, level, escalated = key
            if category is None:
                return not escalated or any(e for _, e in skills[agent].values())
            skill = skills[agent].get(category)
            return skill is not None and skill[0] >= level and (not escalated or skill[1])

        def free(agent: uuid.UUID) -> bool:
            return cap[agent] is None or load[agent] < cap[agent]

        now = datetime.now(UTC)
        tickets, chosen, ats, reasons = [], [], [], []
        for ticket_id, category, level, escalation in backlog:
            key = (category, level if category is not None else 1, escalation > 0)
            heap = heaps.get(key)
            if heap is None:
                heap = heaps[key] = []
                for agent in load:
                    if qualifies(agent, key):
                        members[agent].append(heap)
                        if free(agent):
                            heap.append((load[agent], last[agent], agent, version[agent]))
                heapq.heapify(heap)
            while heap and (heap[0][3] != version[heap[0][2]] or not free(heap[0][2])):
                heapq.heappop(heap)
            if not heap:
                continue
            agent = heap[0][2]
            now += timedelta(microseconds=1)
            tickets.append(ticket_id)
            chosen.append(agent)
            ats.append(now)
            reasons.append(f"least workload ({load[agent]} open)")
            load[agent] += 1
            last[agent] = now
            version[agent] += 1
            if free(agent):
                for other in members[agent]:
                    heapq.heappush(other, (load[agent], now, agent, version[agent]))

        conn.execute(
            "UPDATE tickets AS t SET assigned_to_user_id = u.agent, updated_at = u.at "
            "FROM unnest(%s::uuid[], %s::uuid[], %s::timestamptz[]) AS u(ticket, agent, at) "
            "WHERE t.id = u.ticket",
            (tickets, chosen, ats),
        )
        with conn.cursor().copy(
            "COPY assignment_log (id, ticket_id, agent_id, strategy, reason, assigned_at) "
            "FROM STDIN"
        ) as copy:
            for row in zip(tickets, chosen, reasons, ats, strict=True):
                copy.write_row((uuid.uuid4(), row[0], row[1], "balanced", row[2], row[3]))
        latest = {a: t for a, t in zip(chosen, ats, strict=True)}
        conn.execute(
            "UPDATE agent_availability AS a SET last_activity_at = u.at, updated_at = u.at "
            "FROM unnest(%s::uuid[], %s::timestamptz[]) AS u(agent, at) WHERE a.user_id = u.agent",
            (list(latest), list(latest.values())),
        )
    print(len(tickets))


if __name__ == "__main__":
    main(sys.argv[1])
