"""The ``cscperf serve`` command: the dashboard on this computer."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from cscperf.console import err_console
from cscperf.errors import CscperfError
from cscperf.store.store import Store
from cscperf.web.app import ACCESS_LOG, create_app

LOOPBACK = "127.0.0.1"


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        store: Annotated[Path, typer.Option("--store", help="The store folder.")],
        host: Annotated[
            str, typer.Option("--host", help="Address to listen on (this computer only).")
        ] = LOOPBACK,
        port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
        commentary: Annotated[
            Path | None, typer.Option("--commentary", help="The managers' commentary file.")
        ] = None,
        no_benchmarks: Annotated[
            bool, typer.Option("--no-benchmarks", help="Leave out the published benchmarks.")
        ] = False,
        allowed_host: Annotated[
            list[str] | None,
            typer.Option(
                "--allowed-host",
                help="A host name the dashboard is reached by (repeat for more); the loopback "
                "names are always allowed, any other name is refused.",
            ),
        ] = None,
    ) -> None:
        """Serve the performance dashboard (aggregates only; keep it on this computer)."""
        # A store without a current build, or a build that does not say which council it
        # is, fails here, in words, rather than as an error page.
        _ = Store(store).get().settings
        if host != LOOPBACK:
            err_console.print(
                f"Warning: listening on {host}. The dashboard has no sign-in yet; do not "
                "expose it beyond this computer."
            )
        if commentary is not None and not commentary.is_file():
            raise CscperfError(f"--commentary {commentary}: there is no such file")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        ACCESS_LOG.addHandler(handler)
        ACCESS_LOG.setLevel(logging.INFO)
        ACCESS_LOG.propagate = False
        err_console.print(f"Dashboard at http://{host}:{port}/ (Ctrl+C stops it).")
        uvicorn.run(
            create_app(
                store,
                benchmarks=not no_benchmarks,
                commentary=commentary,
                allowed_hosts=(host, *(allowed_host or [])),
            ),
            host=host,
            port=port,
            access_log=False,  # our own JSON lines, without query strings
            log_level="warning",
        )
