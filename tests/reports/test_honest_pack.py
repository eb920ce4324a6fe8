"""The pack says whose published figures it shows and on what basis, never ranks a count,
and marks small numbers instead of rating them."""

from __future__ import annotations

import re
from html import unescape

import polars as pl
import pytest
from tests.reports.fixtures import IDS, PERIOD_END, fixture_rows

from cscperf.app.month import published_by
from cscperf.evaluate.targets import example_targets_path, load_targets
from cscperf.indicators.catalogue import load_catalogue
from cscperf.reports import sections
from cscperf.reports.html import collect, render_html
from cscperf.reports.pack import Pack, Provenance, make_pack
from cscperf.synth.council import eastshire_settings

NORFOLK = "Norfolk's published figures (borrowed for the demo)"


def _bench(indicator_id: str, unit: str, basis: str, compare_as: str, rank: int | None) -> dict:
    return {
        "indicator_id": indicator_id,
        "title": indicator_id,
        "unit": unit,
        "polarity": "low",
        "year": 2025,
        "year_ends": "march",
        "basis": basis,
        "compare_as": compare_as,
        "la_code": "926",
        "la_name": "Norfolk",
        "value": 62.0,
        "england": 70.0,
        "region_value": 60.0,
        "sn_mean": 61.0,
        "sn_median": 60.0,
        "sn_best": 50.0 if rank else None,
        "top_quartile": 52.0 if rank else None,
        "rank": rank,
        "ranked_of": 153,
        "quartile_band": "B" if rank else None,
        "decimals": 0,
        "published_by": NORFOLK,
    }


def _pack(rows: pl.DataFrame, locality: str | None = None) -> Pack:
    settings = eastshire_settings()
    catalogue = load_catalogue()
    bench = pl.DataFrame(
        [
            _bench("lac.rate_per_10k", "rate_per_10k", "31 March 2025 snapshot", "value", 40),
            _bench(
                "referrals.count",
                "count",
                "year ending 31 March 2025; ours is the year to date, scaled to 12 months",
                "ytd_annualised",
                None,
            ),
        ]
    )
    return make_pack(
        rows,
        {i: catalogue.definitions[i] for i in IDS},
        Provenance(
            council=settings.council.name,
            period_end=PERIOD_END,
            source_system="Mosaic",
            extract_date="2025-07-08",
            build_id="B",
            marking=settings.protective_marking,
            locality=locality,
            targets_note="example targets",
            benchmarks_note=NORFOLK,
        ),
        [loc.name for loc in settings.localities],
        load_targets(example_targets_path()),
        bench,
        None,
        None,
    )


def test_borrowed_figures_wear_their_owner_name() -> None:
    assert published_by("Norfolk", "999", borrowed=True) == NORFOLK
    assert published_by("Norfolk", "926", borrowed=False) == "Norfolk's published figures"
    assert "borrowed by this council's settings" in published_by("Norfolk", "123", True)


def test_pack_benchmarks_state_basis_owner_and_same_basis_value() -> None:
    localities = [loc.name for loc in eastshire_settings().localities]
    pack = _pack(fixture_rows(localities))
    bench = {b.ref: b for b in sections.benchmarking(pack)}
    lac, referrals = bench["lac.rate_per_10k"], bench["referrals.count"]
    assert lac.published_by == referrals.published_by == NORFOLK
    assert lac.basis == "31 March 2025 snapshot"
    assert lac.rank == "40 of 153"
    # June 2025 = month 25: (1000 + 25) / 170,000 * 10,000, the month's own snapshot.
    assert lac.latest == (1025 / 170_000 * 10_000)
    # referrals: April..June 2025 are months 23..25: 523 + 524 + 525 = 1,572, x 12 / 3.
    assert referrals.latest == 1572 * 4
    assert referrals.rank == "not ranked (a count)"
    assert referrals.versus_england == "–"
    framework = {f.ref: f for f in sections.framework(pack)}
    assert framework["lac.rate_per_10k"].england_basis == "31 March 2025 snapshot"
    html = unescape(render_html(collect(pack)))
    assert f"Compared with {NORFOLK}." in html
    assert "Rank (1 = best)" in html
    assert "Eastshire County Council (published)" not in html  # the old mislabel


def test_small_numbers_are_marked_in_the_pack() -> None:
    localities = [loc.name for loc in eastshire_settings().localities]
    rows = fixture_rows(localities).with_columns(
        # the county's re-referrals rest on 2 of 3 referrals in June 2025
        pl.when(
            (pl.col("indicator_id") == "referrals.rereferral_12m_pct")
            & (pl.col("breakdown") == "all")
            & (pl.col("period_end") == PERIOD_END)
        )
        .then(pl.struct(numerator=pl.lit(2.0), denominator=pl.lit(3.0), value=pl.lit(200 / 3)))
        .otherwise(pl.struct("numerator", "denominator", "value"))
        .struct.unnest()
    )
    pack = _pack(rows)
    row = {r.ref: r for r in sections.summary(pack)}["referrals.rereferral_12m_pct"]
    assert row.small_number is True
    assert row.rag["County"] == "none"
    html = unescape(render_html(collect(pack)))
    assert html.count("Fewer than 5: not rated") >= 1


def test_draft_sentence_states_the_basis() -> None:
    from cscperf.reports.drafts import against_benchmarks

    text = against_benchmarks(
        82.0,
        81.0,
        85.0,
        2025,
        "percent",
        "high",
        "year ending 31 March 2025; ours is the year to date",
    )
    assert text.startswith(
        "On the same basis (year ending 31 March 2025; ours is the year to date)"
    )
    assert "better than the statistical neighbour average" in text
    assert "worse than England" in text


def test_public_pack_suppresses_small_numbers_and_the_next_smallest_locality() -> None:
    from cscperf.reports.pack import public_pack

    localities = [loc.name for loc in eastshire_settings().localities]
    small = localities[0]
    rows = fixture_rows(localities).with_columns(
        # the first locality's assessments rest on 2 of 3 in June 2025
        pl.when(
            (pl.col("indicator_id") == "assess.within_45wd_pct")
            & (pl.col("breakdown_value") == small)
            & (pl.col("period_end") == PERIOD_END)
        )
        .then(pl.struct(numerator=pl.lit(2.0), denominator=pl.lit(3.0), value=pl.lit(200 / 3)))
        .otherwise(pl.struct("numerator", "denominator", "value"))
        .struct.unnest()
    )
    council = _pack(rows, small)
    row = {r.ref: r for r in sections.summary(council)}["assess.within_45wd_pct"]
    assert row.value == pytest.approx(200 / 3) and row.small_number  # inside: shown, marked
    public = public_pack(council)
    current = public.current.filter(
        pl.col("indicator_id") == "assess.within_45wd_pct", pl.col("breakdown") == "locality"
    )
    marks = dict(zip(current["breakdown_value"], current["suppressed"], strict=True))
    assert marks[small] == "primary"
    assert sum(1 for m in marks.values() if m == "secondary") == 1  # the next smallest
    hidden = current.filter(pl.col("suppressed").is_not_null())
    assert hidden["value"].is_null().all() and hidden["numerator"].is_null().all()
    row = {r.ref: r for r in sections.summary(public)}["assess.within_45wd_pct"]
    assert row.value is None and row.suppressed_months[-1] is True
    assert not row.not_available  # suppressed, not missing: no "Not available" note
    assert row.suppressed_months[:-1] == [False, False, False]
    html = unescape(render_html(collect(public)))
    assert "Public version: a figure resting on fewer than 5 children is suppressed" in html
    assert ">[c]<" in html
    # the topic's 13-month table says [c] too (the DfE's mark), not the dash of a missing month
    topic = html.split('id="topic-assessments"', 1)[1].split("</table>", 1)[0]
    row = re.search(r"Assessments completed within 45 working days of the.*?</tr>", topic, re.S)
    assert row and row.group(0).endswith('<td class="num">65.0%</td><td class="num">[c]</td></tr>')


def test_the_summary_sets_no_other_councils_count_beside_ours() -> None:
    # England's referral total (70 in the fixture) beside Eastshire's says only that England
    # is bigger: the summary leaves comparators out for counts, keeps them for rates.
    localities = [loc.name for loc in eastshire_settings().localities]
    rows = {r.ref: r for r in sections.summary(_pack(fixture_rows(localities)))}
    referrals, lac = rows["referrals.count"], rows["lac.rate_per_10k"]
    assert (referrals.england, referrals.region, referrals.sn_average) == (None, None, None)
    assert (lac.england, lac.region, lac.sn_average) == (70.0, 60.0, 61.0)
