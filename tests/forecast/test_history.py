"""Month-end states, stocks and flows worked by hand from a few children's placements."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from cscperf.forecast.history import age_in_years, build_history, month_ends_between
from cscperf.forecast.settings import load_settings

SETTINGS = load_settings()


def spells(*rows: tuple[str, date, date, date | None, str]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"child": pl.Utf8, "birth": pl.Date, "start": pl.Date, "end": pl.Date,
                "placement_type": pl.Utf8},
        orient="row",
    )  # fmt: skip


def test_month_ends_cover_both_months_and_leap_february() -> None:
    ends = month_ends_between(date(2024, 1, 15), date(2024, 3, 3))
    assert ends == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def test_age_counts_the_birthday_itself_and_29_february() -> None:
    births = np.array(["2010-03-31", "2010-04-01", "2008-02-29"], dtype="datetime64[D]")
    on = np.array(["2020-03-31", "2020-03-31", "2026-02-28"], dtype="datetime64[D]")
    # 10 on the birthday itself; 9 the day before the tenth; a leap-day child is 17 on
    # 28 February 2026 (the eighteenth birthday is not until 1 March in a common year).
    assert age_in_years(births, on).tolist() == [10, 9, 17]


def test_states_at_month_ends_worked_by_hand() -> None:
    history = build_history(
        spells(
            # A: fostered from 10 Jan, moves to a children's home on 31 Jan (so is in
            # residential at the January month end), leaves care 29 Feb (the month end:
            # not counted at 29 Feb).
            ("A", date(2015, 6, 1), date(2024, 1, 10), date(2024, 1, 31), "U3"),
            ("A", date(2015, 6, 1), date(2024, 1, 31), date(2024, 2, 29), "K2"),
            # B: fostered from 1 Feb and still placed; 4 on 15 Feb 2024, so in the 1-4 band.
            ("B", date(2020, 2, 15), date(2024, 2, 1), None, "U1"),
            # C: turns 18 on 15 March 2024 in supported accommodation: out at the March end.
            ("C", date(2006, 3, 15), date(2023, 12, 1), None, "H5"),
        ),
        date(2024, 1, 1), date(2024, 3, 31), SETTINGS,
    )  # fmt: skip
    space = history.space
    fostering, residential, supported = (space.categories.index(c) for c in
                                         ("fostering", "residential", "supported"))  # fmt: skip
    res_5_9 = space.index(2, residential)  # A is 8
    fost_1_4 = space.index(1, fostering)
    supp_16 = space.index(4, supported)
    expected = np.zeros((3, space.size), dtype=int)
    expected[0, [res_5_9, supp_16]] = 1  # January: A (residential), C
    expected[1, [fost_1_4, supp_16]] = 1  # February: B, C (A left on the month end)
    expected[2, fost_1_4] = 1  # March: B only (C is 18)
    assert (history.stock == expected).all()
    out = space.out
    # Flows January -> February: A leaves, B enters, C stays.
    assert history.flows[0][res_5_9, out] == 1
    assert history.flows[0][out, fost_1_4] == 1
    assert history.flows[0][supp_16, supp_16] == 1
    # February -> March: C leaves at 18, B stays.
    assert history.flows[1][supp_16, out] == 1
    assert history.flows[1][fost_1_4, fost_1_4] == 1
    assert history.entries[1].sum() == 1 and history.entries[2].sum() == 0


def test_unknown_placement_codes_count_as_other() -> None:
    history = build_history(
        spells(("A", date(2010, 1, 1), date(2024, 1, 1), None, "ZZ")),
        date(2024, 1, 1), date(2024, 1, 31), SETTINGS,
    )  # fmt: skip
    by_category = history.space.by_category(history.stock)[0]
    assert by_category[history.space.categories.index("other")] == 1
    assert by_category.sum() == 1
