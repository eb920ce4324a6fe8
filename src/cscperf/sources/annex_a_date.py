"""The date of an Ofsted Annex A workbook: the last day its lists cover.

Annex A lists hold the 6 to 12 months before a date the council chose (the inspection's
request), and nothing in the rows says which it was: a quiet last week has no contacts. The
date is taken, in this order, from

1. the workbook's own words: a cover sheet, or the rows above a list's column headings,
   stating the range ("Contacts from 01/02/2023 to 31/01/2024", "12 months to 31 January
   2024", "Extract date: 31/01/2024", or a label cell with a date cell beside it);
2. the workbook's title (document properties), as ``cscperf synth`` writes it;
3. the file name: a whole date (``annex_a_2026-11-30``) or a month and year
   (``Annex_A_2024_Jan``: the end of January 2024);

else it is unknown and the load says to give ``--extract-date``. Where several dates are
stated the latest is the lists' date (a range's end is after its start).
"""

from __future__ import annotations

import calendar
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    MONTHS[calendar.month_name[_number].lower()] = _number
    MONTHS[calendar.month_abbr[_number].lower()] = _number
MONTHS["sept"] = 9

# Words that make a heading or cover cell state the lists' period or date.
_PERIOD_WORDS = re.compile(
    r"\b(to|until|till|ending|ended|end|as at|as of|extract\w*|range|period|between|"
    r"up to|from|dated?)\b",
    re.IGNORECASE,
)
_DMY = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_MONTH_WORD = "|".join(sorted(MONTHS, key=len, reverse=True))
_D_MONTH_Y = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_WORD})\.?,?\s+(\d{{4}})\b", re.I
)
_MONTH_Y = re.compile(rf"\b({_MONTH_WORD})\.?,?\s+(\d{{4}})\b", re.I)
# A workbook's core properties are a few hundred bytes; more is not read.
MAX_CORE_BYTES = 64 * 1024


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def dates_in_text(text: str) -> list[date]:
    """Every date a piece of text states: dd/mm/yyyy, yyyy-mm-dd, "31 January 2024", and a
    month and year alone ("January 2024") as that month's last day."""
    found: list[date | None] = []
    found += [_day(int(y), int(m), int(d)) for d, m, y in _DMY.findall(text)]
    found += [_day(int(y), int(m), int(d)) for y, m, d in _ISO.findall(text)]
    found += [_day(int(y), MONTHS[m.lower()], int(d)) for d, m, y in _D_MONTH_Y.findall(text)]
    rest = _D_MONTH_Y.sub(" ", text)
    found += [month_end(int(y), MONTHS[m.lower()]) for m, y in _MONTH_Y.findall(rest)]
    return [d for d in found if d is not None and 1990 <= d.year <= 2100]


def date_from_cells(rows: Iterable[Sequence[object]]) -> date | None:
    """The latest date stated by rows of cells (a cover sheet, or a list's heading rows): in
    text that speaks of a period or date, or in a date cell on a row whose text does."""
    found: list[date] = []
    for row in rows:
        texts = [str(c) for c in row if isinstance(c, str) and c.strip()]
        if not any(_PERIOD_WORDS.search(t) for t in texts):
            continue
        for text in texts:
            found += dates_in_text(text)
        for cell in row:
            if isinstance(cell, datetime):
                found.append(cell.date())
            elif isinstance(cell, date):
                found.append(cell)
    return max(found, default=None)


def date_from_title(path: Path) -> date | None:
    """The latest date in the workbook's title (xlsx document properties), if it states one."""
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("docProps/core.xml")
            if info.file_size > MAX_CORE_BYTES:
                return None
            core = archive.read(info).decode("utf-8", errors="replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    titles = re.findall(r"<(?:\w+:)?title\b[^>]*>([^<]*)</(?:\w+:)?title>", core)
    return max((d for t in titles for d in dates_in_text(t)), default=None)


def date_from_name(path: Path) -> date | None:
    """The date a file name states: a whole date, else a month and year (its last day)."""
    name = path.stem
    spaced = re.sub(r"[_\s]+", " ", name)
    whole = [d for d in dates_in_text(spaced) if d is not None]
    compact = re.search(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)", name)
    if compact:
        day = _day(int(compact[1]), int(compact[2]), int(compact[3]))
        whole += [day] if day else []
    if whole:
        return max(whole)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name.lower()) if w]
    months = [MONTHS[w] for w in words if w in MONTHS]
    years = [int(w) for w in words if re.fullmatch(r"(19|20)\d\d", w)]
    if len(months) == 1 and len(years) == 1:
        return month_end(years[0], months[0])
    year_month = re.search(r"(?<!\d)(20\d\d)[-_](0[1-9]|1[0-2])(?![\d-])", name)
    if year_month:
        return month_end(int(year_month[1]), int(year_month[2]))
    return None
