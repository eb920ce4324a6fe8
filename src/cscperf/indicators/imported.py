"""Imported measures: the CSV layouts of spec section 6 read, checked and kept with a build.

Owns the four layouts (personal education plans, the foster-carer register, the monthly
workforce file, youth justice published measures), recognising a file's layout by its header,
validating every row with an :class:`~cscperf.errors.InputError` naming file, row and field,
storing each layout as ``builds/<id>/results/imported/<layout>.parquet`` of a new build
(importing never changes a published build; a new import of a layout replaces the old one in
the new build, and later loads carry the imported layouts forward), offering the stored
frames to the engine as tables
(``imported_pep``, ``imported_foster_register``, ``imported_workforce``, ``imported_yj``) and
turning workforce and youth justice rows into result rows flagged ``imported``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from cscperf.encoding import decode_bytes
from cscperf.errors import InputError
from cscperf.indicators.context import BuildTables
from cscperf.indicators.contract import RESULT_SCHEMA
from cscperf.indicators.testing import upload

if TYPE_CHECKING:
    from cscperf.store.store import Build

IMPORTED_DIR = "imported"


@dataclass(frozen=True)
class Layout:
    """One CSV layout: its table name, required and optional columns."""

    name: str
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


LAYOUTS = (
    Layout("pep", "imported_pep", ("person_id", "pep_date", "pep_status")),
    Layout(
        "foster_register",
        "imported_foster_register",
        ("household_id", "carer_type", "approval_date", "approval_kind", "deregistration_date"),
    ),
    Layout(
        "workforce",
        "imported_workforce",
        ("period_end", "inpost_fte", "agency_fte", "vacancy_fte", "leavers_fte_12m"),
        ("agency_rate_pct", "turnover_rate_pct", "vacancy_rate_pct"),
    ),
    Layout(
        "yj",
        "imported_yj",
        ("measure", "period_start", "period_end", "numerator", "denominator", "value", "publisher"),
    ),
)
PEP_STATUSES = ("completed", "draft", "cancelled")


def _layout(name: str) -> Layout:
    return next(layout for layout in LAYOUTS if layout.name == name)


APPROVAL_KINDS = ("temporary_reg24", "full")
# The foster register's table in the build: one row per approval spell of a household.
FOSTER_REGISTER_SCHEMA: dict[str, type[pl.DataType]] = {
    "household_id": pl.String,
    "carer_type": pl.String,
    "approval_date": pl.Date,
    "deregistration_date": pl.Date,
    "carer_type_at_end": pl.String,
    "full_approval_date": pl.Date,
}
YJ_MEASURES = {
    "yj.fte_rate_per_100k": "rate_per_100k",
    "yj.fte_count": "count",
    "yj.reoffending_binary_pct": "percent",
}
WORKFORCE_MEASURES = {
    # id: (numerator columns, denominator columns, optional supplied-rate column)
    "workforce.agency_rate_pct": (("agency_fte",), ("agency_fte", "inpost_fte"), "agency_rate_pct"),
    "workforce.turnover_rate_pct": (("leavers_fte_12m",), ("inpost_fte",), "turnover_rate_pct"),
    "workforce.vacancy_rate_pct": (
        ("vacancy_fte",),
        ("vacancy_fte", "inpost_fte"),
        "vacancy_rate_pct",
    ),
}


# ------------------------------------------------------------------ reading one file


def layout_of(header: Sequence[str], file: str) -> Layout:
    """The layout whose required columns the header holds."""
    names = {h.strip().lower() for h in header}
    for layout in LAYOUTS:
        if set(layout.required) <= names:
            return layout
    raise InputError(
        "the header matches none of the imported layouts (PEP, foster register, workforce, "
        "youth justice); see docs/imported-measures.md for the columns",
        file=file,
        row=1,
    )


def _date(text: str, file: str, row: int, field: str, *, required: bool = True) -> date | None:
    text = text.strip()
    if not text:
        if required:
            raise InputError("a date is required here", file=file, row=row, field=field)
        return None
    for parse in (date.fromisoformat, _dmy):
        try:
            return parse(text)
        except ValueError:
            continue
    raise InputError(
        f"{text!r} is not a date; write YYYY-MM-DD or DD/MM/YYYY", file=file, row=row, field=field
    )


def _dmy(text: str) -> date:
    day, month, year = text.split("/")
    return date(int(year), int(month), int(day))


def _number(text: str, file: str, row: int, field: str, *, required: bool = True) -> float | None:
    text = text.strip().replace(",", "")
    if not text:
        if required:
            raise InputError("a number is required here", file=file, row=row, field=field)
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{text!r} is not a number", file=file, row=row, field=field) from None
    if value < 0 or math.isnan(value):
        raise InputError("numbers must be 0 or more", file=file, row=row, field=field)
    return value


def _choice(text: str, allowed: Sequence[str], file: str, row: int, field: str) -> str:
    value = text.strip().lower()
    if value not in allowed:
        raise InputError(
            f"{text!r} is not one of {', '.join(allowed)}", file=file, row=row, field=field
        )
    return value


def _decimals(text: str) -> int:
    text = text.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def consistent(supplied_text: str, computed: float) -> bool:
    """A supplied value agrees with ours when they are equal to the precision supplied."""
    supplied = float(supplied_text)
    return abs(supplied - computed) <= 0.5 * 10 ** (-_decimals(supplied_text)) + 1e-9


def read_rows(path: Path) -> tuple[Layout, list[dict[str, str]]]:
    """The file's layout and its rows (lower-cased column names, text values)."""
    try:
        # The same decoding as every other input: UTF-8 (BOM or not), UTF-16, Windows-1252.
        text, _ = decode_bytes(path.read_bytes(), path.name)
        with io.StringIO(text, newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise InputError("the file is empty", file=path.name)
            layout = layout_of(header, path.name)
            names = [h.strip().lower() for h in header]
            rows = []
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(names):
                    raise InputError(
                        f"expected {len(names)} cells, found {len(values)}",
                        file=path.name,
                        row=reader.line_num,
                    )
                record = dict(zip(names, values, strict=True))
                record["_row"] = str(reader.line_num)
                rows.append(record)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read this CSV file ({exc})", file=path.name) from exc
    return layout, rows


def parse_pep(rows: Iterable[Mapping[str, str]], file: str) -> pl.DataFrame:
    out: dict[str, list[Any]] = {"person_id": [], "pep_date": [], "pep_status": []}
    for r in rows:
        n = int(r["_row"])
        if not r["person_id"].strip():
            raise InputError("a person id is required", file=file, row=n, field="person_id")
        out["person_id"].append(r["person_id"].strip())
        out["pep_date"].append(_date(r["pep_date"], file, n, "pep_date"))
        out["pep_status"].append(_choice(r["pep_status"], PEP_STATUSES, file, n, "pep_status"))
    return pl.DataFrame(
        out, schema={"person_id": pl.String, "pep_date": pl.Date, "pep_status": pl.String}
    )


@dataclass
class Spell:
    household_id: str
    carer_type: str
    approval_date: date
    deregistration_date: date | None
    carer_type_at_end: str
    full_approval_date: date | None


def merge_spells(spells: Sequence[tuple[str, str, date, str, date | None]]) -> list[Spell]:
    """Rows (household, type, approval date, kind, deregistration) to approval spells: a full
    approval of a household starting on or before the day its temporary approval ended (or
    while it was still open) continues that temporary spell."""
    ordered = sorted(spells, key=lambda s: (s[0], s[2]))
    merged: list[Spell] = []
    for household, carer_type, approved, kind, ended in ordered:
        last = merged[-1] if merged else None
        continues = (
            last is not None
            and last.household_id == household
            and kind == "full"
            and last.full_approval_date is None
            and (last.deregistration_date is None or approved <= last.deregistration_date)
        )
        if continues and last is not None:
            last.deregistration_date = ended
            last.carer_type_at_end = carer_type
            last.full_approval_date = approved
            continue
        merged.append(
            Spell(
                household,
                carer_type,
                approved,
                ended,
                carer_type,
                approved if kind == "full" else None,
            )
        )
    return merged


def parse_foster_register(rows: Iterable[Mapping[str, str]], file: str) -> pl.DataFrame:
    raw: list[tuple[str, str, date, str, date | None]] = []
    for r in rows:
        n = int(r["_row"])
        household = r["household_id"].strip()
        if not household:
            raise InputError("a household id is required", file=file, row=n, field="household_id")
        carer_type = r["carer_type"].strip()
        if not carer_type:
            raise InputError("a carer type is required", file=file, row=n, field="carer_type")
        approved = _date(r["approval_date"], file, n, "approval_date")
        ended = _date(r["deregistration_date"], file, n, "deregistration_date", required=False)
        assert approved is not None
        if ended is not None and ended < approved:
            raise InputError(
                "the deregistration date is before the approval date",
                file=file,
                row=n,
                field="deregistration_date",
            )
        kind = _choice(r["approval_kind"], APPROVAL_KINDS, file, n, "approval_kind")
        raw.append((household, carer_type, approved, kind, ended))
    spells = merge_spells(raw)
    return pl.DataFrame(
        {
            "household_id": [s.household_id for s in spells],
            "carer_type": [s.carer_type for s in spells],
            "approval_date": [s.approval_date for s in spells],
            "deregistration_date": [s.deregistration_date for s in spells],
            "carer_type_at_end": [s.carer_type_at_end for s in spells],
            "full_approval_date": [s.full_approval_date for s in spells],
        },
        schema=FOSTER_REGISTER_SCHEMA,
    )


def parse_workforce(rows: Iterable[Mapping[str, str]], file: str) -> pl.DataFrame:
    columns = ("inpost_fte", "agency_fte", "vacancy_fte", "leavers_fte_12m")
    out: dict[str, list[Any]] = {"period_end": [], **{c: [] for c in columns}}
    seen: set[date] = set()
    for r in rows:
        n = int(r["_row"])
        period_end = _date(r["period_end"], file, n, "period_end")
        assert period_end is not None
        if (period_end + _one_day()).day != 1:
            raise InputError(
                "period_end must be the last day of a month", file=file, row=n, field="period_end"
            )
        if period_end in seen:
            raise InputError(
                f"{period_end} appears twice; give one row per month",
                file=file,
                row=n,
                field="period_end",
            )
        seen.add(period_end)
        values = {c: _number(r[c], file, n, c) for c in columns}
        for measure, (num_cols, den_cols, rate_col) in WORKFORCE_MEASURES.items():
            supplied = r.get(rate_col, "").strip()
            if not supplied:
                continue
            den = sum(values[c] or 0.0 for c in den_cols)
            num = sum(values[c] or 0.0 for c in num_cols)
            if den == 0 or not consistent(supplied, 100 * num / den):
                raise InputError(
                    f"the supplied rate {supplied} does not equal 100 * "
                    f"{'+'.join(num_cols)} / ({' + '.join(den_cols)}) for {measure}",
                    file=file,
                    row=n,
                    field=rate_col,
                )
        out["period_end"].append(period_end)
        for c in columns:
            out[c].append(values[c])
    return pl.DataFrame(out, schema={"period_end": pl.Date, **{c: pl.Float64 for c in columns}})


def _one_day() -> Any:
    return timedelta(days=1)


def parse_yj(rows: Iterable[Mapping[str, str]], file: str) -> pl.DataFrame:
    out: dict[str, list[Any]] = {k: [] for k in _layout("yj").required}
    seen: set[tuple[str, date]] = set()
    for r in rows:
        n = int(r["_row"])
        measure = r["measure"].strip()
        if measure not in YJ_MEASURES:
            raise InputError(
                f"{measure!r} is not an imported youth justice measure; use one of "
                f"{', '.join(YJ_MEASURES)}",
                file=file,
                row=n,
                field="measure",
            )
        start = _date(r["period_start"], file, n, "period_start")
        end = _date(r["period_end"], file, n, "period_end")
        assert start is not None and end is not None
        if end < start:
            raise InputError(
                "period_end is before period_start", file=file, row=n, field="period_end"
            )
        if (measure, end) in seen:
            raise InputError(
                f"{measure} for the period ending {end} appears twice",
                file=file,
                row=n,
                field="period_end",
            )
        seen.add((measure, end))
        num = _number(r["numerator"], file, n, "numerator", required=False)
        den = _number(r["denominator"], file, n, "denominator", required=False)
        value = _number(r["value"], file, n, "value", required=False)
        computed = _value_of(YJ_MEASURES[measure], num, den)
        if value is None and computed is None:
            raise InputError(
                "give a value, or a numerator (and a denominator for rates and percentages)",
                file=file,
                row=n,
                field="value",
            )
        if value is not None and computed is not None and not consistent(r["value"], computed):
            raise InputError(
                f"the value {r['value'].strip()} does not agree with numerator and denominator "
                f"({computed:.4g})",
                file=file,
                row=n,
                field="value",
            )
        out["measure"].append(measure)
        out["period_start"].append(start)
        out["period_end"].append(end)
        out["numerator"].append(num)
        out["denominator"].append(den)
        out["value"].append(value if value is not None else computed)
        out["publisher"].append(r["publisher"].strip() or None)
    return pl.DataFrame(
        out,
        schema={
            "measure": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "value": pl.Float64,
            "publisher": pl.String,
        },
    )


def _value_of(unit: str, num: float | None, den: float | None) -> float | None:
    if num is None:
        return None
    if unit == "count":
        return num
    if den is None or den == 0:
        return None
    scale = {"percent": 100.0, "rate_per_100k": 100_000.0}[unit]
    return num / den * scale


PARSERS = {
    "pep": parse_pep,
    "foster_register": parse_foster_register,
    "workforce": parse_workforce,
    "yj": parse_yj,
}


def read_file(path: Path) -> tuple[Layout, pl.DataFrame]:
    """Read and validate one imported CSV file."""
    layout, rows = read_rows(path)
    return layout, PARSERS[layout.name](rows, path.name)


def read_files(paths: Sequence[Path]) -> dict[str, pl.DataFrame]:
    """Every file read; several files of one layout are put together (re-checked)."""
    by_layout: dict[str, list[pl.DataFrame]] = {}
    for path in paths:
        layout, frame = read_file(path)
        by_layout.setdefault(layout.name, []).append(frame)
    out: dict[str, pl.DataFrame] = {}
    for name, frames in by_layout.items():
        frame = pl.concat(frames)
        keys = {"workforce": ["period_end"], "yj": ["measure", "period_end"]}.get(name)
        if keys and frame.select(keys).is_duplicated().any():
            raise InputError(
                f"the {name} files give the same {' and '.join(keys)} twice; import each "
                "period once"
            )
        out[name] = frame
    return out


# ------------------------------------------------------------------ storing with a build


def imported_dir(build: Build) -> Path:
    return build.results_dir / IMPORTED_DIR


def store_imported(build: Build, frames: Mapping[str, pl.DataFrame]) -> Build:
    """A new build of ``build``'s store: ``build`` with these layouts imported (replacing an
    earlier import of the same layout, keeping the others), published and made current.

    ``build`` itself is never changed, so a pack made from it still reads as it did; the new
    build's manifest names the base (``derived_from``) and the layouts imported with their row
    counts, and every later load carries the imported measures forward (see
    :data:`cscperf.store.store.CARRIED`). Indicator results are computed afresh for the new
    build."""

    def add(stage: Path) -> None:
        folder = stage / "results" / IMPORTED_DIR
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in frames.items():
            (folder / f"{name}.parquet").unlink(missing_ok=True)  # a hard link to the base's
            frame.write_parquet(folder / f"{name}.parquet")

    imported = {name: frame.height for name, frame in frames.items()}
    with build.store.load_lock():  # never at the same time as a load into the store
        info = build.store.derive(build, add, {"imported": imported})
    return build.store.get(info.id)


def stored_frames(build: Build) -> dict[str, pl.DataFrame]:
    """Table name -> stored frame, for every layout imported into the build."""
    folder = imported_dir(build)
    found = {}
    for layout in LAYOUTS:
        path = folder / f"{layout.name}.parquet"
        if path.is_file():
            found[layout.table] = pl.read_parquet(path)
    return found


def with_imported(tables: BuildTables, frames: Mapping[str, pl.DataFrame]) -> BuildTables:
    """``tables`` with the imported frames uploaded to its backend as extra tables."""
    if not frames:
        return tables
    names = dict(tables.names)
    names.update(upload(tables.con, frames, prefix="_imp_"))
    return BuildTables(con=tables.con, names=names, not_supplied=tables.not_supplied)


# ------------------------------------------------------------------ imported result rows


def imported_results(
    frames: Mapping[str, pl.DataFrame], period_ends: Sequence[date]
) -> pl.DataFrame:
    """Result rows (engine RESULT_SCHEMA) of the ``kind: imported`` indicators: workforce
    months of the reporting range, youth justice values at their publisher's period end in
    the range; not-available rows, with the reason, where nothing was imported."""
    first, last = min(period_ends), max(period_ends)
    rows: list[dict[str, Any]] = []

    def add(
        indicator_id: str,
        e: date,
        num: float | None,
        den: float | None,
        value: float | None,
        reason: str | None = None,
    ) -> None:
        rows.append(
            {
                "indicator_id": indicator_id,
                "period_end": e,
                "breakdown": "all",
                "breakdown_value": "all",
                "numerator": num,
                "denominator": den,
                "value": value,
                "definition_version": f"{indicator_id}@1",
                "flags": ["imported"] if reason is None else ["not_available"],
                "reason": reason,
            }
        )

    workforce = frames.get("imported_workforce")
    by_month = (
        {} if workforce is None else {r["period_end"]: r for r in workforce.iter_rows(named=True)}
    )
    for measure, (num_cols, den_cols, _) in WORKFORCE_MEASURES.items():
        for e in period_ends:
            r = by_month.get(e)
            if r is None:
                why = (
                    "no workforce file is imported"
                    if workforce is None
                    else f"the workforce file has no row for {e:%B %Y}"
                )
                add(measure, e, None, None, None, why)
                continue
            num = sum(r[c] for c in num_cols)
            den = sum(r[c] for c in den_cols)
            add(measure, e, num, den, 100 * num / den if den > 0 else None)

    yj = frames.get("imported_yj")
    if yj is None:
        for measure in YJ_MEASURES:
            for e in period_ends:
                add(measure, e, None, None, None, "no youth justice measures are imported")
    else:
        in_range = yj.filter(pl.col("period_end").is_between(first, last))
        explicit = set(
            in_range.filter(pl.col("measure") == "yj.fte_count").get_column("period_end").to_list()
        )
        for r in in_range.iter_rows(named=True):
            unit = YJ_MEASURES[r["measure"]]
            den = None if unit == "count" else r["denominator"]
            add(r["measure"], r["period_end"], r["numerator"], den, r["value"])
            derived = (
                r["measure"] == "yj.fte_rate_per_100k"
                and r["numerator"] is not None
                and r["period_end"] not in explicit
            )
            if derived:
                add("yj.fte_count", r["period_end"], r["numerator"], None, r["numerator"])
    if not rows:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    return pl.DataFrame(rows, schema=RESULT_SCHEMA)
