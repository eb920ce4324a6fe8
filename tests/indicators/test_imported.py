"""Imported measures: layouts recognised, rows checked with file/row/field, spells merged,
result rows flagged imported, not-available rows when nothing was imported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cscperf.errors import InputError
from cscperf.indicators.imported import imported_results, merge_spells, read_files


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_workforce_file_gives_percentages_flagged_imported(tmp_path):
    f = write(
        tmp_path,
        "wf.csv",
        "period_end,inpost_fte,agency_fte,vacancy_fte,leavers_fte_12m,"
        "agency_rate_pct\n2025-09-30,468.1,6,5,52.9,1.3\n",
    )
    frames = read_files([f])
    res = imported_results(
        {"imported_workforce": frames["workforce"]}, [date(2025, 8, 31), date(2025, 9, 30)]
    )
    sep = res.filter(res["period_end"] == date(2025, 9, 30))
    turnover = sep.filter(sep["indicator_id"] == "workforce.turnover_rate_pct").row(0, named=True)
    # Norfolk 2025: 52.9 / 468.1 = 11.3%
    assert round(turnover["value"], 1) == 11.3 and turnover["flags"] == ["imported"]
    agency = sep.filter(sep["indicator_id"] == "workforce.agency_rate_pct").row(0, named=True)
    assert agency["denominator"] == pytest.approx(474.1)
    aug = res.filter(res["period_end"] == date(2025, 8, 31)).row(0, named=True)
    assert aug["value"] is None and "no row for August 2025" in aug["reason"]


def test_supplied_rate_must_agree(tmp_path):
    f = write(
        tmp_path,
        "wf.csv",
        "period_end,inpost_fte,agency_fte,vacancy_fte,leavers_fte_12m,"
        "agency_rate_pct\n2025-09-30,468.1,6,5,52.9,1.5\n",
    )
    with pytest.raises(InputError, match=r"wf.csv, row 2, field agency_rate_pct"):
        read_files([f])


def test_bad_date_names_file_row_and_field(tmp_path):
    f = write(
        tmp_path,
        "pep.csv",
        "person_id,pep_date,pep_status\nP1,2024-01-05,completed\nP2,31/02/2024,completed\n",
    )
    with pytest.raises(InputError, match=r"pep.csv, row 3, field pep_date"):
        read_files([f])


def test_unknown_header_is_refused(tmp_path):
    f = write(tmp_path, "x.csv", "a,b\n1,2\n")
    with pytest.raises(InputError, match="none of the imported layouts"):
        read_files([f])


def test_temporary_then_full_approval_is_one_spell():
    spells = merge_spells(
        [
            ("H1", "kinship", date(2023, 1, 1), "temporary_reg24", date(2023, 5, 1)),
            ("H1", "mainstream", date(2023, 5, 1), "full", None),
            ("H2", "kinship", date(2023, 1, 1), "temporary_reg24", date(2023, 3, 1)),  # ceased
            ("H2", "kinship", date(2024, 1, 1), "full", None),  # approved again later: new spell
        ]
    )
    assert len(spells) == 3
    h1 = spells[0]
    assert (
        h1.approval_date,
        h1.deregistration_date,
        h1.carer_type_at_end,
        h1.full_approval_date,
    ) == (date(2023, 1, 1), None, "mainstream", date(2023, 5, 1))


def test_yj_values_and_derived_count(tmp_path):
    f = write(
        tmp_path,
        "yj.csv",
        "measure,period_start,period_end,numerator,denominator,value,publisher\n"
        "yj.fte_rate_per_100k,2024-01-01,2024-12-31,120,80000,150,YJB\n"
        "yj.reoffending_binary_pct,2022-07-01,2023-06-30,,,31.2,MoJ\n",
    )
    frames = read_files([f])
    res = imported_results({"imported_yj": frames["yj"]}, [date(2023, 6, 30), date(2024, 12, 31)])
    count = res.filter(res["indicator_id"] == "yj.fte_count").row(0, named=True)
    assert (count["period_end"], count["value"]) == (date(2024, 12, 31), 120)
    reoff = res.filter(res["indicator_id"] == "yj.reoffending_binary_pct").row(0, named=True)
    assert reoff["numerator"] is None and reoff["value"] == 31.2


def test_yj_value_must_agree_with_terms(tmp_path):
    f = write(
        tmp_path,
        "yj.csv",
        "measure,period_start,period_end,numerator,denominator,value,publisher\n"
        "yj.fte_rate_per_100k,2024-01-01,2024-12-31,120,80000,160,YJB\n",
    )
    with pytest.raises(InputError, match="row 2, field value"):
        read_files([f])


def test_nothing_imported_is_not_available_never_zero():
    res = imported_results({}, [date(2024, 3, 31)])
    assert res.height == 6
    assert res["value"].null_count() == 6
    assert all(f == ["not_available"] for f in res["flags"].to_list())
