"""Where the dashboard's figures come from, and the in-process cache that keeps pages fast.

Owns the lookup of a build, its reporting months and localities from a store, and the
evaluated month per (build, period, locality): a committee :class:`~cscperf.reports.pack.Pack`
made by :func:`cscperf.reports.pack.make_pack` (which calls ``cscperf.evaluate``), so the web
pages and the pack show the same judged figures. Each value is computed once per process; a
lock per key stops twenty requests for a new month from evaluating it twenty times.

Scope is enforced here, where the figures are queried: for a person limited to some
localities (:func:`cscperf.web.auth.acting_user`) the rows of other localities are dropped,
other localities are not offered, asking for one is a :class:`NotFound`, the county view falls
back to their first locality, and every cached value is kept per scope.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from cscperf.app.commentary import latest_number, pack_commentary
from cscperf.app.month import (
    TARGETS_FILE,
    Benchmarks,
    choose_targets,
    month_pack,
    published_benchmarks,
)
from cscperf.errors import CscperfError
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.children import LOCALITY, Children, child_lists, children_behind
from cscperf.indicators.output import parse_period
from cscperf.indicators.results import results_for
from cscperf.reports.commentary import Commentary
from cscperf.reports.pack import Pack
from cscperf.store.council_data import council_database_path
from cscperf.store.store import BUILDS, CURRENT, Build, Store
from cscperf.web.auth import acting_user, scope_key

T = TypeVar("T")
# one at a time: the engine's libraries import parts of themselves on first use (pandas under
# Altair and Ibis), which two threads at once can meet half-imported
PREPARING_THREADS = 1


class NotFound(CscperfError):
    """A page asked for a build, month, locality or indicator that does not exist."""


@dataclass(frozen=True)
class BuildFacts:
    """What the pages say about a build (never anything about a child)."""

    id: str
    council: str
    la_code: str | None
    extract_date: str
    source_system: str
    created: str
    current: bool
    localities: tuple[str, ...]
    periods: tuple[date, ...]  # reporting months with results, oldest first


def parse_month(text: str) -> date:
    """``YYYY-MM`` -> that month's last day; anything else is a :class:`NotFound`."""
    try:
        return parse_period(text)
    except CscperfError as exc:
        raise NotFound(
            f"{text!r} is not a month: write the period as YYYY-MM, e.g. 2025-03"
        ) from exc


class BeingPrepared(CscperfError):
    """What a page needs is being worked out in the background; the page says so and asks
    again, rather than wait for the engine."""


# How long the current request may wait for a value being prepared: ``None`` (outside a
# request: commands, pack jobs, the preparing threads themselves) computes it there and then.
_PATIENCE: contextvars.ContextVar[float | None] = contextvars.ContextVar("patience", default=None)


def set_patience(seconds: float | None) -> None:
    """From here on in this context (a request), values not yet prepared are waited for up to
    ``seconds``, then a :class:`BeingPrepared` is raised (``None``: computed in place)."""
    _PATIENCE.set(seconds)


