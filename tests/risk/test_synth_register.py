"""The synthetic council's risk register: written by cscperf synth's hook, loaded by the
normal route (cscperf risk import), a dozen risks with monthly history."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from cscperf.app.risk import import_register_file, register_for
from cscperf.risk.history import read_versions
from cscperf.risk.register import AMBER, IMPROVING, MET, NEW, RED, UNCHANGED, WORSENING
from cscperf.settings import RiskSettings
from cscperf.synth.risk_register import REGISTER_FILE, write_risk_register

END = date(2025, 10, 31)


def test_synthetic_register_loads_with_history(tmp_path: Path) -> None:
    path = write_risk_register(tmp_path / "eastshire", END, seed=3)
    assert path == tmp_path / "eastshire" / REGISTER_FILE
    store = tmp_path / "store"
    store.mkdir()
    added, read = import_register_file(store, path, by="synth")
    assert read == len(added) > 12 * 10
    per_risk = Counter(v.risk_id for v in read_versions(store))
    assert len(per_risk) == 12
    # monthly reviews over 18 months; CS09 quarterly and none in the last four months (0, 3,
    # 6, 9, 12: five); CS11 closed at its tenth review; CS12 added two months before the end
    assert per_risk["CS01"] == 18 and per_risk["CS09"] == 5
    assert per_risk["CS11"] == 10 and per_risk["CS12"] == 2
    october = register_for(store, END, RiskSettings())
    rows = {r.risk.risk_id: r for r in october.rows}
    assert set(rows) == {f"CS{n:02d}" for n in range(1, 13)} - {"CS11"}
    assert rows["CS09"].overdue and not rows["CS01"].overdue
    # added in September, reviewed again in October: its direction is known
    assert rows["CS12"].direction in (UNCHANGED, IMPROVING, WORSENING)
    # CS05's target date is two months after the end (near): not green
    assert rows["CS05"].prospects in (RED, AMBER, MET)
    assert {r.prospects for r in october.rows} & {RED, AMBER}
    september = register_for(store, date(2025, 9, 30), RiskSettings())
    assert {r.risk.risk_id: r.direction for r in september.rows}["CS12"] == NEW
    # every linked indicator is in the catalogue (the import checks) and some risks link one
    assert sum(1 for r in october.rows if r.risk.links) >= 9
    # the same seed writes the same file
    again = write_risk_register(tmp_path / "again", END, seed=3)
    assert again.read_bytes() == path.read_bytes()
