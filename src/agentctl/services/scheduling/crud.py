"""Schedules: adding, changing, pausing, removing and showing them, and their history."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agentctl.database import Database
from agentctl.errors import UsageError
from agentctl.models import ScheduledReport
from agentctl.repository import runs
from agentctl.repository import schedules as repo
from agentctl.services.scheduling.cron import parse_cron
from agentctl.services.window import DEFAULT_RANGE, resolve_window
from agentctl.timeutil import utcnow

NEXT_RUNS_SHOWN = 5
_TINY = timedelta(microseconds=1)


def schedule_row(schedule: ScheduledReport) -> dict[str, Any]:
    """A schedule as DESIGN.md's JSON fields (webhook URLs masked: they are secrets)."""
    from agentctl.services.webhook import mask_url

    return {
        "id": schedule.id,
        "name": schedule.name,
        "report_type": schedule.report_type,
        "schedule_cron": schedule.schedule_cron,
        "timezone": schedule.timezone,
        "format": schedule.format,
        "recipients": list(schedule.recipients or []),
        "parameters": dict(schedule.parameters or {}),
        "is_active": schedule.is_active,
        "last_run_at": schedule.last_run_at,
        "next_run_at": schedule.next_run_at,
        "skip_empty": bool(schedule.skip_empty),
        "new_only": bool(schedule.new_only),
        "webhooks": [mask_url(url) for url in schedule.webhooks or []],
    }


@dataclass(frozen=True)
class ScheduleDetails:
    row: dict[str, Any]
    next_runs: list[datetime]  # in the schedule's time zone


def _details(schedule: ScheduledReport, now: datetime) -> ScheduleDetails:
    cron = parse_cron(schedule.schedule_cron, schedule.timezone)
    start = now
    if schedule.is_active and schedule.next_run_at is not None:
        # The first listed run is the stored (claimable) one, even when it is overdue.
        start = min(now, schedule.next_run_at - _TINY)
    return ScheduleDetails(schedule_row(schedule), cron.next_times(start, NEXT_RUNS_SHOWN))


def _validate_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise UsageError("a schedule needs a name")
    try:
        uuid.UUID(name)
    except ValueError:
        return name
    raise UsageError(f"schedule name {name!r} looks like an id; choose another name")


