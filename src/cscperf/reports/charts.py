"""Charts for the pack and the web dashboard: Altair specifications, SVG, alternative text.

Owns the chart designs (a 13-month trend with its target line, a locality comparison), their
rendering to SVG offline with ``vl_convert``, and the sentence describing each chart for
people who cannot see it. Every chart is shown beside a table of the same figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import textwrap
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import vl_convert as vlc

from cscperf.reports.chart_process import FONT, VL_VERSION, ChartProcess, svg_of
from cscperf.reports.layout import format_value

TREND_SIZE = (300, 120)
LOCALITY_SIZE = (260, 150)
LINE = "#1d70b8"
TARGET = "#b10e1e"
BAR = "#1d70b8"
COUNTY = "#0b0c0c"


def title_lines(title: str, width: int, font_size: int) -> list[str]:
    """A chart title broken into lines that fit the chart's width (Vega cuts a long title
    off rather than wrapping it); about half the font size per character, and three lines at
    most."""
    per_line = max(20, int(width / (font_size * 0.55)))
    lines = textwrap.wrap(title, per_line)
    if len(lines) > 3:
        lines = [*lines[:2], textwrap.shorten(" ".join(lines[2:]), per_line, placeholder="…")]
    return lines or [""]


def trend_chart(
    title: str,
    months: Sequence[date],
    values: Sequence[float | None],
    targets: Sequence[float | None],
    unit: str,
) -> Any:
    """A line of the monthly values with the target as a dashed red line (when set)."""
    # Altair takes about as long to import as Ibis; only drawing needs it, not the commands
    # (evaluate, indicators) that reach this module through the application layer.
    import altair as alt

    data = [
        {"month": f"{m:%Y-%m-15}", "series": "Value", "value": v}
        for m, v in zip(months, values, strict=True)
        if v is not None
    ] + [
        {"month": f"{m:%Y-%m-15}", "series": "Target", "value": t}
        for m, t in zip(months, targets, strict=True)
        if t is not None
    ]
    # The legend names only what is drawn: no "Target" key for an indicator without one.
    series = ["Value", "Target"] if any(t is not None for t in targets) else ["Value"]
    base = alt.Chart(alt.Data(values=data)).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0, tickCount=6)),
        y=alt.Y("value:Q", title=unit.replace("_", " "), scale=alt.Scale(zero=False)),
        color=alt.Color(
            "series:N",
            scale=alt.Scale(domain=series, range=[LINE, TARGET][: len(series)]),
            legend=alt.Legend(title=None, orient="top"),
        ),
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=series, range=[[1, 0], [6, 3]][: len(series)]),
            legend=None,
        ),
    )
    chart = base.mark_line(point=True, strokeWidth=2)
    return chart.properties(
        title=alt.TitleParams(title_lines(title, TREND_SIZE[0], 11), fontSize=11, anchor="start"),
        width=TREND_SIZE[0],
        height=TREND_SIZE[1],
    )


def locality_chart(title: str, localities: Mapping[str, float | None], county: float | None) -> Any:
    """Bars per locality with the county value as a rule."""
    # Imported here for the same reason as in trend_chart: drawing alone needs Altair.
    import altair as alt

    data = [{"locality": k, "value": v} for k, v in localities.items() if v is not None]
    bars = (
        alt.Chart(alt.Data(values=data))
        .mark_bar(color=BAR)
        .encode(
            y=alt.Y("locality:N", title=None, sort=None, axis=alt.Axis(labelLimit=160)),
            x=alt.X("value:Q", title=None),
        )
    )
    layers = [bars]
    if county is not None:
        layers.append(
            alt.Chart(alt.Data(values=[{"county": county}]))
            .mark_rule(color=COUNTY, strokeDash=[4, 2], strokeWidth=2)
            .encode(x="county:Q")
        )
    return alt.layer(*layers).properties(
        title=alt.TitleParams(
            title_lines(title, LOCALITY_SIZE[0], 10), fontSize=10, anchor="start"
        ),
        width=LOCALITY_SIZE[0],
        height=LOCALITY_SIZE[1],
    )


def vega_lite(chart: Any) -> dict[str, Any]:
    """An Altair design as the Vega-Lite specification that is drawn (and keyed in the
    cache: :func:`svg_key`)."""
    spec: dict[str, Any] = (
        chart.configure(font=FONT)
        .properties(padding={"left": 12, "right": 8, "top": 4, "bottom": 4})
        .to_dict()
    )
    return spec


def to_svg(chart: Any) -> str:
    """The chart as inline SVG (no XML declaration), rendered offline."""
    return svg_of(vega_lite(chart))


@dataclass(frozen=True)
class ChartCache:
    """Drawn charts kept in a folder, each under a hash of what it was drawn from: an SVG
    under its Vega-Lite specification (with the Vega-Lite and renderer versions), a PNG under
    its SVG and scale. A pack rebuilt from the same figures (after commentary is signed off,
    say) draws no chart again; a changed figure, title or design is a new specification and so
    a new picture. Nothing is ever looked up by anything but its content, so an entry cannot
    go stale; entries not used for :data:`KEEP_DAYS` days are removed."""

    folder: Path

    KEEP_DAYS = 90

    def get(self, key: str) -> bytes | None:
        path = self.folder / key
        try:
            data = path.read_bytes()
            os.utime(path)  # used: kept for another KEEP_DAYS days
        except OSError:
            return None
        return data

    def put(self, key: str, data: bytes) -> None:
        """Keep ``data``; a folder that cannot be written (a read-only store) only means the
        chart is drawn again next time."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            part = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}.part"
            part.write_bytes(data)
            os.replace(part, self.folder / key)
        except OSError:
            return

    def prune(self, now: float | None = None) -> None:
        """Remove the entries not used for :data:`KEEP_DAYS` days."""
        cutoff = (now or time.time()) - self.KEEP_DAYS * 86400
        try:
            for path in self.folder.iterdir():
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
        except OSError:
            return


