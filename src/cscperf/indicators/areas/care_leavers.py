"""Care leavers (catalogue ``care_leavers.yaml``).

Owns the ``care_leavers.*`` item tables. Status rows are ``ssd_care_leavers``. When rows
carry their collection year (ids ending ``/YYYY``: the 903 reader keys OC3 rows
``child/year``), the month-end measures use the row of E's collection year and the
birthday-cohort measures the row of the birthday's; otherwise both use each young person's
latest row (highest ``clea_table_id``). Every cohort leaves out
in-touch DIED/RHOM and young people whose only care was short breaks. Where eligibility is
never recorded (903 loads) every status row is taken as former relevant.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.ages import age_at, birthday, with_dob
from cscperf.indicators.blocks.attribution import attribute
from cscperf.indicators.blocks.care import episodes, looked_after_at_month_end, periods
from cscperf.indicators.blocks.care_periods import add_months, care_codes, days_between
from cscperf.indicators.blocks.expressions import counted, first_per_key, rated
from cscperf.indicators.blocks.windows import in_window
from cscperf.indicators.context import Context
from cscperf.indicators.registry import child_list, indicator

LEAVERS = "ssd_care_leavers"
PLACEMENTS = "ssd_cla_placement"


def _upper(value: ir.Value) -> ir.StringValue:
    return value.cast("string").strip().upper()


def status_rows(ctx: Context) -> ir.Table:
    """Status rows with person_id, status_year (null unless the id ends in /YYYY), the
    upper-cased codes, the plan date and the row's own team."""
    raw = ctx.table(LEAVERS, ["clea_person_id"])
    year = raw.clea_table_id.cast("string").re_extract("/([0-9]{4})$", 1)
    return raw.select(
        person_id=raw.clea_person_id,
        row_id=raw.clea_table_id.cast("string"),
        status_year=ibis.ifelse(year.length() == 4, year.cast("int32"), ibis.null("int32")),
        eligibility=_upper(raw.clea_care_leaver_eligibility),
        in_touch=_upper(raw.clea_care_leaver_in_touch),
        accommodation=_upper(raw.clea_care_leaver_accommodation),
        suitable=_upper(raw.clea_care_leaver_accom_suitable),
        activity=_upper(raw.clea_care_leaver_activity),
        plan_date=raw.clea_pathway_plan_review_date,
        own_team=raw.clea_care_leaver_allocated_team.cast("string"),
    )


def short_breaks_only(ctx: Context) -> ir.Table:
    """_sb_person: young people with short-break episodes and no other care."""
    care = episodes(ctx)
    per = care.group_by(_sb_person=care.person_id).aggregate(
        any_care=(~care.is_short_break).any(), any_sb=care.is_short_break.any()
    )
    return per.filter(per.any_sb & ~per.any_care).select("_sb_person")


def without_exclusions(ctx: Context, rows: ir.Table) -> ir.Table:
    """Drop in-touch DIED/RHOM and short-break-only young people."""
    excluded = [str(v).upper() for v in ctx.param("excluded_in_touch")]
    rows = rows.filter(rows.in_touch.isnull() | ~rows.in_touch.isin(excluded))
    only_sb = short_breaks_only(ctx)
    return rows.anti_join(only_sb, rows.person_id == only_sb._sb_person)


def eligibility_recorded(ctx: Context) -> bool:
    return ctx.has_field(LEAVERS, "clea_care_leaver_eligibility")


def has_eligibility(ctx: Context, rows: ir.Table, parameter: str) -> ir.BooleanValue:
    """The row's eligibility is in the list; every row passes where none is ever recorded."""
    if not eligibility_recorded(ctx):
        return ibis.literal(True)
    wanted = [str(v).upper() for v in ctx.param(parameter)]
    return rows.eligibility.isin(wanted).fill_null(False)


