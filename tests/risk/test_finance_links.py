"""A risk linked to a finance monitoring line shows that line's RAG beside it, as a risk
linked to an indicator shows the indicator's."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from tests.reports.fixtures import fixture_pack

from cscperf.errors import InputError
from cscperf.reports.risk_section import link_title, pack_rag
from cscperf.risk.importer import read_register
from cscperf.risk.register import finance_label
from cscperf.settings import RiskSettings

HEADINGS = (
    "Risk Number,Risk Name,Risk Description,Current Likelihood,Current Impact,"
    "Target Likelihood,Target Impact,Target Date,Risk Owner,Reviewed and/or updated by,"
    "Date of review and/or update,Linked indicators"
)


def _register(tmp_path: Path, links: str) -> Path:
    path = tmp_path / "register.csv"
    path.write_text(
        f"{HEADINGS}\nP1,Placement sufficiency,Too few local places,4,4,2,3,31/03/2027,"
        f"Head of CLA,Head of CLA,01/11/2026,{links}\n",
        encoding="utf-8",
    )
    return path


def test_finance_links_name_a_line_by_s251_code_or_division() -> None:
    assert finance_label("finance:3.1.1") == "3.1.1"
    assert finance_label("finance:Agency_residential") == "Agency residential"
    assert finance_label("finance:") is None and finance_label("lac.count") is None
    assert link_title("finance:Agency_residential") == "Finance: Agency residential"


def test_the_importer_takes_finance_links_and_still_refuses_unknown_indicators(
    tmp_path: Path,
) -> None:
    known = {"lac.count"}
    settings = RiskSettings()
    ok = read_register(_register(tmp_path, "lac.count finance:Agency_residential"), settings, known)
    assert ok[0].links == ("lac.count", "finance:Agency_residential")
    with pytest.raises(InputError, match=r"lac\.nothing is not an indicator id"):
        read_register(_register(tmp_path, "lac.nothing finance:3.1.1"), settings, known)


def _line(label: str, rag: str) -> SimpleNamespace:
    return SimpleNamespace(label=label, rag=rag)


def test_a_finance_link_gets_the_months_rag_of_its_line() -> None:
    monitoring = SimpleNamespace(
        council_fund=SimpleNamespace(lines=[_line("Agency residential", "red")]),
        by_s251=[_line("3.1.2", "green")],
        dsg_blocks=[SimpleNamespace(lines=[_line("High needs top-up", "amber")])],
    )
    rag_of = pack_rag(fixture_pack(), SimpleNamespace(monitoring=monitoring))  # type: ignore[arg-type]
    assert rag_of("finance:Agency_residential") == "red"
    assert rag_of("finance:agency_RESIDENTIAL") == "red"  # labels match whatever the case
    assert rag_of("finance:3.1.2") == "green"
    assert rag_of("finance:High_needs_top-up") == "amber"
    assert rag_of("finance:3.9.9") is None  # not in this month's monitoring: no RAG
    # without finance for the month a finance link has no RAG, and indicators are unaffected
    assert pack_rag(fixture_pack())("finance:3.1.2") is None
