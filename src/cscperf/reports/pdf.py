"""The pack's PDF: WeasyPrint, in a process of its own beside the one writing the rest.

Owns turning the printed HTML into a tagged PDF/UA-1 file, and doing it in a child process
(:class:`PdfProcess`): the child imports WeasyPrint (seconds) while the parent draws the
charts, and lays out the pages while the parent writes the HTML and the workbook, so on two
cores the pack is ready sooner. The child is given everything as bytes and imports nothing
of cscperf but this module, so it starts quickly. Where no child can be started the PDF is
written in this process.
"""

from __future__ import annotations

import contextlib
import gc
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from cscperf.errors import CscperfError
from cscperf.reports.child import start_child

TEMPLATES = Path(__file__).with_name("templates")

#: how the printed HTML names a chart's PNG: handed to WeasyPrint as bytes, not base64 text
#: inside the HTML (its parser reads a data URL a character at a time)
PRINT_SCHEME = "cscperf-chart:"


def write_pdf(html: str, path: Path, title: str, images: Mapping[str, bytes] | None = None) -> None:
    """The PDF from the same HTML: tagged PDF/UA-1, language and title set. ``images`` are
    the pictures the HTML names by :data:`PRINT_SCHEME` (``html.print_images``)."""
    # WeasyPrint is the slowest import of all (seconds); only the PDF needs it (--no-pdf skips).
    import weasyprint

    given = dict(images or {})

    class Fetcher(weasyprint.urls.URLFetcher):
        """The charts' PNGs from memory; anything else as WeasyPrint fetches it. A picture
        that cannot be had stops the PDF rather than leaving a hole in it."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url in given:
                return weasyprint.urls.URLFetcherResponse(
                    url, given[url], {"Content-Type": "image/png"}
                )
            if url.startswith(PRINT_SCHEME):
                raise CscperfError(f"the PDF names a chart it was not given ({url})")
            return super().fetch(url, headers)

    fetcher = Fetcher(fail_on_errors=True)
    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES), url_fetcher=fetcher)
    try:
        document.write_pdf(str(path), pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    except weasyprint.urls.FatalURLFetchingError as exc:
        raise CscperfError(f"the PDF could not show a picture: {exc.__cause__ or exc}") from exc
    except OSError as exc:
        raise CscperfError(f"cannot write {path} ({exc}); choose another --out") from exc


class PdfProcess:
    """A child process that writes one PDF: started early (it imports WeasyPrint at once),
    given the HTML with :meth:`send`, awaited with :meth:`wait`. Its messages go to a
    temporary file rather than a pipe, so a chatty WeasyPrint cannot stall it."""

    def __init__(self) -> None:
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by wait/cancel)
        self._sent: tuple[str, Path, str, Mapping[str, bytes]] | None = None
        # written in this process instead when there is no child
        self._child = start_child(__name__, self._log, subprocess.DEVNULL)

    def send(self, html: str, path: Path, title: str, images: Mapping[str, bytes]) -> None:
        """Hand the child the PDF to write; it starts at once."""
        self._sent = (html, path, title, dict(images))
        if self._child is None or self._child.stdin is None:
            return
        try:
            self._child.stdin.write(pickle.dumps(self._sent))
            self._child.stdin.close()
        except OSError:  # the child died before reading: written here instead
            self._child.kill()
            self._child = None

    def wait(self) -> None:
        """Wait for the PDF; a failure in the child is raised here with its message."""
        if self._sent is None:
            raise CscperfError("the PDF process was given nothing to write")
        if self._child is None:
            self._log.close()
            write_pdf(*self._sent)
            return
        code = self._child.wait()
        self._log.seek(0)
        said = self._log.read().decode(errors="replace").strip()
        self._log.close()
        if code != 0:
            last = said.splitlines()[-1] if said else f"it stopped with exit code {code}"
            raise CscperfError(f"the PDF could not be written: {last}")
        if said:
            sys.stderr.write(said + "\n")  # WeasyPrint's warnings, as in one process

    def cancel(self) -> None:
        """Stop the child (the rest of the pack failed)."""
        if self._child is not None:
            if self._child.poll() is None:
                self._child.kill()
                self._child.wait()
            if self._child.stdin is not None and not self._child.stdin.closed:
                with contextlib.suppress(OSError):  # what was not written is not wanted
                    self._child.stdin.close()
        self._log.close()


#: the child's garbage collector: a collection of the youngest objects every this many
#: allocations (Python's default is 700)
CHILD_GC_THRESHOLD = 50_000


def collect_rarely() -> None:
    """Python's cyclic garbage collector, set for the child's one job. With the defaults it
    ran every 700 allocations and walked WeasyPrint's many thousand boxes and styles again
    and again, finding almost nothing to free: 15-20% of the PDF's CPU (the default
    county's 27-page pack, three runs each way; peak memory within 1%). What is imported
    before the job is frozen (never walked again) and collections are rarer."""
    gc.freeze()
    gc.set_threshold(CHILD_GC_THRESHOLD, 20, 100)


def _child() -> int:
    """The child's side of :class:`PdfProcess`: import WeasyPrint, read the job, write."""
    import weasyprint  # noqa: F401  (imported while the parent is still drawing charts)

    collect_rarely()  # only here: a process that goes on (the web service) keeps the defaults
    job = sys.stdin.buffer.read()
    if not job:
        return 0  # the parent gave up before sending
    html, path, title, images = pickle.loads(job)
    try:
        write_pdf(html, path, title, images)
    except CscperfError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child())
