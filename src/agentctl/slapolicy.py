"""SLA policies applied to tickets: which policy matches, and what it sets.

No database here: ``SlaRules`` is built from rows already loaded (one statement for the
policies and one for the calendars, by whoever loads them) and then applied to any number
of tickets. ``sla apply`` and ``tickets import`` both use it, so the two never disagree.

DESIGN.md "Business time": policies of a tenant are evaluated in ``position`` order and the
first that matches applies (its priority list is empty or holds the ticket's priority, and
its category list is empty or holds the ticket's category). A ticket's calendar is its
policy's calendar, else its tenant's default calendar, else none (plain minutes).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agentctl.businesstime import Calendar, from_micros, to_micros

_MINUTE = 60_000_000  # microseconds


@dataclass(frozen=True)
class Policy:
    id: uuid.UUID
    tenant_id: str | None
    name: str
    position: int
    priorities: frozenset[str]
    categories: frozenset[str]
    first_response_minutes: int | None
    resolution_minutes: int | None
    calendar_id: uuid.UUID | None

    def matches(self, priority: str | None, category: str | None) -> bool:
        if self.priorities and priority not in self.priorities:
            return False
        return not self.categories or (category or "").lower() in self.categories


@dataclass(frozen=True)
class SlaFields:
    """The columns a policy and a calendar set on one ticket."""

    sla_policy_id: uuid.UUID | None
    first_response_due_at: datetime | None
    sla_due_date: datetime | None
    first_response_business_minutes: float | None
    resolution_business_minutes: float | None


@dataclass
class SlaRules:
    """Every tenant's policies (in order), calendars, and default calendar."""

    policies: dict[str | None, list[Policy]] = field(default_factory=dict)
    calendars: dict[uuid.UUID, Calendar] = field(default_factory=dict)
    default_calendar: dict[str | None, uuid.UUID] = field(default_factory=dict)
    # (tenant, priority, category) -> the policy and calendar that apply: computed once.
    _matched: dict[
        tuple[str | None, str | None, str | None], tuple[Policy | None, Calendar | None]
    ] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls, policy_rows: Iterable[Mapping[str, Any]], calendar_rows: Iterable[Mapping[str, Any]]
    ) -> SlaRules:
        """From ``sla_policies`` and ``business_calendars`` rows (mappings of their columns)."""
        rules = cls()
        for row in calendar_rows:
            rules.calendars[row["id"]] = Calendar.from_stored(
                row["timezone"], row["hours"], row["holidays"] or (), row["holiday_region"]
            )
            if row["is_default"]:
                rules.default_calendar[row["tenant_id"]] = row["id"]
        for row in policy_rows:
            policy = Policy(
                id=row["id"],
                tenant_id=row["tenant_id"],
                name=row["name"],
                position=row["position"],
                priorities=frozenset(row["priorities"] or ()),
                categories=frozenset(c.lower() for c in row["categories"] or ()),
                first_response_minutes=row["first_response_minutes"],
                resolution_minutes=row["resolution_minutes"],
                calendar_id=row["calendar_id"],
            )
            rules.policies.setdefault(policy.tenant_id, []).append(policy)
        for tenant_policies in rules.policies.values():
            tenant_policies.sort(key=lambda p: p.position)
        return rules

    def policy_for(
        self, tenant_id: str | None, priority: str | None, category: str | None
    ) -> Policy | None:
        for policy in self.policies.get(tenant_id, ()):
            if policy.matches(priority, category):
                return policy
        return None

    def calendar_for(self, tenant_id: str | None, policy: Policy | None) -> Calendar | None:
        if policy is not None and policy.calendar_id is not None:
            return self.calendars[policy.calendar_id]
        default = self.default_calendar.get(tenant_id)
        return self.calendars[default] if default is not None else None

    def _match(
        self, tenant_id: str | None, priority: str | None, category: str | None
    ) -> tuple[Policy | None, Calendar | None]:
        key = (tenant_id, priority, category)
        found = self._matched.get(key)
        if found is None:
            policy = self.policy_for(tenant_id, priority, category)
            found = self._matched[key] = (policy, self.calendar_for(tenant_id, policy))
        return found

    def compute_micros(
        self,
        tenant_id: str | None,
        priority: str | None,
        category: str | None,
        created: int,
        responded: int | None,
        resolved: int | None,
    ) -> tuple[uuid.UUID | None, int | None, int | None, float | None, float | None]:
        """``compute`` on UTC microseconds, for ``sla apply``'s million rows: (policy id,
        first-response due, resolution due, first-response and resolution business
        minutes); a due time is None where the policy sets none. Same values as compute."""
        policy, calendar = self._match(tenant_id, priority, category)
        first_due = due = None
        if calendar is None:
            if policy is not None:
                if policy.first_response_minutes is not None:
                    first_due = created + policy.first_response_minutes * _MINUTE
                if policy.resolution_minutes is not None:
                    due = created + policy.resolution_minutes * _MINUTE
            first_bm = None if responded is None else max(responded - created, 0) / _MINUTE
            res_bm = None if resolved is None else max(resolved - created, 0) / _MINUTE
            return (policy.id if policy else None), first_due, due, first_bm, res_bm
        clock = calendar.clock(created)
        if policy is not None:
            if policy.first_response_minutes is not None:
                first_due = calendar.add_micros_from(clock, policy.first_response_minutes * _MINUTE)
            if policy.resolution_minutes is not None:
                due = calendar.add_micros_from(clock, policy.resolution_minutes * _MINUTE)
        spent = calendar.business_micros_from
        first_bm = None if responded is None else spent(clock, responded) / _MINUTE
        res_bm = None if resolved is None else spent(clock, resolved) / _MINUTE
        return (policy.id if policy else None), first_due, due, first_bm, res_bm

    def compute(
        self,
        *,
        tenant_id: str | None,
        priority: str | None,
        category: str | None,
        created_at: datetime,
        first_response_at: datetime | None,
        resolved_at: datetime | None,
        explicit_first_response_due_at: datetime | None = None,
        explicit_sla_due_date: datetime | None = None,
    ) -> SlaFields:
        """The SLA columns of one ticket. An explicit due date (given in an import) wins
        over the policy's; without a policy, the explicit values are kept as they are."""
        policy, calendar = self._match(tenant_id, priority, category)
        created = to_micros(created_at)
        clock = calendar.clock(created) if calendar is not None else None

        def due(minutes: int | None, explicit: datetime | None) -> datetime | None:
            if explicit is not None or minutes is None:
                return explicit
            if calendar is None or clock is None:
                return created_at + timedelta(minutes=minutes)
            return from_micros(calendar.add_micros_from(clock, minutes * _MINUTE))

        def spent(until: datetime | None) -> float | None:
            if until is None:
                return None
            if calendar is None or clock is None:
                return max(to_micros(until) - created, 0) / _MINUTE
            return calendar.business_micros_from(clock, to_micros(until)) / _MINUTE

        return SlaFields(
            sla_policy_id=policy.id if policy else None,
            first_response_due_at=due(
                policy.first_response_minutes if policy else None, explicit_first_response_due_at
            ),
            sla_due_date=due(policy.resolution_minutes if policy else None, explicit_sla_due_date),
            first_response_business_minutes=spent(first_response_at),
            resolution_business_minutes=spent(resolved_at),
        )
