"""Cross-table data-quality checks on the merged canonical tables.

Owns the rules that need more than one row or one table to decide: required fields, code
lists, date order (start <= end, events not before birth), overlapping episodes or plans for
one child, records pointing at people or episodes that are missing, and children found where
another record should exist but does not. The parameters of each check are data, in
``quality_rules.yaml``, which also catalogues every rule id a load can report.

Each problem names the file and row the offending record came from (the ``_source_file`` /
``_source_row`` provenance columns) and never a child's identifier.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache
from typing import Literal, Protocol

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict

from cscperf.paths import package_data
from cscperf.sources.base import Problem, Severity
from cscperf.sources.canonical import SOURCE_FILE, SOURCE_ROW, canonical_tables
from cscperf.sources.codesets import ssda903_spec, ssda903_year

# Open-ended episodes and plans run to "the end of time" when looking for overlaps.
OPEN_END = date(9999, 12, 31)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogueEntry(Strict):
    id: str
    severity: str
    checks: str
    action: str


class RequiredWhen(Strict):
    table: str
    field: str
    when: str  # the field is needed only when this field holds one of ``values``
    values: list[str]


class RequiredRule(Strict):
    key_severity: Severity
    other_severity: Severity
    only_when: list[RequiredWhen] = []


class CodeRule(Strict):
    table: str
    field: str
    codes: list[str]
    severity: Severity = Severity.WARNING


class CodeForYearRule(Strict):
    """A field whose SSDA903 code list changes by collection year, checked by a record's date."""

    table: str
    field: str
    date: str
    return_column: str  # "episodes.PLACE": the 903 table and column holding the same codes
    what: str
    severity: Severity = Severity.WARNING


class NeededDate(Strict):
    table: str
    field: str
    severity: Severity = Severity.ERROR


class DateOrderRule(Strict):
    table: str
    start: str
    end: str
    severity: Severity = Severity.ERROR


class AfterBirthRule(Strict):
    table: str
    person: str
    date: str
    severity: Severity = Severity.WARNING


class ShortBreaks(Strict):
    """Episodes that are short breaks (legal status in ``codes`` on their first day), whose
    overlaps are reported at ``severity`` instead of the rule's."""

    codes: list[str]
    severity: Severity


class OverlapRule(Strict):
    table: str
    person: str
    start: str
    end: str
    severity: Severity
    what: str
    short_breaks: ShortBreaks | None = None


class Span(Strict):
    table: str
    person: str
    start: str
    end: str
    what: str


class ExpectedWithinRule(Strict):
    table: str
    person: str
    date: str
    what: str
    within: Span
    severity: Severity = Severity.WARNING


class QualityRules(Strict):
    catalogue: list[CatalogueEntry]
    required: RequiredRule
    ignore_foreign_keys: list[str]
    codes: list[CodeRule]
    codes_for_year: list[CodeForYearRule]
    needed_dates: list[NeededDate]
    date_order: list[DateOrderRule]
    after_birth: list[AfterBirthRule]
    overlaps: list[OverlapRule]
    expected_within: list[ExpectedWithinRule]


@cache
def quality_rules() -> QualityRules:
    path = package_data("sources", "quality_rules.yaml")
    return QualityRules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def rule_catalogue() -> dict[str, CatalogueEntry]:
    return {entry.id: entry for entry in quality_rules().catalogue}


def _with_provenance(df: pl.DataFrame) -> pl.DataFrame:
    missing = []
    if SOURCE_FILE not in df.columns:
        missing.append(pl.lit(None, pl.String).alias(SOURCE_FILE))
    if SOURCE_ROW not in df.columns:
        missing.append(pl.lit(None, pl.Int64).alias(SOURCE_ROW))
    return df.with_columns(missing) if missing else df


