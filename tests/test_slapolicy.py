"""Which SLA policy applies to a ticket, and the columns it sets (values worked by hand)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from agentctl.slapolicy import SlaFields, SlaRules

BERLIN = uuid.uuid4()
LONDON = uuid.uuid4()


def calendar_row(cid: uuid.UUID, tenant: str | None, tz: str, default: bool) -> dict[str, Any]:
    return {
        "id": cid,
        "tenant_id": tenant,
        "timezone": tz,
        "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": [],
        "holiday_region": "DE" if tz == "Europe/Berlin" else None,
        "is_default": default,
    }


def policy_row(
    name: str,
    position: int,
    tenant: str | None = None,
    *,
    priorities: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    first: int | None = 60,
    resolution: int | None = 480,
    calendar: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid5(uuid.NAMESPACE_DNS, f"{tenant}-{name}"),
        "tenant_id": tenant,
        "name": name,
        "position": position,
        "priorities": list(priorities),
        "categories": list(categories),
        "first_response_minutes": first,
        "resolution_minutes": resolution,
        "calendar_id": calendar,
    }


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# Fri 2026-11-27 16:00 CET (15:00Z): one business hour left that day.
FRIDAY_4PM = utc(2026, 11, 27, 15)


def rules() -> SlaRules:
    return SlaRules.build(
        [
            # Out of order on purpose: position decides, not the row order.
            policy_row("rest", 3),
            policy_row("urgent", 1, priorities=("urgent",), first=30, resolution=120),
            policy_row("network", 2, categories=("Network",), first=90, resolution=600),
            policy_row("london-urgent", 1, "acme", priorities=("urgent",), calendar=LONDON),
        ],
        [
            calendar_row(BERLIN, None, "Europe/Berlin", default=True),
            calendar_row(LONDON, "acme", "Europe/London", default=False),
        ],
    )


def compute(r: SlaRules, **kw: Any) -> SlaFields:
    values: dict[str, Any] = {
        "tenant_id": None,
        "priority": "normal",
        "category": None,
        "created_at": FRIDAY_4PM,
        "first_response_at": None,
        "resolved_at": None,
    }
    values.update(kw)
    return r.compute(**values)


def test_first_matching_policy_by_position_in_the_default_calendar() -> None:
    r = rules()
    urgent = compute(r, priority="urgent", category="network")
    assert urgent.sla_policy_id == uuid.uuid5(uuid.NAMESPACE_DNS, "None-urgent")
    # 16:00 + 30 business minutes = 16:30 local; + 120 = 60 on Friday, Mon 10:00 local.
    assert urgent.first_response_due_at == utc(2026, 11, 27, 15, 30)
    assert urgent.sla_due_date == utc(2026, 11, 30, 9)


def test_category_matches_case_insensitively_and_due_dates_cross_the_weekend() -> None:
    fields = compute(rules(), priority="high", category="network")
    assert fields.sla_policy_id == uuid.uuid5(uuid.NAMESPACE_DNS, "None-network")
    # + 90 = 60 Friday + 30 Monday: 09:30 local (08:30Z); + 600 = 60 + 480 Monday + 60
    # Tuesday: Tue 10:00 local (09:00Z).
    assert fields.first_response_due_at == utc(2026, 11, 30, 8, 30)
    assert fields.sla_due_date == utc(2026, 12, 1, 9)


def test_business_minutes_use_the_calendar_with_or_without_a_due_date() -> None:
    fields = compute(
        rules(),
        first_response_at=utc(2026, 11, 30, 8, 30),  # Mon 09:30 local: 60 + 30
        resolved_at=utc(2026, 12, 1, 16),  # Tue 17:00 local: 60 + 480 + 480
    )
    assert fields.first_response_business_minutes == 90
    assert fields.resolution_business_minutes == 1020


def test_an_explicit_due_date_wins_over_the_policy() -> None:
    explicit = utc(2026, 12, 24, 12)
    fields = compute(rules(), explicit_sla_due_date=explicit)
    assert fields.sla_due_date == explicit
    # The policy still sets the other one: 60 minutes from Fri 16:00 local is exactly the
    # end of Friday's interval, 17:00 local (16:00Z).
    assert fields.first_response_due_at == utc(2026, 11, 27, 16)


def test_policy_calendar_of_another_tenant_and_no_default() -> None:
    r = rules()
    # Tenant acme: its urgent policy has the London calendar (UTC+0 in November):
    # Fri 15:00 London + 60 = 16:00 London = 16:00Z; + 480 = 120 Fri + 360 Mon: 15:00Z Mon.
    acme = compute(r, tenant_id="acme", priority="urgent")
    assert acme.first_response_due_at == utc(2026, 11, 27, 16)
    assert acme.sla_due_date == utc(2026, 11, 30, 15)
    # A normal acme ticket: no policy of its tenant, no default calendar: nothing is due,
    # and durations are plain minutes (Friday 15:00Z to Monday 15:00Z = 3 days).
    plain = compute(
        r, tenant_id="acme", resolved_at=utc(2026, 11, 30, 15), explicit_sla_due_date=None
    )
    assert plain.sla_policy_id is None
    assert plain.first_response_due_at is None and plain.sla_due_date is None
    assert plain.resolution_business_minutes == 3 * 24 * 60


def test_without_a_policy_explicit_dates_stay_and_the_default_calendar_counts() -> None:
    r = SlaRules.build([], [calendar_row(BERLIN, None, "Europe/Berlin", default=True)])
    kept = utc(2026, 12, 2, 12)
    fields = compute(r, explicit_sla_due_date=kept, first_response_at=utc(2026, 11, 30, 8, 30))
    assert fields.sla_policy_id is None
    assert fields.sla_due_date == kept
    assert fields.first_response_due_at is None
    assert fields.first_response_business_minutes == 90  # 60 Friday + 30 Monday


def test_tenants_never_share_policies() -> None:
    r = rules()
    # A tenant with no policies of its own gets none of the null tenant's.
    assert compute(r, tenant_id="other", priority="urgent").sla_policy_id is None
    # And the null tenant's urgent ticket never gets acme's London policy.
    assert compute(r, priority="urgent").sla_policy_id != uuid.uuid5(
        uuid.NAMESPACE_DNS, "acme-london-urgent"
    )


def test_a_policy_without_a_first_response_target_sets_only_the_resolution() -> None:
    r = SlaRules.build([policy_row("only-resolution", 1, first=None, resolution=60)], [])
    fields = compute(r)
    assert fields.first_response_due_at is None
    # No calendar at all: plain minutes.
    assert fields.sla_due_date == utc(2026, 11, 27, 16)
