"""`tickets import`: stream a CSV/JSONL file, validate every row, upsert, apply SLA policies.

The file is never held whole: rows are parsed, validated and written a chunk at a time in
one transaction, and the first bad row stops the writing (the rest is still validated, so
that every bad row is named); any bad row rolls the whole transaction back.

A column the file does not have is left as it is on the tickets it updates (DESIGN.md
"tickets"); an empty cell in a column the file has is "no value". SLA policies apply to
every ticket written (DESIGN.md "Business time"): an explicit ``sla_due_date`` or
``first_response_due_at`` in the file wins over the policy's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agentctl.businesstime import plain_minutes
from agentctl.errors import RuntimeFailure, UsageError
from agentctl.models import PRIORITIES, TICKET_STATUSES
from agentctl.repository import tickets as repo
from agentctl.services.importing import FileSpec, ImportResult, RowErrors, Source, too_long
from agentctl.slapolicy import SlaRules
from agentctl.timeutil import parse_datetime, utcnow

TICKET_COLUMNS = (
    "ticket_number",
    "subject",
    "status",
    "priority",
    "category",
    "required_skill_level",
    "assignee",
    "escalation_level",
    "created_at",
    "first_response_at",
    "resolved_at",
    "sla_due_date",
    "tenant_id",
    "first_response_due_at",
)
SPEC = FileSpec(
    required=("ticket_number", "subject", "created_at"),
    known=TICKET_COLUMNS,
    # `tickets list -f csv` names the assignee agent_email, and adds the policy's name.
    aliases={"agent_email": "assignee"},
    ignored=frozenset({"sla_policy", "ticket_id", "id"}),
)
MAX_LENGTH = {"ticket_number": 64, "tenant_id": 64, "category": 64}
CHUNK = 5000
_STATUSES = frozenset(TICKET_STATUSES)
_PRIORITIES = frozenset(PRIORITIES)
# Positions in a parsed row (repo.VALUE_COLUMNS order).
(
    TENANT,
    NUMBER,
    SUBJECT,
    STATUS,
    PRIORITY,
    CATEGORY,
    LEVEL,
    ASSIGNEE,
    ESCALATION,
    CREATED,
    FIRST_RESPONSE,
    RESOLVED,
    SLA_DUE,
    FIRST_RESPONSE_DUE,
    POLICY,
    FIRST_RESPONSE_MINUTES,
    RESOLUTION_MINUTES,
) = range(17)
# File columns whose absence leaves the stored value, and where it goes in a parsed row.
OPTIONAL = {
    "status": STATUS,
    "priority": PRIORITY,
    "category": CATEGORY,
    "required_skill_level": LEVEL,
    "assignee": ASSIGNEE,
    "escalation_level": ESCALATION,
    "first_response_at": FIRST_RESPONSE,
    "resolved_at": RESOLVED,
}


class _RowParser:
    """Turns one file row into a ticket's values, adding its problems to ``errors``."""

    def __init__(
        self,
        columns: tuple[str, ...],
        tenant: str | None,
        agents: dict[tuple[str | None, str], uuid.UUID],
        errors: RowErrors,
    ) -> None:
        # Each import column's position in a row; -1 (the None appended) when absent.
        self.at = {c: columns.index(c) if c in columns else -1 for c in TICKET_COLUMNS}
        self.tenant = tenant
        self.agents = agents
        self.errors = errors

    def _stamp(self, line: int, column: str, raw: str | None) -> datetime | None:
        if raw is None:
            return None
        try:
            return parse_datetime(raw)
        except ValueError as exc:
            self.errors.add(line, column, str(exc))
            return None

    def _int(
        self, line: int, column: str, raw: str | None, default: int, low: int, high: int | None
    ) -> int:
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.errors.add(line, column, f"{raw!r} is not a whole number")
            return default
        if value < low or (high is not None and value > high):
            bounds = f"{low}-{high}" if high is not None else f">= {low}"
            self.errors.add(line, column, f"{value} is out of range ({bounds})")
        return value

    def parse(self, line: int, cells: list[str | None]) -> list[Any] | None:
        errors, at = self.errors, self.at
        before = errors.total
        cells.append(None)  # an absent column's position is -1: no value

        number = cells[at["ticket_number"]]
        subject = cells[at["subject"]]
        if number is None:
            errors.add(line, "ticket_number", "required")
        if subject is None:
            errors.add(line, "subject", "required")
        raw_created = cells[at["created_at"]]
        if raw_created is None:
            errors.add(line, "created_at", "required")
        row_tenant = cells[at["tenant_id"]]
        if row_tenant is not None and self.tenant is not None and row_tenant != self.tenant:
            errors.add(line, "tenant_id", f"{row_tenant!r} is outside --tenant {self.tenant!r}")
        tenant = row_tenant if row_tenant is not None else self.tenant

        raw_status, raw_priority = cells[at["status"]], cells[at["priority"]]
        status = (raw_status or "open").lower()
        if status not in _STATUSES:
            choices = ", ".join(TICKET_STATUSES)
            errors.add(line, "status", f"{raw_status!r} is not one of {choices}")
        priority = (raw_priority or "normal").lower()
        if priority not in _PRIORITIES:
            choices = ", ".join(PRIORITIES)
            errors.add(line, "priority", f"{raw_priority!r} is not one of {choices}")
        category = cells[at["category"]]
        if category is not None:
            category = category.lower()
        created = self._stamp(line, "created_at", raw_created)
        level = self._int(line, "required_skill_level", cells[at["required_skill_level"]], 1, 1, 4)
        escalation = self._int(line, "escalation_level", cells[at["escalation_level"]], 0, 0, None)
        first_response = self._stamp(line, "first_response_at", cells[at["first_response_at"]])
        resolved = self._stamp(line, "resolved_at", cells[at["resolved_at"]])
        sla_due = self._stamp(line, "sla_due_date", cells[at["sla_due_date"]])
        first_due = self._stamp(line, "first_response_due_at", cells[at["first_response_due_at"]])
        if created is not None:
            if first_response is not None and first_response < created:
                errors.add(line, "first_response_at", "is before created_at")
            if resolved is not None and resolved < created:
                errors.add(line, "resolved_at", "is before created_at")
        for column, value in (
            ("ticket_number", number),
            ("tenant_id", tenant),
            ("category", category),
        ):
            if value is not None and len(value) > MAX_LENGTH[column]:
                errors.add(line, column, too_long(value, MAX_LENGTH[column]))
        assignee_id = None
        email = cells[at["assignee"]]
        if email is not None:
            assignee_id = self.agents.get((tenant, email.lower()))
            if assignee_id is None:
                where = f" in tenant {tenant!r}" if tenant else ""
                errors.add(line, "assignee", f"unknown agent {email!r}{where}")
        if errors.total > before:
            return None
        return [
            tenant,
            number,
            subject,
            status,
            priority,
            category,
            level,
            assignee_id,
            escalation,
            created,
            first_response,
            resolved,
            sla_due,
            first_due,
            None,
            None,
            None,
        ]


