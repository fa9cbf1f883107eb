"""The files in examples/ really work with the current code."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from agentctl.config import resolve_settings
from conftest import CLI

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_sample_csvs_import_cleanly(cli: CLI):
    r = cli("agents", "import", str(EXAMPLES / "agents.csv"))
    assert r.exit_code == 0 and r.stdout == "imported 5 agents (5 new, 0 updated)\n", r.stderr
    r = cli("skills", "import", str(EXAMPLES / "skills.csv"))
    assert r.exit_code == 0, r.stderr
    r = cli("tickets", "import", str(EXAMPLES / "tickets.csv"))
    assert r.exit_code == 0 and r.stdout == "imported 10 tickets (10 new, 0 updated)\n", r.stderr
    tickets = cli("tickets", "list", "-f", "json").json()
    assert len(tickets) == 10
    assert {t["ticket_number"]: t["created_at"] for t in tickets}["T-1002"] == (
        "2026-11-20T08:40:00+00:00"
    )


def test_sample_config_parses_and_sets_nothing():
    """Every setting is commented out (issue 13.18): the file changes no default."""
    settings = resolve_settings({"config": str(EXAMPLES / "config.toml")}, {})
    assert settings.is_default_database
    assert (settings.tenant, settings.agent, settings.smtp_url) == (None, None, None)


def _agentctl_commands(path: Path) -> list[list[str]]:
    """The agentctl argument lists a crontab, unit file or manifest runs."""
    commands = []
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line.startswith("#"):
            continue
        if line.startswith("args:"):  # Kubernetes: the image's entrypoint is agentctl
            commands.append(json.loads(line.removeprefix("args:").strip()))
            continue
        words = shlex.split(line.partition("=")[2] if line.startswith("Exec") else line)
        for i, word in enumerate(words):
            if Path(word).name == "agentctl":
                commands.append(words[i + 1 :])
                break
    return commands


def test_crontab_and_units_name_real_commands(bare_cli: CLI):
    files = [EXAMPLES / "crontab", EXAMPLES / "agentctl-scheduler.service"]
    files += sorted(EXAMPLES.glob("*.yaml"))
    seen = 0
    for path in files:
        for words in _agentctl_commands(path):
            args = [w for w in words if not w.startswith("$")]
            r = bare_cli(*args, "--help")
            assert r.exit_code == 0, f"{path.name}: agentctl {' '.join(words)}: {r.stderr}"
            seen += 1
    assert seen >= 3
