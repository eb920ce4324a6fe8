"""Overlapping looked-after episodes: an error between care episodes, a warning with a short
break (legal status V3/V4 on the episode's first day; spec section 6, SB)."""

from __future__ import annotations

from datetime import date

import polars as pl

from cscperf.sources.quality import run_checks, short_break_episodes


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _episodes(*rows: tuple[str, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "clae_cla_episode_id": [f"E{i}" for i in range(len(rows))],
            "clae_person_id": [person for person, _, _ in rows],
            "clae_cla_episode_start_date": [_d(start) for _, start, _ in rows],
            "clae_cla_episode_ceased_date": [_d(end) for _, _, end in rows],
            "_source_file": ["episodes.csv"] * len(rows),
            "_source_row": list(range(2, 2 + len(rows))),
        },
        schema_overrides={"clae_cla_episode_ceased_date": pl.Date},
    )


def _statuses(*rows: tuple[str, str, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "lega_legal_status_id": [f"L{i}" for i in range(len(rows))],
            "lega_person_id": [r[0] for r in rows],
            "lega_legal_status": [r[1] for r in rows],
            "lega_legal_status_start_date": [_d(r[2]) for r in rows],
            "lega_legal_status_end_date": [_d(r[3]) for r in rows],
        },
        schema_overrides={"lega_legal_status_end_date": pl.Date},
    )


def _overlaps(episodes: pl.DataFrame, statuses: pl.DataFrame) -> list[tuple[int | None, str]]:
    found = run_checks({"ssd_cla_episodes": episodes, "ssd_legal_status": statuses})
    return [(p.row, p.severity) for p in found if p.rule == "overlapping-episodes"]


EPISODES = _episodes(
    ("A", "2024-01-01", None),  # row 2: care episode, still open
    ("A", "2024-02-01", "2024-02-03"),  # row 3: short break inside it
    ("B", "2024-01-01", "2024-03-01"),  # row 4: care episode
    ("B", "2024-02-01", None),  # row 5: another care episode overlapping row 4
    ("C", "2024-05-01", "2024-05-04"),  # row 6: short break
    ("C", "2024-05-03", "2024-05-06"),  # row 7: short break overlapping row 6
)
STATUSES = _statuses(
    ("A", "C2", "2024-01-01", None),
    ("A", "V3", "2024-02-01", "2024-02-03"),
    ("B", "C1", "2024-01-01", None),
    ("C", "V4", "2024-05-01", None),
)


def test_short_breaks_are_the_episodes_with_v3_or_v4_on_their_first_day() -> None:
    flags = short_break_episodes(EPISODES, STATUSES, ["V3", "V4"]).to_list()
    assert flags == [False, True, False, False, True, True]


def test_care_episodes_overlapping_are_an_error_and_short_breaks_a_warning() -> None:
    assert sorted(_overlaps(EPISODES, STATUSES)) == [
        (3, "warning"),  # A's short break inside A's care episode
        (5, "error"),  # B's two care episodes
        (7, "warning"),  # C's two short breaks
    ]


def test_without_legal_status_every_overlap_is_an_error() -> None:
    found = run_checks({"ssd_cla_episodes": EPISODES})
    rows = sorted((p.row, p.severity) for p in found if p.rule == "overlapping-episodes")
    assert rows == [(3, "error"), (5, "error"), (7, "error")]
