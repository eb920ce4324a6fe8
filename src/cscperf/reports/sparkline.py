"""Sparklines: a small line of an indicator's 13 months, drawn as SVG by hand.

Owns the picture and its sentence. A sparkline is small enough to sit in a table row (the
executive summary's vital signs, every topic table), needs no chart engine, and shows only
the shape of the trend: the table beside it gives the figures. The last month's point takes
the colour of its RAG rating; a target, when there is one, is a dashed line.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date

from cscperf.reports.layout import format_value, load_layout

WIDTH = 120
HEIGHT = 28
PAD = 3
LINE = "#1d70b8"
TARGET = "#b10e1e"


def _scale(values: Sequence[float], low: float, high: float, size: float) -> list[float]:
    span = high - low or 1.0
    return [PAD + (size - 2 * PAD) * (v - low) / span for v in values]


def sparkline_svg(
    values: Sequence[float | None], target: float | None = None, rag: str | None = None
) -> str:
    """The sparkline of ``values`` (oldest first; a missing month is a gap in the line)."""
    known = [v for v in values if v is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">'
    ]
    if known:
        low = min([*known, *([target] if target is not None else [])])
        high = max([*known, *([target] if target is not None else [])])
        step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
        ys = _scale([v if v is not None else low for v in values], low, high, HEIGHT)
        points = [(PAD + i * step, HEIGHT - y) for i, y in enumerate(ys)]
        if target is not None:
            ty = HEIGHT - _scale([target], low, high, HEIGHT)[0]
            parts.append(
                f'<line x1="{PAD}" y1="{ty:.1f}" x2="{WIDTH - PAD}" y2="{ty:.1f}" '
                f'stroke="{TARGET}" stroke-width="1" stroke-dasharray="3,2"/>'
            )
        for run in _runs(points, values):
            if len(run) == 1:
                x, y = run[0]
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.2" fill="{LINE}"/>')
            else:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="1.5"/>'
                )
        last = len(values) - 1
        if values[last] is not None:
            x, y = points[last]
            colour = load_layout().rag_mark(rag).colour if rag else LINE
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _runs(
    points: list[tuple[float, float]], values: Sequence[float | None]
) -> list[list[tuple[float, float]]]:
    """The points split where a month has no value."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point, value in zip(points, values, strict=True):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(point)
    return [r for r in runs if r]


def sparkline_src(
    values: Sequence[float | None], target: float | None = None, rag: str | None = None
) -> str:
    """The sparkline as a data URL for an ``<img>`` (which carries the alternative text)."""
    svg = sparkline_svg(values, target, rag)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def sparkline_alt(
    title: str, months: Sequence[date], values: Sequence[float | None], unit: str
) -> str:
    """One sentence: the first and last months with a value, and the lowest and highest."""
    pairs = [(m, v) for m, v in zip(months, values, strict=True) if v is not None]
    if not pairs:
        return f"Trend of {title}: no values in the {len(months)} months."
    (m0, v0), (m1, v1) = pairs[0], pairs[-1]
    low = min(v for _, v in pairs)
    high = max(v for _, v in pairs)
    return (
        f"Trend of {title}: {format_value(v0, unit)} in {m0:%B %Y}, {format_value(v1, unit)} "
        f"in {m1:%B %Y}; lowest {format_value(low, unit)}, highest {format_value(high, unit)}."
    )
