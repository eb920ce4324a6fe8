"""The output contract (spec section 8): choosing rows and writing them as CSV or JSON.

The columns and their order are declared in :mod:`cscperf.indicators.contract`. Owns the
selection by months, ids and breakdowns, and the writers:
UTF-8 CSV with a header, empty cells for nulls, ``.`` as the decimal mark, flags joined by
``;``; JSON as a list of objects with flags as a list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any, overload

import polars as pl

from cscperf.calendar.months import add_months, month_end_of
from cscperf.errors import CscperfError
from cscperf.indicators.contract import CONTRACT_COLUMNS, OPTIONAL_COLUMNS
from cscperf.spreadsheet_safety import defuse_frame

NUMBERS = ("numerator", "denominator", "value")


@overload
def parse_period(text: str, option: str = "--period") -> date: ...
@overload
def parse_period(text: None, option: str = "--period") -> None: ...
def parse_period(text: str | None, option: str = "--period") -> date | None:
    """``YYYY-MM`` -> the last day of that month (None stays None)."""
    if text is None:
        return None
    try:
        year, month = (int(part) for part in text.split("-"))
        return month_end_of(date(year, month, 1))
    except ValueError:
        raise CscperfError(
            f"{option} {text!r} is not a month; write it as YYYY-MM, e.g. 2024-03"
        ) from None


def earliest_month(period_end: date, months: int, from_month: date | None) -> date:
    """The first month a request needs: the first of the ``months`` ending at ``period_end``,
    or ``--from`` when that is earlier."""
    first = month_end_of(add_months(period_end, -(max(months, 1) - 1)))
    return first if from_month is None else min(first, from_month)


def select_rows(
    results: pl.DataFrame,
    period_end: date,
    *,
    months: int = 1,
    ids: Sequence[str] | None = None,
    breakdowns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The rows of the ``months`` reporting months ending at ``period_end``."""
    if months < 1:
        raise CscperfError("--months must be 1 or more")
    first = month_end_of(add_months(period_end, -(months - 1)))
    ends = results.get_column("period_end").to_list()
    if ends and (period_end > max(ends) or first < min(ends)):
        raise CscperfError(
            f"the results cover {min(ends):%Y-%m} to {max(ends):%Y-%m}; "
            "choose --period and --months within them"
        )
    chosen = results.filter(pl.col("period_end").is_between(first, period_end))
    if ids:
        unknown = sorted(set(ids) - set(results.get_column("indicator_id").unique().to_list()))
        if unknown:
            raise CscperfError(
                f"no results for {', '.join(unknown)}; run `cscperf indicators list` to see "
                "which ids are computed"
            )
        chosen = chosen.filter(pl.col("indicator_id").is_in(list(ids)))
    if breakdowns:
        chosen = chosen.filter(pl.col("breakdown").is_in(list(breakdowns)))
    return chosen.select([c for c in [*CONTRACT_COLUMNS, *OPTIONAL_COLUMNS] if c in chosen.columns])


def _number_text(column: str) -> pl.Expr:
    """Whole numbers without a trailing .0; others as polars writes them (``.`` decimal)."""
    x = pl.col(column)
    whole = x.is_finite() & (x == x.round(0)) & (x.abs() < 1e15)
    return pl.when(whole).then(x.cast(pl.Int64).cast(pl.String)).otherwise(x.cast(pl.String))


def to_csv(rows: pl.DataFrame) -> str:
    # Defused before the numbers become text, so a negative number is never given an apostrophe.
    text = defuse_frame(rows).with_columns(
        *(_number_text(c) for c in NUMBERS if c in rows.columns),
        period_end=pl.col("period_end").dt.strftime("%Y-%m-%d"),
    )
    if "flags" in text.columns:
        text = text.with_columns(flags=pl.col("flags").list.join(";"))
    return text.write_csv(null_value="", line_terminator="\n")


def to_json(rows: pl.DataFrame) -> str:
    records: list[dict[str, Any]] = []
    for record in rows.iter_rows(named=True):
        record["period_end"] = record["period_end"].isoformat()
        records.append(record)
    return json.dumps(records, indent=1, ensure_ascii=False)
