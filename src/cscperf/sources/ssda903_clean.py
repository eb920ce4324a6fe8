"""SSDA903 CSV tables with nothing out of the ordinary, typed and checked all at once.

Most 903 exports are clean: no quote marks, no spaces around values, every line with as many
values as the header. This module types and checks the values of every clean table of every
year of a load together, with a few array operations over all of them (numpy over the bytes,
polars over the strings), instead of one query per table: the per-call cost of a query, not
the values, is most of the time a 903 table of a few thousand rows takes.

It only ever says "clean" or "not clean". A table in which anything at all is out of the
ordinary (a blank value where one is required, a date not written dd/mm/yyyy, a code not in
its year's list as written, a number that is not one or is out of range, a postcode that is
not one, a key written twice, dates out of order) is left to the full check,
:class:`cscperf.sources.ssda903.TableCheck`, which reports what is wrong row by row. A clean
table typed here is the frame that check would give it, value for value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import polars as pl
import pyarrow as pa

from cscperf.sources.codesets import YearColumn, YearTable

# Column kinds typed as text (the value as written), as a date, as a whole number.
_TEXT_KINDS = ("code", "postcode", "permanence_date", "id", "text")
# Key columns compared as written: for these kinds the text of a clean value says its value
# exactly (a clean date is always dd/mm/yyyy; a clean code is always as its list writes it).
_KEY_KINDS = frozenset({"id", "text", "date", "code"})
_COMMA, _LINE_END, _SLASH, _ZERO = 44, 10, 47, 48
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class CleanText:
    """A clean CSV table's data lines as UTF-8 bytes (the header line left out), with the
    position of the byte ending each value (a comma, a line end, or the end of the bytes)."""

    data: bytes
    ends: np.ndarray
    width: int
    rows: int


def clean_text(body: str, width: int) -> CleanText | None:
    """The data lines of a file whose text has no quote marks, LF line ends and no line end
    after its last line, when every line has ``width`` values and some value that is not
    blank; None otherwise (for the full reading, which says what is wrong)."""
    if width < 2:
        return None
    if not body:
        return CleanText(b"", np.zeros(0, np.int32), width, 0)
    data = body.encode("utf-8")
    if len(data) >= 2**31 - 1:
        return None  # more than positions of 32 bits can say
    raw = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero((raw == _COMMA) | (raw == _LINE_END)).astype(np.int32)
    rows = int(np.count_nonzero(raw[ends] == _LINE_END)) + 1
    if len(ends) != rows * width - 1:
        return None
    ends = np.append(ends, np.int32(len(data)))
    # Every width-th separator a line end: with as many line ends as lines less one, every
    # line then has exactly width values.
    line_ends = ends[width - 1 :: width]
    if rows > 1 and not (raw[line_ends[:-1]] == _LINE_END).all():
        return None
    # A line of commas only is a row of blank values: the full reading leaves it out.
    if line_ends[0] == width - 1 or (np.diff(line_ends) == width).any():
        return None
    return CleanText(data, ends, width, rows)


@dataclass(frozen=True)
class CleanTable:
    """One table of one year from one clean file: ``positions`` gives the file's position of
    each of the table's columns it has (the first, when a header repeats a name)."""

    year: int
    table: str
    layout: YearTable
    file: str
    text: CleanText
    positions: Mapping[str, int]


@dataclass(frozen=True)
class _Slot:
    """One column of one clean table: its values' indices among all values read."""

    table: int
    name: str
    column: YearColumn
    index: np.ndarray


