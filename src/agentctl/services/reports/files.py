"""Report files: default names, MIME types, and atomic writes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

MIME_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def default_filename(report_type: str, fmt: str, day: datetime) -> str:
    """``agentctl-<type>-<YYYY-MM-DD>.<ext>``, dated by the report's as_of (UTC)."""
    return f"agentctl-{report_type}-{day:%Y-%m-%d}.{fmt}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary file next to ``target``, renamed onto it when the block succeeds.

    A failure (an exception, a kill) never leaves a half-written report under the real
    name: the temporary file is removed, and an existing file at ``target`` is untouched.
    """
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp creates 0600; give the report the permissions a normal file would get.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
