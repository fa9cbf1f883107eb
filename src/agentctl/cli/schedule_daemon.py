"""`agentctl schedule run`: the long-running scheduler daemon's command, with the log
format it writes to stderr and the SIGTERM/Ctrl-C handling that stops it cleanly.

``agentctl.cli.schedule`` registers the command in the group.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from agentctl.cli.context import app_context
from agentctl.cli.options import MailFromOption, SMTPUrlOption
from agentctl.timeutil import isoformat, utcnow

# Mirrors services.scheduling.daemon.DEFAULT_RELOAD_INTERVAL_S (not imported: it loads
# SQLAlchemy, and `--help` must not).
RELOAD_INTERVAL_S = 30.0
log = logging.getLogger("agentctl.schedule")


class _LogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
        line = f"{isoformat(utcnow())} {level}{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _configure_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormatter())
    ours = logging.getLogger("agentctl")
    ours.addHandler(handler)
    ours.setLevel(logging.DEBUG if debug else logging.INFO)
    ours.propagate = False
    apscheduler = logging.getLogger("apscheduler")
    apscheduler.addHandler(handler)
    apscheduler.setLevel(logging.INFO if debug else logging.WARNING)
    apscheduler.propagate = False


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT (Ctrl-C), in place of the default handlers."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        if not stop.is_set():
            log.info("%s: stopping once the runs in progress finish", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(
    ctx: typer.Context,
    smtp_url: SMTPUrlOption = None,
    mail_from: MailFromOption = None,
    reload_interval: Annotated[
        float,
        typer.Option(
            "--reload-interval",
            help="Seconds between re-reading the schedules (at most 30).",
            min=0.1,
            max=RELOAD_INTERVAL_S,
            hidden=True,
        ),
    ] = RELOAD_INTERVAL_S,
) -> None:
    """Run schedules at their times until SIGTERM or Ctrl-C (a long-running daemon)."""
    from agentctl.services.scheduling import check_settings
    from agentctl.services.scheduling.daemon import SchedulerDaemon

    app = app_context(ctx)
    settings = app.settings_with(smtp_url=smtp_url, mail_from=mail_from)
    check_settings()
    _configure_logging(settings.debug)
    daemon = SchedulerDaemon(app.db, settings, tenant=app.tenant, reload_interval=reload_interval)
    with _stop_on_signals() as stop:
        if not daemon.wait_for_database(stop):
            return
        daemon.start()
        log.info(
            "scheduler started on %s; reloading schedules every %gs",
            app.db.safe_url,
            reload_interval,
        )
        try:
            while not stop.wait(1.0):
                pass
        finally:
            daemon.stop()
    log.info("scheduler stopped")
