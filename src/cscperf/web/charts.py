"""The indicator page's charts: the pack's chart designs made into accessible inline SVG.

Owns only the web side: which series each chart shows (13 months with the target, the whole
series, the localities against the county) and the SVG attributes that tie each picture to its
text description (``role="img"`` and ``aria-labelledby`` on the description shown below it).
The designs, the rendering and the sentences come from :mod:`cscperf.reports.charts`.
"""

from __future__ import annotations

from cscperf.reports import charts
from cscperf.web.views import IndicatorPage

# the whole series is drawn only when it adds months to the 13-month chart
LONGER_THAN = 13


def labelled_svg(svg: str, description_id: str) -> str:
    """The SVG with an image role whose accessible name is the description's text."""
    if not svg.lstrip().startswith("<svg"):
        return svg
    head, rest = svg.split("<svg", 1)
    return f'{head}<svg role="img" aria-labelledby="{description_id}" focusable="false"{rest}'


def chart_set(page: IndicatorPage) -> dict[str, str]:
    """SVG and description for each chart the page has: ``trend``, ``series``, ``localities``."""
    title = page.definition.title
    unit = page.current["unit"]
    out: dict[str, str] = {}
    months = [p.period_end for p in page.history]
    values = [p.value for p in page.history]
    targets = [p.target for p in page.history]
    out["trend_text"] = charts.trend_alt_text(title, months, values, targets, unit)
    out["trend_svg"] = labelled_svg(
        charts.to_svg(charts.trend_chart(title, months, values, targets, unit)), "trend-text"
    )
    if len(page.series) > LONGER_THAN:
        s_months = [p.period_end for p in page.series]
        s_values = [p.value for p in page.series]
        none = [None] * len(s_months)
        out["series_text"] = charts.trend_alt_text(title, s_months, s_values, none, unit)
        out["series_svg"] = labelled_svg(
            charts.to_svg(charts.trend_chart(title, s_months, s_values, none, unit)),
            "series-text",
        )
    if page.locality_values:
        county = page.county_raw
        out["localities_text"] = charts.locality_alt_text(title, page.locality_values, county, unit)
        out["localities_svg"] = labelled_svg(
            charts.to_svg(charts.locality_chart(title, page.locality_values, county)),
            "localities-text",
        )
    return out