def is_eet(ctx: Context, activity: ir.StringValue, on: ir.DateValue) -> ir.BooleanValue:
    """EET by the code list in force on ``on``: F3/P3 count only before the 2021-22 change."""
    current = [str(v).upper() for v in ctx.param("eet_activities")]
    older = [str(v).upper() for v in ctx.param("eet_activities_before_change")]
    changed = ctx.param("eet_codes_changed_on")
    changed_on = changed if isinstance(changed, date) else date.fromisoformat(str(changed))
    return (activity.isin(current) | (activity.isin(older) & (on < changed_on))).fill_null(False)


def is_suitable(ctx: Context, suitable: ir.StringValue) -> ir.BooleanValue:
    values = [str(v).upper() for v in ctx.param("suitable_values")]
    return suitable.isin(values).fill_null(False)


# ------------------------------------------------------------------ current status at E


def leavers_at_month_end(ctx: Context, min_age: int = 16, max_age: int = 21) -> ir.Table:
    """Status rows of young people aged min..max at E who are not LAC_AT(E) and pass the
    cohort exclusions, one row per month end (the status for E, see :func:`status_at`),
    attributed (own team, else at E)."""
    rows = without_exclusions(ctx, statuses_at_month_end(ctx))
    rows = with_dob(ctx, rows)
    age = age_at(rows.dob, rows.period_end)
    rows = rows.filter(age.notnull() & (age >= min_age) & (age <= max_age))
    rows = rows.mutate(age=age_at(rows.dob, rows.period_end))
    in_care = looked_after_at_month_end(ctx).select(_l_person="person_id", _l_end="period_end")
    rows = rows.anti_join(
        in_care, [rows.person_id == in_care._l_person, rows.period_end == in_care._l_end]
    )
    return attribute(ctx, rows, "person_id", "period_end", "own_team")


def statuses_at_month_end(ctx: Context) -> ir.Table:
    """Every young person's status row for each month end (:func:`status_for_year` of the
    month's collection year), made once per run for all the month-end measures."""

    def build() -> ir.Table:
        months = ctx.periods.select("period_end")
        months = months.mutate(collection_year=_financial_year_ending(months.period_end))
        years = months.select("collection_year").distinct()
        # The choice depends on the collection year only: made per year, not per month.
        chosen = status_for_year(status_rows(ctx).cross_join(years))
        joined = chosen.join(months, "collection_year")
        return joined.drop("collection_year")

    return ctx.shared("care leaver status at month end", build, monthly=True)


def status_for_year(rows: ir.Table) -> ir.Table:
    """One status row per young person and ``collection_year``: the row tagged with that
    year (ids ending /YYYY), else an untagged row, else the latest earlier year's, else the
    earliest later year's; ties go to the highest row id. Untagged data (the usual SSD
    extract) thus keeps each young person's latest row for every year."""
    fy = rows.collection_year
    year = rows.status_year
    preference = ibis.cases((year == fy, 0), (year.isnull(), 1), (year < fy, 2), else_=3)
    # Nearest year first: later earlier years, then earlier later years.
    distance = ibis.ifelse(year < fy, fy - year, year - fy).fill_null(0)
    return first_per_key(
        rows, ["person_id", "collection_year"], [preference, distance, rows.row_id.desc()]
    )


def plan_up_to_date(items: ir.Table) -> ir.BooleanValue:
    """Latest plan date p with ADD_MONTHS(E, -6) <= p <= E."""
    p = items.plan_date
    return p.notnull() & (p >= add_months(items.period_end, -6)) & (p <= items.period_end)


def _with_plan_state(items: ir.Table) -> ir.Table:
    """``passes`` as :func:`plan_up_to_date`; ``days_overdue`` the days the latest plan is
    older than ADD_MONTHS(E, -6), the oldest that still counts (null without a plan, or with
    one dated after E, which does not count)."""
    oldest = add_months(items.period_end, -6)
    overdue = days_between(items.plan_date, oldest)
    return items.mutate(
        passes=plan_up_to_date(items),
        days_overdue=ibis.ifelse(items.plan_date <= items.period_end, overdue, ibis.null("int64")),
    )


