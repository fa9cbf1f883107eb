"""Public holidays of a region (``DE``, ``DE-BE``, ``US-NY``), loading one country only.

``holidays.country_holidays("DE")`` imports the package ``holidays.countries``, whose
``__init__`` imports every country module (about 250 of them, ~45 ms), to use one. Here the
package's own registry (``holidays.registry``: module name -> class name and codes) maps a
code to its module, and only that module is loaded. A module that imports a sibling
country (Isle of Man -> United Kingdom) still works: that import loads the whole package,
as before.

The codes are the ones ``holidays.country_holidays`` accepted: a country's ISO 3166 alpha-2
or alpha-3 code, or a financial market's code (``XNYS``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any


class UnknownRegion(ValueError):
    """The holidays package has no such country, market or subdivision."""


@cache
def _modules() -> dict[str, tuple[str, str]]:
    """Code -> (package, module name, e.g. ``("countries", "germany")``) and class name."""
    from holidays.registry import COUNTRIES, FINANCIAL

    found: dict[str, tuple[str, str]] = {}
    for package, registry in (("countries", COUNTRIES), ("financial", FINANCIAL)):
        for module, (class_name, *codes) in registry.items():
            for code in codes:
                if code.isupper():  # "DE", "DEU"; not the "HolidaysAX" aliases
                    found[code] = (f"holidays.{package}.{module}", class_name)
    return found


def _load(module_name: str) -> Any:
    """The module ``holidays.countries.x``, without running ``holidays.countries``'s
    ``__init__`` (which imports every country) unless that package is loaded already."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    package = module_name.rpartition(".")[0]
    if package in sys.modules:
        return importlib.import_module(module_name)
    import holidays

    parts = module_name.split(".")[1:]
    path = Path(holidays.__file__).parent.joinpath(*parts[:-1], f"{parts[-1]}.py")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a broken install
        return importlib.import_module(module_name)
    module = importlib.util.module_from_spec(spec)
    # Registered only once it has run: a module that imports a sibling loads the whole
    # package, whose __init__ must then import its own copy, not this half-run one.
    spec.loader.exec_module(module)
    return sys.modules.setdefault(module_name, module)


def region_holidays(region: str, years: Iterable[int]) -> dict[date, str]:
    """The public holidays of ``region`` in ``years``: date -> name.

    Raises UnknownRegion for a code the holidays package does not know.
    """
    country, _, subdivision = region.strip().upper().partition("-")
    found = _modules().get(country)
    if found is None:
        raise UnknownRegion(region)
    module_name, class_name = found
    entity = getattr(_load(module_name), class_name)
    try:
        days = entity(years=list(years), subdiv=subdivision or None)
    except NotImplementedError:  # an unknown subdivision
        raise UnknownRegion(region) from None
    return dict(days.items())