class _Memo:
    """A dictionary of computed values with one lock per key, and a few threads that prepare
    values in the background: :meth:`prepared` never computes on a request's thread."""

    def __init__(self, workers: int = PREPARING_THREADS) -> None:
        self._values: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._guard = threading.Lock()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="cscperf-prepare")
        self._jobs: dict[Any, Future[Any]] = {}
        self.computed: list[Any] = []  # the keys worked out, in order (for tests)

    def get(self, key: Any, make: Callable[[], T]) -> T:
        """The value, computed here (on this thread) when it is not yet known."""
        if key in self._values:
            return self._values[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = make()
                self.computed.append(key)
        return self._values[key]

    def prepared(self, key: Any, make: Callable[[], T]) -> T:
        """The value, worked out in the background when it is not yet known; a request waits
        at most its patience for it (then :class:`BeingPrepared`); elsewhere it waits."""
        if key in self._values:
            return self._values[key]
        wait = _PATIENCE.get()
        if wait is None:
            return self.get(key, make)
        job = self.prepare(key, make)
        try:
            return job.result(timeout=wait)
        except FutureTimeout:
            raise BeingPrepared("the figures for this page are being prepared") from None
        except BaseException:
            with self._guard:  # a failure is not kept: the next request tries again
                if self._jobs.get(key) is job:
                    del self._jobs[key]
            raise

    def prepare(self, key: Any, make: Callable[[], T], *, fresh: bool = False) -> Future[T]:
        """Start working out ``key`` in the background (once), in the caller's context (the
        person's scope; ``fresh``: no person, the whole county) but computing in place rather
        than waiting on itself."""
        with self._guard:
            job = self._jobs.get(key)
            if job is None:
                context = contextvars.Context() if fresh else contextvars.copy_context()

                def work() -> T:
                    _PATIENCE.set(None)
                    return self.get(key, make)

                job = self._pool.submit(context.run, work)
                self._jobs[key] = job
        return job

    def known(self, key: Any) -> bool:
        return key in self._values

    def busy(self) -> bool:
        """Whether anything is being prepared (or waits to be)."""
        with self._guard:
            return any(not job.done() for job in self._jobs.values())

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class DashboardData:
    """Read-only access to a store's builds for the web pages, cached in process."""

    def __init__(
        self,
        store: Path,
        *,
        benchmarks: bool = True,
        commentary: Path | None = None,
        prepare_ahead: bool = False,
    ) -> None:
        """``prepare_ahead``: a newly published build's first pages are prepared as soon as
        it is seen (see :meth:`warm`), not on their first view."""
        self.path = Path(store)
        self.prepare_ahead = prepare_ahead
        self.with_benchmarks = benchmarks
        self.commentary_path = commentary
        self._memo = _Memo()
        self._commentary_seen: tuple[Any, int] | None = None
        self._warmed: set[str] = set()
        self._listing: tuple[Any, str | None, tuple[str, ...]] | None = None

    @property
    def store(self) -> Store:
        return Store(self.path)

    # -- builds ---------------------------------------------------------------------------
    def listing(self) -> tuple[str | None, tuple[str, ...]]:
        """The current build's id and every build's id. Read again only when the store's
        pointer or its builds folder changes (publishing renames a build into the folder and
        replaces the pointer; removing a build changes the folder), not on every page."""
        stamp = (_file_stamp(self.path / CURRENT), _file_stamp(self.path / BUILDS))
        held = self._listing
        if held is None or held[0] != stamp:
            store = self.store
            held = (stamp, store.current_id(), tuple(store.build_ids()))
            self._listing = held
        return held[1], held[2]

    def build(self, build_id: str | None = None) -> Build:
        """A build by id (the current one when None); an unknown id is a :class:`NotFound`."""
        current, ids = self.listing()
        if build_id is not None and build_id not in ids:
            raise NotFound(
                f"there is no build {build_id!r} in this store; the Builds page lists the "
                "builds there are"
            )
        wanted = build_id or current
        if wanted is None or wanted not in ids:
            return self.store.get(build_id)  # says what is wrong with the store
        return Build(self.store, wanted)

    def facts(self, build_id: str | None = None) -> BuildFacts:
        build = self.build(build_id)
        current = self.listing()[0] == build.id
        if current and self.prepare_ahead and build.id not in self._warmed:
            self.warm(build.id)
        facts = {
            **self._memo.prepared(("facts", build.id), lambda: _facts(self, build)),
            "current": current,
        }
        scope = scope_key()
        if scope is not None:
            facts["localities"] = tuple(n for n in facts["localities"] if n in scope)
        return BuildFacts(**facts)

    def all_facts(self) -> list[BuildFacts]:
        """Every build, newest first."""
        return [self.facts(b) for b in reversed(self.listing()[1])]

    def rows(self, build: Build) -> pl.DataFrame:
        """The build's indicator results (computed and stored first if absent)."""
        everything = self._memo.prepared(
            ("rows", build.id), lambda: results_for(build, show_progress=False)
        )
        scope = scope_key()
        if scope is None:
            return everything
        return self._memo.prepared(("rows", build.id, scope), lambda: in_scope(everything, scope))

    def definitions(self) -> dict[str, Any]:
        return self._memo.get("catalogue", lambda: dict(load_catalogue().definitions))

    # -- the evaluated month --------------------------------------------------------------
    def resolve(
        self, build_id: str | None, period: str | None, locality: str | None
    ) -> tuple[BuildFacts, date, str | None]:
        """Check the page's build, month and locality; the month defaults to the latest."""
        facts = self.facts(build_id)
        if not facts.periods:
            raise NotFound(f"build {facts.id} has no indicator results to show")
        period_end = parse_month(period) if period else facts.periods[-1]
        if period_end not in facts.periods:
            raise NotFound(
                f"build {facts.id} has no results for {period_end:%B %Y}; it covers "
                f"{facts.periods[0]:%B %Y} to {facts.periods[-1]:%B %Y}"
            )
        chosen = locality or None
        user = acting_user()
        if chosen is None and user is not None and not user.whole_county:
            if not facts.localities:
                raise NotFound(
                    f"build {facts.id} has none of your localities; ask an administrator"
                )
            chosen = facts.localities[0]  # the county as a whole is not theirs to see
        if chosen is not None and chosen not in facts.localities:
            raise NotFound(
                f"there is no locality called {chosen!r}; choose one of "
                f"{', '.join(facts.localities)}"
            )
        return facts, period_end, chosen

    def pack(self, build_id: str, period_end: date, locality: str | None) -> Pack:
        """The evaluated month for the county (or one locality), as the committee pack has it,
        with the commentary as it is now. The evaluation is prepared in the background once
        per build, month, locality, scope and targets file; the commentary is laid over it
        here (cheap), so new commentary never sends a page back to the engine."""
        stamp = self.targets_stamp(build_id)
        scope = scope_key()
        evaluated = self._memo.prepared(
            ("pack", build_id, period_end, locality, stamp, scope),
            lambda: self._make_pack(build_id, period_end, locality, stamp),
        )
        version = self.commentary_version()
        return self._memo.get(
            ("pack", build_id, period_end, locality, stamp, scope, version),
            lambda: replace(evaluated, commentary=self.commentary()),
        )

    def _make_pack(self, build_id: str, period_end: date, locality: str | None, stamp: Any) -> Pack:
        build = self.build(build_id)
        return month_pack(
            build,
            period_end,
            locality,
            rows=self.rows(build),
            definitions=self.definitions(),
            targets=self._memo.get(
                ("targets", build.id, stamp), lambda: choose_targets(build, None)
            ),
            benchmarks=self._benchmarks(build),
            commentary=None,
        )

    def targets_stamp(self, build_id: str) -> tuple[Any, ...]:
        """Changes when the targets a build is judged against change (the build's own
        ``targets.yaml`` or the store's): packs judged against the old ones are not reused."""
        build_folder = self.path / "builds" / build_id
        return tuple(_file_stamp(folder / TARGETS_FILE) for folder in (build_folder, self.path))

    def _benchmarks(self, build: Build) -> Benchmarks:
        if not self.with_benchmarks:
            return Benchmarks(None, "benchmarks switched off")
        return self._memo.get(("bench", build.id), lambda: published_benchmarks(build))

    def warm(self, build_id: str) -> None:
        """Start preparing, in the background, what the first pages of a newly published
        build need: its facts, and its latest month for the county and each locality."""
        self._warmed.add(build_id)
        self._memo.prepare(("warm", build_id), lambda: self._warm(build_id), fresh=True)

    def _warm(self, build_id: str) -> bool:
        build = self.build(build_id)
        facts = self.facts(build_id)
        if not facts.periods:
            return False
        latest = facts.periods[-1]
        for locality in (None, *facts.localities):
            self.pack(build_id, latest, locality)
        for indicator_id in sorted(child_lists()):
            self._children(build, indicator_id, latest)
        return True

    def children(
        self, indicator_id: str, period_end: date, localities: frozenset[str] | None
    ) -> Children:
        """The children behind a figure of the current build, only those of ``localities``
        (every child when None). The whole list is prepared once per build and month; the
        person's scope is applied here, where the list is read (the cut kept per scope)."""
        build = self.build(None)
        found = self._children(build, indicator_id, period_end)
        if localities is None:
            return found
        return self._memo.get(
            ("children", build.id, indicator_id, period_end, tuple(sorted(localities))),
            lambda: replace(
                found, rows=found.rows.filter(pl.col(LOCALITY).is_in(sorted(localities)))
            ),
        )

    def _children(self, build: Build, indicator_id: str, period_end: date) -> Children:
        return self._memo.prepared(
            ("children", build.id, indicator_id, period_end),
            lambda: children_behind(build, indicator_id, period_end, None),
        )

    def commentary(self) -> Commentary:
        """The commentary file given to ``serve``, else ``STORE/commentary.yaml``, else none,
        overlaid by the commentary written in the dashboard (:mod:`cscperf.app.commentary`)."""

        def load() -> Commentary:
            path = self.commentary_path or self.path / "commentary.yaml"
            return pack_commentary(self.path, path if path.is_file() else None)

        return self._memo.get(("commentary", self.commentary_version()), load)

    def commentary_version(self) -> int:
        """Changes whenever commentary is saved, so pages made before are not reused. The
        database is asked again only when its file has changed (or after this process saved
        commentary: :meth:`commentary_saved`), not on every page."""
        database = council_database_path(self.path)
        # in WAL mode a commit changes the -wal file; the file itself only at a checkpoint
        stamp = (_file_stamp(database), _file_stamp(database.with_name(database.name + "-wal")))
        seen = self._commentary_seen
        if seen is not None and seen[0] == stamp:
            return seen[1]
        version = latest_number(self.path)
        self._commentary_seen = (stamp, version)
        return version

    def commentary_saved(self) -> None:
        """Commentary was just saved here: ask the database on the next page."""
        self._commentary_seen = None

    def cached(self, key: Any, make: Callable[[], T]) -> T:
        """Any other derived value (a page's HTML, CSV text) cached under ``key``: cheap to
        make from prepared values, so made on the request's thread."""
        return self._memo.get(("other", scope_key(), key), make)

    def prepared(self, key: Any, make: Callable[[], T]) -> T:
        """A derived value that takes the engine's time (an indicator page, its charts),
        prepared in the background under ``key``; see :meth:`_Memo.prepared`."""
        return self._memo.prepared(("other", scope_key(), key), make)

    def preparing(self) -> bool:
        """Whether results are being prepared in the background just now."""
        return self._memo.busy()

    def computed(self) -> list[Any]:
        """The keys of every value worked out so far, in order (for tests)."""
        return list(self._memo.computed)

    def close(self) -> None:
        self._memo.shutdown()


def in_scope(rows: pl.DataFrame, localities: tuple[str, ...]) -> pl.DataFrame:
    """The rows a person limited to ``localities`` may see: the county's own figures and
    breakdowns other than by place, and their localities' rows; never another locality's
    (nor a team's, which would place it)."""
    by_place = pl.col("breakdown").is_in(["locality", "team"])
    mine = (pl.col("breakdown") == "locality") & pl.col("breakdown_value").is_in(list(localities))
    return rows.filter(~by_place | mine)


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    """When a file last changed, its size and inode (a file replaced by a rename has a new
    one); None when absent."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _facts(data: DashboardData, build: Build) -> dict[str, Any]:
    manifest = build.manifest
    settings = build.settings if build.has_settings else None
    council = manifest.get("council") or {}
    rows = data.rows(build)
    periods = (
        rows.filter(pl.col("breakdown") == "all")
        .get_column("period_end")
        .cast(pl.Date)
        .unique()
        .sort()
        .to_list()
    )
    return {
        "id": build.id,
        "council": settings.council.name if settings else str(council.get("name") or "Council"),
        "la_code": settings.council.la_code if settings else council.get("la_code"),
        "extract_date": str(manifest.get("extract_date") or "not recorded"),
        "source_system": str(
            manifest.get("source_system") or (settings.source_system if settings else "unknown")
        ),
        "created": str(manifest.get("created") or ""),
        "current": False,
        "localities": tuple(loc.name for loc in settings.localities) if settings else (),
        "periods": tuple(periods),
    }