PLAN_COLUMNS = (("plan_date", "Latest pathway plan"),)
PLAN_OVERDUE = "Days older than six months"


@indicator("care_leavers.count")
def care_leavers_count(ctx: Context) -> ir.Table:
    rows = without_exclusions(ctx, statuses_at_month_end(ctx))
    rows = rows.filter(has_eligibility(ctx, rows, "counted_eligibility"))
    rows = with_dob(ctx, rows)
    age = age_at(rows.dob, rows.period_end)
    rows = rows.filter(age.notnull() & (age >= 16) & (age <= int(ctx.param("max_age"))))
    return counted(attribute(ctx, rows, "person_id", "period_end", "own_team"))


@child_list(
    "care_leavers.eligible_pathway_plan_pct",
    act_on_passing=False,
    columns=PLAN_COLUMNS,
    describes="Eligible young people in care without a pathway plan in the last six months",
    overdue=PLAN_OVERDUE,
)
def eligible_pathway_plan_items(ctx: Context) -> ir.Table:
    """The eligible young people of the figure, ``passes`` with an up-to-date plan."""
    ctx.table(LEAVERS, ["clea_pathway_plan_review_date"])
    children = with_dob(ctx, looked_after_at_month_end(ctx))
    children = children.filter(
        children.dob.notnull()
        & (add_months(children.dob, 195) <= children.period_end)
        & (age_at(children.dob, children.period_end) < 18)
    )
    latest = statuses_at_month_end(ctx).select(
        _s_person="person_id", _s_end="period_end", _s_elig="eligibility", plan_date="plan_date"
    )
    children = children.left_join(
        latest,
        [children.person_id == latest._s_person, children.period_end == latest._s_end],
    )
    # Days looked after since the 14th birthday, up to and including E.
    care = episodes(ctx)
    care = care.filter(~care.is_short_break).select(
        _e_person="person_id", _e_start="start", _e_end="end"
    )
    keys = children.select(
        _k_person="person_id", _k_end="period_end", _k_b14=birthday(children.dob, 14)
    ).distinct()
    spans = keys.join(care, [keys._k_person == care._e_person, care._e_start <= keys._k_end])
    day_after = (spans._k_end + ibis.interval(days=1)).cast("date")
    upper = ibis.least(spans._e_end.fill_null(day_after), day_after)
    lower = ibis.greatest(spans._e_start, spans._k_b14)
    days = upper.delta(lower, unit="day")
    spans = spans.mutate(_days=ibis.ifelse(days > 0, days, 0))
    totals = spans.group_by(["_k_person", "_k_end"]).aggregate(days=spans._days.sum())
    children = children.left_join(
        totals, [children.person_id == totals._k_person, children.period_end == totals._k_end]
    )
    eligible_status = str(ctx.param("eligible_status")).upper()
    recorded = children._s_elig.notnull() & (children._s_elig != "")
    eligible = ibis.ifelse(
        recorded,
        children._s_elig == eligible_status,
        children.days.fill_null(0) >= int(ctx.param("eligible_days_since_14")),
    )
    return _with_plan_state(children.filter(eligible))


@indicator("care_leavers.eligible_pathway_plan_pct")
def eligible_pathway_plan(ctx: Context) -> ir.Table:
    items = eligible_pathway_plan_items(ctx)
    return rated(items, items.passes)


def _rcl_frcl(ctx: Context, min_age: int, max_age: int) -> ir.Table:
    rows = leavers_at_month_end(ctx, min_age, max_age)
    return rows.filter(has_eligibility(ctx, rows, "leaver_eligibility"))


def _pathway_items(ctx: Context, min_age: int, max_age: int) -> ir.Table:
    ctx.table(LEAVERS, ["clea_pathway_plan_review_date"])
    rows = _rcl_frcl(ctx, min_age, max_age)
    nreq = str(ctx.param("no_longer_requires")).upper()
    return _with_plan_state(rows.filter(rows.in_touch.isnull() | (rows.in_touch != nreq)))