class _Values:
    """Every value of every clean table, as the bytes they were read from (the tables' data
    lines joined by line ends): where each value ends and how long it is. Arrays are kept
    few and of 32 bits: for tables of this size, making a large array costs more than
    computing with it."""

    def __init__(self, tables: Sequence[CleanTable]) -> None:
        texts = [t.text for t in tables if t.text.rows]
        self.data = b"\n".join(text.data for text in texts)
        self.bytes = np.frombuffer(self.data, np.uint8)
        self.first: list[int] = []  # index of each table's first value
        count = 0
        for table in tables:
            self.first.append(count)
            count += table.text.rows * table.text.width
        self.ends = np.empty(count, np.int32)
        at, shift = 0, 0
        for text in texts:
            size = text.rows * text.width
            np.add(text.ends, shift, out=self.ends[at : at + size])
            at, shift = at + size, shift + len(text.data) + 1
        self.lengths = np.empty(count, np.int32)
        if count:
            self.lengths[0] = self.ends[0]
            np.subtract(self.ends[1:], self.ends[:-1], out=self.lengths[1:])
            self.lengths[1:] -= 1

    def strings(self) -> pl.Series:
        """Every value as text, blank values null, in the order read."""
        count = len(self.ends)
        offsets = np.empty(count + 1, np.int32)
        offsets[0] = 0
        np.subtract(self.ends, np.arange(count, dtype=np.int32), out=offsets[1:])
        compact = self.data.translate(None, b",\n")
        present = self.lengths > 0
        validity = pa.py_buffer(np.packbits(present, bitorder="little"))
        array = pa.StringArray.from_buffers(
            count,
            pa.py_buffer(offsets),
            pa.py_buffer(compact),
            validity,
            null_count=count - int(np.count_nonzero(present)),
        )
        return _series(array)


@cache
def _code_lists(lists: tuple[frozenset[str], ...]) -> tuple[pl.Enum, np.ndarray]:
    """An Enum of every code the lists write in capitals, and whether each code (by its
    place in the Enum; one place more for a value that is none of them) is in each list:
    ``valid[place * len(lists) + list]``."""
    codes = sorted({code for listed in lists for code in listed if code == code.upper()})
    place = {code: i for i, code in enumerate(codes)}
    valid = np.zeros((len(codes) + 1) * len(lists), bool)
    for i, listed in enumerate(lists):
        valid[[place[code] * len(lists) + i for code in listed if code in place]] = True
    return pl.Enum(codes), valid


def _indices(index: np.ndarray) -> pl.Series:
    """Positions as polars takes them for a gather without conversion."""
    return _series(index.view(np.uint32) if index.dtype == np.int32 else index.astype(np.uint32))


class _ArrowArray:
    """An Arrow array as polars takes it through the Arrow C data interface: polars' own
    ``from_arrow`` imports pyarrow.compute and its numpy route numpy.ma, a tenth of a second
    on the first read in a process."""

    def __init__(self, array: pa.Array) -> None:
        self.array = array

    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]:
        return self.array.__arrow_c_array__(requested_schema)


_ARROW_TYPES = {
    np.dtype(np.int32): pa.int32(),
    np.dtype(np.uint32): pa.uint32(),
    np.dtype(np.int64): pa.int64(),
}


def _series(values: pa.Array | np.ndarray, name: str = "") -> pl.Series:
    """A polars series of an Arrow array, or of a numpy array of whole numbers (its buffer
    shared, not converted: pyarrow's own conversion from numpy imports pandas)."""
    if isinstance(values, np.ndarray):
        numbers = np.ascontiguousarray(values)
        values = pa.Array.from_buffers(
            _ARROW_TYPES[numbers.dtype], len(numbers), [None, pa.py_buffer(numbers)]
        )
    return pl.Series(_ArrowArray(values)).alias(name)


