"""Social workers and their cases: ``ssd_professionals`` and ``ssd_involvements``.

Every phase of a child's case (front door, assessment, enquiry, plan, care, leaving care) is
held by a team; each team gets enough workers for about ``cases_per_worker`` open cases on an
average day, and each involvement goes to one of them at random, so caseloads vary as they do
in life. Phases of one child held by one team that overlap or meet (an enquiry running into a
protection plan, a UASC assessment and care from the same day) are one allocation with one
worker. The referral, assessment, plan, enquiry, conference, care-leaver and permanence rows
get the worker (and team) of the allocation that holds them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cscperf.synth.builder import TableBuilder

ROLE = {
    "front_door": "Duty Social Worker",
    "assessment": "Allocated Social Worker",
    "cin_plan": "Allocated Social Worker",
    "cp_plan": "Allocated Social Worker",
    "s47": "Allocated Social Worker",
    "cla": "Allocated Social Worker",
    "adoption": "Adoption Social Worker",
    "care_leaver": "Personal Adviser",
}
STATUTORY = ["assessment", "s47", "cp_plan", "cla", "adoption"]
# Table -> (column naming the record an involvement holds, worker field, team field).
WORKER_FIELDS = {
    "ssd_cin_episodes": ("cine_referral_id", "cine_referral_worker_id", "cine_referral_team"),
    "ssd_cin_assessments": ("cina_assessment_id", "cina_assessment_worker_id",
                            "cina_assessment_team"),
    "ssd_cin_plans": ("cinp_cin_plan_id", "cinp_cin_plan_worker_id", "cinp_cin_plan_team"),
    "ssd_s47_enquiry": ("s47e_s47_enquiry_id", "s47e_s47_completed_by_worker_id",
                        "s47e_s47_completed_by_team"),
    "ssd_initial_cp_conference": ("icpc_icpc_id", "icpc_icpc_worker_id", "icpc_icpc_team"),
    "ssd_care_leavers": ("involvement", "clea_care_leaver_worker_id",
                         "clea_care_leaver_allocated_team"),
    "ssd_permanence": ("involvement", "perm_adoption_worker_id", None),
}  # fmt: skip


def merge_allocations(inv: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One allocation per child and team while its phases overlap or meet.

    Returns the allocations (first phase's referral, the role of the phase lasting longest,
    in the order of their first phase) and a ``record`` -> ``allocation`` map.
    """
    inv = inv.with_row_index("order").sort("child", "team", "start", "end", "order")
    # Running latest end within each child and team: offsetting every (child, team) block
    # above the last makes one cumulative maximum restart at each block.
    block = (
        np.r_[
            0,
            np.cumsum(
                (np.diff(inv["child"].to_numpy()) != 0)
                | (inv["team"].to_numpy()[1:] != inv["team"].to_numpy()[:-1])
            ),
        ]
        if inv.height
        else np.zeros(0, dtype=np.int64)
    )
    big = 4 * 10**6  # above any day number used, NEVER included
    end = inv["end"].to_numpy().astype(np.int64)
    reach = np.maximum.accumulate(block * big + end) - block * big
    new_block = np.r_[True, block[1:] != block[:-1]] if inv.height else np.zeros(0, dtype=bool)
    starts_new = new_block | (inv["start"].to_numpy() > np.r_[0, reach[:-1]])
    inv = inv.with_columns(allocation=pl.Series(np.cumsum(starts_new), dtype=pl.Int64))
    merged = (
        inv.group_by("allocation")
        .agg(
            pl.col("order").min(),
            pl.col("child").first(),
            pl.col("team").first(),
            pl.col("referral").first(),
            pl.col("start").min(),
            pl.col("end").max(),
            pl.col("role").get(pl.col("end").arg_max()),
            pl.col("role").first().alias("first_role"),
        )
        .sort("order")
    )
    records = inv.filter(pl.col("record").is_not_null()).select("record", "allocation")
    return merged, records


