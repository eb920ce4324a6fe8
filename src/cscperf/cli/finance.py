"""The ``cscperf finance`` commands: keep the month's ledger and registers with a build, and
show the budget monitoring worked out from them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cscperf.cli.options import BuildOption, StoreOption
from cscperf.console import err_console
from cscperf.errors import InputError
from cscperf.finance.monitor import fy_label, monitor, period_of
from cscperf.finance.store import import_finance, load_finance
from cscperf.store.store import Store


def register(app: typer.Typer) -> None:
    finance_app = typer.Typer(
        help="Finance monitoring: budget against forecast outturn from the council's ledger.",
        no_args_is_help=True,
    )
    app.add_typer(finance_app, name="finance")
    finance_app.command("import")(import_command)
    finance_app.command("show")(show_command)


def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="Ledger extracts (CSV or xlsx) and register CSVs (docs/finance.md)."),
    ],
    store: StoreOption,
    settings: Annotated[
        Path, typer.Option("--settings", help="The finance settings (finance.yaml).")
    ],
    build_id: BuildOption = None,
) -> None:
    """Check the finance files and keep them with the build; nothing is kept if one is wrong."""
    build = Store(store).get(build_id)
    data = import_finance(build, settings, files)
    months = data.ledger.select("financial_year", "period").unique().sort("*").rows()
    held = "no months"
    if months:
        (y0, p0), (y1, p1) = months[0], months[-1]
        held = f"{len(months)} months, {fy_label(y0)} P{p0} to {fy_label(y1)} P{p1}"
    err_console.print(
        f"Kept {data.ledger.height} ledger lines ({held}) and "
        f"{len(data.registers)} registers with build {build.id}"
    )


def show_command(
    store: StoreOption,
    period: Annotated[
        str | None, typer.Option("--period", help="Month, YYYY-MM (default: the ledger's latest).")
    ] = None,
    build_id: BuildOption = None,
) -> None:
    """Print the month's monitoring: each division's budget, forecast, variance and movement."""
    build = Store(store).get(build_id)
    data = load_finance(build)
    if data is None:
        raise InputError(
            f"build {build.id} has no finance; import the ledger with cscperf finance import"
        )
    year = month = None
    if period is not None:
        try:
            year, month = period_of(date.fromisoformat(period + "-01"))
        except ValueError:
            raise typer.BadParameter("write the month as YYYY-MM", param_hint="--period") from None
    result = monitor(data, year, month)
    print(f"Budget monitoring, {result.label} (pounds; variance = forecast - budget)")
    print("division,funding,budget,forecast,variance,variance_pct,movement,rag")
    for table in [result.council_fund, *result.dsg_blocks]:
        for line in [*table.lines, table.total]:
            pct = "" if line.variance_pct is None else f"{line.variance_pct:.1f}"
            move = "" if line.movement is None else f"{line.movement:.2f}"
            print(
                f'"{line.label}","{table.title}",{line.current_budget:.2f},'
                f"{line.forecast_outturn:.2f},{line.variance:.2f},{pct},{move},{line.rag}"
            )
