"""The ``cscperf`` command line: one entry point, one sub-command per job.

Each module of this package holds one group of commands and exposes ``register(app)``; the
commands only parse arguments, call the application layer (:mod:`cscperf.app`) or a stage, and
print. This module assembles them and turns failures into exit codes:

* 0: the work was done;
* 1: the work failed (bad input, a broken store, a failed check), with one clear sentence;
* 2: the command was used wrongly (unknown option, missing argument).

A command's module is imported only when that command runs (:class:`LazyGroup`), so
``cscperf --help`` and a mistyped option answer without loading Polars, Ibis and DuckDB, while
every module imports what it uses at its top.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any, NamedTuple

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from cscperf import __version__
from cscperf.console import err_console
from cscperf.errors import CscperfError


class Command(NamedTuple):
    """A top-level command: the module whose ``register(app)`` declares it, and its summary."""

    module: str
    summary: str


# The top-level commands in the order ``--help`` lists them. The summary is what the list shows
# before the module is loaded; tests/test_cli.py checks it is the first sentence of the
# command's own help.
COMMANDS: dict[str, Command] = {
    "synth": Command(
        "cscperf.cli.synth", "Write a synthetic council's input files (Eastshire County Council)."
    ),
    "ingest": Command(
        "cscperf.cli.ingest",
        "Read a council's extracts, check them, and publish them as a new build.",
    ),
    "import-measures": Command(
        "cscperf.cli.imported",
        "Check imported CSV files and publish them as a new build with the measures added.",
    ),
    "commentary": Command(
        "cscperf.cli.commentary",
        "The managers' commentary kept in the store: import a commentary file, export it.",
    ),
    "finance": Command(
        "cscperf.cli.finance",
        "Finance monitoring: budget against forecast outturn from the council's ledger.",
    ),
    "benchmarks": Command(
        "cscperf.cli.benchmarks",
        "Published figures for a council beside England, its region, its statistical "
        "neighbours, the top quartile, its rank and quartile band.",
    ),
    "evaluate": Command(
        "cscperf.cli.evaluate",
        "Judge one month's indicators: target, RAG, direction, YTD, benchmarks, exceptions.",
    ),
    "forecast": Command(
        "cscperf.cli.forecast",
        "Project children looked after by placement type with an interval, cost it, run "
        "scenarios, and show how accurate the method has been (the backtest).",
    ),
    "report": Command(
        "cscperf.cli.report",
        "Write pack.html, pack.pdf and pack.xlsx for a month (county, or one locality).",
    ),
    "serve": Command(
        "cscperf.cli.serve",
        "Serve the performance dashboard: single-user on this computer, or a shared service "
        "behind the council's identity provider with --sign-in.",
    ),
    "builds": Command(
        "cscperf.cli.builds", "See the builds in a store and choose which one is current."
    ),
    "indicators": Command(
        "cscperf.cli.indicators",
        "Compute the indicator catalogue for a build and write it (CSV by default).",
    ),
    "pool": Command(
        "cscperf.cli.pool",
        "Pools of councils: combine several councils' published builds, children's "
        "identifiers hashed, and benchmark the members month by month.",
    ),
    "targets": Command(
        "cscperf.cli.targets", "Targets files: import the managers' workbook, check a file."
    ),
    "risk": Command(
        "cscperf.cli.risk",
        "The risk register: import the council's file, show a month's register.",
    ),
    "audit": Command(
        "cscperf.cli.audit",
        "The audit log: export it (CSV or JSON lines), verify that no entry was changed.",
    ),
    "council-records": Command(
        "cscperf.cli.records",
        "The council's records (commentary, risk register, audit log): copy them from the "
        "store's own file to the shared PostgreSQL database.",
    ),
}


# Typer keeps its copy of Click private, so its Context and Command types have no public name;
# they appear as Any below.


def load_command(name: str) -> Any:
    """Import the module declaring command ``name`` and return the command it registers."""
    # Imported here, when the command runs, so that listing the commands loads none of them.
    module = importlib.import_module(COMMANDS[name].module)
    declared = typer.Typer(rich_markup_mode="rich", pretty_exceptions_enable=False)
    module.register(declared)
    return typer.main.get_group(declared).commands[name]


class _Summary(TyperCommand):
    """A command not loaded yet: its name and summary, enough to list it."""


class LazyGroup(TyperGroup):
    """The root group: lists every command by its summary and loads one only to run it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, command in COMMANDS.items():
            self.commands[name] = _Summary(name, help=command.summary)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        if args and isinstance(self.commands.get(args[0]), _Summary):
            self.commands[args[0]] = load_command(args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=LazyGroup,
    name="cscperf",
    help="Children's social care performance reporting: read a council's data, compute the "
    "indicator catalogue, judge it against targets and benchmarks, and publish the pack.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        print(f"cscperf {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when something fails.")
    ] = False,
) -> None:
    _state["debug"] = debug


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (used by the console script and by tests)."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        result = app(args=args, standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code or 0)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("Stopped.")
        return 1
    except CscperfError as failure:
        if debug:
            err_console.print_exception()
        err_console.print(f"[bold red]Error:[/] {failure}")
        return failure.exit_code
    except Exception as failure:
        # Usage errors (unknown option, missing argument) carry their own exit code, 2.
        if isinstance(failure, typer.TyperException) and hasattr(failure, "show"):
            failure.show(file=sys.stderr)
            return int(getattr(failure, "exit_code", 2))
        if debug:
            err_console.print_exception()
        err_console.print(
            f"[bold red]Internal error:[/] {type(failure).__name__}: {failure}. "
            "This is a fault in cscperf, not in your data; run again with --debug and report it."
        )
        return 1
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