def _pathway(ctx: Context, min_age: int, max_age: int) -> ir.Table:
    items = _pathway_items(ctx, min_age, max_age)
    return rated(items, items.passes)


@child_list(
    "care_leavers.rcl_frcl_pathway_plan_pct",
    act_on_passing=False,
    columns=PLAN_COLUMNS,
    describes="Relevant and former relevant care leavers without a pathway plan in the last "
    "six months",
    overdue=PLAN_OVERDUE,
)
def rcl_frcl_pathway_plan_items(ctx: Context) -> ir.Table:
    return _pathway_items(ctx, 16, 21)


@indicator("care_leavers.rcl_frcl_pathway_plan_pct")
def rcl_frcl_pathway_plan(ctx: Context) -> ir.Table:
    return _pathway(ctx, 16, 21)


@child_list(
    "care_leavers.pathway_plan_17_18_pct",
    act_on_passing=False,
    columns=PLAN_COLUMNS,
    describes="Care leavers aged 17 or 18 without a pathway plan in the last six months",
    overdue=PLAN_OVERDUE,
)
def pathway_plan_17_18_items(ctx: Context) -> ir.Table:
    return _pathway_items(ctx, 17, 18)


@indicator("care_leavers.pathway_plan_17_18_pct")
def pathway_plan_17_18(ctx: Context) -> ir.Table:
    return _pathway(ctx, 17, 18)


@child_list(
    "care_leavers.pathway_plan_19_21_pct",
    act_on_passing=False,
    columns=PLAN_COLUMNS,
    describes="Care leavers aged 19 to 21 without a pathway plan in the last six months",
    overdue=PLAN_OVERDUE,
)
def pathway_plan_19_21_items(ctx: Context) -> ir.Table:
    return _pathway_items(ctx, 19, 21)


@indicator("care_leavers.pathway_plan_19_21_pct")
def pathway_plan_19_21(ctx: Context) -> ir.Table:
    return _pathway(ctx, 19, 21)


@indicator("care_leavers.rcl_frcl_suitable_accommodation_pct")
def rcl_frcl_suitable(ctx: Context) -> ir.Table:
    ctx.table(LEAVERS, ["clea_care_leaver_accom_suitable"])
    rows = _rcl_frcl(ctx, 16, 21)
    excluded = [str(v).upper() for v in ctx.param("excluded_accommodation")]
    rows = rows.filter(rows.accommodation.isnull() | ~rows.accommodation.isin(excluded))
    return rated(rows, is_suitable(ctx, rows.suitable))


@indicator("care_leavers.rcl_frcl_eet_pct")
def rcl_frcl_eet(ctx: Context) -> ir.Table:
    ctx.table(LEAVERS, ["clea_care_leaver_activity"])
    rows = _rcl_frcl(ctx, 16, 21)
    return rated(rows, is_eet(ctx, rows.activity, rows.period_end))


# ------------------------------------------------------------------ birthday cohorts


def _financial_year_ending(day: ir.DateValue) -> ir.IntegerValue:
    return ibis.ifelse(day.month() >= 4, day.year() + 1, day.year())


def birthday_cohort(ctx: Context, ages: tuple[int, ...]) -> ir.Table:
    """Young people with the birthday B of one of ``ages`` in the R12 window of a month,
    out of care by then (before B for a 17th birthday, on or before B otherwise), with the
    status row for B, eligible as relevant or former relevant, without the exclusions."""
    ages_text = ", ".join(str(n) for n in ages)
    cohort = ctx.shared(
        f"care leavers with a birthday ({ages_text}) in the year",
        lambda: _birthday_rows(ctx, ages),
        monthly=True,
    )
    cohort = cohort.filter(has_eligibility(ctx, cohort, "leaver_eligibility"))
    return without_exclusions(ctx, cohort)


