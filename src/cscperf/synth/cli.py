"""The ``cscperf synth`` command."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth() -> None:
        """Write a synthetic council's input files (Eastshire County Council)."""
        raise NotImplementedError
