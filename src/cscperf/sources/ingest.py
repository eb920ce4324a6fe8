"""The ingest driver: from a council's files (and database) to tables ready to publish.

Owns walking the paths given, recognising each file by its content with every reader
(SSD tables, population, settings, and the statutory-return readers when installed),
reading, merging the canonical tables of all inputs (see :mod:`cscperf.sources.merge` for
which input wins), running the cross-table checks and writing the data-quality report.
Publishing the build to the store, under the store's load lock, is the application layer's
(:func:`cscperf.app.load.ingest`); what a load needs from the stages above this one (the
published list of councils, the framework's reporting window) comes in a :class:`LoadContext`.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from cscperf.console import progress
from cscperf.errors import ConfigError, CscperfError, InputError
from cscperf.limits import check_workbook, load_yaml
from cscperf.settings import Settings, is_settings_file, load_settings
from cscperf.sources.annex_a import AnnexAReader
from cscperf.sources.base import Problem, Reader, ReaderResult, Severity
from cscperf.sources.canonical import canonical_tables
from cscperf.sources.cin_census import CINCensusReader
from cscperf.sources.council import SOURCE_NAMES, SOURCE_SYSTEM, derive_settings
from cscperf.sources.coverage import (
    ReportingRange,
    WindowRules,
    combine_not_supplied,
    reporting_range,
)
from cscperf.sources.merge import (
    LATEST,
    RECORD_SOURCES,
    as_at_date,
    merge_table,
    prepare,
    strip_working_columns,
    used_in_build,
)
from cscperf.sources.population import PopulationReader, council_population, no_population_problem
from cscperf.sources.quality import run_checks
from cscperf.sources.reconcile import Reconciliation, SetAside, reconcile
from cscperf.sources.report import severity_counts, write_report
from cscperf.sources.ssd import SSDReader
from cscperf.sources.ssda903 import SSDA903Reader

HEAD_BYTES = 65536
SETTINGS_SUFFIXES = {".yaml", ".yml"}
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".ods"}
IGNORED_NAMES = {"readme.txt", "readme.md", "planted_faults.csv", "thumbs.db", ".ds_store"}


@dataclass
class InputFile:
    """One file given to the ingest, and what it was recognised as."""

    path: Path
    kind: str  # reader source, "settings", or "unknown"/"empty"/"unreadable"
    description: str
    size: int = 0
    sha256: str = ""


@dataclass
class IngestOutcome:
    """What a load did: the files and what they were, problems, rows, and the build (if any)."""

    files: list[InputFile]
    problems: list[Problem]
    row_counts: dict[str, int]
    report_dir: Path
    build_id: str | None = None
    reason: str | None = None  # why nothing was published
    la_code: str | None = None
    collection_years: list[int] = field(default_factory=list)
    # What the SSD and the returns loaded with it disagree on, counts only (for the console).
    reconciled: list[str] = field(default_factory=list)
    reporting: ReportingRange | None = None  # the months the build can report, and why

    @property
    def published(self) -> bool:
        return self.build_id is not None

    @property
    def counts(self) -> dict[str, int]:
        return severity_counts(self.problems)


def registered_readers() -> list[Reader]:
    """Every reader: ours and the statutory returns'."""
    return [PopulationReader(), SSDReader(), SSDA903Reader(), CINCensusReader(), AnnexAReader()]


