"""Every `console` block of the README works when pasted (issue 13.19).

The blocks run in README order, as real shell commands (bash, ``pipefail``), against one
demo desk (`agentctl demo --seed 42`) in a scratch directory holding a copy of
``examples/``, with a real SMTP server on loopback as the configured relay.

A command must exit 0, unless its block shows it failing: an ``error: …`` line in its
output, or an ``echo $?`` printing the code. Then it must fail with that code (or with
any non-zero code when only the ``error:`` line is shown). Commands that never end
(``--watch``, ``schedule run``) and lines that are not agentctl commands (the bench
scripts) are skipped. Every mismatch is reported with its README line, its command, the
exit code and the first lines of stderr.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NEVER_ENDING = (re.compile(r"--watch\b"), re.compile(r"\bschedule run(?!-)\b"))
TIMEOUT_S = 180


@dataclass
class Example:
    line: int  # README line of the `$ ` prompt
    command: str
    output: list[str] = field(default_factory=list)

    @property
    def shown_exit(self) -> int | None:
        """The exit code the block shows: None for success, -1 for "some failure"."""
        if "$?" in self.output:  # a following `echo $?` prints the code on the next line
            after = self.output[self.output.index("$?") + 1 :]
            if after and re.fullmatch(r"\d+", after[0].strip()):
                return int(after[0].strip())
        if any(text.lstrip().startswith("error:") for text in self.output):
            return -1
        return None


def console_blocks(text: str) -> list[list[Example]]:
    """The README's console blocks, each a list of commands with the output shown."""
    blocks: list[list[Example]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        indent = len(lines[i]) - len(lines[i].lstrip())
        i += 1
        block: list[Example] = []
        while i < len(lines) and lines[i].strip() != "```":
            raw = lines[i][indent:] if lines[i][:indent].isspace() else lines[i].lstrip()
            if raw.startswith("$ "):
                start, command = i + 1, raw[2:]
                while command.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    command = command[:-1] + " " + lines[i].strip()
                if command.split("#")[0].strip() == "echo $?":
                    if block:
                        block[-1].output.append("$?")
                else:
                    block.append(Example(start, command))
            elif block:
                block[-1].output.append(raw)
            i += 1
        blocks.append(block)
        i += 1
    return blocks


def _runs_agentctl(command: str) -> bool:
    words = command.split()
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
        words = words[1:]
    return bool(words) and words[0] == "agentctl"


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, str]:
    """A directory with examples/, an `agentctl` on PATH, and the environment to use."""
    work = tmp_path / "work"
    shutil.copytree(ROOT / "examples", work / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "agentctl"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m agentctl "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "AGENTCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
        "AGENTCTL_MAIL_FROM": "agentctl@desk.example",
        "COLUMNS": "100",
        "WORKDIR": str(work),
    }
    return env


def test_console_blocks_work_when_pasted(sandbox, smtp_factory):
    """Issue 13.19: each `$ agentctl …` of the README exits as its block shows."""
    accepting = smtp_factory()
    refusing = smtp_factory(refuse_with="550 5.1.1 mailbox unavailable")
    env = {**sandbox, "AGENTCTL_SMTP_URL": accepting.url()}
    work = env.pop("WORKDIR")
    demo = subprocess.run(
        ["agentctl", "demo", "--seed", "42"], env=env, cwd=work, capture_output=True, text=True
    )
    assert demo.returncode == 0, demo.stderr

    examples = [e for block in console_blocks(README.read_text()) for e in block]
    assert len(examples) > 30, "the README's console blocks were not found"
    failures: list[str] = []
    ran = 0
    for example in examples:
        if not _runs_agentctl(example.command):
            continue
        if any(p.search(example.command) for p in NEVER_ENDING):
            continue
        run_env = dict(env)
        if any("SMTP delivery" in text for text in example.output):
            run_env["AGENTCTL_SMTP_URL"] = refusing.url()  # the block shows a refusal
        proc = subprocess.run(
            ["bash", "-o", "pipefail", "-c", example.command],
            env=run_env,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        ran += 1
        shown = example.shown_exit
        if shown is None and proc.returncode == 0:
            continue
        if shown == -1 and proc.returncode != 0:
            continue
        if shown is not None and shown == proc.returncode:
            continue
        expected = {None: "0", -1: "non-zero"}.get(shown, str(shown))
        stderr = "\n      ".join(proc.stderr.strip().splitlines()[:3]) or "(empty)"
        failures.append(
            f"README.md:{example.line}: `{example.command}` exited {proc.returncode}, "
            f"the block shows {expected}\n    stderr: {stderr}"
        )
    assert ran > 20
    assert not failures, f"{len(failures)} README example(s) fail:\n" + "\n".join(failures)


def test_block_parser_reads_prompts_continuations_and_shown_errors():
    text = (
        "intro\n\n```console\n$ agentctl a --x \\\n    --y\nout\n$ agentctl b\n"
        "error: no\n$ echo $?\n2\n```\n\n  ```console\n  $ agentctl c | head\n  ```\n"
    )
    blocks = console_blocks(text)
    assert [[(e.line, e.command, e.shown_exit) for e in b] for b in blocks] == [
        [(4, "agentctl a --x  --y", None), (7, "agentctl b", 2)],
        [(14, "agentctl c | head", None)],
    ]
    assert _runs_agentctl("AGENTCTL_TENANT=x agentctl status")
    assert not _runs_agentctl(".venv/bin/python bench/bench_assign.py")
