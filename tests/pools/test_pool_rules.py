"""Pools, piece by piece: the keyed hash, the degrade step, membership, and misuse.

Hash values were worked out with openssl, independently of the code:
``printf '926:C001' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cscperf.cli import main
from cscperf.pools.degrade import degrade_table, degrade_tables, postcode_district
from cscperf.pools.keys import (
    KEY_ENV,
    KeyedHasher,
    PoolUsageError,
    hash_column,
    hash_identifier,
    key_check,
    read_key,
)
from cscperf.pools.membership import members_at
from cscperf.pools.settings import Degrade

KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"
# HMAC-SHA256 by openssl, first 32 hexadecimal digits
HASH_926_C001 = "5d6d1b6c32339792872564ff694fbddb"
HASH_202_C001 = "5c6cb7d47be5ec99485e29f4431d8f50"
HASH_926_C001_OTHER_KEY = "5c9bf684d8bddada14e6ba5190aa9882"
KEY_CHECK = "b33c536d4c48b01e"


def test_hash_matches_openssl_and_is_stable() -> None:
    assert hash_identifier(KEY, "926", "C001") == HASH_926_C001
    assert hash_identifier(KEY, "926", "C001") == HASH_926_C001  # the same next month
    assert key_check(KEY) == KEY_CHECK


def test_hash_separates_keys_and_councils() -> None:
    assert hash_identifier(OTHER_KEY, "926", "C001") == HASH_926_C001_OTHER_KEY
    assert hash_identifier(KEY, "202", "C001") == HASH_202_C001
    assert key_check(OTHER_KEY) != KEY_CHECK


def test_hash_column_keeps_nulls_and_repeats() -> None:
    hashed = hash_column(pl.Series(["C001", None, "C001"]), KEY, "926")
    assert hashed.to_list() == [HASH_926_C001, None, HASH_926_C001]


def test_keyed_hasher_hashes_each_message_as_hash_identifier_does() -> None:
    hasher = KeyedHasher(KEY)
    first = hasher.hash_messages(pl.Series(["926:C001", None, "202:C001", "926:C001"]))
    assert first.to_list() == [HASH_926_C001, None, HASH_202_C001, HASH_926_C001]
    again = hasher.hash_messages(pl.Series(["202:C001", "926:C002"]))  # one known, one new
    assert again.to_list() == [HASH_202_C001, hash_identifier(KEY, "926", "C002")]
    assert KeyedHasher(OTHER_KEY).hash_messages(pl.Series(["926:C001"])).to_list() == [
        HASH_926_C001_OTHER_KEY
    ]
    assert hasher.hash_messages(pl.Series([], dtype=pl.String)).dtype == pl.String


def test_postcode_district() -> None:
    frame = pl.DataFrame({"p": ["NR1 3QH", "nr13qh", " SW1A 1AA ", "E1", "", None]})
    got = frame.select(postcode_district(pl.col("p")))["p"].to_list()
    assert got == ["NR1", "NR1", "SW1A", None, None, None]


PERSON = pl.DataFrame(
    {
        "pers_person_id": ["C001", "C002"],
        "pers_forename": ["Ann", "Bob"],
        "pers_dob": [date(2015, 6, 17), date(2010, 12, 31)],
        "pers_legacy_id": ["L9", None],
        "pers_death_date": [None, date(2014, 1, 2)],
        "_source_file": ["person.csv", "person.csv"],
    }
)


def test_degrade_person_by_month() -> None:
    got = degrade_table(
        PERSON, la_code="926", key=KEY, rules=Degrade(date_of_birth="month"), keep_from=None
    )
    assert got.columns == ["la_code", "pers_person_id", "pers_dob", "pers_legacy_id",
                           "pers_death_date"]  # fmt: skip
    assert got["la_code"].to_list() == ["926", "926"]
    assert got["pers_person_id"][0] == HASH_926_C001
    assert got["pers_dob"].to_list() == [date(2015, 6, 1), date(2010, 12, 1)]
    assert got["pers_legacy_id"][1] is None


def test_degrade_by_year_and_retention() -> None:
    # C002's only date other than birth (died 2 January 2014) is before April 2015: removed;
    # C001 has no death date (empty), so it is kept.
    got = degrade_table(
        PERSON,
        la_code="926",
        key=KEY,
        rules=Degrade(date_of_birth="year"),
        keep_from=date(2015, 4, 1),
    )
    assert got["pers_person_id"].to_list() == [HASH_926_C001]
    assert got["pers_dob"].to_list() == [date(2015, 1, 1)]


def test_degrade_postcodes_dropped_and_open_episodes_kept() -> None:
    placements = pl.DataFrame(
        {
            "clap_person_id": ["C001", "C001", "C001"],
            "clap_cla_placement_start_date": [date(2014, 1, 1), date(2014, 5, 1), date(2016, 1, 1)],
            "clap_cla_placement_end_date": [date(2014, 4, 30), None, None],
            "clap_cla_placement_postcode": ["NR1 3QH", "NR2 1AB", "IP1 2CD"],
        }
    )
    rules = Degrade(postcodes="drop")
    got = degrade_table(placements, la_code="926", key=KEY, rules=rules, keep_from=date(2015, 4, 1))
    assert "clap_cla_placement_postcode" not in got.columns
    # the first placement ended before April 2015; the second is still open, so it stays
    assert got["clap_cla_placement_start_date"].to_list() == [date(2014, 5, 1), date(2016, 1, 1)]
    districts = degrade_table(placements, la_code="926", key=KEY, rules=Degrade(), keep_from=None)
    assert districts["clap_cla_placement_postcode"].to_list() == ["NR1", "NR2", "IP1"]


def test_membership_month_by_month() -> None:
    events = [
        {"action": "join", "la_code": "926", "store": "/a", "from": None},
        {"action": "join", "la_code": "202", "store": "/b", "from": date(2025, 1, 31)},
        {"action": "leave", "la_code": "926", "from": date(2025, 3, 31)},
    ]
    assert [m.la_code for m in members_at(events, date(2024, 12, 31))] == ["926"]
    assert [m.la_code for m in members_at(events, date(2025, 2, 28))] == ["202", "926"]
    assert [m.la_code for m in members_at(events, date(2025, 3, 31))] == ["202"]


def test_key_from_environment_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY.decode() + "\n")
    assert read_key(None, tmp_path / "pool") == KEY
    key_file = tmp_path / "key.txt"
    key_file.write_text(OTHER_KEY.decode(), encoding="utf-8")
    assert read_key(key_file, tmp_path / "pool") == OTHER_KEY


def test_key_misuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(PoolUsageError, match="no pool key"):
        read_key(None, tmp_path)
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(PoolUsageError, match="5 characters"):
        read_key(None, tmp_path)
    inside = tmp_path / "pool" / "key.txt"
    inside.parent.mkdir()
    inside.write_text(KEY.decode(), encoding="utf-8")
    with pytest.raises(PoolUsageError, match="inside the pool folder"):
        read_key(inside, tmp_path / "pool")


def test_cli_misuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    pool = tmp_path / "pool"
    assert main(["pool", "build", str(pool)]) == 1  # not a pool yet
    assert "is not a pool" in capsys.readouterr().err
    assert main(["pool", "create", str(pool), "--name", "East"]) == 0
    assert main(["pool", "create", str(pool), "--name", "East"]) == 1
    assert "already a pool" in capsys.readouterr().err
    assert main(["pool", "build", str(pool)]) == 2
    assert "no pool key" in capsys.readouterr().err
    assert main(["pool", "leave", str(pool), "999"]) == 2
    assert "council '999' is not a member" in " ".join(capsys.readouterr().err.split())
    assert main(["pool", "join", str(pool), "--store", str(tmp_path / "nowhere")]) == 1
    assert "is not a cscperf store" in " ".join(capsys.readouterr().err.split())
    assert main(["pool", "join", str(pool)]) == 2  # --store missing


def test_degrade_tables_of_several_members_is_each_members_table_in_turn() -> None:
    """Members degraded together give each member's own degraded table, in the members'
    order, whether their tables have the same columns and types or not; the same identifier
    in two councils gets each council's hash."""
    same = PERSON.with_columns(pl.Series("pers_person_id", ["C001", "C003"]))
    wider = PERSON.with_columns(pl.lit("x").alias("pers_extra"))
    ints = PERSON.with_columns(pl.Series("pers_legacy_id", [7, None]))  # another type
    members = [("926", PERSON), ("202", same), ("926", wider), ("202", ints), ("202", same)]
    members.append(("935", PERSON.clear()))
    for keep_from in (None, date(2015, 4, 1)):
        rules = Degrade(date_of_birth="year")
        got = degrade_tables(members, KeyedHasher(KEY), rules=rules, keep_from=keep_from)
        one_by_one = [
            degrade_table(frame, la_code=code, key=KEY, rules=rules, keep_from=keep_from)
            for code, frame in members
        ]
        assert got.equals(pl.concat(one_by_one, how="diagonal_relaxed"))
    assert got["la_code"].to_list() == ["926", "202", "926", "202", "202"]
    assert got["pers_person_id"].to_list()[:2] == [HASH_926_C001, HASH_202_C001]
    assert got["pers_legacy_id"][3] == hash_identifier(KEY, "202", "7")
    assert got.columns[-1] == "pers_extra"
