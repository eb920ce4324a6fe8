"""The benchmark mapping lives in the catalogue: every published counterpart is read or says
why not, and is compared only on the indicator's own basis."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from cscperf.benchmarks.compare import Council, benchmark_indicator
from cscperf.benchmarks.mapping import benchmark_sources
from cscperf.errors import ConfigError
from cscperf.indicators.catalogue import load_catalogue

YEAR_BASES = {"rolling_12m", "ytd", "financial_year"}
SNAPSHOT_BASES = {"snapshot_month_end", "as_at_31_march"}


def test_every_published_counterpart_is_mapped_on_its_basis() -> None:
    catalogue = load_catalogue()
    sources = benchmark_sources()
    counterparts = [d for d in catalogue if d.benchmark.type in ("ees_csv", "lait")]
    assert len(counterparts) >= 55
    for d in counterparts:
        figure = d.benchmark.published
        if figure is None:
            assert d.benchmark.unread, f"{d.id}: a counterpart with neither published nor unread"
            assert d.id not in sources
            continue
        source = sources[d.id]
        # Complete: an EES figure names its file and one value, a LAIT figure its measure.
        if figure.source == "ees":
            assert figure.file and figure.file.endswith(".csv"), d.id
            assert (figure.value is None) != (figure.per_population is None), d.id
        else:
            assert figure.measure, d.id
        if d.basis in SNAPSHOT_BASES:
            assert figure.measures == "snapshot", d.id
            assert source.compare_as == "value", d.id
            assert "snapshot" in source.basis_label(2025), d.id
        elif d.basis in YEAR_BASES:
            assert figure.measures == "year", d.id
            assert source.compare_as == "value", d.id
            assert source.basis_label(2025).startswith("year ending"), d.id
        else:
            assert d.basis == "in_month"
            assert figure.annualise == "year_to_date", d.id
            assert source.compare_as == "ytd_annualised", d.id
            assert "year to date" in source.basis_label(2025), d.id
    # Nothing outside the catalogue is read: the old separate mapping file is gone.
    assert set(sources) <= {d.id for d in counterparts}
    assert not (Path(__file__).parents[2] / "src/cscperf/benchmarks/mapping.yaml").exists()


def test_known_mappings_read_as_declared() -> None:
    sources = benchmark_sources()
    lac = sources["lac.count"]
    assert (lac.source, lac.file, lac.value) == (
        "ees",
        "cla_number_and_rate_per_10k_children.csv",
        "children_count",
    )
    assert lac.filter == {"population_type": "Children looked after on 31 March each year"}
    assert lac.basis_label(2025) == "31 March 2025 snapshot"
    assert not lac.ranked  # a count is never ranked
    assert sources["lac.rate_per_10k"].ranked
    assert sources["lac.starts_rate_per_10k"].basis_label(2024) == "year ending 31 March 2024"
    agency = sources["workforce.agency_rate_pct"]
    assert agency.year_ends == "september"
    assert agency.basis_label(2025) == "30 September 2025 snapshot"
    referrals = sources["referrals.count"]
    assert referrals.compare_as == "ytd_annualised"
    assert referrals.basis_label(2025) == (
        "year ending 31 March 2025; ours is the year to date, scaled to 12 months"
    )
    # A ratio and an average are shown but not ranked; info measures are not ranked.
    assert not sources["caseloads.cases_per_case_holder_fte_ratio"].ranked
    assert not sources["lac_health.sdq_score_avg"].ranked
    assert not sources["cin.rate_per_10k"].ranked


def _entry(basis: str, unit: str, benchmark: dict) -> dict:
    return {
        "id": "test.thing",
        "title": "A thing",
        "area": "test",
        "unit": unit,
        "polarity": "low",
        "basis": basis,
        "definition": "d",
        "numerator": "n",
        "denominator": "d" if unit != "count" else None,
        "sources": ["ssd"],
        "benchmark": benchmark,
        "status": "verified",
    }


LAIT = {"source": "lait", "measure": "X", "decimals": 1}
ANNUAL = {**LAIT, "measures": "year", "annualise": "year_to_date"}
EES_NO_VALUE = {"source": "ees", "file": "f.csv", "measures": "year"}


@pytest.mark.parametrize(
    ("basis", "unit", "benchmark", "message"),
    [
        (
            "snapshot_month_end",
            "percent",
            {"type": "lait", "published": {**LAIT, "measures": "year"}},
            "compared with a published snapshot",
        ),
        (
            "rolling_12m",
            "percent",
            {"type": "lait", "published": {**LAIT, "measures": "snapshot"}},
            "published figure for the year",
        ),
        (
            "in_month",
            "percent",
            {"type": "lait", "published": {**LAIT, "measures": "year"}},
            "declared annualise method",
        ),
        (
            "rolling_12m",
            "percent",
            {"type": "lait", "published": ANNUAL},
            "only an in_month indicator is annualised",
        ),
        ("rolling_12m", "percent", {"type": "lait"}, "exactly one of published"),
        (
            "rolling_12m",
            "percent",
            {"type": "none", "published": {**LAIT, "measures": "year"}},
            "no published figure to read",
        ),
        (
            "snapshot_month_end",
            "count",
            {
                "type": "ees_csv",
                "published": {
                    "source": "ees",
                    "file": "f.csv",
                    "per_population": {"column": "n"},
                    "measures": "snapshot",
                },
            },
            "a count is compared with a published count",
        ),
        (
            "rolling_12m",
            "percent",
            {"type": "ees_csv", "published": EES_NO_VALUE},
            "exactly one of value or per_population",
        ),
    ],
)
def test_mismatched_basis_is_refused(
    tmp_path: Path, basis: str, unit: str, benchmark: dict, message: str
) -> None:
    (tmp_path / "test.yaml").write_text(yaml.safe_dump([_entry(basis, unit, benchmark)]))
    with pytest.raises(ConfigError, match=message) as caught:
        load_catalogue(tmp_path)
    assert "test.yaml, test.thing" in str(caught.value)


def test_matching_basis_is_accepted(tmp_path: Path) -> None:
    entry = _entry(
        "in_month",
        "percent",
        {"type": "lait", "published": {**LAIT, "measures": "year", "annualise": "year_to_date"}},
    )
    (tmp_path / "test.yaml").write_text(yaml.safe_dump([entry]))
    catalogue = load_catalogue(tmp_path)
    source = benchmark_sources(catalogue)["test.thing"]
    assert source.compare_as == "ytd_annualised"
    assert source.basis_label(2025) == "year ending 31 March 2025; ours is the year to date"


def _published(values: dict[str, float]) -> pl.DataFrame:
    rows = [
        ("la", 2025, code, None, f"Council {code}", "East of England", value, None)
        for code, value in values.items()
    ]
    rows.append(("national", 2025, None, None, None, "England", sum(values.values()), None))
    return pl.DataFrame(
        rows,
        schema=["level", "year", "la_code", "ons_code", "la_name", "region", "value", "code"],
        orient="row",
    )


def test_counts_are_never_ranked_rates_are() -> None:
    sources = benchmark_sources()
    council = Council("926", "E10000020", "Norfolk", "East of England")
    values = {"926": 1200.0, "100": 300.0, "101": 2500.0, "102": 900.0}
    count = benchmark_indicator(sources["lac.count"], _published(values), council, ["100"])[0]
    assert count["rank"] is None and count["quartile_band"] is None
    assert count["top_quartile"] is None and count["sn_best"] is None
    assert count["value"] == 1200.0 and count["basis"] == "31 March 2025 snapshot"
    rate = benchmark_indicator(sources["lac.rate_per_10k"], _published(values), council, ["100"])
    # low is good: 300 and 900 are better than 1,200, so Norfolk is third of four, band C.
    assert (rate[0]["rank"], rate[0]["ranked_of"], rate[0]["quartile_band"]) == (3, 4, "C")
