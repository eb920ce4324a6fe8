"""Planted data-quality faults: the mistakes real extracts contain, put in on purpose.

After the clean files are written, :func:`plant_faults` edits a few rows of the SSD CSVs (and
the latest SSDA903 episodes table) and lists every change in ``planted_faults.csv`` (file, row,
field, kind), so ingest tests can check each fault is reported at the right place. ``row`` is
the line number in the file, the header being line 1. Only the lines changed are rewritten;
every other byte stays as the clean run wrote it. The same seed plants the same faults.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from numpy.random import PCG64, Generator

# One planted fault per kind and table: (kind, file under OUT, field).
DUPLICATE = "duplicate_row"
OVERLAP = "overlapping_episode"
MISSING_DATE = "missing_date"
END_BEFORE_START = "end_before_start"
BEFORE_BIRTH = "referral_before_birth"
CODE_FOR_YEAR = "code_not_valid_for_year"
DMY_DATE = "dd/mm/yyyy_date"
ISO_IN_903 = "iso_date_in_903"
PER_KIND = 3  # how many rows of each kind


@dataclass
class _CsvFile:
    """A CSV's lines kept as written, with parsed rows for the ones we touch."""

    path: Path
    header: list[str]
    lines: list[str]  # data lines without line ends
    edits: dict[int, list[str]] = field(default_factory=dict)
    duplicates: list[int] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> _CsvFile:
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        header = next(csv.reader([lines[0]]))
        return cls(path, header, lines[1:])

    def row(self, index: int) -> list[str]:
        if index not in self.edits:
            self.edits[index] = next(csv.reader([self.lines[index]]))
        return self.edits[index]

    def set(self, index: int, name: str, value: str) -> None:
        self.row(index)[self.header.index(name)] = value

    def get(self, index: int, name: str) -> str:
        values = self.edits.get(index) or next(csv.reader([self.lines[index]]))
        return values[self.header.index(name)]

    def line_number(self, index: int) -> int:
        """Final line number of data row ``index`` (header is line 1) after duplicates."""
        return index + 2 + sum(1 for d in self.duplicates if d < index)

    def write(self) -> None:
        out = list(self.lines)
        for index, values in self.edits.items():
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow(values)
            out[index] = buffer.getvalue()
        for index in sorted(self.duplicates, reverse=True):
            out.insert(index + 1, out[index])
        self.path.write_text("\n".join([",".join(self.header), *out]) + "\n", encoding="utf-8")


