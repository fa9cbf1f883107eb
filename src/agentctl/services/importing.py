"""Reading CSV and JSONL input files, and collecting every bad row before writing anything.

Imports are all-or-nothing: the whole file is validated first, every bad row is named by
its line number and column, and only a clean file is written (in one transaction).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentctl.errors import UsageError, ValidationError

MAX_REPORTED_ERRORS = 100


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

    def add(self, line: int, column: str | None, message: str) -> None:
        self.problems.append((line, column, message))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        bad_lines = len({line for line, _, _ in self.problems})
        details = [
            f"line {line}, column {column}: {message}" if column else f"line {line}: {message}"
            for line, column, message in sorted(self.problems, key=lambda p: p[0])
        ]
        if len(details) > MAX_REPORTED_ERRORS:
            hidden = len(details) - MAX_REPORTED_ERRORS
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
    return text or None


def read_rows(
    path: Path,
    *,
    required: Sequence[str],
    known: Sequence[str],
    errors: RowErrors,
) -> Iterator[SourceRow]:
    """Yield the rows of a ``.csv`` (with a header) or ``.jsonl`` file.

    A missing required column or an unknown column is a file-level UsageError; per-row
    problems (bad JSON, ragged CSV rows) go to ``errors``.
    """
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path, required, known, errors)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path, required, known, errors)
    else:
        raise UsageError(f"{path}: unsupported file type {suffix or '(none)'}; use .csv or .jsonl")


def _check_header(
    path: Path, header: Sequence[str], required: Sequence[str], known: Sequence[str]
) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise UsageError(f"{path}: missing required column(s): {', '.join(missing)}")
    unknown = [c for c in header if c not in known]
    if unknown:
        raise UsageError(
            f"{path}: unknown column(s): {', '.join(unknown)} (expected: {', '.join(known)})"
        )


def _read_csv(
    path: Path, required: Sequence[str], known: Sequence[str], errors: RowErrors
) -> Iterator[SourceRow]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise UsageError(f"{path}: the file is empty (expected a header row)") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: unreadable header: {exc}") from None
        _check_header(path, header, required, known)
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
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if len(record) != len(header):
                errors.add(start, None, f"expected {len(header)} fields, found {len(record)}")
                continue
            yield SourceRow(start, {h: _text(v) for h, v in zip(header, record, strict=True)})


def _read_jsonl(
    path: Path, required: Sequence[str], known: Sequence[str], errors: RowErrors
) -> Iterator[SourceRow]:
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                errors.add(number, None, f"invalid JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(obj, dict):
                errors.add(number, None, "expected a JSON object")
                continue
            unknown = [k for k in obj if k not in known]
            for key in unknown:
                errors.add(number, key, "unknown field")
            if unknown:
                continue
            yield SourceRow(number, {k: _text(obj.get(k)) for k in known})


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
