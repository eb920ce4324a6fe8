"""Many synthetic councils: ``cscperf synth --councils`` (cscperf.synth.many).

Three councils of different sizes and rates at scale 0.02, April 2021 to March 2025: Essex
(881, 329,197 children at mid-2024, low rates), Birmingham (330, 292,859, near England's) and
Liverpool (341, 97,802, high rates). Rates are counted directly from the written CSVs with
polars for the three years ending March 2023-2025 and set against the published 2025 figures
the councils were shaped by (../shared/data/benchmarks/ees and lait).
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml

from cscperf.cli import main
from cscperf.synth.ledger import per_child_spend
from cscperf.synth.many import (
    CARE_PATHS,
    MIN_CHILDREN,
    REFERRAL_ELASTICITY,
    ManyOptions,
    PublishedCouncil,
    choose_councils,
    council_children,
    council_parameters,
    council_seed,
    council_settings,
    generate_many,
    published_councils,
)
from cscperf.synth.params import load_parameters

CODES = ("881", "330", "341")  # largest first
SEED = 3
SCALE = 0.02
START, END = date(2021, 4, 1), date(2025, 3, 31)
YEARS = (2023, 2024, 2025)
# Published 2025 figures (per 10,000 children aged 0-17), as the shared files give them.
PUBLISHED = {
    "881": {"referrals": 173.3, "cp_starts": 20.0, "cla": 35.0},
    "330": {"referrals": 557.4, "cp_starts": 66.1, "cla": 79.0},
    "341": {"referrals": 859.9, "cp_starts": 102.7, "cla": 145.0},
}
# How far a council's three-year average may stray from the published figure: referrals
# (about 200 to 550 a year each) within 25%; plans started (about 15 to 50 a year) and
# children looked after at 31 March (about 25 to 50) within 35%.
TOLERANCE = {"referrals": 0.25, "cp_starts": 0.35, "cla": 0.35}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("many")
    args = ["synth", "--out", str(out), "--councils", ",".join(CODES), "--scale", str(SCALE),
            "--seed", str(SEED), "--start", "2021-04", "--end", "2025-03"]  # fmt: skip
    assert main(args) == 0
    return out


def _table(folder: Path, name: str) -> pl.DataFrame:
    frame = pl.read_csv(folder / "ssd" / f"{name}.csv", infer_schema=False)
    dates = [c for c in frame.columns if c.endswith("_date")]
    return frame.with_columns(pl.col(dates).str.to_date())


def _population(folder: Path) -> pl.DataFrame:
    return pl.read_csv(
        folder / "population" / "ons_mid-year_population_estimates.csv", infer_schema=False
    )


def _children(folder: Path, mid_year: int) -> int:
    pop = _population(folder).filter(
        (pl.col("geographic_level") == "Local authority") & (pl.col("time_period") == str(mid_year))
    )
    return int(pop["population_estimate"][0])


def _in_care_on(folder: Path, day: date) -> int:
    """Children looked after on ``day``, short breaks (V3/V4) aside, as the DfE counts them."""
    episodes = _table(folder, "ssd_cla_episodes")
    legal = _table(folder, "ssd_legal_status").filter(
        pl.col("lega_legal_status").is_in(["V3", "V4"])
    )
    breaks = legal.select(
        pl.col("lega_person_id").alias("clae_person_id"),
        pl.col("lega_legal_status_start_date").alias("clae_cla_episode_start_date"),
        pl.lit(True).alias("short_break"),
    )
    open_then = episodes.join(
        breaks, on=["clae_person_id", "clae_cla_episode_start_date"], how="left"
    ).filter(
        pl.col("short_break").is_null()
        & (pl.col("clae_cla_episode_start_date") <= day)
        & (
            pl.col("clae_cla_episode_ceased_date").is_null()
            | (pl.col("clae_cla_episode_ceased_date") > day)
        )
    )
    return open_then["clae_person_id"].n_unique()


def _rates(folder: Path) -> dict[str, float]:
    """Per 10,000 children (mid-year before), averaged over the years ending March 2023-25."""
    referrals = _table(folder, "ssd_cin_episodes")
    plans = _table(folder, "ssd_cp_plans")
    found: dict[str, list[float]] = {"referrals": [], "cp_starts": [], "cla": []}
    for year in YEARS:
        first, last = date(year - 1, 4, 1), date(year, 3, 31)
        per_10k = 10_000 / _children(folder, year - 1)
        counts = {
            "referrals": referrals.filter(
                pl.col("cine_referral_date").is_between(first, last)
            ).height,
            "cp_starts": plans.filter(
                pl.col("cppl_cp_plan_start_date").is_between(first, last)
            ).height,
            "cla": _in_care_on(folder, last),
        }
        for name, count in counts.items():
            found[name].append(count * per_10k)
    return {name: sum(values) / len(values) for name, values in found.items()}


def test_each_council_carries_its_codes(made: Path) -> None:
    index = pl.read_csv(made / "councils.csv", infer_schema=False)
    assert index["la_code"].to_list() == list(CODES)
    assert index["status"].to_list() == ["made"] * 3
    ons = {"881": "E10000012", "330": "E08000025", "341": "E08000012"}
    for code in CODES:
        folder = made / code
        council = yaml.safe_load((folder / "council.yaml").read_text())["council"]
        assert (council["la_code"], council["ons_code"]) == (code, ons[code])
        assert council["name"].endswith("(synthetic)")
        census = sorted((folder / "cin_census").glob("*.xml"))
        assert census
        for path in census:
            assert f"<LEA>{code}</LEA>" in path.read_text(encoding="utf-8")
        pop = _population(folder)
        assert set(pop["old_la_code"]) == {code}
        assert set(pop["new_la_code"]) == {ons[code]}
        assert any((folder / "ssda903").iterdir())
        assert index.filter(pl.col("la_code") == code)["ons_code"][0] == ons[code]


def test_sizes_follow_the_published_populations(made: Path) -> None:
    # Published mid-2024: Essex 329,197 > Birmingham 292,859 > Liverpool 97,802; at scale
    # 0.02 that is 6,584, 5,857 and 1,956 children at the start, and births, moves and
    # ageing keep each within 5% of it.
    sizes = [_children(made / code, 2024) for code in CODES]
    assert sizes == sorted(sizes, reverse=True)
    for size, expected in zip(sizes, (6584, 5857, 1956), strict=True):
        assert abs(size - expected) <= 0.05 * expected, (size, expected)


def test_rates_track_the_published_ones(made: Path) -> None:
    rates = {code: _rates(made / code) for code in CODES}
    for code in CODES:
        for name, published in PUBLISHED[code].items():
            ours = rates[code][name]
            assert abs(ours / published - 1) <= TOLERANCE[name], (code, name, ours, published)
    # Each rate is ordered as the published ones are (Essex < Birmingham < Liverpool): the
    # councils differ, not just each sits near England.
    for name in ("referrals", "cp_starts", "cla"):
        ordered = [rates[code][name] for code in CODES]
        assert ordered == sorted(ordered), (name, ordered)


def test_same_seed_same_bytes_whatever_else_is_made(made: Path, tmp_path: Path) -> None:
    # Two of the three again, in two worker processes and in the other order: every file of
    # each is byte for byte the same.
    pub = published_councils()
    options = ManyOptions(seed=SEED, scale=SCALE, start=START, end=END)
    again = generate_many([pub["341"], pub["330"]], tmp_path / "again", options, jobs=2)
    assert [run.error for run in again] == [None, None]
    for code in ("341", "330"):
        first, second = made / code, tmp_path / "again" / code
        files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
        for name in files:
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert council_seed(SEED, "341") != council_seed(SEED, "330")
    assert council_seed(SEED, "341") != council_seed(SEED + 1, "341")


def test_each_council_ingests_and_computes(
    made: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values: dict[str, dict[str, float]] = {}
    for code in CODES:
        folder, store = made / code, tmp_path / f"store_{code}"
        inputs = [folder / "ssd", folder / "population", folder / "council.yaml"]
        assert main(["ingest", "--store", str(store), *map(str, inputs)]) == 0
        capsys.readouterr()
        ids = "referrals.rate_per_10k,lac.rate_per_10k"
        args = ["indicators", "--store", str(store), "--period", "2025-03", "--ids", ids,
                "--format", "json"]  # fmt: skip
        assert main(args) == 0
        rows = json.loads(capsys.readouterr().out)
        values[code] = {r["indicator_id"]: r["value"] for r in rows if r["breakdown"] == "all"}
    # The engine's figures for the year to March 2025 order the councils as published, and
    # each sits near its published figure (2025: referrals 173, 557, 860; in care 35, 79, 145).
    for indicator, name in (("referrals.rate_per_10k", "referrals"), ("lac.rate_per_10k", "cla")):
        ordered = [values[code][indicator] for code in CODES]
        assert ordered == sorted(ordered), (indicator, ordered)
        for code in CODES:
            published = PUBLISHED[code][name]
            assert abs(values[code][indicator] / published - 1) <= 0.4, (code, indicator)


def test_unknown_or_abolished_council_is_misuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    assert main(["synth", "--out", out, "--councils", "926,999", "--scale", "0.02"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "999 is not an English council" in err
    assert "926" in err and "E10000020" in err  # what to give instead
    assert main(["synth", "--out", out, "--councils", "909"]) == 2
    assert "successors 942, 943" in " ".join(capsys.readouterr().err.split())
    assert main(["synth", "--out", out, "--councils", "154"]) == 2
    assert "between 1 and 153" in " ".join(capsys.readouterr().err.split())
    assert main(["synth", "--out", out, "--councils", "3", "--all-england"]) == 2
    assert main(["synth", "--out", out, "--jobs", "2"]) == 2
    assert not (tmp_path / "out").exists()


def test_a_number_of_councils_spreads_over_the_sizes() -> None:
    pub = published_councils()
    assert len(pub) == 153  # English councils with a published population at mid-2024
    ranked = sorted(pub.values(), key=lambda c: -c.children)
    three = choose_councils(pub, councils="3", all_england=False)
    assert [c.la_code for c in three] == [ranked[0].la_code, ranked[76].la_code, "420"]
    assert ranked[0].la_code == "886"  # Kent, the largest; 420 Isles of Scilly the smallest
    listed = choose_councils(pub, councils="E08000012, 881", all_england=False)
    assert [c.la_code for c in listed] == ["341", "881"]
    assert len(choose_councils(pub, councils=None, all_england=True)) == 153
    # The Isles of Scilly (319 children) are simulated with the floor's 1,000.
    assert council_children(pub["420"], 1.0) == MIN_CHILDREN
    assert council_children(pub["881"], 0.02) == 6584


def _council(referrals: float, plans: float, cla: float, uasc: float) -> PublishedCouncil:
    england = {"referrals": 500.0, "cp_starts": 50.0, "cla_starts": 25.0, "cla": 70.0,
               "uasc": 5.0}  # fmt: skip
    rates: dict[str, float | None] = {
        "referrals": referrals, "cp_starts": plans, "cla_starts": None, "cla": cla, "uasc": uasc
    }  # fmt: skip
    return PublishedCouncil(
        la_code="100", ons_code="E00000000", name="Testshire", region="North East",
        children=100_000, population_year=2024, rates=rates, england=england,
        years=dict.fromkeys(england, 2025),
    )  # fmt: skip


def test_parameters_follow_the_multiples_worked_by_hand() -> None:
    base = load_parameters()
    # Referrals 2x England's, plans 3x, in care 1.5x, asylum seekers 0.5x.
    p = council_parameters(_council(1000.0, 150.0, 105.0, 2.5), base)
    assert p.demand.referral_rate == pytest.approx(
        base.demand.referral_rate * 2**REFERRAL_ELASTICITY
    )
    assert p.demand.uasc_rate == pytest.approx(base.demand.uasc_rate * 0.5)
    # Plans 3x with referrals 2x: enquiry and conference each sqrt(1.5) as likely.
    given = math.sqrt(1.5)
    assert p.protection.s47_probability == pytest.approx(base.protection.s47_probability * given)
    assert p.protection.icpc_probability == pytest.approx(base.protection.icpc_probability * given)
    # In care 1.5x; asylum seekers bring 0.5 x their share, the rest come after plans (3x)
    # or directly (2x): care = (1.5 - uasc x 0.5) / (cp x 3 + direct x 2).
    care = (1.5 - CARE_PATHS["uasc"] * 0.5) / (CARE_PATHS["cp"] * 3 + CARE_PATHS["direct"] * 2)
    assert care < 1
    assert p.protection.care_after_plan == pytest.approx(base.protection.care_after_plan * care)
    assert p.child_in_need.direct_care_probability == pytest.approx(
        base.child_in_need.direct_care_probability * care
    )
    # Everything else is the packaged parameters'.
    assert p.care == base.care and p.assessment == base.assessment
    # England's own rates give England's parameters (up to the referral elasticity of 1).
    same = council_parameters(_council(500.0, 50.0, 70.0, 5.0), base)
    assert same.demand == base.demand
    assert same.protection.s47_probability == pytest.approx(base.protection.s47_probability)
    # A rate 20 times England's is held at 5 times, and probabilities stay below 1.
    wild = council_parameters(_council(10_000.0, 1000.0, 1400.0, 100.0), base)
    assert wild.demand.referral_rate == pytest.approx(
        base.demand.referral_rate * 5**REFERRAL_ELASTICITY
    )
    assert wild.protection.s47_probability <= 0.95
    assert wild.protection.care_after_plan < 1 - base.protection.cin_step_down


def test_a_councils_ledger_spends_as_its_own_outturn() -> None:
    # The finance ledger takes spending per child from the published outturn (RO3) of the
    # council itself, where Eastshire borrows Norfolk's.
    pub = published_councils()
    assert per_child_spend(council_settings(pub["341"]))[1] == "Liverpool"


def test_the_smallest_councils_are_made(tmp_path: Path) -> None:
    # Richmond upon Thames (1,000 children at scale 0.02: low rates, few in care) once failed
    # on a period of care with no missing episode under 12; the Isles of Scilly are floored.
    pub = published_councils()
    options = ManyOptions(seed=1, scale=0.02, start=date(2017, 4, 1), end=date(2026, 11, 30))
    runs = generate_many([pub["318"], pub["420"]], tmp_path, options)
    assert [run.error for run in runs] == [None, None]
    assert [run.children for run in runs] == [MIN_CHILDREN, MIN_CHILDREN]
