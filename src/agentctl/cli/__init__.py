"""The Typer application: global options, command groups, and the one error handler."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated

import typer

from agentctl import __version__
from agentctl.cli import (
    agents,
    assign,
    calendars,
    db,
    demo,
    performance,
    report,
    schedule,
    skills,
    sla,
    status,
    tickets,
)
from agentctl.cli.context import AppContext
from agentctl.config import mask_secrets, resolve_settings
from agentctl.errors import AgentctlError, ExitCode

app = typer.Typer(
    name="agentctl",
    help="Administer a support desk: agents, availability, assignment, performance, reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db_url: Annotated[
        str | None,
        typer.Option("--db", help="Database URL [env: AGENTCTL_DATABASE_URL].", show_default=False),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant", help="Limit every read and write to one tenant [env: AGENTCTL_TENANT]."
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option("--config", help="Config file (TOML) [env: AGENTCTL_CONFIG]."),
    ] = None,
    acting_agent: Annotated[
        str | None,
        typer.Option("--as", help='The acting agent ("me"), by email or id [env: AGENTCTL_AGENT].'),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks [env: AGENTCTL_DEBUG=1].")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    options = {
        "database_url": db_url,
        "tenant": tenant,
        "config": config,
        "agent": acting_agent,
        "debug": debug,
    }
    ctx.obj = AppContext(settings=resolve_settings(options), options=options)
    ctx.call_on_close(ctx.obj.close)


for module in (
    db,
    demo,
    agents,
    tickets,
    status,
    assign,
    performance,
    skills,
    report,
    schedule,
    calendars,
    sla,
):
    module.register(app)


def _debug_requested(argv: Sequence[str]) -> bool:
    return "--debug" in argv or os.environ.get("AGENTCTL_DEBUG", "").lower() in {"1", "true", "yes"}


def _print_error(message: str, details: Sequence[str] = ()) -> None:
    sys.stderr.write(f"error: {mask_secrets(message)}\n")
    for line in details:
        sys.stderr.write(f"  {mask_secrets(line)}\n")
    sys.stderr.flush()


def run(argv: Sequence[str] | None = None) -> int:
    """Run agentctl with ``argv`` and return the exit code (what ``main`` exits with)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_requested(args)
    try:
        result = app(args=args, prog_name="agentctl", standalone_mode=False)
    except AgentctlError as exc:
        if debug:
            sys.stderr.write(mask_secrets(traceback.format_exc()))
        _print_error(exc.message, exc.details)
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:
        # Typer's own usage errors (unknown option, bad choice): it prints them itself.
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            _print_error(exc.format_message())
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("\naborted\n")
        return 130
    except BrokenPipeError:
        # `agentctl … | head`: the reader went away; that is not our failure.
        sys.stderr.close()
        return int(ExitCode.OK)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


def main() -> None:
    sys.exit(run())
