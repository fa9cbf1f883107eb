"""Incoming webhooks (Slack, Microsoft Teams): the report's summary as ``{"text": …}``.

Both accept a JSON body with a ``text`` field holding Markdown; a short table of the first
rows is written as a Markdown table in a code-free form both render. An incoming webhook's
URL *is* its secret (``https://hooks.slack.com/services/T000/B000/XXXX``), so only
:func:`mask_url` (scheme and host) ever appears in output, logs or run history.

The retry rules are those of mail: a timeout, a refused or dropped connection and a 5xx
reply are transient and retried with exponential backoff; a 4xx reply is permanent.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from agentctl.errors import RuntimeFailure, UsageError

TIMEOUT_S = 15.0
ROWS_SHOWN = 10
MAX_CELL = 40


class WebhookError(RuntimeFailure):
    """A webhook post failed for good. ``message`` names the URL masked."""


def validate_url(url: str) -> str:
    """An http(s) URL with a host; anything else is a UsageError (exit 2)."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise UsageError(f"invalid webhook URL {mask_url(text)!r}: use an http:// or https:// URL")
    return text


def mask_url(url: str) -> str:
    """``https://hooks.slack.com/…``: scheme, host and port; the path (the secret) hidden."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme or not host:
        return "<invalid URL>"
    return f"{parts.scheme}://{host}{port}/…"


def _cell(value: Any) -> str:
    text = "-" if value is None or value == "" else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def build_payload(
    title: str,
    lines: Sequence[tuple[str, str]],
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    total_rows: int,
) -> dict[str, str]:
    """``{"text": …}``: a bold title, the summary lines, then the first rows as a table."""
    parts = [f"**{title}**", ""]
    parts += [f"- {label}: {value}" for label, value in lines]
    if rows:
        parts += ["", "| " + " | ".join(_cell(h) for h in headers) + " |"]
        parts.append("|" + "---|" * len(headers))
        parts += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
        if total_rows > len(rows):
            parts += ["", f"… and {total_rows - len(rows)} more rows in the report."]
    return {"text": "\n".join(parts)}


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500
    return isinstance(exc, urllib.error.URLError | TimeoutError | socket.timeout | OSError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, OSError) and reason.strerror:
            return reason.strerror
        return str(reason)
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def post(
    url: str,
    payload: dict[str, Any],
    *,
    attempts: int = 3,
    backoff: float = 1.0,
    timeout: float = TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST ``payload`` as JSON; return the attempts it took. Raise WebhookError."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    attempts = max(attempts, 1)
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
            return attempt
        except (urllib.error.URLError, OSError) as exc:
            if attempt < attempts and _is_transient(exc):
                sleep(backoff * 2 ** (attempt - 1))
                continue
            tries = f" after {attempt} attempts" if attempt > 1 else ""
            raise WebhookError(f"webhook {mask_url(url)} failed{tries}: {_describe(exc)}") from None
    raise AssertionError("unreachable")  # pragma: no cover