def walk(paths: Sequence[Path]) -> list[Path]:
    """Files under the given paths (folders recursively, hidden files skipped), sorted."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError("the path does not exist; check the spelling", file=str(path))
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)


# Words that make a YAML file that cannot be parsed a settings file all the same, so that a
# broken council.yaml stops the load instead of being passed over as an unknown file.
SETTINGS_HINTS = (b"cscperf-council-settings", b"la_code", b"localities")


def _is_settings(path: Path) -> bool:
    """A YAML file with the settings kind, or one that cannot be parsed but is named or
    written like a settings file (reading it then reports where it is broken)."""
    if path.suffix.lower() not in SETTINGS_SUFFIXES:
        return False
    try:
        return is_settings_file(load_yaml(path, "settings file"))
    except ConfigError:
        name = path.stem.lower()
        head = _head(path).lower()
        return "council" in name or "settings" in name or any(h in head for h in SETTINGS_HINTS)


def recognise(path: Path, readers: Sequence[Reader]) -> tuple[str, str, Reader | None]:
    """(kind, description, reader) for one file; kind is "unknown" when nothing fits."""
    head = _head(path)
    if not head.strip():
        return "empty", "empty file", None
    if _is_settings(path):
        return "settings", "council settings", None
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        try:
            check_workbook(path)
        except InputError as exc:
            return "unreadable", str(exc.args[0]), None
    for reader in readers:
        try:
            ok = reader.recognises(path, head)
        except Exception:
            ok = False
        if ok:
            describe = getattr(reader, "describe", None)
            text = describe(path, head) if callable(describe) else reader.source
            return reader.source, str(text), reader
    return "unknown", "not recognised", None


def _call_read(reader: Reader, paths: list[Path], collection_year: int | None) -> ReaderResult:
    kwargs: dict[str, Any] = {}
    if collection_year is not None:
        try:
            if "collection_year" in inspect.signature(reader.read).parameters:
                kwargs["collection_year"] = collection_year
        except (TypeError, ValueError):
            pass
    return reader.read(paths, **kwargs)


def _file_problem(path: Path, rule: str, message: str, severity: Severity) -> Problem:
    return Problem(file=str(path), rule=rule, severity=severity, message=message)


def _read_all(
    files: list[InputFile],
    readers_by_source: dict[str, Reader],
    collection_year: int | None,
    problems: list[Problem],
) -> list[ReaderResult]:
    results: list[ReaderResult] = []
    groups: dict[str, list[Path]] = {}
    for item in files:
        if item.kind in readers_by_source:
            groups.setdefault(item.kind, []).append(item.path)
    with progress() as bar:
        task = bar.add_task("Reading inputs", total=sum(len(v) for v in groups.values()))
        for source, paths in groups.items():
            reader = readers_by_source[source]
            # The SSD reader reads file by file so one bad file does not hide the others.
            batches = [[p] for p in paths] if source in ("ssd", "population") else [paths]
            for batch in batches:
                try:
                    results.append(_call_read(reader, batch, collection_year))
                except InputError as exc:
                    problems.append(
                        Problem(
                            file=exc.file or ", ".join(map(str, batch)),
                            row=exc.row,
                            field=exc.field,
                            rule="unreadable-file",
                            severity=Severity.ERROR,
                            message=str(exc.args[0]),
                        )
                    )
                except CscperfError as exc:
                    problems.append(
                        _file_problem(batch[0], "unreadable-file", str(exc), Severity.ERROR)
                    )
                bar.advance(task, len(batch))
    return results


def _settings_from(files: list[InputFile], problems: list[Problem]) -> Settings | None:
    settings: Settings | None = None
    for item in files:
        if item.kind != "settings":
            continue
        try:
            loaded = load_settings(item.path)
        except CscperfError as exc:
            problems.append(_file_problem(item.path, "unreadable-file", str(exc), Severity.ERROR))
            continue
        if settings is not None and loaded != settings:
            problems.append(
                _file_problem(
                    item.path,
                    "council-mismatch",
                    "a second, different settings file was given; give one council.yaml",
                    Severity.ERROR,
                )
            )
            continue
        settings = loaded
    return settings


def identify_council(
    settings: Settings | None, results: Iterable[ReaderResult], problems: list[Problem]
) -> str | None:
    """The council's LA code from the settings and the returns; an error when they differ."""
    codes: dict[str, str] = {}
    if settings is not None:
        codes[settings.council.la_code] = "the settings file"
    for result in results:
        if result.la_code:
            code = str(result.la_code).strip().zfill(3)
            codes.setdefault(code, ", ".join(str(p) for p in result.files[:1]) or result.source)
    if len(codes) > 1:
        listed = "; ".join(f"{code} in {where}" for code, where in codes.items())
        problems.append(
            Problem(
                file="",
                rule="council-mismatch",
                severity=Severity.ERROR,
                message=f"the inputs belong to different councils ({listed}); load one "
                "council at a time",
            )
        )
    return next(iter(codes), None)


