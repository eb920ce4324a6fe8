"""Who the council is when no ``council.yaml`` is loaded: settings derived from the data.

The LA code the returns carry (CIN Census header, Annex A, population) is looked up, by the
application layer, in the published list of English councils (the DfE files in the reference
folder, :func:`cscperf.benchmarks.published.published_council`) for the council's name, ONS
code and region;
its statistical neighbours follow from the code when benchmarks are read. Localities come from
the data: the SSD department table's parent of each team (``dept_team_parent_name``); teams
with no parent, or teams named only on records, form one locality for the whole council; with
no teams at all (statutory returns carry none) there are no localities and every figure is
the council's.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from cscperf.settings import Council, Locality, Settings, Team
from cscperf.sources.base import Problem, Severity

SOURCE_SYSTEM = "not recorded (no council.yaml)"
# What the inputs were, for the pack's "data from" line when no council.yaml names the system.
SOURCE_NAMES = {
    "ssd": "SSD extract",
    "ssd-database": "SSD database",
    "ssda903": "SSDA903 returns",
    "cin_census": "CIN Census returns",
    "annex_a": "Ofsted Annex A lists",
}
TEAM_TYPE = "not recorded"
# Fields that name the team an item belongs to (canonical.yaml): teams seen here but not in
# the department table still belong to the council.
TEAM_FIELDS = (
    ("ssd_cin_episodes", "cine_referral_team"),
    ("ssd_cin_assessments", "cina_assessment_team"),
    ("ssd_cin_plans", "cinp_cin_plan_team"),
    ("ssd_initial_cp_conference", "icpc_icpc_team"),
    ("ssd_involvements", "invo_professional_team"),
    ("ssd_s47_enquiry", "s47e_s47_completed_by_team"),
    ("ssd_care_leavers", "clea_care_leaver_allocated_team"),
)


def derive_settings(
    la_code: str,
    tables: Mapping[str, pl.DataFrame],
    published: Mapping[str, str] | None,
    source_system: str = SOURCE_SYSTEM,
) -> tuple[Settings, list[Problem]]:
    """Settings for council ``la_code`` from its ``published`` name, ONS code and region
    (None when the published list does not have it) and the data's teams, and a note (info, or
    a warning when the code is not a published council) saying so."""
    problems: list[Problem] = []
    if published is None:
        name = f"LA {la_code}"
        council = Council(
            name=name, short_name=name, la_code=la_code, ons_code="not known", region="not known"
        )
        problems.append(
            Problem(
                file="",
                rule="council-not-published",
                severity=Severity.WARNING,
                message=f"no council.yaml was loaded and LA code {la_code} is not in the "
                "published list of English councils (or the reference files are not there), "
                f"so the council is called {name} and has no region, neighbours or "
                "benchmarks: load council.yaml with the data to name it",
            )
        )
    else:
        council = Council(
            name=published["name"],
            short_name=published["name"],
            la_code=la_code,
            ons_code=published["ons_code"],
            region=published["region"],
        )
    localities = localities_from(tables, council.short_name)
    where = (
        f"{len(localities)} localities from the department table"
        if localities and "ssd_department" in tables
        else "localities: the whole council"
        if localities
        else "no localities (the data name no teams)"
    )
    if published is not None:
        problems.append(
            Problem(
                file="",
                rule="council-derived",
                severity=Severity.INFO,
                message=f"no council.yaml was loaded: the council is {council.name} (LA "
                f"{la_code}, {council.ons_code}, {council.region}) from the published list; "
                f"{where}",
            )
        )
    settings = Settings(council=council, source_system=source_system, localities=localities)
    return settings, problems


def localities_from(tables: Mapping[str, pl.DataFrame], whole_council: str) -> list[Locality]:
    """Localities and their teams from the department table (a team's parent is its
    locality); teams without a parent, or only named on records, go in one locality named
    after the whole council. No teams: no localities."""
    teams: dict[str, tuple[str, str]] = {}  # team id -> (name, locality)
    department = tables.get("ssd_department")
    if department is not None and "dept_team_id" in department.columns:

        def text(column: str) -> pl.Expr:
            if column in department.columns:
                return pl.col(column).cast(pl.String).str.strip_chars()
            return pl.lit(None, pl.String)

        rows = department.select(
            text("dept_team_id").alias("id"),
            text("dept_team_name").alias("name"),
            text("dept_team_parent_id").alias("parent_id"),
            pl.coalesce(text("dept_team_parent_name"), text("dept_team_parent_id")).alias("parent"),
        ).filter(pl.col("id").is_not_null() & (pl.col("id") != ""))
        # A locality listed as a row of its own (some row names it as parent) is not a team.
        parent_ids = set(rows.get_column("parent_id").drop_nulls().to_list())
        for row in rows.iter_rows(named=True):
            if row["id"] not in parent_ids:
                teams[row["id"]] = (row["name"] or row["id"], row["parent"] or whole_council)
    for table, column in TEAM_FIELDS:
        frame = tables.get(table)
        if frame is None or column not in frame.columns:
            continue
        for value in frame.get_column(column).cast(pl.String).drop_nulls().unique().to_list():
            value = value.strip()
            if value and value not in teams:
                teams[value] = (value, whole_council)
    grouped: dict[str, list[Team]] = {}
    for team_id, (name, locality) in sorted(teams.items()):
        grouped.setdefault(locality, []).append(Team(id=team_id, name=name, type=TEAM_TYPE))
    return [Locality(name=name, teams=grouped[name]) for name in sorted(grouped)]
