"""``sla apply``: recompute every ticket's SLA columns from the policies and calendars.

What apply sets, for each ticket (DESIGN.md "Business time"):

- ``sla_policy_id``: the first matching policy of its tenant, or none;
- ``first_response_due_at`` and ``sla_due_date``: the policy's targets added in business
  time to created_at. A due date the policy does not define (no policy, or a policy with
  no target of that kind) is left as it is: apply never clears a due date, so a ticket
  without a policy keeps the due dates it was imported with;
- ``first_response_business_minutes`` and ``resolution_business_minutes``: always
  recomputed in the ticket's calendar (its policy's, else its tenant's default, else
  plain minutes).

Only rows whose values change are written, all in the caller's one transaction: a failure
(or Ctrl-C) anywhere rolls every row back, so a run is all-or-nothing on both engines. On
SQLite each page's changes are written as it is read; on PostgreSQL they are collected in
a temporary table and written at the end (``repository.sla_pg`` says why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from agentctl.repository import calendars as calendar_repo
from agentctl.repository import sla as repo
from agentctl.repository import sla_pg
from agentctl.slapolicy import SlaRules
from agentctl.timeutil import utcnow

# Called with (tickets done, total tickets) after each page.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class ApplyResult:
    tickets: int  # tickets looked at
    changed: int  # tickets whose SLA columns changed (or would, with --dry-run)
    dry_run: bool


def load_rules(session: Session, tenant: str | None) -> SlaRules:
    policies, calendars = calendar_repo.rule_rows(session, tenant)
    return SlaRules.build(policies, calendars)


def apply(
    session: Session,
    tenant: str | None,
    *,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ApplyResult:
    """Recompute every ticket of ``tenant`` (every tenant without one), page by page."""
    rules = load_rules(session, tenant)
    codec = repo.codec(session)
    load, dump, dump_uuid = codec.load_us, codec.dump_us, codec.dump_uuid
    # PostgreSQL writes after reading everything: the bar counts the read as half the work
    # (every row changing) until it knows how many rows it has to write.
    deferred = None if dry_run or repo.is_sqlite(session) else sla_pg.Writer(session)
    if deferred is not None:
        sla_pg.lock_tickets(session)
    total = repo.count_tickets(session, tenant) if progress is not None else 0
    bar_total = 2 * total if deferred is not None else total
    now = utcnow()
    seen = changed = 0
    compute = rules.compute_micros
    for page in repo.ticket_pages(session, tenant):
        changes: list[repo.Change] = []
        for row in page:
            (tid, tenant_id, priority, category, created, responded, resolved) = row[:7]
            old_policy, old_first_due, old_due, old_first_bm, old_res_bm = row[7:12]
            policy_id, first_due_us, due_us, first_bm, res_bm = compute(
                tenant_id,
                priority,
                category,
                load(created),  # type: ignore[arg-type]  # created_at is NOT NULL
                load(responded),
                load(resolved),
            )
            policy = dump_uuid(policy_id)
            # A due time the policy does not set is left as it is (never cleared).
            first_due = old_first_due if first_due_us is None else dump(first_due_us)
            due = old_due if due_us is None else dump(due_us)
            if (
                policy != old_policy
                or first_due != old_first_due
                or due != old_due
                or first_bm != old_first_bm
                or res_bm != old_res_bm
            ):
                # row[12:]: the ctid on PostgreSQL.
                changes.append((tid, policy, first_due, due, first_bm, res_bm, *row[12:]))
        if deferred is not None:
            deferred.add(changes)
        elif not dry_run:
            repo.write_changes(session, changes, now)
        seen += len(page)
        changed += len(changes)
        if progress is not None:
            progress(seen, bar_total)
    if deferred is not None:
        table_rows = seen if tenant is None else repo.count_tickets(session, None)

        def written(rows: int) -> None:
            if progress is not None:
                progress(seen + rows, seen + changed)

        deferred.finish(now, table_rows, written)
    return ApplyResult(tickets=seen, changed=changed, dry_run=dry_run)


def out_of_date(session: Session, tenant: str | None) -> int:
    """How many tickets ``sla apply`` would change now (a dry run)."""
    return apply(session, tenant, dry_run=True).changed
