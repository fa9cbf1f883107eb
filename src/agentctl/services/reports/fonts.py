"""The report font: DejaVu Sans, vendored in ``agentctl/fonts`` with its licence.

DejaVu Sans covers Latin, Greek, Cyrillic and many symbols, not CJK nor most emoji. A
character the font lacks would print as nothing at all; documents show ``PLACEHOLDER``
instead and name the characters once in a warning (``MissingGlyphs``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib.resources import as_file, files
from pathlib import Path

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
PLACEHOLDER = "\u25a1"  # WHITE SQUARE, the usual "tofu" for a missing glyph


@contextlib.contextmanager
def font_file(name: str) -> Iterator[Path]:
    """A path to a vendored font file (extracted for the moment if installed zipped)."""
    with as_file(files("agentctl") / "fonts" / name) as path:
        yield Path(path)


class MissingGlyphs:
    """Replaces characters the font cannot draw and remembers which ones they were."""

    def __init__(self, covered: set[int] | frozenset[int]) -> None:
        self.covered = covered
        self.missing: set[str] = set()

    def clean(self, text: str) -> str:
        if text.isascii():
            return text
        covered = self.covered
        if all(ord(ch) in covered for ch in text):
            return text
        out = []
        for ch in text:
            if ord(ch) in covered or ch in "\n":
                out.append(ch)
            else:
                self.missing.add(ch)
                out.append(PLACEHOLDER)
        return "".join(out)

    def warning(self, where: str) -> str | None:
        """One line naming the missing characters, or None when there were none."""
        if not self.missing:
            return None
        shown = " ".join(sorted(self.missing)[:20])
        more = f" and {len(self.missing) - 20} more" if len(self.missing) > 20 else ""
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in sorted(self.missing)[:5])
        return (
            f"{where}: the font has no glyph for {shown}{more} ({codes}"
            f"{', …' if len(self.missing) > 5 else ''}); they show as {PLACEHOLDER}"
        )
