"""The ``cscperf benchmarks`` command: published comparators for any English council."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cscperf.benchmarks.compare import council_benchmarks, shown_aggregate
from cscperf.benchmarks.published import default_data_dir
from cscperf.cli.options import NeighbourFigureOption, NeighbourModelOption
from cscperf.console import err_console, out_console
from cscperf.errors import CscperfError
from cscperf.spreadsheet_safety import defuse_frame

Format = ("table", "csv", "json")


def _number(value: object, decimals: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.{decimals}f}"
    return str(value)


def register(app: typer.Typer) -> None:
    @app.command("benchmarks")
    def benchmarks(
        la: Annotated[
            str,
            typer.Option("--la", help="The council: 3-digit DfE number or 9-character ONS code."),
        ],
        year: Annotated[
            int | None,
            typer.Option(
                "--year", help="Year ending 31 March (CSWW: 30 September); latest if omitted."
            ),
        ] = None,
        model: NeighbourModelOption = "2025",
        aggregate: NeighbourFigureOption = "mean",
        all_years: Annotated[
            bool, typer.Option("--all-years", help="Every published year, not only the latest.")
        ] = False,
        indicator: Annotated[
            list[str] | None, typer.Option("--indicator", help="Limit to these indicator ids.")
        ] = None,
        data: Annotated[
            Path | None,
            typer.Option("--data", help="Folder of your downloaded DfE files (default: shared)."),
        ] = None,
        output_format: Annotated[
            str, typer.Option("--format", help="table, csv or json.")
        ] = "table",
    ) -> None:
        """Published figures for a council beside England, its region, its statistical
        neighbours, the top quartile, its rank and quartile band."""

        if output_format not in Format:
            raise CscperfError(f"--format {output_format} is unknown; use table, csv or json")
        if aggregate not in ("mean", "median"):
            raise CscperfError(f"--aggregate {aggregate} is unknown; use mean or median")
        if model not in ("2021", "2025"):
            raise CscperfError(f"--model {model} is unknown; use 2021 or 2025")
        data_dir = data or default_data_dir()
        frame = council_benchmarks(
            la, data_dir, year=year, model=model, indicator_ids=indicator, all_years=all_years
        )
        frame = shown_aggregate(frame, aggregate)  # type: ignore[arg-type]
        if frame.is_empty():
            raise CscperfError("no benchmark rows: check --indicator ids and --year")
        name = frame["la_name"][0]
        err_console.print(
            f"{name} ({frame['la_code'][0]}): statistical neighbours from the {model} model, "
            f"the neighbour figure shown is the {aggregate}; data from {data_dir}."
        )
        if output_format == "csv":
            print(defuse_frame(frame).write_csv(), end="")
            return
        if output_format == "json":
            print(frame.write_json())
            return

        table = Table(title=f"Benchmarks: {name}", show_lines=False)
        for heading in (
            "Indicator",
            "Year",
            "Value",
            "England",
            "Region",
            f"SN {aggregate}",
            "Best SN",
            "Top quartile",
            "Rank",
            "Band",
            "Note",
        ):
            table.add_column(heading)
        for row in frame.iter_rows(named=True):
            places = int(row["decimals"])
            value = _number(row["value"], places) or (row["value_code"] or "")
            best = (
                f"{_number(row['sn_best'], places)} {row['sn_best_name'] or ''}".strip()
                if row["sn_best"] is not None
                else ""
            )
            table.add_row(
                row["title"],
                str(row["year"]),
                value,
                _number(row["england"], places),
                _number(row["region_value"], places),
                _number(row["sn_shown"], places + 1),
                best,
                _number(row["top_quartile"], places),
                f"{row['rank']}/{row['ranked_of']}" if row["rank"] is not None else "",
                row["quartile_band"] or "",
                row["note"] or "",
            )
        out_console.print(table)
