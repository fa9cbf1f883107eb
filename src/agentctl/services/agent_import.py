"""`agents import`: create or update agents from a CSV or JSONL file, all or nothing.

Columns ``email,name[,max_open_tickets][,is_active][,tenant_id]``; `agents list --all -f
csv` is accepted as it is (its ``agent_id`` and ``calendar`` are ignored: ids differ
between databases and calendars are not moved by import).

A column the file does not have is left as it is (DESIGN.md "agents"): without
``max_open_tickets`` every cap stays, and a removed agent stays removed unless an
``is_active`` cell says ``true``. An empty cell in a column the file has is "no value":
no cap; for ``is_active``, unchanged (a new agent starts active).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from agentctl.errors import UsageError
from agentctl.models import Agent
from agentctl.repository import agents as agents_repo
from agentctl.repository import imports as repo
from agentctl.services.importing import (
    FileSpec,
    ImportResult,
    RowErrors,
    Source,
    SourceRow,
    parse_bool,
    parse_int,
    require,
    too_long,
)

SPEC = FileSpec(
    required=("email", "name"),
    known=("email", "name", "max_open_tickets", "is_active", "tenant_id"),
    ignored=frozenset({"agent_id", "calendar"}),
)
MAX_LENGTH = {"email": 320, "name": 200, "tenant_id": 64}


@dataclass(frozen=True)
class _AgentRow:
    line: int
    tenant_id: str | None
    email: str
    name: str
    max_open_tickets: int | None
    is_active: bool | None  # None: no value (unchanged; a new agent starts active)


def _parse(row: SourceRow, tenant: str | None, errors: RowErrors) -> _AgentRow | None:
    from agentctl.services.agents import normalize_email

    before = errors.total
    raw_email = require(row, "email", errors)
    name = require(row, "name", errors)
    cap = parse_int(row, "max_open_tickets", errors, minimum=0)
    active = None
    if row.values.get("is_active") is not None:
        active = parse_bool(row, "is_active", errors, default=True)
    row_tenant = row.values.get("tenant_id")
    if tenant is not None and row_tenant not in (None, tenant):
        errors.add(row.line, "tenant_id", f"{row_tenant!r} is outside --tenant {tenant!r}")
    row_tenant = row_tenant if row_tenant is not None else tenant
    for column, value in (("email", raw_email), ("name", name), ("tenant_id", row_tenant)):
        if value is not None and len(value) > MAX_LENGTH[column]:
            errors.add(row.line, column, too_long(value, MAX_LENGTH[column]))
    email = None
    if raw_email is not None and len(raw_email) <= MAX_LENGTH["email"]:
        try:
            email = normalize_email(raw_email)
        except ValueError as exc:
            errors.add(row.line, "email", str(exc))
    if errors.total > before or email is None or name is None:
        return None
    return _AgentRow(row.line, row_tenant, email, name, cap, active)


def import_agents(session: Session, path: Path, tenant: str | None) -> ImportResult:
    """Create or update agents; every bad row is named and nothing is written."""
    if tenant is not None and len(tenant) > MAX_LENGTH["tenant_id"]:
        raise UsageError(f"--tenant {too_long(tenant, MAX_LENGTH['tenant_id'])}")
    errors = RowErrors(str(path))
    source = Source(path, SPEC, errors)
    parsed: list[_AgentRow] = []
    seen: dict[tuple[str | None, str], int] = {}
    for row in source.rows():
        item = _parse(row, tenant, errors)
        if item is None:
            continue
        # Emails match case-insensitively: Bob@x and bob@x are one agent.
        key = (item.tenant_id, item.email.lower())
        if key in seen:
            errors.add(row.line, "email", f"{item.email} already appears on line {seen[key]}")
            continue
        seen[key] = row.line
        parsed.append(item)
    errors.raise_if_any()

    existing = agents_repo.agents_by_email(session, list({p.tenant_id for p in parsed}))
    new_agents: list[Agent] = []
    deactivated: list[Agent] = []
    updated = 0
    for item in parsed:
        agent = existing.get((item.tenant_id, item.email.lower()))
        if agent is None:
            new_agents.append(
                Agent(
                    tenant_id=item.tenant_id,
                    email=item.email,
                    name=item.name,
                    max_open_tickets=item.max_open_tickets,
                    is_active=item.is_active is not False,
                )
            )
            continue
        updated += 1
        agent.name = item.name
        if source.has("max_open_tickets"):
            agent.max_open_tickets = item.max_open_tickets
        if item.is_active is not None:
            if agent.is_active and not item.is_active:
                deactivated.append(agent)
            agent.is_active = item.is_active
    agents_repo.add_agents(session, new_agents)
    # An agent the file deactivates goes offline, as `agents remove` does.
    repo.set_offline(session, [a.id for a in deactivated + new_agents if not a.is_active])
    session.flush()
    return ImportResult(len(new_agents), updated)
