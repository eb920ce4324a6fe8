"""Fixtures of the pool tests: synthetic councils, each loaded into a store of its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from cscperf.app.load import ingest
from cscperf.cli import main


def _council_stores(
    root: Path, codes: Sequence[str], *, scale: str, start: str, end: str
) -> dict[str, Path]:
    """The councils ``codes`` made by ``cscperf synth --councils`` under ``root/in`` (seed 4,
    months ``start`` to ``end``), each loaded into ``root/stores/<code>``."""
    args = ["synth", "--out", str(root / "in"), "--councils", ",".join(codes), "--scale", scale,
            "--seed", "4", "--start", start, "--end", end]  # fmt: skip
    assert main(args) == 0
    made: dict[str, Path] = {}
    for code in codes:
        folder = root / "in" / code
        inputs = [folder / "ssd", folder / "population", folder / "council.yaml"]
        outcome = ingest(root / "stores" / code, inputs)
        assert outcome.reason is None, outcome.reason
        made[code] = root / "stores" / code
    return made


@pytest.fixture(scope="session")
def council_stores() -> Callable[..., dict[str, Path]]:
    """Makes synthetic councils and their stores (see ``_council_stores``)."""
    return _council_stores
