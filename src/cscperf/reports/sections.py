"""The pack's sections as plain rows: what each table and card says, for every writer.

Owns deciding the content of each section from a :class:`~cscperf.reports.pack.Pack`: the
performance summary, the vital-signs dashboard, the topic pages, the report cards, the
quarterly framework, the benchmarking analysis and the appendices. HTML/PDF and Excel both
read these rows, so the three files always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from cscperf.evaluate.targets import QUARTERS
from cscperf.reports.drafts import draft_sentences
from cscperf.reports.layout import format_value, load_layout
from cscperf.reports.pack import Pack, month_back
from cscperf.reports.sparkline import sparkline_alt, sparkline_src


def focus_rows(pack: Pack) -> list[dict[str, Any]]:
    """The evaluated rows of the pack's focus this month, in topic order then catalogue order."""
    layout = load_layout()
    breakdown, value = pack.focus
    order = {ident: n for n, ident in enumerate(pack.definitions)}
    chosen = [
        r
        for r in pack.current.iter_rows(named=True)
        if r["breakdown"] == breakdown
        and r["breakdown_value"] == value
        and r["indicator_id"] in pack.definitions
    ]
    return sorted(
        chosen,
        key=lambda r: (
            layout.area_order(pack.definitions[r["indicator_id"]].area),
            order[r["indicator_id"]],
        ),
    )


def monthly_values(pack: Pack, indicator_id: str) -> dict[date, dict[str, Any]]:
    """Month end -> evaluated row of the focus, over the 13 months."""
    return pack.history_by_indicator.get(indicator_id, {})


@dataclass
class SummaryRow:
    area: str
    ref: str
    title: str
    unit: str
    good_is: str
    data_note: str
    last_months: list[float | None]
    value: float | None
    ytd: float | None
    target: float | None
    direction: str
    rag: dict[str, str]  # scope (County or locality) -> rag
    tolerances: str
    prev_ytd: float | None
    sn_average: float | None
    sn_best: float | None
    england: float | None
    top_quartile: float | None
    region: float | None
    bm_year: int | None
    reason: str | None = None  # why there is no value this month, when there is none
    bm_basis: str = ""  # the comparison basis and publication year, e.g. "31 March 2025 snapshot"
    bm_own: float | None = None  # our figure on the published figure's basis
    small_number: bool = False  # the value rests on fewer than the threshold: not rated
    # public packs: which of last_months (and the YTD) are suppressed, shown as [c]
    suppressed_months: list[bool] = field(default_factory=list)
    ytd_suppressed: bool = False
    prev_ytd_suppressed: bool = False

    @property
    def not_available(self) -> bool:
        return self.value is None and bool(self.reason)


NOT_IN_BUILD = {
    "imported": "the figure is imported, and this build was given none for this month",
    "computed": "this build has no result for this month",
}


def missing_reasons(pack: Pack) -> dict[str, str]:
    """Why the focus has no value this month, by indicator: the engine's reason where it gave
    one, else (an indicator with no row at all) what its kind says."""
    breakdown, value = pack.focus
    month = pack.rows.filter(
        pl.col("period_end") == pack.period_end,
        pl.col("breakdown") == breakdown,
        pl.col("breakdown_value") == value,
    )
    out: dict[str, str] = {}
    missing = month.filter(pl.col("value").is_null())
    if "suppressed" in month.columns:  # a public pack: a suppressed value is not missing
        missing = missing.filter(pl.col("suppressed").is_null())
    if "reason" in month.columns:
        for r in missing.iter_rows(named=True):
            out[r["indicator_id"]] = r["reason"] or "no value could be worked out"
    present = set(month["indicator_id"])
    county = set(
        pack.rows.filter(pl.col("period_end") == pack.period_end, pl.col("breakdown") == "all")[
            "indicator_id"
        ]
    )
    for ident, d in pack.definitions.items():
        if ident in present:
            continue
        if breakdown == "locality" and ident in county:
            out[ident] = "this indicator is not worked out by locality"
        elif "all" not in d.breakdowns:
            # e.g. shares of contacts by source: one figure per source, none for everyone
            parts = " and ".join(b.replace("_", " ") for b in d.breakdowns)
            out[ident] = f"this indicator is given by {parts} only, not as one overall figure"
        else:
            kind = str(getattr(d, "kind", "computed"))
            out[ident] = NOT_IN_BUILD.get(kind, NOT_IN_BUILD["computed"])
            latest = _latest_figure(pack, ident)
            if kind == "imported" and latest is not None:
                out[ident] = (
                    f"the figure is given for a quarter or a year at a time; the latest, for "
                    f"{latest[0]:%B %Y}, is {format_value(latest[1], d.unit)}"
                )
    return out