def _apply_sla(
    rules: SlaRules, rows: list[list[Any]], stored: dict[tuple[str | None, str], tuple[Any, ...]]
) -> None:
    """Set each row's policy, due dates and business minutes (in place).

    ``stored`` holds (priority, category, first_response_at, resolved_at) of the tickets
    being updated, for a file that lacks some of those columns (those cells are None in
    ``rows`` and were not read from the file).
    """
    has_rules = bool(rules.policies or rules.calendars)
    for row in rows:
        inputs = stored.get((row[TENANT], row[NUMBER]))
        priority, category, first_response, resolved = (
            (row[PRIORITY], row[CATEGORY], row[FIRST_RESPONSE], row[RESOLVED])
            if inputs is None
            else inputs
        )
        created = row[CREATED]
        if not has_rules:
            row[FIRST_RESPONSE_MINUTES] = (
                None if first_response is None else plain_minutes(created, first_response)
            )
            row[RESOLUTION_MINUTES] = None if resolved is None else plain_minutes(created, resolved)
            continue
        fields = rules.compute(
            tenant_id=row[TENANT],
            priority=priority,
            category=category,
            created_at=created,
            first_response_at=first_response,
            resolved_at=resolved,
            explicit_first_response_due_at=row[FIRST_RESPONSE_DUE],
            explicit_sla_due_date=row[SLA_DUE],
        )
        row[POLICY] = fields.sla_policy_id
        row[SLA_DUE] = fields.sla_due_date
        row[FIRST_RESPONSE_DUE] = fields.first_response_due_at
        row[FIRST_RESPONSE_MINUTES] = fields.first_response_business_minutes
        row[RESOLUTION_MINUTES] = fields.resolution_business_minutes


