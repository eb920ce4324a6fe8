"""The ``cscperf serve`` command: the dashboard on this computer."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from cscperf.cli.options import StoreOption
from cscperf.console import err_console
from cscperf.errors import CscperfError
from cscperf.settings import load_sign_in
from cscperf.store.store import Store
from cscperf.web.app import ACCESS_LOG, create_app
from cscperf.web.security import LOOPBACK_NAMES

LOOPBACK = "127.0.0.1"
# how long a page waits for results being prepared before it says so and asks again
PREPARE_WAIT = 0.2


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        store: StoreOption,
        host: Annotated[
            str,
            typer.Option(
                "--host",
                help="Address to listen on: this computer only, unless --sign-in is given.",
            ),
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
        sign_in: Annotated[
            Path | None,
            typer.Option(
                "--sign-in",
                help="Sign-in settings (the council's OpenID Connect provider, groups to roles; "
                "see docs/deployment.md). Without it the dashboard is single-user and listens "
                "on this computer only.",
            ),
        ] = None,
        pool: Annotated[
            Path | None,
            typer.Option("--pool", help="Add a page of this pool's benchmarks (a pool folder)."),
        ] = None,
    ) -> None:
        """Serve the performance dashboard: single-user on this computer, or a shared service
        behind the council's identity provider with --sign-in."""
        # A store without a current build, or a build that does not say which council it
        # is, fails here, in words, rather than as an error page.
        _ = Store(store).get().settings
        sign_in_settings = load_sign_in(sign_in) if sign_in is not None else None
        if sign_in_settings is None and host.strip("[]") not in LOOPBACK_NAMES:
            raise typer.BadParameter(
                f"{host} is not this computer. Without sign-in the dashboard is single-user and "
                "listens on 127.0.0.1 only; give --sign-in to serve it to others",
                param_hint="--host",
            )
        if commentary is not None and not commentary.is_file():
            raise CscperfError(f"--commentary {commentary}: there is no such file")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        ACCESS_LOG.addHandler(handler)
        ACCESS_LOG.setLevel(logging.INFO)
        ACCESS_LOG.propagate = False
        mode = "signed-in service" if sign_in_settings else "single-user, this computer only"
        err_console.print(f"Dashboard at http://{host}:{port}/ ({mode}; Ctrl+C stops it).")
        uvicorn.run(
            create_app(
                store,
                benchmarks=not no_benchmarks,
                commentary=commentary,
                allowed_hosts=(host, *(allowed_host or [])),
                sign_in=sign_in_settings,
                pool=pool,
                prepare_wait=PREPARE_WAIT,
            ),
            host=host,
            port=port,
            access_log=False,  # our own JSON lines, without query strings
            log_level="warning",
        )
