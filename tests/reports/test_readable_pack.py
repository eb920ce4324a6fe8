"""A pack people read (issue 15): the executive summary first, sections without figures left
out and listed with the reason, people's names instead of machine ids, the summary grouped by
topic, drafts where no commentary is written, sparklines, and tables by source or team type."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from tests.reports.fixtures import IDS, PERIOD_END, fixture_pack, fixture_rows

from cscperf.indicators.catalogue import load_catalogue
from cscperf.reports import executive, outline, sections
from cscperf.reports.html import collect, render_html
from cscperf.reports.pack import Pack, make_pack, month_back, public_pack
from cscperf.reports.sparkline import sparkline_alt, sparkline_svg
from cscperf.synth.council import eastshire_settings

MAY = month_back(PERIOD_END, 1)
REREFERRALS = "referrals.rereferral_12m_pct"


def _pack_with(rows: pl.DataFrame, ids: list[str], base: Pack | None = None) -> Pack:
    """The fixture pack made again from other rows (and indicators)."""
    base = base or fixture_pack()
    catalogue = load_catalogue()
    return make_pack(
        rows,
        {i: catalogue.definitions[i] for i in ids},
        base.provenance,
        base.localities,
        base.targets,
        None,
        base.commentary,
        base.quality,
    )


def _localities() -> list[str]:
    return [loc.name for loc in eastshire_settings().localities]


def test_sparkline_is_drawn_by_hand_with_gaps_target_and_rag() -> None:
    # three months 10, (missing), 20 on a 120 x 28 picture with a 3-pixel margin: x at 3, 60
    # and 117; y 25 for the lowest, 3 for the highest; the target 15 halfway (y 14)
    svg = sparkline_svg([10.0, None, 20.0], target=15.0, rag="red")
    assert 'y1="14.0"' in svg and 'stroke-dasharray="3,2"' in svg
    # a gap leaves two single points, no line through the missing month
    assert "polyline" not in svg
    assert '<circle cx="3.0" cy="25.0"' in svg
    assert '<circle cx="117.0" cy="3.0" r="2.6" fill="#b10e1e"' in svg  # red's colour
    line = sparkline_svg([1.0, 2.0, 3.0])
    assert 'points="3.0,25.0 60.0,14.0 117.0,3.0"' in line
    assert sparkline_alt("X", [date(2025, 5, 31), date(2025, 6, 30)], [None, 4.0], "count") == (
        "Trend of X: 4 in June 2025, 4 in June 2025; lowest 4, highest 4."
    )


def test_executive_summary_says_what_changed_and_lists_exceptions() -> None:
    # May's re-referrals set to 22% (amber: green 20, red 25); June is 45% (red)
    rows = fixture_rows(_localities())
    hit = (
        (pl.col("indicator_id") == REREFERRALS)
        & (pl.col("breakdown") == "all")
        & (pl.col("period_end") == MAY)
    )
    rows = rows.with_columns(
        pl.when(hit).then(22.0).otherwise(pl.col("numerator")).alias("numerator"),
        pl.when(hit).then(22.0).otherwise(pl.col("value")).alias("value"),
    )
    pack = _pack_with(rows, IDS)
    summary = executive.executive(pack)
    title = pack.definitions[REREFERRALS].title
    assert f"{title}: Amber to Red" in summary.changes.rag_moves
    # 22% to 45% is the only move of 5% or more of last month's figure (counts are left out)
    assert summary.changes.largest == [f"{title}: up from 22.0% to 45.0% (worsening)"]
    # the exceptions are the two red indicators, with the reasons in words
    assert [e.title for e in summary.exceptions] == [
        title,
        pack.definitions["assess.within_45wd_pct"].title,
    ]
    assert summary.exceptions[0].why.startswith("rated red")
    # the vital signs of the example targets that the fixture has: 13 months each
    assert [v.title for v in summary.vital] == [
        pack.definitions[i].title for i in (REREFERRALS, "assess.within_45wd_pct")
    ] + [pack.definitions["lac.rate_per_10k"].title]
    assert all(len(v.values) == 13 and v.spark.startswith("data:image/svg") for v in summary.vital)
    assert summary.vital[0].rag == "red" and summary.vital[0].value == pytest.approx(45.0)


def test_executive_summary_comes_first_with_ratings_in_words(county_files: Path) -> None:
    html = (county_files / "pack.html").read_text(encoding="utf-8")
    headings = re.findall(r'<h2 id="([\w-]+)"', html)
    assert headings[:2] == ["executive", "summary"]
    exec_part = html.split('id="executive"', 1)[1].split("</section>", 1)[0]
    assert "What changed this month" in exec_part and "Exceptions (2)" in exec_part
    # RAG as a word and a colour class, never by colour alone
    assert '<span class="rag rag-red">✖ Red</span>' in exec_part
    assert exec_part.count('class="spark"') == 3  # one sparkline per vital sign


def test_sections_with_nothing_to_show_are_left_out_and_listed() -> None:
    pack = fixture_pack()
    no_targets = replace(pack, targets=None)
    content = collect(no_targets, draw=False)
    shown = [s.key for s in outline.shown_sections(content)]
    assert "framework" not in shown and "cards" in shown
    left_out = {o.what: o.why for o in outline.omissions(content)}
    assert left_out["Section: Quarterly performance framework"] == (
        "no targets file was given, so nothing is measured against a target"
    )
    # appendices are lettered in the order shown
    titles = [s.title for s in outline.shown_sections(content)]
    assert titles[-2:] == [
        "Appendix A: What this pack leaves out",
        "Appendix B: Data-quality summary",
    ]


def test_a_topic_without_figures_is_left_out_with_the_reason() -> None:
    # the youth justice measures are imported; this build was given none
    rows = fixture_rows(_localities())
    pack = _pack_with(rows, [*IDS, "yj.fte_count", "yj.reoffending_binary_pct"])
    content = collect(pack, draw=False)
    yj = next(t for t in content.topics if t.area_id == "youth_justice")
    assert not yj.has_figures
    left_out = {o.what: o.why for o in outline.omissions(content)}
    assert left_out["Topic: Youth justice"] == (
        "none of its 2 indicators has a figure in the 13 months (the figure is imported, and "
        "this build was given none for this month)"
    )
    html = render_html(collect(pack))
    assert 'id="topic-youth_justice"' not in html
    assert "Topic: Youth justice" in html.split('id="omitted"', 1)[1]
    assert "Youth justice" not in html.split("<h3>Contents</h3>", 1)[1].split("</ol>", 1)[0]


def test_no_machine_ids_or_rules_in_the_pack_text(county_files: Path) -> None:
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(county_files / "pack.pdf").pages)
    for ident in load_catalogue().definitions:
        assert ident not in text, ident
    assert "SELECT" not in text and "cont_contact" not in text
    # the plain definition is printed beside the people's name
    definition = load_catalogue().get("lac.rate_per_10k").definition
    assert definition.split(",")[0] in text.replace("\n", " ")


def test_catalogue_definitions_are_in_peoples_words() -> None:
    ids = set(load_catalogue().definitions)
    for d in load_catalogue():
        assert d.title.strip() and d.definition.strip(), d.id
        words = set(re.findall(r"[a-z_]+\.[a-z0-9_]+", d.definition))
        assert not words & ids, f"{d.id} names another indicator's id in its definition"
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", d.definition), d.id  # parameter names


def test_topics_without_commentary_get_a_marked_draft(county_files: Path) -> None:
    html = (county_files / "pack.html").read_text(encoding="utf-8")
    referrals = html.split('id="topic-referrals"', 1)[1].split("</section>", 1)[0]
    assessments = html.split('id="topic-assessments"', 1)[1].split("</section>", 1)[0]
    # referrals has commentary: no draft
    assert "Referrals held steady." in referrals and "DRAFT" not in referrals
    # assessments has none: the draft is about its headline indicator (the one with a target)
    assert "DRAFT – written automatically from the figures for Assessments completed" in (
        assessments
    )
    # June 2025: 65 / 100 (base 40 + 25), May 64
    assert "The value for June 2025 is 65.0%, up from 64.0% in May 2025 (improving)." in (
        assessments
    )
    assert "Against the target of 88.0% it is rated Red" in assessments


def test_summary_shows_indicators_without_a_target_once_without_rag_columns(
    county_files: Path,
) -> None:
    html = (county_files / "pack.html").read_text(encoding="utf-8")
    summary = html.split('id="summary"', 1)[1].split("</section>", 1)[0]
    compact = summary.split('<table class="summary compact"', 1)[1].split("</table>", 1)[0]
    assert '<tr data-ref="referrals.count">' in compact  # no target
    assert "rag-" not in compact and "Tolerances" not in compact
    assert summary.count('<tr data-ref="referrals.count">') == 1


def test_contacts_by_source_and_caseloads_by_team_type() -> None:
    rows = []
    for n, month in enumerate(reversed([month_back(PERIOD_END, k) for k in range(13)])):
        for source, count, share in (("police", 40 + n, 40.0), ("other_la", 60, 60.0)):
            for ident, value in (("contacts.count", count), ("contacts.source_share_pct", share)):
                rows.append(
                    {
                        "indicator_id": ident,
                        "period_end": month,
                        "breakdown": "source",
                        "breakdown_value": source,
                        "numerator": float(value),
                        "denominator": None,
                        "value": float(value),
                    }
                )
    extra = pl.DataFrame(rows, schema_overrides={"denominator": pl.Float64})
    base = fixture_rows(_localities())
    pack = _pack_with(
        pl.concat([base, extra.select(base.columns)]),
        [*IDS, "contacts.count", "contacts.source_share_pct", "contacts.to_referral_pct"],
    )
    topic = next(t for t in sections.topics(pack) if t.area_id == "contacts")
    (table,) = topic.breakdowns
    assert table.title == "Contacts by source" and table.group_label == "Source"
    by_group = {group: values for group, values, _, _ in table.rows}
    # the month's figures: police 40 + 12 contacts, 40%; no referral figures by source
    assert by_group["Police"] == [52.0, 40.0, None]
    assert by_group["Other local authorities"] == [60.0, 60.0, None]
    assert all(alt.startswith("Trend of Contacts received, ") for *_, alt in table.rows)
    # a locality's pack has no source table: sources are counted for the county
    local = replace(pack, provenance=replace(pack.provenance, locality=pack.localities[0]))
    assert sections.breakdown_tables(local, "contacts") == []


def test_workbook_vital_signs_one_row_per_indicator_rounded_rag_in_words(
    county_pack: Pack, county_files: Path
) -> None:
    from openpyxl import load_workbook

    sheet = load_workbook(county_files / "pack.xlsx")["Vital signs"]
    rows = list(sheet.iter_rows(min_row=3))
    header = [c.value for c in rows[0]]
    months = [f"{m:%b %Y}" for m in county_pack.months]
    assert header == ["Ref", "Indicator", "Good is", *months, "Target", "RAG", "Direction"]
    body = {r[0].value: r for r in rows[1:4]}
    assert list(body) == [REREFERRALS, "assess.within_45wd_pct", "lac.rate_per_10k"]
    lac = body["lac.rate_per_10k"]
    # June 2025: (1000 + 25) / 170,000 children x 10,000 = 60.294..., kept to one decimal
    june = lac[3 + 12]
    assert june.value == 60.3 and june.number_format == "#,##0.0"
    assert body[REREFERRALS][3 + 12].number_format == '#,##0.0"%"'
    assert body[REREFERRALS][header.index("RAG")].value == "Red"
    assert body[REREFERRALS][header.index("Direction")].value == "Worsening"
    # then each month's rating in words, the same shape
    rag_rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] == REREFERRALS]
    assert len(rag_rows) == 2 and rag_rows[1][2 + 12] == "Red"


def test_a_quarterly_imported_measure_keeps_its_topic_with_the_latest_figure() -> None:
    quarter = month_back(PERIOD_END, 3)  # March 2025
    base = fixture_rows(_localities())
    extra = pl.DataFrame(
        {
            "indicator_id": ["yj.fte_count"],
            "period_end": [quarter],
            "breakdown": ["all"],
            "breakdown_value": ["all"],
            "numerator": [12.0],
            "denominator": [None],
            "value": [12.0],
        },
        schema=base.schema,
    )
    pack = _pack_with(pl.concat([base, extra]), [*IDS, "yj.fte_count"])
    yj = next(t for t in sections.topics(pack) if t.area_id == "youth_justice")
    assert yj.has_figures
    (series,) = yj.series
    assert series.values[-4] == 12.0 and series.values[-1] is None  # March of the 13 months
    assert yj.unavailable[0][2] == (
        "the figure is given for a quarter or a year at a time; the latest, for March 2025, is 12"
    )


def test_a_public_pack_marks_suppressed_sources_with_c() -> None:
    rows = []
    for month in [month_back(PERIOD_END, k) for k in range(13)]:
        scopes = (("source", "police", 40.0), ("source", "health", 3.0), ("all", "all", 43.0))
        for breakdown, source, count in scopes:  # health: 3 contacts, a small number
            rows.append(
                {
                    "indicator_id": "contacts.count",
                    "period_end": month,
                    "breakdown": breakdown,
                    "breakdown_value": source,
                    "numerator": count,
                    "denominator": None,
                    "value": count,
                }
            )
    base = fixture_rows(_localities())
    extra = pl.DataFrame(rows, schema_overrides={"denominator": pl.Float64})
    pack = public_pack(
        _pack_with(pl.concat([base, extra.select(base.columns)]), [*IDS, "contacts.count"])
    )
    (table,) = sections.breakdown_tables(pack, "contacts")
    assert ("Health", "Contacts received") in table.suppressed
    by_group = {group: values for group, values, _, _ in table.rows}
    assert by_group["Health"] == [None]
    html = render_html(collect(pack))
    block = html.split("Contacts by source", 1)[1].split("</table>", 1)[0]
    assert re.search(r'<th scope="row">Health</th><td class="num">\[c\]</td>', block)
