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

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from cscperf.app.commentary import latest_number, pack_commentary
from cscperf.app.month import Benchmarks, choose_targets, month_pack, published_benchmarks
from cscperf.errors import CscperfError
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.output import parse_period
from cscperf.indicators.results import results_for
from cscperf.reports.commentary import Commentary
from cscperf.reports.pack import Pack
from cscperf.store.store import Build, Store
from cscperf.web.auth import acting_user, scope_key

T = TypeVar("T")


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


class _Memo:
    """A dictionary of computed values with one lock per key."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: Any, make: Callable[[], T]) -> T:
        if key in self._values:
            return self._values[key]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = make()
        return self._values[key]


class DashboardData:
    """Read-only access to a store's builds for the web pages, cached in process."""

    def __init__(
        self, store: Path, *, benchmarks: bool = True, commentary: Path | None = None
    ) -> None:
        self.path = Path(store)
        self.with_benchmarks = benchmarks
        self.commentary_path = commentary
        self._memo = _Memo()

    @property
    def store(self) -> Store:
        return Store(self.path)

    # -- builds ---------------------------------------------------------------------------
    def build(self, build_id: str | None = None) -> Build:
        """A build by id (the current one when None); an unknown id is a :class:`NotFound`."""
        store = self.store
        if build_id is not None and build_id not in store.build_ids():
            raise NotFound(
                f"there is no build {build_id!r} in this store; the Builds page lists the "
                "builds there are"
            )
        return store.get(build_id)

    def facts(self, build_id: str | None = None) -> BuildFacts:
        build = self.build(build_id)
        current = self.store.current_id() == build.id
        facts = {
            **self._memo.get(("facts", build.id), lambda: _facts(self, build)),
            "current": current,
        }
        scope = scope_key()
        if scope is not None:
            facts["localities"] = tuple(n for n in facts["localities"] if n in scope)
        return BuildFacts(**facts)

    def all_facts(self) -> list[BuildFacts]:
        """Every build, newest first."""
        return [self.facts(b) for b in reversed(self.store.build_ids())]

    def rows(self, build: Build) -> pl.DataFrame:
        """The build's indicator results (computed and stored first if absent)."""
        everything = self._memo.get(
            ("rows", build.id), lambda: results_for(build, show_progress=False)
        )
        scope = scope_key()
        if scope is None:
            return everything
        return self._memo.get(("rows", build.id, scope), lambda: in_scope(everything, scope))

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
        """The evaluated month for the county (or one locality), as the committee pack has it."""
        key = ("pack", build_id, period_end, locality, self.commentary_version(), scope_key())
        return self._memo.get(key, lambda: self._make_pack(build_id, period_end, locality))

    def _make_pack(self, build_id: str, period_end: date, locality: str | None) -> Pack:
        build = self.build(build_id)
        return month_pack(
            build,
            period_end,
            locality,
            rows=self.rows(build),
            definitions=self.definitions(),
            targets=self._memo.get(("targets", build.id), lambda: choose_targets(build, None)),
            benchmarks=self._benchmarks(build),
            commentary=self.commentary(),
        )

    def _benchmarks(self, build: Build) -> Benchmarks:
        if not self.with_benchmarks:
            return Benchmarks(None, "benchmarks switched off")
        return self._memo.get(("bench", build.id), lambda: published_benchmarks(build))

    def commentary(self) -> Commentary:
        """The commentary file given to ``serve``, else ``STORE/commentary.yaml``, else none,
        overlaid by the commentary written in the dashboard (:mod:`cscperf.app.commentary`)."""

        def load() -> Commentary:
            path = self.commentary_path or self.path / "commentary.yaml"
            return pack_commentary(self.path, path if path.is_file() else None)

        return self._memo.get(("commentary", self.commentary_version()), load)

    def commentary_version(self) -> int:
        """Changes whenever commentary is saved, so packs made before are not reused."""
        return latest_number(self.path)

    def cached(self, key: Any, make: Callable[[], T]) -> T:
        """Any other derived value (charts, CSV text) cached under ``key``."""
        return self._memo.get(("other", scope_key(), key), make)


def in_scope(rows: pl.DataFrame, localities: tuple[str, ...]) -> pl.DataFrame:
    """The rows a person limited to ``localities`` may see: the county's own figures and
    breakdowns other than by place, and their localities' rows; never another locality's
    (nor a team's, which would place it)."""
    by_place = pl.col("breakdown").is_in(["locality", "team"])
    mine = (pl.col("breakdown") == "locality") & pl.col("breakdown_value").is_in(list(localities))
    return rows.filter(~by_place | mine)


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
