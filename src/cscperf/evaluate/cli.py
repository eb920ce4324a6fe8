"""The ``cscperf evaluate`` command and the ``cscperf targets`` commands (import, check)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import polars as pl

    from cscperf.evaluate.targets import TargetsFile
    from cscperf.store.store import Build

TARGETS_FILE = "targets.yaml"
SYNTHETIC_LA = "999"


def choose_targets(build: Build, given: Path | None) -> tuple[TargetsFile | None, str]:
    """The targets to use and a sentence saying where they came from: ``--targets``, else a
    ``targets.yaml`` in the build's folder (beside its settings), else one in the store's
    folder (the council's current targets, for every build), else the packaged example for
    the synthetic council, else none."""
    from cscperf.evaluate.targets import example_targets_path, load_targets

    if given is not None:
        return load_targets(given), f"targets from {given}"
    beside = build.path / TARGETS_FILE
    if beside.is_file():
        return load_targets(beside), f"targets from the build's {beside}"
    store_wide = build.path.parent.parent / TARGETS_FILE
    if store_wide.is_file():
        return load_targets(store_wide), f"targets from the store's {store_wide}"
    if build.has_settings and build.settings.council.la_code == SYNTHETIC_LA:
        example = example_targets_path()
        return load_targets(example), "the synthetic council's packaged example targets"
    return None, "no targets file: pass --targets FILE; nothing is rated"


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate_command(
        store: Annotated[Path, typer.Option("--store", help="The store folder.")],
        period: Annotated[str, typer.Option("--period", help="Reporting month, YYYY-MM.")],
        targets: Annotated[
            Path | None, typer.Option("--targets", help="The council's targets file.")
        ] = None,
        build_id: Annotated[
            str | None, typer.Option("--build", help="A build id (default: current).")
        ] = None,
        data: Annotated[
            Path | None,
            typer.Option("--data", help="Folder of downloaded DfE files for benchmarks."),
        ] = None,
        model: Annotated[str, typer.Option("--model", help="Neighbour model 2021|2025.")] = "2025",
        aggregate: Annotated[
            str, typer.Option("--aggregate", help="Neighbour figure: mean or median.")
        ] = "mean",
        no_benchmarks: Annotated[
            bool, typer.Option("--no-benchmarks", help="Leave the benchmark fields empty.")
        ] = False,
        output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    ) -> None:
        """Judge one month's indicators: target, RAG, direction, YTD, benchmarks, exceptions."""
        from cscperf.console import err_console
        from cscperf.errors import CscperfError
        from cscperf.evaluate.evaluate import evaluate, meta_from_catalogue
        from cscperf.indicators.catalogue import load_catalogue
        from cscperf.indicators.output import parse_period
        from cscperf.indicators.results import results_for
        from cscperf.store.store import Store

        if output_format not in ("csv", "json"):
            raise CscperfError(f"--format {output_format} is unknown; use csv or json")
        if aggregate not in ("mean", "median"):
            raise CscperfError(f"--aggregate {aggregate} is unknown; use mean or median")
        period_end = parse_period(period)
        build = Store(store).get(build_id)
        chosen, where = choose_targets(build, targets)
        err_console.print(f"Build {build.id}: {where}.")
        rows = results_for(build)
        bench = None
        if not no_benchmarks:
            bench = _benchmarks_for(build, data, model)
        result = evaluate(
            rows,
            meta_from_catalogue(load_catalogue()),
            chosen,
            period_end,
            bench,
            sn_aggregate=aggregate,
        )
        if result.is_empty():
            raise CscperfError(
                f"build {build.id} has no indicator rows for {period}; choose a month the "
                "build covers (cscperf indicators --store STORE lists them)"
            )
        if output_format == "csv":
            from cscperf.spreadsheet_safety import defuse_frame

            print(defuse_frame(result).write_csv(), end="")
        else:
            print(result.write_json())

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
        from cscperf.console import err_console
        from cscperf.evaluate.excel_import import import_targets_workbook
        from cscperf.evaluate.targets import dump_targets

        imported = import_targets_workbook(workbook, council)
        dump_targets(imported, out)
        err_console.print(f"Wrote {len(imported.targets)} targets to {out}.")

    @targets_app.command("check")
    def check_command(
        file: Annotated[Path, typer.Argument(help="A targets YAML file.")],
    ) -> None:
        """Validate a targets file and say what it holds."""
        from cscperf.console import err_console
        from cscperf.evaluate.targets import load_targets

        loaded = load_targets(file)
        years = sorted({t.financial_year for t in loaded.targets})
        err_console.print(
            f"{file}: valid; {len(loaded.targets)} targets for {', '.join(years) or 'no year'}, "
            f"{len(loaded.vital_signs)} vital signs."
        )


def _benchmarks_for(build: Build, data: Path | None, model: str) -> pl.DataFrame | None:
    """Published benchmarks for the build's council (or the council it borrows), every year;
    None with a message when the published files are not available."""
    from cscperf.benchmarks.compare import council_benchmarks
    from cscperf.benchmarks.published import default_data_dir
    from cscperf.console import err_console
    from cscperf.errors import CscperfError

    if not build.has_settings:
        return None
    council = build.settings.council
    code = council.benchmark_as or council.la_code
    try:
        frame = council_benchmarks(code, data or default_data_dir(), model=model, all_years=True)
    except CscperfError as failure:
        err_console.print(f"Benchmarks left out: {failure}")
        return None
    borrowed = f" (borrowed from {code})" if council.benchmark_as else ""
    err_console.print(f"Benchmarks for {council.short_name}{borrowed}, {model} neighbours.")
    return frame
