"""Option values converted without Pydantic.

Typer (0.29) converts every option value, even an absent ``None``, through a Pydantic
``TypeAdapter``, and importing Pydantic costs as much as importing Typer itself. Every
agentctl option is a plain ``str``, ``int``, ``float``, ``Path``, enum choice or a list of
strings, so :func:`install` gives those a direct conversion, and leaves anything else (and
any option with a custom parser or path checks) to Typer. `tests/test_imports.py` checks
that neither ``--help`` nor the fast commands load Pydantic.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_origin

from typer._click.exceptions import BadParameter
from typer._param_types import coerce_cli_choice

Convert = Callable[[Any, Any, Any], Any]  # (value, param, ctx) -> value


def _number(kind: type[Any], noun: str) -> Convert:
    def convert(value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, kind) and not isinstance(value, bool):
            result = value
        else:
            try:
                result = kind(str(value).strip())
            except ValueError:
                raise BadParameter(f"{value!r} is not a valid {noun}.", ctx, param) from None
        info = param.type_descriptor.parameter_info
        low, high = info.min, info.max
        if (low is not None and result < low) or (high is not None and result > high):
            bounds = " to ".join(str(b) for b in (low, high) if b is not None)
            if low is None:
                bounds = f"at most {high}"
            elif high is None:
                bounds = f"at least {low}"
            raise BadParameter(f"{value} is not in the range {bounds}.", ctx, param)
        return result

    return convert


def _text(value: Any, param: Any, ctx: Any) -> Any:
    return value if isinstance(value, str) else str(value)


_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def _flag(value: Any, param: Any, ctx: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise BadParameter(f"{value!r} is not a valid boolean.", ctx, param)


def _path(value: Any, param: Any, ctx: Any) -> Any:
    return value if isinstance(value, Path) else Path(value)


def _choice(annotation: type[enum.Enum]) -> Convert:
    def convert(value: Any, param: Any, ctx: Any) -> Any:
        info = param.type_descriptor.parameter_info
        try:
            return coerce_cli_choice(
                value, choices=tuple(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError as exc:
            raise BadParameter(str(exc), ctx, param) from None

    return convert


def _converter(annotation: Any, info: Any) -> Convert | None:
    """A conversion for a plain annotation, or None to leave the option to Typer."""
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None):
        return None
    if annotation is str:
        return _text
    if annotation is bool:
        return _flag
    if annotation is int:
        return _number(int, "integer")
    if annotation is float:
        return _number(float, "number")
    if annotation is Path:
        checks = ("exists", "writable", "resolve_path", "allow_dash", "path_type")
        if any(getattr(info, name, None) for name in checks):
            return None
        if not getattr(info, "file_okay", True) or not getattr(info, "dir_okay", True):
            return None
        return _path
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _choice(annotation)
    return None


class _Direct:
    """Stands in for Typer's runtime parameter: ``coerce(value, param=, ctx=)``."""

    def __init__(self, convert: Convert, many: bool) -> None:
        self._convert = convert
        self._many = many

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        if multi:
            if isinstance(value, str):
                raise BadParameter("Value must be an iterable.", ctx, param)
            return [self._convert(item, param, ctx) for item in value]
        return self._convert(value, param, ctx)


def _direct(param: Any) -> _Direct | None:
    descriptor = param.type_descriptor
    annotation = descriptor.annotation
    if descriptor.file_annotation is not None:
        return None
    many = get_origin(annotation) is list
    if many:
        (annotation,) = get_args(annotation) or (None,)
    convert = _converter(annotation, descriptor.parameter_info)
    return None if convert is None else _Direct(convert, many)


def install() -> None:
    """Route plain options around Pydantic (a no-op if Typer's internals differ)."""
    from typer import core

    parameter = getattr(core, "_TyperParameter", None)
    original = getattr(parameter, "get_runtime_param", None)
    if parameter is None or original is None or getattr(original, "_agentctl", False):
        return

    def get_runtime_param(self: Any) -> Any:
        if getattr(self, "_runtime_param", None) is None:
            direct = _direct(self)
            if direct is not None:
                self._runtime_param = direct
                return direct
        return original(self)

    get_runtime_param._agentctl = True  # type: ignore[attr-defined]
    parameter.get_runtime_param = get_runtime_param
