"""The pack at full size: every catalogue indicator, seven localities (the dashboard's sample
store, no engine run). The summary agrees with evaluate row by row, indicators with no value
say why, the summary tables fit the landscape page, and the workbook holds numbers."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from cscperf.app.month import assemble_pack
from cscperf.evaluate.evaluate import evaluate, meta_from_catalogue
from cscperf.indicators.catalogue import load_catalogue
from cscperf.reports import sections
from cscperf.reports.html import collect
from cscperf.reports.layout import load_layout
from cscperf.reports.pack import Pack

PERIOD = "2025-04"
PERIOD_END = date(2025, 4, 30)
NO_VALUE = "cp.rate_per_10k"  # the engine gave a row without a value, and said why
NO_VALUE_REASON = "the build has no child protection plans table"
NO_ROWS = "referrals.nfa_pct"  # the engine gave no row at all (a computed indicator)
LANDSCAPE_MM = 277  # A4 landscape less the wide pages' 10 mm side margins
EDGE_PT = 14.17  # 5 mm: the pages' margins are wider, so text this near the edge overflowed
PAGES_AT_MOST = 36  # a county pack a committee can read (issue 15 aims at about 30)


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cscperf.web.sample import write_sample_store

    store = write_sample_store(
        tmp_path_factory.mktemp("full") / "store",
        builds=("20250508T090000Z",),
        last_period=PERIOD_END,
    )
    path = store / "builds" / "20250508T090000Z" / "results" / "indicators.parquet"
    rows = pl.read_parquet(path).filter(pl.col("indicator_id") != NO_ROWS)
    if "reason" not in rows.columns:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("reason"))
    hit = (pl.col("indicator_id") == NO_VALUE) & (pl.col("period_end") == PERIOD_END)
    rows = rows.with_columns(
        pl.when(hit).then(None).otherwise(pl.col("value")).alias("value"),
        pl.when(hit).then(pl.lit(NO_VALUE_REASON)).otherwise(pl.col("reason")).alias("reason"),
    )
    rows.write_parquet(path)
    return store


@pytest.fixture(scope="module")
def full_pack(full_store: Path) -> Pack:
    return assemble_pack(full_store, PERIOD)


@pytest.fixture(scope="module")
def full_files(full_pack: Pack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cscperf.reports.writer import write_pack_files

    out = tmp_path_factory.mktemp("full_pack")
    write_pack_files(full_pack, out, pdf=False)
    return out


@pytest.fixture(scope="module")
def full_pdf(full_pack: Pack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cscperf.reports.writer import write_pack_files

    out = tmp_path_factory.mktemp("full_pdf")
    write_pack_files(full_pack, out)
    return out / "pack.pdf"


WORD = re.compile(
    r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>'
)


def words_outside(pdf: Path) -> list[tuple[int, str]]:
    """(page, word) for every word of the PDF that reaches within 5 mm of a page's edge or
    beyond it: a table or line wider than the page."""
    text = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    out = []
    for n, page in enumerate(text.split("<page ")[1:], 1):
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', page)
        assert size
        width, height = float(size.group(1)), float(size.group(2))
        for m in WORD.finditer(page):
            x0, y0, x1, y1 = (float(m.group(i)) for i in range(1, 5))
            if x0 < EDGE_PT or y0 < EDGE_PT or x1 > width - EDGE_PT or y1 > height - EDGE_PT:
                out.append((n, m.group(5)))
    return out


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_no_text_lies_outside_the_page(full_pdf: Path) -> None:
    assert words_outside(full_pdf) == []


def test_words_outside_finds_a_table_wider_than_the_page(tmp_path: Path) -> None:
    import weasyprint

    if shutil.which("pdftotext") is None:
        pytest.skip("needs poppler-utils (pdftotext)")
    cells = "".join(f"<td>cell{n}</td>" for n in range(40))
    html = f"<table style='white-space: nowrap'><tr>{cells}</tr></table>"
    weasyprint.HTML(string=html).write_pdf(tmp_path / "wide.pdf")
    # the cells running off the page are cut at its edge (pdftotext drops those wholly off it)
    assert {page for page, _ in words_outside(tmp_path / "wide.pdf")} == {1}


def test_the_county_pack_is_short_enough_to_read(full_pdf: Path) -> None:
    from pypdf import PdfReader

    pages = len(PdfReader(full_pdf).pages)
    print(f"county pack, every catalogue indicator and seven localities: {pages} pages")
    assert pages <= PAGES_AT_MOST


def test_every_catalogue_indicator_is_in_the_summary_once(full_pack: Pack) -> None:
    refs = [r.ref for r in sections.summary(full_pack)]
    assert sorted(refs) == sorted(load_catalogue().definitions)
    assert len(refs) == len(set(refs))


def test_summary_values_are_what_evaluate_gives(full_pack: Pack, full_store: Path) -> None:
    from cscperf.indicators.results import results_for
    from cscperf.store.store import Store

    build = Store(full_store).get()
    rows = results_for(build)
    county = evaluate(
        rows.filter(pl.col("breakdown") == "all"),
        meta_from_catalogue(load_catalogue()),
        full_pack.targets,
        PERIOD_END,
    )
    expected = {r["indicator_id"]: r for r in county.iter_rows(named=True)}
    summary = {r.ref: r for r in sections.summary(full_pack)}
    assert NO_ROWS not in expected  # the fixture removed it
    for ident, row in expected.items():
        got = summary[ident]
        assert got.value == row["value"], ident
        assert got.ytd == row["ytd_value"], ident
        assert got.target == row["target"], ident
        assert got.rag["County"] == (row["rag"] or "none"), ident


def test_html_summary_rows_carry_the_evaluated_value(full_pack: Pack, full_files: Path) -> None:
    html = (full_files / "pack.html").read_text(encoding="utf-8")
    for row in sections.summary(full_pack):
        if row.not_available:  # listed in the appendix of what the pack leaves out
            assert f'<tr data-ref="{row.ref}">' not in html
            continue
        match = re.search(rf'<tr data-ref="{re.escape(row.ref)}">(.*?)</tr>', html, re.S)
        assert match, f"{row.ref} missing from the summary"
        assert f'data-value="{row.value}"' in match.group(1)


def test_not_available_indicators_say_why(full_pack: Pack, full_files: Path) -> None:
    summary = {r.ref: r for r in sections.summary(full_pack)}
    assert summary[NO_VALUE].not_available and summary[NO_VALUE].reason == NO_VALUE_REASON
    # no row at all: a computed indicator the build has no result for
    assert summary[NO_ROWS].reason == sections.NOT_IN_BUILD["computed"]
    assert summary[NO_ROWS].value is None and summary[NO_ROWS].rag == {}
    # valued rows carry no reason
    assert summary["referrals.count"].reason is None

    html = (full_files / "pack.html").read_text(encoding="utf-8")
    # the appendix of what the pack leaves out names it with the reason
    left_out = html.split('id="omitted"', 1)[1].split("</section>", 1)[0]
    title = summary[NO_VALUE].title
    assert f"Child protection: {title}</th><td>No figure this month: {NO_VALUE_REASON}" in left_out
    # the topic page lists both, with their reasons
    cp_page = html.split('id="topic-cp"', 1)[1].split("</section>", 1)[0]
    assert "No figure this month" in cp_page and NO_VALUE_REASON in cp_page
    referrals_page = html.split('id="topic-referrals"', 1)[1].split("</section>", 1)[0]
    assert sections.NOT_IN_BUILD["computed"] in referrals_page

    sheet = openpyxl.load_workbook(full_files / "pack.xlsx")["Summary"]
    header = next(r for r in sheet.iter_rows(values_only=True) if "Ref" in r)
    ref_col, why_col = header.index("Ref"), header.index("Not available because")
    reasons = {r[ref_col]: r[why_col] for r in sheet.iter_rows(values_only=True)}
    assert reasons[NO_VALUE] == NO_VALUE_REASON and reasons["referrals.count"] is None


def test_summary_is_one_table_per_area_in_layout_order(full_files: Path) -> None:
    html = (full_files / "pack.html").read_text(encoding="utf-8")
    summary = html.split('id="summary"', 1)[1].split("</section>", 1)[0]
    areas = re.findall(r'<h3 class="area" id="summary-\d+">(.*?)</h3>', summary)
    order = [a.title for a in load_layout().areas]
    assert areas == sorted(areas, key=order.index)
    assert len(areas) == len(set(areas)) > 10
    # every table repeats its own header row; an area has one or two tables (with a target,
    # without one)
    assert summary.count("<thead>") == summary.count("<table") >= len(areas)


def test_summary_columns_add_up_to_the_landscape_page(full_files: Path) -> None:
    html = (full_files / "pack.html").read_text(encoding="utf-8")
    head = html.split('<table class="summary"', 1)[1].split("</thead>", 1)[0]
    widths = [float(w) for w in re.findall(r"width: ([0-9.]+)mm", head)]
    # indicator, good is, note, 4 months, YTD, target, DOT, county + 7 localities,
    # tolerances, previous YTD, 5 benchmarks
    assert len(widths) == 3 + 4 + 3 + 8 + 2 + 5
    assert sum(widths) == pytest.approx(LANDSCAPE_MM)
    compact = html.split('<table class="summary compact"', 1)[1].split("</thead>", 1)[0]
    widths = [float(w) for w in re.findall(r"width: ([0-9.]+)mm", compact)]
    # indicator, good is, note, 4 months, YTD, DOT, 3 benchmarks: no RAG columns
    assert len(widths) == 3 + 4 + 2 + 3
    assert sum(widths) == pytest.approx(LANDSCAPE_MM)


def test_topic_table_has_a_row_per_indicator_with_values(full_pack: Pack) -> None:
    content = collect(full_pack, draw=False)
    cp = next(t for t in content.topics if t.area_id == "cp")
    refs = [s.ref for s in cp.series]
    # cp.rate_per_10k still has 12 earlier months, so it keeps its row and chart
    assert NO_VALUE in refs
    assert all(any(v is not None for v in s.values) for s in cp.series)
    assert all(len(s.values) == 13 for s in cp.series)


def test_count_locality_charts_draw_no_county_line(full_pack: Pack) -> None:
    from cscperf.reports.html import plan_charts

    content = collect(full_pack, draw=False)
    planned = plan_charts(content.topics, [])
    localities = {k: p for k, p in planned.items() if k.startswith("locality:")}
    assert localities
    for plan in localities.values():
        assert plan.with_county == (plan.unit != "count")
        assert ("county" in plan.alt) == plan.with_county


def test_workbook_summary_months_are_numbers(full_files: Path) -> None:
    sheet = openpyxl.load_workbook(full_files / "pack.xlsx")["Summary"]
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(n for n, r in enumerate(rows) if "Ref" in r)
    header = rows[header_at]
    ref_col, value_col = header.index("Ref"), header.index("Value")
    body = {r[ref_col]: r for r in rows[header_at + 1 :] if r[ref_col]}
    assert len(body) == len(load_catalogue().definitions)
    assert isinstance(body["referrals.count"][value_col], int | float)
    assert body[NO_VALUE][value_col] is None
