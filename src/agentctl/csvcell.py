"""The one CSV cell function, for listings (``rendering``) and report files alike.

Formula safety follows OWASP's CSV-injection rule: a text cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, which Excel and
LibreOffice both show as text, so ``=HYPERLINK(…)`` in a ticket subject never runs. The
full-width forms ``＝ ＋ － ＠`` count too: spreadsheet programs in CJK locales read them
as the ASCII operators. Only text is touched: a number stays a number (``-3.5``).

This module imports nothing heavy: the CSV paths call ``csv_cell`` once per cell.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import IO, Any

from agentctl.timeutil import isoformat

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def defuse(text: str) -> str:
    """Text that no spreadsheet program will run as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_cell(value: Any) -> str:
    """A value as CSV text: ``""`` for none, ``true``/``false``, numbers as they are,
    ISO 8601 timestamps with offset, JSON for lists and objects, and text defused."""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return isoformat(value) or ""
    if isinstance(value, Decimal):
        return str(float(value))
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return csv_cell(value.value)
    if isinstance(value, list | dict):
        return defuse(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str))
    return defuse(str(value))


class CsvWriter:
    """``csv.writer`` with ``\\n`` line ends that also quotes a cell holding a carriage
    return. With ``lineterminator="\\n"`` Python's writer (before 3.13) quotes a cell for
    ``\\n`` but not for a lone ``\\r``, which every CSV reader then takes for a line end:
    such a row is written with every cell quoted (``QUOTE_ALL``), the others as before."""

    def __init__(self, out: IO[str]) -> None:
        import csv

        self._plain = csv.writer(out, lineterminator="\n")
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, cells: Sequence[Any]) -> None:
        if any(type(c) is str and "\r" in c for c in cells):
            self._quoted.writerow(cells)
        else:
            self._plain.writerow(cells)

    def writerows(self, rows: Iterable[Sequence[Any]], text_columns: Sequence[int]) -> None:
        """Rows whose cells at ``text_columns`` may be text (the others never hold any):
        one C-level search for ``\\r`` per column, row by row only where one is found."""
        rows = rows if isinstance(rows, list) else list(rows)
        for i in text_columns:
            try:
                found = "\r" in "\n".join(filter(None, map(itemgetter(i), rows)))
            except TypeError:  # a cell that is not text: look row by row
                found = True
            if found:
                for row in rows:
                    self.writerow(row)
                return
        self._plain.writerows(rows)
