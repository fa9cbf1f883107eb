"""Reading CSV and JSONL input files, and collecting every bad row before writing anything.

Imports are all-or-nothing: the whole file is validated first, every bad row is named by
its line number and column, and only a clean file is written (in one transaction).
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentctl.csvcell import is_formula_like
from agentctl.errors import UsageError, ValidationError

MAX_REPORTED_ERRORS = 100
MAX_KEPT_ERRORS = 10_000  # a file of a million bad rows is reported by count beyond these


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: rows created and rows updated."""

    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated

    def describe(self, noun: str) -> str:
        return f"imported {self.total} {noun} ({self.created} new, {self.updated} updated)"


@dataclass(frozen=True)
class SourceRow:
    line: int  # 1-based line in the file where the row starts
    values: dict[str, str | None]


@dataclass
class RowErrors:
    """Every problem found in a file, as ``line N, column C: message``."""

    source: str
    problems: list[tuple[int, str | None, str]] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)
    total: int = 0

    def add(self, line: int, column: str | None, message: str) -> None:
        self.total += 1
        self.bad_lines.add(line)
        if len(self.problems) < MAX_KEPT_ERRORS:
            self.problems.append((line, column, message))

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if not self.total:
            return
        bad_lines = len(self.bad_lines)
        details = [
            f"line {line}, column {column}: {message}" if column else f"line {line}: {message}"
            for line, column, message in sorted(self.problems, key=lambda p: p[0])
        ]
        if self.total > MAX_REPORTED_ERRORS:
            hidden = self.total - MAX_REPORTED_ERRORS
            details = [*details[:MAX_REPORTED_ERRORS], f"... and {hidden} more"]
        rows = "row" if bad_lines == 1 else "rows"
        raise ValidationError(
            f"{self.source}: {bad_lines} bad {rows}, nothing imported", details=details
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    if text.startswith("'") and is_formula_like(text[1:]):
        # A listing's CSV defuses formula-like text with a leading apostrophe
        # (agentctl.csvcell); importing that file back gives the original text.
        text = text[1:]
    return text or None


@dataclass(frozen=True)
class FileSpec:
    """The columns an import takes.

    ``aliases`` map a listing's column to the import's (``agent_email`` -> ``assignee``), and
    ``ignored`` are a listing's read-only columns (ids, names of related rows), so that
    every listing's CSV can be imported back.
    """

    required: tuple[str, ...]
    known: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    ignored: frozenset[str] = frozenset()
    lengths: Mapping[str, int] = field(default_factory=dict)


class Source:
    """An open import file: its present columns, then its rows, streamed.

    ``columns`` are the import's names of the columns the file has (a CSV's header, a
    JSONL file's first object); a column the file lacks is "absent", which an import keeps
    apart from an empty cell ("no value").
    """

    def __init__(self, path: Path, spec: FileSpec, errors: RowErrors) -> None:
        if not path.exists():
            raise UsageError(f"{path}: no such file")
        if path.is_dir():
            raise UsageError(f"{path}: is a directory")
        self.path = path
        self.spec = spec
        self.errors = errors
        suffix = path.suffix.lower()
        if suffix == ".csv":
            self._records = self._open_csv()
        elif suffix in (".jsonl", ".ndjson"):
            self._records = self._open_jsonl()
        else:
            raise UsageError(
                f"{path}: unsupported file type {suffix or '(none)'}; use .csv or .jsonl"
            )
        self.columns: tuple[str, ...] = next(self._records)

    def has(self, column: str) -> bool:
        return column in self.columns

    def records(self) -> Iterator[tuple[int, list[str | None]]]:
        """(line, cells in ``columns`` order; empty cells None), one row at a time."""
        return self._records

    def rows(self) -> Iterator[SourceRow]:
        columns = self.columns
        for line, cells in self.records():
            yield SourceRow(line, dict(zip(columns, cells, strict=True)))

    # --- header ---------------------------------------------------------------------

    def _canonical(
        self, header: Sequence[str], *, hint: str = ""
    ) -> tuple[list[int], tuple[str, ...]]:
        """(positions kept, their import names) for a header; file-level errors raise."""
        spec, path = self.spec, self.path
        keep: list[int] = []
        names: list[str] = []
        unknown: list[str] = []
        for position, raw in enumerate(header):
            if raw in spec.ignored:
                continue
            name = spec.aliases.get(raw, raw)
            if name not in spec.known:
                unknown.append(raw)
                continue
            if name in names:
                same = [h for h in header if spec.aliases.get(h, h) == name]
                raise UsageError(f"{path}: columns {' and '.join(same)} both give {name}; keep one")
            keep.append(position)
            names.append(name)
        missing = [c for c in spec.required if c not in names]
        if missing:
            raise UsageError(f"{path}: missing required column(s): {', '.join(missing)}{hint}")
        if unknown:
            raise UsageError(
                f"{path}: unknown column(s): {', '.join(unknown)} "
                f"(expected: {', '.join(spec.known)}){hint}"
            )
        return keep, tuple(names)

    # --- CSV --------------------------------------------------------------------------

    def _open_csv(self) -> Iterator[Any]:
        path, errors = self.path, self.errors
        try:
            handle = path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        with handle:
            try:
                first = handle.readline()
            except UnicodeDecodeError as exc:
                raise UsageError(f"{path}: unreadable header (not UTF-8): {exc.reason}") from None
            if not first.strip():
                raise UsageError(f"{path}: the file is empty (expected a header row)")
            delimiter = _delimiter(first)
            reader = csv.reader(itertools.chain([first], handle), delimiter=delimiter)
            try:
                header = [h.strip() for h in next(reader)]
            except (csv.Error, UnicodeDecodeError) as exc:
                raise UsageError(f"{path}: unreadable header: {exc}") from None
            hint = ""
            if delimiter == "," and ";" in first:
                hint = "; the file seems to use ';' between columns, not ','"
            keep, names = self._canonical(header, hint=hint)
            yield names
            width = len(header)
            every = len(keep) == width
            line = reader.line_num + 1
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except (csv.Error, UnicodeDecodeError) as exc:
                    errors.add(line, None, f"malformed CSV: {exc}")
                    return
                start, line = line, reader.line_num + 1
                if len(record) != width:
                    if not any(cell.strip() for cell in record):
                        continue  # blank line
                    errors.add(start, None, f"expected {width} fields, found {len(record)}")
                    continue
                if not every:
                    record = [record[i] for i in keep]
                yield start, [_text(cell) for cell in record]

    # --- JSONL ------------------------------------------------------------------------

    def _open_jsonl(self) -> Iterator[Any]:
        path, errors = self.path, self.errors
        try:
            handle = path.open(encoding="utf-8-sig")
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        with handle:
            objects = self._json_objects(handle)
            first = next(objects, None)
            if first is None:
                raise UsageError(f"{path}: the file is empty (expected JSON objects)")
            keep, names = self._canonical(list(first[1]))
            keys = [list(first[1])[i] for i in keep]
            known = set(first[1])
            yield names
            for number, obj in itertools.chain([first], objects):
                extra = [k for k in obj if k not in known]
                if extra:
                    for key in extra:
                        errors.add(
                            number,
                            key,
                            "not a field of the first object (every line needs the same fields)",
                        )
                    continue
                yield number, [_text(obj.get(k)) for k in keys]

    def _json_objects(self, handle: Any) -> Iterator[tuple[int, dict[str, Any]]]:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                self.errors.add(number, None, f"invalid JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(obj, dict):
                self.errors.add(number, None, "expected a JSON object")
                continue
            yield number, obj


def _delimiter(header_line: str) -> str:
    """The header's delimiter: ``,`` unless the header clearly uses ``;`` or a tab
    (Excel saves CSV with ``;`` where the decimal separator is a comma)."""
    try:
        found = csv.Sniffer().sniff(header_line, delimiters=",;\t").delimiter
    except csv.Error:
        return ","
    return found if found in (",", ";", "\t") else ","


def too_long(value: str, limit: int) -> str:
    """The message for a value longer than its database column (a bad row on every
    engine: PostgreSQL would refuse it, SQLite would store it)."""
    return f"is {len(value)} characters long; the most it takes is {limit}"


def read_rows(
    path: Path,
    *,
    required: Sequence[str],
    known: Sequence[str],
    errors: RowErrors,
) -> Iterator[SourceRow]:
    """Yield the rows of a ``.csv`` (with a header) or ``.jsonl`` file (see ``Source``)."""
    yield from Source(path, FileSpec(tuple(required), tuple(known)), errors).rows()


def require(row: SourceRow, column: str, errors: RowErrors) -> str | None:
    value = row.values.get(column)
    if value is None:
        errors.add(row.line, column, "required")
    return value


def parse_int(
    row: SourceRow,
    column: str,
    errors: RowErrors,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    raw = row.values.get(column)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors.add(row.line, column, f"{raw!r} is not a whole number")
        return default
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"{minimum}-{maximum}" if maximum is not None else f">= {minimum}"
        errors.add(row.line, column, f"{value} is out of range ({bounds})")
        return default
    return value


def parse_choice(
    row: SourceRow, column: str, choices: Sequence[str], errors: RowErrors, *, default: str
) -> str:
    raw = row.values.get(column)
    if raw is None:
        return default
    value = raw.lower()
    if value not in choices:
        errors.add(row.line, column, f"{raw!r} is not one of {', '.join(choices)}")
        return default
    return value


def parse_bool(row: SourceRow, column: str, errors: RowErrors, *, default: bool) -> bool:
    raw = row.values.get(column)
    if raw is None:
        return default
    value = raw.lower()
    if value in ("1", "true", "yes", "y", "t"):
        return True
    if value in ("0", "false", "no", "n", "f"):
        return False
    errors.add(row.line, column, f"{raw!r} is not true or false")
    return default
