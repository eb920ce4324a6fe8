"""SSDA903 loose ends of a real council's load: a missing period left open at 31 March and not
repeated by the next return, a table with a header and no rows, files that are not text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from files_903 import EPISODES, HEADER, MISSING, write

from cscperf.sources.base import Severity
from cscperf.sources.ingest import recognise, registered_readers
from cscperf.sources.ssda903 import SSDA903Reader
from cscperf.sources.ssda903_stitch import missing_closed_by


def year_files(root: Path, year: str, missing: list[str] | None) -> list[Path]:
    """Header and one open episode of child 1 (in care since 2023), and the missing table
    with ``missing`` rows (None: no missing file in this year's return)."""
    folder = root / year
    files = [
        write(folder, "header.csv", HEADER, "1,1,01/02/2010,WBRI,,,"),
        write(folder, "episodes.csv", EPISODES, "1,01/05/2023,S,C2,N1,U1,PR1,,,,,,"),
    ]
    if missing is not None:
        files.append(write(folder, "missing.csv", MISSING, *missing))
    return files


def missing_of(result) -> dict[str, date | None]:
    frame = result.tables["ssd_missing"]
    return dict(
        zip(
            frame["miss_missing_episode_start_date"].cast(str).to_list(),
            frame["miss_missing_episode_end_date"].to_list(),
            strict=True,
        )
    )


def problems(result, rule: str):
    return [p for p in result.problems if p.rule == rule]


def test_the_first_later_return_holding_missing_bounds_an_open_period() -> None:
    assert missing_closed_by(2024, [2023, 2024, 2025, 2026]) == 2025
    assert missing_closed_by(2024, [2026]) == 2026
    assert missing_closed_by(2025, [2024, 2025]) is None
    assert missing_closed_by(2024, []) is None


def test_open_period_not_repeated_by_the_next_return_ends_on_31_march(tmp_path: Path) -> None:
    files = year_files(
        tmp_path, "2024", ["1,01/02/2010,M,20/03/2024,", "1,01/02/2010,A,02/01/2024,03/01/2024"]
    )
    files += year_files(tmp_path, "2025", ["1,01/02/2010,M,10/06/2024,12/06/2024"])
    result = SSDA903Reader().read(files)
    assert missing_of(result) == {
        "2024-03-20": date(2024, 3, 31),
        "2024-01-02": date(2024, 1, 3),
        "2024-06-10": date(2024, 6, 12),
    }
    (warned,) = problems(result, "903.missing.not_continued")
    assert warned.severity == Severity.WARNING
    assert warned.file == str(tmp_path / "2024" / "missing.csv")
    assert warned.row == 2
    assert warned.field == "MIS_END"
    assert "2024-03-31" in warned.message and "2025 return" in warned.message
    assert "1,01/02/2010" not in warned.message


def test_a_gap_year_bounds_the_period_by_the_return_after_it(tmp_path: Path) -> None:
    files = year_files(tmp_path, "2024", ["1,01/02/2010,M,20/03/2024,"])
    files += year_files(tmp_path, "2026", ["1,01/02/2010,A,10/06/2025,12/06/2025"])
    result = SSDA903Reader().read(files)
    assert missing_of(result)["2024-03-20"] == date(2025, 3, 31)
    (warned,) = problems(result, "903.missing.not_continued")
    assert "2026 return" in warned.message


def test_open_period_repeated_and_closed_by_the_next_return_is_one(tmp_path: Path) -> None:
    files = year_files(tmp_path, "2024", ["1,01/02/2010,M,20/03/2024,"])
    files += year_files(tmp_path, "2025", ["1,01/02/2010,M,20/03/2024,04/04/2024"])
    result = SSDA903Reader().read(files)
    assert missing_of(result) == {"2024-03-20": date(2024, 4, 4)}
    assert not problems(result, "903.missing.not_continued")


def test_open_period_stays_open_without_a_later_missing_table(tmp_path: Path) -> None:
    # The latest return: still missing at its reference date.
    latest = SSDA903Reader().read(
        year_files(tmp_path / "a", "2025", ["1,01/02/2010,M,20/03/2025,"])
    )
    assert missing_of(latest) == {"2025-03-20": None}
    # A later return given without its missing table says nothing about the period.
    files = year_files(tmp_path / "b", "2024", ["1,01/02/2010,M,20/03/2024,"])
    files += year_files(tmp_path / "b", "2025", None)
    result = SSDA903Reader().read(files)
    assert missing_of(result) == {"2024-03-20": None}
    assert not problems(result, "903.missing.not_continued")


def test_header_only_missing_table_warns_no_rows_and_counts_as_given(tmp_path: Path) -> None:
    files = year_files(tmp_path, "2024", ["1,01/02/2010,M,20/03/2024,"])
    files += year_files(tmp_path, "2025", [])
    result = SSDA903Reader().read(files)
    (empty,) = problems(result, "no-rows")
    assert empty.severity == Severity.WARNING
    assert empty.file == str(tmp_path / "2025" / "missing.csv")
    assert empty.row == 1 and empty.table == "missing"
    # The empty 2025 table still says the 2024 period was not running on 1 April 2024.
    assert missing_of(result) == {"2024-03-20": date(2024, 3, 31)}
    assert not problems(result, "903.file.empty")


def test_a_table_with_rows_gives_no_no_rows_warning(tmp_path: Path) -> None:
    result = SSDA903Reader().read(year_files(tmp_path, "2025", ["1,01/02/2010,M,20/03/2025,"]))
    assert not problems(result, "no-rows")


BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256))


def test_binary_903_table_named_like_one_is_an_error_naming_it(tmp_path: Path) -> None:
    readers = registered_readers()
    named = tmp_path / "2025" / "episodes.csv"
    in_folder = tmp_path / "ssda903_2025" / "export1.csv"
    population = tmp_path / "ons_population_2023.csv"
    other = tmp_path / "council" / "misc" / "notes.csv"
    for path in (named, in_folder, population, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(BINARY)
    assert recognise(named, readers)[0] == "ssda903"
    assert recognise(in_folder, readers)[0] == "ssda903"
    assert recognise(population, readers)[0] == "population"
    assert recognise(other, readers)[0] == "unknown"
    header = write(tmp_path / "2025", "header.csv", HEADER, "1,1,01/02/2010,WBRI,,,")
    result = SSDA903Reader().read([named, in_folder, header])
    errors = problems(result, "903.file.not_text")
    assert [p.file for p in errors] == [str(named), str(in_folder)]
    assert all(p.severity == Severity.ERROR for p in errors)
    assert result.tables["ssd_person"].height == 1  # the good file is still read
