"""The ``cscperf evaluate`` command: judge one month's indicators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cscperf.app.month import choose_targets, evaluate_month, published_benchmarks
from cscperf.cli.options import (
    Audience,
    AudienceOption,
    BuildOption,
    NeighbourFigureOption,
    NeighbourModelOption,
    StoreOption,
    TargetsOption,
)
from cscperf.console import err_console
from cscperf.errors import CscperfError
from cscperf.evaluate.suppress import public_csv, public_json, suppress
from cscperf.indicators.framework import framework_settings
from cscperf.indicators.output import parse_period
from cscperf.spreadsheet_safety import defuse_frame
from cscperf.store.store import Store


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate_command(
        store: StoreOption,
        period: Annotated[str, typer.Option("--period", help="Reporting month, YYYY-MM.")],
        targets: TargetsOption = None,
        build_id: BuildOption = None,
        data: Annotated[
            Path | None,
            typer.Option("--data", help="Folder of downloaded DfE files for benchmarks."),
        ] = None,
        model: NeighbourModelOption = "2025",
        aggregate: NeighbourFigureOption = "mean",
        no_benchmarks: Annotated[
            bool, typer.Option("--no-benchmarks", help="Leave the benchmark fields empty.")
        ] = False,
        output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
        audience: AudienceOption = Audience.COUNCIL,
    ) -> None:
        """Judge one month's indicators: target, RAG, direction, YTD, benchmarks, exceptions."""
        if output_format not in ("csv", "json"):
            raise CscperfError(f"--format {output_format} is unknown; use csv or json")
        if aggregate not in ("mean", "median"):
            raise CscperfError(f"--aggregate {aggregate} is unknown; use mean or median")
        period_end = parse_period(period)
        build = Store(store).get(build_id)
        chosen, where = choose_targets(build, targets)
        err_console.print(f"Build {build.id}: {where}.")
        bench = None
        if not no_benchmarks:
            bench = published_benchmarks(build, data, model)
            err_console.print(bench.note)
        result = evaluate_month(build, period_end, chosen, bench, sn_aggregate=aggregate)
        if audience is Audience.PUBLIC:
            below = framework_settings().small_number_below
            result = suppress(result, {}, below)
            err_console.print(
                f"Public: figures resting on fewer than {below} are shown as [c].", markup=False
            )
            print(public_csv(result) if output_format == "csv" else public_json(result))
            return
        if output_format == "csv":
            print(defuse_frame(result).write_csv(), end="")
        else:
            print(result.write_json())