class _Check:
    """The clean check of a set of tables (see :func:`check_clean`)."""

    def __init__(self, tables: Sequence[CleanTable]) -> None:
        self.tables = tables
        self.values = _Values(tables)
        self.bad = np.zeros(len(tables), bool)
        self.slots: dict[str, list[_Slot]] = {
            kind: [] for kind in (*_TEXT_KINDS, "date", "integer")
        }
        self.by_name: dict[tuple[int, str], _Slot] = {}
        for t, table in enumerate(tables):
            text = table.text
            if any(table.layout.columns[key].kind not in _KEY_KINDS for key in table.layout.keys):
                self.bad[t] = True
            for name, column in table.layout.columns.items():
                position = table.positions.get(name)
                if position is None:
                    continue
                first = self.values.first[t] + position
                index = np.arange(first, first + text.rows * text.width, text.width, dtype=np.int32)
                slot = _Slot(t, name, column, index)
                self.slots[column.kind].append(slot)
                self.by_name[(t, name)] = slot

    def mark(self, slots: Sequence[_Slot], flags: np.ndarray) -> None:
        """Mark the tables of the values ``flags`` (over the slots' values in turn) sets."""
        if len(slots) and flags.any():
            owner = np.repeat([s.table for s in slots], [len(s.index) for s in slots])
            self.bad[np.unique(owner[flags])] = True

    def required(self) -> None:
        slots = [s for kind in self.slots.values() for s in kind if not s.column.blank]
        if slots:
            index = np.concatenate([s.index for s in slots])
            self.mark(slots, self.values.lengths[index] == 0)


def _index(slots: Sequence[_Slot]) -> np.ndarray:
    return np.concatenate([s.index for s in slots]) if slots else np.zeros(0, np.int32)


def _places(slots: Sequence[_Slot], start: int = 0) -> dict[tuple[int, str], int]:
    """Where each slot's values start in the values of ``slots`` in turn (from ``start``)."""
    places = {}
    for slot in slots:
        places[(slot.table, slot.name)] = start
        start += len(slot.index)
    return places


# A kind's typed values, and where each column's values start in them.
Typed = tuple[pl.Series, dict[tuple[int, str], int]]


def check_clean(
    tables: Sequence[CleanTable],
    *,
    order: Mapping[str, tuple[str, str]],
    after_year: Mapping[str, str],
    postcode: str,
    permanence_date: str,
) -> list[pl.DataFrame | None]:
    """Each table typed as the full check types it (a column per column of its layout, then
    ``_source_file``, ``_source_row`` and ``_collection_year``), or None when anything in it
    is out of the ordinary and it must go through the full check.

    ``order`` gives the start and end columns checked for order, ``after_year`` the column
    whose date may not be after the return's 31 March, ``postcode`` and
    ``permanence_date`` the patterns those kinds of value must match.
    """
    if sum(len(t.text.data) + 1 for t in tables) >= 2**31 - 1:
        return [None] * len(tables)  # more than positions of 32 bits can say
    if not tables:
        return []
    check = _Check(tables)
    check.required()
    strings = check.values.strings()
    dated = check.slots["date"]
    dates, days = _check_dates(check, strings)
    _check_order(check, days, _places(dated), order, after_year)
    _check_keys(check, strings, days)
    typed = {"date": (dates, _places(dated))}
    typed.update(_check_text(check, strings, postcode, permanence_date))
    return _typed_frames(check, typed)


