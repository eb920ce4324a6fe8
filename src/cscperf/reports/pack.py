"""Everything one committee pack is made from, gathered in one object.

Owns the assembly: from a store build (indicator results, settings, manifest, quality report),
the targets, the published benchmarks and the commentary, to a :class:`Pack` holding the
evaluated month (county and every locality), the evaluated 13 months of the pack's focus
(county, or one locality), the raw monthly rows and the catalogue definitions. Writers
(HTML, PDF, Excel) read only from a Pack, through :mod:`cscperf.reports.sections`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from cscperf.calendar.months import add_months, month_end_of
from cscperf.errors import CscperfError
from cscperf.evaluate.evaluate import IndicatorMeta, evaluate
from cscperf.evaluate.suppress import marks_by_key, suppress
from cscperf.indicators.framework import framework_settings
from cscperf.reports.commentary import Commentary

if TYPE_CHECKING:
    from cscperf.evaluate.targets import TargetsFile
    from cscperf.finance.month import MonthFinance
    from cscperf.forecast.result import Forecast
    from cscperf.pools.stats import CouncilPool
    from cscperf.risk.register import Register
    from cscperf.store.store import Build

MONTHS_SHOWN = 13  # the last 12 months and the same month last year
# evaluate() looks back up to two years (previous year to date, worsening runs)
MONTHS_NEEDED = 26
# source and team type feed the contacts-by-source and caseloads-by-team-type tables
PACK_BREAKDOWNS = ("all", "locality", "source", "team_type")


class Definition(Protocol):
    """What the pack reads from a catalogue entry (read-only)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def area(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def polarity(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def definition(self) -> str: ...
    @property
    def numerator(self) -> str: ...
    @property
    def denominator(self) -> str | None: ...
    @property
    def breakdowns(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Provenance:
    """Who and what the pack is about, shown on the cover and in every page header."""

    council: str
    period_end: date
    source_system: str
    extract_date: str
    build_id: str
    marking: str
    locality: str | None = None
    targets_note: str = ""
    benchmarks_note: str = ""
    audience: str = "council"  # or "public": small numbers suppressed

    @property
    def period_label(self) -> str:
        return f"{self.period_end:%B %Y}"

    @property
    def scope(self) -> str:
        return self.locality or "County"


@dataclass
class Pack:
    provenance: Provenance
    current: pl.DataFrame  # evaluated, period_end, county + localities
    history: pl.DataFrame  # evaluated, the focus breakdown, 13 months
    rows: pl.DataFrame  # indicator rows, county + localities, the months needed
    definitions: Mapping[str, Definition]
    localities: list[str]
    targets: TargetsFile | None = None
    commentary: Commentary = field(default_factory=Commentary)
    quality: pl.DataFrame | None = None
    risks: Register | None = None  # the risk register as at the month's end, when kept
    finance: MonthFinance | None = None  # the month's finance monitoring, when imported
    forecast: Forecast | None = None  # children looked after projected from the month
    forecast_note: str = ""  # why there is no forecast, when there is none
    pool: CouncilPool | None = None  # a pool's benchmarks beside the published ones

    @property
    def period_end(self) -> date:
        return self.provenance.period_end

    @property
    def focus(self) -> tuple[str, str]:
        loc = self.provenance.locality
        return ("locality", loc) if loc else ("all", "all")

    @property
    def months(self) -> list[date]:
        """The 13 month ends shown, oldest first."""
        return [month_back(self.period_end, n) for n in range(MONTHS_SHOWN - 1, -1, -1)]

    @cached_property
    def history_by_indicator(self) -> dict[str, dict[date, dict[str, Any]]]:
        """Indicator -> month end -> evaluated row of the focus: every section looks months up
        here instead of filtering the frame again."""
        out: dict[str, dict[date, dict[str, Any]]] = {}
        for r in self.history.iter_rows(named=True):
            out.setdefault(r["indicator_id"], {})[r["period_end"]] = r
        return out

    @cached_property
    def current_by_key(self) -> dict[tuple[str, str, str], dict[str, Any]]:
        """(indicator, breakdown, breakdown value) -> the month's evaluated row."""
        return {
            (r["indicator_id"], r["breakdown"], r["breakdown_value"]): r
            for r in self.current.iter_rows(named=True)
        }


def public_pack(pack: Pack, below: int | None = None) -> Pack:
    """The pack for readers outside the council: every figure resting on fewer than the
    small-number threshold, and the next smallest locality where the county total would give
    it away, emptied and marked ``suppressed`` (shown as ``[c]``)."""
    below = below or framework_settings().small_number_below
    units = {ident: d.unit for ident, d in pack.definitions.items()}
    known = marks_by_key(pack.rows, units, below)
    return Pack(
        provenance=replace(pack.provenance, audience="public"),
        current=suppress(pack.current, units, below, known),
        history=suppress(pack.history, units, below, known),
        rows=suppress(pack.rows, units, below),
        definitions=pack.definitions,
        localities=pack.localities,
        targets=pack.targets,
        commentary=pack.commentary,
        quality=pack.quality,
        risks=pack.risks,
        finance=pack.finance.public() if pack.finance else None,
        # the forecast's placement categories can rest on a handful of children
        forecast_note="The forecast is for use inside the council and is left out of public packs.",
    )


def month_back(period_end: date, n: int) -> date:
    return month_end_of(add_months(period_end.replace(day=1), -n))


def _rows_needed(rows: pl.DataFrame, period_end: date) -> pl.DataFrame:
    """Only the breakdowns and months a pack uses: keeps evaluation quick."""
    if rows.schema.get("period_end") != pl.Date:
        rows = rows.with_columns(pl.col("period_end").cast(pl.Date))
    first = month_back(period_end, MONTHS_NEEDED)
    return rows.filter(
        pl.col("breakdown").is_in(PACK_BREAKDOWNS),
        pl.col("period_end").is_between(first, period_end),
    )


def make_pack(
    rows: pl.DataFrame,
    definitions: Mapping[str, Definition],
    provenance: Provenance,
    localities: list[str],
    targets: TargetsFile | None = None,
    benchmarks: pl.DataFrame | None = None,
    commentary: Commentary | None = None,
    quality: pl.DataFrame | None = None,
) -> Pack:
    """Evaluate the month and the 13 months of the pack's focus from indicator rows.

    ``rows`` has the indicator engine's output columns; ``localities`` are the council's
    locality names in the settings' order. An unknown ``provenance.locality`` is an error
    listing the valid names."""
    if provenance.locality is not None and provenance.locality not in localities:
        raise CscperfError(
            f"there is no locality called {provenance.locality!r}; choose one of "
            f"{', '.join(localities) or '(the settings list no localities)'}"
        )
    period_end = provenance.period_end
    needed = _rows_needed(rows, period_end)
    meta = {
        d.id: IndicatorMeta(unit=d.unit, polarity=d.polarity, basis=d.basis, title=d.title)
        for d in definitions.values()
    }
    current = evaluate(needed, meta, targets, period_end, benchmarks)
    if current.is_empty():
        raise CscperfError(
            f"there are no indicator results for {period_end:%Y-%m} in build "
            f"{provenance.build_id}; choose a month the build covers"
        )
    breakdown, value = ("locality", provenance.locality) if provenance.locality else ("all", "all")
    focus_rows = needed.filter(pl.col("breakdown") == breakdown, pl.col("breakdown_value") == value)
    months = [month_back(period_end, n) for n in range(MONTHS_SHOWN - 1, -1, -1)]
    history = pl.concat(
        [evaluate(focus_rows, meta, targets, month, benchmarks) for month in months],
        how="vertical",
    )
    return Pack(
        provenance=provenance,
        current=current,
        history=history,
        rows=needed,
        definitions=definitions,
        localities=localities,
        targets=targets,
        commentary=commentary or Commentary(),
        quality=quality,
    )


def read_quality(build: Build) -> pl.DataFrame | None:
    """The build's data-quality report (``quality/report.csv``), when it has one."""
    path = build.quality_dir / "report.csv"
    if not path.is_file():
        return None
    try:
        return pl.read_csv(path, infer_schema_length=0)
    except (OSError, pl.exceptions.ComputeError):
        return None


def provenance_of(
    build: Build, period_end: date, locality: str | None, targets_note: str, bench_note: str
) -> Provenance:
    manifest: dict[str, Any] = build.manifest
    settings = build.settings
    # Returns alone state no extract date: the data are as at the latest reference date, the
    # last month the build reports (docs/loading-data.md), not the day they were loaded.
    reporting = manifest.get("reporting")
    as_at = reporting.get("last") if isinstance(reporting, dict) else None
    extract = (
        manifest.get("extract_date") or as_at or manifest.get("created") or "date not recorded"
    )
    return Provenance(
        council=settings.council.name,
        period_end=period_end,
        source_system=str(manifest.get("source_system") or settings.source_system),
        extract_date=str(extract),
        build_id=build.id,
        marking=settings.protective_marking or "OFFICIAL-SENSITIVE",
        locality=locality,
        targets_note=targets_note,
        benchmarks_note=bench_note,
    )
