"""Reader for SSD tables held in a database (SQL Server, PostgreSQL...), through SQLAlchemy.

Owns connecting to the ``--db-url`` a council gives, finding every ``ssd_*`` table there that
is a canonical table, and reading each one like an SSD file (same column checks and casting).
Problems name the table as ``db:<table>``; the URL's password is never shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from cscperf.errors import InputError
from cscperf.sources.base import Problem, ReaderResult
from cscperf.sources.canonical import SOURCE_FILE, SOURCE_ROW, conform
from cscperf.sources.csvtext import tidy_header
from cscperf.sources.ssd import check_columns, ssd_tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def safe_url(url: str) -> str:
    """The URL without its password, for messages and the manifest."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://", 1)[0] + "://..."


def read_database(url: str, *, schema: str | None = None) -> ReaderResult:
    """Every canonical ``ssd_*`` table found in the database at ``url``."""
    shown = safe_url(url)
    result = ReaderResult(source="ssd-database", files=[])
    try:
        engine = sa.create_engine(url)
    except Exception as exc:
        raise InputError(
            f"the database URL {shown} cannot be used ({type(exc).__name__}: {exc}); check it "
            "looks like postgresql://user@host/db or mssql+pyodbc://..."
        ) from exc
    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names(schema=schema)
            wanted = {tidy_header(n): n for n in names if tidy_header(n) in ssd_tables()}
            for table in sorted(wanted):
                frame, problems = _read_table(connection, wanted[table], table, schema)
                result.problems.extend(problems)
                if frame is not None:
                    result.tables[table] = frame
    except sa.exc.SQLAlchemyError as exc:
        raise InputError(
            f"the database {shown} cannot be read ({type(exc).__name__}); check the URL, "
            "the network and your permissions"
        ) from exc
    finally:
        engine.dispose()
    if not result.tables and not result.problems:
        raise InputError(f"the database {shown} has no ssd_* tables; check the URL and schema")
    return result


def _read_table(
    connection: Connection, real_name: str, table: str, schema: str | None
) -> tuple[pl.DataFrame | None, list[Problem]]:
    file = f"db:{table}"
    selectable = sa.select(sa.text("*")).select_from(sa.table(real_name, schema=schema))
    frame = pl.read_database(selectable, connection=connection, infer_schema_length=None)
    frame.columns = [tidy_header(c) for c in frame.columns]
    spec = ssd_tables()[table]
    problems = check_columns(spec, frame.columns, file)
    if any(p.severity == "error" for p in problems):
        return None, problems
    frame = frame.with_row_index(SOURCE_ROW, offset=1).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64), pl.lit(file).alias(SOURCE_FILE)
    )
    conformed, value_problems = conform(table, frame, file=file)
    return conformed, [*problems, *value_problems]