def _rows(bad: pl.DataFrame) -> list[tuple[str, int | None]]:
    bad = _with_provenance(bad)
    return [
        (str(f or ""), None if r is None else int(r))
        for f, r in zip(bad.get_column(SOURCE_FILE), bad.get_column(SOURCE_ROW), strict=True)
    ]


def _iso(value: object) -> str:
    return "" if value is None else str(value)


class _TableRule(Protocol):
    @property
    def table(self) -> str: ...
    @property
    def severity(self) -> Severity: ...


def _found(
    rule: _TableRule,
    rule_id: str,
    where: tuple[str, int | None],
    field: str,
    message: str,
    value: str | None = None,
) -> Problem:
    """A finding of ``rule`` (its table and severity) at ``where`` (file, row)."""
    file, row = where
    return Problem(
        file=file,
        rule=rule_id,
        severity=rule.severity,
        row=row,
        field=field,
        value=value,
        table=rule.table,
        message=message,
    )


def check_required(name: str, df: pl.DataFrame) -> list[Problem]:
    """Blank required fields (the SSD's required validators and primary keys)."""
    spec = canonical_tables()[name]
    rule = quality_rules().required
    problems = []
    for field in spec.required_fields:
        if field not in df.columns:
            continue
        essential = field in spec.key or field.endswith("_person_id")
        severity = rule.key_severity if essential else rule.other_severity
        bad = df.filter(pl.col(field).is_null())
        for when in rule.only_when:
            if (when.table, when.field) == (name, field) and when.when in df.columns:
                wanted = [v.upper() for v in when.values]
                value = pl.col(when.when).cast(pl.String).str.strip_chars().str.to_uppercase()
                bad = bad.filter(value.is_in(wanted).fill_null(False))
        for file, row in _rows(bad):
            problems.append(
                Problem(
                    file=file,
                    rule="required-field",
                    severity=severity,
                    row=row,
                    field=field,
                    table=name,
                    message=f"{field} is blank but every {name} row needs it; fill it in "
                    "or fix the extract",
                )
            )
    return problems


def check_codes(rule: CodeRule, df: pl.DataFrame) -> list[Problem]:
    allowed = [c.upper() for c in rule.codes]
    value = pl.col(rule.field).str.strip_chars().str.to_uppercase()
    bad = df.filter(pl.col(rule.field).is_not_null() & ~value.is_in(allowed))
    values = bad.get_column(rule.field).to_list()
    return [
        _found(
            rule,
            "code-not-valid",
            where,
            rule.field,
            f"{str(code)[:20]} is not a valid code for {rule.field} (valid: "
            f"{', '.join(rule.codes)}); map it to one of them",
            value=str(code)[:20],
        )
        for where, code in zip(_rows(bad), values, strict=True)
    ]


def collection_year_of(day: date) -> int:
    """The collection year a date falls in: 1 April 2024 to 31 March 2025 is 2025."""
    return day.year + 1 if day.month >= 4 else day.year


def codes_in_year(return_column: str, year: int) -> frozenset[str]:
    """The 903 codes of ``return_column`` ("table.COLUMN") in a collection year."""
    table, _, column = return_column.partition(".")
    found = ssda903_year(year).tables.get(table)
    return found.columns[column].codes if found and column in found.columns else frozenset()


