"""Commentary written in the dashboard: the workflow (draft, submit, return, sign off), its
append-only history, what the pack shows (signed off as written, the rest marked DRAFT), and
the commentary file as import and export format."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from tests.reports.fixtures import COMMENTED, PERIOD_END, fixture_pack

from cscperf.app.commentary import (
    AREA,
    DRAFT,
    INDICATOR,
    RETURNED,
    SIGNED_OFF,
    SUBMITTED,
    CommentaryRefused,
    Key,
    as_commentary,
    check_fields,
    export_commentary,
    for_pack,
    history,
    latest_number,
    pack_commentary,
    record,
)
from cscperf.cli import main
from cscperf.errors import StoreError
from cscperf.reports.writer import write_pack_files
from cscperf.store.council_data import council_database

CARD = Key(INDICATOR, COMMENTED, "2025-06")
TOPIC = Key(AREA, "referrals", "2025-06")


def test_sign_off_needs_a_submitted_version_and_history_keeps_every_step(tmp_path: Path) -> None:
    store = tmp_path
    with pytest.raises(CommentaryRefused, match="not written yet"):
        record(store, CARD, SIGNED_OFF, {"background": "x"}, "Pat")
    record(store, CARD, DRAFT, {"background": "First go."}, "Sam")
    with pytest.raises(CommentaryRefused, match="is Draft"):
        record(store, CARD, SIGNED_OFF, {"background": "First go."}, "Pat")
    record(store, CARD, SUBMITTED, {"background": "First go."}, "Sam")
    record(store, CARD, RETURNED, {"background": "First go."}, "Pat", "Say which teams.")
    with pytest.raises(CommentaryRefused, match="is Returned"):
        record(store, CARD, SIGNED_OFF, {"background": "First go."}, "Pat")
    record(store, CARD, SUBMITTED, {"background": "Two teams were short."}, "Sam")
    record(store, CARD, SIGNED_OFF, {"background": "Two teams were short."}, "Pat")
    steps = [(v.state, v.who, v.note) for v in reversed(history(store, CARD))]
    assert steps == [
        (DRAFT, "Sam", ""),
        (SUBMITTED, "Sam", ""),
        (RETURNED, "Pat", "Say which teams."),
        (SUBMITTED, "Sam", ""),
        (SIGNED_OFF, "Pat", ""),
    ]
    assert latest_number(store) == 5
    # history is never rewritten, even by hand
    with pytest.raises(StoreError, match="append-only"), council_database(store) as con:
        con.execute("UPDATE commentary_versions SET who = 'someone else'")
    with sqlite3.connect(store / "council.sqlite3") as con:
        assert con.execute("SELECT count(*) FROM commentary_versions").fetchone() == (5,)


def test_the_pack_takes_the_latest_signed_off_version_else_the_draft(tmp_path: Path) -> None:
    record(tmp_path, CARD, DRAFT, {"background": "v1"}, "Sam")
    record(tmp_path, CARD, SUBMITTED, {"background": "v1"}, "Sam")
    record(tmp_path, CARD, SIGNED_OFF, {"background": "v1"}, "Pat")
    record(tmp_path, CARD, DRAFT, {"background": "v2, not yet approved"}, "Sam")
    record(tmp_path, TOPIC, DRAFT, {"analysis": "Referrals rose."}, "Sam")
    model = pack_commentary(tmp_path)
    card = model.for_indicator(COMMENTED, PERIOD_END)
    assert card is not None and (card.background, card.status) == ("v1", None)
    topic = model.area_entry("referrals", PERIOD_END)
    assert topic is not None and (topic.analysis, topic.status) == ("Referrals rose.", DRAFT)
    # export holds signed-off text only
    exported = export_commentary(tmp_path)
    assert [(e.indicator_id, e.background) for e in exported.indicators] == [(COMMENTED, "v1")]
    assert exported.areas == []


def test_the_pack_marks_commentary_not_signed_off_as_draft(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    record(store, CARD, DRAFT, {"background": "Waiting on two teams."}, "Sam")
    record(store, TOPIC, SUBMITTED, {"analysis": "Referrals held steady."}, "Sam")
    pack = fixture_pack()
    pack.commentary = as_commentary(for_pack([*reversed(history(store, CARD))]))
    pack.commentary.areas = as_commentary(for_pack(history(store, TOPIC))).areas
    write_pack_files(pack, tmp_path / "out", pdf=False)
    html = (tmp_path / "out" / "pack.html").read_text(encoding="utf-8")
    card = _card(html)
    assert "Waiting on two teams." in card
    assert "DRAFT – this commentary is not signed off yet (draft)" in card
    topic = html.split('id="topic-referrals"', 1)[1].split("</section>", 1)[0]
    assert "Referrals held steady." in topic
    assert "not signed off yet (submitted)" in topic
    # signed off: the same words, no mark
    for state in (SUBMITTED, SIGNED_OFF):
        record(store, CARD, state, {"background": "Waiting on two teams."}, "Pat")
    pack.commentary = pack_commentary(store)
    write_pack_files(pack, tmp_path / "signed", pdf=False)
    html = (tmp_path / "signed" / "pack.html").read_text(encoding="utf-8")
    card = _card(html)
    assert "Waiting on two teams." in card and "not signed off" not in card


def _card(html: str) -> str:
    cards = html.split('aria-labelledby="cards"', 1)[1]
    return cards.split(f'data-ref="{COMMENTED}">', 1)[1].split("</article>", 1)[0]


def test_fields_are_trimmed_and_bounded() -> None:
    checked = check_fields(INDICATOR, {"background": "  text \r\n more ", "action": " "})
    assert checked.fields == {"background": "text \n more"} and not checked.errors
    assert "at most" in check_fields(INDICATOR, {"action": "x" * 5001}).errors["action"]
    assert check_fields(AREA, {}).errors == {"analysis": "Write the performance analysis"}


def test_commentary_file_import_and_export_round_trip(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    source = tmp_path / "commentary.yaml"
    source.write_text(
        yaml.safe_dump(
            {
                "kind": "cscperf-commentary",
                "indicators": [
                    {
                        "indicator_id": COMMENTED,
                        "period": "any",
                        "why_it_matters": "Children wait less.",
                    },
                    {
                        "indicator_id": COMMENTED,
                        "period": "2025-06",
                        "locality": "Saltfleet",
                        "background": "Short of staff.",
                    },
                ],
                "areas": [{"area": "referrals", "period": "2025-06", "analysis": "Steady."}],
            }
        ),
        encoding="utf-8",
    )
    assert main(["commentary", "import", str(source), "--store", str(store), "--by", "Pat"]) == 0
    versions = history(store, Key(INDICATOR, COMMENTED, "2025-06", "Saltfleet"))
    assert [(v.state, v.who) for v in versions] == [(SIGNED_OFF, "Pat"), (SUBMITTED, "Pat")]
    out = tmp_path / "out.yaml"
    assert main(["commentary", "export", "--store", str(store), "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == yaml.safe_load(
        source.read_text(encoding="utf-8")
    )
    from cscperf.store.audit import read_entries

    (entry,) = read_entries(store, action="commentary")
    assert (entry.who, entry.action) == ("Pat", "commentary.import")
    missing = ["commentary", "import", str(tmp_path / "nope.yaml"), "--store", str(store)]
    assert main(missing) == 1
