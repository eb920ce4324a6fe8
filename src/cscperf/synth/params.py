"""The simulation's parameters: ``parameters.yaml`` read and validated.

Every rate, share and duration the microsimulation uses lives in the YAML, each with a comment
naming the published England figure it was set from; this module only checks its shape
(probabilities between 0 and 1, distributions that sum to 1).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cscperf.errors import ConfigError

Share = float


def _check_distribution(value: dict[str, float]) -> dict[str, float]:
    total = sum(value.values())
    if abs(total - 1.0) > 0.011:
        raise ValueError(f"shares must add up to 1, not {total:.3f}")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Population(_Section):
    children_0_17: int
    migration_in_rate: float
    migration_out_rate: float
    warmup_years: int
    history_years: int


class Demand(_Section):
    referral_rate: float
    frailty_shape: float
    follow_on_probability: Share
    follow_on_median_days: float
    follow_on_sigma: float
    age_multiplier: dict[str, float]
    contact_ratio: float
    uasc_rate: float
    trend_per_year: float
    referral_seasonality: list[float] = Field(min_length=12, max_length=12)
    locality_demand: dict[str, float]

    @field_validator("referral_seasonality")
    @classmethod
    def _mean_one(cls, value: list[float]) -> list[float]:
        if abs(sum(value) / 12 - 1.0) > 0.005:
            raise ValueError(f"monthly multipliers must average 1, not {sum(value) / 12:.3f}")
        return value


class Referral(_Section):
    source: dict[str, float]
    nfa_probability: Share
    not_in_need_probability: Share
    early_help_step_down: Share

    _source = field_validator("source")(_check_distribution)


class Assessment(_Section):
    start_delay_max_working_days: int
    median_working_days: float
    sigma: float


class Protection(_Section):
    s47_probability: Share
    s47_median_working_days: float
    icpc_probability: Share
    icpc_median_working_days: float
    substantiated_no_risk: Share
    cp_plan_probability: Share
    repeat_s47_multiplier: float
    repeat_cp_multiplier: float
    plan_median_days: float
    plan_sigma: float
    long_plan_probability: Share
    visit_interval_days: int
    review_late_probability: Share
    care_after_plan: Share
    cin_step_down: Share


class ChildInNeed(_Section):
    plan_probability: Share
    plan_median_days: float
    plan_sigma: float
    visit_interval_days: int
    direct_care_probability: Share


class Care(_Section):
    legal_status_at_start: dict[str, float]
    interim_to_full_order_days: int
    exit_routes_under_5: dict[str, float]
    exit_routes_5_to_15: dict[str, float]
    exit_routes_16_plus: dict[str, float]
    return_home_median_days: float
    return_home_sigma: float
    sgo_median_days: float
    adoption_decision_days: float
    adoption_match_days: float
    adoption_placed_days: float
    adoption_order_days: float
    adoption_reversal: Share
    placement_moves_first_year: float
    placement_moves_later_per_year: float
    review_late_probability: Share
    placement_mix_under_16: dict[str, float]
    placement_mix_16_plus: dict[str, float]
    drift_reference_day: date
    residential_growth_per_year: float
    agency_fostering_share: Share
    agency_fostering_change_per_year: float
    short_breaks_probability: Share
    short_breaks_per_year: float
    missing_rate_teen: float
    missing_rate_child: float
    missing_children_share: Share
    return_interview_offered: Share
    return_interview_accepted: Share
    health_assessment_done: Share
    dental_check_done: Share
    immunisations_up_to_date: Share
    sdq_mean: float
    sdq_sd: float
    review_interval_days: int
    visit_interval_days: int

    _dists = field_validator(
        "legal_status_at_start",
        "exit_routes_under_5",
        "exit_routes_5_to_15",
        "exit_routes_16_plus",
        "placement_mix_under_16",
        "placement_mix_16_plus",
    )(_check_distribution)


class CareLeavers(_Section):
    in_touch: Share
    staying_put: Share
    activity_17_18: dict[str, float]
    activity_19_21: dict[str, float]
    accommodation: dict[str, float]
    suitable: Share
    pathway_plan_up_to_date: Share

    _dists = field_validator("activity_17_18", "activity_19_21", "accommodation")(
        _check_distribution
    )


class EarlyHelp(_Section):
    rate: float
    median_days: float


class Workforce(_Section):
    cases_per_worker: float
    agency_share: Share
    unqualified_share: Share


class CodeChange(_Section):
    old: str
    new: str
    from_: date = Field(alias="from")


class Parameters(_Section):
    population: Population
    demand: Demand
    referral: Referral
    primary_need: dict[str, float]
    assessment: Assessment
    protection: Protection
    child_in_need: ChildInNeed
    care: Care
    care_leavers: CareLeavers
    early_help: EarlyHelp
    workforce: Workforce
    code_changes: list[CodeChange]

    _need = field_validator("primary_need")(_check_distribution)


@cache
def load_parameters() -> Parameters:
    """The packaged parameters, validated once."""
    text = resources.files("cscperf.synth").joinpath("parameters.yaml").read_text("utf-8")
    try:
        return Parameters.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise ConfigError(
            f"cscperf/synth/parameters.yaml is not valid ({exc.error_count()} problems: "
            f"{exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}); fix the packaged file."
        ) from exc
