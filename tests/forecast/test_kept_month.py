"""A month's forecast and published benchmarks are worked out once per build and kept with it:
a pack reads them, and a change to what they depend on works them out again."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from cscperf.app import kept
from cscperf.app.month import assemble_pack, keep_month
from cscperf.forecast.result import projection_frame
from cscperf.store import Store

PERIOD = "2025-03"


@pytest.fixture
def store(stores: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the forecast tests' SSD store, with nothing kept yet and the packaged forecast
    settings (another module's tests give the shared store a forecast.yaml of its own)."""
    copy = tmp_path / "store"
    shutil.copytree(stores["ssd"], copy)
    shutil.rmtree(copy / "cache" / kept.KEPT, ignore_errors=True)
    (copy / "forecast.yaml").unlink(missing_ok=True)
    return copy


def _refuse(*_: object, **__: object) -> None:
    raise AssertionError("worked out again instead of read from what was kept")


def test_a_kept_forecast_and_benchmarks_are_read_not_worked_out_again(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = Store(store).get()
    assert kept.month_of(build) == date(2025, 3, 31)
    keep_month(build)  # as `cscperf indicators` does once it has computed the build
    first = assemble_pack(store, PERIOD)
    assert first.forecast is not None

    monkeypatch.setattr(kept, "forecast_for_pack", _refuse)
    monkeypatch.setattr(kept, "council_benchmarks", _refuse)
    again = assemble_pack(store, PERIOD)
    assert again.forecast is not None
    assert projection_frame(again.forecast).equals(projection_frame(first.forecast))
    assert again.provenance.benchmarks_note == first.provenance.benchmarks_note


def test_new_forecast_settings_or_a_damaged_entry_work_the_forecast_out_again(
    store: Path,
) -> None:
    build = Store(store).get()
    month = date(2025, 3, 31)
    before, _ = kept.kept_forecast(build, month)
    assert before is not None and before.scenarios == []

    (store / "forecast.yaml").write_text(
        'scenarios:\n  - {name: "Fewer entries", from: "2025-06", entries: 0.8}\n',
        encoding="utf-8",
    )
    changed, _ = kept.kept_forecast(build, month)
    assert changed is not None and [s.name for s in changed.scenarios] == ["Fewer entries"]

    folder = store / "cache" / kept.KEPT / build.id
    entries = sorted(folder.glob("forecast-*.pickle"))
    assert len(entries) == 2  # one per settings file: each kept beside the other
    for entry in entries:
        entry.write_bytes(b"not a pickle")
    damaged, _ = kept.kept_forecast(build, month)
    assert damaged is not None and [s.name for s in damaged.scenarios] == ["Fewer entries"]


def test_a_second_pack_of_the_month_starts_no_chart_engine_and_is_the_same(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cscperf.app import month

    started: list[object] = []
    real = month.ChartProcess

    def counted() -> object:
        started.append(real())
        return started[-1]

    monkeypatch.setattr(month, "ChartProcess", counted)
    month.write_pack(store, PERIOD, tmp_path / "first", pdf=False)
    assert len(started) == 1  # the first pack of the month: its engine started at once
    month.write_pack(store, PERIOD, tmp_path / "again", pdf=False)
    assert len(started) == 1  # written before: every chart kept, no engine started
    first = (tmp_path / "first" / "pack.html").read_text(encoding="utf-8")
    assert (tmp_path / "again" / "pack.html").read_text(encoding="utf-8") == first
    month.write_pack(store, PERIOD, tmp_path / "public", pdf=False, audience="public")
    assert len(started) == 2  # another audience is another pack
