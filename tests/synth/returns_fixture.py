"""A small hand-made set of SSD tables for the statutory-return writer tests.

Six children whose facts are known by hand:
- C1: CIN episode open since 2015; a short break (V3) in August 2018; looked after
  10/02/2019-30/06/2021 with a placement move (01/09/2019) and a legal-status change to a care
  order (15/01/2020); reviews, a missing episode, health checks, an SDQ; two social workers.
- C2: adopted: in care 01/05/2017, placement order 10/03/2018, placed for adoption 01/06/2019,
  adoption order 30/11/2020, with every adoption date.
- C3: a UASC care leaver: looked after 01/09/2019-01/07/2021 (18th birthday), moved to
  supported accommodation (K3) on 01/10/2020; care-leaver record (in touch, F5, U1).
- C4: a child protection plan 01/06/2021-15/09/2022 after s47 and ICPC, with one earlier plan.
- C5: a CIN episode 01/10/2019-15/02/2020 from early help (5D) with an assessment (factors
  18B, 24A, 4B), a CIN plan and an s47 ending without conference; a later NFA referral.
- C6: looked after continuously since 01/01/2014; moved to an other placement (Z13) 01/02/2025.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from cscperf.settings import Council, Locality, Settings, Team
from cscperf.synth.returns_ssd import is_date_field


def d(text: str) -> date:
    return date.fromisoformat(text)


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    columns: dict[str, list[Any]] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, [])
    schema = {key: pl.Date if is_date_field(key) else pl.String for key in columns}
    return pl.DataFrame([{k: row.get(k) for k in columns} for row in rows], schema=schema)


def settings() -> Settings:
    return Settings(
        council=Council(
            name="Eastshire County Council",
            short_name="Eastshire",
            la_code="999",
            ons_code="E10000999",
            region="East of England",
        ),
        localities=[
            Locality(name="North", teams=[Team(id="T1", name="North CIN", type="assessment")])
        ],
    )


def ssd_tables() -> dict[str, pl.DataFrame]:
    person = [
        {"pers_person_id": "C1", "pers_sex": "M", "pers_ethnicity": "WBRI",
         "pers_dob": d("2010-05-10"), "pers_is_mother": "N"},
        {"pers_person_id": "C2", "pers_sex": "F", "pers_ethnicity": "MWBC",
         "pers_dob": d("2017-03-15"), "pers_is_mother": "N"},
        {"pers_person_id": "C3", "pers_sex": "M", "pers_ethnicity": "BAFR",
         "pers_dob": d("2003-07-01"), "pers_upn_unknown": "UN2"},
        {"pers_person_id": "C4", "pers_sex": "F", "pers_ethnicity": "APKN",
         "pers_dob": d("2014-02-02"), "pers_is_mother": "N"},
        {"pers_person_id": "C5", "pers_sex": "F", "pers_ethnicity": "WBRI",
         "pers_dob": d("2008-11-30"), "pers_is_mother": "Y"},
        {"pers_person_id": "C6", "pers_sex": "M", "pers_ethnicity": "XXXX",
         "pers_dob": d("2012-01-20"), "pers_upn_unknown": "UN1"},
    ]  # fmt: skip
    send = [
        {"send_person_id": "C1", "send_upn": "A12345678901B"},
        {"send_person_id": "C4", "send_upn": "B12345678901C"},
    ]
    mother = [
        {"moth_person_id": "C5", "moth_childs_person_id": "B1", "moth_childs_dob": d("2024-01-05")}
    ]
    disability = [
        {"disa_person_id": "C5", "disa_disability_code": "LD"},
        {"disa_person_id": "C5", "disa_disability_code": "AUT"},
    ]
    cin_episodes = [
        {"cine_referral_id": "R1", "cine_person_id": "C1", "cine_referral_date": d("2015-06-01"),
         "cine_cin_primary_need_code": "N1", "cine_referral_source_code": "2A",
         "cine_referral_nfa": "N", "cine_referral_team": "T1", "cine_referral_worker_id": "W1"},
        {"cine_referral_id": "R2", "cine_person_id": "C2", "cine_referral_date": d("2017-04-20"),
         "cine_cin_primary_need_code": "N1", "cine_referral_source_code": "3B",
         "cine_referral_nfa": "N", "cine_close_reason": "RC1",
         "cine_close_date": d("2020-11-30")},
        {"cine_referral_id": "R3", "cine_person_id": "C3", "cine_referral_date": d("2019-08-20"),
         "cine_cin_primary_need_code": "N8", "cine_referral_source_code": "7",
         "cine_referral_nfa": "N", "cine_close_reason": "RC7",
         "cine_close_date": d("2021-07-01")},
        {"cine_referral_id": "R4A", "cine_person_id": "C4", "cine_referral_date": d("2015-12-01"),
         "cine_cin_primary_need_code": "N1", "cine_referral_source_code": "6",
         "cine_referral_nfa": "N", "cine_close_reason": "RC7",
         "cine_close_date": d("2016-09-01")},
        {"cine_referral_id": "R4", "cine_person_id": "C4", "cine_referral_date": d("2021-05-10"),
         "cine_cin_primary_need_code": "N1", "cine_referral_source_code": "6",
         "cine_referral_nfa": "N", "cine_close_reason": "RC7",
         "cine_close_date": d("2023-02-20"), "cine_referral_team": "T1",
         "cine_referral_worker_id": "W2"},
        {"cine_referral_id": "R5", "cine_person_id": "C5", "cine_referral_date": d("2019-10-01"),
         "cine_cin_primary_need_code": "N3", "cine_referral_source_code": "5D",
         "cine_referral_nfa": "N", "cine_close_reason": "RC9",
         "cine_close_date": d("2020-02-15")},
        {"cine_referral_id": "R5B", "cine_person_id": "C5", "cine_referral_date": d("2023-06-01"),
         "cine_cin_primary_need_code": "N9", "cine_referral_source_code": "1A",
         "cine_referral_nfa": "Y", "cine_close_reason": "RC8",
         "cine_close_date": d("2023-06-01")},
    ]  # fmt: skip
    assessments = [
        {"cina_assessment_id": "A4", "cina_person_id": "C4", "cina_referral_id": "R4",
         "cina_assessment_start_date": d("2021-05-11"), "cina_assessment_child_seen": "Y",
         "cina_assessment_auth_date": d("2021-06-20"), "cina_assessment_outcome_nfa": "N"},
        {"cina_assessment_id": "A5", "cina_person_id": "C5", "cina_referral_id": "R5",
         "cina_assessment_start_date": d("2019-10-02"), "cina_assessment_child_seen": "Y",
         "cina_assessment_auth_date": d("2019-11-10"), "cina_assessment_outcome_nfa": "N"},
    ]  # fmt: skip
    factors = [
        {"cinf_assessment_id": "A4", "cinf_assessment_factors_json": '["3A", "18C", "24A"]'},
        {"cinf_assessment_id": "A5",
         "cinf_assessment_factors_json": '{"18B": "Yes", "24A": "Yes", "4B": "Yes", "1A": "No"}'},
    ]  # fmt: skip
    cin_plans = [
        {"cinp_cin_plan_id": "P5", "cinp_referral_id": "R5", "cinp_person_id": "C5",
         "cinp_cin_plan_start_date": d("2019-11-20"), "cinp_cin_plan_end_date": d("2020-02-15")},
        {"cinp_cin_plan_id": "P1", "cinp_referral_id": "R1", "cinp_person_id": "C1",
         "cinp_cin_plan_start_date": d("2021-07-01"), "cinp_cin_plan_end_date": None},
    ]  # fmt: skip
    s47 = [
        {"s47e_s47_enquiry_id": "S4", "s47e_referral_id": "R4", "s47e_person_id": "C4",
         "s47e_s47_start_date": d("2021-05-12"), "s47e_s47_end_date": d("2021-05-30"),
         "s47e_s47_nfa": "N"},
        {"s47e_s47_enquiry_id": "S5", "s47e_referral_id": "R5", "s47e_person_id": "C5",
         "s47e_s47_start_date": d("2019-10-05"), "s47e_s47_end_date": d("2019-10-25"),
         "s47e_s47_nfa": "Y"},
    ]  # fmt: skip
    icpc = [
        {"icpc_icpc_id": "IC4", "icpc_s47_enquiry_id": "S4", "icpc_person_id": "C4",
         "icpc_cp_plan_id": "CP4", "icpc_referral_id": "R4",
         "icpc_icpc_target_date": d("2021-06-03"), "icpc_icpc_date": d("2021-06-01"),
         "icpc_icpc_outcome_cp_flag": "Y"},
    ]  # fmt: skip
    cp_plans = [
        {"cppl_cp_plan_id": "CP4A", "cppl_referral_id": "R4A", "cppl_person_id": "C4",
         "cppl_cp_plan_start_date": d("2016-01-10"), "cppl_cp_plan_end_date": d("2016-09-01"),
         "cppl_cp_plan_initial_category": "Physical abuse",
         "cppl_cp_plan_latest_category": "Physical abuse"},
        {"cppl_cp_plan_id": "CP4", "cppl_referral_id": "R4", "cppl_icpc_id": "IC4",
         "cppl_person_id": "C4", "cppl_cp_plan_start_date": d("2021-06-01"),
         "cppl_cp_plan_end_date": d("2022-09-15"), "cppl_cp_plan_initial_category": "Neglect",
         "cppl_cp_plan_latest_category": "Emotional abuse"},
    ]  # fmt: skip
    cp_reviews = [
        {"cppr_person_id": "C4", "cppr_cp_plan_id": "CP4", "cppr_cp_review_date": d(day)}
        for day in ("2021-08-20", "2022-02-10", "2022-08-01")
    ]
    cp_visits = [
        {"cppv_person_id": "C4", "cppv_cp_plan_id": "CP4", "cppv_cp_visit_date": d("2022-03-01"),
         "cppv_cp_visit_seen_alone": "Y"},
    ]  # fmt: skip
    cla_episodes = [
        # C1: short break, then a period of care with a placement move and a care order
        ("E0", "C1", "2018-08-01", "S", "N2", "2018-08-05", "E4A", "CLA0", "PL0"),
        ("E1", "C1", "2019-02-10", "S", "N1", "2019-09-01", "X1", "CLA1", "PL1"),
        ("E2", "C1", "2019-09-01", "P", "N1", "2020-01-15", "X1", "CLA1", "PL2"),
        ("E3", "C1", "2020-01-15", "L", "N1", "2021-06-30", "E4A", "CLA1", "PL2"),
        # C2: adopted
        ("F1", "C2", "2017-05-01", "S", "N1", "2018-03-10", "X1", "CLA2", "PL3"),
        ("F2", "C2", "2018-03-10", "L", "N1", "2019-06-01", "X1", "CLA2", "PL3"),
        ("F3", "C2", "2019-06-01", "P", "N1", "2020-11-30", "E11", "CLA2", "PL4"),
        # C3: UASC, later in supported accommodation, leaves care at 18
        ("G1", "C3", "2019-09-01", "S", "N8", "2020-10-01", "X1", "CLA3", "PL5"),
        ("G2", "C3", "2020-10-01", "P", "N8", "2021-07-01", "E5", "CLA3", "PL6"),
        # C6: looked after since 2014
        ("H1", "C6", "2014-01-01", "S", "N1", "2025-02-01", "X1", "CLA6", "PL7"),
        ("H2", "C6", "2025-02-01", "P", "N1", None, None, "CLA6", "PL8"),
    ]
    entered = {"CLA0": "2018-08-01", "CLA1": "2019-02-10", "CLA2": "2017-05-01",
               "CLA3": "2019-09-01", "CLA6": "2014-01-01"}  # fmt: skip
    episodes = [
        {"clae_cla_episode_id": e, "clae_person_id": p, "clae_cla_episode_start_date": d(s),
         "clae_cla_episode_start_reason": rne, "clae_cla_primary_need_code": need,
         "clae_cla_episode_ceased_date": d(end) if end else None,
         "clae_cla_episode_ceased_reason": rec, "clae_cla_id": cla,
         "clae_cla_placement_id": pl, "clae_entered_care_date": d(entered[cla])}
        for e, p, s, rne, need, end, rec, cla, pl in cla_episodes
    ]  # fmt: skip
    placements = [
        ("PL0", "C1", "CLA0", "2018-08-01", "2018-08-05", "U6", "PR1", None),
        ("PL1", "C1", "CLA1", "2019-02-10", "2019-09-01", "U6", "PR1", "CARPL"),
        ("PL2", "C1", "CLA1", "2019-09-01", "2021-06-30", "U4", "PR4", None),
        ("PL3", "C2", "CLA2", "2017-05-01", "2019-06-01", "U6", "PR1", "CARPL"),
        ("PL4", "C2", "CLA2", "2019-06-01", "2020-11-30", "A6", "PR1", None),
        ("PL5", "C3", "CLA3", "2019-09-01", "2020-10-01", "U6", "PR4", "CHILD"),
        ("PL6", "C3", "CLA3", "2020-10-01", "2021-07-01", "K3", "PR4", None),
        ("PL7", "C6", "CLA6", "2014-01-01", "2025-02-01", "U4", "PR1", "CUSTOD"),
        ("PL8", "C6", "CLA6", "2025-02-01", None, "Z13", None, None),
    ]
    placement = [
        {"clap_cla_placement_id": pid, "clap_person_id": p, "clap_cla_id": cla,
         "clap_cla_placement_start_date": d(s), "clap_cla_placement_end_date": d(e) if e else None,
         "clap_cla_placement_type": kind, "clap_cla_placement_provider": provider,
         "clap_cla_placement_change_reason": reason, "clap_cla_placement_postcode": "ES1 1AA",
         "clap_cla_placement_urn": "SC123456" if kind in {"U4", "U6"} else None}
        for pid, p, cla, s, e, kind, provider, reason in placements
    ]  # fmt: skip
    legal = [
        ("C1", "V3", "2018-08-01", "2018-08-05"),
        ("C1", "V2", "2019-02-10", "2020-01-15"),
        ("C1", "C2", "2020-01-15", "2021-06-30"),
        ("C2", "C1", "2017-05-01", "2018-03-10"),
        ("C2", "E1", "2018-03-10", "2020-11-30"),
        ("C3", "V2", "2019-09-01", "2021-07-01"),
        ("C6", "C2", "2014-01-01", None),
    ]
    legal_status = [
        {"lega_person_id": p, "lega_legal_status": ls, "lega_legal_status_start_date": d(s),
         "lega_legal_status_end_date": d(e) if e else None}
        for p, ls, s, e in legal
    ]  # fmt: skip
    reviews = [
        {"clar_cla_id": "CLA1", "clar_cla_review_date": d("2019-03-05"),
         "clar_cla_review_participation": "PN1", "clar_cla_review_cancelled": "N"},
        {"clar_cla_id": "CLA1", "clar_cla_review_date": d("2019-08-20"),
         "clar_cla_review_participation": "PN1", "clar_cla_review_cancelled": "N"},
        {"clar_cla_id": "CLA1", "clar_cla_review_date": d("2020-02-10"),
         "clar_cla_review_participation": "PN3", "clar_cla_review_cancelled": "N"},
        {"clar_cla_id": "CLA1", "clar_cla_review_date": d("2020-03-01"),
         "clar_cla_review_participation": "PN3", "clar_cla_review_cancelled": "Y"},
    ]  # fmt: skip
    health = [
        {"clah_person_id": "C1", "clah_health_check_type": "Health Assessment",
         "clah_health_check_date": d("2019-03-01"), "clah_health_check_status": "Completed"},
        {"clah_person_id": "C1", "clah_health_check_type": "Health Assessment",
         "clah_health_check_date": d("2020-02-20"), "clah_health_check_status": "Completed"},
        {"clah_person_id": "C1", "clah_health_check_type": "Dental Check",
         "clah_health_check_date": d("2019-04-10"), "clah_health_check_status": "Completed"},
    ]  # fmt: skip
    sdq = [
        {"csdq_person_id": "C1", "csdq_sdq_completed_date": d("2020-01-05"),
         "csdq_sdq_score": "14"},
    ]  # fmt: skip
    immunisations = [{"clai_person_id": "C1", "clai_immunisations_status": "Y"}]
    missing = [
        {"miss_person_id": "C1", "miss_missing_episode_start_date": d("2019-11-02"),
         "miss_missing_episode_type": "Missing", "miss_missing_episode_end_date": d("2019-11-03"),
         "miss_missing_rhi_offered": "Y", "miss_missing_rhi_accepted": "N"},
    ]  # fmt: skip
    immigration = [
        {"immi_person_id": "C3", "immi_immigration_status": "Unaccompanied Asylum Seeking Child",
         "immi_immigration_status_start_date": d("2019-09-01"),
         "immi_immigration_status_end_date": d("2021-07-01")},
    ]  # fmt: skip
    care_leavers = [
        {"clea_person_id": "C3", "clea_care_leaver_eligibility": "Former Relevant",
         "clea_care_leaver_in_touch": "YES", "clea_care_leaver_latest_contact": d("2024-06-20"),
         "clea_care_leaver_accommodation": "U", "clea_care_leaver_accom_suitable": "1",
         "clea_care_leaver_activity": "F5", "clea_pathway_plan_review_date": d("2024-05-01"),
         "clea_care_leaver_personal_advisor": "PA One"},
    ]  # fmt: skip
    permanence = [
        {"perm_person_id": "C2", "perm_cla_id": "CLA2", "perm_adm_decision_date": d("2018-01-20"),
         "perm_placement_order_date": d("2018-03-10"), "perm_matched_date": d("2019-05-15"),
         "perm_placed_for_adoption_date": d("2019-06-01"), "perm_adopted_by_carer_flag": "N",
         "perm_permanence_order_date": d("2020-11-30"), "perm_permanence_order_type": "Adoption",
         "perm_adopter_sex": "MF", "perm_adopter_legal_status": "L11",
         "perm_number_of_adopters": "2"},
    ]  # fmt: skip
    previous_permanence = [
        {"lapp_person_id": "C3", "lapp_previous_permanence_option": "Z1"},
    ]
    professionals = [
        {"prof_professional_id": "W1", "prof_professional_name": "Worker One",
         "prof_social_worker_registration_no": "SW100001"},
        {"prof_professional_id": "W2", "prof_professional_name": "Worker Two",
         "prof_social_worker_registration_no": "SW100002"},
    ]  # fmt: skip
    involvements = [
        {"invo_professional_id": "W1", "invo_person_id": "C1", "invo_professional_team": "T1",
         "invo_involvement_start_date": d("2019-02-10"),
         "invo_involvement_end_date": d("2020-03-01")},
        {"invo_professional_id": "W2", "invo_person_id": "C1", "invo_professional_team": "T1",
         "invo_involvement_start_date": d("2020-03-01"), "invo_involvement_end_date": None,
         "invo_worker_change_reason": "LEFTRL"},
        {"invo_professional_id": "W2", "invo_person_id": "C6", "invo_professional_team": "T1",
         "invo_involvement_start_date": d("2022-05-01"), "invo_involvement_end_date": None},
    ]  # fmt: skip
    contacts = [
        {"cont_contact_id": "K1", "cont_person_id": "C4", "cont_contact_date": d("2021-05-09"),
         "cont_contact_source_code": "6"},
    ]  # fmt: skip
    named: dict[str, list[dict[str, Any]]] = {
        "ssd_person": person,
        "ssd_send": send,
        "ssd_mother": mother,
        "ssd_disability": disability,
        "ssd_contacts": contacts,
        "ssd_cin_episodes": cin_episodes,
        "ssd_cin_assessments": assessments,
        "ssd_assessment_factors": factors,
        "ssd_cin_plans": cin_plans,
        "ssd_s47_enquiry": s47,
        "ssd_initial_cp_conference": icpc,
        "ssd_cp_plans": cp_plans,
        "ssd_cp_reviews": cp_reviews,
        "ssd_cp_visits": cp_visits,
        "ssd_cla_episodes": episodes,
        "ssd_cla_placement": placement,
        "ssd_legal_status": legal_status,
        "ssd_cla_reviews": reviews,
        "ssd_cla_health": health,
        "ssd_sdq_scores": sdq,
        "ssd_cla_immunisations": immunisations,
        "ssd_missing": missing,
        "ssd_immigration_status": immigration,
        "ssd_care_leavers": care_leavers,
        "ssd_permanence": permanence,
        "ssd_cla_previous_permanence": previous_permanence,
        "ssd_professionals": professionals,
        "ssd_involvements": involvements,
    }
    return {name: _frame(rows) for name, rows in named.items()}
