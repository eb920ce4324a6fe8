"""The ``cscperf indicators`` commands: write results (the output contract), list the
catalogue, explain one indicator (definition, parameters in force, SQL)."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cscperf.app.kept import keep_month
from cscperf.cli.options import Audience, AudienceOption, BuildOption
from cscperf.console import out_console
from cscperf.evaluate.suppress import public_csv, public_json, suppress
from cscperf.indicators.catalogue import load_catalogue, parameters_in_force
from cscperf.indicators.contract import BREAKDOWNS
from cscperf.indicators.engine import indicator_sql
from cscperf.indicators.explain import explain_text
from cscperf.indicators.framework import framework_settings
from cscperf.indicators.functions import registered
from cscperf.indicators.output import earliest_month, parse_period, select_rows, to_csv, to_json
from cscperf.indicators.results import results_for, schema_only_tables
from cscperf.store import Store


def _split(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def register(app: typer.Typer) -> None:
    indicators = typer.Typer(
        help="Compute the indicator catalogue for a build and write it (CSV by default).",
        invoke_without_command=True,
    )
    app.add_typer(indicators, name="indicators")

    _register_write(indicators)
    _register_list(indicators)
    _register_explain(indicators)


def _register_write(indicators: typer.Typer) -> None:
    """``cscperf indicators`` itself: write results for a build."""

    @indicators.callback()
    def write_command(
        ctx: typer.Context,
        store: Annotated[Path | None, typer.Option("--store", help="The store folder.")] = None,
        period: Annotated[
            str | None, typer.Option("--period", help="Last reporting month, YYYY-MM.")
        ] = None,
        months: Annotated[
            int, typer.Option("--months", help="How many months ending with --period.")
        ] = 1,
        ids: Annotated[
            str | None, typer.Option("--ids", help="Comma-separated indicator ids.")
        ] = None,
        by: Annotated[
            str | None,
            typer.Option("--by", help=f"Breakdowns, comma-separated: {'|'.join(BREAKDOWNS)}."),
        ] = None,
        output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
        audience: AudienceOption = Audience.COUNCIL,
        from_month: Annotated[
            str | None,
            typer.Option(
                "--from",
                help="Compute from this month, YYYY-MM, when it is before the default window "
                "(the last ten financial years).",
            ),
        ] = None,
        build_id: BuildOption = None,
        database: Annotated[
            str | None,
            typer.Option(
                "--database",
                help="Compute on this PostgreSQL server (postgresql://user@host:port/db) "
                "instead of the embedded DuckDB; the build's tables are copied there for the "
                "run and removed after it. spark://local computes on Spark on this machine "
                "(needs Java and the spark extra), sc://HOST:PORT on a Spark Connect server. "
                "Also read from CSCPERF_DATABASE.",
                envvar="CSCPERF_DATABASE",
            ),
        ] = None,
    ) -> None:
        """Write one row per indicator, month, breakdown and value to standard output."""
        if ctx.invoked_subcommand is not None:
            return
        if store is None or period is None:
            raise typer.BadParameter("--store and --period are needed to write results")
        if output_format not in ("csv", "json"):
            raise typer.BadParameter("--format must be csv or json")
        breakdowns = _split(by)
        for breakdown in breakdowns or []:
            if breakdown not in BREAKDOWNS:
                raise typer.BadParameter(f"--by {breakdown}: choose from {', '.join(BREAKDOWNS)}")

        period_end = parse_period(period)
        earliest = earliest_month(period_end, months, parse_period(from_month, "--from"))
        build = Store(store).get(build_id)
        results = results_for(build, earliest=earliest, database=database)
        keep_month(build)  # the month's benchmarks and forecast, kept for its packs
        rows = select_rows(
            results, period_end, months=months, ids=_split(ids), breakdowns=breakdowns
        )
        if audience is Audience.PUBLIC:
            units = {d.id: d.unit for d in load_catalogue()}
            hidden = suppress(rows, units, framework_settings().small_number_below)
            sys.stdout.write(
                public_csv(hidden) if output_format == "csv" else public_json(hidden) + "\n"
            )
            return
        sys.stdout.write(to_csv(rows) if output_format == "csv" else to_json(rows) + "\n")


def _register_list(indicators: typer.Typer) -> None:
    """``cscperf indicators list``: the catalogue."""

    @indicators.command("list")
    def list_command() -> None:
        """Every catalogue id with its title, unit, polarity, basis, status and whether it is
        computed, imported or not yet implemented."""
        functions = registered()
        header = ("Id", "Title", "Unit", "Polarity", "Basis", "Status", "Computed")
        rows = [
            (
                d.id,
                d.title,
                d.unit,
                d.polarity,
                d.basis,
                d.status,
                "imported"
                if d.kind == "imported"
                else "computed"
                if d.id in functions
                else "not yet implemented",
            )
            for d in load_catalogue()
        ]
        if not out_console.is_terminal:
            # Piped: one tab-separated line per indicator, easy to grep or load.
            for line in (header, *rows):
                sys.stdout.write("\t".join(line) + "\n")
            return
        table = Table(title=f"Indicator catalogue ({len(rows)})", title_justify="left")
        for column in header:
            table.add_column(column, no_wrap=column == "Id", overflow="fold")
        for line in rows:
            table.add_row(*line)
        out_console.print(table)


def _register_explain(indicators: typer.Typer) -> None:
    """``cscperf indicators explain``: one indicator's definition, parameters and SQL."""

    @indicators.command("explain")
    def explain_command(
        indicator_id: Annotated[str, typer.Argument(help="An indicator id.")],
        store: Annotated[
            Path | None,
            typer.Option("--store", help="Use this store's current build and its settings."),
        ] = None,
        period: Annotated[
            str | None, typer.Option("--period", help="Month for the parameters, YYYY-MM.")
        ] = None,
        dialect: Annotated[
            str, typer.Option("--dialect", help="SQL dialect: duckdb or postgres.")
        ] = "duckdb",
    ) -> None:
        """Show the definition, the parameters in force and the SQL the engine runs."""
        definition = load_catalogue().get(indicator_id)
        settings: Any = None
        if store is not None:
            build = Store(store).get()
            settings = build.settings if build.has_settings else None
        period_end = parse_period(period) if period else _last_month_end(date.today())
        overrides = settings.parameters if settings is not None else []
        params = parameters_in_force(
            definition, period_end, overrides, framework_settings().parameters
        )
        sql = None
        if definition.id in registered():
            sql = indicator_sql(
                schema_only_tables(), definition, period_end, settings=settings, dialect=dialect
            )
        text = explain_text(definition, period_end, params.version, params.values, sql, dialect)
        sys.stdout.write(text)


def _last_month_end(today: Any) -> Any:
    return today.replace(day=1) - timedelta(days=1)
