"""One exit-code enum and the exceptions that map onto it.

Services raise these; the CLI's single handler (``agentctl.cli.main``) turns them into
an ``error: …`` line on stderr and the matching exit code.
"""

from __future__ import annotations

import enum


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
