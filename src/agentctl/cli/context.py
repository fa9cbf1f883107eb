"""What every command gets from the global options: settings and a lazy database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from agentctl.config import Settings, resolve_settings
from agentctl.database import Database
from agentctl.rendering import OutputFormat


@dataclass
class AppContext:
    settings: Settings
    options: dict[str, Any] = field(default_factory=dict)
    _db: Database | None = None

    @property
    def db(self) -> Database:
        """The database, opened on first use (so ``--help`` never connects)."""
        if self._db is None:
            self._db = Database(
                self.settings.database_url, auto_migrate=self.settings.is_default_database
            )
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
