"""A small hand-made store for trying, testing and load-testing the dashboard.

Owns one thing: writing a store whose builds hold indicator results (every catalogue indicator
for the county and each of the synthetic council's localities, month by month), a manifest, the
council settings and a short data-quality report, without running ingest or the engine. The
figures are invented but plausible for each unit; they are deterministic for a given seed.
"""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import polars as pl

from cscperf.calendar.months import add_months, month_end_of
from cscperf.indicators.catalogue import load_catalogue
from cscperf.indicators.contract import CONTRACT_COLUMNS, RESULT_SCHEMA
from cscperf.settings import dump_settings
from cscperf.synth.council import eastshire_settings

QUALITY_ROWS = [
    # severity, rule, table, field: what the dashboard shows (never the row or value)
    ("error", "episode_end_before_start", "ssd_cla_episodes", "clae_cla_episode_ceased_date"),
    ("warning", "missing_team", "ssd_cin_episodes", "cine_referral_team"),
    ("warning", "missing_team", "ssd_cin_episodes", "cine_referral_team"),
    ("warning", "plan_without_review", "ssd_cp_plans", "cppl_cp_plan_start_date"),
]

# Value scale per unit: (typical numerator, typical denominator or None)
_SCALE = {
    "percent": (60.0, 100.0),
    "count": (120.0, None),
    "rate_per_10k": (1100.0, 170_000.0),
    "rate_per_100k": (30.0, 170_000.0),
    "days": (300.0, None),
    "average": (16.0, None),
    "ratio": (1.2, None),
    "maximum": (25.0, None),
}
_MULTIPLIER = {"percent": 100.0, "rate_per_10k": 10_000.0, "rate_per_100k": 100_000.0}


def month_ends(first: date, last: date) -> list[date]:
    """Month ends from ``first`` to ``last`` inclusive (both month ends)."""
    out = []
    current = first.replace(day=1)
    while month_end_of(current) <= last:
        out.append(month_end_of(current))
        current = add_months(current, 1)
    return out


def sample_rows(
    months: list[date], localities: list[str], seed: int = 7, ids: list[str] | None = None
) -> pl.DataFrame:
    """Indicator rows in the engine's output columns for every catalogue indicator (or
    ``ids``) with an ``all`` breakdown, for the county and each locality."""
    rng = random.Random(seed)
    records: list[tuple[str, date, str, str, float | None, float | None, float | None]] = []
    for definition in load_catalogue():
        if ids is not None and definition.id not in ids:
            continue
        if "all" not in definition.breakdowns:
            continue
        num0, den0 = _SCALE.get(definition.unit, (50.0, None))
        places = [("all", "all", 1.0)]
        if "locality" in definition.breakdowns:
            places += [("locality", name, 1 / max(len(localities), 1)) for name in localities]
        drift = rng.uniform(-0.01, 0.01)
        for breakdown, value_of, share in places:
            bias = rng.uniform(0.85, 1.15)
            for i, end in enumerate(months):
                wiggle = bias * (1 + drift * i + rng.uniform(-0.04, 0.04))
                if den0 is None:
                    num = round(num0 * wiggle * (share if definition.unit == "count" else 1), 1)
                    if definition.unit == "count":
                        num = float(round(num))
                    records.append((definition.id, end, breakdown, value_of, num, None, num))
                    continue
                den = float(round(den0 * share))
                num = float(round(num0 * share * wiggle * (den0 / 100 if den0 == 100.0 else 1)))
                if definition.unit == "percent":
                    num = float(min(round(den * 0.6 * wiggle), den))
                value = num / den * _MULTIPLIER.get(definition.unit, 1.0) if den else None
                records.append((definition.id, end, breakdown, value_of, num, den, value))
    return pl.DataFrame(
        records,
        schema={column: RESULT_SCHEMA[column] for column in CONTRACT_COLUMNS},
        orient="row",
    )


def write_sample_store(
    store: Path,
    builds: tuple[str, ...] = ("20250410T090000Z", "20250508T090000Z"),
    last_period: date = date(2025, 4, 30),
    months: int = 26,
    ids: list[str] | None = None,
) -> Path:
    """Write a store with the given builds (oldest first; the last is current). Each build
    covers ``months`` months; an earlier build stops one month earlier."""
    settings = eastshire_settings()
    localities = [loc.name for loc in settings.localities]
    for n, build_id in enumerate(builds):
        end = month_end_of(add_months(last_period.replace(day=1), n - len(builds) + 1))
        first = month_end_of(add_months(end.replace(day=1), -(months - 1)))
        folder = store / "builds" / build_id
        (folder / "results").mkdir(parents=True, exist_ok=True)
        (folder / "quality").mkdir(exist_ok=True)
        extract = add_months(end.replace(day=1), 1).replace(day=7)
        manifest = {
            "created": f"{build_id[:4]}-{build_id[4:6]}-{build_id[6:8]}T09:00:00Z",
            "extract_date": extract.isoformat(),
            "source_system": "Synthetic case system",
            "council": {"name": settings.council.name, "la_code": settings.council.la_code},
            "row_counts": {"ssd_person": 4000},
        }
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        dump_settings(settings, folder / "settings.yaml")
        rows = sample_rows(month_ends(first, end), localities, seed=7 + n, ids=ids)
        rows.write_parquet(folder / "results" / "indicators.parquet")
        quality = pl.DataFrame(
            [(s, r, "tables.csv", "1", t, f, "", "sample") for s, r, t, f in QUALITY_ROWS],
            schema=["severity", "rule", "file", "row", "table", "field", "value", "message"],
            orient="row",
        )
        quality.write_csv(folder / "quality" / "report.csv")
    (store / "current").write_text(builds[-1] + "\n", encoding="utf-8")
    return store