def _hashed(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


#: the renderer's version: a new one may draw the same specification differently
RENDERER = str(getattr(vlc, "__version__", "unknown"))


def svg_key(spec: dict[str, Any]) -> str:
    """The cache key of a specification's SVG: what it shows, and what draws it."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return _hashed("svg", VL_VERSION, RENDERER, text) + ".svg"


def png_key(svg: str, scale: float) -> str:
    return _hashed("png", RENDERER, f"{scale:g}", svg) + ".png"


def _cached(
    keys: Sequence[str],
    draw: Callable[[list[str]], Mapping[str, bytes]],
    cache: ChartCache | None,
) -> dict[str, bytes]:
    """Each key's picture: from the cache when kept there, else drawn (all missing ones in
    one call of ``draw``) and kept."""
    found = {k: cache.get(k) for k in keys} if cache else {}
    missing = [k for k in dict.fromkeys(keys) if found.get(k) is None]
    if missing:
        for key, data in draw(missing).items():
            found[key] = data
            if cache:
                cache.put(key, data)
    return {k: v for k, v in found.items() if v is not None}


def to_svgs(
    charts: Mapping[str, Any],
    on_done: Any = None,
    cache: ChartCache | None = None,
    drawer: ChartProcess | None = None,
    png_scale: float | None = None,
) -> dict[str, str]:
    """Many charts (Altair designs) as SVG, keyed as given: see :func:`specs_to_svgs`."""
    specs = {key: vega_lite(chart) for key, chart in charts.items()}
    return specs_to_svgs(specs, on_done, cache, drawer, png_scale)


def specs_to_svgs(
    specs: Mapping[str, dict[str, Any]],
    on_done: Any = None,
    cache: ChartCache | None = None,
    drawer: ChartProcess | None = None,
    png_scale: float | None = None,
) -> dict[str, str]:
    """Many charts (Vega-Lite specifications) as SVG, keyed as given: identical designs are
    drawn once; with ``cache``, a design drawn before is not drawn again. ``on_done`` is
    called once per key drawn (for a progress bar). With ``drawer`` the missing ones are drawn
    by that process (its chart engine already started), and with ``png_scale`` it also makes
    their PNGs, which are kept in ``cache`` for :func:`to_pngs`; vl-convert holds Python's
    interpreter lock while it draws, so threads here would draw no faster."""
    keys = {key: svg_key(spec) for key, spec in specs.items()}
    by_key = {k: specs[key] for key, k in keys.items()}

    def draw(missing: list[str]) -> dict[str, bytes]:
        batch = drawer.draw({k: by_key[k] for k in missing}, png_scale) if drawer else None
        if batch is None:
            return {k: svg_of(by_key[k]).encode() for k in missing}
        for svg, png in batch.values():
            if png is not None and cache is not None and png_scale is not None:
                cache.put(png_key(svg, png_scale), png)
        return {k: svg.encode() for k, (svg, _) in batch.items()}

    drawn = _cached(list(by_key), draw, cache)
    out: dict[str, str] = {}
    for key, k in keys.items():
        out[key] = drawn[k].decode()
        if on_done:
            on_done()
    return out


PNG_SCALE = 2.0


def to_pngs(
    svgs: Mapping[str, str], scale: float = PNG_SCALE, cache: ChartCache | None = None
) -> dict[str, bytes]:
    """SVG charts rasterised for the PDF: WeasyPrint lays out a picture far faster than it
    draws the SVG's text, and at twice the size the charts print sharply. With ``cache``, a
    picture rasterised before is not rasterised again."""
    keys = {key: png_key(svg, scale) for key, svg in svgs.items()}
    by_key = {k: svgs[key] for key, k in keys.items()}
    drawn = _cached(
        list(by_key),
        lambda missing: {k: bytes(vlc.svg_to_png(by_key[k], scale=scale)) for k in missing},
        cache,
    )
    return {key: drawn[k] for key, k in keys.items()}


def trend_alt_text(
    title: str,
    months: Sequence[date],
    values: Sequence[float | None],
    targets: Sequence[float | None],
    unit: str,
) -> str:
    """One sentence: first and last values, highest and lowest, and the latest target."""
    points = [(m, v) for m, v in zip(months, values, strict=True) if v is not None]
    if not points:
        return f"Line chart of {title}: there are no values for these months."
    (first_m, first_v), (last_m, last_v) = points[0], points[-1]
    high = max(points, key=lambda p: p[1])
    low = min(points, key=lambda p: p[1])
    moved = "rose" if last_v > first_v else "fell" if last_v < first_v else "was unchanged"
    text = (
        f"Line chart of {title}: {moved} from {format_value(first_v, unit)} in "
        f"{first_m:%B %Y} to {format_value(last_v, unit)} in {last_m:%B %Y}; highest "
        f"{format_value(high[1], unit)} ({high[0]:%B %Y}), lowest "
        f"{format_value(low[1], unit)} ({low[0]:%B %Y})"
    )
    latest_target = next((t for t in reversed(targets) if t is not None), None)
    if latest_target is not None:
        text += f"; target {format_value(latest_target, unit)}"
    return text + "."


def locality_alt_text(
    title: str, localities: Mapping[str, float | None], county: float | None, unit: str
) -> str:
    known = {k: v for k, v in localities.items() if v is not None}
    if not known:
        return f"Bar chart of {title} by locality: there are no locality values."
    high = max(known, key=lambda k: known[k])
    low = min(known, key=lambda k: known[k])
    county_text = f"; county {format_value(county, unit)}" if county is not None else ""
    return (
        f"Bar chart of {title} by locality: highest {high} ({format_value(known[high], unit)}), "
        f"lowest {low} ({format_value(known[low], unit)}){county_text}."
    )
