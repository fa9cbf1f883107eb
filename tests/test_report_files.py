"""Report files (issue 14.7): private (0600), atomic with fsync, the umask never touched,
and a ``.part`` left by a killed run removed by the next run."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from agentctl.services.reports import files
from test_report import AS_OF, seed


@pytest.fixture
def umask_022() -> object:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx", "pdf"])
def test_report_files_are_private(cli, db, tmp_path, umask_022, fmt):
    seed(db)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / f"breaches.{fmt}"
    out.write_text("an older report, readable by all\n")
    out.chmod(0o644)
    r = cli("report", "sla-breaches", "-f", fmt, "-o", out, "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert mode(out) == 0o600
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left


def test_the_umask_is_never_changed(tmp_path, umask_022, monkeypatch):
    calls: list[int] = []
    real_umask = os.umask

    def spy(mask: int) -> int:
        calls.append(mask)
        return real_umask(mask)

    monkeypatch.setattr(os, "umask", spy)
    with files.atomic_path(tmp_path / "r.csv") as temporary:
        temporary.write_text("a,b\n")
    assert calls == []
    assert mode(tmp_path / "r.csv") == 0o600


def test_other_threads_keep_their_umask(tmp_path, umask_022):
    # The daemon writes reports while its other threads create files: none of those may
    # come out world-writable (0666) because a report briefly set the umask to 0.
    stop = threading.Event()
    modes: set[int] = set()
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    def create_files() -> None:
        n = 0
        while not stop.is_set():
            path = scratch / f"f{n}"
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o666))
            modes.add(mode(path))
            path.unlink()
            n += 1

    thread = threading.Thread(target=create_files)
    thread.start()
    try:
        for i in range(300):
            with files.atomic_path(tmp_path / f"r{i % 3}.csv") as temporary:
                temporary.write_text("a,b\n")
    finally:
        stop.set()
        thread.join()
    assert modes == {0o644}


def test_fsync_comes_before_the_rename(tmp_path, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    with files.atomic_path(tmp_path / "r.csv") as temporary:
        temporary.write_text("a,b\n")
    assert events[:2] == ["fsync", "replace"]
    assert (tmp_path / "r.csv").read_text() == "a,b\n"


def test_a_stale_part_is_removed_by_the_next_run(cli, db, tmp_path):
    seed(db)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "breaches.csv"
    # What a run killed with SIGKILL leaves behind: a .part file nobody holds.
    stale = out.parent / ".breaches.csv.k1ll3d.part"
    stale.write_text("ticket_number,subject\nT-1,half a rep")
    other = out.parent / ".other.csv.k1ll3d.part"  # another target's: not this run's business
    other.write_text("x")
    r = cli("report", "sla-breaches", "-f", "csv", "-o", out, "--as-of", AS_OF)
    assert r.exit_code == 0, r.stderr
    assert not stale.exists()
    assert other.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == [".other.csv.k1ll3d.part", out.name]


def test_a_part_being_written_is_left_alone(tmp_path):
    target = tmp_path / "r.csv"
    with files.atomic_path(target) as writing:
        # A second run for the same target starts while the first is still writing.
        assert files.remove_stale_parts(target) == []
        assert writing.exists()
        writing.write_text("first\n")
    assert target.read_text() == "first\n"


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "r.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), files.atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]
