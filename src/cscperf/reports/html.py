"""The pack as one HTML file (also the source of the PDF): sections rendered with Jinja.

Owns turning a :class:`~cscperf.reports.pack.Pack` into HTML: collecting the section rows,
drawing every chart once (SVG embedded as an image with its alternative text), and filling
the template ``templates/pack.html.j2`` with the print stylesheet ``templates/pack.css``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cscperf import __version__
from cscperf.evaluate.targets import financial_year_of
from cscperf.reports import charts, sections
from cscperf.reports.layout import format_value, load_layout
from cscperf.reports.pack import Pack

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    svg: str
    alt: str

    @property
    def src(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def _fraction(cell: sections.Cell) -> str:
    if cell.numerator is None or cell.denominator is None:
        return ""
    return f"{cell.numerator:,.0f} / {cell.denominator:,.0f}"


def _trend(series: sections.TrendSeries) -> Chart:
    chart = charts.trend_chart(
        series.title, series.months, series.values, series.targets, series.unit
    )
    alt = charts.trend_alt_text(
        series.title, series.months, series.values, series.targets, series.unit
    )
    return Chart(series.title, series.unit, charts.to_svg(chart), alt)


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


def collect(pack: Pack, *, draw: bool = True, on_chart: Any = None) -> PackContent:
    """The section rows and (when ``draw``) the charts of a pack."""
    topics = sections.topics(pack)
    cards = sections.report_cards(pack)
    drawn: dict[str, Chart] = {}
    if draw:
        for topic in topics:
            for series in topic.series:
                drawn[series.ref] = _trend(series)
                if on_chart:
                    on_chart()
            if topic.locality_ref:
                county = next(
                    r["value"] for r in topic.indicators if r["indicator_id"] == topic.locality_ref
                )
                row = next(r for r in topic.indicators if r["indicator_id"] == topic.locality_ref)
                title = str(row["title"])
                drawn[f"locality:{topic.area_id}"] = Chart(
                    title,
                    row["unit"],
                    charts.to_svg(charts.locality_chart(title, topic.localities, county)),
                    charts.locality_alt_text(title, topic.localities, county, row["unit"]),
                )
        for card in cards:
            drawn[f"card:{card.ref}"] = drawn.get(card.ref) or _trend(card.series)
    return PackContent(
        pack=pack,
        summary=sections.summary(pack),
        vital=sections.vital_signs(pack),
        topics=topics,
        cards=cards,
        framework=sections.framework(pack),
        bench=sections.benchmarking(pack),
        quality=sections.quality_summary(pack),
        definitions=sections.definition_rows(pack),
        charts=drawn,
    )


def pack_title(pack: Pack) -> str:
    p = pack.provenance
    return f"{p.council} – Children's Services performance – {p.scope} – {p.period_label}"


def render_html(content: PackContent, produced: date | None = None) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    pack = content.pack
    scopes = ["County", *pack.localities]
    return env.get_template("pack.html.j2").render(
        title=pack_title(pack),
        css=(TEMPLATES / "pack.css").read_text(encoding="utf-8"),
        p=pack.provenance,
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
        vital=content.vital,
        topics=content.topics,
        cards=content.cards,
        framework=content.framework,
        bench=content.bench,
        quality=content.quality,
        definitions=content.definitions,
        charts=content.charts,
    )


def write_pdf(html: str, path: Path, title: str) -> None:
    """The PDF from the same HTML: tagged PDF/UA-1, language and title set."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES))
    document.write_pdf(str(path), pdf_variant="pdf/ua-1", uncompressed_pdf=False)