def check_codes_for_year(rule: CodeForYearRule, df: pl.DataFrame) -> list[Problem]:
    """Codes valid in some collection year but not in the one the record's date falls in
    (a placement type K3 recorded before 2025, H5 after 2024). Codes never valid are left to
    the code lists, and records without a date to the missing-date rule."""
    spec = ssda903_spec()
    ever: set[str] = set()
    for year in range(spec.first_year, spec.last_year + 1):
        ever |= codes_in_year(rule.return_column, year)
    code = pl.col(rule.field).str.strip_chars().str.to_uppercase()
    data = (
        _with_provenance(df)
        .filter(pl.col(rule.date).is_not_null() & code.is_in(sorted(ever)))
        .with_columns(code.alias("_code"))
    )
    if data.height == 0:
        return []
    problems = []
    days = data.get_column(rule.date).to_list()
    for where, value, day in zip(_rows(data), data.get_column("_code"), days, strict=True):
        year = collection_year_of(day)
        valid = codes_in_year(rule.return_column, year)
        if value in valid:
            continue
        years = [y for y in range(spec.first_year, spec.last_year + 1)
                 if value in codes_in_year(rule.return_column, y)]  # fmt: skip
        problems.append(
            _found(
                rule,
                "code-not-valid-for-year",
                where,
                rule.field,
                f"{value} is not a {rule.what} in the {year} collection year "
                f"(1 April {year - 1} to 31 March {year}), when this record's {rule.date} "
                f"{_iso(day)} falls; it is valid in {_years_text(years)}; record the code "
                "in use on that date",
                value=value,
            )
        )
    return problems


def _years_text(years: list[int]) -> str:
    """2019, 2020, 2021 -> "2019 to 2021"; the years are always a run in the code sets."""
    return str(years[0]) if len(years) == 1 else f"{years[0]} to {years[-1]}"


def check_needed_date(rule: NeededDate, df: pl.DataFrame) -> list[Problem]:
    bad = df.filter(pl.col(rule.field).is_null())
    return [
        _found(
            rule,
            "missing-date",
            where,
            rule.field,
            f"{rule.field} is blank, so this record cannot be placed in time and "
            "is not counted; fill in the date",
        )
        for where in _rows(bad)
    ]


def check_date_order(rule: DateOrderRule, df: pl.DataFrame) -> list[Problem]:
    bad = df.filter(pl.col(rule.end) < pl.col(rule.start))
    starts, ends = bad.get_column(rule.start).to_list(), bad.get_column(rule.end).to_list()
    return [
        _found(
            rule,
            "end-before-start",
            where,
            rule.end,
            f"{rule.end} {_iso(end)} is before {rule.start} {_iso(start)}; correct the dates",
            value=_iso(end),
        )
        for where, start, end in zip(_rows(bad), starts, ends, strict=True)
    ]


def check_after_birth(
    rule: AfterBirthRule, df: pl.DataFrame, person: pl.DataFrame
) -> list[Problem]:
    births = person.select(
        pl.col("pers_person_id").alias(rule.person), pl.col("pers_dob").alias("_dob")
    ).unique(subset=[rule.person], keep="last")
    joined = df.join(births, on=rule.person, how="inner")
    bad = joined.filter(pl.col(rule.date) < pl.col("_dob"))
    dates, dobs = bad.get_column(rule.date).to_list(), bad.get_column("_dob").to_list()
    return [
        _found(
            rule,
            "date-before-birth",
            where,
            rule.date,
            f"{rule.date} {_iso(when)} is before the child's date of birth "
            f"{_iso(dob)}; check both dates",
            value=_iso(when),
        )
        for where, when, dob in zip(_rows(bad), dates, dobs, strict=True)
    ]


def short_break_episodes(
    episodes: pl.DataFrame, legal_status: pl.DataFrame | None, codes: list[str]
) -> pl.Series:
    """For each looked-after episode, whether it is a short break: a legal status in ``codes``
    (V3/V4) open on the day the episode starts (spec section 6, SB)."""
    if legal_status is None or legal_status.height == 0 or episodes.height == 0:
        return pl.Series("short_break", [False] * episodes.height)
    statuses = legal_status.select(
        pl.col("lega_person_id").alias("_person"),
        pl.col("lega_legal_status_start_date").alias("_from"),
        pl.col("lega_legal_status_end_date").fill_null(OPEN_END).alias("_to"),
        pl.col("lega_legal_status").str.strip_chars().str.to_uppercase().alias("_status"),
    ).filter(pl.col("_status").is_in([c.upper() for c in codes]))
    day = pl.col("clae_cla_episode_start_date")
    numbered = episodes.select("clae_person_id", "clae_cla_episode_start_date").with_row_index("_i")
    breaks = (
        numbered.join(statuses, left_on="clae_person_id", right_on="_person")
        .filter((pl.col("_from") <= day) & ((day < pl.col("_to")) | (pl.col("_from") == day)))
        .select("_i")
        .unique()
    )
    return numbered.get_column("_i").is_in(breaks.get_column("_i").to_list()).alias("short_break")


