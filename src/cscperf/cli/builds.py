"""The ``cscperf builds`` commands: list the builds in a store, show one, choose the current."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from cscperf.cli.options import StoreOption
from cscperf.console import err_console, out_console
from cscperf.store import Store


def register(app: typer.Typer) -> None:
    builds = typer.Typer(
        help="See the builds in a store and choose which one is current.", no_args_is_help=True
    )
    app.add_typer(builds, name="builds")

    @builds.command("list")
    def list_command(store: StoreOption) -> None:
        """List every build, oldest first; the current one is marked."""
        table = Table(title=f"Builds in {store}", title_justify="left")
        table.add_column("")
        # Ids and times are what the analyst copies: never shorten them.
        table.add_column("Build", no_wrap=True, min_width=18)
        table.add_column("Created (UTC)", no_wrap=True, min_width=20)
        for column in ("Council", "Years", "Rows", "Errors", "Warnings"):
            table.add_column(column)
        for info in Store(store).list_builds():
            table.add_row(
                "*" if info.current else "",
                info.id,
                info.created,
                info.council or "",
                ", ".join(str(y) for y in info.collection_years),
                f"{sum(info.row_counts.values()):,}",
                str(info.problem_counts.get("error", 0)),
                str(info.problem_counts.get("warning", 0)),
            )
        out_console.print(table)

    @builds.command("show")
    def show_command(
        build_id: Annotated[str, typer.Argument(help="Build id (see builds list).")],
        store: StoreOption,
    ) -> None:
        """Print a build's manifest (inputs, row counts, council, extract date) as JSON."""
        manifest = Store(store).get(build_id).manifest
        typer.echo(json.dumps(manifest, indent=2))

    @builds.command("use")
    def use_command(
        build_id: Annotated[str, typer.Argument(help="Build id to make current.")],
        store: StoreOption,
    ) -> None:
        """Make an earlier (or later) build the current one."""
        build = Store(store).use(build_id)
        err_console.print(f"Build {build.id} is now current in {store}.")
