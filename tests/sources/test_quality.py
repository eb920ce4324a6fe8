"""Each cross-table data-quality check on a hand-built case, and the merge precedence rule."""

from __future__ import annotations

from datetime import date

import polars as pl

from cscperf.sources.merge import merge_table, prepare
from cscperf.sources.quality import (
    check_after_birth,
    check_codes,
    check_date_order,
    check_expected_within,
    check_foreign_keys,
    check_overlaps,
    check_required,
    quality_rules,
)

D = date.fromisoformat


def _rule(section: str, table: str):
    return next(r for r in getattr(quality_rules(), section) if r.table == table)


def _episodes(rows: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "clae_person_id": [r[0] for r in rows],
            "clae_cla_episode_start_date": [D(r[1]) for r in rows],
            "clae_cla_episode_ceased_date": [D(r[2]) if r[2] else None for r in rows],
            "_source_file": ["e.csv"] * len(rows),
            "_source_row": list(range(2, len(rows) + 2)),
        },
        schema_overrides={"clae_cla_episode_ceased_date": pl.Date},
    )


def test_required_field_blank():
    df = pl.DataFrame(
        {"pers_person_id": ["A", None], "_source_file": ["p.csv"] * 2, "_source_row": [2, 3]}
    )
    problems = check_required("ssd_person", df)
    assert [(p.rule, p.row, p.field, p.severity) for p in problems] == [
        ("required-field", 3, "pers_person_id", "error")
    ]


def test_code_not_in_list():
    df = pl.DataFrame({"cppl_cp_plan_initial_category": ["NEG", "neg", "XYZ", None]})
    problems = check_codes(_rule("codes", "ssd_cp_plans"), df)
    assert [p.value for p in problems] == ["XYZ"]


def test_end_before_start():
    df = _episodes([("A", "2024-01-10", "2024-01-09"), ("A", "2024-02-01", "2024-02-01")])
    problems = check_date_order(_rule("date_order", "ssd_cla_episodes"), df)
    assert [(p.rule, p.row, p.value) for p in problems] == [("end-before-start", 2, "2024-01-09")]


def test_event_before_birth():
    person = pl.DataFrame({"pers_person_id": ["A", "B"], "pers_dob": [D("2020-05-01")] * 2})
    cin = pl.DataFrame(
        {
            "cine_person_id": ["A", "B", "C"],
            "cine_referral_date": [D("2020-04-30"), D("2020-05-01"), D("2000-01-01")],
            "_source_file": ["c.csv"] * 3,
            "_source_row": [2, 3, 4],
        }
    )
    problems = check_after_birth(_rule("after_birth", "ssd_cin_episodes"), cin, person)
    assert [(p.rule, p.row) for p in problems] == [("date-before-birth", 2)]


def test_overlapping_episodes_but_touching_is_fine():
    df = _episodes(
        [
            ("A", "2024-01-01", "2024-02-01"),
            ("A", "2024-02-01", "2024-03-01"),  # starts the day the last ceased: fine
            ("A", "2024-02-15", None),  # starts inside the previous one
            ("B", "2024-01-01", None),  # open
            ("B", "2024-06-01", "2024-07-01"),  # inside the open one
            ("C", "2024-01-01", "2024-01-02"),
        ]
    )
    problems = check_overlaps(_rule("overlaps", "ssd_cla_episodes"), df)
    assert sorted((p.row, p.severity) for p in problems) == [(4, "error"), (6, "error")]
    assert "still open" in next(p.message for p in problems if p.row == 6)


def test_cp_plan_outside_any_cin_episode():
    plans = pl.DataFrame(
        {
            "cppl_person_id": ["A", "A", "B"],
            "cppl_cp_plan_start_date": [D("2024-02-01"), D("2024-09-01"), D("2024-02-01")],
            "_source_file": ["cp.csv"] * 3,
            "_source_row": [2, 3, 4],
        }
    )
    cin = pl.DataFrame(
        {
            "cine_person_id": ["A"],
            "cine_referral_date": [D("2024-01-01")],
            "cine_close_date": [D("2024-06-30")],
        }
    )
    problems = check_expected_within(_rule("expected_within", "ssd_cp_plans"), plans, cin)
    assert [(p.rule, p.row) for p in problems] == [
        ("not-where-expected", 3),
        ("not-where-expected", 4),
    ]


def test_record_pointing_at_missing_person():
    tables = {
        "ssd_person": pl.DataFrame({"pers_person_id": ["A"]}),
        "ssd_cin_episodes": pl.DataFrame(
            {
                "cine_person_id": ["A", "Z"],
                "_source_file": ["c.csv"] * 2,
                "_source_row": [2, 3],
            }
        ),
    }
    problems = check_foreign_keys(tables)
    assert [(p.rule, p.row, p.field) for p in problems] == [("orphan-record", 3, "cine_person_id")]
    assert all("Z" not in (p.value or "") + p.message for p in problems)


def _person_frame(rows, file, as_at, order):
    raw = pl.DataFrame(
        {
            "pers_person_id": [r[0] for r in rows],
            "pers_sex": [r[1] for r in rows],
            "_source_file": [file] * len(rows),
            "_source_row": list(range(2, len(rows) + 2)),
        }
    )
    frame, problems = prepare("ssd_person", raw, file=file, as_at=D(as_at), order=order)
    assert problems == []
    return frame


def test_merge_precedence():
    older = _person_frame(
        [("A", "M"), ("B", "F"), ("B", "F"), ("C", "F")], "2024.csv", "2024-03-31", 0
    )
    newer = _person_frame([("A", "F"), ("B", "F")], "2025.csv", "2025-03-31", 1)
    same_date = _person_frame([("C", "M")], "other.csv", "2024-03-31", 2)
    merged, problems = merge_table("ssd_person", [older, newer, same_date])
    facts = dict(merged.select("pers_person_id", "pers_sex").iter_rows())
    assert facts == {"A": "F", "B": "F", "C": "M"}
    found = {(p.rule, p.file, p.row) for p in problems}
    assert found == {
        ("duplicate-row", "2024.csv", 4),  # B repeated exactly inside one file
        ("corrected-by-later-return", "2024.csv", 2),  # A corrected by the 2025 extract
        ("cross-return-contradiction", "2024.csv", 5),  # C differs in an equally recent file
    }


def test_duplicate_key_inside_one_file_is_an_error():
    frame = _person_frame([("A", "M"), ("A", "F")], "p.csv", "2025-03-31", 0)
    merged, problems = merge_table("ssd_person", [frame])
    assert merged.height == 1
    assert [(p.rule, p.row, p.severity) for p in problems] == [("duplicate-key", 2, "error")]