def _iso(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def plant_faults(out_dir: Path, *, seed: int, start: date, end: date) -> pl.DataFrame:
    """Plant faults in ``out_dir``'s files and write ``planted_faults.csv``; return its rows."""
    rng = Generator(PCG64(seed + 7919))
    planted: list[tuple[str, int, str, str]] = []
    ssd = out_dir / "ssd"
    files: dict[str, _CsvFile] = {}

    def open_table(name: str) -> _CsvFile | None:
        path = ssd / f"{name}.csv"
        if name not in files and path.exists():
            files[name] = _CsvFile.read(path)
        return files.get(name)

    used: dict[str, set[int]] = {}

    def pick(table: _CsvFile, name: str, ok: list[int], n: int = PER_KIND) -> list[int]:
        taken = used.setdefault(name, set())
        free = [i for i in ok if i not in taken]
        if not free:
            return []
        chosen = sorted(int(i) for i in rng.choice(free, size=min(n, len(free)), replace=False))
        taken.update(chosen)
        return chosen

    def note(table: _CsvFile, name: str, kind: str, index: int, column: str) -> None:
        planted.append((f"ssd/{name}.csv", index, column, kind))

    # Referral before birth (needs dates of birth) and missing referral dates.
    people = open_table("ssd_person")
    referrals = open_table("ssd_cin_episodes")
    if people and referrals:
        dob = {}
        for i in range(len(people.lines)):
            row = next(csv.reader([people.lines[i]]))
            dob[row[people.header.index("pers_person_id")]] = row[people.header.index("pers_dob")]
        rows = list(range(len(referrals.lines)))
        for i in pick(referrals, "ssd_cin_episodes", rows):
            born = _iso(dob.get(referrals.get(i, "cine_person_id"), ""))
            if born is None:
                continue
            referrals.set(i, "cine_referral_date", (born - timedelta(days=120)).isoformat())
            note(referrals, "ssd_cin_episodes", BEFORE_BIRTH, i, "cine_referral_date")
        for i in pick(referrals, "ssd_cin_episodes", rows):
            referrals.set(i, "cine_referral_date", "")
            note(referrals, "ssd_cin_episodes", MISSING_DATE, i, "cine_referral_date")
        for i in pick(referrals, "ssd_cin_episodes", rows, 2):
            referrals.duplicates.append(i)
            note(referrals, "ssd_cin_episodes", DUPLICATE, i, "")
    # End before start on child protection plans.
    plans = open_table("ssd_cp_plans")
    if plans:
        ended = [i for i in range(len(plans.lines)) if plans.get(i, "cppl_cp_plan_end_date")]
        for i in pick(plans, "ssd_cp_plans", ended):
            began = _iso(plans.get(i, "cppl_cp_plan_start_date"))
            if began is None:
                continue
            plans.set(i, "cppl_cp_plan_end_date", (began - timedelta(days=30)).isoformat())
            note(plans, "ssd_cp_plans", END_BEFORE_START, i, "cppl_cp_plan_end_date")
    # Overlapping care episodes: an episode starting before the previous one ended.
    episodes = open_table("ssd_cla_episodes")
    if episodes:
        cla_col = episodes.header.index("clae_cla_id")
        cla_ids = [next(csv.reader([line]))[cla_col] for line in episodes.lines]
        follows = [i for i in range(1, len(cla_ids)) if cla_ids[i] == cla_ids[i - 1]]
        for i in pick(episodes, "ssd_cla_episodes", follows):
            before = _iso(episodes.get(i - 1, "clae_cla_episode_start_date"))
            mine = _iso(episodes.get(i, "clae_cla_episode_start_date"))
            if before is None or mine is None or (mine - before).days < 3:
                continue
            new_start = before + timedelta(days=(mine - before).days // 2)
            episodes.set(i, "clae_cla_episode_start_date", new_start.isoformat())
            note(episodes, "ssd_cla_episodes", OVERLAP, i, "clae_cla_episode_start_date")
        for i in pick(episodes, "ssd_cla_episodes", list(range(len(episodes.lines))), 2):
            episodes.duplicates.append(i)
            note(episodes, "ssd_cla_episodes", DUPLICATE, i, "")
    # Placement codes outside the years they are valid in.
    placements = open_table("ssd_cla_placement")
    if placements:
        starts = [_iso(placements.get(i, "clap_cla_placement_start_date"))
                  for i in range(len(placements.lines))]  # fmt: skip
        late = [i for i, d in enumerate(starts) if d and d >= date(2025, 4, 1)]
        early = [i for i, d in enumerate(starts) if d and d < date(2024, 4, 1)]
        for rows, code in ((late, "H5"), (early, "K3")):
            for i in pick(placements, "ssd_cla_placement", rows, 2):
                placements.set(i, "clap_cla_placement_type", code)
                note(placements, "ssd_cla_placement", CODE_FOR_YEAR, i, "clap_cla_placement_type")
    # dd/mm/yyyy dates next to ISO ones.
    contacts = open_table("ssd_contacts")
    if contacts:
        for i in pick(contacts, "ssd_contacts", list(range(len(contacts.lines)))):
            d = _iso(contacts.get(i, "cont_contact_date"))
            if d is None:
                continue
            contacts.set(i, "cont_contact_date", d.strftime("%d/%m/%Y"))
            note(contacts, "ssd_contacts", DMY_DATE, i, "cont_contact_date")
    # Rows are recorded as data indexes until duplicates are known; turn them into lines.
    result = []
    for file, index, column, kind in planted:
        table = files[file.removeprefix("ssd/").removesuffix(".csv")]
        # A duplicate is reported on the copy, the line after the original.
        extra = 1 if kind == DUPLICATE else 0
        result.append((file, table.line_number(index) + extra, column, kind))
    for table in files.values():
        if table.edits or table.duplicates:
            table.write()
    result.extend(_faults_903(out_dir, rng))
    frame = pl.DataFrame(result, schema=["file", "row", "field", "kind"], orient="row").sort(
        ["file", "row", "field"]
    )
    frame.write_csv(out_dir / "planted_faults.csv")
    return frame


def _faults_903(out_dir: Path, rng: Generator) -> list[tuple[str, int, str, str]]:
    """In the latest 903 episodes table: an ISO date among dd/mm/yyyy ones."""
    folder = out_dir / "ssda903"
    years = sorted((p for p in folder.glob("*") if p.name.isdigit()), key=lambda p: p.name)
    if not years or not (years[-1] / "episodes.csv").exists():
        return []
    table = _CsvFile.read(years[-1] / "episodes.csv")
    if not table.lines:
        return []
    found = []
    chosen = rng.choice(len(table.lines), size=min(PER_KIND, len(table.lines)), replace=False)
    for i in sorted(int(x) for x in chosen):
        value = table.get(i, "DECOM")
        try:
            day, month, year = (int(x) for x in value.split("/"))
        except ValueError:
            continue
        table.set(i, "DECOM", date(year, month, day).isoformat())
        found.append(
            (f"ssda903/{years[-1].name}/episodes.csv", table.line_number(i), "DECOM", ISO_IN_903)
        )
    table.write()
    return found
