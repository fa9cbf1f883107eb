"""What every command gets from the global options: settings and a lazy database."""

from __future__ import annotations

import gc
import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.config import Settings, resolve_settings
from agentctl.rendering import OutputFormat

if TYPE_CHECKING:
    from agentctl.database import Database


# Start-up and the garbage collector. The imports of a command (Typer, SQLAlchemy, the
# services) create a few hundred thousand objects that live until the process ends; the
# collector walked them several times while they were imported, and all of them again at
# exit (~40-60 ms CPU of a `status`). `agentctl.cli.main`, a process of its own, pauses the
# collector at start; when the command opens its database the imports are done, so they
# are frozen out of the collector's reach (gc.freeze) and it runs again, for what the
# command itself creates. `run()` called in-process (the tests) leaves the collector alone.
_gc_paused = False


def pause_gc_for_start_up() -> None:
    global _gc_paused
    if gc.isenabled():
        gc.disable()
        _gc_paused = True


def resume_gc() -> None:
    """Freeze what start-up created and run the collector again (once; no-op otherwise)."""
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        gc.enable()


@dataclass
class AppContext:
    settings: Settings
    options: dict[str, Any] = field(default_factory=dict)
    _db: Database | None = None

    @property
    def db(self) -> Database:
        """The database, opened on first use (so ``--help`` never connects)."""
        if self._db is None:
            from agentctl.database import Database

            self._db = Database(
                self.settings.database_url, auto_migrate=self.settings.is_default_database
            )
            resume_gc()
        return self._db

    @property
    def tenant(self) -> str | None:
        return self.settings.tenant

    def settings_with(self, **options: Any) -> Settings:
        """Settings re-resolved with command-level options (e.g. ``--smtp-url``)."""
        merged = {**self.options, **{k: v for k, v in options.items() if v is not None}}
        return resolve_settings(merged)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):  # pragma: no cover - the root callback sets it
        raise RuntimeError("agentctl context missing")
    return obj


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="Output format: a table for people, json or csv for scripts.",
    ),
]


class LazyModule(ModuleType):
    """A module imported on first attribute access.

    CLI modules bind their service as ``service = lazy_module("agentctl.services.x")``
    (with the real import under ``TYPE_CHECKING`` for mypy), so that defining a command,
    and so ``--help``, never imports SQLAlchemy or the services.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_lazy_target"] = None

    def __getattr__(self, attr: str) -> Any:
        target = self.__dict__["_lazy_target"]
        if target is None:
            target = importlib.import_module(self.__name__)
            self.__dict__["_lazy_target"] = target
        return getattr(target, attr)


def lazy_module(name: str) -> Any:
    return LazyModule(name)