def _latest_figure(pack: Pack, ident: str) -> tuple[date, float] | None:
    """The latest month before the pack's with a figure of the focus, and the figure."""
    breakdown, value = pack.focus
    found = pack.rows.filter(
        pl.col("indicator_id") == ident,
        pl.col("breakdown") == breakdown,
        pl.col("breakdown_value") == value,
        pl.col("period_end") < pack.period_end,
        pl.col("value").is_not_null(),
    ).sort("period_end")
    if found.is_empty():
        return None
    return found["period_end"][-1], float(found["value"][-1])


def _unavailable_row(pack: Pack, ident: str, reason: str) -> SummaryRow:
    """A summary row for an indicator with no result this month: it says why."""
    layout = load_layout()
    d = pack.definitions[ident]
    unit_fmt = layout.units.get(d.unit)
    note = f"{unit_fmt.note if unit_fmt else d.unit}, {layout.bases.get(d.basis, d.basis)}"
    return SummaryRow(
        area=layout.area_title(d.area),
        ref=ident,
        title=d.title,
        unit=d.unit,
        good_is=layout.polarities.get(d.polarity, d.polarity),
        data_note=note.lower().capitalize(),
        last_months=[None] * 4,
        value=None,
        ytd=None,
        target=None,
        direction="not comparable",
        rag={},
        tolerances="",
        prev_ytd=None,
        sn_average=None,
        sn_best=None,
        england=None,
        top_quartile=None,
        region=None,
        bm_year=None,
        reason=reason,
    )


def summary(pack: Pack) -> list[SummaryRow]:
    """The performance summary table, in the seed's layout: every catalogue indicator, those
    without a result this month saying why."""
    layout = load_layout()
    by_key = pack.current_by_key
    last_four = pack.months[-4:]
    reasons = missing_reasons(pack)
    out = []
    for row in focus_rows(pack):
        ident = row["indicator_id"]
        d = pack.definitions[ident]
        history = monthly_values(pack, ident)
        rag = {"County": (by_key.get((ident, "all", "all")) or {}).get("rag") or "none"}
        for loc in pack.localities:
            rag[loc] = (by_key.get((ident, "locality", loc)) or {}).get("rag") or "none"
        unit_fmt = layout.units.get(d.unit)
        note = f"{unit_fmt.note if unit_fmt else d.unit}, {layout.bases.get(d.basis, d.basis)}"
        county = by_key.get((ident, "all", "all")) or row
        out.append(
            SummaryRow(
                area=layout.area_title(d.area),
                ref=ident,
                title=d.title,
                unit=d.unit,
                good_is=layout.polarities.get(d.polarity, d.polarity),
                data_note=note.lower().capitalize(),
                last_months=[(history.get(m) or {}).get("value") for m in last_four],
                value=row["value"],
                ytd=row["ytd_value"],
                target=row["target"],
                direction=row["dot_month"] if d.polarity != "info" else "not comparable",
                rag=rag,
                tolerances=row["thresholds"] or "",
                prev_ytd=row["prev_ytd_value"],
                # a count beside England's or a neighbour's count says only how big each
                # council is: the summary compares rates, percentages and days, not counts
                sn_average=county["bm_sn"] if d.unit != "count" else None,
                sn_best=county["bm_sn_best"] if d.unit != "count" else None,
                england=county["bm_england"] if d.unit != "count" else None,
                top_quartile=county["bm_top_quartile"] if d.unit != "count" else None,
                region=county["bm_region"] if d.unit != "count" else None,
                bm_year=county["bm_year"],
                reason=reasons.get(ident) if row["value"] is None else None,
                bm_basis=county.get("bm_basis") or "",
                bm_own=county.get("bm_own_value"),
                small_number=bool(row.get("small_number")),
                suppressed_months=[
                    bool((history.get(m) or {}).get("suppressed")) for m in last_four
                ],
                ytd_suppressed=pack.provenance.audience == "public"
                and bool(row.get("ytd_small_number")),
                prev_ytd_suppressed=pack.provenance.audience == "public"
                and bool(row.get("prev_ytd_small_number")),
            )
        )
    shown = {r.ref for r in out}
    out += [_unavailable_row(pack, i, why) for i, why in reasons.items() if i not in shown]
    order = {ident: n for n, ident in enumerate(pack.definitions)}
    areas = {ident: layout.area_order(d.area) for ident, d in pack.definitions.items()}
    return sorted(out, key=lambda r: (areas[r.ref], order[r.ref]))


