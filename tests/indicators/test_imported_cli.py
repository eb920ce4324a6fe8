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


def _workforce(tmp_path: Path, agency: int) -> Path:
    path = tmp_path / f"workforce-{agency}.csv"
    path.write_text(
        "period_end,inpost_fte,agency_fte,vacancy_fte,leavers_fte_12m\n"
        f"2024-03-31,{100 - agency},{agency},4,10\n",
        encoding="utf-8",
    )
    return path


def _agency_march(store: Path, build: str, capsys) -> float:
    argv = ["indicators", "--store", str(store), "--build", build, "--period", "2024-03"]
    assert (
        main([*argv, "--months", "1", "--ids", "workforce.agency_rate_pct", "--format", "json"])
        == 0
    )
    (record,) = json.loads(capsys.readouterr().out)
    return record["value"]


def test_importing_publishes_a_new_build_and_later_loads_carry_it(tmp_path: Path, capsys) -> None:
    store = tmp_path / "store"
    referrals = [
        {"cine_referral_id": "1", "cine_person_id": "A", "cine_referral_date": "2024-03-05"}
    ]
    tables = {"ssd_cin_episodes": frame("ssd_cin_episodes", referrals)}
    loaded = Store(store).publish(tables, {"extract_date": "2024-04-15"}, SETTINGS, None)
    assert main(["import-measures", str(_workforce(tmp_path, 5)), "--store", str(store)]) == 0
    first = Store(store).get()
    # A new build, made current; the loaded build is left exactly as it was.
    assert first.id != loaded.id
    assert first.manifest["derived_from"] == loaded.id
    assert first.manifest["imported"] == {"workforce": 1}
    assert first.manifest["extract_date"] == "2024-04-15"
    assert first.table("ssd_cin_episodes").height == 1
    assert not (loaded.path / "results" / "imported").exists()
    assert _agency_march(store, loaded.id, capsys) is None
    assert _agency_march(store, first.id, capsys) == 5.0

    # Importing again replaces the layout in a further build; the first import stays as it was.
    assert main(["import-measures", str(_workforce(tmp_path, 8)), "--store", str(store)]) == 0
    second = Store(store).get()
    assert second.manifest["derived_from"] == first.id
    assert _agency_march(store, first.id, capsys) == 5.0
    assert _agency_march(store, second.id, capsys) == 8.0

    # A later load carries the current build's imported measures forward.
    later = Store(store).publish(tables, {"extract_date": "2024-05-15"}, SETTINGS, None)
    assert Store(store).get().manifest["carried_from"] == second.id
    assert _agency_march(store, later.id, capsys) == 8.0


def test_a_load_into_an_empty_store_carries_nothing(tmp_path: Path) -> None:
    info = Store(tmp_path / "store").publish({}, {}, SETTINGS, None)
    build = Store(tmp_path / "store").get(info.id)
    assert "carried_from" not in build.manifest
    assert not (build.path / "results" / "imported").exists()