def build_workforce(tb: TableBuilder) -> None:
    rng, p = tb.rng, tb.p.workforce
    everything, records = merge_allocations(pl.concat(tb.involvements))
    everything = everything.with_columns(pl.col("end").clip(upper_bound=10**6))
    inv = everything.filter((pl.col("start") <= tb.win_end) & (pl.col("end") >= tb.cutoff))
    window = tb.win_end - tb.cutoff + 1
    lo = inv["start"].clip(lower_bound=tb.cutoff)
    hi = inv["end"].clip(upper_bound=tb.win_end + 1)
    inv = inv.with_columns(days=(hi - lo).clip(lower_bound=0))
    load = (
        everything.select(pl.col("team").unique())
        .join(inv.group_by("team").agg(pl.col("days").sum()), on="team", how="left")
        .fill_null(0)
        .sort("team")
    )
    team_workers: dict[str, list[str]] = {}
    registered: dict[str, list[int]] = {}  # each team's social workers (Social Work England)
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
        registered[team] = []
        for _ in range(n):
            number += 1
            wid = f"W{number:05d}"
            team_workers[team].append(wid)
            # every team has at least one social worker (its first) for its statutory work
            qualified = rng.random() >= p.unqualified_share or not registered[team]
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
            if qualified and title == "Social Worker":
                registered[team].append(number)
            prof_rows["prof_professional_job_title"].append(title)
            prof_rows["prof_professional_department"].append(team)
            prof_rows["prof_full_time_equivalency"].append(1.0 if rng.random() < 0.85 else 0.8)
            prof_rows["prof_agency_worker_flag"].append(
                "Y" if rng.random() < p.agency_share else "N"
            )
    # Every allocation (kept or not) gets a worker, so older records name one too.
    staff = pl.DataFrame(
        {
            "team": list(team_workers),
            "first": [int(w[0][1:]) for w in team_workers.values()],
            "size": [len(w) for w in team_workers.values()],
        }
    )
    pick = everything.join(staff, on="team", how="left", maintain_order="left")
    draw = rng.random(pick.height)
    number_of = pick["first"] + (pl.Series(draw) * pick["size"]).cast(pl.Int64)
    # statutory work (assessment, enquiry, protection, care, adoption) goes to a registered
    # social worker of the team when it has one; family support workers hold the rest
    statutory = pick["role"].is_in(STATUTORY).to_numpy()
    teams = pick["team"].to_list()
    numbers = number_of.to_numpy().copy()
    for i in np.flatnonzero(statutory):
        social_workers = registered.get(teams[i]) or []
        if social_workers:
            numbers[i] = social_workers[int(draw[i] * len(social_workers))]
    number_of = pl.Series(numbers)
    everything = everything.with_columns(worker="W" + number_of.cast(pl.Utf8).str.zfill(5))
    _fill_workers(tb, records.join(everything.select("allocation", "worker", "team"),
                                   on="allocation", maintain_order="left"))  # fmt: skip
    inv = everything.filter((pl.col("start") <= tb.win_end) & (pl.col("end") >= tb.cutoff))
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
                inv["first_role"].to_numpy() == "front_door", "FCONTA", "TSPROC"
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


def _fill_workers(tb: TableBuilder, held: pl.DataFrame) -> None:
    """Each record's worker and team from the allocation holding it (blank when none is kept)."""
    for table, (key, worker_field, team_field) in WORKER_FIELDS.items():
        parts = tb.frames.get(table)
        if not parts:
            continue
        frame = pl.concat(parts, how="diagonal_relaxed")
        found = held.select(
            pl.col("record").alias(key),
            pl.col("worker").alias(worker_field),
            *([pl.col("team").alias("_team")] if team_field else []),
        )
        frame = frame.drop(worker_field, strict=False).join(
            found, on=key, how="left", maintain_order="left"
        )
        if team_field:
            frame = frame.with_columns(pl.coalesce("_team", team_field).alias(team_field))
            frame = frame.drop("_team")
        tb.frames[table] = [frame]
