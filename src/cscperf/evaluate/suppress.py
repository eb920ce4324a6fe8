"""Figures for an audience outside the council: small numbers suppressed.

A cell whose value rests on between 1 and the framework's threshold less one children
(``framework.yaml``; :func:`cscperf.evaluate.rules.is_small_number`) is suppressed
(``primary``). Where a group of cells adds up to a published total (the localities or teams of
one indicator and month add up to the county), one suppressed cell could be worked out from
the total and the others, so the next smallest cell of the group is suppressed too
(``secondary``). Suppressed cells are written as ``[c]``, the convention of the DfE's own
statistics.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from cscperf.errors import CscperfError
from cscperf.evaluate.rules import is_small_number, rests_on
from cscperf.spreadsheet_safety import csv_rows_text

MARK = "[c]"
AUDIENCES = ("council", "public")
# The cells that give a row's figure away: suppressed together.
FIGURE_COLUMNS = (
    "value",
    "numerator",
    "denominator",
    "previous_value",
    "last_year_value",
    "dot_month_change",
    "dot_year_change",
    "bm_own_value",
    "recon_own",
)
YTD_COLUMNS = ("ytd_value", "ytd_numerator", "ytd_denominator")
GROUP = ("indicator_id", "period_end", "breakdown")


def check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise CscperfError(
            f"--audience {audience} is unknown; use council (every figure, for use inside the "
            "council) or public (small numbers suppressed)"
        )
    return audience


def suppression(rows: pl.DataFrame, units: Mapping[str, str], below: int) -> list[str | None]:
    """Per row: ``primary``, ``secondary`` or None. ``units`` maps indicator id to unit
    (rows carrying a ``unit`` column use it)."""
    records = rows.select(
        *GROUP,
        "breakdown_value",
        "numerator",
        "denominator",
        *(["unit"] if "unit" in rows.columns else []),
    ).to_dicts()
    marks: list[str | None] = []
    rest: list[float | None] = []
    for r in records:
        unit = r.get("unit") or units.get(r["indicator_id"], "")
        small = is_small_number(unit, r["numerator"], r["denominator"], below)
        marks.append("primary" if small else None)
        rest.append(rests_on(unit, r["numerator"], r["denominator"]))
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, r in enumerate(records):
        if r["breakdown"] != "all":
            groups.setdefault(tuple(r[k] for k in GROUP), []).append(i)
    for members in groups.values():
        hidden = [i for i in members if marks[i]]
        shown = [i for i in members if not marks[i] and rest[i] is not None]
        if len(hidden) == 1 and shown:
            # the county total less the shown cells would give the hidden one away
            nearest = min(shown, key=lambda i: (rest[i], str(records[i]["breakdown_value"])))
            marks[nearest] = "secondary"
    return marks


Key = tuple[Any, ...]
KEY = ("indicator_id", "period_end", "breakdown", "breakdown_value")


def marks_by_key(rows: pl.DataFrame, units: Mapping[str, str], below: int) -> dict[Key, str]:
    """(indicator, month, breakdown, value) -> its mark, for the suppressed cells of ``rows``."""
    marks = suppression(rows, units, below)
    keys = rows.select(*KEY).iter_rows()
    return {key: mark for key, mark in zip(keys, marks, strict=True) if mark}


def suppress(
    rows: pl.DataFrame,
    units: Mapping[str, str],
    below: int,
    known: Mapping[Key, str] | None = None,
) -> pl.DataFrame:
    """``rows`` with the figures of suppressed cells emptied and a ``suppressed`` column; the
    year-to-date figures are emptied by their own rule (``ytd_small_number``) when present.
    ``known`` adds marks worked out on a fuller set of rows (a pack's history of one locality
    takes the secondary suppressions found among all the localities)."""
    marks = suppression(rows, units, below)
    if known:
        keys = rows.select(*KEY).iter_rows()
        marks = [m or known.get(k) for m, k in zip(marks, keys, strict=True)]
    hidden = pl.Series("suppressed", marks, dtype=pl.String)
    out = rows.with_columns(hidden)
    is_hidden = pl.col("suppressed").is_not_null()
    out = out.with_columns(
        pl.when(is_hidden).then(None).otherwise(pl.col(c)).alias(c)
        for c in FIGURE_COLUMNS
        if c in out.columns
    )
    # a direction of travel would tell which way a hidden figure moved, a rating which side
    # of the target it fell
    out = out.with_columns(
        pl.when(is_hidden).then(pl.lit(text)).otherwise(pl.col(c)).alias(c)
        for c, text in (
            ("dot_month", "not comparable"),
            ("dot_year", "not comparable"),
            ("rag", "none"),
        )
        if c in out.columns
    )
    if "rag_label" in out.columns:
        out = out.with_columns(
            pl.when(is_hidden)
            .then(pl.lit(f"Suppressed {MARK}"))
            .otherwise(pl.col("rag_label"))
            .alias("rag_label")
        )
    if "ytd_small_number" in out.columns:
        ytd_hidden = pl.col("ytd_small_number").fill_null(False)
        out = out.with_columns(
            pl.when(ytd_hidden).then(None).otherwise(pl.col(c)).alias(c)
            for c in YTD_COLUMNS
            if c in out.columns
        )
    if "prev_ytd_small_number" in out.columns and "prev_ytd_value" in out.columns:
        out = out.with_columns(
            pl.when(pl.col("prev_ytd_small_number").fill_null(False))
            .then(None)
            .otherwise(pl.col("prev_ytd_value"))
            .alias("prev_ytd_value")
        )
    if "bm_rank" in out.columns:
        out = out.with_columns(
            pl.when(is_hidden).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("bm_rank", "bm_quartile_band")
        )
    return out


def _text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def _marked(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Records with ``[c]`` in every emptied figure of a suppressed cell."""
    out = []
    for record in frame.iter_rows(named=True):
        hidden = record.get("suppressed") is not None
        ytd_hidden = bool(record.get("ytd_small_number"))
        for column in FIGURE_COLUMNS:
            if hidden and column in record:
                record[column] = MARK if column in ("value", "numerator", "denominator") else None
        for column in YTD_COLUMNS:
            if ytd_hidden and column in record:
                record[column] = MARK
        if record.get("prev_ytd_small_number") and "prev_ytd_value" in record:
            record["prev_ytd_value"] = MARK
        out.append(record)
    return out


def public_csv(frame: pl.DataFrame) -> str:
    """The suppressed frame as CSV, ``[c]`` in the suppressed cells, text defused for
    spreadsheets."""
    names = list(frame.columns)
    rows = [[_text(r.get(n)) for n in names] for r in _marked(frame)]
    return csv_rows_text(names, rows)


def public_json(frame: pl.DataFrame) -> str:
    records = [
        {k: v.isoformat() if isinstance(v, date) else v for k, v in r.items()}
        for r in _marked(frame)
    ]
    return json.dumps(records, indent=1, ensure_ascii=False)
