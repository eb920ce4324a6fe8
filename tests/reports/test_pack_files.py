"""The written pack files: values agree with evaluate, workbook cells are numbers, the PDF is
tagged and has its sections, charts carry alternative text, locality packs are made."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from tests.reports.fixtures import COMMENTED, IDS, PERIOD_END, fixture_pack, fixture_rows

from cscperf.errors import CscperfError
from cscperf.evaluate.evaluate import evaluate, meta_from_catalogue
from cscperf.evaluate.targets import example_targets_path, load_targets
from cscperf.indicators.catalogue import load_catalogue
from cscperf.reports.layout import format_value
from cscperf.reports.pack import Pack
from cscperf.synth.council import eastshire_settings

LOCALITIES = [loc.name for loc in eastshire_settings().localities]


def _evaluated_county() -> dict[str, dict]:
    """What `cscperf evaluate` gives for the fixture month, county rows."""
    catalogue = load_catalogue()
    meta = {k: v for k, v in meta_from_catalogue(catalogue).items() if k in IDS}
    frame = evaluate(
        fixture_rows(LOCALITIES), meta, load_targets(example_targets_path()), PERIOD_END
    )
    return {
        r["indicator_id"]: r
        for r in frame.filter(pl.col("breakdown") == "all").iter_rows(named=True)
    }


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.summary: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img":
            self.images.append(found)
        if tag == "td" and found.get("data-value") is not None:
            self.summary[str(len(self.summary))] = str(found["data-value"])


def test_summary_table_has_every_indicator_with_evaluated_value(county_files: Path) -> None:
    html = (county_files / "pack.html").read_text(encoding="utf-8")
    expected = _evaluated_county()
    assert set(expected) == set(IDS)
    for ident, row in expected.items():
        match = re.search(rf'<tr data-ref="{re.escape(ident)}">(.*?)</tr>', html, re.S)
        assert match, f"{ident} missing from the summary table"
        assert f'data-value="{row["value"]}"' in match.group(1)
        assert format_value(row["value"], row["unit"]) in match.group(1)
    # re-referrals: 45 / 100 in June 2025 (base 20 + 25), hand-worked
    assert expected["referrals.rereferral_12m_pct"]["value"] == pytest.approx(45.0)


def test_charts_have_alternative_text(county_files: Path) -> None:
    parser = _Collect()
    parser.feed((county_files / "pack.html").read_text(encoding="utf-8"))
    assert len(parser.images) >= len(IDS)
    for image in parser.images:
        alt = image.get("alt") or ""
        assert alt.endswith(".") and any(
            kind in alt for kind in ("Line chart of", "Bar chart of", "Trend of")
        )
    # rereferrals rose 33% (June 2024 = 20 + 13) to 45% (June 2025), target 20%
    assert any(
        "rose from 33.0% in June 2024 to 45.0% in June 2025" in (i.get("alt") or "")
        and "target 20.0%" in (i.get("alt") or "")
        for i in parser.images
    )


def test_workbook_cells_are_numbers_and_dates(county_files: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(county_files / "pack.xlsx")
    assert {
        "Cover",
        "Vital signs",
        "Summary",
        "Referrals",
        "Report cards",
        "Framework",
        "Benchmarking",
        "Data quality",
        "Definitions",
    } <= set(book.sheetnames)
    sheet = book["Summary"]
    header = [c.value for c in sheet[3]]
    value_col = header.index("Value") + 1
    rag_col = header.index("RAG County") + 1
    expected = _evaluated_county()
    seen = {}
    for row in sheet.iter_rows(min_row=4, values_only=False):
        ref = row[1].value
        if ref in expected:
            cell = row[value_col - 1]
            assert isinstance(cell.value, float | int)
            seen[ref] = cell.value
            assert row[rag_col - 1].value in ("Red", "Amber", "Green", "No target")
    # rounded as the pack prints them, with the unit's number format
    assert seen == {
        k: round(v["value"], 0 if v["unit"] == "count" else 1) for k, v in expected.items()
    }
    assert sheet.tables and book["Referrals"]._charts  # named tables, native charts
    months = [r[0].value for r in book["Referrals"].iter_rows(min_row=5, max_row=17)]
    assert months[-1].date() == PERIOD_END  # stored as dates
    assert sheet.freeze_panes == "D4"


def test_pdf_is_tagged_and_has_the_sections(county_files: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(county_files / "pack.pdf")
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert str(root.get("/Lang", "")).startswith("en")
    text = "\n".join(page.extract_text() for page in reader.pages)
    for title in (
        "Vital signs",
        "Performance summary",
        "Referrals (County",
        "Assessments (County",
        "Report cards",
        "Quarterly performance framework",
        "Benchmarking analysis",
        "Executive summary",
        "Appendix A: What this pack leaves out",
        "Appendix B: Data-quality summary",
    ):
        assert title in text, title
    assert f"Page 1 of {len(reader.pages)}" in text
    assert text.count("OFFICIAL-SENSITIVE") >= 2 * len(reader.pages)
    # landscape pages for the wide tables
    assert any(p.mediabox.width > p.mediabox.height for p in reader.pages)


def test_report_cards_use_commentary_or_a_marked_draft(
    county_pack: Pack, county_files: Path
) -> None:
    html = (county_files / "pack.html").read_text(encoding="utf-8")
    # re-referrals (45% against 20%) and assessments (65% against 88%) are red: two cards
    assert "Report cards (2 exceptions)" in html
    assert "Two teams were short of staff in May." in html
    cards = html.split('aria-labelledby="cards"', 1)[1]
    draft = cards.split('data-ref="referrals.rereferral_12m_pct">', 1)[1].split("</article>")[0]
    assert "DRAFT" in draft
    assert "The value for June 2025 is 45.0%, up from 44.0% in May 2025 (worsening)." in draft
    commented = cards.split(f'data-ref="{COMMENTED}">', 1)[1].split("</article>", 1)[0]
    assert "DRAFT" not in commented


@pytest.mark.parametrize("locality", LOCALITIES[:2])
def test_locality_pack(locality: str, tmp_path: Path) -> None:
    from cscperf.reports.writer import write_pack_files

    pack = fixture_pack(locality)
    write_pack_files(pack, tmp_path, pdf=False)
    html = (tmp_path / "pack.html").read_text(encoding="utf-8")
    assert f"{locality} report" in html
    local = pack.current.filter(
        pl.col("breakdown_value") == locality, pl.col("indicator_id") == IDS[1]
    )["value"][0]
    match = re.search(rf'<tr data-ref="{re.escape(IDS[1])}">(.*?)</tr>', html, re.S)
    assert match and f'data-value="{local}"' in match.group(1)


def test_every_locality_of_the_council_gives_a_pack() -> None:
    for locality in LOCALITIES:
        pack = fixture_pack(locality)
        assert pack.focus == ("locality", locality)
        assert pack.history.filter(pl.col("breakdown_value") != locality).is_empty()
        assert pack.history["period_end"].n_unique() == 13


def test_unknown_locality_lists_the_valid_names() -> None:
    with pytest.raises(CscperfError, match="Harrowmere, Saltfleet"):
        fixture_pack("Atlantis")
