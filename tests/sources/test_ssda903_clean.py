"""The one-pass check of clean SSDA903 CSV tables gives what the full check gives.

Every case reads the same files twice: as a load does (clean tables typed in one pass, the
others through the full check) and with the one-pass check switched off (every table through
the full check). The typed tables (columns, types, values, order) and the problems reported
(file, row, field, message, in order) must be the same; the cases are the synthetic council
as generated, the same with planted faults, the shared DfE samples, and one year of it with
one thing at a time made out of the ordinary.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from cscperf.sources import ssda903
from cscperf.sources.returns_common import ProblemLog


def read_both(
    paths: list[Path], monkeypatch: pytest.MonkeyPatch, collection_year: int | None = None
) -> tuple[list[ssda903.ReturnTables], int]:
    """The returns read with the one-pass check, after asserting that reading them without
    it gives the same tables and problems; and how many tables the one pass typed."""
    typed: list[int] = []
    one_pass = ssda903.check_clean_tables

    def counted(by_year):  # type: ignore[no-untyped-def]
        found = one_pass(by_year)
        typed.append(sum(len(tables) for tables in found.values()))
        return found

    monkeypatch.setattr(ssda903, "check_clean_tables", counted)
    fast_log = ProblemLog()
    fast = ssda903.read_returns(paths, fast_log, collection_year=collection_year)
    monkeypatch.setattr(ssda903, "check_clean_tables", lambda by_year: {})
    full_log = ProblemLog()
    full = ssda903.read_returns(paths, full_log, collection_year=collection_year)
    monkeypatch.setattr(ssda903, "check_clean_tables", one_pass)
    assert fast_log.problems == full_log.problems
    assert [r.year for r in fast] == [r.year for r in full]
    for ours, theirs in zip(fast, full, strict=True):
        assert list(ours.tables) == list(theirs.tables)
        for table, frame in ours.tables.items():
            assert frame.schema == theirs.tables[table].schema, (ours.year, table)
            assert frame.equals(theirs.tables[table]), (ours.year, table)
    return fast, typed[0]


def csv_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.csv"))


def test_the_synthetic_council_reads_the_same(
    clean_council: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = csv_files(clean_council / "ssda903")
    returns, typed = read_both(paths, monkeypatch)
    tables = sum(len(r.tables) for r in returns)
    assert len(returns) == 3
    # Generated files are clean: all but the odd table (an adoption matched before the
    # decision, a header-only file) are typed in the one pass.
    assert typed >= tables - 3
    assert sum(r.tables["episodes"].height for r in returns) > 50


def test_a_year_given_as_csv_and_xml_reads_the_same(
    clean_council: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    year = sorted((clean_council / "ssda903").iterdir())[-1]
    paths = sorted(year.glob("*.csv")) + sorted(year.glob("*.xml"))
    assert any(p.suffix == ".xml" for p in paths)
    returns, typed = read_both(paths, monkeypatch)
    assert typed >= len(returns[0].tables) - 2


def test_planted_faults_read_the_same(
    faulty_council: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_both(csv_files(faulty_council / "ssda903"), monkeypatch)


@pytest.mark.parametrize("year", [2018, 2025])
def test_the_dfe_samples_read_the_same(
    year: int, shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = csv_files(shared / "data" / "samples" / "ssda903")
    assert samples
    read_both(samples, monkeypatch, collection_year=year)


Edit = Callable[[list[list[str]]], None]


def cell(row: int, column: str, value: str) -> Edit:
    def edit(rows: list[list[str]]) -> None:
        rows[row][rows[0].index(column)] = value

    return edit


def lower(row: int, column: str) -> Edit:
    def edit(rows: list[list[str]]) -> None:
        i = rows[0].index(column)
        rows[row][i] = rows[row][i].lower()

    return edit


def repeat(row: int) -> Edit:
    def edit(rows: list[list[str]]) -> None:
        rows.append(list(rows[row]))

    return edit


def same_key(row: int, other: int) -> Edit:
    def edit(rows: list[list[str]]) -> None:
        rows[other][0] = rows[row][0]
        if "DECOM" in rows[0]:
            i = rows[0].index("DECOM")
            rows[other][i] = rows[row][i]

    return edit


def drop_column(column: str) -> Edit:
    def edit(rows: list[list[str]]) -> None:
        i = rows[0].index(column)
        for values in rows:
            del values[i]

    return edit


def add_column(name: str, value: str) -> Edit:
    def edit(rows: list[list[str]]) -> None:
        rows[0].append(name)
        for values in rows[1:]:
            values.append(value)

    return edit


def header_only(rows: list[list[str]]) -> None:
    del rows[1:]


def uneven(rows: list[list[str]]) -> None:
    """One line a value short, the next one over: as many commas in all."""
    rows[1] = rows[1][:-1]
    rows[2] = [*rows[2], "X"]


def blank_row(rows: list[list[str]]) -> None:
    rows.insert(2, [""] * len(rows[0]))


CASES: dict[str, tuple[str, Edit]] = {
    "date-short": ("episodes.csv", cell(1, "DECOM", "1/4/2024")),
    "date-iso": ("episodes.csv", cell(1, "DECOM", "2024-04-01")),
    "date-impossible": ("episodes.csv", cell(1, "DECOM", "31/02/2024")),
    "date-leap-day": ("episodes.csv", cell(1, "DECOM", "29/02/2024")),
    "date-not-leap": ("episodes.csv", cell(1, "DECOM", "29/02/2023")),
    "date-old-year": ("episodes.csv", cell(1, "DEC", "01/01/0999")),
    "date-text": ("header.csv", cell(1, "DOB", "soon")),
    "date-time": ("header.csv", cell(1, "DOB", "01/05/2010 00:00")),
    "key-blank": ("episodes.csv", cell(1, "DECOM", "")),
    "required-blank": ("episodes.csv", cell(1, "LS", "")),
    "code-lower": ("episodes.csv", lower(1, "LS")),
    "code-unknown": ("episodes.csv", cell(1, "RNE", "ZZ")),
    "code-old-year": ("episodes.csv", cell(1, "PLACE", "P1")),
    "number-out-of-range": ("oc2.csv", cell(1, "SDQ_SCORE", "41")),
    "number-not-one": ("oc2.csv", cell(1, "SDQ_SCORE", "x")),
    "number-decimal": ("oc2.csv", cell(1, "SDQ_SCORE", "7.0")),
    "number-zero-led": ("oc2.csv", cell(1, "SDQ_SCORE", "07")),
    "postcode-lower": ("episodes.csv", cell(1, "PL_POST", "ab1 2cd")),
    "postcode-wrong": ("episodes.csv", cell(1, "HOME_POST", "NOWHERE")),
    "permanence-unknown-day": ("previous_permanence.csv", cell(1, "DATE_PERM", "zz/05/2019")),
    "permanence-wrong": ("previous_permanence.csv", cell(1, "DATE_PERM", "May 2019")),
    "row-twice": ("episodes.csv", repeat(1)),
    "key-twice": ("header.csv", same_key(1, 2)),
    "end-before-start": ("episodes.csv", cell(1, "DEC", "01/01/1990")),
    "after-the-year": ("episodes.csv", cell(1, "DECOM", "01/04/2030")),
    "column-missing": ("episodes.csv", drop_column("URN")),
    "required-column-missing": ("episodes.csv", drop_column("LS")),
    "column-extra": ("episodes.csv", add_column("NOTES", "x")),
    "column-twice": ("episodes.csv", add_column("LS", "C2")),
    "optional-column": ("header.csv", add_column("UASC", "0")),
    "header-only": ("reviews.csv", header_only),
    "uneven-lines": ("reviews.csv", uneven),
    "blank-row": ("reviews.csv", blank_row),
    "spaces": ("header.csv", cell(1, "UPN", " A123 ")),
    "carried-header": ("episodes.csv", add_column("SEX", "1")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_anything_out_of_the_ordinary_reads_the_same(
    case: str, clean_council: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    year = sorted((clean_council / "ssda903").iterdir())[-1]
    folder = tmp_path / year.name
    shutil.copytree(year, folder, ignore=shutil.ignore_patterns("*.xml"))
    name, edit = CASES[case]
    path = folder / name
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) > 3, f"{name} has too few rows for the case"
    edit(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    returns, typed = read_both(csv_files(folder), monkeypatch)
    assert typed >= 1  # the untouched tables still go through the one pass
    assert returns and all(isinstance(f, pl.DataFrame) for f in returns[0].tables.values())


def test_line_ends_and_encodings_read_the_same(
    clean_council: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    year = sorted((clean_council / "ssda903").iterdir())[-1]
    folder = tmp_path / year.name
    shutil.copytree(year, folder, ignore=shutil.ignore_patterns("*.xml"))
    text = (folder / "episodes.csv").read_text(encoding="utf-8")
    (folder / "episodes.csv").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    (folder / "header.csv").write_bytes((folder / "header.csv").read_text().encode("utf-16"))
    reviews = (folder / "reviews.csv").read_text().rstrip("\n")
    (folder / "reviews.csv").write_bytes(b"\xef\xbb\xbf" + reviews.encode("utf-8"))
    returns, typed = read_both(csv_files(folder), monkeypatch)
    assert typed == len(returns[0].tables)
