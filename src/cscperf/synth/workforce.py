"""Social workers and their cases: ``ssd_professionals`` and ``ssd_involvements``.

Every phase of a child's case (front door, assessment, plan, care, leaving care) is held by a
team; each team gets enough workers for about ``cases_per_worker`` open cases on an average
day, and each involvement goes to one of them at random, so caseloads vary as they do in life.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from cscperf.synth.simulate import _TableBuilder

ROLE = {
    "front_door": "Duty Social Worker",
    "assessment": "Allocated Social Worker",
    "cin_plan": "Allocated Social Worker",
    "cp_plan": "Allocated Social Worker",
    "cla": "Allocated Social Worker",
    "adoption": "Adoption Social Worker",
    "care_leaver": "Personal Adviser",
}


def build_workforce(tb: _TableBuilder) -> None:
    rng, p = tb.rng, tb.p.workforce
    inv = pl.concat(tb.involvements)
    inv = inv.filter((pl.col("start") <= tb.win_end) & (pl.col("end") >= tb.cutoff))
    inv = inv.with_columns(pl.col("end").clip(upper_bound=10**6))
    window = tb.win_end - tb.cutoff + 1
    lo = inv["start"].clip(lower_bound=tb.cutoff)
    hi = inv["end"].clip(upper_bound=tb.win_end + 1)
    inv = inv.with_columns(days=(hi - lo).clip(lower_bound=0))
    load = inv.group_by("team").agg(pl.col("days").sum()).sort("team")
    team_workers: dict[str, list[str]] = {}
    prof_rows: dict[str, list[object]] = {k: [] for k in (
        "prof_professional_id", "prof_staff_id", "prof_professional_name",
        "prof_social_worker_registration_no", "prof_professional_job_title",
        "prof_professional_department", "prof_full_time_equivalency", "prof_agency_worker_flag",
    )}  # fmt: skip
    number = 0
    for team, days in zip(load["team"], load["days"], strict=True):
        open_cases = days / window
        n = max(1, int(np.ceil(open_cases / p.cases_per_worker)))
        team_workers[team] = []
        for _ in range(n):
            number += 1
            wid = f"W{number:05d}"
            team_workers[team].append(wid)
            qualified = rng.random() >= p.unqualified_share
            title = ("Personal Adviser" if team == tb.team_leavers else
                     ("Social Worker" if qualified else "Family Support Worker"))  # fmt: skip
            prof_rows["prof_professional_id"].append(wid)
            prof_rows["prof_staff_id"].append(f"S{number:05d}")
            prof_rows["prof_professional_name"].append(f"Worker {number:05d}")
            prof_rows["prof_social_worker_registration_no"].append(
                f"SW{rng.integers(10000, 999999)}"
                if qualified and title == "Social Worker"
                else None
            )
            prof_rows["prof_professional_job_title"].append(title)
            prof_rows["prof_professional_department"].append(team)
            prof_rows["prof_full_time_equivalency"].append(1.0 if rng.random() < 0.85 else 0.8)
            prof_rows["prof_agency_worker_flag"].append(
                "Y" if rng.random() < p.agency_share else "N"
            )
    teams = inv["team"].to_list()
    pick = rng.random(inv.height)
    worker = [
        team_workers[t][int(x * len(team_workers[t]))] for t, x in zip(teams, pick, strict=True)
    ]
    inv = inv.with_columns(worker=pl.Series(worker))
    end = inv["end"].to_numpy()
    inv_frame = pl.DataFrame(
        {
            "invo_involvements_id": [f"I{i:08d}" for i in range(1, inv.height + 1)],
            "invo_professional_id": inv["worker"],
            "invo_professional_role_id": [ROLE[r] for r in inv["role"]],
            "invo_professional_team": inv["team"],
            "invo_involvement_start_date": tb.date(inv["start"].to_numpy()),
            "invo_involvement_end_date": tb.date(end),
            "invo_worker_change_reason": np.where(
                inv["role"].to_numpy() == "front_door", "FCONTA", "TSPROC"
            ),
            "invo_person_id": "P" + (inv["child"] + 1).cast(pl.Utf8).str.zfill(7),
            "invo_referral_id": inv["referral"],
        }
    )
    tb.add("ssd_involvements", inv_frame)
    open_now = (
        inv.filter((pl.col("start") <= tb.win_end) & (pl.col("end") > tb.win_end))
        .group_by("worker")
        .len()
    )
    caseload = dict(zip(open_now["worker"], open_now["len"], strict=True))
    profs = pl.DataFrame(prof_rows, strict=False).with_columns(
        prof_professional_caseload=pl.col("prof_professional_id").replace_strict(
            caseload, default=0, return_dtype=pl.Int64
        )
    )
    tb.add("ssd_professionals", profs)
    rows = [
        (team.id, team.name, f"LOC{n + 1}", loc.name)
        for n, loc in enumerate(tb.settings.localities)
        for team in loc.teams
    ]
    tb.add(
        "ssd_department",
        pl.DataFrame(
            rows,
            schema=[
                "dept_team_id",
                "dept_team_name",
                "dept_team_parent_id",
                "dept_team_parent_name",
            ],
            orient="row",
        ),
    )