def summary_by_area(rows: list[SummaryRow]) -> list[tuple[str, list[SummaryRow]]]:
    """The summary split into its areas (in order), one table each."""
    out: list[tuple[str, list[SummaryRow]]] = []
    for r in rows:
        if not out or out[-1][0] != r.area:
            out.append((r.area, []))
        out[-1][1].append(r)
    return out


@dataclass
class Cell:
    value: float | None
    numerator: float | None
    denominator: float | None
    rag: str
    suppressed: bool = False  # public packs: shown as [c]


@dataclass
class VitalSign:
    ref: str
    title: str
    unit: str
    good_is: str
    target: float | None
    cells: list[Cell]


def vital_sign_ids(pack: Pack) -> list[str]:
    """The configured vital signs (the targets file's list), else none."""
    wanted = list(pack.targets.vital_signs) if pack.targets else []
    return [i for i in wanted if i in pack.definitions]


def vital_signs(pack: Pack) -> list[VitalSign]:
    layout = load_layout()
    current = {r["indicator_id"]: r for r in focus_rows(pack)}
    out = []
    for ident in vital_sign_ids(pack):
        d = pack.definitions[ident]
        history = monthly_values(pack, ident)
        cells = []
        for month in pack.months:
            r = history.get(month) or {}
            cells.append(
                Cell(
                    r.get("value"),
                    r.get("numerator"),
                    r.get("denominator"),
                    r.get("rag") or "none",
                    bool(r.get("suppressed")),
                )
            )
        out.append(
            VitalSign(
                ref=ident,
                title=d.title,
                unit=d.unit,
                good_is=layout.polarities.get(d.polarity, d.polarity),
                target=(current.get(ident) or {}).get("target"),
                cells=cells,
            )
        )
    return out


@dataclass
class TrendSeries:
    ref: str
    title: str
    unit: str
    polarity: str
    months: list[date]
    values: list[float | None]
    targets: list[float | None]
    # public packs: which months are suppressed, shown as [c] in tables (gaps in charts)
    suppressed: list[bool] = field(default_factory=list)


@dataclass
class Topic:
    area_id: str
    title: str
    indicators: list[dict[str, Any]]  # evaluated focus rows
    definitions: list[tuple[str, str, str]]  # ref, title, definition
    analysis: str | None
    series: list[TrendSeries]
    localities: dict[str, float | None] = field(default_factory=dict)
    locality_ref: str | None = None
    benchmarks: list[SummaryRow] = field(default_factory=list)
    unavailable: list[tuple[str, str, str]] = field(default_factory=list)  # ref, title, why
    # automatic sentences about the headline indicator, shown when no analysis is written
    draft: list[str] = field(default_factory=list)
    draft_about: str = ""
    sparks: dict[str, tuple[str, str]] = field(default_factory=dict)  # ref -> (src, alt)
    breakdowns: list[BreakdownTable] = field(default_factory=list)
    # the written analysis is not signed off yet (draft, submitted, returned): marked so
    analysis_status: str | None = None

    @property
    def has_figures(self) -> bool:
        """Whether any indicator of the topic has a figure in the 13 months."""
        return bool(self.series)

    def definition_of(self, ref: str) -> str:
        return next((text for r, _, text in self.definitions if r == ref), "")


