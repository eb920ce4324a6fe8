"""The ``cscperf import-measures`` command: load imported measures (PEP, foster-carer
register, workforce, youth justice CSV files) into a build of a store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cscperf.cli.options import BuildOption, StoreOption
from cscperf.console import err_console
from cscperf.indicators.imported import read_files, store_imported
from cscperf.store.store import Store


def register(app: typer.Typer) -> None:
    @app.command("import-measures")
    def import_measures(
        files: Annotated[list[Path], typer.Argument(help="CSV files in the documented layouts.")],
        store: StoreOption,
        build_id: BuildOption = None,
    ) -> None:
        """Check imported CSV files and publish them as a new build with the measures added.

        The build imported into (the current one by default) is left as it was, and later
        loads carry the imported measures forward."""
        build = Store(store).get(build_id)
        frames = read_files(files)
        made = store_imported(build, frames)
        for name, frame in frames.items():
            err_console.print(f"Imported {frame.height} {name} rows")
        err_console.print(f"Published build {made.id} (build {build.id} with these measures)")