def _merge_stored(
    source_has: Callable[[str], bool],
    rows: list[list[Any]],
    found: dict[tuple[str | None, str], tuple[Any, ...]],
) -> dict[tuple[str | None, str], tuple[Any, ...]]:
    """The SLA inputs of updated tickets: the file's cells where it has the column, the
    stored values where it does not."""
    merged: dict[tuple[str | None, str], tuple[Any, ...]] = {}
    columns = (
        ("priority", PRIORITY),
        ("category", CATEGORY),
        ("first_response_at", FIRST_RESPONSE),
        ("resolved_at", RESOLVED),
    )
    for row in rows:
        key = (row[TENANT], row[NUMBER])
        stored = found.get(key)
        if stored is None:
            continue
        merged[key] = tuple(
            row[position] if source_has(column) else stored[i]
            for i, (column, position) in enumerate(columns)
        )
    return merged


def import_tickets(
    session: Session,
    path: Path,
    tenant: str | None,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Upsert tickets by (tenant_id, ticket_number) from a .csv or .jsonl file.

    All or nothing: one bad row (an unknown assignee in the ticket's tenant, a value
    longer than its column, a ticket number twice) and nothing is written.
    """
    if tenant is not None and len(tenant) > MAX_LENGTH["tenant_id"]:
        raise UsageError(f"--tenant {too_long(tenant, MAX_LENGTH['tenant_id'])}")
    errors = RowErrors(str(path))
    source = Source(path, SPEC, errors)
    absent = [column for column in OPTIONAL if not source.has(column)]
    rules = SlaRules.build(*repo.sla_rule_rows(session))
    needs_stored = bool(
        {"first_response_at", "resolved_at"} & set(absent)
        or (rules.policies and {"priority", "category"} & set(absent))
    )
    writer = repo.TicketUpsert(
        session,
        now=utcnow(),
        absent=absent,
        due_dates_in_file=[c for c in ("sla_due_date", "first_response_due_at") if source.has(c)],
    )
    parser = _RowParser(source.columns, tenant, repo.agent_ids_by_email(session, tenant), errors)
    writing = True
    rows_seen = 0

    def flush(chunk: list[list[Any]]) -> bool:
        stored: dict[tuple[str | None, str], tuple[Any, ...]] = {}
        if needs_stored:
            found = repo.stored_sla_inputs(session, [(r[TENANT], r[NUMBER]) for r in chunk])
            stored = _merge_stored(source.has, chunk, found)
        _apply_sla(rules, chunk, stored)
        return writer.write(chunk)

    chunk: list[list[Any]] = []
    for line, cells in source.records():
        row = parser.parse(line, cells)
        rows_seen += 1
        if row is None or not writing:
            continue
        if errors:
            writing, chunk = False, []
            continue
        chunk.append(row)
        if len(chunk) >= CHUNK:
            writing = flush(chunk)
            if progress:
                progress(len(chunk))
            chunk = []
    if writing and chunk and not errors:
        writing = flush(chunk)
        if progress:
            progress(len(chunk))
    if rows_seen == 0 and not errors:
        raise UsageError(f"{path}: no tickets in the file")
    counts = writer.finish() if writing and not errors else None
    if counts is None:
        # A bad row, or a ticket number twice (the database saw it while writing).
        _name_duplicates(path, tenant, errors)
    errors.raise_if_any()
    if counts is None:
        raise RuntimeFailure(
            "tickets with these numbers were written meanwhile by another process; "
            "nothing was imported, run the import again"
        )
    return ImportResult(*counts)


def _name_duplicates(path: Path, tenant: str | None, errors: RowErrors) -> None:
    """A ticket number twice in the file (found by the database while writing): read the
    file once more to name the lines; only on this error path does memory grow."""
    first_seen: dict[tuple[str | None, str], int] = {}
    source = Source(path, SPEC, RowErrors(str(path)))
    number_at = source.columns.index("ticket_number")
    tenant_at = source.columns.index("tenant_id") if source.has("tenant_id") else None
    for line, cells in source.records():
        number = cells[number_at]
        row_tenant = cells[tenant_at] if tenant_at is not None else None
        key = (row_tenant if row_tenant is not None else tenant, number or "")
        if key in first_seen:
            errors.add(
                line, "ticket_number", f"{number!r} already appears on line {first_seen[key]}"
            )
        else:
            first_seen[key] = line
