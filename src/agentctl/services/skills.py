"""Skills: who can handle which category, at which level, and whether escalations too.

Levels are 1-4 (Beginner, Intermediate, Advanced, Expert). Categories are stored in
lower case, as ticket imports store them, so that skills and tickets always match.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agentctl.errors import NotFoundError, UsageError
from agentctl.models import SKILL_LEVELS, Agent, AgentSkill
from agentctl.repository import agents as agents_repo
from agentctl.repository import skills as repo
from agentctl.services.importing import (
    FileSpec,
    ImportResult,
    RowErrors,
    Source,
    SourceRow,
    parse_bool,
    require,
)

SKILL_FIELDS = (
    "agent_id",
    "agent_email",
    "skill_category",
    "skill_level",
    "can_handle_escalations",
    "tenant_id",
)
IMPORT_COLUMNS = ("agent", "category", "level", "can_handle_escalations", "tenant_id")
# `skills list -f csv` is accepted as it is: its columns map onto the import's.
IMPORT_SPEC = FileSpec(
    required=("agent", "category", "level"),
    known=IMPORT_COLUMNS,
    aliases={"agent_email": "agent", "skill_category": "category", "skill_level": "level"},
    ignored=frozenset({"agent_id"}),
)
MAX_CATEGORY_LENGTH = 64
_LEVEL_BY_NAME = {name.lower(): level for level, name in SKILL_LEVELS.items()}


def level_name(level: int) -> str:
    return SKILL_LEVELS.get(level, str(level))


def parse_level(raw: str | int) -> int:
    """``3``, ``advanced`` or ``Advanced`` → 3; anything else is a ValueError."""
    text = str(raw).strip().lower()
    if text in _LEVEL_BY_NAME:
        return _LEVEL_BY_NAME[text]
    if text.isdigit() and int(text) in SKILL_LEVELS:
        return int(text)
    names = ", ".join(f"{level} {name}" for level, name in SKILL_LEVELS.items())
    raise ValueError(f"invalid level {str(raw)!r}; use 1-4 ({names})")


def normalize_category(raw: str) -> str:
    category = raw.strip().lower()
    if not category:
        raise ValueError("the category is empty")
    if len(category) > MAX_CATEGORY_LENGTH:
        raise ValueError(f"the category is longer than {MAX_CATEGORY_LENGTH} characters")
    return category


def _category(raw: str) -> str:
    try:
        return normalize_category(raw)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def skill_row(skill: AgentSkill, agent: Agent) -> dict[str, Any]:
    return {
        "agent_id": agent.id,
        "agent_email": agent.email,
        "skill_category": skill.skill_category,
        "skill_level": skill.skill_level,
        "can_handle_escalations": skill.can_handle_escalations,
        "tenant_id": agent.tenant_id,
    }


def list_skills(
    session: Session, tenant: str | None, agent: str | None = None, category: str | None = None
) -> list[dict[str, Any]]:
    """Every active agent's skills, or one agent's; optionally one category."""
    agent_id = agents_repo.resolve_agent(session, agent, tenant).id if agent else None
    rows = repo.list_skills(
        session,
        tenant,
        agent_id=agent_id,
        category=_category(category) if category is not None else None,
    )
    return [skill_row(skill, owner) for skill, owner in rows]


def set_skill(
    session: Session,
    tenant: str | None,
    agent: str,
    category: str,
    level: str | int,
    escalations: bool | None = None,
) -> tuple[dict[str, Any], bool]:
    """Create or update one skill; (its row, whether it was created).

    ``escalations=None`` keeps an existing skill's flag (a new one starts without).
    """
    try:
        level_value = parse_level(level)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    name = _category(category)
    owner = agents_repo.resolve_agent(session, agent, tenant)
    skill = repo.skills_of(session, [owner.id]).get((owner.id, name))
    created = skill is None
    if skill is None:
        skill = AgentSkill(
            user_id=owner.id,
            tenant_id=owner.tenant_id,
            skill_category=name,
            skill_level=level_value,
            can_handle_escalations=bool(escalations),
        )
        repo.add_skills(session, [skill])
    else:
        skill.skill_level = level_value
        if escalations is not None:
            skill.can_handle_escalations = escalations
        repo.touch(skill)
        session.flush()
    return skill_row(skill, owner), created


def remove_skill(session: Session, tenant: str | None, agent: str, category: str) -> None:
    owner = agents_repo.resolve_agent(session, agent, tenant)
    name = _category(category)
    if repo.delete_skill(session, owner.id, name) == 0:
        raise NotFoundError(
            f"{owner.email} has no {name!r} skill; see `agentctl skills list {owner.email}`"
        )


@dataclass(frozen=True)
class _ParsedRow:
    line: int
    agent: Agent
    category: str
    level: int
    escalations: bool | None


class _AgentDirectory:
    """Agents of the tenant by id and by email, loaded once for a whole file."""

    def __init__(self, agents: Sequence[Agent], tenant: str | None) -> None:
        self.tenant = tenant
        self.by_id = {a.id: a for a in agents}
        self.by_email: dict[str, list[Agent]] = {}
        for a in agents:
            self.by_email.setdefault(a.email.lower(), []).append(a)

    def find(self, ref: str, tenant: str | None = None, *, any_tenant: bool = True) -> Agent:
        """By id or email (case-insensitive); in ``tenant`` unless ``any_tenant``."""
        ref = ref.strip()
        if _is_uuid(ref):
            agent = self.by_id.get(uuid.UUID(ref))
            found = [agent] if agent is not None else []
        else:
            found = self.by_email.get(ref.lower(), [])
        if not any_tenant:
            found = [a for a in found if a.tenant_id == tenant]
        if not found:
            where_tenant = self.tenant if any_tenant else tenant
            where = f" in tenant {where_tenant!r}" if where_tenant is not None else ""
            raise ValueError(f"unknown agent {ref!r}{where}")
        if len(found) > 1:
            raise ValueError(f"agent {ref!r} exists in several tenants; name one with --tenant")
        return found[0]


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _parse_row(row: SourceRow, directory: _AgentDirectory, errors: RowErrors) -> _ParsedRow | None:
    ref = require(row, "agent", errors)
    raw_category = require(row, "category", errors)
    raw_level = require(row, "level", errors)
    escalations: bool | None = None
    if row.values.get("can_handle_escalations") is not None:
        escalations = parse_bool(row, "can_handle_escalations", errors, default=False)
    row_tenant = row.values.get("tenant_id")
    if row_tenant is not None and directory.tenant is not None and row_tenant != directory.tenant:
        errors.add(
            row.line, "tenant_id", f"{row_tenant!r} is outside --tenant {directory.tenant!r}"
        )
        return None
    # A tenant_id column names the agent's tenant; an empty cell is the single-tenant desk.
    in_tenant = row_tenant if row_tenant is not None else directory.tenant
    agent = category = level = None
    if ref is not None:
        try:
            agent = directory.find(ref, in_tenant, any_tenant="tenant_id" not in row.values)
        except ValueError as exc:
            errors.add(row.line, "agent", str(exc))
    if raw_category is not None:
        try:
            category = normalize_category(raw_category)
        except ValueError as exc:
            errors.add(row.line, "category", str(exc))
    if raw_level is not None:
        try:
            level = parse_level(raw_level)
        except ValueError as exc:
            errors.add(row.line, "level", str(exc))
    if agent is None or category is None or level is None:
        return None
    return _ParsedRow(row.line, agent, category, level, escalations)


def import_skills(session: Session, path: Path, tenant: str | None) -> ImportResult:
    """Create or update skills from ``agent,category,level[,can_handle_escalations]``.

    All or nothing: every bad row is named by line and column, and nothing is written.
    """
    errors = RowErrors(str(path))
    directory = _AgentDirectory(
        agents_repo.list_agents(session, tenant, include_inactive=True), tenant
    )
    parsed: list[_ParsedRow] = []
    seen: dict[tuple[uuid.UUID, str], int] = {}
    for row in Source(path, IMPORT_SPEC, errors).rows():
        item = _parse_row(row, directory, errors)
        if item is None:
            continue
        key = (item.agent.id, item.category)
        if key in seen:
            errors.add(
                row.line,
                "category",
                f"{item.agent.email} {item.category!r} already appears on line {seen[key]}",
            )
            continue
        seen[key] = row.line
        parsed.append(item)
    errors.raise_if_any()

    existing = repo.skills_of(session, (p.agent.id for p in parsed))
    new_skills: list[AgentSkill] = []
    for item in parsed:
        skill = existing.get((item.agent.id, item.category))
        if skill is None:
            new_skills.append(
                AgentSkill(
                    user_id=item.agent.id,
                    tenant_id=item.agent.tenant_id,
                    skill_category=item.category,
                    skill_level=item.level,
                    can_handle_escalations=bool(item.escalations),
                )
            )
            continue
        skill.skill_level = item.level
        if item.escalations is not None:
            skill.can_handle_escalations = item.escalations
        repo.touch(skill)
    repo.add_skills(session, new_skills)
    return ImportResult(created=len(new_skills), updated=len(parsed) - len(new_skills))


@dataclass(frozen=True)
class MatrixCell:
    level: int
    can_handle_escalations: bool

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "can_handle_escalations": self.can_handle_escalations}


@dataclass(frozen=True)
class MatrixRow:
    agent_id: uuid.UUID
    agent_name: str
    agent_email: str
    tenant_id: str | None
    cells: dict[str, MatrixCell] = field(default_factory=dict)


@dataclass(frozen=True)
class SkillMatrix:
    categories: list[str]
    rows: list[MatrixRow]


def skill_matrix(session: Session, tenant: str | None) -> SkillMatrix:
    """Active agents x categories (every category some active agent has), one query."""
    rows: dict[uuid.UUID, MatrixRow] = {}
    categories: set[str] = set()
    for agent, skill in repo.matrix_rows(session, tenant):
        row = rows.setdefault(
            agent.id, MatrixRow(agent.id, agent.name, agent.email, agent.tenant_id)
        )
        if skill is not None:
            categories.add(skill.skill_category)
            row.cells[skill.skill_category] = MatrixCell(
                skill.skill_level, skill.can_handle_escalations
            )
    return SkillMatrix(sorted(categories), list(rows.values()))


COVERAGE_FIELDS = (
    "tenant_id",
    "category",
    "active_agents",
    "available_agents",
    "beginner",
    "intermediate",
    "advanced",
    "expert",
    "escalation_agents",
    "open_tickets",
    "uncovered_tickets",
    "unassigned_tickets",
    "uncovered_unassigned",
)


@dataclass(frozen=True)
class Coverage:
    rows: list[dict[str, Any]]

    @property
    def uncovered(self) -> list[dict[str, Any]]:
        """Categories with unassigned open tickets that no available agent can take
        (an assigned ticket already has someone: it is no reason to warn)."""
        return [r for r in self.rows if r["uncovered_unassigned"]]


def coverage(session: Session, tenant: str | None) -> Coverage:
    """Per category: active agents, available now, at each level, escalation-capable; and
    the open tickets in it that no available agent can take (two queries)."""
    merged: dict[tuple[str | None, str], dict[str, Any]] = {}

    def row(tenant_id: str | None, category: str) -> dict[str, Any]:
        return merged.setdefault(
            (tenant_id, category),
            {name: 0 for name in COVERAGE_FIELDS} | {"tenant_id": tenant_id, "category": category},
        )

    for s in repo.skill_coverage(session, tenant):
        r = row(s.tenant_id, s.category)
        r["active_agents"], r["available_agents"] = s.active_agents, s.available_agents
        r["beginner"], r["intermediate"], r["advanced"], r["expert"] = s.levels
        r["escalation_agents"] = s.escalation_agents
    for t in repo.ticket_coverage(session, tenant):
        r = row(t.tenant_id, t.category)
        r["open_tickets"], r["uncovered_tickets"] = t.open_tickets, t.uncovered_tickets
        r["unassigned_tickets"], r["uncovered_unassigned"] = t.unassigned, t.uncovered_unassigned
    ordered = sorted(merged.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
    return Coverage([r for _, r in ordered])
