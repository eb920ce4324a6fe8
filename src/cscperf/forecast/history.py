"""From placement spells to monthly states, stocks and flows.

A child's *state* at a month end is their age band and placement category, or "out of care"
(not looked after, not yet looked after, or 18 and over). Counting states at consecutive month
ends gives the stock in each state and the flows between them, which is all the model needs:
children who enter and leave within one month are not seen, as in any month-end count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from cscperf.forecast.settings import OTHER, ForecastSettings

SPELL_COLUMNS = ("child", "birth", "start", "end", "placement_type")


@dataclass(frozen=True)
class StateSpace:
    """The states: every (age band, placement category) pair, then "out of care" last."""

    bands: tuple[str, ...]
    categories: tuple[str, ...]

    @property
    def size(self) -> int:
        """Number of in-care states; the index of "out of care"."""
        return len(self.bands) * len(self.categories)

    @property
    def out(self) -> int:
        return self.size

    def index(self, band: int, category: int) -> int:
        return band * len(self.categories) + category

    def band_of(self, state: int) -> int:
        return state // len(self.categories)

    def category_of(self, state: int) -> int:
        return state % len(self.categories)

    def by_category(self, stock: np.ndarray) -> np.ndarray:
        """Sum the last axis (in-care states) over age bands: ``(..., size)`` → ``(..., C)``."""
        shape = (*stock.shape[:-1], len(self.bands), len(self.categories))
        return stock[..., : self.size].reshape(shape).sum(axis=-2)


@dataclass(frozen=True)
class History:
    """Month-end stocks and month-to-month flows of one council's looked-after children.

    ``flows[m]`` counts children by (state at ``month_ends[m]``, state at ``month_ends[m+1]``),
    "out of care" included, so ``flows[m][out, s]`` are the entries seen at month ``m + 1``.
    """

    space: StateSpace
    month_ends: tuple[date, ...]
    stock: np.ndarray  # (months, size) children in each in-care state at each month end
    flows: np.ndarray  # (months - 1, size + 1, size + 1)

    @property
    def entries(self) -> np.ndarray:
        """``(months, size)``: children entering each state, seen at each month end (0 first)."""
        out = self.space.out
        seen = self.flows[:, out, : self.space.size]
        return np.vstack([np.zeros((1, self.space.size), dtype=seen.dtype), seen])

    def upto(self, last: int) -> History:
        """The history as known at month index ``last`` (inclusive)."""
        return History(
            self.space, self.month_ends[: last + 1], self.stock[: last + 1], self.flows[:last]
        )


def month_ends_between(first: date, last: date) -> list[date]:
    """Every month end from ``first``'s month to ``last``'s month, inclusive."""
    starts = pl.date_range(first.replace(day=1), last.replace(day=1), "1mo", eager=True)
    return list(starts.dt.month_end())


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of ``datetime64[D]`` values."""
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    return (
        years.astype(int) + 1970,
        (months - years.astype("datetime64[M]")).astype(int) + 1,
        (days - months.astype("datetime64[D]")).astype(int) + 1,
    )


def age_in_years(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years of age on ``on`` for each ``birth`` (both ``datetime64[D]``)."""
    by, bm, bd = _ymd(birth)
    oy, om, od = _ymd(on)
    before_birthday = (om < bm) | ((om == bm) & (od < bd))
    return oy - by - before_birthday.astype(int)


def _band_lookup(settings: ForecastSettings) -> np.ndarray:
    """Age in years (0..17) → band index."""
    lookup = np.empty(18, dtype=np.int64)
    for index, band in enumerate(settings.age_bands):
        lookup[band.start : band.end] = index
    return lookup


def _categories(spells: pl.DataFrame, settings: ForecastSettings) -> np.ndarray:
    names = settings.categories
    code_to_index = {code: names.index(cat) for code, cat in settings.category_of().items()}
    other = names.index(OTHER)
    return np.array(
        [code_to_index.get(code, other) for code in spells["placement_type"].to_list()],
        dtype=np.int64,
    )


def monthly_states(
    spells: pl.DataFrame, month_ends: list[date], settings: ForecastSettings
) -> tuple[StateSpace, np.ndarray]:
    """Each child's state at each month end: ``(children, months)`` state indexes.

    A spell counts at a month end when it started on or before it and ended after it (a
    spell ending on the month end is over, as in the DfE's 31 March counts).
    """
    space = StateSpace(tuple(settings.band_names), tuple(settings.categories))
    ends = np.array(month_ends, dtype="datetime64[D]")
    children, child_index = np.unique(spells["child"].cast(pl.Utf8).to_numpy(), return_inverse=True)
    states = np.full((len(children), len(ends)), space.out, dtype=np.int64)
    start = spells["start"].to_numpy().astype("datetime64[D]")
    end = spells["end"].fill_null(date(9999, 12, 31)).to_numpy().astype("datetime64[D]")
    first = np.searchsorted(ends, start, side="left")
    after = np.searchsorted(ends, end, side="left")
    lengths = np.clip(after - first, 0, None)
    if lengths.sum() == 0:
        return space, states
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = np.repeat(child_index, lengths)
    cols = np.repeat(first, lengths) + offsets
    births = np.repeat(spells["birth"].to_numpy().astype("datetime64[D]"), lengths)
    ages = age_in_years(births, ends[cols])
    in_care = (ages >= 0) & (ages < 18)
    bands = _band_lookup(settings)[np.clip(ages, 0, 17)]
    cats = np.repeat(_categories(spells, settings), lengths)
    states[rows[in_care], cols[in_care]] = (bands * len(space.categories) + cats)[in_care]
    return space, states


def build_history(
    spells: pl.DataFrame, first: date, last: date, settings: ForecastSettings
) -> History:
    """Stocks and flows at every month end from ``first``'s month to ``last``'s."""
    missing = [column for column in SPELL_COLUMNS if column not in spells.columns]
    if missing:
        raise ValueError(f"spells lack columns {missing}")
    month_ends = month_ends_between(first, last)
    space, states = monthly_states(spells, month_ends, settings)
    width = space.size + 1
    months = len(month_ends)
    stock = np.zeros((months, space.size), dtype=np.int64)
    for m in range(months):
        stock[m] = np.bincount(states[:, m], minlength=width)[: space.size]
    pair = states[:, :-1] * width + states[:, 1:] + np.arange(months - 1) * width * width
    flows = np.bincount(pair.ravel(), minlength=(months - 1) * width * width)
    return History(space, tuple(month_ends), stock, flows.reshape(months - 1, width, width))
