"""The canonical model: every SSD table and field, and casting text to the canonical types."""

from __future__ import annotations

from datetime import date

import polars as pl
import yaml

from cscperf.sources.canonical import canonical_tables, conform, empty_table, parse_dates
from cscperf.sources.quality import quality_rules


def test_every_ssd_table_and_field_is_canonical(shared):
    tables = canonical_tables()
    for path in sorted((shared / "data/specs/ssd").glob("ssd_*.yml")):
        for node in yaml.safe_load(path.read_text())["nodes"]:
            assert node["name"] in tables, node["name"]
            # cscperf's extension fields (marked) follow the SSD's own fields.
            ssd_fields = [f.name for f in tables[node["name"]].fields if not f.extension]
            assert ssd_fields == [f["name"] for f in node["fields"]]
    assert tables["population"].extension


def test_types_keys_and_required_fields():
    person = canonical_tables()["ssd_person"]
    assert person.key == ["pers_person_id"]
    assert person.required_fields == ["pers_person_id"]
    assert person.field("pers_dob").type == "date"
    episodes = canonical_tables()["ssd_cla_episodes"]
    assert "clae_person_id" in episodes.required_fields
    assert any(fk.table == "ssd_person" for fk in episodes.foreign_keys)
    assert empty_table("ssd_professionals").schema["prof_professional_caseload"] == pl.Int64


def test_dates_in_every_format_councils_use():
    text = pl.Series(
        [
            "2024-03-31",
            "31/03/2024",
            "31-03-2024",
            "2024-03-31T14:05:00",
            "2024-03-31 14:05:00.000",
            "45382",  # Excel: 45292 is 2024-01-01, plus 90 days
            "1/4/2024",
        ]
    )
    got = pl.select(parse_dates(pl.lit(text))).to_series().to_list()
    assert got == [date(2024, 3, 31)] * 6 + [date(2024, 4, 1)]


def test_values_that_do_not_fit_are_reported_where_they_are():
    raw = pl.DataFrame(
        {
            "prof_professional_id": ["W1", "W2", "W3", "W4"],
            "prof_professional_caseload": ["12", "12.0", "", "lots"],
            "prof_full_time_equivalency": ["0.5", "1", " ", "half"],
            "_source_row": [2, 3, 4, 5],
        }
    )
    out, problems = conform("ssd_professionals", raw, file="prof.csv")
    assert out.get_column("prof_professional_caseload").to_list() == [12, 12, None, None]
    assert out.get_column("prof_full_time_equivalency").to_list() == [0.5, 1.0, None, None]
    assert {(p.rule, p.row, p.field, p.value) for p in problems} == {
        ("invalid-number", 5, "prof_professional_caseload", "lots"),
        ("invalid-number", 5, "prof_full_time_equivalency", "half"),
    }
    assert all(p.file == "prof.csv" and p.severity == "error" for p in problems)
    # Columns missing from the input are added, typed, as blanks.
    assert out.schema["prof_agency_worker_flag"] == pl.String


def test_impossible_dates_are_errors():
    raw = pl.DataFrame({"pers_person_id": ["A", "B"], "pers_dob": ["31/02/2024", "soon"]})
    out, problems = conform("ssd_person", raw, file="p.csv")
    assert out.get_column("pers_dob").null_count() == 2
    assert sorted(p.value for p in problems if p.rule == "invalid-date") == ["31/02/2024", "soon"]


def test_quality_rules_name_real_tables_and_fields():
    tables = canonical_tables()
    rules = quality_rules()
    for rule in [*rules.codes, *rules.date_order, *rules.after_birth, *rules.overlaps]:
        fields = tables[rule.table].field_names
        for attr in ("field", "start", "end", "person", "date"):
            if hasattr(rule, attr):
                assert getattr(rule, attr) in fields, (rule.table, getattr(rule, attr))
    for expected in rules.expected_within:
        assert expected.date in tables[expected.table].field_names
        assert expected.within.start in tables[expected.within.table].field_names
