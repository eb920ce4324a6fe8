"""Console output shared by the commands: messages on standard error, progress bars.

Results (CSV, JSON) go to standard output; everything meant for the person at the terminal
goes to standard error, so output can be piped safely.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


def progress() -> Progress:
    """A progress display for long work; quiet when standard error is not a terminal."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )
