"""``--format table|json|csv`` without importing Rich: for CLI modules that load lazily.

``agentctl.cli.context.FormatOption`` needs ``agentctl.rendering`` (and so Rich) at import
time; this one converts to ``rendering.OutputFormat`` inside the command instead.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

import typer


class Fmt(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[
    Fmt,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="Output format: a table for people, json or csv for scripts.",
    ),
]


def shown_columns(columns: list[Any], rows: list[dict[str, Any]], keep: set[str]) -> list[Any]:
    """Table columns without those no row has a value for (``keep`` always stays)."""

    def empty(value: Any) -> bool:
        return value is None or value == "" or value == []

    return [
        c
        for c in columns
        if c.key in keep or not c.in_table or any(not empty(r.get(c.key)) for r in rows)
    ]
