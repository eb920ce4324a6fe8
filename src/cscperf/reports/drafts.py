"""Automatic draft narrative for a report card when no commentary has been written.

Owns the factual sentences a draft is made of: the change on last month, the position against
target, against statistical neighbours and England, and the localities that stand out. Each
sentence is decided by a small pure function from figures only; nothing is guessed about
causes. The pack shows these sentences under a DRAFT label for an officer to replace.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from cscperf.reports.layout import format_value, load_layout

# counts measure size: set beside England's, a neighbour's or the county's they say nothing
NOT_COMPARED = frozenset({"count"})


def _better(a: float, b: float, polarity: str) -> str:
    """'better' when a beats b for the polarity, 'worse' when not, 'the same' when equal."""
    if a == b or polarity not in ("high", "low"):
        return "the same as" if a == b else ("above" if a > b else "below")
    good = a > b if polarity == "high" else a < b
    return "better than" if good else "worse than"


def change_on_last_month(
    value: float | None,
    previous: float | None,
    unit: str,
    period_end: date,
    previous_end: date,
    direction: str,
) -> str:
    if value is None:
        return f"There is no value for {period_end:%B %Y}."
    now = format_value(value, unit)
    if previous is None:
        return f"The value for {period_end:%B %Y} is {now}; there is no value for the month before."
    then = format_value(previous, unit)
    if now == then:
        return f"The value for {period_end:%B %Y} is {now}, unchanged from {previous_end:%B %Y}."
    moved = "up" if value > previous else "down"
    judged = f" ({direction})" if direction in ("improving", "worsening") else ""
    return (
        f"The value for {period_end:%B %Y} is {now}, {moved} from {then} in "
        f"{previous_end:%B %Y}{judged}."
    )


def against_target(
    value: float | None, target: float | None, unit: str, rag_label: str, reason: str = ""
) -> str:
    if target is None:
        return "There is no target for this indicator this year."
    if value is None:
        return f"The target is {format_value(target, unit)}; there is no value to compare."
    because = f": {reason}" if reason else ""
    return f"Against the target of {format_value(target, unit)} it is rated {rag_label}{because}."


def against_benchmarks(
    value: float | None,
    neighbours: float | None,
    england: float | None,
    year: int | None,
    unit: str,
    polarity: str,
    basis: str = "",
) -> str:
    """``value`` is our figure on the published basis; ``basis`` says which (e.g. "31 March
    2025 snapshot") and replaces the bare year when given."""
    if unit in NOT_COMPARED:
        return "A count is not compared with other councils' or England's counts (sizes differ)."
    if value is None or (neighbours is None and england is None):
        return "No published benchmark is available."
    parts = []
    if neighbours is not None:
        parts.append(
            f"{_better(value, neighbours, polarity)} the statistical neighbour average of "
            f"{format_value(neighbours, unit)}"
        )
    if england is not None:
        parts.append(f"{_better(value, england, polarity)} England's {format_value(england, unit)}")
    if basis:
        return f"On the same basis ({basis}), our figure is {' and '.join(parts)}."
    when = f" (published figures for {year - 1}-{year % 100:02d})" if year else ""
    return f"The current value is {' and '.join(parts)}{when}."


def locality_outliers(
    county: float | None,
    localities: Mapping[str, float | None],
    unit: str,
    polarity: str,
    outlier_pct: float | None = None,
) -> str:
    """Localities whose value differs from the county's by more than ``outlier_pct`` percent
    of it, each said to be better or worse; or a sentence saying none stand out."""
    pct = load_layout().drafts.outlier_pct if outlier_pct is None else outlier_pct
    if unit in NOT_COMPARED and localities:
        return "Locality counts are parts of the county count, so they are not compared with it."
    if county is None or not localities:
        return "There are no locality figures to compare."
    found = []
    for name, value in localities.items():
        if value is None:
            continue
        if abs(value - county) > abs(county) * pct / 100 and value != county:
            found.append(
                f"{name} ({format_value(value, unit)}, {_better(value, county, polarity)} "
                "the county)"
            )
    if not found:
        return f"No locality differs from the county figure by more than {pct:g}%."
    return f"Localities that stand out: {'; '.join(found)}."


def draft_sentences(
    row: Mapping[str, object],
    previous_end: date,
    localities: Mapping[str, float | None],
    county: float | None,
) -> list[str]:
    """The draft for one evaluated row (a dict of the evaluated table's fields)."""

    def num(key: str) -> float | None:
        raw = row.get(key)
        return float(raw) if isinstance(raw, int | float) else None

    unit = str(row["unit"])
    polarity = str(row["polarity"])
    period_end = row["period_end"]
    assert isinstance(period_end, date)
    year = row.get("bm_year")
    sentences = [
        change_on_last_month(
            num("value"),
            num("previous_value"),
            unit,
            period_end,
            previous_end,
            str(row.get("dot_month") or ""),
        ),
        against_target(
            num("value"),
            num("target"),
            unit,
            str(row.get("rag_label") or ""),
            str(row.get("rag_reason") or ""),
        ),
        against_benchmarks(
            num("bm_own_value") if row.get("bm_basis") else num("value"),
            num("bm_sn"),
            num("bm_england"),
            int(year) if isinstance(year, int) else None,
            unit,
            polarity,
            str(row.get("bm_basis") or ""),
        ),
    ]
    if localities:
        sentences.append(locality_outliers(county, localities, unit, polarity))
    return sentences
