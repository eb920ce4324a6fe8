"""The risk register in the pack: the heat map in numbers and words, moved risks first, the
linked indicators' RAG beside each risk, and every field in the workbook."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from tests.reports.fixtures import PERIOD_END, fixture_pack

from cscperf.reports.html import collect, render_html
from cscperf.reports.risk_section import pack_risks
from cscperf.risk.register import RiskVersion, register_as_at
from cscperf.risk.table import HEADERS
from cscperf.settings import RiskSettings


def versions() -> list[RiskVersion]:
    """June 2025 (the fixture pack's month):

    * P1 placement sufficiency: 4 x 4 = 16 in May, 4 x 5 = 20 on 10 June: worsening, high;
      target 2 x 3 = 6 by 31 March 2026 (far, 14 points; not near): amber. Linked to the
      looked-after rate, which the fixture pack rates red in June (the county's 1,025 / 170,000
      x 10,000 = 60.3 against the example target), and to re-referrals.
    * W2 workforce: 3 x 3 = 9 since April, unchanged; target 2 x 3 = 6 by 31 July 2025 (near,
      3 points): amber; last reviewed 2 March 2025, due 2 June: overdue at 30 June.
    """
    base = {
        "target_date": date(2026, 3, 31),
        "owner": "Head of CLA",
        "reviewed_by": "Head of CLA",
    }
    p1 = RiskVersion(
        risk_id="P1",
        name="Placement sufficiency",
        likelihood=4,
        impact=4,
        target_likelihood=2,
        target_impact=3,
        reviewed_on=date(2025, 5, 12),
        entered=date(2025, 5, 12),
        links=("lac.rate_per_10k", "referrals.rereferral_12m_pct"),
        version=1,
        **base,
    )
    w2 = RiskVersion(
        risk_id="W2",
        name="Social worker vacancies",
        likelihood=3,
        impact=3,
        target_likelihood=2,
        target_impact=3,
        reviewed_on=date(2025, 3, 2),
        entered=date(2025, 3, 2),
        version=2,
        **{**base, "target_date": date(2025, 7, 31), "owner": "Head of HR"},
    )
    return [
        p1,
        w2,
        replace(
            p1,
            impact=5,
            reviewed_on=date(2025, 6, 10),
            version=3,
            progress="Two providers withdrew; =SUM(A1) spot purchase",
        ),
    ]


@pytest.fixture(scope="module")
def content():  # type: ignore[no-untyped-def]
    pack = fixture_pack()
    pack.risks = register_as_at(versions(), PERIOD_END, RiskSettings())
    return collect(pack)


def test_section_rows(content) -> None:  # type: ignore[no-untyped-def]
    section = pack_risks(content.pack)
    assert section is not None
    p1, w2 = section.lines
    assert (p1.risk.risk_id, p1.risk.score, p1.row.previous_score) == ("P1", 20, 16)
    assert (p1.direction.label, p1.prospects.label, p1.row.band.label) == (
        "Worsening (score up)",
        "Amber",
        "High",
    )
    assert (w2.direction.label, w2.prospects.label, w2.row.overdue) == ("Unchanged", "Amber", True)
    assert [(k.ref, k.rag, k.mark.label) for k in p1.links] == [
        ("lac.rate_per_10k", "green", "Green"),
        ("referrals.rereferral_12m_pct", "red", "Red"),
    ]
    # heat map, impact 5 at the top: P1 now at likelihood 4, impact 5 (20 High)
    top = section.heat_rows[0]
    assert top[3].now == ["P1"] and top[3].score == 20 and top[3].band.label == "High"
    # both targets at likelihood 2, impact 3 (row impact 3 is the third from the top)
    assert section.heat_rows[2][1].target == ["P1", "W2"]
    assert section.heat_rows[2][2].now == ["W2"]
    assert section.summary == (
        "2 open risks (0 low, 1 medium, 1 high); 1 moved this month, 1 overdue for review, "
        "0 closed this month."
    )


def test_html(content) -> None:  # type: ignore[no-untyped-def]
    html = render_html(content, date(2025, 7, 10))
    assert '<h2 id="risks"><span class="running">Risk register</span> (June 2025)</h2>' in html
    assert '20 High</span><span class="heat-now">Now: P1</span>' in html
    assert "Target: P1, W2" in html
    title = content.pack.definitions["referrals.rereferral_12m_pct"].title
    assert f"✖ Red: {title} (referrals.rereferral_12m_pct)" in html
    assert (
        "<li><strong>P1</strong> Placement sufficiency: ↑ Worsening (score up), 16 to 20.</li>"
        in html
    )
    assert "Review overdue (due 02/06/2025)" in html
    # the moved risk comes first in the register table
    assert html.index('<th scope="row">P1') < html.index('<th scope="row">W2')


def test_workbook_keeps_every_field(content, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    from cscperf.reports.excel import write_workbook

    write_workbook(content, tmp_path / "pack.xlsx")
    book = load_workbook(tmp_path / "pack.xlsx")
    ws = book["Risk register"]
    header = [c.value for c in ws[4]]
    assert header == list(HEADERS)
    first = dict(zip(header, [c.value for c in ws[5]], strict=True))
    assert first["Risk number"] == "P1" and first["Current risk score"] == 20
    assert first["Score last month"] == 16 and first["Target date"].date() == date(2026, 3, 31)
    assert first["Direction of travel"] == "Worsening (score up)"
    assert first["Progress update"].startswith("Two providers")
    assert first["Linked indicators"] == (
        "lac.rate_per_10k (Green); referrals.rereferral_12m_pct (Red)"
    )
    heat = book["Risk heat map"]
    assert heat.cell(4, 5).value == "20 High: now: P1"
