"""Options several commands share, declared once so their names, choices and help agree."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Audience(StrEnum):
    """Who the figures are for: the council's own staff, or anyone (small numbers hidden)."""

    COUNCIL = "council"
    PUBLIC = "public"


AudienceOption = Annotated[
    Audience,
    typer.Option(
        "--audience",
        help="council (every figure, small numbers marked) or public (small numbers suppressed "
        "as \\[c], for figures leaving the council).",
        case_sensitive=False,
    ),
]

StoreOption = Annotated[Path, typer.Option("--store", help="The store folder.")]

BuildOption = Annotated[
    str | None, typer.Option("--build", help="A build id; the current one by default.")
]

TargetsOption = Annotated[
    Path | None, typer.Option("--targets", help="The council's targets file.")
]

NeighbourModelOption = Annotated[
    str, typer.Option("--model", help="Statistical neighbour model: 2021 or 2025.")
]

NeighbourFigureOption = Annotated[
    str, typer.Option("--aggregate", help="Neighbour figure shown: mean or median.")
]
