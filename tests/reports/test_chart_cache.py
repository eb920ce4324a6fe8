"""The pack's charts are kept by what they show: a second build with the same figures draws
none again, a changed chart is drawn afresh; the PDF gets every chart's picture."""

from __future__ import annotations

import os
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cscperf.reports import charts, html
from cscperf.reports.html import collect, plan, print_images, render_html
from cscperf.reports.pack import Pack
from cscperf.reports.pdf import PRINT_SCHEME

MONTHS = [date(2025, m, 28) for m in range(1, 7)]


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a chart was drawn although the cache has it")


def test_a_second_build_with_the_same_figures_draws_no_chart(
    county_pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = charts.ChartCache(tmp_path / "charts")
    first = collect(county_pack, raster=True, chart_cache=cache)
    assert first.charts  # the fixture pack has charts to draw
    kept = sorted(p.name for p in (tmp_path / "charts").iterdir())
    # one SVG and one PNG per distinct chart, nothing else (no half-written files)
    distinct = {c.svg for c in first.charts.values()}
    assert len([k for k in kept if k.endswith(".svg")]) == len(distinct)
    assert len([k for k in kept if k.endswith(".png")]) == len(distinct)

    monkeypatch.setattr(charts.vlc, "vegalite_to_svg", _refuse)
    monkeypatch.setattr(charts.vlc, "svg_to_png", _refuse)
    second = collect(county_pack, raster=True, chart_cache=cache)
    assert {k: (c.svg, c.png) for k, c in second.charts.items()} == {
        k: (c.svg, c.png) for k, c in first.charts.items()
    }


def test_a_changed_chart_is_drawn_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = charts.ChartCache(tmp_path)
    before = charts.trend_chart("", MONTHS, [1, 2, 3, 4, 5, 6], [None] * 6, "percent")
    after = charts.trend_chart("", MONTHS, [1, 2, 3, 4, 5, 7], [None] * 6, "percent")
    old = charts.to_svgs({"a": before}, cache=cache)["a"]

    drawn: list[str] = []
    real = charts.vlc.vegalite_to_svg

    def counted(spec: dict[str, Any], **kwargs: Any) -> str:
        drawn.append(spec["data"]["values"][-1]["value"])
        return str(real(spec, **kwargs))

    monkeypatch.setattr(charts.vlc, "vegalite_to_svg", counted)
    new = charts.to_svgs({"a": before, "b": after}, cache=cache)
    assert drawn == [7]  # only the changed month's chart, once
    assert new["a"] == old and new["b"] != old
    # and its picture for the PDF is rasterised afresh too
    pngs = charts.to_pngs(new, cache=cache)
    assert pngs["a"] != pngs["b"]


def test_a_cache_that_cannot_be_written_only_means_drawing_again(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    design = charts.trend_chart("", MONTHS, [1, 2, 3, 4, 5, 6], [None] * 6, "percent")
    svg = charts.to_svgs({"a": design}, cache=charts.ChartCache(blocked))["a"]
    assert svg.lstrip().startswith("<svg")


def test_entries_not_used_for_months_are_removed(tmp_path: Path) -> None:
    cache = charts.ChartCache(tmp_path)
    cache.put("old.svg", b"<svg/>")
    cache.put("new.svg", b"<svg/>")
    long_ago = time.time() - (charts.ChartCache.KEEP_DAYS + 1) * 86400
    os.utime(tmp_path / "old.svg", (long_ago, long_ago))
    cache.prune()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.svg"]
    # reading an entry counts as using it
    os.utime(tmp_path / "new.svg", (long_ago, long_ago))
    assert cache.get("new.svg") == b"<svg/>"
    cache.prune()
    assert [p.name for p in tmp_path.iterdir()] == ["new.svg"]


def test_the_pdf_shows_every_chart_with_its_alternative_text(
    county_pack: Pack, county_files: Path
) -> None:
    from pypdf import PdfReader

    content = collect(county_pack, raster=True)
    reader = PdfReader(county_files / "pack.pdf")
    shown = [image for page in reader.pages for image in page.images]
    assert len(shown) >= len(print_images(content)) > 0

    alts: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif hasattr(node, "get"):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                alts.append(str(node["/Alt"]))
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    for chart in content.charts.values():
        assert chart.alt in alts, chart.title


def test_the_printed_html_is_known_before_the_charts_are_drawn(
    county_pack: Pack, tmp_path: Path
) -> None:
    """The printed HTML names each chart's PNG by what the chart shows, so it is known
    before the charts are drawn, the same HTML as after drawing, and every name it uses has
    its picture once drawn."""
    planned = plan(county_pack, raster=True)
    assert planned.specs and not any(c.png for c in planned.charts.values())
    before = render_html(planned, date(2026, 1, 1), for_print=True)
    drawn = collect(county_pack, raster=True, chart_cache=charts.ChartCache(tmp_path))
    assert not drawn.specs
    assert render_html(drawn, date(2026, 1, 1), for_print=True) == before
    names = set(re.findall(rf'src="({re.escape(PRINT_SCHEME)}[^"]+)"', before))
    assert names and names == set(print_images(drawn))


def test_the_templates_are_compiled_once_per_process(county_pack: Pack) -> None:
    """The screen's and the printed HTML come from one compiled set of templates (about 0.1 s
    of CPU a pack saved)."""
    content = plan(county_pack, raster=True)
    first = html._templates()
    render_html(content, date(2026, 1, 1))
    render_html(content, date(2026, 1, 1), for_print=True)
    assert html._templates() is first
    assert first.cache is not None and any(k[1].endswith("pack.html.j2") for k in first.cache)
