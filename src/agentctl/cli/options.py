"""Options shared by several commands (window options for performance and report)."""

from __future__ import annotations

from typing import Annotated

import typer

RangeOption = Annotated[
    str | None,
    typer.Option(
        "--range",
        "-r",
        help="Window: today, 7d, 30d, 90d or all (default 7d; any Nd works).",
        show_default=False,
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="Window start, inclusive (ISO 8601; naive = UTC)."),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", help="Window end, exclusive (ISO 8601; default: --as-of)."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="The moment the metrics are taken at (default: now)."),
]
