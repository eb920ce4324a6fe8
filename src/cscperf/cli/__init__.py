"""The ``cscperf`` command line: one entry point, one sub-command per job.

Each module of this package holds one group of commands and exposes ``register(app)``; the
commands only parse arguments, call the application layer (:mod:`cscperf.app`) or a stage, and
print. This module assembles them and turns failures into exit codes:

* 0: the work was done;
* 1: the work failed (bad input, a broken store, a failed check), with one clear sentence;
* 2: the command was used wrongly (unknown option, missing argument).

Heavy libraries are imported inside the commands, not here, so ``--help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cscperf import __version__
from cscperf.console import err_console
from cscperf.errors import CscperfError

app = typer.Typer(
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


def _register_commands() -> None:
    from cscperf.cli import (
        benchmarks,
        builds,
        evaluate,
        imported,
        indicators,
        ingest,
        report,
        serve,
        synth,
    )

    for module in (
        synth,
        ingest,
        builds,
        indicators,
        imported,
        benchmarks,
        evaluate,
        report,
        serve,
    ):
        module.register(app)


_register_commands()


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
