"""The indicators commands against a small published build: the output contract columns and
order, results stored with the build, list and explain."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from tests.indicators.helpers import SETTINGS

from cscperf.cli import main
from cscperf.indicators.contract import RESULT_SCHEMA
from cscperf.indicators.testing import frame
from cscperf.store import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store")
    referrals = [
        {
            "cine_referral_id": "1",
            "cine_person_id": "A",
            "cine_referral_date": "2024-02-10",
            "cine_referral_team": "T1",
        },
        {
            "cine_referral_id": "2",
            "cine_person_id": "B",
            "cine_referral_date": "2024-03-05",
            "cine_referral_team": "T3",
        },
        {"cine_referral_id": "3", "cine_person_id": "C", "cine_referral_date": "2024-03-31"},
    ]
    Store(path).publish(
        {"ssd_cin_episodes": frame("ssd_cin_episodes", referrals)},
        {"extract_date": "2024-04-15", "not_supplied": {"ssd_contacts": "no input supplied"}},
        SETTINGS,
        None,
    )
    return path


def test_csv_follows_the_contract(store, capsys):
    code = main(
        [
            "indicators",
            "--store",
            str(store),
            "--period",
            "2024-03",
            "--months",
            "2",
            "--ids",
            "referrals.count",
            "--by",
            "all,locality",
        ]
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == list(RESULT_SCHEMA)
    body = {(r[1], r[2], r[3]): r for r in rows[1:]}
    # February: A (T1, North); March: B (T3, South) and C (no team: unallocated).
    assert body[("2024-02-29", "all", "all")][4:7] == ["1", "", "1"]
    assert body[("2024-03-31", "all", "all")][4:7] == ["2", "", "2"]
    assert body[("2024-03-31", "locality", "South")][6] == "1"
    assert body[("2024-03-31", "locality", "unallocated")][6] == "1"
    assert (store / "builds").is_dir()
    assert list(store.glob("builds/*/results/indicators.parquet"))


def test_json_and_not_available(store, capsys):
    code = main(
        [
            "indicators",
            "--store",
            str(store),
            "--period",
            "2024-03",
            "--ids",
            "contacts.count",
            "--format",
            "json",
        ]
    )
    assert code == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["value"] is None and records[0]["flags"] == ["not_available"]
    assert "no input supplied" in records[0]["reason"]


def test_a_month_outside_the_results_is_an_error(store, capsys):
    assert main(["indicators", "--store", str(store), "--period", "2030-01"]) == 1


def test_list_and_explain(capsys):
    assert main(["indicators", "list"]) == 0
    listed = capsys.readouterr().out
    assert "referrals.count\tReferrals to children's social care\tcount" in listed
    # Measures kept outside the case system are imported, not "not yet implemented".
    workforce = [line for line in listed.splitlines() if line.startswith("workforce.")]
    assert workforce and all(line.endswith("\timported") for line in workforce)
    assert main(["indicators", "explain", "cin.plan_up_to_date_pct", "--period", "2024-03"]) == 0
    out = capsys.readouterr().out
    assert "cin_plan_due_wd: 45" in out and "GROUP BY" in out


@pytest.mark.postgres
def test_computing_on_postgresql_gives_the_same_rows_and_leaves_nothing_behind(store, capsys):
    import os

    url = os.environ.get("CSCPERF_TEST_PG_URL")
    if not url:
        pytest.fail("CSCPERF_TEST_PG_URL is not set; run through `make test`")
    args = ["indicators", "--store", str(store), "--period", "2024-03", "--months", "2"]
    assert main(args) == 0
    embedded = capsys.readouterr().out
    from cscperf.indicators.results import postgres_connection

    con = postgres_connection(url)
    before = set(con.list_tables())
    assert main([*args, "--database", url]) == 0
    assert capsys.readouterr().out == embedded
    assert set(con.list_tables()) == before  # the copied tables and scratch tables are gone
    con.disconnect()


def test_an_unreachable_database_is_a_sentence_not_a_traceback(store, capsys):
    code = main(
        [
            "indicators",
            "--store",
            str(store),
            "--period",
            "2024-03",
            "--database",
            "postgresql://someone:secret@127.0.0.1:1/nowhere",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "cannot connect to the PostgreSQL server" in err
    assert "secret" not in err and "someone:***@" in err


def test_a_database_that_is_not_postgresql_is_refused(store, capsys):
    args = ["indicators", "--store", str(store), "--period", "2024-03"]
    assert main([*args, "--database", "mysql://x@y/z"]) == 1
    assert "give a PostgreSQL address" in capsys.readouterr().err
