"""A month of a stored build: targets, benchmarks, the evaluated month and the committee pack.

The same choices (which targets file, whose published figures) are made here for
``cscperf evaluate``, ``cscperf report`` and the dashboard, so all three judge a month alike.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import pickle
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from cscperf.app.commentary import pack_commentary
from cscperf.app.jobs import Progress

# the published benchmarks are worked out in app.kept (kept with the build); named here too,
# where the evaluate command, the dashboard and the tests have always found them
from cscperf.app.kept import (
    DEFAULT_MODEL,
    SYNTHETIC_LA,
    Benchmarks,
    keep_month,
    kept_benchmarks,
    kept_forecast,
    published_benchmarks,
    published_by,
)
from cscperf.app.risk import register_for
from cscperf.errors import CscperfError
from cscperf.evaluate.evaluate import evaluate, meta_from_catalogue
from cscperf.evaluate.suppress import check_audience
from cscperf.evaluate.targets import example_targets_path, load_targets
from cscperf.finance.month import month_finance
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.output import parse_period
from cscperf.indicators.stored import stored_results
from cscperf.reports.chart_process import ChartProcess
from cscperf.reports.charts import ChartCache
from cscperf.reports.pack import make_pack, provenance_of, public_pack, read_quality
from cscperf.reports.pdf import PdfProcess
from cscperf.reports.writer import write_pack_files
from cscperf.risk.history import read_versions
from cscperf.store.store import CACHE, Store

if TYPE_CHECKING:
    from cscperf.evaluate.targets import TargetsFile
    from cscperf.reports.commentary import Commentary
    from cscperf.reports.pack import Pack
    from cscperf.risk.register import Register
    from cscperf.store.store import Build

__all__ = [
    "DEFAULT_MODEL",
    "SYNTHETIC_LA",
    "Benchmarks",
    "keep_month",
    "published_benchmarks",
    "published_by",
]

TARGETS_FILE = "targets.yaml"
#: the pack's drawn charts, kept by what they show beside the builds' caches (a chart is not
#: data: it is drawn again whenever it is missing)
CHART_CACHE = "charts"


def choose_targets(build: Build, given: Path | None) -> tuple[TargetsFile | None, str]:
    """The targets to use and a sentence saying where they came from: ``given``, else a
    ``targets.yaml`` in the build's folder (beside its settings), else one in the store's
    folder (the council's current targets, for every build), else the packaged example for
    the synthetic council, else none."""
    if given is not None:
        return load_targets(given), f"targets from {given}"
    beside = build.path / TARGETS_FILE
    if beside.is_file():
        return load_targets(beside), f"targets from the build's {beside}"
    store_wide = build.path.parent.parent / TARGETS_FILE
    if store_wide.is_file():
        return load_targets(store_wide), f"targets from the store's {store_wide}"
    if build.has_settings and build.settings.council.la_code == SYNTHETIC_LA:
        example = example_targets_path()
        return load_targets(example), "the synthetic council's packaged example targets"
    return None, "no targets file: pass --targets FILE; nothing is rated"


def month_results(build: Build) -> pl.DataFrame:
    """The build's indicator results as stored by ``cscperf indicators``; computed and stored
    first when they are not (as any command reading them does)."""
    stored = stored_results(build)
    if stored is not None:
        return stored
    # the indicator engine (Ibis, DuckDB's compiler, every indicator area) takes about 0.3 s
    # to import, and a month of a build whose results are stored never needs it
    from cscperf.indicators.results import results_for

    return results_for(build)


def evaluate_month(
    build: Build,
    period_end: date,
    targets: TargetsFile | None,
    benchmarks: Benchmarks | None,
    *,
    sn_aggregate: str = "mean",
) -> pl.DataFrame:
    """Every indicator of the month judged: target, RAG, direction, YTD, benchmarks."""
    result = evaluate(
        month_results(build),
        meta_from_catalogue(load_catalogue()),
        targets,
        period_end,
        benchmarks.frame if benchmarks else None,
        sn_aggregate=sn_aggregate,
    )
    if result.is_empty():
        raise CscperfError(
            f"build {build.id} has no indicator rows for {period_end:%Y-%m}; choose a month the "
            "build covers (cscperf indicators --store STORE lists them)"
        )
    return result


def month_pack(
    build: Build,
    period_end: date,
    locality: str | None,
    *,
    rows: pl.DataFrame,
    definitions: Any,
    targets: tuple[TargetsFile | None, str],
    benchmarks: Benchmarks,
    commentary: Commentary | None,
) -> Pack:
    """The committee pack of one month from pieces already at hand (the dashboard keeps them
    cached; :func:`assemble_pack` reads them from the store)."""
    chosen, where = targets
    return make_pack(
        rows,
        definitions,
        provenance_of(build, period_end, locality, where, benchmarks.pack_note),
        [loc.name for loc in build.settings.localities],
        chosen,
        benchmarks.frame,
        commentary,
        read_quality(build),
    )


def risk_register(store: Path, period_end: date, build: Build) -> Register | None:
    """The council's risk register as at the month's end, when the store keeps one."""
    versions = read_versions(store)
    if not versions:
        return None
    settings = build.settings.risk if build.has_settings else None
    return register_for(store, period_end, settings)


def assemble_pack(
    store: Path,
    period: str,
    *,
    build_id: str | None = None,
    locality: str | None = None,
    targets: Path | None = None,
    commentary: Path | None = None,
    benchmarks: bool = True,
    audience: str = "council",
    pool: Path | None = None,
) -> Pack:
    """The pack for a month of a stored build, judged as ``cscperf evaluate`` judges it; for
    ``audience="public"`` with small numbers suppressed. ``pool`` adds that pool's
    benchmarks beside the published ones (never in a public pack)."""
    period_end = parse_period(period)
    build = Store(store).get(build_id)

    check_audience(audience)
    bench = kept_benchmarks(build) if benchmarks else Benchmarks(None, "")
    pack = month_pack(
        build,
        period_end,
        locality,
        rows=month_results(build),
        definitions=load_catalogue().definitions,
        targets=choose_targets(build, targets),
        benchmarks=bench,
        commentary=pack_commentary(store, commentary),
    )
    pack.risks = risk_register(store, period_end, build)
    pack.finance = month_finance(build, period_end)
    if locality is None:
        pack.forecast, pack.forecast_note = kept_forecast(build, period_end)
    if pool is not None and build.has_settings:
        # a pool's module builds pools too, with the pooled engine (Ibis): about 0.3 s to
        # import that only a pack given --pool needs
        from cscperf.pools.pool import Pool

        pack.pool = Pool(pool).for_council(build.settings.council.la_code)
    return public_pack(pack) if audience == "public" else pack


def write_pack(
    store: Path,
    period: str,
    out: Path,
    *,
    locality: str | None = None,
    targets: Path | None = None,
    commentary: Path | None = None,
    build_id: str | None = None,
    pdf: bool = True,
    audience: str = "council",
    pool: Path | None = None,
) -> list[Path]:
    """Assemble the month's pack from a store and write pack.html, pack.pdf and pack.xlsx.
    The PDF's and the charts' processes are started first, so that WeasyPrint's import and the
    chart engine's start run on the other core while this one assembles the month; the chart
    process only when no pack of the same build, month, scope and audience was written before
    (then every chart is most likely kept, and starting the engine would be about 0.6 s of CPU
    spent for nothing; a chart that is not kept is then drawn in this process)."""
    pdf_job = PdfProcess() if pdf else None
    cache = ChartCache(Path(store) / CACHE / CHART_CACHE)
    chart_job: ChartProcess | None = None
    try:
        build = Store(store).get(build_id).id
        mark = written_mark(build, period, locality, audience, pool)
        chart_job = None if cache.get(mark) is not None else ChartProcess()
        pack = assemble_pack(
            store,
            period,
            build_id=build,
            locality=locality,
            targets=targets,
            commentary=commentary,
            audience=audience,
            pool=pool,
        )
    except BaseException:
        if pdf_job is not None:
            pdf_job.cancel()
        if chart_job is not None:
            chart_job.close()
        raise
    files = write_pack_files(
        pack, out, pdf=pdf, chart_cache=cache.folder, pdf_job=pdf_job, chart_job=chart_job
    )
    cache.put(mark, b"written")
    return files


def written_mark(
    build_id: str, period: str, locality: str | None, audience: str, pool: Path | None
) -> str:
    """The name under which the chart cache notes that such a pack was written."""
    said = json.dumps([build_id, period, locality, audience, str(pool or "")])
    return "pack-" + hashlib.sha256(said.encode()).hexdigest()[:40] + ".written"


def pack_files_work(
    make_pack: Callable[[], Pack], folder: Path, *, pdf: bool = True, in_child: bool = True
) -> Callable[[Progress], Path]:
    """Writing a month's pack files into ``folder`` as a background job (see
    :mod:`cscperf.app.jobs`): the pack is assembled here (the dashboard has its figures at
    hand), then written beside ``folder`` and moved into place only when complete, so a
    half-written pack is never served. With ``in_child`` the writing (charts, the PDF's layout:
    a minute of pure Python) runs in a child process, so the service's pages do not queue
    behind it for the interpreter."""

    def work(progress: Progress) -> Path:
        progress("Working out the month's figures", 0.01)
        pack = make_pack()
        part = folder.with_name(folder.name + ".part")
        shutil.rmtree(part, ignore_errors=True)
        if in_child:
            write_in_child(pack, part, pdf, progress)
        else:
            write_pack_files(pack, part, pdf=pdf, progress=progress)
        shutil.rmtree(folder, ignore_errors=True)
        part.rename(folder)
        return folder

    return work


def write_in_child(pack: Pack, out: Path, pdf: bool, progress: Progress) -> None:
    """:func:`write_pack_files` in a fresh process, its progress passed back as it goes; a
    failure there is raised here with its message."""
    context = multiprocessing.get_context("spawn")  # no fork of a threaded server
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(
        target=_write_pack_child, args=(pickle.dumps(pack), out, pdf, sending), daemon=True
    )
    child.start()
    sending.close()
    failure = "the process writing the pack stopped without saying why"
    while True:
        try:
            kind, step, fraction = receiving.recv()
        except EOFError:
            break
        if kind == "step":
            progress(step, fraction)
        elif kind == "done":
            failure = ""
        else:
            failure = step
    child.join()
    if failure:
        raise CscperfError(failure)


def _write_pack_child(pack_bytes: bytes, out: Path, pdf: bool, sending: Any) -> None:
    """The child's side of :func:`write_in_child`."""
    try:
        pack = pickle.loads(pack_bytes)
        write_pack_files(
            pack, out, pdf=pdf, progress=lambda step, done: sending.send(("step", step, done))
        )
        sending.send(("done", "", 1.0))
    except CscperfError as exc:
        sending.send(("failed", str(exc), 0.0))
    except Exception as exc:  # reported to the page that waits for it
        sending.send(("failed", f"{type(exc).__name__}: {exc}", 0.0))
    finally:
        sending.close()
