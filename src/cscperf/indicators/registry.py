"""Indicator functions registered by catalogue id.

An area module (``cscperf.indicators.areas.<area>``) defines one function per rule and
registers it with ``@indicator("referrals.count")``, or with several ids when they count the
same items and differ only in what the engine makes of them from the catalogue (a count and its
rate per 10,000, a month and its rolling twelve months): ``@indicator("lac.count",
"lac.rate_per_10k")``. The function takes a :class:`~cscperf.indicators.context.Context` and
returns an item-level Ibis table: one row per counted item per ``period_end``, with ``team``,
``numerator``, optional ``denominator`` and optional breakdown columns (``source``,
``carer_type``, ``team_type``). The engine does the rest.

This module only keeps the table of what has registered; importing every area module is done by
:mod:`cscperf.indicators.functions`, which sits above both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from cscperf.indicators.context import Context


_REGISTRY: dict[str, Callable[[Context], ir.Table]] = {}


def indicator(
    *indicator_ids: str,
) -> Callable[[Callable[[Context], ir.Table]], Callable[[Context], ir.Table]]:
    """Register the decorated function as the computation of each of ``indicator_ids``."""
    if not indicator_ids:
        raise ValueError("@indicator needs at least one indicator id")
    repeated = sorted({i for i in indicator_ids if indicator_ids.count(i) > 1})
    if repeated:
        raise ValueError(f"@indicator names {', '.join(repeated)} more than once")

    def register(function: Callable[[Context], ir.Table]) -> Callable[[Context], ir.Table]:
        for indicator_id in indicator_ids:
            existing = _REGISTRY.get(indicator_id)
            if existing is not None and existing is not function:
                where = f"{existing.__module__}.{existing.__qualname__}"
                raise ValueError(f"{indicator_id} is already computed by {where}")
        for indicator_id in indicator_ids:
            _REGISTRY[indicator_id] = function
        return function

    return register


def registered_so_far() -> Mapping[str, Callable[[Context], ir.Table]]:
    """The functions registered by the area modules imported so far (a read-only view); use
    :func:`cscperf.indicators.functions.registered` for every indicator."""
    return MappingProxyType(_REGISTRY)
