"""The ``cscperf ingest`` command: load a council's files into a new build of the store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cscperf.app.load import ingest
from cscperf.console import err_console, out_console
from cscperf.errors import CscperfError
from cscperf.sources.summary import summary_tables


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CscperfError(
            f"--extract-date {value} is not a date; write it as YYYY-MM-DD, e.g. 2025-03-31"
        ) from None


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest_command(
        paths: Annotated[
            list[Path],
            typer.Argument(
                help="Files and folders: SSD tables, SSDA903 and CIN Census returns, Annex A "
                "workbooks, population, council.yaml."
            ),
        ],
        store: Annotated[Path, typer.Option("--store", help="The store folder to load into.")],
        year: Annotated[
            int | None,
            typer.Option(
                "--year",
                help="Collection year (the year ending 31 March, e.g. 2025 for 2024-25) of "
                "the SSDA903 and CIN Census returns given, when their folder or file names "
                "do not say it (folders named 2025 or 2024-25 are understood).",
            ),
        ] = None,
        db_url: Annotated[
            str | None,
            typer.Option(
                "--db-url", help="SQLAlchemy URL of a database holding the SSD tables (ssd_*)."
            ),
        ] = None,
        extract_date: Annotated[
            str | None,
            typer.Option(
                "--extract-date",
                help="Date the data was extracted (YYYY-MM-DD): the months reported end "
                "with the last month complete on that day. Give it for an SSD extract or an "
                "Annex A workbook that does not state its date (in its headings, title or "
                "file name); without it such an input ends the months at its latest activity, "
                "and returns at 31 March of their latest year.",
            ),
        ] = None,
        report: Annotated[
            Path | None,
            typer.Option(
                "--report",
                help="Folder for the data-quality report (default: STORE/reports/<time>).",
            ),
        ] = None,
    ) -> None:
        """Read a council's extracts, check them, and publish them as a new build."""
        outcome = ingest(
            store,
            list(paths),
            collection_year=year,
            db_url=db_url,
            extract_date=_parse_date(extract_date),
            report_dir=report,
        )
        for table in summary_tables(outcome):
            err_console.print(table)
        if outcome.published and outcome.reporting is not None:
            err_console.print(outcome.reporting.describe(), soft_wrap=True, markup=False)
        err_console.print(
            f"Data-quality report: {outcome.report_dir / 'report.html'}",
            soft_wrap=True,
            markup=False,
        )
        if not outcome.published:
            raise CscperfError(
                f"{outcome.reason}; the current build is unchanged; see "
                f"{outcome.report_dir / 'report.html'}"
            )
        out_console.print(outcome.build_id)
