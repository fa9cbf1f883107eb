"""Leases on scheduled runs: how long a claim holds (``AGENTCTL_SCHEDULE_LEASE``), who
holds it (:func:`runner_id`), and the thread that renews it while the run lasts.

A run whose lease runs out while it is still ``running`` belonged to a runner that died;
``runner.take_over_expired`` runs it again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from agentctl.database import Database
from agentctl.errors import UsageError
from agentctl.repository import runs
from agentctl.timeutil import utcnow

log = logging.getLogger("agentctl.schedule")

DEFAULT_LEASE_S = 300.0
LEASE_ENV = "AGENTCTL_SCHEDULE_LEASE"


def lease_seconds() -> float:
    """How long a claim holds without renewal (``AGENTCTL_SCHEDULE_LEASE``, seconds)."""
    raw = os.environ.get(LEASE_ENV, "").strip()
    if not raw:
        return DEFAULT_LEASE_S
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value < 1:
        raise UsageError(f"{LEASE_ENV} must be a number of seconds >= 1, not {raw!r}")
    return value


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def renewed_lease(
    db: Database, run_id: uuid.UUID, claimed_by: str, seconds: float
) -> Iterator[None]:
    """Renew the run's lease every third of its length until the block ends."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(seconds / 3):
            try:
                with db.session(write=True) as session:
                    ours = runs.renew_lease(
                        session, run_id, claimed_by, utcnow() + timedelta(seconds=seconds)
                    )
            except Exception as exc:  # a renewal that fails is retried at the next beat
                log.warning("could not renew the lease of run %s: %s", run_id, exc)
                continue
            if not ours:
                log.warning("run %s was taken over by another runner", run_id)
                return

    thread = threading.Thread(target=renew, name=f"lease-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
