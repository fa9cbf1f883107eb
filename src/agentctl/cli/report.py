"""`agentctl report`: export a report as CSV, XLSX, PDF or JSON, and mail it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from agentctl.cli.context import FormatOption, app_context
from agentctl.cli.options import (
    AsOfOption,
    MailFromOption,
    ReportRangeOption,
    SinceOption,
    SMTPUrlOption,
    UntilOption,
)
from agentctl.errors import RuntimeFailure
from agentctl.rendering import OutputFormat, render

if TYPE_CHECKING:
    from rich.progress import Progress

# Below this many rows an export is quick enough to need no progress bar.
PROGRESS_MIN_ROWS = 5000


class _ProgressBar:
    """A Rich progress bar on stderr, started only for a long export on a terminal."""

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._task: Any = None

    def __call__(self, done: int, total: int | None) -> None:
        if self._bar is None:
            # An unknown total (a CSV file computes no summary): once that many are done.
            if (done if total is None else total) < PROGRESS_MIN_ROWS:
                return
            self._bar = _progress(total)
            self._bar.start()
            self._task = self._bar.add_task("writing rows", total=total)
        self._bar.update(self._task, completed=done)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _progress(total: int | None, console: Any = None) -> Progress:
    """The bar: rows written out of the total and the time left; without a total (a CSV
    file computes no summary) the rows written so far and the time spent (Rich's default
    columns would show a bare pulsing bar)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from agentctl.rendering import stderr_console

    if total is None:
        columns: tuple[Any, ...] = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
        )
    else:
        columns = Progress.get_default_columns()
    return Progress(*columns, console=console or stderr_console(), transient=True)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def report(
    ctx: typer.Context,
    report_type: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help="performance, sla-breaches, sla-at-risk, aging, workload or availability.",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="csv, xlsx, pdf or json.", show_default=False),
    ],
    range_: ReportRangeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_of: AsOfOption = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (default agentctl-<type>-<date>.<ext>); - is stdout (csv, json).",
            show_default=False,
        ),
    ] = None,
    email: Annotated[
        list[str] | None,
        typer.Option("--email", help="Mail the report to this address (repeatable)."),
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Mail subject (default: report and window).")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="performance trend per day or week (default: day up to 31 days)."
        ),
    ] = None,
    smtp_url: SMTPUrlOption = None,
    mail_from: MailFromOption = None,
    # --- sla-at-risk (begin) ---
    within: Annotated[
        str | None,
        typer.Option(
            "--within",
            help="sla-at-risk: tickets due within this time after as-of, e.g. 30m, 2h, "
            "1h30m (default 2h).",
            show_default=False,
        ),
    ] = None,
    # --- sla-at-risk (end) ---
) -> None:
    """Export a report (performance, sla-breaches, sla-at-risk, aging, workload,
    availability) and optionally mail it.

    Default windows: 7d for performance, sla-breaches and availability; all for
    sla-at-risk, aging and workload. `agentctl report history` lists every run, ad hoc
    and scheduled.
    """
    from agentctl.services.reports import DEFAULT_RANGES, run_report
    from agentctl.services.window import resolve_window

    app = app_context(ctx)
    settings = app.settings_with(smtp_url=smtp_url, mail_from=mail_from)
    window = resolve_window(
        range_,
        since,
        until,
        as_of,
        default_range=DEFAULT_RANGES.get(report_type.strip().lower(), "7d"),
    )
    on_terminal = sys.stderr.isatty()
    bar = _ProgressBar() if on_terminal and output != "-" else None
    try:
        result = run_report(
            app.db,
            report_type=report_type,
            fmt=fmt,
            window=window,
            tenant=app.tenant,
            output=output,
            recipients=email or [],
            subject=subject,
            smtp_url=settings.smtp_url,
            mail_from=settings.mail_from,
            by=by,
            progress=bar,
            within=within,  # sla-at-risk
        )
    finally:
        if bar is not None:
            bar.stop()
    for warning in result.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    if not result.succeeded:
        kept = f"; the report was written to {result.output_path}" if result.output_path else ""
        raise RuntimeFailure(f"{result.error}{kept}")
    if on_terminal and result.output_path is not None:
        sent = f", mailed to {', '.join(result.recipients)}" if result.recipients else ""
        sys.stderr.write(
            f"wrote {result.output_path} ({_size(result.bytes)}, {result.rows:,} rows){sent}\n"
        )


# --- report history (sla-scheduling helper) ---------------------------------------------

history_app = typer.Typer(add_completion=False, rich_markup_mode=None)


@history_app.command("history")
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many runs.", min=1)] = 20,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule", help="Only this schedule's runs (name or id; removed ones by name)."
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only runs with this status: running, succeeded, failed, partial, skipped.",
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Every report run, ad hoc and scheduled, newest first."""
    from agentctl.cli.schedule_views import HISTORY_COLUMNS
    from agentctl.services.scheduling import history as run_history

    app = app_context(ctx)
    rows = run_history(
        app.db,
        schedule,
        app.tenant,
        limit=limit,
        status=status.strip().lower() if status else None,
        scheduled_only=False,
    )
    render(rows, HISTORY_COLUMNS, fmt, empty_message="No report runs yet.")


class _ReportCommand(TyperCommand):
    """``report TYPE …``, except that ``report history …`` is the history listing."""

    @property
    def commands(self) -> dict[str, Any]:
        return {"history": typer.main.get_command(history_app)}

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        if args[:1] == ["history"]:
            command = self.commands["history"]
            return command.make_context(f"{info_name} history", args[1:], parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)


# --- end report history ---------------------------------------------------------------


def register(app: typer.Typer) -> None:
    app.command("report", cls=_ReportCommand)(report)
