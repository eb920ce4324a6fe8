# ruff: noqa: E501  (the CSV texts below are kept one record per line, as in a real file)
"""A tiny hand-built council written as SSD CSV files, for the ingest tests."""

from __future__ import annotations

from pathlib import Path

SETTINGS = """kind: cscperf-council-settings
council:
  name: Testshire County Council
  short_name: Testshire
  la_code: "999"
  ons_code: E10000999
  region: East of England
source_system: test
localities:
  - name: North
    teams:
      - {id: T1, name: North assessment, type: assessment}
  - name: South
    teams:
      - {id: T2, name: South assessment, type: assessment}
"""

PERSON = """pers_person_id,pers_sex,pers_dob,pers_ethnicity
P1,M,2015-01-02,WBRI
P2,F,03/04/2016,WBRI
P3,F,2010-06-30,AIND
"""

CIN_EPISODES = """cine_referral_id,cine_person_id,cine_referral_date,cine_close_date,cine_cin_primary_need_code
R1,P1,2024-01-10,2024-06-30,N1
R2,P2,2024-02-01,,N2
R3,P3,2023-05-05,2023-09-01,N3
"""

CP_PLANS = """cppl_cp_plan_id,cppl_person_id,cppl_cp_plan_start_date,cppl_cp_plan_end_date,cppl_cp_plan_initial_category
CP1,P1,2024-03-01,2024-06-01,NEG
"""

POPULATION = """time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,old_la_code,new_la_code,la_name,age_group,population_estimate
2024,Reporting year,National,E92000001,England,,,,,,Children aged 0 to 17 years,12183016
2024,Reporting year,Local authority,E92000001,England,E12000006,East of England,999,E10000999,Testshire,Children aged 0 to 17 years,100000
2024,Reporting year,Local authority,E92000001,England,E12000006,East of England,999,E10000999,North,Children aged 0 to 17 years,60000
2024,Reporting year,Local authority,E92000001,England,E12000006,East of England,926,E10000020,Norfolk,Children aged 0 to 17 years,171830
"""


def write_council(folder: Path, **overrides: str) -> Path:
    """Write the tiny council; ``overrides`` replace a file's text by file name."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "council.yaml": SETTINGS,
        "ssd_person.csv": PERSON,
        "ssd_cin_episodes.csv": CIN_EPISODES,
        "ssd_cp_plans.csv": CP_PLANS,
        "population.csv": POPULATION,
    }
    files.update(overrides)
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder
