"""The ``cscperf forecast`` command: project children looked after and their cost."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cscperf.app.forecast import forecast_build
from cscperf.cli.options import BuildOption, StoreOption
from cscperf.console import err_console
from cscperf.errors import CscperfError
from cscperf.forecast.result import (
    Forecast,
    ScenarioRequest,
    backtest_frame,
    projection_frame,
    scenarios_frame,
)
from cscperf.indicators.output import parse_period
from cscperf.store.store import Store

SCENARIO_HELP = (
    "A scenario, NAME:from=YYYY-MM,entries=F,exits=F,step-down=S (repeatable). entries and "
    "exits multiply the rates of entering and leaving care; step-down moves the share S of "
    "children staying in residential care each month into fostering. E.g. "
    "'fewer entries:from=2027-04,entries=0.9'."
)
KEYS = {"entries": "entry_factor", "exits": "exit_factor", "step-down": "step_down_share"}


def parse_scenario(text: str) -> ScenarioRequest:
    """``NAME:from=YYYY-MM,entries=F,...`` → a scenario request; a clear error otherwise."""
    name, _, rest = text.partition(":")
    if not name.strip() or not rest:
        raise CscperfError(f"--scenario {text!r}: write it as NAME:from=YYYY-MM,entries=0.9")
    values: dict[str, float] = {}
    start: date | None = None
    for part in rest.split(","):
        key, _, value = part.partition("=")
        key = key.strip()
        if key == "from":
            start = parse_period(value.strip(), "--scenario from")
        elif key in KEYS:
            try:
                values[KEYS[key]] = float(value)
            except ValueError:
                raise CscperfError(
                    f"--scenario {text!r}: {key}={value!r} is not a number"
                ) from None
        else:
            raise CscperfError(
                f"--scenario {text!r}: unknown setting {key!r}; use from, {', '.join(KEYS)}"
            )
    if start is None:
        raise CscperfError(f"--scenario {text!r}: say from=YYYY-MM when the change starts")
    return ScenarioRequest(name.strip(), start, **values)


def register(app: typer.Typer) -> None:
    @app.command("forecast")
    def forecast_command(
        store: StoreOption,
        period: Annotated[
            str | None,
            typer.Option(
                "--period", help="Forecast as at this month, YYYY-MM (default: the last)."
            ),
        ] = None,
        months: Annotated[
            int, typer.Option("--months", min=1, max=60, help="Months to project.")
        ] = 24,
        settings: Annotated[
            Path | None,
            typer.Option("--settings", help="Forecast settings (forecast.yaml) over the defaults."),
        ] = None,
        scenario: Annotated[
            list[str] | None, typer.Option("--scenario", help=SCENARIO_HELP)
        ] = None,
        backtest: Annotated[
            bool, typer.Option("--backtest/--no-backtest", help="Run the backtest.")
        ] = True,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Folder for forecast.csv, backtest.csv, scenarios.csv."),
        ] = None,
        build_id: BuildOption = None,
    ) -> None:
        """Project children looked after by placement type with an interval, cost it, run
        scenarios, and show how accurate the method has been (the backtest)."""
        requests = [parse_scenario(text) for text in scenario or []]
        build = Store(store).get(build_id)
        with err_console.status("Fitting, projecting and backtesting…"):
            result = forecast_build(
                build, period_end=parse_period(period), settings_path=settings,
                months=months, scenarios=requests, backtest=backtest,
            )  # fmt: skip
        _print_summary(result)
        table = projection_frame(result)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            table.write_csv(out / "forecast.csv")
            if result.backtest is not None:
                backtest_frame(result.backtest).write_csv(out / "backtest.csv")
            if result.scenarios:
                scenarios_frame(result).write_csv(out / "scenarios.csv")
            err_console.print(f"Wrote the forecast to {out}.")
        else:
            print(table.write_csv(), end="")


def _print_summary(result: Forecast) -> None:
    history = result.history
    origin = history.month_ends[-1]
    now = history.space.by_category(history.stock[-1:].astype(float))[0]
    ahead = result.projection.by_category()
    low, high = result.projection.bounds()
    table = Table(title=f"Children looked after, projected from {origin:%B %Y}")
    table.add_column("Placement")
    table.add_column(f"{origin:%b %Y}", justify="right")
    for index in sorted({min(11, len(ahead) - 1), len(ahead) - 1}):
        table.add_column(f"{result.projection.month_ends[index]:%b %Y} (interval)", justify="right")
    for c, name in enumerate([*result.categories, "total"]):
        current = now[c] if c < len(now) else now.sum()
        cells = [f"{current:.0f}"]
        for index in sorted({min(11, len(ahead) - 1), len(ahead) - 1}):
            value = ahead[index, c] if c < len(now) else ahead[index].sum()
            cells.append(f"{value:.0f} ({low[index, c]:.0f}–{high[index, c]:.0f})")
        table.add_row(name, *cells)
    err_console.print(table)
    if result.backtest is not None:
        _print_backtest(result)
    elif result.backtest_missing:
        err_console.print(result.backtest_missing)


def _print_backtest(result: Forecast) -> None:
    backtest = result.backtest
    assert backtest is not None
    table = Table(
        title=f"Backtest: {backtest.origins} origins, {backtest.horizon} months ahead, all children"
    )
    for column in ("Method", "MAPE", "Bias", "MAE (children)"):
        table.add_column(column, justify="left" if column == "Method" else "right")
    for row in backtest.rows:
        if row.category == "total":
            table.add_row(row.method, f"{row.mape:.1%}", f"{row.bias:+.1%}", f"{row.mae:.1f}")
    err_console.print(table)
    if backtest.coverage is not None:
        err_console.print(
            f"The {result.settings.projection.interval:.0%} interval held the actual total "
            f"{backtest.coverage:.0%} of the time."
        )
