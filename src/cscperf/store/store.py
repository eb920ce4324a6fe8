"""The on-disk store of immutable builds, and publishing a new build atomically.

A build is written in full under ``STORE/.staging/<id>/`` (every file flushed to disk), then
renamed into ``STORE/builds/<id>/`` in one step, and only then is ``STORE/current`` replaced
(write a temporary file, then ``os.replace``). A load that fails or is killed at any point
therefore leaves ``current`` and every published build as they were; its staging folder is
removed by the next publish. The DuckDB file in ``STORE/cache/`` is rebuilt from the Parquet
files whenever it is missing: it is never the source of truth.

Only one load may write into a store at a time: :meth:`Store.load_lock` holds an exclusive
lock on ``STORE/.lock`` for the whole load. The operating system drops the lock when the
process ends, however it ends, so a killed load never leaves the store locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from cscperf import __version__
from cscperf.errors import StoreError
from cscperf.settings import Settings, dump_settings, load_settings
from cscperf.sources.canonical import canonical_tables, empty_table
from cscperf.store import audit

CURRENT = "current"
BUILDS = "builds"
STAGING = ".staging"
CACHE = "cache"
MANIFEST = "manifest.json"
SETTINGS_FILE = "settings.yaml"
OWNER_FILE = ".owner"
LOCK_FILE = ".lock"
# Folders of a build holding what the council added to it rather than what was loaded
# (imported measures): every later build, loaded or derived, carries a copy forward.
CARRIED = ("results/imported",)


@dataclass(frozen=True)
class BuildInfo:
    """A published build as ``builds list`` shows it."""

    id: str
    path: Path
    created: str
    current: bool
    row_counts: dict[str, int] = field(default_factory=dict)
    council: str | None = None
    collection_years: list[int] = field(default_factory=list)
    problem_counts: dict[str, int] = field(default_factory=dict)


def new_build_id(now: datetime, taken: set[str]) -> str:
    """UTC timestamp ``YYYYMMDDTHHMMSSZ``; a suffix ``-2``, ``-3``... when the second is taken."""
    base = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    # Directory fsync makes renames durable; some file systems refuse it, which is harmless.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file():
            _fsync_file(path)
        else:
            _fsync_dir(path)
    _fsync_dir(root)


def _copy_carried(source: Path, stage: Path) -> bool:
    """Copy the :data:`CARRIED` folders of the build at ``source`` into ``stage``; whether
    there was anything to copy."""
    copied = False
    for part in CARRIED:
        if (source / part).is_dir() and any((source / part).iterdir()):
            shutil.copytree(source / part, stage / part, dirs_exist_ok=True)
            copied = True
    return copied


def _link_tree(source: Path, target: Path) -> None:
    """``target`` as a copy of the folder ``source``: files hard-linked where the file system
    allows (a build's files are never changed in place, so sharing them is safe)."""
    target.mkdir(parents=True, exist_ok=True)
    if not source.is_dir():
        return
    for item in source.iterdir():
        if item.is_dir():
            _link_tree(item, target / item.name)
            continue
        try:
            os.link(item, target / item.name)
        except OSError:
            shutil.copy2(item, target / item.name)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Build:
    """One published build: its manifest, settings and canonical tables (read-only)."""

    def __init__(self, store: Store, build_id: str) -> None:
        self.store = store
        self.id = build_id
        self.path = store.path / BUILDS / build_id
        self._manifest: dict[str, Any] | None = None
        self._settings: Settings | None = None

    def __repr__(self) -> str:
        return f"Build({self.id!r})"

    @property
    def manifest(self) -> dict[str, Any]:
        if self._manifest is None:
            try:
                self._manifest = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise StoreError(
                    f"build {self.id} in {self.store.path} has no readable manifest ({exc}); "
                    "use another build (cscperf builds list) or load the data again"
                ) from exc
        return self._manifest

    @property
    def has_settings(self) -> bool:
        return (self.path / SETTINGS_FILE).is_file()

    @property
    def settings(self) -> Settings:
        """The council settings loaded with this build."""
        if self._settings is None:
            if not self.has_settings:
                raise StoreError(
                    f"build {self.id} has no council settings, so it does not say which "
                    "council it is: no council.yaml was loaded and its data carry no LA code "
                    "(SSD tables, SSDA903 returns and Annex A lists do not; the CIN Census "
                    "does); load council.yaml together with the data (cscperf ingest --store "
                    "STORE council.yaml DATA...)"
                )
            self._settings = load_settings(self.path / SETTINGS_FILE)
        return self._settings

    @property
    def tables_dir(self) -> Path:
        return self.path / "tables"

    @property
    def quality_dir(self) -> Path:
        return self.path / "quality"

    @property
    def results_dir(self) -> Path:
        """Where derived results (indicators) for this build are written; created on demand."""
        path = self.path / "results"
        path.mkdir(exist_ok=True)
        return path

    def tables(self) -> list[str]:
        """Names of the tables stored in this build."""
        return sorted(p.stem for p in self.tables_dir.glob("*.parquet"))

    def table(self, name: str) -> pl.DataFrame:
        """A stored table; a canonical table the inputs did not supply comes back empty."""
        path = self.tables_dir / f"{name}.parquet"
        if path.is_file():
            return pl.read_parquet(path)
        if name in canonical_tables():
            return empty_table(name)
        raise StoreError(f"build {self.id} has no table {name}: it is not a canonical table")

    @property
    def cache_path(self) -> Path:
        return self.store.path / CACHE / f"{self.id}.duckdb"

    def duckdb(self) -> duckdb.DuckDBPyConnection:
        """A read-only DuckDB connection holding every canonical table of this build.

        The file is a cache: it is built from the Parquet files on first use (or when it has
        been deleted) and can be removed at any time."""
        if not self.cache_path.is_file():
            self._build_cache()
        return duckdb.connect(str(self.cache_path), read_only=True)

    def _build_cache(self) -> None:
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_path.with_name(f".{self.cache_path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        stored = set(self.tables())
        with duckdb.connect(str(tmp)) as con:
            for name in sorted(stored | set(canonical_tables())):
                quoted = '"' + name.replace('"', '""') + '"'
                if name in stored:
                    parquet = str(self.tables_dir / f"{name}.parquet").replace("'", "''")
                    con.execute(f"CREATE TABLE {quoted} AS SELECT * FROM read_parquet('{parquet}')")
                else:
                    frame = empty_table(name).to_arrow()  # noqa: F841 (read by DuckDB)
                    con.execute(f"CREATE TABLE {quoted} AS SELECT * FROM frame")
            con.execute("CHECKPOINT")
        os.replace(tmp, self.cache_path)


class Store:
    """A folder of immutable builds with a pointer to the current one."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- reading --------------------------------------------------------------------------
    def _require(self) -> None:
        if not (self.path / BUILDS).is_dir():
            raise StoreError(
                f"{self.path} is not a cscperf store (no builds folder); load data into it "
                "first with cscperf ingest --store " + str(self.path)
            )

    def current_id(self) -> str | None:
        try:
            text = (self.path / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def build_ids(self) -> list[str]:
        if not (self.path / BUILDS).is_dir():
            return []
        return sorted(p.name for p in (self.path / BUILDS).iterdir() if (p / MANIFEST).is_file())

    def list_builds(self) -> list[BuildInfo]:
        """Every published build, oldest first."""
        self._require()
        current = self.current_id()
        infos = []
        for build_id in self.build_ids():
            manifest = Build(self, build_id).manifest
            council = manifest.get("council") or {}
            infos.append(
                BuildInfo(
                    id=build_id,
                    path=self.path / BUILDS / build_id,
                    created=str(manifest.get("created", "")),
                    current=build_id == current,
                    row_counts=dict(manifest.get("row_counts", {})),
                    council=council.get("name") or council.get("la_code"),
                    collection_years=list(manifest.get("collection_years", [])),
                    problem_counts=dict(manifest.get("problem_counts", {})),
                )
            )
        return infos

    def get(self, build_id: str | None = None) -> Build:
        """A build by id, or the current build when ``build_id`` is None."""
        self._require()
        if build_id is None:
            build_id = self.current_id()
            if build_id is None:
                raise StoreError(
                    f"store {self.path} has no current build; load data with cscperf ingest "
                    "or choose one with cscperf builds use ID"
                )
        if build_id not in self.build_ids():
            raise StoreError(
                f"store {self.path} has no build {build_id}; cscperf builds list shows the "
                "builds there are"
            )
        return Build(self, build_id)

    def use(self, build_id: str) -> Build:
        """Make an existing build the current one (e.g. to reproduce last month's pack)."""
        build = self.get(build_id)
        _write_text_atomic(self.path / CURRENT, build.id + "\n")
        return build

    # -- publishing -----------------------------------------------------------------------
    @contextlib.contextmanager
    def load_lock(self) -> Iterator[None]:
        """Hold the store's load lock for the ``with`` block; a second load gets StoreError.

        The lock is ``flock`` on ``STORE/.lock``, released by the operating system when the
        holder exits or is killed, so it can never be left behind."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK_FILE, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise StoreError(
                    f"another load into {self.path} is running (process {holder}); wait for "
                    "it to finish, then run this load again"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)

    def clean_staging(self) -> list[str]:
        """Remove staging folders left by loads that failed or were killed."""
        staging = self.path / STAGING
        removed: list[str] = []
        if not staging.is_dir():
            return removed
        for folder in staging.iterdir():
            try:
                owner = int((folder / OWNER_FILE).read_text().strip())
            except (OSError, ValueError):
                owner = -1
            if owner != os.getpid() and _pid_alive(owner):
                continue  # another load is writing it right now
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
        return removed

    def publish(
        self,
        tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
        manifest_fields: dict[str, Any],
        settings: Settings | None,
        quality_report: Path | None,
    ) -> BuildInfo:
        """Write a new build and make it current, atomically.

        ``tables`` are canonical tables (a lazy frame is streamed to its file, never
        collected whole); ``manifest_fields`` are merged into the manifest
        (inputs, extract date, council, not_supplied, problem counts...); ``settings`` is
        copied as ``settings.yaml``; ``quality_report`` is a folder whose files are copied
        into ``quality/``. What the council added to the current build (:data:`CARRIED`,
        such as imported measures) is carried into the new one. Nothing is visible until the
        build is complete.
        """
        previous = self.current_id() if (self.path / BUILDS).is_dir() else None

        def fill(stage: Path) -> dict[str, Any]:
            row_counts = self._write_build(stage, tables, settings, quality_report)
            fields = {**manifest_fields, "row_counts": row_counts, "tables": sorted(row_counts)}
            if previous is not None and _copy_carried(self.path / BUILDS / previous, stage):
                fields["carried_from"] = previous
            return fields

        return self._publish_staged(fill)

    def derive(
        self, base: Build, add: Callable[[Path], None], manifest_fields: dict[str, Any]
    ) -> BuildInfo:
        """A new build holding everything ``base`` holds (its tables, settings, quality
        report and :data:`CARRIED` folders) plus what ``add`` writes into the new build's
        folder, published atomically and made current; ``base`` itself is never changed.
        ``manifest_fields`` are merged over the base's manifest, which records
        ``derived_from``."""

        def fill(stage: Path) -> dict[str, Any]:
            for part in ("tables", "quality"):
                _link_tree(base.path / part, stage / part)
            if base.has_settings:
                shutil.copy2(base.path / SETTINGS_FILE, stage / SETTINGS_FILE)
            _copy_carried(base.path, stage)
            add(stage)
            kept = {k: v for k, v in base.manifest.items() if k not in ("build_id", "created")}
            return {**kept, **manifest_fields, "derived_from": base.id}

        return self._publish_staged(fill)

    def _publish_staged(self, fill: Callable[[Path], dict[str, Any]]) -> BuildInfo:
        """Stage a build that ``fill`` writes (returning its manifest fields), then rename it
        into place and make it current."""
        (self.path / BUILDS).mkdir(parents=True, exist_ok=True)
        (self.path / STAGING).mkdir(exist_ok=True)
        self.clean_staging()
        taken = set(self.build_ids()) | {p.name for p in (self.path / STAGING).iterdir()}
        build_id = new_build_id(datetime.now(UTC), taken)
        stage = self.path / STAGING / build_id
        stage.mkdir()
        (stage / OWNER_FILE).write_text(str(os.getpid()), encoding="utf-8")
        try:
            fields = fill(stage)
            manifest = {
                "build_id": build_id,
                "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "program_version": __version__,
                **fields,
            }
            (stage / MANIFEST).write_text(
                json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n",
                encoding="utf-8",
            )
            (stage / OWNER_FILE).unlink()
            _fsync_tree(stage)
            target = self.path / BUILDS / build_id
            os.rename(stage, target)
            _fsync_dir(self.path / BUILDS)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        # in the audit log before it is current: a build nobody can account for never is
        what = audit.IMPORT if "derived_from" in fields else audit.PUBLISH
        detail = {
            "build": build_id,
            "from": fields.get("derived_from") or fields.get("carried_from"),
        }
        audit.record(self.path, operator(), what, detail)
        _write_text_atomic(self.path / CURRENT, build_id + "\n")
        return next(info for info in self.list_builds() if info.id == build_id)

    @staticmethod
    def _write_build(
        stage: Path,
        tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
        settings: Settings | None,
        quality_report: Path | None,
    ) -> dict[str, int]:
        tables_dir = stage / "tables"
        tables_dir.mkdir()
        row_counts: dict[str, int] = {}
        for name in sorted(tables):
            frame = tables[name]
            target = tables_dir / f"{name}.parquet"
            if isinstance(frame, pl.LazyFrame):
                frame.sink_parquet(target, compression="zstd")
                row_counts[name] = pl.scan_parquet(target).select(pl.len()).collect().item()
            else:
                frame.write_parquet(target, compression="zstd")
                row_counts[name] = frame.height
        if settings is not None:
            dump_settings(settings, stage / SETTINGS_FILE)
        quality = stage / "quality"
        quality.mkdir()
        if quality_report is not None and quality_report.is_dir():
            for item in quality_report.iterdir():
                if item.is_file():
                    shutil.copy2(item, quality / item.name)
        return row_counts


def operator() -> str:
    """Who is running this command, for the audit log (the computer account's name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown account"