def check_looked_after_overlaps(
    rule: OverlapRule, df: pl.DataFrame, legal_status: pl.DataFrame | None
) -> list[Problem]:
    """Overlapping looked-after episodes: an error between two care episodes; a warning when
    a short break is one of them, since short breaks are set aside before any looked-after
    measure is worked out (spec section 6) and so cannot make a count wrong."""
    if rule.short_breaks is None:
        return check_overlaps(rule, df)
    is_break = short_break_episodes(df, legal_status, rule.short_breaks.codes)
    care = check_overlaps(rule, df.filter(~is_break))
    reported = {(p.file, p.row) for p in care}
    softer = rule.model_copy(update={"severity": rule.short_breaks.severity})
    with_breaks = [
        replace(
            p,
            message=p.message.replace(
                "; close the earlier one first",
                "; one of them is a short break, so no looked-after figure is affected, but "
                "check the dates",
            ),
        )
        for p in check_overlaps(softer, df)
        if (p.file, p.row) not in reported
    ]
    return care + with_breaks


def check_overlaps(rule: OverlapRule, df: pl.DataFrame) -> list[Problem]:
    """A record that starts before an earlier-starting record of the same child has ended.

    Touching records (one ends the day the next starts) do not overlap: that is how a new
    looked-after episode follows the previous one."""
    data = _with_provenance(df).filter(
        pl.col(rule.person).is_not_null() & pl.col(rule.start).is_not_null()
    )
    data = data.sort([rule.person, rule.start, rule.end], nulls_last=True).with_columns(
        pl.col(rule.end).fill_null(OPEN_END).alias("_end")
    )
    data = data.with_columns(
        pl.col("_end").cum_max().shift(1).over(rule.person).alias("_prev_end"),
        pl.col(SOURCE_ROW).shift(1).over(rule.person).alias("_prev_row"),
    )
    bad = data.filter(pl.col(rule.start) < pl.col("_prev_end"))
    starts = bad.get_column(rule.start).to_list()
    ends = bad.get_column("_prev_end").to_list()
    prev_rows = bad.get_column("_prev_row").to_list()
    problems = []
    for where, start, prev_end, prev_row in zip(_rows(bad), starts, ends, prev_rows, strict=True):
        runs = "is still open" if prev_end == OPEN_END else f"runs to {_iso(prev_end)}"
        earlier = f"on row {prev_row}" if prev_row is not None else "earlier"
        problems.append(
            _found(
                rule,
                "overlapping-episodes",
                where,
                rule.start,
                f"this record starting {_iso(start)} overlaps the same child's "
                f"{rule.what} {earlier}, which {runs}; close the earlier one first",
                value=_iso(start),
            )
        )
    return problems


def check_expected_within(
    rule: ExpectedWithinRule, df: pl.DataFrame, spans: pl.DataFrame
) -> list[Problem]:
    """Records whose date falls inside none of the same child's spans (e.g. CIN episodes)."""
    w = rule.within
    data = _with_provenance(df).filter(pl.col(rule.date).is_not_null()).with_row_index("_i")
    candidates = spans.select(
        pl.col(w.person).alias(rule.person),
        pl.col(w.start).alias("_span_start"),
        pl.col(w.end).fill_null(OPEN_END).alias("_span_end"),
    )
    inside = (
        data.select("_i", rule.person, rule.date)
        .join(candidates, on=rule.person, how="inner")
        .filter(
            (pl.col("_span_start") <= pl.col(rule.date))
            & (pl.col(rule.date) <= pl.col("_span_end"))
        )
        .select("_i")
        .unique()
    )
    bad = data.join(inside, on="_i", how="anti").sort("_i")
    dates = bad.get_column(rule.date).to_list()
    return [
        _found(
            rule,
            "not-where-expected",
            where,
            rule.date,
            f"{rule.what} starting {_iso(when)} falls in no {w.what} of the same "
            f"child in {w.table}; check the {w.what} dates or the missing record",
            value=_iso(when),
        )
        for where, when in zip(_rows(bad), dates, strict=True)
    ]


