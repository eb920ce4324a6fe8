"""The pack as one HTML file (also the source of the PDF): sections rendered with Jinja.

Owns turning a :class:`~cscperf.reports.pack.Pack` into HTML: collecting the section rows,
drawing every chart once (SVG embedded as an image with its alternative text), and filling
the template ``templates/pack.html.j2`` with the print stylesheet ``templates/pack.css``.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from cscperf import __version__
from cscperf.evaluate.rules import small_number_label
from cscperf.evaluate.targets import financial_year_of
from cscperf.indicators.framework import framework_settings
from cscperf.reports import charts, outline, sections
from cscperf.reports.chart_process import ChartProcess
from cscperf.reports.executive import Executive, executive
from cscperf.reports.finance_section import FinanceSection, pack_finance, planned_charts
from cscperf.reports.forecast_section import ForecastSection, forecast_section
from cscperf.reports.layout import format_term, format_value, load_layout
from cscperf.reports.pack import Pack
from cscperf.reports.pdf import PRINT_SCHEME
from cscperf.reports.pool_section import PoolSection, pool_section
from cscperf.reports.risk_section import RiskSection, pack_risks

TEMPLATES = Path(__file__).with_name("templates")
# a county count is the localities' sum (and more): drawn beside them it flattens every bar
COUNTY_IS_A_SUM = frozenset({"count"})


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    svg: str
    alt: str
    png: bytes | None = None  # the same chart rasterised, for the PDF
    with_county: bool = True  # a locality chart draws the county as a dashed line
    #: the name the printed HTML gives the PNG (by what the chart shows, known before it is
    #: drawn), when the chart is rasterised for the PDF
    print_name: str = ""

    @property
    def src(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()

    @property
    def print_src(self) -> str:
        """The picture the PDF shows: the PNG when the chart is rasterised (by a name that
        :func:`~cscperf.reports.pdf.write_pdf` is given the picture under, see
        :func:`print_images`), else the SVG."""
        return self.print_name or self.src


def print_name(spec: dict[str, Any]) -> str:
    """The name the printed HTML gives a chart's PNG: from its specification (known before
    the chart is drawn, and no hash of the picture's bytes to work out)."""
    return f"{PRINT_SCHEME}{charts.svg_key(spec).removesuffix('.svg')}.png"


def print_images(content: PackContent) -> dict[str, bytes]:
    """The PNG of every chart by the name the printed HTML gives it."""
    return {
        c.print_name: c.png for c in content.charts.values() if c.print_name and c.png is not None
    }


def _fraction(cell: sections.Cell) -> str:
    if cell.numerator is None or cell.denominator is None:
        return ""
    return f"{format_term(cell.numerator)} / {format_term(cell.denominator)}"


@dataclass(frozen=True)
class _Planned:
    """A chart to draw: its design (Altair) and what is said about it."""

    title: str
    unit: str
    design: Any
    alt: str
    with_county: bool = True


def _plan_trend(series: sections.TrendSeries) -> _Planned:
    args = (series.title, series.months, series.values, series.targets, series.unit)
    # the title is the figure's caption: inside the chart a long one would widen the picture
    # and so shrink everything in it
    design = charts.trend_chart("", *args[1:])
    alt = charts.trend_alt_text(*args)
    return _Planned(series.title, series.unit, design, alt)


@dataclass
class PackContent:
    """Every section's rows and every chart: what both the HTML and the workbook show."""

    pack: Pack
    summary: list[sections.SummaryRow]
    vital: list[sections.VitalSign]
    topics: list[sections.Topic]
    cards: list[sections.ReportCard]
    framework: list[sections.FrameworkRow]
    bench: list[sections.BenchmarkRow]
    quality: list[dict[str, str]]
    definitions: list[dict[str, str]]
    charts: dict[str, Chart]
    risks: RiskSection | None = None
    executive: Executive | None = None
    finance: FinanceSection | None = None

    @property
    def shown(self) -> list[outline.Shown]:
        return outline.shown_sections(self)

    @property
    def omitted(self) -> list[outline.Omission]:
        return outline.omissions(self)

    forecast: ForecastSection | None = None
    pool: PoolSection | None = None
    #: the Vega-Lite specifications of the charts planned and not yet drawn
    #: (:func:`draw_planned` draws them)
    specs: dict[str, dict[str, Any]] = field(default_factory=dict)


def plan_charts(topics: list[sections.Topic], cards: list[sections.ReportCard]) -> dict[str, Any]:
    """Every chart of the pack, keyed as the template looks them up (``locality:AREA``,
    ``card:REF``): topic pages show their trends as sparklines, drawn without a chart engine."""
    planned: dict[str, _Planned] = {}
    for topic in topics:
        if topic.locality_ref and topic.has_figures:
            row = next(r for r in topic.indicators if r["indicator_id"] == topic.locality_ref)
            title, unit = str(row["title"]), row["unit"]
            county = None if unit in COUNTY_IS_A_SUM else row["value"]
            planned[f"locality:{topic.area_id}"] = _Planned(
                title,
                unit,
                charts.locality_chart(title, topic.localities, county),
                charts.locality_alt_text(title, topic.localities, county, unit),
                with_county=county is not None,
            )
    for card in cards:
        planned[f"card:{card.ref}"] = _plan_trend(card.series)
    return planned


