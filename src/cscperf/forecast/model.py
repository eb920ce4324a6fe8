"""The stock-and-flow model: fitted from a history, projected month by month.

Each month the children in each state (age band × placement category) move by the
transition probabilities estimated over the reference window: they stay, change placement
category, move up an age band, or leave care. New entries arrive on top, split across states
by the reference window's entry mix. Two ways of setting the entry level are offered:

- ``"trend"`` (cscperf's default): a Poisson regression of monthly entries on a linear trend
  and calendar month, fitted over ``fit.entry_months``;
- ``"constant"``: the reference window's mean monthly entries, held flat — the reference-window
  Markov method the children's services demand model documents.

The projection's expected path is ``n[h] = n[h-1] · P + λ[h]``. Its uncertainty interval comes
from simulation: each path draws its own transition probabilities (Dirichlet on the counts)
and entry level (Gamma on the counts), then moves children multinomially and draws entries
from a Poisson, so both the randomness of a small population and the error of estimating its
rates from a short window are in the band.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from cscperf.forecast.history import History, StateSpace, month_ends_between
from cscperf.forecast.settings import ForecastSettings

ENTRY_METHODS = ("trend", "constant")


@dataclass(frozen=True)
class EntryModel:
    """Monthly entries: ``exp(level + slope·t + season[calendar month])``, t=0 at the origin."""

    level: float
    slope: float
    season: np.ndarray  # (12,) log factors by calendar month (January first), mean zero
    observed: float  # entries the fit rests on (for the level's uncertainty)

    def expected(self, months: list[date]) -> np.ndarray:
        t = np.arange(1, len(months) + 1, dtype=float)
        calendar = np.array([m.month - 1 for m in months])
        return np.exp(self.level + self.slope * t + self.season[calendar])


@dataclass(frozen=True)
class Model:
    """A fitted model: where it starts and how the population moves."""

    space: StateSpace
    origin: date
    start_stock: np.ndarray  # (size,)
    counts: np.ndarray  # (size, size + 1) smoothed transition counts over the window
    entry: EntryModel
    entry_mix: np.ndarray  # (size,) share of entries by state, sums to 1
    entry_mix_counts: np.ndarray  # (size,) entries behind the mix

    @property
    def transitions(self) -> np.ndarray:
        """``(size, size + 1)`` monthly probabilities; the last column is leaving care."""
        totals = self.counts.sum(axis=1, keepdims=True)
        stay = np.eye(self.space.size, self.space.size + 1)
        return np.where(totals > 0, self.counts / np.where(totals > 0, totals, 1), stay)


def _pooled(counts: np.ndarray, space: StateSpace) -> np.ndarray:
    """Transition shares each state would have if it moved like its category over all ages.

    Category moves (and leaving) come from the category pooled over bands; moving up a band
    from the band pooled over categories.
    """
    n_bands, n_cats = len(space.bands), len(space.categories)
    inside = counts[:, : space.size].reshape(n_bands, n_cats, n_bands, n_cats)
    leaving = counts[:, space.size].reshape(n_bands, n_cats)
    by_cat = np.concatenate([inside.sum(axis=(0, 2)), leaving.sum(axis=0)[:, None]], axis=1)
    by_cat = by_cat / np.maximum(by_cat.sum(axis=1, keepdims=True), 1)
    moved_up = np.array(
        [inside[b, :, b + 1, :].sum() if b + 1 < n_bands else 0 for b in range(n_bands)]
    )
    stayed = np.array([inside[b, :, b, :].sum() for b in range(n_bands)])
    up = moved_up / np.maximum(moved_up + stayed, 1)
    pooled = np.zeros_like(counts, dtype=float)
    for b in range(n_bands):
        for c in range(n_cats):
            row = space.index(b, c)
            pooled[row, space.size] = by_cat[c, n_cats]
            for c2 in range(n_cats):
                pooled[row, space.index(b, c2)] += by_cat[c, c2] * (1 - up[b])
                if b + 1 < n_bands:
                    pooled[row, space.index(b + 1, c2)] += by_cat[c, c2] * up[b]
    return pooled


def fit_entries(totals: np.ndarray, months: list[date], seasonal: bool = True) -> EntryModel:
    """Poisson regression of monthly entry counts on a trend and calendar month.

    Fitted by iteratively reweighted least squares; t is in months, 0 at the last month, so
    ``level`` is the log of the expected entries in the last month of the fit.
    """
    n = len(totals)
    t = np.arange(n, dtype=float) - (n - 1)
    columns = [np.ones(n), t]
    use_season = seasonal and n >= 24
    calendar = np.array([m.month - 1 for m in months])
    if use_season:
        columns += [(calendar == k).astype(float) for k in range(1, 12)]
    x = np.column_stack(columns)
    y = totals.astype(float)
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(max(y.mean(), 0.5))
    for _ in range(50):
        mu = np.exp(np.clip(x @ beta, -30, 30))
        z = x @ beta + (y - mu) / mu
        weighted = x * mu[:, None]
        step = np.linalg.lstsq(
            x.T @ weighted + 1e-6 * np.eye(x.shape[1]), weighted.T @ z, rcond=None
        )[0]
        if np.max(np.abs(step - beta)) < 1e-9:
            beta = step
            break
        beta = step
    season = np.zeros(12)
    if use_season:
        season[1:] = beta[2:]
        shift = season.mean()
        season -= shift
        beta[0] += shift
    return EntryModel(float(beta[0]), float(beta[1]), season, float(y.sum()))


def constant_entries(totals: np.ndarray) -> EntryModel:
    """The mean of the window's monthly entries, held flat."""
    return EntryModel(
        float(np.log(max(totals.mean(), 1e-9))), 0.0, np.zeros(12), float(totals.sum())
    )