def check_foreign_keys(tables: dict[str, pl.DataFrame]) -> list[Problem]:
    """Records pointing at a parent record that is not there (only when the parent table was
    supplied at all: an absent table is reported as not supplied instead)."""
    problems = []
    specs = canonical_tables()
    for name, df in tables.items():
        spec = specs.get(name)
        if spec is None or df.height == 0:
            continue
        for fk in spec.foreign_keys:
            if fk.field in quality_rules().ignore_foreign_keys:
                continue
            parent = tables.get(fk.table)
            if parent is None or parent.height == 0 or fk.column not in parent.columns:
                continue
            if fk.field not in df.columns or fk.table == name:
                continue
            known = parent.select(pl.col(fk.column).alias(fk.field)).drop_nulls().unique()
            bad = (
                _with_provenance(df)
                .filter(pl.col(fk.field).is_not_null())
                .join(known, on=fk.field, how="anti")
            )
            for file, row in _rows(bad):
                problems.append(
                    Problem(
                        file=file,
                        rule="orphan-record",
                        severity=Severity.WARNING,
                        row=row,
                        field=fk.field,
                        table=name,
                        message=f"{fk.field} refers to a record that is not in "
                        f"{fk.table}.{fk.column}; add it or check the extract's filters",
                    )
                )
    return problems


def run_checks(tables: dict[str, pl.DataFrame]) -> list[Problem]:
    """Every cross-table check on merged canonical tables (with provenance columns)."""
    rules = quality_rules()
    problems: list[Problem] = []

    def has(table: str, *fields: str) -> bool:
        df = tables.get(table)
        return df is not None and df.height > 0 and all(f in df.columns for f in fields)

    for name, df in tables.items():
        if name in canonical_tables() and df.height:
            problems.extend(check_required(name, df))
    for code in rules.codes:
        if has(code.table, code.field):
            problems.extend(check_codes(code, tables[code.table]))
    for by_year in rules.codes_for_year:
        if has(by_year.table, by_year.field, by_year.date):
            problems.extend(check_codes_for_year(by_year, tables[by_year.table]))
    for needed in rules.needed_dates:
        if has(needed.table, needed.field):
            problems.extend(check_needed_date(needed, tables[needed.table]))
    for order in rules.date_order:
        if has(order.table, order.start, order.end):
            problems.extend(check_date_order(order, tables[order.table]))
    if has("ssd_person", "pers_person_id", "pers_dob"):
        for birth in rules.after_birth:
            if has(birth.table, birth.person, birth.date):
                problems.extend(check_after_birth(birth, tables[birth.table], tables["ssd_person"]))
    for overlap in rules.overlaps:
        if has(overlap.table, overlap.person, overlap.start, overlap.end):
            if overlap.table == "ssd_cla_episodes":
                statuses = tables.get("ssd_legal_status")
                problems.extend(
                    check_looked_after_overlaps(overlap, tables[overlap.table], statuses)
                )
            else:
                problems.extend(check_overlaps(overlap, tables[overlap.table]))
    for expected in rules.expected_within:
        w = expected.within
        if has(expected.table, expected.person, expected.date) and has(
            w.table, w.person, w.start, w.end
        ):
            problems.extend(
                check_expected_within(expected, tables[expected.table], tables[w.table])
            )
    problems.extend(check_foreign_keys(tables))
    return problems


SeverityName = Literal["error", "warning", "info"]
