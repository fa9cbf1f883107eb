"""The Typer application: global options, command groups, and the one error handler."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Iterator, MutableMapping, Sequence
from typing import Annotated, Any

import typer
from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as UsageErrorBase
from typer.core import TyperGroup

from agentctl import __version__
from agentctl.cli import params
from agentctl.config import mask_secrets, resolve_settings
from agentctl.errors import AgentctlError, ExitCode, UsageError, as_agentctl_error

# Every top-level command or group, in help order: the module whose ``register(app)``
# defines it, and its line in `agentctl --help` (the first paragraph of its help;
# tests/test_imports.py checks that the two agree). A module is imported only when its
# command runs or its own help is asked for, so `agentctl --help` imports none of them.
# A new command group is one line here and nothing else:
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("agentctl.cli.demo", "Fill the database with demo agents, skills and tickets."),
    "assign": (
        "agentctl.cli.assign",
        "Assign tickets to agents: named tickets, the whole backlog, or agents' work.",
    ),
    "performance": (
        "agentctl.cli.performance",
        "Each active agent's tickets, resolution and response times, SLA and escalations.",
    ),
    "report": (
        "agentctl.cli.report",
        "Export a report (performance, sla-breaches, sla-at-risk, aging, workload, "
        "availability) and optionally mail it.",
    ),
    "db": ("agentctl.cli.db", "Migrate and inspect the database schema."),
    "agents": (
        "agentctl.cli.agents",
        "Add, list, import, change and remove agents; their time off.",
    ),
    "tickets": ("agentctl.cli.tickets", "Import and list tickets."),
    "status": (
        "agentctl.cli.status",
        "List every active agent's availability and workload; show, set or trace one.",
    ),
    "skills": ("agentctl.cli.skills", "List, set, import and map agent skills."),
    "schedule": (
        "agentctl.cli.schedule",
        "Send reports on a cron schedule: add and manage schedules, run them.",
    ),
    "calendars": (
        "agentctl.cli.calendars",
        "Business calendars: working hours, time zone and holidays.",
    ),
    "sla": (
        "agentctl.cli.sla",
        "SLA policies: first-response and resolution targets in business time.",
    ),
}

params.install()

# Longest tenant id the schema stores (tenant_id columns are String(64)).
MAX_TENANT_LENGTH = 64


class _LazyCommands(MutableMapping[str, Any]):
    """The root group's commands: each built from its module on first lookup."""

    def __init__(self, modules: dict[str, str]) -> None:
        self._modules = modules
        self._loaded: dict[str, Any] = {}

    def _load(self, name: str) -> None:
        module = importlib.import_module(self._modules[name])
        scratch = typer.Typer(rich_markup_mode=None, add_completion=False)
        module.register(scratch)
        group = typer.main.get_group(scratch)
        # One module may register several commands: keep all of them.
        for command in group.commands.values():
            _full_short_help(command)
        self._loaded.update(group.commands)

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in self._modules:
                raise KeyError(name)
            self._load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._loaded.pop(name, None)
        self._modules.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._modules
        yield from (name for name in self._loaded if name not in self._modules)

    def __len__(self) -> int:
        return len(set(self._modules) | set(self._loaded))

    def __contains__(self, name: object) -> bool:
        return name in self._modules or name in self._loaded


def _full_short_help(command: Any) -> None:
    """List each command with its whole first paragraph, wrapped, never cut with "...".

    Click shortens a help to fit one line (and stops at any ".", as in "(e.g."), which
    left most listings of `--help` at 80 columns ending in the middle of a sentence.
    """
    if command.short_help is None and command.help:
        first = command.help.strip().split("\n\n")[0]
        command.short_help = " ".join(first.split())
    for sub in (getattr(command, "commands", None) or {}).values():
        _full_short_help(sub)


class _LazyGroup(TyperGroup):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._lazy = _LazyCommands({name: module for name, (module, _) in COMMANDS.items()})
        self.commands = self._lazy

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list of `agentctl --help`, from COMMANDS: building it from the
        commands themselves would import every command module (~70 ms)."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        rows = []
        for name in names:
            if self._lazy.is_loaded(name) or name not in COMMANDS:
                command = self.commands[name]
                if not command.hidden:
                    rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, COMMANDS[name][1]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            # Typer would turn it into exit 1; `run` makes it a quiet exit 0.
            raise _ReaderGone from exc


class _ReaderGone(Exception):
    """stdout's reader closed the pipe (`agentctl … | head`)."""


app = typer.Typer(
    cls=_LazyGroup,
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
    if tenant is not None and len(tenant) > MAX_TENANT_LENGTH:
        raise UsageError(
            f"--tenant is {len(tenant)} characters long; a tenant id has at most "
            f"{MAX_TENANT_LENGTH}"
        )
    options = {
        "database_url": db_url,
        "tenant": tenant,
        "config": config,
        "agent": acting_agent,
        "debug": debug,
    }
    from agentctl.cli.context import AppContext  # here: `agentctl --help` does without it

    ctx.obj = AppContext(settings=resolve_settings(options), options=options)
    ctx.call_on_close(ctx.obj.close)


def _debug_requested(argv: Sequence[str]) -> bool:
    return "--debug" in argv or os.environ.get("AGENTCTL_DEBUG", "").lower() in {"1", "true", "yes"}


def _print_error(message: str, details: Sequence[str] = ()) -> None:
    sys.stderr.write(f"error: {mask_secrets(message)}\n")
    for line in details:
        sys.stderr.write(f"  {mask_secrets(line)}\n")
    sys.stderr.flush()


def _usage_line(exc: UsageErrorBase) -> str:
    """Click's usage error as one line: ``missing option '--name' (see `agentctl x --help`)``."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    message = message[:1].lower() + message[1:]
    if exc.ctx is not None:
        message += f" (see `{exc.ctx.command_path} --help`)"
    return message


def _reader_went_away() -> int:
    """`agentctl … | head`: the reader closed the pipe. That is not a failure: exit 0,
    say nothing, and point stdout at /dev/null so the interpreter's last flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # not a real file descriptor (tests capture stdout)
        pass
    return int(ExitCode.OK)


def run(argv: Sequence[str] | None = None) -> int:
    """Run agentctl with ``argv`` and return the exit code (what ``main`` exits with).

    This is the one place that turns exceptions into `error: …` lines and exit codes.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_requested(args)
    try:
        try:
            result = app(args=args, prog_name="agentctl", standalone_mode=False)
        except Exception as exc:
            # SQLAlchemy's and the OS's errors become AgentctlErrors (errors.py maps them).
            mapped = as_agentctl_error(exc)
            if mapped is None:
                raise
            raise mapped from exc
    except AgentctlError as exc:
        if debug:
            sys.stderr.write(mask_secrets(traceback.format_exc()))
        _print_error(exc.message, exc.details)
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except NoArgsIsHelpError as exc:
        exc.show()  # `agentctl` or `agentctl agents` alone: the help, on stderr
        return int(ExitCode.USAGE)
    except UsageErrorBase as exc:
        # Click's usage errors (missing option, bad value, unknown command): one line.
        _print_error(_usage_line(exc))
        return int(ExitCode.USAGE)
    except typer.TyperException as exc:
        _print_error(" ".join(exc.format_message().split()))
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("\naborted\n")
        return 130
    except (BrokenPipeError, _ReaderGone):
        return _reader_went_away()
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


def main() -> None:
    from agentctl.cli.context import pause_gc_for_start_up

    pause_gc_for_start_up()  # until the command opens its database (see context.py)
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = _reader_went_away()
    sys.exit(code)
