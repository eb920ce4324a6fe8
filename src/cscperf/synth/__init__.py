"""A synthetic council, Eastshire County Council, for demos and tests.

Owns the deterministic microsimulation of children's lives through contacts, referrals,
assessments, enquiries, plans and care, and writing those lives in every format a real council
produces (SSD tables, SSDA903, CIN Census, Annex A, population, settings). No real child's
data is ever used.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cscperf.synth.run import SynthSummary

__all__ = ["generate"]


def generate(
    out_dir: Path,
    *,
    seed: int = 1,
    scale: float = 1.0,
    start: date | None = None,
    end: date | None = None,
    trend: float = 0.0,
    faults: bool = False,
) -> SynthSummary:
    """Simulate Eastshire County Council and write all its files into ``out_dir``.

    See :func:`cscperf.synth.run.generate`; imported lazily so the CLI starts fast.
    """
    from cscperf.synth.run import generate as _generate

    return _generate(
        out_dir, seed=seed, scale=scale, start=start, end=end, trend=trend, faults=faults
    )
