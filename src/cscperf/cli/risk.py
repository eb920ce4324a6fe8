"""The ``cscperf risk`` commands: import the council's risk register, show a month's register."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cscperf.app.risk import import_register_file, register_for, risk_settings, user_name
from cscperf.cli.options import StoreOption
from cscperf.console import err_console
from cscperf.errors import CscperfError
from cscperf.indicators.output import parse_period
from cscperf.risk.table import HEADERS, as_text, register_rows
from cscperf.spreadsheet_safety import csv_rows_text


def register(app: typer.Typer) -> None:
    risk = typer.Typer(
        help="The risk register: import the council's file, show a month's register.",
        no_args_is_help=True,
    )
    app.add_typer(risk, name="risk")

    @risk.command("import")
    def import_command(
        file: Annotated[Path, typer.Argument(help="The register (.xlsx or .csv).")],
        store: StoreOption,
        settings: Annotated[
            Path | None,
            typer.Option(
                "--settings", help="council.yaml naming the columns (default: the build's)."
            ),
        ] = None,
        by: Annotated[
            str | None, typer.Option("--by", help="Who is importing it (kept with each change).")
        ] = None,
    ) -> None:
        """Check the register file and add its risks to the store's history (all or nothing)."""
        who = by or user_name(risk_settings(store, settings))
        added, read = import_register_file(store, file, by=who, settings_file=settings)
        risks = len({v.risk_id for v in added})
        err_console.print(
            f"Read {read} rows of {file.name}: added {len(added)} new versions of {risks} risks "
            f"({read - len(added)} already held unchanged)"
        )

    @risk.command("show")
    def show_command(
        store: StoreOption,
        period: Annotated[
            str | None, typer.Option("--period", help="The month, YYYY-MM (default: today).")
        ] = None,
    ) -> None:
        """The register as it stood at a month's end (or today), every field, as CSV."""
        if not store.is_dir():
            raise CscperfError(f"{store} is not a store folder; give the store's folder")
        day = parse_period(period) if period else date.today()
        rows = register_rows(register_for(store, day))
        sys.stdout.write(csv_rows_text(HEADERS, ([as_text(v) for v in r] for r in rows)))
