"""Report files: default names, MIME types, and atomic private writes.

Report files hold customer data (ticket subjects, agents' emails), so they are created
with mode ``0600`` (owner read/write only), whatever the umask; ``chmod`` them to share.
The umask is never read or changed: it is process-wide, and the daemon's other threads
create files meanwhile.

A report is written to ``.<name>.<random>.part`` next to the target, flushed to disk
(``fsync``) and renamed onto the target (``os.replace``), so a reader sees the old file
or the whole new one, never half a report, even after a crash or power loss. The writer
holds a lock (``flock``) on its ``.part`` file; a ``.part`` that nobody holds was left by
a killed run, and the next run that writes the same target removes it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, so no stale-file cleanup
    fcntl = None  # type: ignore[assignment]

MIME_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FILE_MODE = 0o600
PART_SUFFIX = ".part"


def default_filename(report_type: str, fmt: str, day: datetime) -> str:
    """``agentctl-<type>-<YYYY-MM-DD>.<ext>``, dated by the report's as_of (UTC)."""
    return f"agentctl-{report_type}-{day:%Y-%m-%d}.{fmt}"


def _lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False when another holds it."""
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def remove_stale_parts(target: Path) -> list[Path]:
    """Remove the ``.part`` files of ``target`` that no running writer holds."""
    if fcntl is None:  # pragma: no cover
        return []
    removed = []
    for part in target.parent.glob(f".{glob_escape(target.name)}.*{PART_SUFFIX}"):
        try:
            fd = os.open(part, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # gone meanwhile (its writer finished), or not ours to touch
        try:
            if _lock(fd):
                with contextlib.suppress(FileNotFoundError):
                    part.unlink()
                    removed.append(part)
        finally:
            os.close(fd)
    return removed


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _fsync(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A private temporary file next to ``target``, renamed onto it when the block succeeds.

    A failure (an exception, a kill) never leaves a half-written report under the real
    name: the temporary file is removed (or, after a kill, by the next run), and an
    existing file at ``target`` is untouched.
    """
    remove_stale_parts(target)
    # Created under a name the cleaner ignores, locked, and only then given the .part
    # name: a .part file that can be locked is never one that is being written.
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".new")
    temporary = Path(name[: -len(".new")] + PART_SUFFIX)
    try:
        os.fchmod(fd, FILE_MODE)  # mkstemp's 0600 is masked by the umask; be exact
        _lock(fd)
        os.rename(name, temporary)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    try:
        yield temporary
        # The writers have closed their handles: flush the data, then the rename.
        _fsync(temporary)
        os.replace(temporary, target)
        with contextlib.suppress(OSError):  # not every file system syncs a directory
            _fsync(target.parent, directory=True)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    finally:
        os.close(fd)
