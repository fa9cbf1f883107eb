"""One exit-code enum and the exceptions that map onto it.

Services raise these; the CLI's single handler (``agentctl.cli.main``) turns them into
an ``error: …`` line on stderr and the matching exit code.
"""

from __future__ import annotations

import enum
import sys


class ExitCode(enum.IntEnum):
    OK = 0
    FAILURE = 1  # runtime failure: database unreachable, SMTP refused, unwritable file
    USAGE = 2  # bad usage or bad input
    PARTIAL = 3  # partly done: assign left tickets without an eligible agent


class AgentctlError(Exception):
    """Base for every error the CLI knows how to report."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Extra lines printed after the error line (e.g. every bad row of an import).
        self.details = details or []


class UsageError(AgentctlError):
    """Bad usage or bad input (exit 2)."""

    exit_code = ExitCode.USAGE


class NotFoundError(UsageError):
    """A named agent, ticket or schedule does not exist (exit 2)."""


class ValidationError(UsageError):
    """Input rows that failed validation; ``details`` lists each bad row."""


class RuntimeFailure(AgentctlError):
    """The environment failed us: database, SMTP, file system (exit 1)."""

    exit_code = ExitCode.FAILURE


class DatabaseUnavailable(RuntimeFailure):
    pass


class SchemaOutOfDate(RuntimeFailure):
    pass


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def as_agentctl_error(exc: BaseException) -> AgentctlError | None:
    """The one-line error for a database or file-system exception, or None if unknown.

    SQLAlchemy is looked up in ``sys.modules``, never imported: if it is not loaded, the
    exception cannot be one of its errors (and ``--help`` stays light).
    """
    sa = sys.modules.get("sqlalchemy.exc")
    if sa is not None and isinstance(exc, sa.SQLAlchemyError):
        detail = _first_line(exc)
        if isinstance(exc, sa.DataError):
            # A value the column cannot hold (too long, out of range): bad input.
            return UsageError(f"the database refused a value, nothing was changed: {detail}")
        if isinstance(exc, sa.IntegrityError):
            return RuntimeFailure(
                f"the change conflicts with data written meanwhile, nothing was changed: {detail}"
            )
        if isinstance(exc, sa.OperationalError | sa.InterfaceError):
            return DatabaseUnavailable(f"cannot use the database: {detail}")
        if isinstance(exc, sa.ProgrammingError | sa.NotSupportedError):
            return RuntimeFailure(
                f"the database refused a statement: {detail} "
                "(is the schema current? `agentctl db check`)"
            )
        return RuntimeFailure(f"database error: {detail}")
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        where = f" {exc.filename}" if exc.filename else ""
        return RuntimeFailure(f"cannot use{where}: {exc.strerror or exc}")
    return None
