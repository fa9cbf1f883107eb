"""One renderer for ``--format table|json|csv``, used by every listing command.

Data goes to stdout; JSON and CSV are exact (snake_case keys, ISO 8601 timestamps with a
UTC offset, no colour) and tables are Rich tables (colour only on a terminal, and never
with ``NO_COLOR``).
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from agentctl.timeutil import as_utc, isoformat

if TYPE_CHECKING:
    # Rich is imported where a table is drawn, so `--help`, JSON and CSV never load it.
    from rich.console import Console, RenderableType
    from rich.table import Table
    from rich.text import Text


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


STATUS_STYLES = {
    "available": "bold green",
    "busy": "bold red",
    "away": "bold yellow",
    "offline": "bright_black",
}


@dataclass(frozen=True)
class Column:
    """One output field: its key in JSON/CSV and how a table shows it."""

    key: str
    header: str | None = None
    # Table-only presentation of a value; JSON/CSV always carry the raw value.
    display: Callable[[Any], RenderableType] | None = None
    justify: str = "left"
    in_table: bool = True
    no_wrap: bool = False  # never wrap this column's cells (badges, names, emails)

    @property
    def title(self) -> str:
        return self.header or self.key.replace("_", " ")


def plain(value: Any) -> Any:
    """A JSON-safe value: ISO timestamps with offset, UUIDs as strings."""
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    decimal = sys.modules.get("decimal")  # not imported here: `--help` loads this module
    if decimal is not None and isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def badge(status: str | None) -> Text:
    """A coloured availability badge: ● available."""
    from rich.text import Text

    if status is None:
        return Text("-")
    return Text(f"● {status}", style=STATUS_STYLES.get(status, ""))


def stdout_console() -> Console:
    from rich.console import Console

    # emoji=False: ":smile:" in a subject or a name is text, not an emoji.
    console = Console(soft_wrap=False, highlight=False, emoji=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped tables would be squeezed to 80 columns; scripts should use json/csv anyway.
        console.width = 200
    return console


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


def table_cell(column: Column, value: Any) -> RenderableType:
    if column.display is not None:
        return column.display(value)
    if isinstance(value, datetime):
        return as_utc(value).strftime("%Y-%m-%d %H:%M")
    value = plain(value)
    if value is None:
        from rich.text import Text

        return Text("-", style="dim")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    from rich.text import Text

    # Text, not str: Rich would read "[bold]" in a name as markup (and fail on "[/x]").
    if isinstance(value, list):
        return Text(", ".join(str(v) for v in value))
    return Text(str(value))


def build_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, title: str | None = None
) -> Table:
    from rich.table import Table

    table = Table(title=title, header_style="bold", title_justify="left")
    shown = [c for c in columns if c.in_table]
    from rich.text import Text

    for column in shown:
        table.add_column(
            Text(column.title),  # a title can be data too (skills matrix: the categories)
            justify=column.justify,  # type: ignore[arg-type]
            no_wrap=column.no_wrap,
        )
    for row in rows:
        table.add_row(*(table_cell(c, row.get(c.key)) for c in shown))
    return table


def write_json(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], out: IO[str]) -> None:
    import json

    keys = [c.key for c in columns]
    payload = [{k: plain(row.get(k)) for k in keys} for row in rows]
    json.dump(payload, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], out: IO[str]) -> None:
    from agentctl.csvcell import CsvWriter, csv_cell  # the one cell function (formula-safe)

    writer = CsvWriter(out)
    keys = [c.key for c in columns]
    writer.writerow(keys)
    for row in rows:
        writer.writerow([csv_cell(row.get(k)) for k in keys])


def render(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    empty_message: str | None = None,
    console: Console | None = None,
    out: IO[str] | None = None,
) -> None:
    """Write ``rows`` to stdout as a Rich table, JSON or CSV."""
    stream = out or sys.stdout
    if fmt is OutputFormat.json:
        write_json(rows, columns, stream)
    elif fmt is OutputFormat.csv:
        write_csv(rows, columns, stream)
    else:
        console = console or stdout_console()
        if not rows and empty_message:
            console.print(empty_message)
            return
        console.print(build_table(rows, columns, title=title))


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on stderr (count, percentage, ETA), or None when not ``enabled``
    (not a terminal). Yields ``update(done, total)``."""
    if not enabled:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
