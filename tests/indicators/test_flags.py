"""Each result row's flags, from the roll-up's true/false columns (``rollup.flags_column``)."""

from __future__ import annotations

import polars as pl

from cscperf.indicators.rollup import flags_column


def test_every_combination_in_order_and_null_is_false() -> None:
    frame = pl.DataFrame(
        {
            "_history": [False, True, False, True, None, True, False, True, None],
            "_provisional": [False, False, True, True, False, False, True, True, None],
            "_small": [False, False, False, False, True, True, True, True, None],
        }
    )
    flags = frame.select(flags=flags_column(frame))["flags"].to_list()
    history, provisional, small = "history_incomplete", "population_provisional", "small_number"
    assert flags == [
        [],
        [history],
        [provisional],
        [history, provisional],
        [small],
        [history, small],
        [provisional, small],
        [history, provisional, small],
        [],
    ]


def test_only_the_columns_the_frame_has() -> None:
    frame = pl.DataFrame({"_small": [True, False, None], "value": [1.0, 2.0, 3.0]})
    flags = frame.with_columns(flags=flags_column(frame))
    assert flags.schema["flags"] == pl.List(pl.String)
    assert flags["flags"].to_list() == [["small_number"], [], []]
    none = pl.DataFrame({"value": [1.0, 2.0]})
    assert none.with_columns(flags=flags_column(none))["flags"].to_list() == [[], []]
