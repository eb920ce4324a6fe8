"""Scenarios: the baseline model changed from a date.

A scenario says what a council plans or fears: more or fewer children entering care (a
factor on entries), children leaving care sooner or later (a factor on the monthly chance of
leaving), or a step-down programme moving a share of the children who would stay in one
placement category (residential) into another (fostering) each month. Each applies from its
month onwards and is compared with the baseline on the same fitted model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from cscperf.forecast.history import StateSpace
from cscperf.forecast.model import Adjuster


@dataclass(frozen=True)
class Scenario(Adjuster):
    """A change to the baseline from ``start`` (a month end) onwards."""

    name: str
    space: StateSpace
    start: date
    entry_factor: float = 1.0
    exit_factor: float = 1.0
    step_down_share: float = 0.0
    step_down_from: str = "residential"
    step_down_to: str = "fostering"

    def __post_init__(self) -> None:
        if self.entry_factor < 0 or self.exit_factor < 0:
            raise ValueError("entry and exit factors cannot be negative")
        if not 0 <= self.step_down_share <= 1:
            raise ValueError("the step-down share is a fraction between 0 and 1")
        for category in (self.step_down_from, self.step_down_to):
            if category not in self.space.categories:
                raise ValueError(f"no placement category {category!r}")

    def __call__(
        self, step: int, month_end: date, transitions: np.ndarray, entries: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if month_end < self.start:
            return transitions, entries
        changed = scale_leaving(transitions, self.exit_factor)
        if self.step_down_share:
            changed = step_down(changed, self.space, self.step_down_from, self.step_down_to,
                                self.step_down_share)  # fmt: skip
        return changed, entries * self.entry_factor


def scale_leaving(transitions: np.ndarray, factor: float) -> np.ndarray:
    """Multiply each state's chance of leaving care by ``factor`` (at most 1); the other
    moves shrink or grow in proportion so each row still sums to 1."""
    if factor == 1:
        return transitions
    leaving = transitions[:, -1]
    new_leaving = np.minimum(leaving * factor, 1.0)
    remaining = 1 - leaving
    scale = np.divide(1 - new_leaving, remaining, out=np.ones_like(remaining), where=remaining > 0)
    changed = transitions * scale[:, None]
    changed[:, -1] = new_leaving
    return changed


def step_down(
    transitions: np.ndarray, space: StateSpace, source: str, target: str, share: float
) -> np.ndarray:
    """Move ``share`` of the children who would stay in ``source`` into ``target``."""
    changed = transitions.copy()
    c_from, c_to = space.categories.index(source), space.categories.index(target)
    for band in range(len(space.bands)):
        row = space.index(band, c_from)
        for next_band in range(len(space.bands)):
            stay, move = space.index(next_band, c_from), space.index(next_band, c_to)
            moved = changed[row, stay] * share
            changed[row, stay] -= moved
            changed[row, move] += moved
    return changed
