"""The ``cscperf commentary`` commands: import a commentary file into the store (signed off),
export the store's signed-off commentary as a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cscperf.app.commentary import export_commentary, import_file
from cscperf.app.risk import risk_settings, user_name
from cscperf.cli.options import StoreOption
from cscperf.console import err_console
from cscperf.errors import CscperfError
from cscperf.reports.commentary import dump_commentary
from cscperf.store.audit import record


def register(app: typer.Typer) -> None:
    commentary = typer.Typer(
        help="The managers' commentary kept in the store: import a commentary file, export it.",
        no_args_is_help=True,
    )
    app.add_typer(commentary, name="commentary")

    @commentary.command("import")
    def import_command(
        file: Annotated[Path, typer.Argument(help="The commentary file (YAML).")],
        store: StoreOption,
        by: Annotated[
            str | None, typer.Option("--by", help="Who signs it off (kept with each entry).")
        ] = None,
    ) -> None:
        """Record every entry of a commentary file in the store as signed off."""
        if not file.is_file():
            raise CscperfError(f"{file}: there is no such file; give the commentary file")
        who = by or user_name(risk_settings(store))
        count = import_file(store, file, who)
        record(store, who, "commentary.import", {"file": file.name, "entries": count})
        err_console.print(f"Recorded {count} entries of {file.name} as signed off by {who}")

    @commentary.command("export")
    def export_command(
        store: StoreOption,
        out: Annotated[Path, typer.Option("--out", help="The commentary file to write.")],
    ) -> None:
        """Write the store's signed-off commentary as a commentary file (YAML)."""
        model = export_commentary(store)
        dump_commentary(model, out)
        count = len(model.indicators) + len(model.areas)
        err_console.print(f"Wrote {count} signed-off entries to {out}")
