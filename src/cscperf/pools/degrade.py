"""What a member's canonical tables become in the pool: its LA code on every row, children's
identifiers hashed, names and free-text addresses dropped, dates of birth coarsened, postcodes
cut to their district or dropped, and records that ended before the retained months removed.

The rules are declared here once, by column name, for every canonical table:

* hashed (:data:`HASHED`, and every column whose name ends in ``person_id``): identifiers of a
  child or of a mother, with the pool's key (:mod:`cscperf.pools.keys`);
* dropped (:data:`DROPPED`): names, addresses and free-text payloads, and the provenance
  columns (which file and row a record came from);
* dates of birth (:data:`BIRTH_DATES`): to the first day of their month (or year), by the
  pool's ``degrade.date_of_birth``;
* postcodes (:data:`POSTCODES`): to the district, the outward code before the space ("NR1 3QH"
  becomes "NR1"; written without a space, all but the last three characters), or dropped, by
  ``degrade.postcodes``;
* retention: a record whose every date (dates of birth aside) is filled and falls before the
  first retained month is removed; a record with an empty date (an episode still open, say)
  is kept, so retention errs on the side of keeping.

Record identifiers that are not a person's (referral, episode, plan ids) are the council's own
keys and stay as they are: they join the member's tables to each other and, with the LA code,
tell one council's records from another's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from cscperf.pools.keys import KeyedHasher
from cscperf.pools.settings import Degrade
from cscperf.sources.canonical import canonical_tables

LA_CODE = "la_code"
HASHED = frozenset(
    {"pers_common_child_id", "pers_legacy_id", "send_upn", "send_uln", "link_identifier_value"}
)
DROPPED = frozenset(
    {
        "pers_forename",
        "pers_surname",
        "addr_address_json",
        "json_payload",
        "_source_file",
        "_source_row",
    }
)
BIRTH_DATES = frozenset({"pers_dob", "pers_expected_dob", "moth_childs_dob"})
POSTCODES = frozenset({"addr_address_postcode", "clap_cla_placement_postcode"})


def is_hashed(column: str) -> bool:
    return column in HASHED or column.endswith("person_id")


def postcode_district(postcode: pl.Expr) -> pl.Expr:
    """The outward code of a postcode: the part before the space, or (written without one)
    everything but the inward code's three characters; empty or too short: null."""
    text = postcode.str.strip_chars().str.to_uppercase()
    squeezed = text.str.replace_all(r"\s+", "")
    outward = (
        pl.when(text.str.contains(" "))
        .then(text.str.split(" ").list.first())
        .when(squeezed.str.len_chars() >= 5)
        .then(squeezed.str.slice(0, squeezed.str.len_chars() - 3))
        .otherwise(None)
    )
    return outward


def _coarse_birth(column: str, to: str) -> pl.Expr:
    return pl.col(column).dt.truncate("1mo" if to == "month" else "1y").alias(column)


def degrade_table(
    frame: pl.DataFrame,
    *,
    la_code: str,
    key: bytes,
    rules: Degrade,
    keep_from: date | None,
) -> pl.DataFrame:
    """One canonical table of one member as the pool holds it (see the module's rules);
    ``keep_from`` is the first day of the retained months (None keeps every record)."""
    return degrade_tables([(la_code, frame)], KeyedHasher(key), rules=rules, keep_from=keep_from)


def degrade_tables(
    members: Sequence[tuple[str, pl.DataFrame]],
    hasher: KeyedHasher,
    *,
    rules: Degrade,
    keep_from: date | None,
) -> pl.DataFrame:
    """One canonical table of several members (LA code, table), as the pool holds it: each
    member's :func:`degrade_table`, in the members' order, concatenated diagonally (a column
    one member lacks is empty for it, types widened to fit all). Members whose tables have the
    same columns and types, one after another, are degraded together in one pass, each row
    hashed under its own member's LA code."""
    runs: list[tuple[tuple[object, ...], list[pl.DataFrame]]] = []
    for la_code, frame in members:
        # the population table names its council already: the member's code replaces it
        framed = frame.select(pl.lit(la_code, pl.String).alias(LA_CODE), pl.exclude(LA_CODE))
        shape = (LA_CODE in frame.columns, *framed.schema.items())
        if runs and runs[-1][0] == shape:
            runs[-1][1].append(framed)
        else:
            runs.append((shape, [framed]))
    degraded = [
        _degrade(pl.concat(run, how="vertical"), hasher, rules, keep_from, bool(shape[0]))
        for shape, run in runs
    ]
    return pl.concat(degraded, how="diagonal_relaxed")


def _degrade(
    frame: pl.DataFrame,
    hasher: KeyedHasher,
    rules: Degrade,
    keep_from: date | None,
    had_code: bool,
) -> pl.DataFrame:
    """:func:`degrade_tables` of members' tables of one schema, concatenated with the LA code
    first (``had_code``: the members' tables had an LA code column of their own)."""
    if keep_from is not None:
        frame = frame.filter(~_ended_before(frame, keep_from))
    columns: list[pl.Expr | pl.Series] = []
    for name in frame.columns[1:]:  # the LA code aside
        if name in DROPPED or (name in POSTCODES and rules.postcodes == "drop"):
            continue
        if is_hashed(name):
            message = pl.concat_str(pl.col(LA_CODE), pl.lit(":"), pl.col(name).cast(pl.String))
            columns.append(hasher.hash_messages(frame.select(message).to_series()).alias(name))
        elif name in BIRTH_DATES and frame.schema[name] in (pl.Date, pl.Datetime):
            columns.append(_coarse_birth(name, rules.date_of_birth))
        elif name in POSTCODES:
            columns.append(postcode_district(pl.col(name).cast(pl.String)).alias(name))
        else:
            columns.append(pl.col(name))
    if not columns and not had_code:  # nothing but dropped columns: they stay, empty
        return frame.clear()
    return frame.select(pl.col(LA_CODE), *columns)


def _ended_before(frame: pl.DataFrame, keep_from: date) -> pl.Expr:
    """Rows whose every date (dates of birth aside) is filled and earlier than ``keep_from``."""
    dates = [
        name
        for name, dtype in frame.schema.items()
        if dtype in (pl.Date, pl.Datetime) and name not in BIRTH_DATES
    ]
    if not dates:
        return pl.lit(False)
    return pl.all_horizontal(
        [pl.col(d).is_not_null() & (pl.col(d).cast(pl.Date) < keep_from) for d in dates]
    )


def pooled_table_names() -> list[str]:
    """The canonical tables a pool holds (every one, filled or not)."""
    return sorted(canonical_tables())
