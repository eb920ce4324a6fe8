"""Loading a council's data: read and check the inputs, then publish them as a new build.

The whole load runs under the store's load lock, so two loads into one store never interleave,
and a build is published only when the data-quality checks found no error; the report is
written either way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from cscperf.benchmarks.published import published_council
from cscperf.indicators.framework import framework_settings
from cscperf.sources.coverage import WindowRules
from cscperf.sources.ingest import IngestOutcome, LoadContext, prepare_load
from cscperf.store import Store


def load_context() -> LoadContext:
    """What the sources stage needs from above it: published councils, the reporting window."""
    framework = framework_settings()
    return LoadContext(
        published_council=published_council,
        window=WindowRules(
            activity_dates=tuple((table, column) for table, column in framework.activity_dates),
            financial_years=framework.reporting_financial_years,
        ),
    )


def ingest(
    store: Path,
    paths: list[Path],
    *,
    collection_year: int | None = None,
    db_url: str | None = None,
    extract_date: date | None = None,
    report_dir: Path | None = None,
) -> IngestOutcome:
    """Load the inputs into a new build of ``store``; publish it only when there is no error.

    Returns what happened; never leaves a partial build. A path that does not exist raises
    :class:`~cscperf.errors.InputError`, and another load running into the same store raises
    :class:`~cscperf.errors.StoreError`; every problem with the data is in ``outcome.problems``.
    """
    target = Store(Path(store))
    with target.load_lock():
        started = datetime.now(UTC)
        report_dir = report_dir or Path(store) / "reports" / started.strftime("%Y%m%dT%H%M%SZ")
        prepared = prepare_load(
            paths,
            context=load_context(),
            report_dir=report_dir,
            collection_year=collection_year,
            db_url=db_url,
            extract_date=extract_date,
        )
        if prepared.publishable:
            info = target.publish(prepared.tables, prepared.manifest, prepared.settings, report_dir)
            prepared.outcome.build_id = info.id
        return prepared.outcome