@dataclass
class BreakdownTable:
    """One topic's figures split another way (contacts by source, caseloads by team type):
    a row per group, a column per indicator this month, and the 13 months of the first."""

    title: str
    group_label: str
    columns: list[tuple[str, str]]  # indicator title, unit
    rows: list[tuple[str, list[float | None], str, str]]  # group, values, spark src, alt
    # public packs: (group, indicator title) of this month's suppressed cells, shown as [c]
    suppressed: set[tuple[str, str]] = field(default_factory=set)


def breakdown_tables(pack: Pack, area: str) -> list[BreakdownTable]:
    """The layout's breakdown tables of ``area`` that the build has figures for (county packs
    only: the groups are not split by locality)."""
    layout = load_layout()
    if pack.provenance.locality:
        return []
    out = []
    for spec in layout.breakdown_tables:
        if spec.area != area:
            continue
        ids = [i for i in spec.indicators if i in pack.definitions]
        rows = pack.rows.filter(
            pl.col("breakdown") == spec.breakdown, pl.col("indicator_id").is_in(ids)
        )
        if rows.is_empty() or not ids:
            continue
        by_key = {
            (r["indicator_id"], r["breakdown_value"], r["period_end"]): r["value"]
            for r in rows.iter_rows(named=True)
        }
        hidden = set()
        if "suppressed" in rows.columns:
            for r in rows.filter(
                pl.col("period_end") == pack.period_end, pl.col("suppressed").is_not_null()
            ).iter_rows(named=True):
                hidden.add(
                    (
                        spec.label(str(r["breakdown_value"])),
                        pack.definitions[r["indicator_id"]].title,
                    )
                )
        groups = sorted({str(g) for g in rows["breakdown_value"].unique()})
        first = ids[0]
        lines = []
        for group in groups:
            values = [by_key.get((i, group, pack.period_end)) for i in ids]
            months = [by_key.get((first, group, m)) for m in pack.months]
            title = f"{pack.definitions[first].title}, {group}"
            lines.append(
                (
                    spec.label(group),
                    values,
                    sparkline_src(months),
                    sparkline_alt(title, pack.months, months, pack.definitions[first].unit),
                )
            )
        if all(v is None for _, values, _, _ in lines for v in values) and not hidden:
            continue
        out.append(
            BreakdownTable(
                title=spec.title,
                group_label=spec.group_label,
                columns=[(pack.definitions[i].title, pack.definitions[i].unit) for i in ids],
                rows=lines,
                suppressed=hidden,
            )
        )
    return out


def trend_series(pack: Pack, row: dict[str, Any]) -> TrendSeries:
    ident = row["indicator_id"]
    history = monthly_values(pack, ident)
    return TrendSeries(
        ref=ident,
        title=row["title"],
        unit=row["unit"],
        polarity=row["polarity"],
        months=pack.months,
        values=[(history.get(m) or {}).get("value") for m in pack.months],
        targets=[(history.get(m) or {}).get("target") for m in pack.months],
        suppressed=[bool((history.get(m) or {}).get("suppressed")) for m in pack.months],
    )


def locality_values(pack: Pack, indicator_id: str) -> dict[str, float | None]:
    by_key = pack.current_by_key
    return {
        loc: (by_key.get((indicator_id, "locality", loc)) or {}).get("value")
        for loc in pack.localities
    }


