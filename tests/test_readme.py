"""The README's command reference is the CLI's real ``--help`` (regenerate with
``python tests/readme_reference.py --write``)."""

from __future__ import annotations

import readme_reference


def test_reference_matches_help():
    readme = readme_reference.README.read_text()
    assert readme_reference.current_section(readme) == readme_reference.reference(), (
        "README.md's command reference is stale: run `python tests/readme_reference.py --write`"
    )


def test_every_command_has_an_example():
    names = {" ".join(["agentctl", *p]) for p in readme_reference.command_paths()}
    assert names <= set(readme_reference.EXAMPLES), names - set(readme_reference.EXAMPLES)


def test_ci_runs_the_readme_test_command():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text()
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    assert f"```sh\n{command}\n```" in readme
    assert f"\n{command}\n" in ci
