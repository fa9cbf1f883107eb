"""Options shared by several commands: the report window, and the mail settings."""

from __future__ import annotations

from typing import Annotated

import typer

RangeOption = Annotated[
    str | None,
    typer.Option(
        "--range",
        "-r",
        help="Window: today, 7d, 30d, 90d, all, or any Nd (default: 7d).",
        show_default=False,
    ),
]
# `report`'s default depends on the report type (services.reports.DEFAULT_RANGES).
ReportRangeOption = Annotated[
    str | None,
    typer.Option(
        "--range",
        "-r",
        help="Window: today, 7d, 30d, 90d, all, or any Nd (default: 7d for performance and "
        "sla-breaches, all for aging and workload).",
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
SMTPUrlOption = Annotated[
    str | None,
    typer.Option("--smtp-url", help="SMTP server for the emails [env: AGENTCTL_SMTP_URL]."),
]
MailFromOption = Annotated[
    str | None,
    typer.Option("--mail-from", help="Sender address [env: AGENTCTL_MAIL_FROM]."),
]
