"""Other projects' deliberately imperfect sample files: each loads or is rejected precisely.

Every file in ``shared/data/samples`` goes through ``ingest`` on its own, and the whole folder
through ``cscperf ingest``: no traceback, and a load that publishes nothing says why with
errors that each name a file given and carry a message a person can act on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cscperf.app.load import ingest
from cscperf.cli import main
from cscperf.store import Store


def _samples(shared: Path) -> Path:
    folder = shared / "data" / "samples"
    if not folder.is_dir():
        pytest.skip("no samples folder in the shared material")
    return folder


def _files(shared: Path) -> list[Path]:
    return sorted(p for p in _samples(shared).rglob("*") if p.is_file())


def test_there_are_samples_of_every_return(shared: Path) -> None:
    kinds = {p.parent.name for p in _files(shared)}
    assert {"ssda903", "cin", "annex_a"} <= kinds


def test_every_sample_file_loads_or_is_rejected_precisely(shared: Path, tmp_path: Path) -> None:
    rejected = []
    for index, path in enumerate(_files(shared)):
        outcome = ingest(tmp_path / f"store{index}", [path])
        assert all(p.message.strip() for p in outcome.problems), path.name
        errors = [p for p in outcome.problems if p.severity == "error"]
        if outcome.published:
            assert errors == [], path.name
            assert Store(tmp_path / f"store{index}").current_id() == outcome.build_id
            continue
        rejected.append(path.name)
        assert outcome.reason, path.name
        assert errors, path.name
        for problem in errors:
            # An error names the file it is in, or is about the load as a whole.
            assert problem.file in ("", str(path)), (path.name, problem)
        # Nothing half-loaded: a rejected load leaves no build in its store.
        assert Store(tmp_path / f"store{index}").build_ids() == []
        assert (outcome.report_dir / "report.csv").is_file()
    # Some samples are broken on purpose; some load. Both routes are exercised.
    assert rejected
    assert len(rejected) < len(_files(shared))


def test_the_whole_samples_folder_through_the_command(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["ingest", "--store", str(tmp_path / "store"), str(_samples(shared))])
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert "Traceback" not in err
    # The samples come from two councils' CIN returns, among other faults: not published.
    assert code == 1
    assert "no build was published" in err
    assert "current build is unchanged" in err
