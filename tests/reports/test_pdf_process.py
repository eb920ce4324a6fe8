"""The PDF is written by a child process: it gives the same tagged PDF, its failures reach the
caller as errors for people, and a chart it was not given stops it rather than leaving a gap."""

from __future__ import annotations

from pathlib import Path

import pytest

from cscperf.errors import CscperfError
from cscperf.reports import charts
from cscperf.reports.pdf import PRINT_SCHEME, PdfProcess

PNG_NAME = f"{PRINT_SCHEME}test.png"


def _page(src: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>T</title></head>'
        f'<body><h1>Heading one</h1><p>Some words.</p><img src="{src}" alt="A bar."></body></html>'
    )


BAR = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10">'
    '<rect width="20" height="10" fill="#1d70b8"/></svg>'
)


@pytest.fixture(scope="module")
def png() -> bytes:
    return bytes(charts.vlc.svg_to_png(BAR))


def test_the_child_writes_a_tagged_pdf_with_the_picture(png: bytes, tmp_path: Path) -> None:
    from pypdf import PdfReader

    job = PdfProcess()
    job.send(_page(PNG_NAME), tmp_path / "t.pdf", "T", {PNG_NAME: png})
    job.wait()
    reader = PdfReader(tmp_path / "t.pdf")
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert "Heading one" in reader.pages[0].extract_text()
    assert len(reader.pages[0].images) == 1


def test_a_chart_not_given_stops_the_pdf(png: bytes, tmp_path: Path) -> None:
    job = PdfProcess()
    job.send(_page(f"{PRINT_SCHEME}other.png"), tmp_path / "t.pdf", "T", {PNG_NAME: png})
    with pytest.raises(CscperfError, match="names a chart it was not given"):
        job.wait()
    assert not (tmp_path / "t.pdf").exists()


def test_a_folder_that_cannot_be_written_is_named(png: bytes, tmp_path: Path) -> None:
    job = PdfProcess()
    job.send(_page(PNG_NAME), tmp_path / "missing" / "t.pdf", "T", {PNG_NAME: png})
    with pytest.raises(CscperfError, match=r"cannot write .*missing.*choose another --out"):
        job.wait()


def test_without_a_child_the_pdf_is_written_here(
    png: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_start(*args: object, **kwargs: object) -> None:
        raise OSError("no processes left")

    monkeypatch.setattr("cscperf.reports.pdf.subprocess.Popen", cannot_start)
    job = PdfProcess()
    job.send(_page(PNG_NAME), tmp_path / "t.pdf", "T", {PNG_NAME: png})
    job.wait()
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")


def test_a_cancelled_child_is_gone() -> None:
    job = PdfProcess()
    assert job._child is not None and job._child.poll() is None  # waiting for its job
    job.cancel()
    assert job._child.poll() is not None


def test_the_child_collects_garbage_rarely() -> None:
    """The child's collector runs less often and skips what was imported before the job
    (see ``collect_rarely``); the PDF tests above show the child still writes the PDF."""
    import gc

    from cscperf.reports.pdf import CHILD_GC_THRESHOLD, collect_rarely

    before = gc.get_threshold()
    assert before[0] < CHILD_GC_THRESHOLD
    try:
        collect_rarely()
        assert gc.get_threshold()[0] == CHILD_GC_THRESHOLD
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
