"""The ``cscperf pool`` commands: make a pool, add and remove councils, build it month by
month, show it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cscperf.calendar.months import add_months, month_end_of
from cscperf.console import err_console, out_console
from cscperf.indicators.output import parse_period
from cscperf.pools.keys import KEY_ENV, PoolUsageError, read_key
from cscperf.pools.pool import Pool
from cscperf.pools.stats import benchmark_csv

PoolArgument = Annotated[Path, typer.Argument(help="The pool folder.")]
FromOption = Annotated[
    str | None,
    typer.Option("--from", help="First month it applies to, YYYY-MM (default: every month)."),
]


def register(app: typer.Typer) -> None:
    pool = typer.Typer(
        help="Pools of councils: combine several councils' published builds, children's "
        "identifiers hashed, and benchmark the members month by month.",
        no_args_is_help=True,
    )
    app.add_typer(pool, name="pool")
    _register_membership(pool)
    _register_build(pool)


def _register_membership(pool: typer.Typer) -> None:
    @pool.command("create")
    def create_command(
        folder: PoolArgument,
        name: Annotated[str, typer.Option("--name", help="The pool's name, shown beside it.")],
    ) -> None:
        """Make a new pool folder with default settings (pool.yaml) for the members to agree."""
        made = Pool.create(folder, name)
        err_console.print(
            f"Pool {name!r} made in {made.path}; agree its settings in {made.path}/pool.yaml, "
            "then add councils with cscperf pool join"
        )

    @pool.command("join")
    def join_command(
        folder: PoolArgument,
        store: Annotated[Path, typer.Option("--store", help="The council's store folder.")],
        since: FromOption = None,
        build_id: Annotated[
            str | None,
            typer.Option("--build", help="Pin this build (default: the store's current one)."),
        ] = None,
    ) -> None:
        """Add a council, by its store, from a month on; its LA code comes from its build."""
        member = Pool(folder).join(
            store, since=parse_period(since, "--from") if since else None, build_id=build_id
        )
        err_console.print(f"Council {member.la_code} ({member.name}) joined the pool.")

    @pool.command("leave")
    def leave_command(
        folder: PoolArgument,
        la_code: Annotated[str, typer.Argument(help="The council's 3-digit LA code.")],
        since: FromOption = None,
    ) -> None:
        """Take a council out of the pool's builds from a month on (earlier builds keep it)."""
        Pool(folder).leave(la_code, since=parse_period(since, "--from") if since else None)
        err_console.print(f"Council {la_code} left the pool.")


def _register_build(pool: typer.Typer) -> None:
    @pool.command("build")
    def build_command(
        folder: PoolArgument,
        key_file: Annotated[
            Path | None,
            typer.Option("--key-file", help=f"The pool's key (default: ${KEY_ENV})."),
        ] = None,
        period: Annotated[
            str | None,
            typer.Option(
                "--period", help="The month pooled, YYYY-MM (default: the latest all report)."
            ),
        ] = None,
        database: Annotated[
            str | None,
            typer.Option(
                "--database",
                help="Compute members' indicators on this engine instead of DuckDB: "
                "spark://local (Spark on this machine), sc://HOST:PORT (a Spark Connect "
                "server) or a PostgreSQL address. Also read from CSCPERF_DATABASE.",
                envvar="CSCPERF_DATABASE",
            ),
        ] = None,
        new_key: Annotated[
            bool, typer.Option("--new-key", help="Accept a key other than the last build's.")
        ] = False,
    ) -> None:
        """Pool every member for a month and publish it as the pool's new build."""
        target = Pool(folder)
        target.settings  # noqa: B018 (a folder that is not a pool says so before the key)
        key = read_key(key_file, target.path)
        info = target.build(
            key,
            month=parse_period(period) if period else None,
            database=database,
            new_key=new_key,
            on_member=lambda m: err_console.print(f"Council {m.la_code} ({m.name})..."),
        )
        err_console.print(f"Pooled build {info.id} published in {target.store.path}.")
        out_console.print(info.id)

    @pool.command("benchmarks")
    def benchmarks_command(
        folder: PoolArgument,
        la_code: Annotated[
            str | None, typer.Option("--la", help="One member's 3-digit LA code (default: all).")
        ] = None,
        period: Annotated[
            str | None, typer.Option("--period", help="Last month, YYYY-MM (default: pooled).")
        ] = None,
        months: Annotated[int, typer.Option("--months", help="How many months.", min=1)] = 1,
    ) -> None:
        """Each member's rates and percentages beside the pool's mean, median, quartiles and
        its rank, as CSV (suppressed values as [c])."""
        target = Pool(folder)
        label, frame = target.benchmarks()
        last = parse_period(period) if period else label.month
        if la_code is not None and la_code not in {m.split(" ")[0] for m in label.members}:
            raise PoolUsageError(
                f"--la {la_code}: not a member of the pool's latest build ({label.text()})"
            )
        shown = frame.filter(
            pl.col("period_end").is_between(month_end_of(add_months(last, 1 - months)), last)
        )
        if la_code is not None:
            shown = shown.filter(pl.col("la_code") == la_code)
        err_console.print(label.text())
        sys.stdout.write(benchmark_csv(shown))

    @pool.command("show")
    def show_command(folder: PoolArgument) -> None:
        """Print the pool's settings, members and latest build (which build of each member)."""
        target = Pool(folder)
        shown = {
            "settings": target.settings.model_dump(mode="json"),
            "members": [
                {
                    "la_code": m.la_code,
                    "name": m.name,
                    "store": str(m.store),
                    "from": m.since.isoformat() if m.since else None,
                    "build": m.build,
                }
                for m in target.members()
            ],
            "latest_build": None,
        }
        if target.store.build_ids():
            latest = target.latest()
            shown["latest_build"] = {"id": latest.id, **latest.manifest.get("pool", {})}
        typer.echo(json.dumps(shown, indent=2))
