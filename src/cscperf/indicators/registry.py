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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from cscperf.indicators.context import Context


_REGISTRY: dict[str, Callable[[Context], ir.Table]] = {}

# A check of an indicator's months alone (its parameters in force and the run's period ends),
# raising NotAvailable for months it cannot be produced for whatever the data hold.
MonthsCheck = Callable[[Mapping[str, Any], Sequence[date]], None]
_MONTHS_CHECKS: dict[str, MonthsCheck] = {}


@dataclass(frozen=True)
class ChildList:
    """The children behind an indicator's figure: ``items`` gives the figure's own item rows
    (the indicator function is made from the same function) with ``person_id``, ``team``,
    ``period_end``, ``passes`` (whether the item counts in the numerator), the ``columns``
    shown (the dates behind the figure) and ``days_overdue`` (how late, as of the month end or
    the date the item was done; null when there is no deadline to be late against), by which
    the list is sorted, most overdue first. A manager acts on the children counted in the
    numerator (``act_on_passing``, e.g. plans open two years or more) or on those of the
    denominator that are not (e.g. assessments that took longer than 45 working days)."""

    indicator_id: str
    items: Callable[[Context], ir.Table]
    act_on_passing: bool
    columns: tuple[tuple[str, str], ...]  # (column, heading)
    describes: str  # what each row is, as a heading: "Assessments that took over 45 days"
    overdue: str = "Days overdue"  # the heading of ``days_overdue``, saying what it counts


_CHILD_LISTS: dict[str, ChildList] = {}


def child_list(
    indicator_id: str,
    *,
    act_on_passing: bool,
    columns: tuple[tuple[str, str], ...],
    describes: str,
    overdue: str = "Days overdue",
) -> Callable[[Callable[[Context], ir.Table]], Callable[[Context], ir.Table]]:
    """Register the decorated item function as the list of children behind ``indicator_id``
    (declared next to the indicator, which is computed from the same function)."""

    def register(function: Callable[[Context], ir.Table]) -> Callable[[Context], ir.Table]:
        held = _CHILD_LISTS.get(indicator_id)
        if held is not None and held.items is not function:
            raise ValueError(f"{indicator_id} already has a list of children")
        _CHILD_LISTS[indicator_id] = ChildList(
            indicator_id, function, act_on_passing, columns, describes, overdue
        )
        return function

    return register


def child_lists_so_far() -> Mapping[str, ChildList]:
    """The child lists registered by the area modules imported so far."""
    return MappingProxyType(_CHILD_LISTS)


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


def months_check(*indicator_ids: str) -> Callable[[MonthsCheck], MonthsCheck]:
    """Register the decorated function as the check of each of ``indicator_ids``' months: the
    engine calls it with the parameters in force and the months of every run before it
    builds or looks up the run's SQL, so compiled SQL cached for other months (named by run
    key) never skips it. It raises NotAvailable for months the indicator cannot be produced
    for (e.g. a month end outside every school term)."""

    def register(check: MonthsCheck) -> MonthsCheck:
        for indicator_id in indicator_ids:
            _MONTHS_CHECKS[indicator_id] = check
        return check

    return register


def months_check_of(indicator_id: str) -> MonthsCheck | None:
    """The months check registered for ``indicator_id``, if any."""
    return _MONTHS_CHECKS.get(indicator_id)
