"""Ages in completed years and birthdays (a 29 February birthday falls on 1 March in other
years), and a child's date of birth from ``ssd_person``."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cscperf.indicators.blocks.care_periods import add_months
from cscperf.indicators.blocks.expressions import first_per_key
from cscperf.indicators.context import Context

PERSON = "ssd_person"


def age_at(dob: ir.DateValue, when: ir.DateValue) -> ir.IntegerValue:
    """AGE(when): completed years. Comparing (month, day) pairs makes a 29 February child a
    year older on 1 March in a non-leap year, as the spec says."""
    before_birthday = (when.month() < dob.month()) | (
        (when.month() == dob.month()) & (when.day() < dob.day())
    )
    return when.year() - dob.year() - ibis.ifelse(before_birthday, 1, 0)


def birthday(dob: ir.DateValue, years: int) -> ir.DateValue:
    """The date of the ``years``-th birthday; 29 February births have it on 1 March in
    non-leap years (ADD_MONTHS alone would give 28 February)."""
    shifted = add_months(dob, 12 * years)
    leap_day_moved = (dob.month() == 2) & (dob.day() == 29) & (shifted.day() == 28)
    return ibis.ifelse(leap_day_moved, (shifted + ibis.interval(days=1)).cast("date"), shifted)


def with_dob(ctx: Context, items: ir.Table, person_column: str = "person_id") -> ir.Table:
    """Adds ``dob`` from ssd_person (null when the person table is missing)."""
    people = ctx.optional_table(PERSON, ["pers_person_id", "pers_dob"])
    if people is None:
        return items.mutate(dob=ibis.null("date"))
    people = people.select(_dob_person=people.pers_person_id, dob=people.pers_dob)
    people = first_per_key(people, ["_dob_person"], [people.dob])
    joined = items.left_join(people, items[person_column] == people._dob_person)
    return joined.drop("_dob_person")
