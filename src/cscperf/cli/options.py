"""Options several commands share, declared once so their names, choices and help agree."""

from __future__ import annotations

from enum import StrEnum
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
