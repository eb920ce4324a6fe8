"""Check that a change to the engine leaves every row of the whole catalogue as it was.

Computes every indicator, month and breakdown of a store's current build on DuckDB twice, on
a fresh compiled-SQL cache (a first run, everything compiled) and again from that cache (a
cached run), and either saves the first run's rows (``--save``) or compares both runs with
rows saved before the change (``--against``), exactly and in order
(``polars.testing.assert_frame_equal`` with ``check_exact``). Run ``--save`` on the code
before a change and ``--against`` after it, on the same store:

    python benchmarks/same_results.py STORE --save /tmp/before.parquet
    python benchmarks/same_results.py STORE --against /tmp/before.parquet

Exit 0 when identical, 1 when any row differs (the first differences are printed), 2 on
misuse. Each run's process CPU seconds are printed too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from cscperf.indicators.results import compute_build, duckdb_tables
from cscperf.store import Store


def compute_once(store: Path, sql_cache: Path) -> pl.DataFrame:
    """The whole catalogue of the store's current build, compiled SQL kept in ``sql_cache``."""
    build = Store(store).get()
    tables = duckdb_tables(build)
    tables.sql_cache_dir = sql_cache
    started = time.process_time()
    results = compute_build(build, tables)
    print(f"  {results.height:,} rows in {time.process_time() - started:.1f} s of CPU")
    return results


def differences(expected: pl.DataFrame, actual: pl.DataFrame) -> str | None:
    """None when the frames are identical (rows in order, exact values), else what differs."""
    try:
        assert_frame_equal(expected, actual, check_exact=True)
    except AssertionError as error:
        if expected.schema == actual.schema and expected.height == actual.height:
            changed = actual.with_row_index("row").filter(
                pl.any_horizontal(
                    pl.col(c).ne_missing(expected.get_column(c)) for c in expected.columns
                )
            )
            return f"{changed.height} rows differ, the first:\n{changed.head(5)}"
        return str(error)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="a store folder (its current build is used)")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="write the first run's rows to this file")
    mode.add_argument("--against", type=Path, help="compare both runs with rows saved before")
    args = parser.parse_args(argv)
    if args.against is not None and not args.against.is_file():
        parser.error(f"{args.against} does not exist: run with --save on the old code first")
    with tempfile.TemporaryDirectory(prefix="cscperf-same-sql-") as folder:
        print("first run (fresh compiled-SQL cache):")
        first = compute_once(args.store, Path(folder))
        print("cached run:")
        cached = compute_once(args.store, Path(folder))
    if args.save is not None:
        first.write_parquet(args.save)
        problem = differences(first, cached)
        print(f"saved to {args.save}" + ("" if problem is None else "; runs differ"))
        if problem is not None:
            print(f"the cached run differs from the first run: {problem}")
        return 0 if problem is None else 1
    expected = pl.read_parquet(args.against)
    failed = False
    for label, actual in (("first run", first), ("cached run", cached)):
        problem = differences(expected, actual)
        print(f"{label}: " + ("identical, row order included" if problem is None else problem))
        failed = failed or problem is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
