"""SSD tables read from a PostgreSQL database through SQLAlchemy (``--db-url``)."""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest

from cscperf.app.load import ingest
from cscperf.sources.database import read_database, safe_url
from cscperf.store import Store

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url():
    url = os.environ.get("CSCPERF_TEST_PG_URL")
    if not url:
        pytest.skip("CSCPERF_TEST_PG_URL is not set (make test starts the server)")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(sa.text(f"CREATE SCHEMA {schema}"))
        con.execute(sa.text(f"SET search_path TO {schema}"))
        con.execute(
            sa.text(
                "CREATE TABLE ssd_person (pers_person_id varchar, pers_dob date, pers_sex varchar)"
            )
        )
        con.execute(
            sa.text(
                "INSERT INTO ssd_person VALUES ('P1', '2015-01-02', 'M'), ('P2', '2016-04-03', 'F')"
            )
        )
        con.execute(
            sa.text(
                "CREATE TABLE ssd_cin_episodes (cine_referral_id varchar, "
                "cine_person_id varchar, cine_referral_date timestamp)"
            )
        )
        con.execute(
            sa.text("INSERT INTO ssd_cin_episodes VALUES ('R1', 'P1', '2024-01-10 09:30:00')")
        )
        con.execute(sa.text("CREATE TABLE other_table (x int)"))
    yield f"{url}?options=-csearch_path%3D{schema}"
    with engine.begin() as con:
        con.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def test_reads_every_ssd_table_present(pg_url):
    result = read_database(pg_url)
    assert sorted(result.tables) == ["ssd_cin_episodes", "ssd_person"]
    cin = result.tables["ssd_cin_episodes"]
    assert cin.get_column("cine_referral_date").to_list() == [date(2024, 1, 10)]
    assert {p.rule for p in result.problems} == {"missing-columns"}  # optional columns only


def test_ingest_from_database_url(tmp_path, pg_url):
    outcome = ingest(tmp_path / "store", [], db_url=pg_url)
    assert outcome.published, [p.message for p in outcome.problems if p.severity == "error"]
    person = Store(tmp_path / "store").get().table("ssd_person").sort("pers_person_id")
    assert person.get_column("pers_dob").to_list() == [date(2015, 1, 2), date(2016, 4, 3)]


def test_password_never_shown():
    assert "secret" not in safe_url("postgresql://me:secret@db.example/ssd")
