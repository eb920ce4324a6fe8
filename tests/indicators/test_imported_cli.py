"""Imported measures through the command line: ``cscperf import-measures`` keeps a workforce
file with the build, and ``cscperf indicators`` then shows its values flagged ``imported``
beside the computed indicators."""

from __future__ import annotations

import json
from pathlib import Path

from tests.indicators.helpers import SETTINGS

from cscperf.cli import main
from cscperf.indicators.testing import frame
from cscperf.store import Store


def test_imported_workforce_values_appear_in_indicators(tmp_path: Path, capsys) -> None:
    store = tmp_path / "store"
    referrals = [
        {"cine_referral_id": "1", "cine_person_id": "A", "cine_referral_date": "2024-02-10"},
        {"cine_referral_id": "2", "cine_person_id": "B", "cine_referral_date": "2024-03-05"},
    ]
    Store(store).publish(
        {"ssd_cin_episodes": frame("ssd_cin_episodes", referrals)},
        {"extract_date": "2024-04-15"},
        SETTINGS,
        None,
    )
    workforce = tmp_path / "workforce.csv"
    workforce.write_text(
        "period_end,inpost_fte,agency_fte,vacancy_fte,leavers_fte_12m,agency_rate_pct\n"
        "2024-03-31,95,5,4,10,5.0\n",
        encoding="utf-8",
    )
    assert main(["import-measures", str(workforce), "--store", str(store)]) == 0
    ids = "workforce.agency_rate_pct,referrals.count"
    argv = ["indicators", "--store", str(store), "--period", "2024-03", "--months", "2"]
    assert main([*argv, "--ids", ids, "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    got = {(r["indicator_id"], r["period_end"]): r for r in records}
    # March: agency 5 FTE of 95 in post + 5 agency = 100 FTE: 5 / 100 = 5.0%.
    march = got[("workforce.agency_rate_pct", "2024-03-31")]
    assert (march["numerator"], march["denominator"], march["value"]) == (5, 100, 5.0)
    assert march["flags"] == ["imported"]
    # February has no workforce row: not available with the reason, never zero.
    february = got[("workforce.agency_rate_pct", "2024-02-29")]
    assert february["value"] is None and "no row for February 2024" in february["reason"]
    # The computed indicators are still there: one referral in March.
    assert got[("referrals.count", "2024-03-31")]["value"] == 1
