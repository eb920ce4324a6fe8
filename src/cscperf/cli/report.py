"""The ``cscperf report`` command: write the month's committee pack as HTML, PDF and Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cscperf.app.month import write_pack
from cscperf.cli.options import Audience, AudienceOption, BuildOption, StoreOption, TargetsOption
from cscperf.console import err_console


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_command(
        store: StoreOption,
        period: Annotated[str, typer.Option("--period", help="Reporting month, YYYY-MM.")],
        out: Annotated[Path, typer.Option("--out", help="Folder to write the pack into.")],
        locality: Annotated[
            str | None, typer.Option("--locality", help="Make one locality's pack.")
        ] = None,
        targets: TargetsOption = None,
        commentary: Annotated[
            Path | None, typer.Option("--commentary", help="The commentary file (YAML).")
        ] = None,
        build_id: BuildOption = None,
        no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Skip the PDF.")] = False,
        audience: AudienceOption = Audience.COUNCIL,
        pool: Annotated[
            Path | None,
            typer.Option("--pool", help="Show this pool's benchmarks beside the published ones."),
        ] = None,
    ) -> None:
        """Write pack.html, pack.pdf and pack.xlsx for a month (county, or one locality)."""
        written = write_pack(
            store,
            period,
            out,
            locality=locality,
            targets=targets,
            commentary=commentary,
            build_id=build_id,
            pdf=not no_pdf,
            audience=audience.value,
            pool=pool,
        )
        for path in written:
            err_console.print(f"Wrote {path}")