def fit(history: History, settings: ForecastSettings, *, entries: str = "trend") -> Model:
    """Fit the model on all of ``history``; its last month end is the projection's origin."""
    if entries not in ENTRY_METHODS:
        raise ValueError(f"entries must be one of {ENTRY_METHODS}")
    space = history.space
    window = min(settings.fit.reference_months, len(history.flows))
    if window < 1:
        raise ValueError("a forecast needs at least two month ends of history")
    raw = history.flows[-window:].sum(axis=0)[: space.size].astype(float)
    weight = settings.fit.pooling_weight
    counts = raw + weight * _pooled(raw, space) if weight else raw
    entered = history.entries
    mix_counts = entered[-window:].sum(axis=0).astype(float)
    mix = mix_counts / mix_counts.sum() if mix_counts.sum() else np.full(space.size, 1 / space.size)
    totals = entered[1:].sum(axis=1)
    months = list(history.month_ends[1:])
    if entries == "constant":
        entry = constant_entries(totals[-window:])
    else:
        span = min(settings.fit.entry_months, len(totals))
        entry = fit_entries(totals[-span:], months[-span:])
    return Model(
        space,
        history.month_ends[-1],
        history.stock[-1].astype(float),
        counts,
        entry,
        mix,
        mix_counts,
    )


