"""The dashboard's benchmark panel names whose figures and which basis, never ranks a count,
and a small number's rating says it is not rated."""

from __future__ import annotations

from cscperf.web.views import benchmark_lines, rag_of

BASE = {
    "bm_year": 2025,
    "bm_la_value": 62.0,
    "bm_sn": 60.0,
    "bm_sn_aggregate": "mean",
    "bm_england": 70.0,
    "bm_region": 58.0,
    "bm_rank": 40,
    "bm_ranked_of": 153,
    "bm_quartile_band": "B",
    "bm_basis": "31 March 2025 snapshot",
    "bm_own_value": 64.7,
    "bm_published_by": "Norfolk's published figures (borrowed for the demo)",
}


def test_benchmark_panel_names_owner_basis_and_same_basis_value() -> None:
    lines = dict(benchmark_lines({**BASE, "unit": "rate_per_10k"}))
    assert lines["Whose figures"] == "Norfolk's published figures (borrowed for the demo)"
    assert lines["Basis and year"] == "31 March 2025 snapshot"
    assert lines["Ours now, on the same basis"] == "64.7"
    assert lines["Rank among councils (1 = best)"] == "40 of 153"
    assert lines["Quartile band (A = best)"] == "B"


def test_a_count_is_not_ranked_on_the_dashboard() -> None:
    row = {**BASE, "unit": "count", "bm_rank": None, "bm_quartile_band": None}
    lines = dict(benchmark_lines(row))
    assert lines["Rank among councils"].startswith("not ranked: a count")
    assert "Quartile band (A = best)" not in lines


def test_small_number_rating_says_not_rated() -> None:
    rag = rag_of(
        {
            "rag": "none",
            "small_number": True,
            "rag_label": "Fewer than 5: not rated",
            "rag_reason": "rests on 3, fewer than 5: not rated",
        }
    )
    assert rag.label == "Fewer than 5: not rated"
    assert rag.key == "none" and "rests on 3" in rag.reason