def merge_results(
    results: list[ReaderResult], extract_date: date | None
) -> tuple[dict[str, pl.DataFrame], list[Problem], Reconciliation]:
    """Every canonical table merged across inputs, with provenance columns still on.

    A table the SSD supplies is merged from the SSD alone (:func:`used_in_build`); the
    returns' rows of it are checked against the SSD instead (the reconciliation returned)."""
    known = canonical_tables()
    prepared: dict[str, list[pl.DataFrame]] = {}
    problems: list[Problem] = []
    suppliers: dict[str, set[str]] = {}
    for result in results:
        for name in result.tables:
            suppliers.setdefault(name, set()).add(result.source)
    set_aside: dict[tuple[str, str], list[pl.DataFrame]] = {}
    years: dict[str, set[int]] = {}
    record_as_at: list[date] = []
    for order, result in enumerate(results):
        as_at = as_at_date(result.extract_date or extract_date, result.collection_year)
        if result.source in RECORD_SOURCES:
            record_as_at.append(as_at)
        file = str(result.files[0]) if len(result.files) == 1 else result.source
        for name, frame in result.tables.items():
            if name not in known:
                problems.append(
                    Problem(
                        file=file,
                        rule="unreadable-file",
                        severity=Severity.WARNING,
                        message=f"the {result.source} reader gave a table {name} that is not "
                        "canonical; it was left out (a fault in cscperf: report it)",
                    )
                )
                continue
            frame_ready, found = prepare(name, frame, file=file, as_at=as_at, order=order)
            problems.extend(found)
            if used_in_build(result.source, suppliers[name]):
                prepared.setdefault(name, []).append(frame_ready)
                continue
            set_aside.setdefault((result.source, name), []).append(frame_ready)
            years.setdefault(result.source, set()).update(_collection_years(result, frame))
    merged: dict[str, pl.DataFrame] = {}
    for name, frames in prepared.items():
        merged[name], found = merge_table(name, frames)
        problems.extend(found)
    checked = [
        SetAside(source, name, pl.concat(frames, how="vertical_relaxed"), frozenset(years[source]))
        for (source, name), frames in sorted(set_aside.items())
    ]
    # With an SSD loaded, the tables it lacks come from the returns: the report says which.
    from_returns = {n: s for n, s in suppliers.items() if not s & RECORD_SOURCES}
    reconciliation = reconcile(
        merged, checked, max(record_as_at, default=LATEST), from_returns if record_as_at else {}
    )
    problems.extend(reconciliation.problems)
    return merged, problems, reconciliation


def _collection_years(result: ReaderResult, frame: pl.DataFrame) -> set[int]:
    """The collection years a return's table covers (its rows' years, else the return's)."""
    if "_collection_year" in frame.columns:
        found = {int(y) for y in frame.get_column("_collection_year").drop_nulls().unique()}
        if found:
            return found
    return {result.collection_year} if result.collection_year else set()


@dataclass(frozen=True)
class LoadContext:
    """What a load needs to know beyond its inputs, given by the application layer (it comes
    from stages above this one): the published council for an LA code (name, ONS code, region;
    None when not listed) and the indicator framework's rules for the months reported."""

    published_council: Callable[[str], Mapping[str, str] | None]
    window: WindowRules


@dataclass
class PreparedLoad:
    """A load read, merged and checked, and its report written: the tables, manifest and
    settings to publish when ``outcome.reason`` is None (no error)."""

    outcome: IngestOutcome
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    settings: Settings | None = None

    @property
    def publishable(self) -> bool:
        return self.outcome.reason is None