def _validate_report(report_type: str, fmt: str) -> tuple[str, str]:
    from agentctl.services.reports import REPORT_FORMATS, REPORT_TYPES

    report_type, fmt = report_type.strip().lower(), fmt.strip().lower()
    if report_type not in REPORT_TYPES:
        raise UsageError(
            f"unknown report type {report_type!r}; use one of {', '.join(REPORT_TYPES)}"
        )
    if fmt not in REPORT_FORMATS:
        raise UsageError(f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
    return report_type, fmt


def _validate_options(report_type: str, new_only: bool, webhooks: Sequence[str]) -> list[str]:
    from agentctl.services.reports import NEW_ONLY_DUE_FIELDS
    from agentctl.services.webhook import validate_url

    if new_only and report_type not in NEW_ONLY_DUE_FIELDS:
        kinds = " and ".join(sorted(NEW_ONLY_DUE_FIELDS))
        raise UsageError(f"--new-only applies to {kinds} reports, not {report_type}")
    return list(dict.fromkeys(validate_url(url) for url in webhooks))


_WITHIN = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")


def _within(report_type: str, within: str | None) -> str | None:
    """sla-at-risk's horizon (``30m``, ``2h``, ``1h30m``), stored as given."""
    if within is None:
        return None
    text = within.strip().lower()
    match = _WITHIN.match(text)
    if report_type != "sla-at-risk":
        raise UsageError(f"--within applies to sla-at-risk reports, not {report_type}")
    if not text or match is None or not any(match.groups()) or text in ("0h", "0m", "0h0m"):
        raise UsageError(f"invalid --within {within!r}: use minutes or hours, e.g. 30m, 2h, 1h30m")
    return text


def _range(report_type: str, range_: str | None, now: datetime) -> str:
    from agentctl.services.reports import DEFAULT_RANGES

    value = (range_ or DEFAULT_RANGES.get(report_type, DEFAULT_RANGE)).strip().lower()
    resolve_window(range_=value, as_of=now)  # a bad range is a UsageError here, not later
    return value


def add_schedule(
    db: Database,
    *,
    tenant: str | None,
    name: str,
    report_type: str,
    cron: str,
    timezone: str = "UTC",
    fmt: str,
    recipients: Sequence[str],
    range_: str | None = None,
    output_dir: str | None = None,
    subject: str | None = None,
    skip_empty: bool = False,
    new_only: bool = False,
    webhooks: Sequence[str] = (),
    within: str | None = None,
    now: datetime | None = None,
) -> ScheduleDetails:
    """Validate everything, then store the schedule in one transaction."""
    from agentctl.services.reports import validate_recipients

    now = now or utcnow()
    name = _validate_name(name)
    report_type, fmt = _validate_report(report_type, fmt)
    schedule_cron = parse_cron(cron, timezone)
    parameters: dict[str, Any] = {"range": _range(report_type, range_, now)}
    hooks = _validate_options(report_type, new_only, webhooks)
    if not recipients and not hooks:
        raise UsageError("a schedule needs at least one recipient (--to ADDR or --webhook URL)")
    addresses = validate_recipients(recipients)
    if output_dir:
        parameters["output_dir"] = str(Path(output_dir).expanduser().resolve())
    if subject:
        parameters["subject"] = subject
    horizon = _within(report_type, within)
    if horizon is not None:
        parameters["within"] = horizon

    with db.session(write=True) as session:
        if repo.name_taken(session, name, tenant):
            where = f" in tenant {tenant!r}" if tenant is not None else ""
            raise UsageError(f"a schedule named {name!r} already exists{where}")
        schedule = repo.insert_schedule(
            session,
            tenant_id=tenant,
            name=name,
            report_type=report_type,
            schedule_cron=schedule_cron.expression,
            timezone=timezone,
            parameters=parameters,
            recipients=addresses,
            format=fmt,
            is_active=True,
            next_run_at=schedule_cron.next_after(now),
            skip_empty=skip_empty,
            new_only=new_only,
            webhooks=hooks,
        )
    return _details(schedule, now)


@dataclass(frozen=True)
class ScheduleChanges:
    """What ``schedule update`` changes; None leaves an option as it is."""

    report_type: str | None = None
    cron: str | None = None
    timezone: str | None = None
    fmt: str | None = None
    recipients: Sequence[str] | None = None
    range_: str | None = None
    output_dir: str | None = None
    subject: str | None = None
    skip_empty: bool | None = None
    new_only: bool | None = None
    webhooks: Sequence[str] | None = None  # [] removes every webhook
    within: str | None = None


def update_schedule(
    db: Database,
    ref: str,
    tenant: str | None,
    changes: ScheduleChanges,
    *,
    now: datetime | None = None,
) -> ScheduleDetails:
    """Change a schedule's options in place: same id, same history.

    A new cron expression or time zone recomputes next_run_at from now (an active
    schedule's pending occurrence under the old timing is dropped, not run).
    """
    from agentctl.services.reports import validate_recipients

    now = now or utcnow()
    with db.session(write=True) as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
        report_type, fmt = _validate_report(
            changes.report_type or schedule.report_type, changes.fmt or schedule.format
        )
        cron_text = changes.cron if changes.cron is not None else schedule.schedule_cron
        zone = changes.timezone if changes.timezone is not None else schedule.timezone
        cron = parse_cron(cron_text, zone)
        parameters = dict(schedule.parameters or {})
        if changes.range_ is not None or changes.report_type is not None:
            parameters["range"] = _range(
                report_type, changes.range_ or parameters.get("range"), now
            )
        if changes.output_dir is not None:
            parameters["output_dir"] = str(Path(changes.output_dir).expanduser().resolve())
        if changes.subject is not None:
            parameters["subject"] = changes.subject
        if changes.within is not None:
            parameters["within"] = _within(report_type, changes.within)
        elif report_type != "sla-at-risk":
            parameters.pop("within", None)
        new_only = changes.new_only if changes.new_only is not None else schedule.new_only
        webhooks = changes.webhooks if changes.webhooks is not None else schedule.webhooks
        hooks = _validate_options(report_type, bool(new_only), webhooks or [])
        recipients = (
            validate_recipients(changes.recipients)
            if changes.recipients is not None
            else list(schedule.recipients or [])
        )
        if not recipients and not hooks:
            raise UsageError("a schedule needs at least one recipient (--to ADDR or --webhook URL)")
        fields: dict[str, Any] = {
            "report_type": report_type,
            "format": fmt,
            "schedule_cron": cron.expression,
            "timezone": zone,
            "parameters": parameters,
            "recipients": recipients,
            "new_only": bool(new_only),
            "webhooks": hooks,
        }
        if changes.skip_empty is not None:
            fields["skip_empty"] = changes.skip_empty
        timing_changed = (cron.expression, zone) != (schedule.schedule_cron, schedule.timezone)
        if timing_changed and schedule.is_active:
            fields["next_run_at"] = cron.next_after(now)
        repo.update_schedule(session, schedule, **fields)
    return _details(schedule, now)


def list_schedules(db: Database, tenant: str | None) -> list[dict[str, Any]]:
    with db.session() as session:
        return [schedule_row(s) for s in repo.list_schedules(session, tenant)]


def show_schedule(
    db: Database, ref: str, tenant: str | None, now: datetime | None = None
) -> ScheduleDetails:
    with db.session() as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
    return _details(schedule, now or utcnow())


def pause_schedule(db: Database, ref: str, tenant: str | None) -> dict[str, Any]:
    with db.session(write=True) as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
        # next_run_at stays, so `show` still says when it would have run.
        repo.set_active(session, schedule, False, schedule.next_run_at)
        return schedule_row(schedule)


def resume_schedule(
    db: Database, ref: str, tenant: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """Reactivate; occurrences that fell while paused are skipped, not caught up."""
    now = now or utcnow()
    with db.session(write=True) as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
        if not schedule.is_active:
            cron = parse_cron(schedule.schedule_cron, schedule.timezone)
            repo.set_active(session, schedule, True, cron.next_after(now))
        return schedule_row(schedule)


def remove_schedule(db: Database, ref: str, tenant: str | None) -> dict[str, Any]:
    """Delete the schedule; its past runs stay in report_runs under its name."""
    with db.session(write=True) as session:
        schedule = repo.resolve_schedule(session, ref, tenant)
        row = schedule_row(schedule)
        repo.delete_schedule(session, schedule)
        return row


def history(
    db: Database,
    ref: str | None,
    tenant: str | None,
    *,
    limit: int = 20,
    status: str | None = None,
    scheduled_only: bool = True,
) -> list[dict[str, Any]]:
    """The latest runs, newest first. ``ref`` names a schedule, a removed one included."""
    from agentctl.models import RUN_STATUSES

    if limit < 1:
        raise UsageError("--limit must be at least 1")
    if status is not None and status not in RUN_STATUSES:
        raise UsageError(f"unknown status {status!r}; use one of {', '.join(RUN_STATUSES)}")
    with db.session() as session:
        schedule_id, name = None, None
        if ref is not None:
            try:
                schedule_id = repo.resolve_schedule(session, ref, tenant).id
            except UsageError:
                # A removed schedule's runs stay listed under its name.
                if not runs.run_history(session, tenant, schedule_name=ref.strip(), limit=1):
                    raise
                name = ref.strip()
        return runs.run_history(
            session,
            tenant,
            schedule_id=schedule_id,
            schedule_name=name,
            scheduled_only=scheduled_only,
            status=status,
            limit=limit,
        )
