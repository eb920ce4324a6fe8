"""Shared by the report tests: a small hand-built pack of four indicators of the real
catalogue, the synthetic council's settings and example targets, 26 months of county and
locality rows."""

from __future__ import annotations

from datetime import date

import polars as pl

from cscperf.evaluate.targets import example_targets_path, load_targets
from cscperf.indicators.catalogue import load_catalogue
from cscperf.reports.commentary import Commentary
from cscperf.reports.pack import Pack, Provenance, make_pack, month_back
from cscperf.synth.council import eastshire_settings

PERIOD_END = date(2025, 6, 30)
IDS = [
    "referrals.rereferral_12m_pct",
    "referrals.count",
    "assess.within_45wd_pct",
    "lac.rate_per_10k",
]
COMMENTED = "assess.within_45wd_pct"


def fixture_rows(localities: list[str]) -> pl.DataFrame:
    """Every indicator, month and breakdown with a value that is easy to work out by hand:
    numerator = base + month number (0 = 25 months back ... 25 = June 2025), per locality
    shifted by its position; denominators fixed."""
    bases = {
        IDS[0]: (20.0, 100.0),
        IDS[1]: (500.0, None),
        IDS[2]: (40.0, 100.0),
        IDS[3]: (1000.0, 170_000.0),
    }
    out = []
    for ident, (base, den) in bases.items():
        for n in range(26):
            month = month_back(PERIOD_END, 25 - n)
            scopes = [("all", "all", 0.0)] + [
                ("locality", loc, float(k + 1)) for k, loc in enumerate(localities)
            ]
            for breakdown, value, shift in scopes:
                num = base + n + shift * (1 if den else 10)
                if breakdown == "locality":
                    num = num / (10 if den != 100.0 else 1)
                val = num if den is None else num / den * (10_000 if den > 100 else 100)
                out.append(
                    {
                        "indicator_id": ident,
                        "period_end": month,
                        "breakdown": breakdown,
                        "breakdown_value": value,
                        "numerator": num,
                        "denominator": den,
                        "value": val,
                    }
                )
    return pl.DataFrame(out, schema_overrides={"denominator": pl.Float64})


def fixture_pack(
    locality: str | None = None,
    localities: list[str] | None = None,
    analysis: str = "Referrals held steady.",
) -> Pack:
    """The hand-built pack; ``localities`` and the referrals ``analysis`` can be replaced (the
    spreadsheet-safety tests give hostile names)."""
    settings = eastshire_settings()
    localities = localities or [loc.name for loc in settings.localities]
    catalogue = load_catalogue()
    definitions = {i: catalogue.definitions[i] for i in IDS}
    commentary = Commentary.model_validate(
        {
            "indicators": [
                {
                    "indicator_id": COMMENTED,
                    "period": "2025-06",
                    "background": "Two teams were short of staff in May.",
                    "why_it_matters": "Children wait less for help.",
                    "lead_officer": "Head of Assessment",
                    "data_owner": "Performance team",
                },
            ],
            "areas": [{"area": "referrals", "period": "any", "analysis": analysis}],
        }
    )
    quality = pl.DataFrame(
        {
            "severity": ["warning", "warning", "error"],
            "rule": ["required-field"] * 2 + ["x"],
            "table": ["ssd_person"] * 3,
        }
    )
    return make_pack(
        fixture_rows(localities),
        definitions,
        Provenance(
            council=settings.council.name,
            period_end=PERIOD_END,
            source_system="Mosaic",
            extract_date="2025-07-08",
            build_id="20250708T060000Z",
            marking=settings.protective_marking,
            locality=locality,
            targets_note="example targets",
        ),
        localities,
        load_targets(example_targets_path()),
        None,
        commentary,
        quality,
    )
