"""The ``history_incomplete`` flag of "ever" look-backs (spec section 6, History).

An "ever" test (``lookback: {months: null}``) looks at all available history, which always
reaches before the earliest record an extract holds, so every month carries the flag; a
look-back of N months is flagged only while it reaches before the first record.
"""

from __future__ import annotations

from datetime import date

from tests.indicators.care_helpers import run
from tests.indicators.helpers import row

PLANS = [
    # Loaded history starts with H's first plan in 2015: far earlier than any month reported.
    {
        "cppl_cp_plan_id": "H1",
        "cppl_person_id": "H",
        "cppl_cp_plan_start_date": "2015-01-10",
        "cppl_cp_plan_end_date": "2015-06-01",
    },
    {
        "cppl_cp_plan_id": "H2",
        "cppl_person_id": "H",
        "cppl_cp_plan_start_date": "2024-05-10",
    },
]
MONTHS = [date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30)]


def test_ever_lookback_is_flagged_on_every_month() -> None:
    results = run(
        {"ssd_cp_plans": PLANS},
        ["cp.second_or_subsequent_ever_pct", "cp.second_or_subsequent_2y_pct"],
        MONTHS[0],
        MONTHS[-1],
    )
    for period_end in MONTHS:
        ever = row(results, "cp.second_or_subsequent_ever_pct", period_end)
        assert "history_incomplete" in ever["flags"], period_end
        # The 2-year test needs plans from May 2022 at the latest; 2015 is loaded: not flagged.
        two = row(results, "cp.second_or_subsequent_2y_pct", period_end)
        assert "history_incomplete" not in two["flags"], period_end
    # May: H2 is H's second plan: 1 / 1, whatever the flag says.
    may = row(results, "cp.second_or_subsequent_ever_pct", MONTHS[1])
    assert (may["numerator"], may["denominator"]) == (1, 1)

    # Every breakdown row of the ever test carries the flag, not only ``all``.
    ever = results.filter(results["indicator_id"] == "cp.second_or_subsequent_ever_pct")
    assert ever.height > len(MONTHS)
    assert all("history_incomplete" in flags for flags in ever["flags"].to_list())