def future_months(origin: date, months: int) -> list[date]:
    """The ``months`` month ends after ``origin``."""
    first = date(origin.year + origin.month // 12, origin.month % 12 + 1, 1)
    last_index = origin.year * 12 + origin.month - 1 + months
    return month_ends_between(first, date(last_index // 12, last_index % 12 + 1, 1))


def expected_path(model: Model, months: int, adjust: Adjuster | None = None) -> np.ndarray:
    """``(months, size)``: the expected number of children in each state at each month end."""
    dates = future_months(model.origin, months)
    entries = model.entry.expected(dates)[:, None] * model.entry_mix[None, :]
    stock = model.start_stock.copy()
    path = np.empty((months, model.space.size))
    base = model.transitions
    for h in range(months):
        transitions, arriving = (
            (base, entries[h]) if adjust is None else adjust(h, dates[h], base, entries[h])
        )
        stock = stock @ transitions[:, : model.space.size] + arriving
        path[h] = stock
    return path


class Adjuster:
    """A change to the model from a date (see :mod:`.scenarios`): transitions and entries."""

    def __call__(
        self, step: int, month_end: date, transitions: np.ndarray, entries: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - interface
        raise NotImplementedError


def simulate(
    model: Model, months: int, simulations: int, seed: int, adjust: Adjuster | None = None
) -> np.ndarray:
    """``(simulations, months, size)`` simulated paths (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    size = model.space.size
    dates = future_months(model.origin, months)
    # States never seen in the window keep their children (as the expected path does).
    seen = model.counts.sum(axis=1, keepdims=True) > 0
    alpha = np.where(seen, model.counts + 1e-3, 1e3 * np.eye(size, size + 1) + 1e-3)
    drawn = rng.gamma(alpha[None, :, :].repeat(simulations, axis=0))
    transitions = drawn / drawn.sum(axis=2, keepdims=True)
    level = rng.gamma(model.entry.observed + 1, 1 / max(model.entry.observed, 1), simulations)
    mixes = rng.dirichlet(model.entry_mix_counts + 0.5, simulations)
    mean_entries = model.entry.expected(dates)
    stock = np.repeat(np.rint(model.start_stock)[None, :], simulations, axis=0).astype(np.int64)
    paths = np.empty((simulations, months, size))
    for h in range(months):
        probs, rates = transitions, mixes * (mean_entries[h] * level)[:, None]
        if adjust is not None:
            probs, rates = _adjust_each(adjust, h, dates[h], probs, rates)
        moved = rng.multinomial(stock, probs)[:, :, :size].sum(axis=1)
        stock = moved + rng.poisson(rates)
        paths[:, h] = stock
    return paths


def _adjust_each(
    adjust: Adjuster, h: int, month_end: date, probs: np.ndarray, rates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    pairs = [adjust(h, month_end, probs[i], rates[i]) for i in range(len(probs))]
    return np.stack([p for p, _ in pairs]), np.stack([r for _, r in pairs])


@dataclass(frozen=True)
class Projection:
    """Expected children by state and month, with the simulated interval by category."""

    model: Model
    month_ends: tuple[date, ...]
    expected: np.ndarray  # (months, size)
    paths: np.ndarray  # (simulations, months, size); empty when not simulated
    interval: float

    def by_category(self) -> np.ndarray:
        """``(months, categories)`` expected children."""
        return self.model.space.by_category(self.expected)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper ``(months, categories + 1)`` bounds; the last column is the total."""
        if not self.paths.size:
            middle = self.by_category()
            with_total = np.column_stack([middle, middle.sum(axis=1)])
            return with_total, with_total
        cats = self.model.space.by_category(self.paths)
        with_total = np.concatenate([cats, cats.sum(axis=2, keepdims=True)], axis=2)
        tail = (1 - self.interval) / 2
        return np.quantile(with_total, tail, axis=0), np.quantile(with_total, 1 - tail, axis=0)


def project(
    model: Model,
    settings: ForecastSettings,
    *,
    months: int | None = None,
    simulations: int | None = None,
    adjust: Adjuster | None = None,
) -> Projection:
    """Project ``model`` forward; simulate the interval unless ``simulations`` is 0."""
    horizon = months or settings.projection.months
    runs = settings.projection.simulations if simulations is None else simulations
    expected = expected_path(model, horizon, adjust)
    paths = (
        simulate(model, horizon, runs, settings.projection.seed, adjust)
        if runs
        else np.empty((0, horizon, model.space.size))
    )
    return Projection(
        model,
        tuple(future_months(model.origin, horizon)),
        expected,
        paths,
        settings.projection.interval,
    )


def with_start(model: Model, stock: np.ndarray) -> Model:
    """The same model starting from another stock (used by tests and scenarios)."""
    return replace(model, start_stock=np.asarray(stock, dtype=float))