def headline(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The indicator a topic's locality chart shows: the first with a target, else the first."""
    return next((r for r in rows if r["target"] is not None), rows[0])


def topics(pack: Pack, summary_rows: list[SummaryRow] | None = None) -> list[Topic]:
    """One topic page per area with an indicator; ``summary_rows`` saves working the summary
    out again. Indicators with no value this month are listed with the reason, and only those
    with some value in the 13 months get a chart."""
    layout = load_layout()
    rows = focus_rows(pack)
    summary_rows = summary_rows if summary_rows is not None else summary(pack)
    summary_by_ref = {s.ref: s for s in summary_rows}
    by_area: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_area.setdefault(pack.definitions[r["indicator_id"]].area, []).append(r)
    unavailable: dict[str, list[tuple[str, str, str]]] = {}
    for srow in summary_rows:
        if srow.not_available:
            area = pack.definitions[srow.ref].area
            by_area.setdefault(area, [])
            unavailable.setdefault(area, []).append((srow.ref, srow.title, srow.reason or ""))
    out = []
    for area in sorted(by_area, key=layout.area_order):
        members = by_area[area]
        entry = pack.commentary.area_entry(area, pack.period_end, pack.provenance.locality)
        analysis, analysis_status = (entry.analysis, entry.status) if entry else (None, None)
        if analysis is None:
            written = [
                c
                for r in members
                if (c := pack.commentary.for_indicator(r["indicator_id"], pack.period_end))
                and c.analysis
            ]
            analysis = "\n\n".join(c.analysis or "" for c in written) or None
            analysis_status = next((c.status for c in written if c.status), None)
        valued = [r for r in members if r["value"] is not None]
        top = headline(valued) if valued else None
        by_locality = (
            locality_values(pack, top["indicator_id"])
            if top is not None and not pack.provenance.locality
            else {}
        )
        # a chart of localities none of which has a value says nothing: leave it out
        with_locality = any(v is not None for v in by_locality.values())
        series = [trend_series(pack, r) for r in members]
        # a measure given quarterly or yearly (imported) has no row this month but has figures
        # in the 13 months: its trend is shown too
        series += [
            trend_series(pack, _definition_row(pack, ref))
            for ref, _, _ in unavailable.get(area, [])
            if ref not in {r["indicator_id"] for r in members}
        ]
        series = [s for s in series if any(v is not None for v in s.values)]
        draft_row = top if analysis is None else None
        out.append(
            Topic(
                area_id=area,
                title=layout.area_title(area),
                indicators=members,
                definitions=[
                    (d.id, d.title, d.definition)
                    for d in pack.definitions.values()
                    if d.area == area
                    and (d.id in summary_by_ref or d.id in {r["indicator_id"] for r in members})
                ],
                analysis=analysis,
                series=series,
                localities=by_locality if with_locality else {},
                locality_ref=top["indicator_id"] if top and with_locality else None,
                benchmarks=[
                    summary_by_ref[r["indicator_id"]]
                    for r in members
                    if r["indicator_id"] in summary_by_ref
                    and summary_by_ref[r["indicator_id"]].bm_year is not None
                ],
                unavailable=unavailable.get(area, []),
                draft=_draft(pack, draft_row) if draft_row else [],
                draft_about=str(draft_row["title"]) if draft_row else "",
                sparks={
                    s.ref: (
                        sparkline_src(s.values, s.targets[-1], _last_rag(pack, s.ref)),
                        sparkline_alt(s.title, s.months, s.values, s.unit),
                    )
                    for s in series
                },
                breakdowns=breakdown_tables(pack, area),
                analysis_status=analysis_status,
            )
        )
    return out


def _definition_row(pack: Pack, ref: str) -> dict[str, Any]:
    """What a trend needs of an indicator with no row this month, from its definition."""
    d = pack.definitions[ref]
    return {"indicator_id": ref, "title": d.title, "unit": d.unit, "polarity": d.polarity}


def _last_rag(pack: Pack, ref: str) -> str | None:
    return (monthly_values(pack, ref).get(pack.period_end) or {}).get("rag")


def _draft(pack: Pack, row: dict[str, Any]) -> list[str]:
    """The automatic sentences about one evaluated row of the focus: change on last month,
    against target, against the published figures (county), and the localities that stand
    out (county packs)."""
    ident = row["indicator_id"]
    by_key = pack.current_by_key
    county_row = by_key.get((ident, "all", "all")) or {}
    bench_row = {**row, **{k: v for k, v in county_row.items() if k.startswith("bm_")}}
    localities = {} if pack.provenance.locality else locality_values(pack, ident)
    # a locality figure resting on a small number is no outlier worth naming; an indicator
    # not given by locality gets no sentence about localities
    localities = {
        loc: value
        for loc, value in localities.items()
        if value is not None
        and not (by_key.get((ident, "locality", loc)) or {}).get("small_number")
    }
    return draft_sentences(
        bench_row, month_back(pack.period_end, 1), localities, county_row.get("value")
    )


@dataclass
class ReportCard:
    ref: str
    title: str
    row: dict[str, Any]
    series: TrendSeries
    why_it_matters: str | None
    background: str | None
    success: str | None
    action: str | None
    lead_officer: str | None
    data_owner: str | None
    draft: list[str]  # automatic sentences, shown when no background is written
    # the written fields are not signed off yet (draft, submitted, returned): marked so
    status: str | None = None

    @property
    def is_draft(self) -> bool:
        return not self.background


def report_cards(pack: Pack) -> list[ReportCard]:
    """A card for every vital sign of the pack's focus that is an exception this month (as
    the seed reports them); for every exception when no vital signs are configured. The other
    exceptions are listed in the executive summary."""
    out = []
    vital = set(vital_sign_ids(pack))
    for row in focus_rows(pack):
        if not row["exception"]:
            continue
        ident = row["indicator_id"]
        if vital and ident not in vital:
            continue
        note = pack.commentary.for_indicator(ident, pack.period_end, pack.provenance.locality)
        out.append(
            ReportCard(
                ref=ident,
                title=row["title"],
                row=row,
                series=trend_series(pack, row),
                why_it_matters=note.why_it_matters if note else None,
                background=note.background if note else None,
                success=note.success if note else None,
                action=note.action if note else None,
                lead_officer=note.lead_officer if note else None,
                data_owner=note.data_owner if note else None,
                draft=_draft(pack, row),
                status=note.status if note else None,
            )
        )
    return out


@dataclass
class FrameworkRow:
    ref: str
    title: str
    unit: str
    england: float | None
    outturn_label: str
    outturn: float | None
    latest: float | None
    quarters: dict[str, float | None]
    rag: str
    england_basis: str = ""  # the basis and year of the England figure


def framework(pack: Pack) -> list[FrameworkRow]:
    """Quarterly performance framework: indicators with a target this financial year."""
    if pack.targets is None:
        return []
    year_start = date(pack.period_end.year - (pack.period_end.month < 4), 4, 1)
    last_march = month_back(year_start, 1)
    quarter_ends = [month_back(year_start, -(3 * n + 2)) for n in range(4)]
    breakdown, value = pack.focus
    out = []
    for row in focus_rows(pack):
        entry = pack.targets.entry_for(row["indicator_id"], pack.period_end, value)
        if entry is None:
            continue
        march = pack.rows.filter(
            pl.col("indicator_id") == row["indicator_id"],
            pl.col("breakdown") == breakdown,
            pl.col("breakdown_value") == value,
            pl.col("period_end") == last_march,
        )
        out.append(
            FrameworkRow(
                ref=row["indicator_id"],
                title=row["title"],
                unit=row["unit"],
                england=row["bm_england"],
                outturn_label=f"Outturn {last_march.year - 1}-{last_march.year % 100:02d}",
                outturn=march["value"][0] if march.height else None,
                latest=row["ytd_value"] if row["ytd_value"] is not None else row["value"],
                quarters={
                    q: entry.target_for(e) for q, e in zip(QUARTERS, quarter_ends, strict=True)
                },
                rag=row["rag"],
                england_basis=row.get("bm_basis") or "",
            )
        )
    return out


@dataclass
class BenchmarkRow:
    ref: str
    title: str
    unit: str
    good_is: str
    year: int
    published: float | None
    england: float | None
    region: float | None
    neighbours: float | None
    rank: str
    quartile: str
    latest: float | None  # our figure on the published basis (see ``basis``)
    versus_england: str
    basis: str = ""
    published_by: str = ""


# a count is not comparable with England's or a region's count (their sizes differ)
NOT_COMPARABLE_UNITS = frozenset({"count"})


def _versus(value: float | None, other: float | None, polarity: str, unit: str = "") -> str:
    if value is None or other is None or polarity not in ("high", "low"):
        return "–"
    if unit in NOT_COMPARABLE_UNITS:
        return "–"
    if value == other:
        return "Same"
    return "Better" if (value > other) == (polarity == "high") else "Worse"


def _not_ranked(row: dict[str, Any]) -> str:
    """Why a published figure has no rank: counts and other units are never ranked, nor
    measures with no better direction, nor a figure resting on a small number."""
    if row["unit"] not in ("percent", "rate_per_10k", "rate_per_100k"):
        return "not ranked (a count)" if row["unit"] == "count" else "not ranked"
    if row["polarity"] not in ("high", "low"):
        return "not ranked"
    if row.get("small_number") or row.get("ytd_small_number"):
        return "not ranked (small number)"
    return "–"


def published_by(pack: Pack) -> str:
    """Whose published figures the pack sets beside the council's, from its benchmark rows."""
    for row in pack.current_by_key.values():
        if row.get("bm_published_by"):
            return str(row["bm_published_by"])
    return ""


def benchmarking(pack: Pack) -> list[BenchmarkRow]:
    """Benchmarking analysis: the last published year beside England, region, neighbours."""
    layout = load_layout()
    by_key = pack.current_by_key
    out = []
    for row in focus_rows(pack):
        county = by_key.get((row["indicator_id"], "all", "all"))
        if not county or county["bm_year"] is None:
            continue
        rank = (
            f"{county['bm_rank']} of {county['bm_ranked_of']}"
            if county["bm_rank"] is not None
            else _not_ranked(row)
        )
        out.append(
            BenchmarkRow(
                ref=row["indicator_id"],
                title=row["title"],
                unit=row["unit"],
                good_is=layout.polarities.get(row["polarity"], row["polarity"]),
                year=county["bm_year"],
                published=county["bm_la_value"],
                england=county["bm_england"],
                region=county["bm_region"],
                neighbours=county["bm_sn"],
                rank=rank,
                quartile=county["bm_quartile_band"] or "–",
                latest=county.get("bm_own_value"),
                versus_england=_versus(
                    county["bm_la_value"], county["bm_england"], row["polarity"], row["unit"]
                ),
                basis=county.get("bm_basis") or "",
                published_by=county.get("bm_published_by") or "",
            )
        )
    return out


def quality_summary(pack: Pack) -> list[dict[str, str]]:
    """The build's data-quality problems, counted by their columns that say what and how bad."""
    frame = pack.quality
    if frame is None or frame.is_empty():
        return []
    keys = [c for c in ("severity", "check", "rule", "table", "field") if c in frame.columns]
    if not keys:
        return [{"Problems": str(frame.height)}]
    counted = frame.group_by(keys).len("count").sort(keys)
    return [{k: str(v) for k, v in r.items()} for r in counted.iter_rows(named=True)]


def definition_rows(pack: Pack) -> list[dict[str, str]]:
    layout = load_layout()
    out = []
    for row in focus_rows(pack):
        d = pack.definitions[row["indicator_id"]]
        out.append(
            {
                "Reference": d.id,
                "Indicator": d.title,
                "Topic": layout.area_title(d.area),
                "Good performance is": layout.polarities.get(d.polarity, d.polarity),
                "Basis": layout.bases.get(d.basis, d.basis),
                "Definition": d.definition.strip(),
                "Numerator": d.numerator.strip(),
                "Denominator": (d.denominator or "").strip(),
            }
        )
    return out
