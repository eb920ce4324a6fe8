"""A month's published benchmarks and forecast, worked out once per build and kept with it.

Both depend only on the build (immutable), the published files, the council's forecast
settings and the code, yet every pack of the month (the county's, each locality's, a rebuild
after commentary is signed off) worked them out again: about 1.5 s of CPU a pack on the
default synthetic county. They are now kept in ``STORE/cache/month/<build id>/``, each under a
hash of everything it was worked out from (:func:`kept`), and worked out when the build's
indicators are computed (:func:`keep_month`), so a pack reads them. Like the DuckDB file and
the drawn charts beside them they are not data: a missing or unreadable entry is worked out
again, and a store that cannot be written only means working them out every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl

import cscperf
from cscperf import __version__
from cscperf.app.forecast import forecast_for_pack, store_settings
from cscperf.benchmarks.compare import council_benchmarks
from cscperf.benchmarks.published import default_data_dir
from cscperf.errors import CscperfError
from cscperf.finance.store import finance_dir
from cscperf.store.store import CACHE, Build

if TYPE_CHECKING:
    from cscperf.forecast.result import Forecast

#: the folder under the store's cache holding each build's kept month figures
KEPT = "month"
SYNTHETIC_LA = "999"
DEFAULT_MODEL = "2025"

T = TypeVar("T")


@cache
def code_fingerprint() -> str:
    """A hash of cscperf's source and data files: edited code never reads an old entry."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(cscperf.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def files_stated(folder: Path | None) -> list[tuple[str, int, int]]:
    """Each file under ``folder`` by name, size and modification time (what changes when a
    published file or a council's settings are replaced); empty when there is none."""
    if folder is None or not folder.exists():
        return []
    paths = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file())
    stated = []
    for path in paths:
        status = path.stat()
        stated.append((str(path), status.st_size, status.st_mtime_ns))
    return stated


def kept(build: Build, name: str, inputs: Any, work_out: Callable[[], T]) -> T:
    """``work_out()``'s value for ``build``, read from the build's folder of kept figures when
    it was worked out before from the same ``inputs`` (any JSON-able description of what it
    depends on besides the build and the code), else worked out and kept there."""
    material = json.dumps([build.id, name, inputs, code_fingerprint()], default=str)
    key = hashlib.sha256(material.encode()).hexdigest()[:40]
    folder = build.store.path / CACHE / KEPT / build.id
    path = folder / f"{name}-{key}.pickle"
    try:
        value: T = pickle.loads(path.read_bytes())
        return value
    except FileNotFoundError:
        pass
    except Exception:  # a damaged entry of our own cache is worked out again
        path.unlink(missing_ok=True)
    value = work_out()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f".{path.name}.{os.getpid()}.part"
        part.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(part, path)
    except OSError:
        pass  # a read-only store: worked out again next time
    return value


def month_of(build: Build) -> date | None:
    """The build's last reporting month: the month a pack is made for first."""
    reporting = build.manifest.get("reporting")
    last = reporting.get("last") if isinstance(reporting, dict) else None
    return date.fromisoformat(str(last)[:10]) if last else None


@dataclass(frozen=True)
class Benchmarks:
    """Published figures for a build's council, and a sentence saying whose and which model
    (or why there are none)."""

    frame: pl.DataFrame | None
    note: str
    borrowed_from: str | None = None  # the LA code whose figures a council borrows
    published_by: str = ""  # whose published figures these are, in words

    @property
    def pack_note(self) -> str:
        """How the pack's provenance names the published figures."""
        if self.frame is None:
            return "no benchmarks available"
        return f"{self.published_by} (DfE publications); each comparison states its basis and year"


def published_by(owner: str, council_code: str, borrowed: bool) -> str:
    """Whose published figures a build is set beside: ``Norfolk's published figures``, and
    ``(borrowed for the demo)`` when the synthetic council borrows a real council's."""
    if not borrowed:
        return f"{owner}'s published figures"
    why = "for the demo" if council_code == SYNTHETIC_LA else "by this council's settings"
    return f"{owner}'s published figures (borrowed {why})"


def published_benchmarks(
    build: Build, data: Path | None = None, model: str = DEFAULT_MODEL
) -> Benchmarks:
    """Published benchmarks for the build's council (or the council it borrows), every year."""
    if not build.has_settings:
        return Benchmarks(None, "Benchmarks left out: the build has no council settings.")
    council = build.settings.council
    code = council.benchmark_as or council.la_code
    try:
        frame = council_benchmarks(code, data or default_data_dir(), model=model, all_years=True)
    except CscperfError as failure:
        return Benchmarks(None, f"Benchmarks left out: {failure}")

    owner = str(frame["la_name"][0]) if frame.height else code
    whose = published_by(owner, council.la_code, bool(council.benchmark_as))
    frame = frame.with_columns(pl.lit(whose).alias("published_by"))
    borrowed = f", not {council.short_name}'s own" if council.benchmark_as else ""
    return Benchmarks(
        frame,
        f"Benchmarks: {whose}{borrowed}, {model} neighbours.",
        council.benchmark_as,
        whose,
    )


def kept_benchmarks(build: Build) -> Benchmarks:
    """:func:`published_benchmarks` of the shared folder's files, worked out once per build
    and kept with it (:mod:`cscperf.app.kept`): again only when a published file changes."""
    try:
        data = default_data_dir()
    except CscperfError:
        return published_benchmarks(build)  # no published files: says why
    inputs = {"data": files_stated(data), "model": DEFAULT_MODEL}
    return kept(build, "benchmarks", inputs, lambda: published_benchmarks(build, data))


def kept_forecast(build: Build, period_end: date) -> tuple[Forecast | None, str]:
    """The month's forecast for a pack (``forecast_for_pack``), worked out once per build and
    month and kept with the build: again only when the council's forecast settings or the
    finance kept with the build change."""
    inputs = {
        "month": period_end.isoformat(),
        "settings": files_stated(store_settings(build)),
        "finance": files_stated(finance_dir(build)),
    }
    return kept(build, "forecast", inputs, lambda: forecast_for_pack(build, period_end))


def keep_month(build: Build) -> None:
    """Work out and keep the published benchmarks and the forecast of the build's last month
    (done when its indicators are computed), so that the month's packs only read them."""
    month = month_of(build)
    kept_benchmarks(build)
    if month is not None:
        kept_forecast(build, month)