def _birthday_rows(ctx: Context, ages: tuple[int, ...]) -> ir.Table:
    """The birthday cohort before eligibility and exclusions (which read the indicator's own
    parameters), attributed to the row's team, else the allocated worker's on B."""
    people = with_dob(ctx, status_rows(ctx).select("person_id").distinct())
    people = people.filter(people.dob.notnull())
    parts = [
        people.select("person_id", "dob", age=ibis.literal(n), birthday=birthday(people.dob, n))
        for n in ages
    ]
    births = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    cohort = in_window(ctx, births, "birthday", "rolling_12m")
    # Still in care at B: a period of care covering B (for a 17th birthday an ending on B too).
    pocs = periods(ctx).select(_c_person="person_id", _c_start="poc_start", _c_end="poc_end")
    covering = (
        cohort.join(
            pocs,
            [
                cohort.person_id == pocs._c_person,
                pocs._c_start <= cohort.birthday,
                pocs._c_end.isnull()
                | (pocs._c_end > cohort.birthday)
                | ((cohort.age == 17) & (pocs._c_end == cohort.birthday)),
            ],
        )
        .select(_x_person="person_id", _x_birthday="birthday")
        .distinct()
    )
    cohort = cohort.anti_join(
        covering,
        [cohort.person_id == covering._x_person, cohort.birthday == covering._x_birthday],
    )
    # The status row for the birthday: that of its collection year, else the latest row.
    rows = status_rows(ctx)
    cohort = cohort.mutate(_fy=_financial_year_ending(cohort.birthday))
    matched = cohort.join(
        rows,
        [
            cohort.person_id == rows.person_id,
            rows.status_year.isnull() | (rows.status_year == cohort._fy),
        ],
    )
    chosen = first_per_key(
        matched, ["person_id", "period_end"], [matched.status_year.isnull(), matched.row_id.desc()]
    )
    return attribute(ctx, chosen, "person_id", "birthday", "own_team")


def _suitable_cohort(ctx: Context, ages: tuple[int, ...]) -> ir.Table:
    ctx.table(LEAVERS, ["clea_care_leaver_accom_suitable"])
    cohort = birthday_cohort(ctx, ages)
    excluded = [str(v).upper() for v in ctx.param("excluded_accommodation")]
    cohort = cohort.filter(cohort.accommodation.isnull() | ~cohort.accommodation.isin(excluded))
    return rated(cohort, is_suitable(ctx, cohort.suitable))


@indicator("care_leavers.suitable_accommodation_17_18_pct")
def suitable_17_18(ctx: Context) -> ir.Table:
    return _suitable_cohort(ctx, (17, 18))


@indicator("care_leavers.suitable_accommodation_19_21_pct")
def suitable_19_21(ctx: Context) -> ir.Table:
    return _suitable_cohort(ctx, (19, 20, 21))


def _eet_cohort(ctx: Context, ages: tuple[int, ...]) -> ir.Table:
    ctx.table(LEAVERS, ["clea_care_leaver_activity"])
    cohort = birthday_cohort(ctx, ages)
    return rated(cohort, is_eet(ctx, cohort.activity, cohort.birthday))


@indicator("care_leavers.eet_17_18_pct")
def eet_17_18(ctx: Context) -> ir.Table:
    return _eet_cohort(ctx, (17, 18))


@indicator("care_leavers.eet_19_21_pct")
def eet_19_21(ctx: Context) -> ir.Table:
    return _eet_cohort(ctx, (19, 20, 21))


def _in_touch_items(ctx: Context, ages: tuple[int, ...]) -> ir.Table:
    """The birthday cohort, ``passes`` when the council is in touch."""
    ctx.table(LEAVERS, ["clea_care_leaver_in_touch"])
    cohort = birthday_cohort(ctx, ages)
    yes = [str(v).upper() for v in ctx.param("in_touch_yes")]
    birthday = cohort.birthday.cast("date")
    return cohort.mutate(
        birthday=birthday,
        passes=cohort.in_touch.isin(yes).fill_null(False),
        days_overdue=days_between(birthday, cohort.period_end),
    )


