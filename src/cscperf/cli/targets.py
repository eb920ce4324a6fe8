"""The ``cscperf targets`` commands: import the managers' workbook, check a targets file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cscperf.console import err_console
from cscperf.evaluate.excel_import import import_targets_workbook
from cscperf.evaluate.targets import dump_targets, load_targets


def register(app: typer.Typer) -> None:
    targets_app = typer.Typer(help="Targets files: import the managers' workbook, check a file.")
    app.add_typer(targets_app, name="targets")

    @targets_app.command("import")
    def import_command(
        workbook: Annotated[Path, typer.Argument(help="The targets workbook (.xlsx).")],
        out: Annotated[Path, typer.Option("--out", help="The targets YAML file to write.")],
        council: Annotated[
            str | None, typer.Option("--council", help="Council name (else the Settings sheet).")
        ] = None,
    ) -> None:
        """Turn the managers' targets workbook into a validated targets file."""
        imported = import_targets_workbook(workbook, council)
        dump_targets(imported, out)
        err_console.print(f"Wrote {len(imported.targets)} targets to {out}.")

    @targets_app.command("check")
    def check_command(
        file: Annotated[Path, typer.Argument(help="A targets YAML file.")],
    ) -> None:
        """Validate a targets file and say what it holds."""
        loaded = load_targets(file)
        years = sorted({t.financial_year for t in loaded.targets})
        err_console.print(
            f"{file}: valid; {len(loaded.targets)} targets for {', '.join(years) or 'no year'}, "
            f"{len(loaded.vital_signs)} vital signs."
        )
