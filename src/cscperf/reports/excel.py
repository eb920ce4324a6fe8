"""The pack as an Excel workbook (xlsxwriter): one sheet per section and per topic.

Owns the workbook layout: numbers stored as numbers with the unit's number format, months as
dates, every block a named Excel table with frozen headers, RAG shown as a text label column
with conditional formatting on it (colour is only a second cue), and native Excel line
charts of each topic's 13 months with the target.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from cscperf.evaluate.rules import small_number_label
from cscperf.evaluate.suppress import MARK
from cscperf.forecast.result import projection_frame
from cscperf.indicators.framework import framework_settings
from cscperf.reports import sections
from cscperf.reports.finance_excel import finance_sheet
from cscperf.reports.forecast_section import category_name
from cscperf.reports.html import PackContent, pack_title
from cscperf.reports.layout import excel_number_format, load_layout
from cscperf.reports.risk_section import pack_rag
from cscperf.risk.table import HEADERS, register_rows
from cscperf.spreadsheet_safety import XLSX_OPTIONS

SHEET_NAME_MAX = 31


def _sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "-", title)
    if len(base) > SHEET_NAME_MAX:  # cut at a word, not inside one
        head = base[: SHEET_NAME_MAX + 1]
        cut = head.rsplit(" ", 1)[0] if " " in head else ""
        base = (cut if len(cut) >= SHEET_NAME_MAX // 2 else base[:SHEET_NAME_MAX]).strip()
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" {n}"
        name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def _table_name(text: str, taken: set[str]) -> str:
    base = "t_" + re.sub(r"\W", "_", text)[:40]
    name, n = base, 2
    while name.lower() in taken:
        name = f"{base}_{n}"
        n += 1
    taken.add(name.lower())
    return name


def rounded(value: float | None, unit: str) -> float | None:
    """A figure rounded as the pack prints it (the unit's decimals), so that a sum or a chart
    in Excel shows what the committee read."""
    if value is None:
        return None
    fmt = load_layout().units.get(unit)
    return round(value, fmt.decimals if fmt else 1)


def round_to(value: float, unit: str) -> float:
    return rounded(value, unit) or 0.0


def rag_label(rag: str | None) -> str:
    return load_layout().rag_mark(rag).label


class _Book:
    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True, **XLSX_OPTIONS})
        self.sheets: set[str] = set()
        self.tables: set[str] = set()
        self.fmt_cache: dict[str, Any] = {}
        self.date = self.wb.add_format({"num_format": "mmm yyyy"})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.bold = self.wb.add_format({"bold": True, "font_size": 13})
        layout = load_layout()
        self.rag_formats = {
            mark.label: self.wb.add_format({"bg_color": mark.fill, "font_color": mark.colour})
            for mark in layout.rag.values()
        }

    def number(self, unit: str) -> Any:
        if unit not in self.fmt_cache:
            self.fmt_cache[unit] = self.wb.add_format({"num_format": excel_number_format(unit)})
        return self.fmt_cache[unit]

    def sheet(self, title: str, heading: str) -> Any:
        ws = self.wb.add_worksheet(_sheet_name(title, self.sheets))
        ws.write(0, 0, heading, self.bold)
        return ws

    def table(
        self,
        ws: Any,
        top: int,
        name: str,
        columns: Sequence[tuple[str, Any, float]],
        rows: list[list[Any]],
        rag_columns: tuple[int, ...] = (),
        units: Sequence[str] | None = None,
        figures: Sequence[int] = (),
    ) -> int:
        """A named table at row ``top``; ``columns`` are (header, cell format, width). With
        ``units`` (one per row), the ``figures`` columns of each row are rounded to the row's
        unit and get its number format (a table's column has one format; its rows' units
        differ). Returns the next free row."""
        if not rows:
            ws.write(top, 0, "Nothing to show.")
            return top + 2
        for col, (_, fmt, width) in enumerate(columns):
            ws.set_column(col, col, width, fmt)
        data = [[None if v != v else v for v in row] for row in rows]  # NaN -> blank
        ws.add_table(
            top,
            0,
            top + len(rows),
            len(columns) - 1,
            {
                "name": _table_name(name, self.tables),
                "data": data,
                "columns": [{"header": h, "format": f} for h, f, _ in columns],
                "style": "Table Style Light 9",
            },
        )
        for n, unit in enumerate(units or []):
            for col in figures:
                value = data[n][col]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(top + 1 + n, col, round_to(value, unit), self.number(unit))
        for col in rag_columns:
            for label, fmt in self.rag_formats.items():
                ws.conditional_format(
                    top + 1,
                    col,
                    top + len(rows),
                    col,
                    {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": fmt},
                )
        return top + len(rows) + 2


def write_workbook(content: PackContent, path: Path) -> None:
    book = _Book(path)
    _cover_sheet(book, content)
    _vital_signs_sheet(book, content)
    _summary_sheet(book, content)
    _topic_sheets(book, content)
    _report_cards_sheet(book, content)
    _framework_sheet(book, content)
    _benchmarking_sheet(book, content)
    finance_sheet(book, content)
    _forecast_sheet(book, content)
    _risk_register_sheet(book, content)
    _quality_sheet(book, content)
    _definitions_sheet(book, content)
    book.wb.close()


def _cover_sheet(book: _Book, content: PackContent) -> None:
    """The cover: council, scope, month, data, build and the marking."""
    pack = content.pack
    p = pack.provenance
    wrap = book.wrap
    date_fmt = book.date
    ws = book.sheet("Cover", pack_title(pack))
    cover: list[list[Any]] = [
        ["Council", p.council],
        ["Report for", p.scope],
        ["Reporting month", p.period_end],
        ["Data", f"Data from {p.source_system}, extracted {p.extract_date}"],
        ["Build", p.build_id],
        ["Targets", p.targets_note],
        ["Benchmarks", p.benchmarks_note],
        [
            "Small numbers",
            "Public version: figures resting on fewer than "
            f"{framework_settings().small_number_below} children are suppressed ([c])"
            if p.audience == "public"
            else "For use inside the council: small numbers are shown, marked and not rated",
        ],
        ["Protective marking", p.marking],
    ]
    book.table(ws, 2, "cover", [("Item", None, 22), ("Detail", wrap, 90)], cover)
    ws.write_datetime(5, 1, p.period_end, date_fmt)
    ws.set_header(f'&C&"Arial,Bold"{p.marking}')
    ws.set_footer(f"&C{p.marking}&RPage &P of &N")


def _vital_signs_sheet(book: _Book, content: PackContent) -> None:
    """Vital signs: one row per indicator with a column per month (numbers, rounded, in the
    unit's format), the target, this month's RAG as a word and the direction; then the RAG of
    each month as words, the same shape."""
    pack = content.pack
    p = pack.provenance
    wrap = book.wrap
    ws = book.sheet("Vital signs", f"Vital signs dashboard – {p.scope} – {p.period_label}")
    months = [f"{m:%b %Y}" for m in pack.months]
    rows = [
        [
            v.ref,
            v.title,
            v.good_is,
            *[c.value for c in v.cells],
            v.target,
            rag_label(v.cells[-1].rag),
            _direction(content, v.ref),
        ]
        for v in content.vital
    ]
    month_cols = list(range(3, 3 + len(months) + 1))  # the months and the target
    nxt = book.table(
        ws,
        2,
        "vital_signs",
        [
            ("Ref", None, 26),
            ("Indicator", wrap, 40),
            ("Good is", None, 10),
            *[(m, None, 9) for m in months],
            ("Target", None, 9),
            ("RAG", None, 10),
            ("Direction", None, 12),
        ],
        rows,
        rag_columns=(3 + len(months) + 1,),
        units=[v.unit for v in content.vital],
        figures=month_cols,
    )
    ws.write(nxt, 0, "RAG rating of each month", book.bold)
    book.table(
        ws,
        nxt + 1,
        "vital_signs_rag",
        [("Ref", None, 26), ("Indicator", wrap, 40), *[(m, None, 9) for m in months]],
        [[v.ref, v.title, *[rag_label(c.rag) for c in v.cells]] for v in content.vital],
        rag_columns=tuple(range(2, 2 + len(months))),
    )
    ws.freeze_panes(3, 2)


def _direction(content: PackContent, ref: str) -> str:
    """The direction of travel of the pack's focus this month, in words."""
    row = content.pack.current_by_key.get((ref, *content.pack.focus)) or {}
    return load_layout().direction_mark(row.get("dot_month")).label


def _summary_sheet(book: _Book, content: PackContent) -> None:
    """The summary: one row per area and indicator, with a RAG column per area."""
    pack = content.pack
    p = pack.provenance
    wrap = book.wrap
    ws = book.sheet("Summary", f"Performance summary – {p.scope} – {p.period_label}")
    scopes = ["County", *pack.localities]
    small_label = small_number_label(framework_settings().small_number_below).capitalize()
    month_heads = [f"{m:%b %Y}" for m in pack.months[-4:]]
    columns: list[tuple[str, Any, float]] = [
        ("Area", None, 16),
        ("Ref", None, 26),
        ("Indicator", wrap, 40),
        ("Good is", None, 9),
        ("Data note", None, 18),
        *[(h, None, 9) for h in month_heads],
        ("Value", None, 9),
        ("YTD", None, 9),
        ("Target", None, 9),
        ("DOT", None, 11),
        *[(f"RAG {s}", None, 10) for s in scopes],
        ("Tolerances", wrap, 22),
        ("Previous YTD", None, 9),
        ("SN average", None, 9),
        ("Best SN", None, 9),
        ("England", None, 9),
        ("Top quartile", None, 9),
        ("Region", None, 9),
        ("Benchmark year", None, 9),
        ("Not available because", wrap, 40),
        ("Benchmark basis", wrap, 30),
        ("Small number", None, 22),
    ]
    rows = [
        [
            r.area,
            r.ref,
            r.title,
            r.good_is,
            r.data_note,
            *[
                MARK if (r.suppressed_months or [False] * 4)[n] else v
                for n, v in enumerate(r.last_months)
            ],
            MARK if r.suppressed_months and r.suppressed_months[-1] else r.value,
            MARK if r.ytd_suppressed else r.ytd,
            r.target,
            load_layout().direction_mark(r.direction).label,
            *[rag_label(r.rag.get(s)) for s in scopes],
            r.tolerances,
            MARK if r.prev_ytd_suppressed else r.prev_ytd,
            r.sn_average,
            r.sn_best,
            r.england,
            r.top_quartile,
            r.region,
            r.bm_year,
            r.reason if r.not_available else None,
            r.bm_basis or None,
            small_label if r.small_number else None,
        ]
        for r in content.summary
    ]
    first_rag = 5 + len(month_heads) + 4
    book.table(
        ws,
        2,
        "summary",
        columns,
        rows,
        rag_columns=tuple(range(first_rag, first_rag + len(scopes))),
        units=[r.unit for r in content.summary],
        figures=[
            *range(5, first_rag - 1),  # the months, value, YTD and target
            *range(
                first_rag + len(scopes) + 1, first_rag + len(scopes) + 7
            ),  # prev. YTD, benchmarks
        ],
    )
    ws.freeze_panes(3, 3)
    ws.set_landscape()


def _topic_sheets(book: _Book, content: PackContent) -> None:
    """One sheet per topic: its monthly series as a table and a line chart per series."""
    pack = content.pack
    p = pack.provenance
    date_fmt = book.date
    for topic in content.topics:
        ws = book.sheet(topic.title, f"{topic.title} – {p.scope} – {p.period_label}")
        ws.write(1, 0, topic.analysis or "No analysis has been written for this month.")
        heads = [("Month", date_fmt, 11)] + [
            (s.title[:250], book.number(s.unit), 14) for s in topic.series
        ]
        rows = [
            [m, *[rounded(s.values[i], s.unit) for s in topic.series]]
            for i, m in enumerate(pack.months)
        ]
        # column titles must be unique inside a table
        seen: set[str] = set()
        heads = [(_unique(h, seen), f, w) for h, f, w in heads]
        nxt = book.table(ws, 3, f"{topic.area_id}_months", heads, rows)
        ws.freeze_panes(4, 1)
        for n, s in enumerate(topic.series):
            if not any(v is not None for v in s.values):
                continue
            chart = book.wb.add_chart({"type": "line"})
            sheet = ws.get_name()
            chart.add_series(
                {
                    "name": "Value",
                    "categories": [sheet, 4, 0, 3 + len(pack.months), 0],
                    "values": [sheet, 4, n + 1, 3 + len(pack.months), n + 1],
                    "marker": {"type": "circle"},
                }
            )
            if any(t is not None for t in s.targets):
                col = len(topic.series) + 2 + n
                ws.write(3, col, f"Target {n + 1}")
                for i, t in enumerate(s.targets):
                    if t is not None:
                        ws.write_number(4 + i, col, t)
                chart.add_series(
                    {
                        "name": "Target",
                        "categories": [sheet, 4, 0, 3 + len(pack.months), 0],
                        "values": [sheet, 4, col, 3 + len(pack.months), col],
                        "line": {"dash_type": "dash", "color": "#B10E1E"},
                    }
                )
            chart.set_title({"name": s.title[:80], "name_font": {"size": 10}})
            chart.set_x_axis({"date_axis": True, "num_format": "mmm yy"})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 480, "height": 240})
            ws.insert_chart(nxt + (n // 2) * 13, (n % 2) * 8, chart)


def _report_cards_sheet(book: _Book, content: PackContent) -> None:
    """The report cards: commentary, or the automatic draft where none is written."""
    p = content.pack.provenance
    wrap = book.wrap
    ws = book.sheet("Report cards", f"Report cards – {p.scope} – {p.period_label}")
    rows = [
        [
            c.ref,
            c.title,
            c.row["value"],
            c.row["target"],
            rag_label(c.row["rag"]),
            c.row["exception_rules"],
            c.why_it_matters or "",
            c.background or "",
            "" if c.background else "DRAFT: " + " ".join(c.draft),
            c.success or "",
            c.action or "",
            c.lead_officer or "",
            c.data_owner or "",
        ]
        for c in content.cards
    ]
    book.table(
        ws,
        2,
        "report_cards",
        [
            ("Ref", None, 24),
            ("Indicator", wrap, 30),
            ("Value", None, 9),
            ("Target", None, 9),
            ("RAG", None, 10),
            ("Exception rules", wrap, 18),
            ("Why it matters", wrap, 30),
            ("Background", wrap, 30),
            ("Automatic draft", wrap, 60),
            ("Success", wrap, 25),
            ("Action", wrap, 25),
            ("Lead officer", None, 16),
            ("Data owner", None, 16),
        ],
        rows,
        rag_columns=(4,),
        units=[str(c.row["unit"]) for c in content.cards],
        figures=(2, 3),
    )
    ws.freeze_panes(3, 2)


def _framework_sheet(book: _Book, content: PackContent) -> None:
    """The quarterly performance framework: outturn, latest and quarterly targets."""
    p = content.pack.provenance
    wrap = book.wrap
    ws = book.sheet("Framework", f"Quarterly performance framework – {p.scope}")
    rows = [
        [
            f.ref,
            f.title,
            f.england,
            f.outturn,
            f.latest,
            *f.quarters.values(),
            rag_label(f.rag),
            f.england_basis or None,
        ]
        for f in content.framework
    ]
    outturn = content.framework[0].outturn_label if content.framework else "Outturn"
    book.table(
        ws,
        2,
        "framework",
        [
            ("Ref", None, 26),
            ("Measure", wrap, 40),
            ("England average", None, 10),
            (outturn, None, 12),
            ("Latest (YTD)", None, 10),
            ("Target Q1", None, 9),
            ("Target Q2", None, 9),
            ("Target Q3", None, 9),
            ("Target Q4", None, 9),
            ("RAG", None, 10),
            ("England figure's basis", wrap, 30),
        ],
        rows,
        rag_columns=(9,),
        units=[f.unit for f in content.framework],
        figures=range(2, 9),
    )
    ws.freeze_panes(3, 2)


def _benchmarking_sheet(book: _Book, content: PackContent) -> None:
    """Benchmarking against the published figures, with ranks and quartiles."""
    pack = content.pack
    wrap = book.wrap
    whose = sections.published_by(pack) or "no published figures"
    ws = book.sheet("Benchmarking", f"Benchmarking analysis: {whose}")
    rows = [
        [
            b.ref,
            b.title,
            b.good_is,
            b.year,
            b.basis,
            b.published_by,
            b.published,
            b.england,
            b.region,
            b.neighbours,
            b.rank,
            b.quartile,
            b.versus_england,
            b.latest,
        ]
        for b in content.bench
    ]
    book.table(
        ws,
        2,
        "benchmarking",
        [
            ("Ref", None, 26),
            ("Indicator", wrap, 40),
            ("Good is", None, 10),
            ("Year", None, 7),
            ("Basis and year", wrap, 30),
            ("Whose published figures", wrap, 30),
            ("Published", None, 10),
            ("England", None, 10),
            ("Region", None, 10),
            ("SN average", None, 10),
            ("Rank (1 = best)", None, 10),
            ("Quartile (A = best)", None, 14),
            ("Against England", None, 10),
            ("Ours now, same basis", None, 10),
        ],
        rows,
        units=[b.unit for b in content.bench],
        figures=(6, 7, 8, 9, 13),
    )
    ws.freeze_panes(3, 2)


def _forecast_sheet(book: _Book, content: PackContent) -> None:
    """The forecast: children by placement type and month with the interval and cost, then the
    backtest and the scenarios, every figure as a number."""
    forecast = content.forecast
    if forecast is None or content.pack.forecast is None:
        return
    ws = book.sheet("Forecast", "Forecast: children looked after and placement costs")
    ws.write(1, 0, forecast.summary)
    whole = book.wb.add_format({"num_format": "#,##0", "valign": "top"})
    tenth = book.wb.add_format({"num_format": "0.0", "valign": "top"})
    percent = book.wb.add_format({"num_format": "0.0%", "valign": "top"})
    frame = projection_frame(content.pack.forecast)
    columns = [
        ("Month", book.date, 10),
        ("Placement", None, 24),
        ("Expected children", tenth, 12),
        ("Low", tenth, 8),
        ("High", tenth, 8),
        ("Expected cost (£)", whole, 14),
    ]
    rows = [
        [
            r["month_end"],
            category_name(r["placement_category"]),
            r["expected_children"],
            r["low"],
            r["high"],
            r["expected_cost"],
        ]
        for r in frame.iter_rows(named=True)
    ]
    below = book.table(ws, 3, "forecast", columns, rows)
    ws.write(below + 1, 0, forecast.backtest_note)
    backtest = [[r.method, r.mape, r.bias, r.mae] for r in forecast.backtest]
    below = book.table(
        ws,
        below + 3,
        "forecast_backtest",
        [
            ("Method", None, 24),
            ("Average error", percent, 12),
            ("Bias", percent, 8),
            ("Average error (children)", tenth, 14),
        ],
        backtest,
    )
    scenarios = [
        [s.name, s.month_end, s.baseline, s.scenario, s.cost_difference] for s in forecast.scenarios
    ]
    if scenarios:
        book.table(
            ws,
            below + 2,
            "forecast_scenarios",
            [
                ("Scenario", None, 24),
                ("At", book.date, 10),
                ("Children (baseline)", tenth, 12),
                ("Children (scenario)", tenth, 12),
                ("Cost against baseline (£)", whole, 14),
            ],
            scenarios,
        )


def _risk_register_sheet(book: _Book, content: PackContent) -> None:
    """The risk register with every field (derived ones too), then the heat map's cells."""
    risks = content.risks
    if risks is None or content.pack.risks is None:
        return
    ws = book.sheet("Risk register", f"Risk register as at {risks.as_at:%d %B %Y}")
    ws.write(1, 0, risks.summary)
    day = book.wb.add_format({"num_format": "dd/mm/yyyy", "valign": "top"})
    dates = {h for h in HEADERS if h.startswith("Date") or h in ("Target date", "Next review due")}
    long = {"Risk description", "Tasks to mitigate the risk", "Progress update", "Risk name"}
    columns = [
        (h, day if h in dates else book.wrap, 45 if h in long else 14 if h in dates else 12)
        for h in HEADERS
    ]
    rows = register_rows(content.pack.risks, pack_rag(content.pack))
    book.table(ws, 3, "risk_register", columns, rows)
    ws.freeze_panes(4, 1)
    ws = book.sheet("Risk heat map", "Risk numbers now and at target, by likelihood and impact")
    cells = [
        [f"Impact {row[0].impact}"] + [f"{c.score} {c.band.label}: {c.words}" for c in row]
        for row in risks.heat_rows
    ]
    heat = [("Impact", None, 12)] + [
        (f"Likelihood {n}", book.wrap, 24) for n in range(1, risks.scale + 1)
    ]
    book.table(ws, 2, "risk_heat_map", heat, cells)


def _quality_sheet(book: _Book, content: PackContent) -> None:
    """Appendix A: the data-quality summary, or a line saying there is none."""
    ws = book.sheet("Data quality", "Appendix A: data-quality summary")
    if content.quality:
        keys = list(content.quality[0])
        rows = [[int(q[k]) if k == "count" else q[k] for k in keys] for q in content.quality]
        book.table(ws, 2, "quality", [(k, None, 24) for k in keys], rows)
    else:
        ws.write(2, 0, "The build has no data-quality report, or it found no problems.")


def _definitions_sheet(book: _Book, content: PackContent) -> None:
    """Appendix B: the indicator definitions."""
    wrap = book.wrap
    ws = book.sheet("Definitions", "Appendix B: indicator definitions")
    keys = list(content.definitions[0]) if content.definitions else []
    book.table(
        ws,
        2,
        "definitions",
        [(k, wrap, 40 if k in ("Definition", "Numerator", "Denominator") else 20) for k in keys],
        [list(d.values()) for d in content.definitions],
    )
    ws.freeze_panes(3, 1)


def _unique(header: str, seen: set[str]) -> str:
    name, n = header, 2
    while name.lower() in seen:
        name = f"{header} ({n})"
        n += 1
    seen.add(name.lower())
    return name
