"""The pack's charts may be drawn by a process of their own, started before the month is
assembled: it gives exactly the pictures drawn here, keeps the PNGs for the PDF, and a process
that cannot draw only means the charts are drawn here instead."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cscperf.reports import charts
from cscperf.reports.chart_process import ChartProcess
from cscperf.reports.html import collect
from cscperf.reports.pack import Pack

MONTHS = [date(2025, m, 28) for m in range(1, 7)]


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("drawn in this process although the chart process drew it")


def test_the_chart_process_draws_the_same_pictures_as_this_process(
    county_pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = collect(county_pack, raster=True, chart_cache=charts.ChartCache(tmp_path / "here"))

    cache = charts.ChartCache(tmp_path / "there")
    job = ChartProcess()
    with monkeypatch.context() as patched:
        # every SVG and PNG must come from the child (its vl-convert is not patched)
        patched.setattr(charts.vlc, "vegalite_to_svg", _refuse)
        patched.setattr(charts.vlc, "svg_to_png", _refuse)
        there = collect(county_pack, raster=True, chart_cache=cache, drawer=job)
    job.close()
    assert there.charts and {k: (c.svg, c.png) for k, c in there.charts.items()} == {
        k: (c.svg, c.png) for k, c in here.charts.items()
    }
    # the child's PNGs were kept, as this process keeps those it draws
    assert sorted(p.name for p in (tmp_path / "there").iterdir()) == sorted(
        p.name for p in (tmp_path / "here").iterdir()
    )


def test_a_chart_process_that_cannot_draw_leaves_the_drawing_to_this_process() -> None:
    design = charts.trend_chart("Cases", MONTHS, [1, 2, 3, 4, 5, 6], [None] * 6, "count")
    expected = charts.to_svgs({"a": design})["a"]
    job = ChartProcess()
    job.close()  # stopped before it was given anything: as if it had died
    assert charts.to_svgs({"a": design}, drawer=job)["a"] == expected

    broken = ChartProcess()
    assert broken._child is not None
    broken._child.kill()  # dies while the parent works
    broken._child.wait()
    assert charts.to_svgs({"a": design}, drawer=broken, png_scale=2.0)["a"] == expected
    broken.close()


def test_a_chart_process_given_nothing_stops_when_closed() -> None:
    job = ChartProcess()
    child = job._child
    assert child is not None
    job.close()
    assert child.poll() is not None and job._child is None
