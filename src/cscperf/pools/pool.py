"""A pool's folder: creating it, members joining and leaving, and building it month by month.

``POOL/pool.yaml`` holds the settings, ``POOL/membership.jsonl`` the joins and leaves, and
``POOL/store/`` the pooled builds, each an immutable build of a cscperf store: every canonical
table with all members' rows (``la_code`` first, identifiers hashed, degraded; see
:mod:`cscperf.pools.degrade`) and the table :data:`RESULTS_TABLE`, every member's indicator
values computed from the member's own published build before anything was degraded, so they
are exactly the values of the member's single-council run. The build's manifest records the
pooled month, each member's store, build and months, the settings in force and the key's check
value (never the key).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from cscperf.calendar.months import add_months, month_start_of
from cscperf.errors import StoreError
from cscperf.indicators.backends.spark import is_spark_address
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.pooled import DUCKDB, each_council_result, pool_sql_cache, spark_engine
from cscperf.indicators.results import RESULTS_FILE, results_for
from cscperf.pools.degrade import LA_CODE, degrade_tables, pooled_table_names
from cscperf.pools.keys import KeyedHasher, PoolUsageError, key_check
from cscperf.pools.membership import Member, append_event, members_at, read_events
from cscperf.pools.settings import (
    PoolSettings,
    dump_pool_settings,
    load_pool_settings,
)
from cscperf.pools.stats import CouncilPool, PoolLabel, pool_benchmarks
from cscperf.store import Build, BuildInfo, Store
from cscperf.store.store import operator

POOL_FILE = "pool.yaml"
STORE_DIR = "store"
RESULTS_TABLE = "pool_indicators"
SPARK_TABLES = "spark-tables"  # the members' tables for Spark, in a build's scratch folder


@dataclass(frozen=True)
class MemberBuild:
    """A member and the build of it that goes into a pooled build, with the months of its
    results and the file they are kept in (read again only when the pool is published)."""

    member: Member
    build: Build
    part: Path
    first_month: date | None
    last_month: date | None


class Pool:
    """A pool folder (see the module's description)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Pool({str(self.path)!r})"

    @property
    def store(self) -> Store:
        return Store(self.path / STORE_DIR)

    @property
    def settings(self) -> PoolSettings:
        if not (self.path / POOL_FILE).is_file():
            raise StoreError(
                f"{self.path} is not a pool (it has no {POOL_FILE}); make one with cscperf "
                f"pool create {self.path} --name NAME"
            )
        return load_pool_settings(self.path / POOL_FILE)

    @classmethod
    def create(cls, path: Path, name: str) -> Pool:
        """A new pool folder with the default settings under ``name``."""
        path = Path(path)
        if (path / POOL_FILE).exists():
            raise StoreError(f"{path} is already a pool; see it with cscperf pool show {path}")
        if path.exists() and any(path.iterdir()):
            raise StoreError(f"{path} is not empty; give a new folder for the pool")
        path.mkdir(parents=True, exist_ok=True)
        dump_pool_settings(PoolSettings(name=name), path / POOL_FILE)
        return cls(path)

    def members(self, month: date = date.max) -> list[Member]:
        """The members for a month (the latest membership by default)."""
        self.settings  # noqa: B018 (a folder that is not a pool says so)
        return members_at(read_events(self.path), month)

    def join(self, store_path: Path, *, since: date | None, build_id: str | None) -> Member:
        """Add the council whose builds ``store_path`` holds, from the month ending ``since``
        (None: every month); ``build_id`` pins one build instead of the store's current one."""
        build = Store(store_path).get(build_id)
        council = build.settings.council
        for member in self.members():
            if member.la_code == council.la_code:
                raise PoolUsageError(
                    f"LA code {council.la_code} ({council.name}) is already a member of pool "
                    f"{self.settings.name!r}, from the store {member.store}; each council joins "
                    "once: leave first (cscperf pool leave) to join from another store"
                )
        member = Member(
            la_code=council.la_code,
            name=council.name,
            store=Path(store_path).resolve(),
            since=since,
            build=build_id,
        )
        event = {
            "action": "join",
            "la_code": member.la_code,
            "name": member.name,
            "store": str(member.store),
            "build": build_id,
            "from": since,
        }
        append_event(self.path, event, operator())
        return member

    def leave(self, la_code: str, *, since: date | None) -> None:
        """Take council ``la_code`` out from the month ending ``since`` (None: every month)."""
        codes = [m.la_code for m in self.members()]
        if la_code not in codes:
            listed = ", ".join(codes) or "none yet"
            raise PoolUsageError(
                f"council {la_code!r} is not a member of pool {self.settings.name!r} (its "
                f"members: {listed}); give a member's 3-digit LA code"
            )
        append_event(self.path, {"action": "leave", "la_code": la_code, "from": since}, operator())

    def latest(self) -> Build:
        """The current pooled build."""
        if not self.store.build_ids():
            raise StoreError(
                f"pool {self.settings.name!r} has not been built yet; build it with cscperf "
                f"pool build {self.path} --key-file FILE"
            )
        return self.store.get()

    def benchmarks(self, build_id: str | None = None) -> tuple[PoolLabel, pl.DataFrame]:
        """The pooled benchmarks of the latest pooled build (or ``build_id``), under the rules
        in force when it was built, and the label that names them."""
        build = self.store.get(build_id) if build_id else self.latest()
        meta = build.manifest["pool"]
        rule = PoolSettings.model_validate(meta["settings"]).suppression
        catalogue = list(load_catalogue())
        frame = pool_benchmarks(
            pl.scan_parquet(build.tables_dir / f"{RESULTS_TABLE}.parquet"),  # streamed
            {d.id: d.unit for d in catalogue},
            {d.id: d.polarity for d in catalogue},
            rule,
        )
        label = PoolLabel(
            name=str(meta["name"]),
            month=date.fromisoformat(meta["month"]),
            members=tuple(f"{m['la_code']} {m['name']}" for m in meta["members"]),
        )
        return label, frame

    def for_council(self, la_code: str) -> CouncilPool:
        """The latest pooled build's benchmarks for one member (a pack's or dashboard's
        benchmark source beside the DfE publications)."""
        label, frame = self.benchmarks()
        codes = [m.split(" ")[0] for m in label.members]
        if la_code not in codes:
            raise StoreError(
                f"council {la_code} is not a member of the latest build of pool "
                f"{label.name!r} (members: {', '.join(codes)}); give a pool this council "
                "belongs to, or leave --pool out"
            )
        return CouncilPool(label, la_code, frame.filter(pl.col(LA_CODE) == la_code))

    def build(
        self,
        key: bytes,
        *,
        month: date | None = None,
        database: str | None = None,
        new_key: bool = False,
        on_member: Callable[[Member], None] | None = None,
        compute: Callable[[Build], pl.DataFrame] | None = None,
    ) -> BuildInfo:
        """Pool every member for the month ending ``month`` (by default the latest month every
        member's build reports) and publish it as the pool's new current build.

        Each member's indicators are its build's stored results, or computed on ``database``
        (``spark://local``, ``sc://HOST:PORT``, ``spark://submit``, a PostgreSQL address;
        DuckDB by default); ``compute`` replaces that, e.g. to compute on a session of a
        script's own (docs/pools.md)."""
        settings = self.settings
        self._check_key(key, new_key)
        wanted = self.members(month or date.max)
        if not wanted:
            raise StoreError(
                f"pool {settings.name!r} has no members"
                + (f" for {month:%B %Y}" if month else "")
                + "; add councils with cscperf pool join POOL --store STORE"
            )
        builds = [self._member_build(m, on_member) for m in wanted]
        # Each member's results are written to a part as they come and dropped, so that at
        # most one group's results are in memory; the parts are read again, streamed, when
        # the pooled results table is written (docs/pools.md, "How long a pool takes").
        with tempfile.TemporaryDirectory(prefix=".results-", dir=self.path) as parts:
            loaded = _member_results(
                wanted, builds, Path(parts), database, compute, pool_sql_cache(self.path)
            )
            return self._publish(loaded, key, month, database)

    def _publish(
        self, loaded: list[MemberBuild], key: bytes, month: date | None, database: str | None
    ) -> BuildInfo:
        """The pooled build of the members' results (``loaded``) for ``month`` (None: the
        latest month every member reports), published as the current build."""
        settings = self.settings
        month = month or _common_month(loaded)
        loaded = [m for m in loaded if m.member.la_code in {x.la_code for x in self.members(month)}]
        for item in loaded:
            last = item.last_month
            if last is None or last < month:
                raise StoreError(
                    f"council {item.member.la_code} ({item.member.name}): its build "
                    f"{item.build.id} reports up to {last or 'no month'}, before the pooled "
                    f"month {month:%B %Y}; load its newer data or pool an earlier --period"
                )
        keep_from = month_start_of(add_months(month, -(settings.retention_months - 1)))
        results = pl.concat([_kept_results(m, keep_from, month) for m in loaded], how="vertical")
        tables = _PooledTables(loaded, key, settings, keep_from)
        tables[RESULTS_TABLE] = results
        fields = {
            "pool": {
                "name": settings.name,
                "month": month.isoformat(),
                "kept_from": keep_from.isoformat(),
                "settings": settings.model_dump(mode="json"),
                "key_check": key_check(key),
                "database": _engine(database),
                "members": [_member_record(m, keep_from, month) for m in loaded],
            }
        }
        return self.store.publish(tables, fields, None, None)

    def _check_key(self, key: bytes, new_key: bool) -> None:
        if new_key or not self.store.build_ids():
            return
        previous = self.store.get().manifest.get("pool", {}).get("key_check")
        if previous and previous != key_check(key):
            raise PoolUsageError(
                "the key given is not the key this pool was built with: every child's hash "
                "would change and no month would link to the last; give the pool's key, or "
                "--new-key when the members have agreed to change it (docs/pools.md)"
            )

    @staticmethod
    def _member_build(member: Member, on_member: Callable[[Member], None] | None) -> Build:
        """The build of a member that goes into the pooled build."""
        if on_member is not None:
            on_member(member)
        build = Store(member.store).get(member.build)
        la_code = build.settings.council.la_code
        if la_code != member.la_code:
            raise StoreError(
                f"the store {member.store} that council {member.la_code} ({member.name}) "
                f"joined with now holds council {la_code}'s build {build.id}; the member "
                "must load its own data there, or leave and join with the right store"
            )
        return build


def _common_month(loaded: Sequence[MemberBuild]) -> date:
    """The latest month every member's build reports."""
    lasts = [m.last_month for m in loaded]
    if any(last is None for last in lasts):
        empty = next(m for m in loaded if m.last_month is None)
        raise StoreError(
            f"council {empty.member.la_code}'s build {empty.build.id} reports no month; "
            "it cannot be pooled until it holds case data"
        )
    return min(last for last in lasts if last is not None)


def _member_results(
    wanted: Sequence[Member],
    builds: Sequence[Build],
    folder: Path,
    database: str | None,
    compute: Callable[[Build], pl.DataFrame] | None,
    sql_cache: Path | None = None,
) -> list[MemberBuild]:
    """Each member's results (stored, or computed all at once on DuckDB or Spark, or
    one by one by ``compute`` or on ``database``), each kept in its own part in ``folder`` as
    it comes, in the order of ``wanted``: a member's stored results file is taken as it is
    (:func:`_snapshot`), never read and written again; results given as a frame are written.
    The SQL of the members computed together is kept in ``sql_cache`` (the pool's own)."""
    by_code = {m.la_code: b for m, b in zip(wanted, builds, strict=True)}
    found: dict[str, MemberBuild] = {}

    def next_part() -> Path:
        return folder / f"{len(found):05d}.parquet"

    def keep(member: Member, part: Path) -> None:
        ends = pl.scan_parquet(part).select(
            pl.col("period_end").min().alias("first"), pl.col("period_end").max().alias("last")
        )
        first, last = ends.collect().row(0)
        found[member.la_code] = MemberBuild(
            member,
            by_code[member.la_code],
            part,
            first if isinstance(first, date) else None,
            last if isinstance(last, date) else None,
        )

    def keep_computed(member: Member, results: pl.DataFrame) -> None:
        # each_council_result writes a member's results to its build before giving them
        part = next_part()
        stored = by_code[member.la_code].results_dir / RESULTS_FILE
        if not (_snapshot(stored, part) and _holds(part, results)):
            part.unlink(missing_ok=True)
            results.write_parquet(part)
        keep(member, part)

    members = {m.la_code: m for m in wanted}
    if compute is None and (database is None or is_spark_address(database)):
        # The members with stored results are taken as they are; the others are computed
        # all at once, on DuckDB or on the Spark session the address names (local, Spark
        # Connect, spark-submit's).
        missing: dict[str, Build] = {}
        for code, build in by_code.items():
            part = next_part()
            if _snapshot(build.results_dir / RESULTS_FILE, part):
                keep(members[code], part)
            else:
                missing[code] = build
        engine = DUCKDB
        if database is not None:
            # The members' tables as they are (not yet hashed), written for Spark to read
            # beside the parts, in the pool's folder (storage a cluster's executors read at
            # the same path): removed with the parts after the build.
            engine = spark_engine(folder / SPARK_TABLES, address=database)
        computed = (
            each_council_result(missing, engine=engine, sql_cache=sql_cache) if missing else ()
        )
        for code, results in computed:
            keep_computed(members[code], results)
            del results  # not held while the next member's are computed
    else:
        compute = compute or (
            lambda build: results_for(build, database=database, show_progress=False)
        )
        for member, build in zip(wanted, builds, strict=True):
            part = next_part()
            compute(build).write_parquet(part)
            keep(member, part)
    return [found[m.la_code] for m in wanted]


def _snapshot(source: Path, part: Path) -> bool:
    """A member's stored results file as ``part``, False when it has none: a hard link where
    the file system allows one (a build's results file is replaced, never written over, so
    the link keeps what it holds now), else a copy."""
    try:
        os.link(source, part)
    except FileNotFoundError:
        return False
    except OSError:  # another file system, or links not allowed
        try:
            shutil.copyfile(source, part)
        except FileNotFoundError:
            return False
    return True


def _holds(part: Path, results: pl.DataFrame) -> bool:
    """The Parquet file ``part`` has the columns and number of rows of ``results``."""
    scan = pl.scan_parquet(part)
    return scan.collect_schema() == results.schema and scan.select(pl.len()).collect().item() == (
        results.height
    )


def _kept_results(item: MemberBuild, keep_from: date, month: date) -> pl.LazyFrame:
    """A member's results of the kept months under its LA code, read lazily from its part."""
    return (
        pl.scan_parquet(item.part)
        .select(pl.lit(item.member.la_code, pl.String).alias(LA_CODE), pl.all())
        .filter(pl.col("period_end").is_between(keep_from, month))
    )


def _member_record(item: MemberBuild, keep_from: date, month: date) -> dict[str, Any]:
    return {
        "la_code": item.member.la_code,
        "name": item.member.name,
        "store": str(item.member.store),
        "build": item.build.id,
        "build_created": item.build.manifest.get("created"),
        "since": item.member.since.isoformat() if item.member.since else None,
        "months": [max(keep_from, item.first_month or keep_from).isoformat(), month.isoformat()],
    }


def _engine(database: str | None) -> str:
    if database is None:
        return "duckdb"
    return "spark" if is_spark_address(database) else "postgresql"


class _PooledTables(dict[str, pl.DataFrame | pl.LazyFrame]):
    """The pooled canonical tables for :meth:`Store.publish`, each made only when the store
    writes it and dropped after, so one table of every member is in memory at a time rather
    than every table of every member."""

    def __init__(
        self, loaded: Sequence[MemberBuild], key: bytes, settings: PoolSettings, keep_from: date
    ) -> None:
        super().__init__({name: pl.DataFrame() for name in pooled_table_names()})
        self._loaded = loaded
        self._hasher = KeyedHasher(key)  # each identifier hashed once for every table
        self._settings = settings
        self._keep_from = keep_from
        self._made: set[str] = set()

    def __getitem__(self, name: str) -> pl.DataFrame | pl.LazyFrame:
        if name in self._made or name not in pooled_table_names():
            return super().__getitem__(name)
        return degrade_tables(
            [(m.member.la_code, m.build.table(name)) for m in self._loaded],
            self._hasher,
            rules=self._settings.degrade,
            keep_from=self._keep_from,
        )

    def __setitem__(self, name: str, frame: pl.DataFrame | pl.LazyFrame) -> None:
        self._made.add(name)
        super().__setitem__(name, frame)

    def __iter__(self) -> Iterator[str]:
        return iter(list(super().keys()))