def prepare_load(
    paths: list[Path],
    *,
    context: LoadContext,
    report_dir: Path,
    collection_year: int | None = None,
    db_url: str | None = None,
    extract_date: date | None = None,
) -> PreparedLoad:
    """Read, merge and check the inputs and write the data-quality report to ``report_dir``;
    publishing is the caller's (:func:`cscperf.app.load.ingest`). A path that does not exist
    raises :class:`InputError`; every problem with the data is in ``outcome.problems``."""
    readers = registered_readers()
    readers_by_source = {r.source: r for r in readers}
    files, problems = _recognise_inputs(paths, readers)
    results = _read_all(files, readers_by_source, collection_year, problems)
    if db_url:
        _read_database_input(db_url, results, files, problems)
    for result in results:
        problems.extend(result.problems)

    settings = _settings_from(files, problems)
    readable = [f for f in files if f.kind not in ("unknown", "empty", "unreadable")]
    if not readable and not any(r.tables for r in results):
        problems.append(
            Problem(
                file="",
                rule="nothing-recognised",
                severity=Severity.ERROR,
                message="none of the inputs could be read as SSD tables, statutory returns, "
                "population or settings; point the command at the extract files or folder",
            )
        )

    la_code = identify_council(settings, results, problems)
    tables, merge_problems, reconciliation = merge_results(results, extract_date)
    problems.extend(merge_problems)
    settings_from = "council.yaml" if settings is not None else None
    if settings is None and la_code:
        given = [SOURCE_NAMES[s] for s in sorted({r.source for r in results}) if s in SOURCE_NAMES]
        settings, found = derive_settings(
            la_code, tables, context.published_council(la_code), ", ".join(given) or SOURCE_SYSTEM
        )
        problems.extend(found)
        settings_from = "derived from the LA code in the data and the published list of councils"
    if "population" in tables:
        locality_names = [loc.name for loc in settings.localities] if settings else []
        tables["population"] = (
            council_population(tables["population"], la_code, locality_names)
            if la_code
            else tables["population"].clear()
        )
    if la_code and tables.get("population", pl.DataFrame()).height == 0:
        problems.append(no_population_problem(la_code))
    problems.extend(run_checks(tables))

    not_supplied = combine_not_supplied(results)
    problems.extend(
        Problem(
            file="",
            rule="not-supplied",
            severity=Severity.INFO,
            table=what.split(".")[0],
            message=f"{what}: {why}",
        )
        for what, why in sorted(not_supplied.items())
    )
    for name in canonical_tables():
        if name not in tables:
            not_supplied.setdefault(name, "no input supplied this table")

    years = sorted({r.collection_year for r in results if r.collection_year})
    errors = sum(1 for p in problems if p.severity == Severity.ERROR)
    outcome = IngestOutcome(
        files=files,
        problems=problems,
        row_counts={n: t.height for n, t in sorted(tables.items())},
        report_dir=report_dir,
        la_code=la_code,
        collection_years=years,
        reconciled=reconciliation.lines(),
        reporting=reporting_range(results, tables, extract_date, context.window),
    )
    council_name = settings.council.name if settings else la_code
    if errors:
        outcome.reason = (
            f"{errors} error(s) in the data, so no build was published"
            if readable or any(r.tables for r in results)
            else "nothing could be read from the inputs given"
        )
    write_report(
        problems,
        report_dir,
        files=[(str(f.path), f.description) for f in files],
        outcome=outcome.reason or "No errors: the data can be published as a build.",
        council=council_name,
        reconciliation=reconciliation,
    )
    if errors:
        return PreparedLoad(outcome, settings=settings)

    manifest = _manifest(
        files,
        results,
        settings,
        settings_from,
        outcome,
        not_supplied,
        extract_date=extract_date,
    )
    published = {name: strip_working_columns(t) for name, t in tables.items()}
    return PreparedLoad(outcome, published, manifest, settings)


