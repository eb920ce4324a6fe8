"""Small portable Ibis expressions every block and area uses: one row per key, valid
intervals, yes/no flags, open-ended comparisons, counting a test.

Each sticks to operations DuckDB and PostgreSQL both express (see ``Backend.cannot_express``).
Nothing here reads a table or the context.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import ibis
import ibis.expr.types as ir


def first_per_key(
    items: ir.Table, keys: Sequence[str], order_by: Sequence[str | ir.Value]
) -> ir.Table:
    """Keep one row per ``keys``: the first in ``order_by`` (e.g. same person and date,
    lowest id)."""
    ranked = items.mutate(
        _rank=ibis.row_number().over(group_by=[items[k] for k in keys], order_by=list(order_by))
    )
    return ranked.filter(ranked._rank == 0).drop("_rank")


def valid_interval(items: ir.Table, start_column: str, end_column: str) -> ir.Table:
    """Drop records whose end is before their start (a data-quality error, reported by the
    quality stage); records without an end are kept."""
    end = items[end_column]
    return items.filter(end.isnull() | (end >= items[start_column]))


def flag_is_yes(value: ir.StringValue) -> ir.BooleanValue:
    """'Y' / 'Yes' / '1' / 'true', any case, as a boolean (null when blank)."""
    cleaned = value.strip().upper()
    return cleaned.isin(["Y", "YES", "1", "TRUE"])


def json_flag_is_yes(json_text: ir.StringValue, key: str) -> ir.BooleanValue:
    """True when an SSD outcome 'json' field holds ``KEY: "Y"`` (quoted or not: the SSD
    writes these loosely); plain text search keeps it portable."""
    # No \b: PostgreSQL reads it as a backspace; an explicit "not a letter or the end" works
    # in both RE2 (DuckDB) and PostgreSQL's regular expressions.
    pattern = rf'"?{key}"?[ ]*:[ ]*"?(Y|YES|Yes|y|1|true)"?([^A-Za-z0-9_]|$)'
    return json_text.re_search(pattern).fill_null(False)


# Stand-ins for a missing date in join conditions: "open" ends compare as the far future and
# missing starts as the far past. ``end.isnull() | (end > when)`` in a join condition makes
# DuckDB fall back to a nested-loop join (minutes on a real council); one comparison keeps
# the equality keys of the join usable. Identical results when ``when`` is not null.
FAR_FUTURE = date(9999, 12, 31)
FAR_PAST = date(1, 1, 1)


def ends_after(
    end: ir.DateValue, when: ir.DateValue, *, inclusive: bool = False
) -> ir.BooleanValue:
    """No end (still open) or an end after ``when`` (on or after it with ``inclusive``)."""
    open_end = end.fill_null(ibis.literal(FAR_FUTURE))
    return open_end >= when if inclusive else open_end > when


def started_by(start: ir.DateValue, when: ir.DateValue) -> ir.BooleanValue:
    """No start recorded, or a start on or before ``when``."""
    return start.fill_null(ibis.literal(FAR_PAST)) <= when


def one_if(condition: ir.BooleanValue) -> ir.IntegerValue:
    """1 when the condition holds, else 0 (null counts as 0). PostgreSQL cannot cast a
    boolean to a number, so this is the portable way to count a test."""
    return ibis.ifelse(condition.fill_null(False), 1, 0)


def counted(items: ir.Table) -> ir.Table:
    """Items of a count: numerator 1 each."""
    return items.select("period_end", "team", numerator=ibis.literal(1))


def rated(items: ir.Table, passes: ir.BooleanValue) -> ir.Table:
    """Items of a percentage: denominator 1 each, numerator 1 when ``passes``."""
    return items.select("period_end", "team", numerator=one_if(passes), denominator=ibis.literal(1))
