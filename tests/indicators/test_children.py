"""The children behind a figure: made from the indicator's own item rows, so for every listed
indicator, month and locality the list's length is the figure's numerator (for a
within-timescale measure, its denominator less its numerator)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.children import child_lists, children_behind
from cscperf.indicators.results import compute_build
from cscperf.store import Store
from cscperf.store.store import Build


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, pl.DataFrame]:
    synth = pytest.importorskip("cscperf.synth")
    from cscperf.app.load import ingest

    root = tmp_path_factory.mktemp("children")
    inputs = root / "in"
    synth.generate(inputs, seed=5, scale=0.02, start=date(2021, 4, 1), end=date(2024, 3, 31))
    outcome = ingest(
        root / "store", [inputs / "ssd", inputs / "population", inputs / "council.yaml"]
    )
    assert outcome.reason is None, outcome.reason
    build = Store(root / "store").get()
    results = compute_build(build, ids=sorted(child_lists()))
    return build, results


def _expected(results: pl.DataFrame, ident: str, month: date, value: str, passing: bool) -> int:
    row = results.filter(
        pl.col("indicator_id") == ident,
        pl.col("period_end") == month,
        pl.col("breakdown_value") == value,
    )
    assert row.height == 1, (ident, month, value)
    num, den = row["numerator"][0] or 0, row["denominator"][0] or 0
    return int(num if passing else den - num)


# lists the synthetic council leaves empty in every month (the hand-built tests fill them):
# it keeps in touch with every 17-18 year old, and has no Virtual School PEP extract
NOBODY_IN_SYNTHETIC = {"care_leavers.in_touch_17_18_pct", "lac_health.pep_up_to_date_pct"}


def _reason(results: pl.DataFrame, ident: str, month: date) -> str | None:
    row = results.filter(
        pl.col("indicator_id") == ident,
        pl.col("period_end") == month,
        pl.col("breakdown_value") == "all",
    )
    return row["reason"][0] if row.height else None


@pytest.mark.parametrize("ident", sorted(child_lists()))
def test_the_list_is_as_long_as_the_figure_counts(synthetic, ident: str) -> None:
    build, results = synthetic
    spec = child_lists()[ident]
    localities = [loc.name for loc in build.settings.localities]
    months = sorted(results["period_end"].unique())
    # the last month, and the latest month whose figure counts someone (so the test cannot
    # pass on empty lists alone)
    counted = [m for m in months if _expected(results, ident, m, "all", spec.act_on_passing)]
    if ident not in NOBODY_IN_SYNTHETIC:
        assert counted, f"{ident}: the synthetic council should have someone on the list"
    by_locality = "locality" in load_catalogue().definitions[ident].breakdowns
    for month in sorted({months[-1], *counted[-1:]}):
        county = children_behind(build, ident, month)
        if ident in NOBODY_IN_SYNTHETIC and _reason(results, ident, month):
            # the figure is not available (a table is missing): nor is the list, and it says why
            assert county.reason and county.rows.height == 0
            continue
        assert county.reason is None
        want = _expected(results, ident, month, "all", spec.act_on_passing)
        assert county.rows.height == want, (ident, month)
        for name in localities:
            mine = children_behind(build, ident, month, frozenset({name}))
            assert set(mine.rows["locality"]) <= {name}
            if by_locality:  # a figure without a locality breakdown has no place's count
                assert mine.rows.height == _expected(
                    results, ident, month, name, spec.act_on_passing
                )


def test_an_indicator_without_a_list_is_not_offered() -> None:
    assert "referrals.count" not in child_lists()
    assert {"assess.within_45wd_pct", "cp.open_2y_plus_pct"} <= set(child_lists())
