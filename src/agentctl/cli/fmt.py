"""``--format table|json|csv`` without importing Rich: for CLI modules that load lazily.

``agentctl.cli.context.FormatOption`` needs ``agentctl.rendering`` (and so Rich) at import
time; this one converts to ``rendering.OutputFormat`` inside the command instead.
"""

from __future__ import annotations

import enum
from typing import Annotated

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
