"""Settings, resolved in one place.

Precedence: command-line option > ``AGENTCTL_*`` environment variable > TOML config file
> default. See the table in the README.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agentctl.errors import UsageError

_SECRET_IN_URL = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)@")


def mask_secrets(text: str) -> str:
    """Replace the password of every ``scheme://user:password@host`` in ``text``."""
    return _SECRET_IN_URL.sub(lambda m: f"{m.group('head')}***@", text)


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("agentctl", appauthor=False)) / "config.toml"


def default_database_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("agentctl", appauthor=False)) / "agentctl.db"


def _hostname() -> str:
    import socket  # here: `--help` never needs it

    return socket.gethostname()


@dataclass(frozen=True)
class Settings:
    database_url: str
    tenant: str | None = None
    agent: str | None = None
    smtp_url: str | None = None
    mail_from: str = field(default_factory=lambda: f"agentctl@{_hostname()}")
    config_path: Path | None = None
    debug: bool = False
    # True when database_url is the built-in default, which is migrated on first use.
    is_default_database: bool = False

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


# setting name -> (environment variable, (config table, config key))
_SOURCES: dict[str, tuple[str, tuple[str, str]]] = {
    "database_url": ("AGENTCTL_DATABASE_URL", ("database", "url")),
    "tenant": ("AGENTCTL_TENANT", ("defaults", "tenant")),
    "agent": ("AGENTCTL_AGENT", ("defaults", "agent")),
    "smtp_url": ("AGENTCTL_SMTP_URL", ("mail", "smtp_url")),
    "mail_from": ("AGENTCTL_MAIL_FROM", ("mail", "from")),
}


_WARNED: set[tuple[str, str]] = set()


def unknown_keys(config: Mapping[str, Any]) -> list[str]:
    """Dotted names of the tables and keys of ``config`` that no setting reads."""
    known: dict[str, set[str]] = {}
    for _env, (table, key) in _SOURCES.values():
        known.setdefault(table, set()).add(key)
    unknown = []
    for table, section in config.items():
        if table not in known:
            unknown.append(table)
        elif isinstance(section, dict):
            unknown += [f"{table}.{key}" for key in section if key not in known[table]]
    return unknown


def _warn_unknown_keys(path: Path, config: Mapping[str, Any]) -> None:
    """A misspelled key (``tennant``) is ignored, so say so, once per file and key."""
    names = [f"{t}.{k}" for _env, (t, k) in _SOURCES.values()]
    for name in unknown_keys(config):
        if (str(path), name) in _WARNED:
            continue
        _WARNED.add((str(path), name))
        import difflib

        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(names)})"
        sys.stderr.write(f"warning: {path}: unknown key '{name}' is ignored{hint}\n")


def _read_config_file(path: Path, *, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise UsageError(f"config file {path} does not exist")
        return {}
    import tomllib  # only when there is a file to read

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror}") from None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def resolve_settings(
    options: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the effective settings from options, environment, config file and defaults.

    ``options`` holds command-line values (``None`` meaning "not given") under the keys
    ``database_url, tenant, agent, smtp_url, mail_from, config, debug``.
    """
    options = dict(options or {})
    env = os.environ if environ is None else environ

    config_option = options.get("config") or env.get("AGENTCTL_CONFIG")
    config_path = Path(config_option).expanduser() if config_option else default_config_path()
    config = _read_config_file(config_path, explicit=bool(config_option))
    _warn_unknown_keys(config_path, config)

    values: dict[str, Any] = {}
    for name, (env_name, (table, key)) in _SOURCES.items():
        value = options.get(name)
        if value in (None, ""):
            value = env.get(env_name) or None
        if value in (None, ""):
            section = config.get(table, {})
            value = section.get(key) if isinstance(section, dict) else None
        if value not in (None, ""):
            values[name] = str(value)

    is_default = "database_url" not in values
    if is_default:
        values["database_url"] = f"sqlite:///{default_database_path()}"

    debug = bool(options.get("debug")) or _truthy(env.get("AGENTCTL_DEBUG"))
    return Settings(
        **values,
        config_path=config_path if config_path.exists() else None,
        debug=debug,
        is_default_database=is_default,
    )
