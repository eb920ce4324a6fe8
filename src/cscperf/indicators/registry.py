"""Indicator functions registered by catalogue id.

An area module (``cscperf.indicators.areas.<area>``) defines one function per indicator and
registers it with ``@indicator("referrals.count")``. The function takes a
:class:`~cscperf.indicators.context.Context` and returns an item-level Ibis table: one row per
counted item per ``period_end``, with ``team``, ``numerator``, optional ``denominator`` and
optional breakdown columns (``source``, ``carer_type``, ``team_type``). The engine does the rest.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from cscperf.indicators.context import Context


_REGISTRY: dict[str, Callable[[Context], ir.Table]] = {}


def indicator(
    indicator_id: str,
) -> Callable[[Callable[[Context], ir.Table]], Callable[[Context], ir.Table]]:
    """Register the decorated function as the computation of ``indicator_id``."""

    def register(function: Callable[[Context], ir.Table]) -> Callable[[Context], ir.Table]:
        existing = _REGISTRY.get(indicator_id)
        if existing is not None and existing is not function:
            where = f"{existing.__module__}.{existing.__qualname__}"
            raise ValueError(f"{indicator_id} is already computed by {where}")
        _REGISTRY[indicator_id] = function
        return function

    return register


def registered() -> Mapping[str, Callable[[Context], ir.Table]]:
    """Every registered indicator function (importing every area module first)."""
    from cscperf.indicators import areas

    for module in pkgutil.iter_modules(areas.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{areas.__name__}.{module.name}")
    return _REGISTRY
