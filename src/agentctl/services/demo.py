"""Realistic, reproducible demo data: a desk of agents and a few months of tickets.

The same ``seed`` (and ``now``) gives the same data, ids included. Large data sets are
bulk loaded (executemany on SQLite, COPY on PostgreSQL), so a million tickets take well
under a minute.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from agentctl import tables
from agentctl.errors import UsageError
from agentctl.models import Agent, AgentAvailability, AgentSkill
from agentctl.repository import bulk
from agentctl.repository import demo as repo
from agentctl.services import demo_business as business
from agentctl.slapolicy import SlaRules
from agentctl.timeutil import utcnow

CATEGORIES = {  # category: share of tickets
    "network": 30,
    "billing": 20,
    "hardware": 14,
    "software": 14,
    "account": 12,
    "email": 10,
}
SUBJECTS = {
    "network": [
        "No internet since this morning",
        "Slow connection in the evening",
        "Router keeps rebooting",
        "Packet loss on fibre line",
        "Не работает интернет",
        "WLAN bricht ständig ab",
    ],
    "billing": [
        "Charged twice this month",
        "Invoice shows the wrong plan",
        "Refund request",
        "Facturación incorrecta",
        "Überweisung nicht verbucht",
    ],
    "hardware": [
        "Modem power light off",
        "Replacement router needed",
        "ONT shows red LOS light",
        "Set-top box will not start",
    ],
    "software": [
        "App login loops",
        "Parental controls not saving",
        "Firmware update failed",
        "Mot de passe oublié dans l'application",
    ],
    "account": [
        "Change account holder",
        "Close my account",
        "Update billing address",
        "Cambio de titular — señora Muñoz",
    ],
    "email": [
        "Mailbox full",
        "Cannot send mail from Outlook",
        "Spam filter too strict",
        "Почта не приходит",
    ],
}
FIRST_NAMES = [
    "Ada",
    "Ben",
    "Carla",
    "Dmitri",
    "Elif",
    "Femi",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kira",
    "Luis",
    "Maya",
    "Nils",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Keller",
    "Novak",
    "Silva",
    "Okafor",
    "Larsen",
    "Yilmaz",
    "Moreau",
    "Tanaka",
    "Fischer",
    "Costa",
    "Ivanova",
    "Brennan",
    "Haddad",
    "Lindqvist",
    "Mensah",
]
PRIORITIES = (("low", 20), ("normal", 50), ("high", 22), ("urgent", 8))
SLA_HOURS = {"urgent": 4, "high": 8, "normal": 24, "low": 72}
FIRST_RESPONSE_MEDIAN_MIN = {"urgent": 6, "high": 12, "normal": 35, "low": 70}
STATUS_WEIGHTS = (("available", 50), ("busy", 20), ("away", 15), ("offline", 15))

TICKETS = tables.tickets
TICKET_FIELDS = (
    "id",
    "tenant_id",
    "ticket_number",
    "subject",
    "status",
    "priority",
    "category",
    "required_skill_level",
    "assigned_to_user_id",
    "escalation_level",
    "created_at",
    "first_response_at",
    "resolved_at",
    "sla_due_date",
    "updated_at",
    "sla_policy_id",
    "first_response_due_at",
    "first_response_business_minutes",
    "resolution_business_minutes",
)


@dataclass(frozen=True)
class DemoResult:
    agents: int
    tickets: int
    unassigned: int
    tenant: str | None


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _make_agents(
    rng: random.Random, count: int, tenant: str | None, now: datetime
) -> tuple[list[Agent], list[AgentAvailability], list[AgentSkill]]:
    agents, availability, skills = [], [], []
    categories = list(CATEGORIES)
    domain = f"{tenant}.example" if tenant else "desk.example"
    for i in range(count):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = LAST_NAMES[(i * 7 + i // len(FIRST_NAMES)) % len(LAST_NAMES)]
        suffix = "" if i < len(FIRST_NAMES) else str(i // len(FIRST_NAMES))
        agent = Agent(
            id=_uuid(rng),
            tenant_id=tenant,
            email=f"{first.lower()}.{last.lower()}{suffix}@{domain}",
            name=f"{first} {last}",
            max_open_tickets=rng.choice([None, None, None, 8, 10, 12, 15, 20]),
            is_active=True,
            created_at=now - timedelta(days=120),
            updated_at=now - timedelta(days=1),
        )
        agents.append(agent)
        availability.append(
            AgentAvailability(
                id=_uuid(rng),
                user_id=agent.id,
                tenant_id=tenant,
                status=_weighted(rng, STATUS_WEIGHTS),
                last_activity_at=now - timedelta(minutes=rng.randint(1, 600)),
                created_at=agent.created_at,
                updated_at=agent.updated_at,
            )
        )
        senior = rng.random() < 0.35
        for category in rng.sample(categories, rng.randint(2, 4)):
            level = rng.choices([1, 2, 3, 4], weights=[2, 4, 3, 2 if senior else 1])[0]
            skills.append(
                AgentSkill(
                    id=_uuid(rng),
                    user_id=agent.id,
                    tenant_id=tenant,
                    skill_category=category,
                    skill_level=level,
                    can_handle_escalations=senior and level >= 3,
                    created_at=agent.created_at,
                    updated_at=agent.updated_at,
                )
            )
    return agents, availability, skills


def _candidates(
    agents: list[Agent], skills: list[AgentSkill]
) -> dict[tuple[str | None, int, bool], list[uuid.UUID]]:
    """Agents who plausibly worked tickets of (category, required level, escalated)."""
    table: dict[tuple[str | None, int, bool], list[uuid.UUID]] = {}
    everyone = [a.id for a in agents]
    for level in range(1, 5):
        for escalated in (False, True):
            table[(None, level, escalated)] = everyone
    for category in CATEGORIES:
        for level in range(1, 5):
            for escalated in (False, True):
                fit = [
                    s.user_id
                    for s in skills
                    if s.skill_category == category
                    and s.skill_level >= level
                    and (s.can_handle_escalations or not escalated)
                ]
                loose = [s.user_id for s in skills if s.skill_category == category]
                table[(category, level, escalated)] = fit or loose or everyone
    return table


def _tickets(
    rng: random.Random,
    count: int,
    days: int,
    now: datetime,
    tenant: str | None,
    candidates: dict[tuple[str | None, int, bool], list[uuid.UUID]],
    counter: list[int],
    sla: SlaRules,
) -> Iterator[tuple[Any, ...]]:
    """One tuple per ticket in TICKET_FIELDS order; counter[0] counts the unassigned."""
    categories = list(CATEGORIES)
    category_weights = list(CATEGORIES.values())
    priorities = [p for p, _ in PRIORITIES]
    priority_weights = [w for _, w in PRIORITIES]
    span = days * 86400.0
    compute = sla.compute
    random_, choices, lognormal = rng.random, rng.choices, rng.lognormvariate
    for i in range(count):
        created = now - timedelta(seconds=random_() * span)
        age_h = (now - created).total_seconds() / 3600.0
        category = None if random_() < 0.08 else choices(categories, category_weights)[0]
        priority = choices(priorities, priority_weights)[0]
        sla_h = SLA_HOURS[priority]
        roll = random_()
        level = 1 if roll < 0.5 else 2 if roll < 0.8 else 3 if roll < 0.95 else 4
        roll = random_()
        escalation = 2 if roll < 0.02 else 1 if roll < 0.08 else 0
        resolution_h = lognormal(math.log(sla_h * 0.4), 0.8)
        if escalation:
            resolution_h *= 1.8
        if random_() < 0.12:
            resolution_h *= 5 + random_() * 60  # the long tail: parts, callbacks, on-site visits
        response_min = lognormal(math.log(FIRST_RESPONSE_MEDIAN_MIN[priority]), 1.0)
        response_min = min(response_min, resolution_h * 60 * 0.9)
        if resolution_h < age_h:
            status = "closed" if random_() < 0.2 else "resolved"
            resolved_at = created + timedelta(hours=resolution_h)
        else:
            roll = random_()
            status = "open" if roll < 0.4 else "in_progress" if roll < 0.8 else "waiting"
            resolved_at = None
        responded = created + timedelta(minutes=response_min)
        # Not answered yet, or (1%) the response was never logged.
        first_response = None if responded > now or random_() < 0.01 else responded
        assignee: uuid.UUID | None
        if resolved_at is None and age_h < 168 and random_() < 0.3:
            assignee = None
            counter[0] += 1
        else:
            assignee = rng.choice(candidates[(category, level, escalation > 0)])
        # The demo's policies set the due dates in business time, as `sla apply` would.
        fields = compute(
            tenant_id=tenant,
            priority=priority,
            category=category,
            created_at=created,
            first_response_at=first_response,
            resolved_at=resolved_at,
        )
        subject = rng.choice(SUBJECTS[category or choices(categories, category_weights)[0]])
        updated = resolved_at or first_response or created
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            tenant,
            f"DEMO-{i + 1:07d}",
            subject,
            status,
            priority,
            category,
            level,
            assignee,
            escalation,
            created,
            first_response,
            resolved_at,
            fields.sla_due_date,
            updated,
            fields.sla_policy_id,
            fields.first_response_due_at,
            fields.first_response_business_minutes,
            fields.resolution_business_minutes,
        )


def generate(
    session: Session,
    *,
    agents: int = 25,
    tickets: int = 5000,
    days: int = 90,
    seed: int = 42,
    reset: bool = False,
    tenant: str | None = None,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Fill the desk of ``tenant`` with demo data (in the caller's transaction)."""
    if agents < 1:
        raise UsageError("--agents must be at least 1")
    if tickets < 0:
        raise UsageError("--tickets must be 0 or more")
    if days < 1:
        raise UsageError("--days must be at least 1")
    existing = repo.count_agents(session, tenant)
    if existing and not reset:
        raise UsageError(
            f"the database already holds {existing} agents; use --reset to replace the "
            "desk's data with demo data"
        )
    if reset:
        repo.clear_desk(session, tenant)

    now = (now or utcnow()).replace(microsecond=0)
    # Each tenant's desk gets its own stream (and so its own ids) from the same seed.
    rng = random.Random(f"{seed}:{tenant or ''}")
    agent_rows, availability, skills = _make_agents(rng, agents, tenant, now)
    calendars = business.make_calendars(rng, tenant, now)
    policies = business.make_policies(rng, tenant, now)
    business.assign_shifts(rng, agent_rows, calendars)
    session.add_all(calendars)
    session.flush()
    session.add_all([*agent_rows, *policies])
    session.flush()
    session.add_all([*availability, *skills, *business.time_off(rng, agent_rows, now)])
    session.flush()
    events = business.availability_events(rng, agent_rows, availability, calendars, now)
    bulk.bulk_insert(session, business.EVENTS, business.EVENT_FIELDS, events)

    counter = [0]
    sla = business.rules(calendars, policies)
    candidates = _candidates(agent_rows, skills)
    rows = _tickets(rng, tickets, days, now, tenant, candidates, counter, sla)
    written = bulk.bulk_insert(session, TICKETS, TICKET_FIELDS, rows, progress=progress)
    bulk.analyze(session)
    return DemoResult(agents=agents, tickets=written, unassigned=counter[0], tenant=tenant)