def draw_planned(
    content: PackContent,
    *,
    raster: bool = True,
    on_chart: Any = None,
    cache: charts.ChartCache | None = None,
    drawer: ChartProcess | None = None,
) -> None:
    """Draw the content's planned charts in one batch (identical designs once, those in
    ``cache`` not at all, the rest by ``drawer`` when given); with ``raster`` each also gets
    a PNG for the PDF."""
    if not content.specs:
        return
    scale = charts.PNG_SCALE if raster else None
    svgs = charts.specs_to_svgs(content.specs, on_chart, cache, drawer=drawer, png_scale=scale)
    pngs = charts.to_pngs(svgs, cache=cache) if raster else {}
    content.charts = {
        k: replace(c, svg=svgs[k], png=pngs.get(k)) for k, c in content.charts.items()
    }
    content.specs = {}


def collect(
    pack: Pack,
    *,
    draw: bool = True,
    on_chart: Any = None,
    raster: bool = False,
    chart_cache: charts.ChartCache | None = None,
    drawer: ChartProcess | None = None,
) -> PackContent:
    """The section rows and (when ``draw``) the charts of a pack; ``raster`` adds a PNG of
    each chart for the PDF; charts drawn before are taken from ``chart_cache``, the rest
    drawn by ``drawer`` when given."""
    content = plan(pack, charted=draw, raster=raster)
    draw_planned(content, raster=raster, on_chart=on_chart, cache=chart_cache, drawer=drawer)
    return content


def plan(pack: Pack, *, charted: bool = True, raster: bool = False) -> PackContent:
    """The section rows of a pack and (when ``charted``) its charts planned but not drawn
    (:func:`draw_planned` draws them): enough for the printed HTML (``raster``: the charts as
    PNGs named by :func:`print_name`), not for the screen's, which shows the drawn SVG."""
    summary = sections.summary(pack)
    topics = sections.topics(pack, summary)
    cards = sections.report_cards(pack)
    finance = pack_finance(pack)
    planned = {**plan_charts(topics, cards), **planned_charts(finance)} if charted else {}
    forecast = forecast_section(pack.forecast) if pack.forecast is not None else None
    if forecast is not None and charted:
        planned["forecast"] = _Planned(
            "Children looked after by placement type: projection",
            "children",
            forecast.design,
            forecast.alt,
        )
    specs = {k: charts.vega_lite(p.design) for k, p in planned.items()}
    shown = {
        k: Chart(
            p.title, p.unit, "", p.alt, None, p.with_county, print_name(specs[k]) if raster else ""
        )
        for k, p in planned.items()
    }
    return PackContent(
        pack=pack,
        summary=summary,
        vital=sections.vital_signs(pack),
        topics=topics,
        cards=cards,
        framework=sections.framework(pack),
        bench=sections.benchmarking(pack),
        quality=sections.quality_summary(pack),
        definitions=sections.definition_rows(pack),
        charts=shown,
        risks=pack_risks(pack),
        executive=executive(pack),
        finance=finance,
        forecast=forecast,
        pool=pool_section(pack.pool, pack.period_end, pack.definitions),
        specs=specs,
    )


def pack_title(pack: Pack) -> str:
    p = pack.provenance
    return f"{p.council} – Children's Services performance – {p.scope} – {p.period_label}"


@functools.cache
def _templates() -> jinja2.Environment:
    """The pack's templates, compiled once per process (about 0.1 s of CPU each time: a pack
    renders its HTML twice, for the screen and for print); a template file changed since is
    compiled again (Jinja checks its time when it is used)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_html(
    content: PackContent, produced: date | None = None, *, for_print: bool = False
) -> str:
    """The pack's HTML; ``for_print`` shows the rasterised charts (the PDF's source)."""
    env = _templates()
    pack = content.pack
    scopes = ["County", *pack.localities]
    return env.get_template("pack.html.j2").render(
        title=pack_title(pack),
        css=(TEMPLATES / "pack.css").read_text(encoding="utf-8"),
        p=pack.provenance,
        p_targets=pack.targets is not None,
        L=load_layout(),
        fmt=format_value,
        fraction=_fraction,
        months=pack.months,
        scopes=scopes,
        fy=financial_year_of(pack.period_end),
        produced=(produced or date.today()).isoformat(),
        version=__version__,
        missing="Not yet written.",
        summary=content.summary,
        summary_areas=sections.summary_by_area(content.summary),
        vital=content.vital,
        executive=content.executive,
        shown=content.shown,
        omitted=content.omitted,
        topics=content.topics,
        cards=content.cards,
        framework=content.framework,
        bench=content.bench,
        published_by=sections.published_by(pack) or "no published figures",
        small_label=small_number_label(framework_settings().small_number_below).capitalize(),
        small_below=framework_settings().small_number_below,
        quality=content.quality,
        definitions=content.definitions,
        risks=content.risks,
        finance=content.finance,
        forecast=content.forecast,
        forecast_note=content.pack.forecast_note,
        pool=content.pool,
        charts=content.charts,
        img=(lambda c: c.print_src) if for_print else (lambda c: c.src),
    )