def _check_dates(check: _Check, strings: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """The dates, read as the full check reads dd/mm/yyyy, and their days since 1970 (0 when
    blank); a date not written so, or before the year 1000, is marked."""
    slots = check.slots["date"]
    v = pl.col("v")
    day = v.str.strptime(pl.Date, "%d/%m/%Y", strict=False, cache=False)
    frame = strings[_indices(_index(slots))].to_frame("v").lazy().select(day.alias("day"), v)
    out = frame.select(
        "day",
        pl.col("day").to_physical().fill_null(0).alias("days"),
        wrong=pl.col("v").is_not_null()
        & (pl.col("day").is_null() | (pl.col("day").dt.year() < 1000)).fill_null(True),
    ).collect()
    check.mark(slots, out.get_column("wrong").to_numpy())
    return out.get_column("day"), out.get_column("days").to_numpy()


def _check_text(
    check: _Check, strings: pl.Series, postcode: str, permanence_date: str
) -> dict[str, Typed]:
    """Codes, postcodes, permanence dates and numbers checked; each kind's values, typed:
    "text" for the kinds typed as written, "postcode" and "integer"."""
    slots = [s for kind in _TEXT_KINDS for s in check.slots[kind]] + check.slots["integer"]
    values = strings[_indices(_index(slots))]
    start = 0
    for kind in _TEXT_KINDS:
        kind_slots = check.slots[kind]
        count = sum(len(s.index) for s in kind_slots)
        if kind == "code" and count:
            _check_codes(check, kind_slots, values.slice(start, count))
        elif kind == "postcode" and count:
            postcodes = values.slice(start, count).to_frame("v").lazy()
            postcodes = postcodes.select(
                pl.col("v").str.to_uppercase().str.replace_all(r"\s+", " ")
            ).with_columns(wrong=pl.col("v").is_not_null() & ~pl.col("v").str.contains(postcode))
            out = postcodes.collect()
            check.mark(kind_slots, out.get_column("wrong").to_numpy())
            typed_postcodes = (out.get_column("v"), _places(kind_slots))
        elif kind == "permanence_date" and count:
            v = pl.col("v")
            wrong = (
                values.slice(start, count)
                .to_frame("v")
                .select(v.is_not_null() & ~v.str.contains(permanence_date))
            )
            check.mark(kind_slots, wrong.to_series().to_numpy())
        start += count
    typed: dict[str, Typed] = {"text": (values, _places(slots))}
    typed["integer"] = _check_integers(check, values.slice(start), start)
    if check.slots["postcode"]:
        typed["postcode"] = typed_postcodes
    return typed


def _check_codes(check: _Check, slots: Sequence[_Slot], values: pl.Series) -> None:
    """Marks a table with a code that is not, as written, in its column's list for the year."""
    lists = tuple(dict.fromkeys(s.column.codes for s in slots))
    enum, valid = _code_lists(lists)
    which = {codes: i for i, codes in enumerate(lists)}
    listed = np.repeat(
        np.array([which[s.column.codes] for s in slots], np.int64), [len(s.index) for s in slots]
    )
    places = values.cast(enum, strict=False).to_physical().fill_null(len(enum.categories))
    given = check.values.lengths[_index(slots)] > 0
    check.mark(slots, given & ~valid[places.to_numpy().astype(np.int64) * len(lists) + listed])


def _check_integers(check: _Check, values: pl.Series, start: int) -> Typed:
    """Whole numbers read as the full check reads them; out of range or not one is marked."""
    slots = check.slots["integer"]
    sizes = [len(s.index) for s in slots]
    lowest = [s.column.min if s.column.min is not None else -(2**62) for s in slots]
    highest = [s.column.max if s.column.max is not None else 2**62 for s in slots]
    frame = pl.DataFrame(
        [
            values.alias("v"),
            _series(np.repeat(np.array(lowest, np.int64), sizes), "low"),
            _series(np.repeat(np.array(highest, np.int64), sizes), "high"),
        ]
    )
    n = pl.col("v").cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
    out = (
        frame.lazy()
        .with_columns(n=n)
        .select(
            "n",
            wrong=(pl.col("v").is_not_null() & pl.col("n").is_null())
            | (pl.col("n") < pl.col("low"))
            | (pl.col("n") > pl.col("high")),
        )
    )
    checked = out.collect()
    check.mark(slots, checked.get_column("wrong").fill_null(False).to_numpy())
    return checked.get_column("n"), _places(slots)


def _check_order(
    check: _Check,
    days: np.ndarray,
    places: Mapping[tuple[int, str], int],
    order: Mapping[str, tuple[str, str]],
    after_year: Mapping[str, str],
) -> None:
    """Marks a table with an end date before its start, or a date after the return's year."""
    lengths = check.values.lengths
    for t, table in enumerate(check.tables):
        rows = table.text.rows
        pair = order.get(table.table)
        if pair and all((t, name) in places for name in pair):
            start, end = (days[places[(t, name)] :][:rows] for name in pair)
            given = (lengths[check.by_name[(t, pair[0])].index] > 0) & (
                lengths[check.by_name[(t, pair[1])].index] > 0
            )
            if (given & (end < start)).any():
                check.bad[t] = True
        late = after_year.get(table.table)
        if late and (t, late) in places:
            limit = (date(table.year, 3, 31) - _EPOCH).days
            if (days[places[(t, late)] :][:rows] > limit).any():
                check.bad[t] = True


def _check_keys(check: _Check, strings: pl.Series, days: np.ndarray) -> None:
    """Marks a table with two rows of the same key. Text keys are compared as written (for a
    clean value of the key kinds the same text is the same value), dates by their day."""
    tables = []
    for t, table in enumerate(check.tables):
        if check.bad[t] or not table.text.rows:
            continue
        found = [check.by_name.get((t, key)) for key in table.layout.keys]
        if all(slot and slot.column.kind != "date" for slot in found[:1]) and all(found):
            tables.append(t)
        else:
            check.bad[t] = True  # a key column missing, or keys that start with a date
    if not tables:
        return
    places = _places(check.slots["date"])
    texts, dates = [], []
    for t in tables:
        layout_keys = check.tables[t].layout.keys
        texts.append([k for k in layout_keys if check.by_name[(t, k)].column.kind != "date"])
        dates.append([k for k in layout_keys if check.by_name[(t, k)].column.kind == "date"])
    rows = [check.tables[t].text.rows for t in tables]
    columns = [_series(np.repeat(np.array(tables, np.int32), rows), "_t")]
    for k in range(max(len(keys) for keys in texts)):
        index = [
            check.by_name[(t, keys[k] if k < len(keys) else keys[0])].index
            for t, keys in zip(tables, texts, strict=True)
        ]
        columns.append(strings[_indices(np.concatenate(index))].alias(f"text{k}"))
    for k in range(max(len(keys) for keys in dates)):
        parts = []
        for t, keys, count in zip(tables, dates, rows, strict=True):
            place = places[(t, keys[k])] if k < len(keys) else None
            parts.append(
                days[place : place + count] if place is not None else np.zeros(count, np.int32)
            )
        columns.append(_series(np.concatenate(parts), f"date{k}"))
    frame = pl.DataFrame(columns)
    # Rows whose keys hash alike, then those of them whose keys are alike (hashing is
    # cheaper than comparing text; alike hashes are all but always alike keys).
    alike = frame.select(pl.struct(pl.all()).hash().is_duplicated()).to_series()
    if alike.any():
        frame = frame.filter(alike)
        repeated = frame.select(pl.struct(pl.all()).is_duplicated()).to_series().to_numpy()
        check.bad[np.unique(frame.get_column("_t").to_numpy()[repeated])] = True


_TYPES: dict[str, pl.DataType] = {"date": pl.Date(), "integer": pl.Int64()}


def _typed_frames(check: _Check, typed: Mapping[str, Typed]) -> list[pl.DataFrame | None]:
    """The typed frame of each clean table; None for the others."""
    tables = check.tables
    rows = np.array([t.text.rows for t in tables], np.int64)
    firsts = np.concatenate([[0], np.cumsum(rows)[:-1]])
    owner = np.repeat(np.arange(len(tables)), rows)
    files = pl.Series("_source_file", [t.file for t in tables], pl.String)[_indices(owner)]
    lines = _series(np.arange(len(owner), dtype=np.int64) - firsts[owner] + 2, "_source_row")
    years = _series(np.array([t.year for t in tables], np.int64)[owner], "_collection_year")
    longest = int(rows.max()) if len(rows) else 0
    blank = {  # the values of a column the file does not have
        kind: pl.Series("", [None], _TYPES.get(kind, pl.String())).new_from_index(0, longest)
        for kind in {column.kind for table in tables for column in table.layout.columns.values()}
    }
    frames: list[pl.DataFrame | None] = []
    for t, table in enumerate(tables):
        if check.bad[t]:
            frames.append(None)
            continue
        count, first = int(rows[t]), int(firsts[t])
        columns = []
        for name, column in table.layout.columns.items():
            values, places = typed[column.kind if column.kind in typed else "text"]
            place = places.get((t, name))
            if place is None:
                columns.append(blank[column.kind].slice(0, count).alias(name))
            else:
                columns.append(values.slice(place, count).alias(name))
        provenance = [s.slice(first, count) for s in (files, lines, years)]
        frames.append(pl.DataFrame([*columns, *provenance]))
    return frames
