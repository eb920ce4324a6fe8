"""Who Eastshire County Council is: its codes, six localities and their teams.

Eastshire is invented. It is a large rural county in the East of England with about 170,000
children, and it borrows Norfolk's (926) statistical neighbours and region for benchmarking.
"""

from __future__ import annotations

from cscperf.settings import Council, Locality, Settings, Team

LOCALITY_NAMES = (
    "Harrowmere",
    "Saltfleet",
    "Kingsbarrow",
    "Fenwick Marsh",
    "Oakendon",
    "Brackley Heath",
)

# County-wide services, listed under their own "locality" so every team has one home.
COUNTYWIDE = "County-wide services"
COUNTYWIDE_TEAMS = (
    ("front_door", "Front Door and MASH"),
    ("disability", "Children with Disabilities"),
    ("care_leavers", "Leaving Care Service"),
    ("uasc", "Unaccompanied Children's Team"),
    ("fostering", "Fostering Service"),
    ("adoption", "Adoption Service"),
)

# Per locality: (type, name suffix).
LOCALITY_TEAMS = (
    ("assessment", "Assessment"),
    ("safeguarding", "Family Support 1"),
    ("safeguarding", "Family Support 2"),
    ("looked_after", "Children in Care"),
)


def eastshire_settings() -> Settings:
    """The synthetic council's settings: one fixed structure, whatever the seed."""
    number = 0

    def next_id() -> str:
        nonlocal number
        number += 1
        return f"T{number:02d}"

    countywide = Locality(
        name=COUNTYWIDE,
        teams=[Team(id=next_id(), name=name, type=kind) for kind, name in COUNTYWIDE_TEAMS],
    )
    localities = [
        Locality(
            name=place,
            teams=[
                Team(id=next_id(), name=f"{place} {suffix}", type=kind)
                for kind, suffix in LOCALITY_TEAMS
            ],
        )
        for place in LOCALITY_NAMES
    ]
    return Settings(
        council=Council(
            name="Eastshire County Council",
            short_name="Eastshire",
            la_code="999",
            ons_code="E10999999",
            region="East of England",
            benchmark_as="926",
        ),
        source_system="cscperf synth",
        localities=[*localities, countywide],
    )


def teams_of_type(settings: Settings, kind: str) -> list[str]:
    """Team ids of one type, in settings order (localities first, then county-wide)."""
    return [t.id for loc in settings.localities for t in loc.teams if t.type == kind]