def _recognise_inputs(
    paths: list[Path], readers: Sequence[Reader]
) -> tuple[list[InputFile], list[Problem]]:
    """Every input file found under ``paths`` with what it was recognised as, and a problem for
    each one that is empty, unreadable or not recognised."""
    problems: list[Problem] = []
    files: list[InputFile] = []
    for path in walk(paths):
        if path.name.lower() in IGNORED_NAMES:
            continue
        kind, description, _ = recognise(path, readers)
        stat = path.stat()
        files.append(InputFile(path, kind, description, size=stat.st_size))
        if kind == "empty":
            problems.append(
                _file_problem(
                    path,
                    "empty-file",
                    "the file is empty; export it again from the case system",
                    Severity.ERROR,
                )
            )
        elif kind == "unreadable":
            problems.append(_file_problem(path, "unreadable-file", description, Severity.ERROR))
        elif kind == "unknown":
            problems.append(
                _file_problem(
                    path,
                    "unknown-file",
                    "cscperf does not recognise this file as any input it reads; it was ignored",
                    Severity.WARNING,
                )
            )
    return files, problems


def _read_database_input(
    db_url: str, results: list[ReaderResult], files: list[InputFile], problems: list[Problem]
) -> None:
    """Read the SSD tables from the database at ``db_url`` into ``results`` and list it among
    ``files``, or record why it could not be read."""
    # SQLAlchemy, which the database reader needs, takes about as long to import as Polars;
    # only --db-url loads it.
    from cscperf.sources.database import read_database, safe_url

    try:
        results.append(read_database(db_url))
        files.append(InputFile(Path(safe_url(db_url)), "ssd-database", "SSD tables in a database"))
    except InputError as exc:
        problems.append(
            Problem(
                file=safe_url(db_url),
                rule="unreadable-file",
                severity=Severity.ERROR,
                message=str(exc),
            )
        )


def _manifest(
    files: list[InputFile],
    results: list[ReaderResult],
    settings: Settings | None,
    settings_from: str | None,
    outcome: IngestOutcome,
    not_supplied: dict[str, str],
    *,
    extract_date: date | None,
) -> dict[str, Any]:
    """The build's manifest: its inputs with their checksums, the extract date, the council,
    the months it reports, what was not supplied and the count of problems."""
    la_code = outcome.la_code
    years = outcome.collection_years
    report_dir = outcome.report_dir
    for item in files:
        if item.path.is_file():
            item.sha256 = _sha256(item.path)
    extract = extract_date or max(
        (as_at_date(r.extract_date, None) for r in results if r.extract_date), default=None
    )
    manifest = {
        "inputs": [
            {"path": str(f.path), "kind": f.kind, "size": f.size, "sha256": f.sha256} for f in files
        ],
        "extract_date": extract.isoformat() if extract else None,
        "source_system": settings.source_system if settings else None,
        "sources": sorted({r.source for r in results}),
        "council": {
            "la_code": la_code,
            "name": settings.council.name if settings else None,
            "ons_code": settings.council.ons_code if settings else None,
            "settings": settings_from,
        },
        "collection_years": years,
        "reporting": _reporting_entry(outcome.reporting),
        "not_supplied": dict(sorted(not_supplied.items())),
        "problem_counts": outcome.counts,
        "report": str(report_dir),
    }
    return manifest


def _reporting_entry(reporting: ReportingRange | None) -> dict[str, str | None]:
    """The manifest's record of the months a build reports: the engine ends them at ``last``."""
    if reporting is None:
        return {"first": None, "last": None, "complete_from": None, "reason": "not decided"}
    return {
        "first": reporting.first.isoformat() if reporting.first else None,
        "last": reporting.last.isoformat() if reporting.last else None,
        "complete_from": reporting.complete_from.isoformat() if reporting.complete_from else None,
        "reason": reporting.reason,
    }