IN_TOUCH_COLUMNS = (("birthday", "Birthday in the year"), ("in_touch", "In touch (as recorded)"))


@child_list(
    "care_leavers.in_touch_17_18_pct",
    act_on_passing=False,
    columns=IN_TOUCH_COLUMNS,
    describes="Care leavers with a 17th or 18th birthday in the year the council is not in "
    "touch with",
    overdue="Days since the birthday",
)
def in_touch_17_18_items(ctx: Context) -> ir.Table:
    return _in_touch_items(ctx, (17, 18))


@indicator("care_leavers.in_touch_17_18_pct")
def in_touch_17_18(ctx: Context) -> ir.Table:
    items = in_touch_17_18_items(ctx)
    return rated(items, items.passes)


@child_list(
    "care_leavers.in_touch_19_21_pct",
    act_on_passing=False,
    columns=IN_TOUCH_COLUMNS,
    describes="Care leavers with a 19th to 21st birthday in the year the council is not in "
    "touch with",
    overdue="Days since the birthday",
)
def in_touch_19_21_items(ctx: Context) -> ir.Table:
    return _in_touch_items(ctx, (19, 20, 21))


@indicator("care_leavers.in_touch_19_21_pct")
def in_touch_19_21(ctx: Context) -> ir.Table:
    items = in_touch_19_21_items(ctx)
    return rated(items, items.passes)


@indicator("care_leavers.staying_put_18_pct")
def staying_put(ctx: Context) -> ir.Table:
    ctx.table(LEAVERS, ["clea_care_leaver_accommodation"])
    placements = ctx.table(
        PLACEMENTS, ["clap_person_id", "clap_cla_placement_start_date", "clap_cla_placement_type"]
    )
    people = with_dob(ctx, status_rows(ctx).select("person_id").distinct())
    people = people.filter(people.dob.notnull())
    births = people.select("person_id", birthday=birthday(people.dob, 18))
    cohort = in_window(ctx, births, "birthday", "rolling_12m")
    pocs = periods(ctx).select(_c_person="person_id", _c_start="poc_start", _c_end="poc_end")
    ended = cohort.join(pocs, [cohort.person_id == pocs._c_person, pocs._c_end == cohort.birthday])
    # The placement the young person was in when care ended: the last one starting before.
    pl = placements.select(
        _p_person=placements.clap_person_id,
        _p_start=placements.clap_cla_placement_start_date,
        _p_type=_upper(placements.clap_cla_placement_type),
    )
    with_pl = ended.join(
        pl,
        [
            ended.person_id == pl._p_person,
            pl._p_start < ended.birthday,
            pl._p_start >= ended._c_start,
        ],
    )
    last = first_per_key(with_pl, ["person_id", "period_end"], [with_pl._p_start.desc()])
    foster = [t.upper() for t in care_codes().foster_placement_types]
    last = last.filter(last._p_type.isin(foster)).select("person_id", "period_end", "birthday")
    rows = status_rows(ctx)
    last = last.mutate(_fy=_financial_year_ending(last.birthday))
    matched = last.join(
        rows,
        [
            last.person_id == rows.person_id,
            rows.status_year.isnull() | (rows.status_year == last._fy),
        ],
    )
    chosen = first_per_key(
        matched, ["person_id", "period_end"], [matched.status_year.isnull(), matched.row_id.desc()]
    )
    chosen = chosen.filter(has_eligibility(ctx, chosen, "counted_eligibility"))
    chosen = without_exclusions(ctx, chosen)
    chosen = attribute(ctx, chosen, "person_id", "birthday", "own_team")
    z = str(ctx.param("staying_put_accommodation")).upper()
    return rated(chosen, chosen.accommodation.startswith(z).fill_null(False))
