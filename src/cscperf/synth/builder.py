"""What the care and workforce steps need from the simulation's table builder.

``simulate._TableBuilder`` has these; ``care`` and ``workforce`` are written against this
protocol, so they need not import ``simulate`` (which imports them), and the modules form no
cycle.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import polars as pl
from numpy.random import Generator

from cscperf.settings import Settings
from cscperf.synth.params import Parameters


class Children(Protocol):
    """The simulated children, one array element per child."""

    dob: np.ndarray
    locality: np.ndarray


class TableBuilder(Protocol):
    """The builder's state and the helpers the later steps call."""

    rng: Generator
    p: Parameters
    settings: Settings
    win_end: int
    cutoff: int
    frames: dict[str, list[pl.DataFrame]]
    involvements: list[pl.DataFrame]
    ep_person: pl.Series
    ep_ref_id: pl.Series
    team_lac: np.ndarray
    team_leavers: str
    team_uasc: str
    team_adoption: str

    @property
    def kids(self) -> Children: ...

    def add(self, table: str, frame: pl.DataFrame) -> None: ...

    def date(self, days: np.ndarray) -> pl.Series: ...

    def involve(
        self,
        child: np.ndarray,
        referral: pl.Series,
        team: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        role: str | np.ndarray,
        record: pl.Series | None = None,
    ) -> None: ...

    def visits(
        self,
        table: str,
        prefix: str,
        child: np.ndarray,
        person: pl.Series,
        plan_id: pl.Series | None,
        start: np.ndarray,
        end: np.ndarray,
        interval: int,
        cla_id: pl.Series | None = None,
    ) -> None: ...
