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

Only rows whose values change are written, all in the caller's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from agentctl.repository import calendars as calendar_repo
from agentctl.repository import sla as repo
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
    total = repo.count_tickets(session, tenant) if progress is not None else 0
    now = utcnow()
    seen = changed = 0
    compute = rules.compute_micros
    for page in repo.ticket_pages(session, tenant):
        changes: list[repo.Change] = []
        for row in page:
            (tid, tenant_id, priority, category, created, responded, resolved) = row[:7]
            old_policy, old_first_due, old_due, old_first_bm, old_res_bm = row[7:]
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
                changes.append((tid, policy, first_due, due, first_bm, res_bm))
        if not dry_run:
            repo.write_changes(session, changes, now)
        seen += len(page)
        changed += len(changes)
        if progress is not None:
            progress(seen, total)
    return ApplyResult(tickets=seen, changed=changed, dry_run=dry_run)


def out_of_date(session: Session, tenant: str | None) -> int:
    """How many tickets ``sla apply`` would change now (a dry run)."""
    return apply(session, tenant, dry_run=True).changed
