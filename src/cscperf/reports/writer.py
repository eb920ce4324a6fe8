"""Writing a whole pack: assemble, draw, and write the HTML, PDF and workbook files.

Owns the order of work and the progress display; the content is decided in
:mod:`cscperf.reports.sections` and drawn by the HTML and Excel writers.
"""

from __future__ import annotations

from pathlib import Path

from cscperf.errors import CscperfError
from cscperf.reports.pack import Pack

HTML_FILE = "pack.html"
PDF_FILE = "pack.pdf"
XLSX_FILE = "pack.xlsx"


def write_pack_files(pack: Pack, out: Path, *, pdf: bool = True) -> list[Path]:
    """Write ``pack.html``, ``pack.pdf`` and ``pack.xlsx`` of an assembled pack into ``out``."""
    from cscperf.console import progress
    from cscperf.reports.excel import write_workbook
    from cscperf.reports.html import collect, pack_title, render_html, write_pdf

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CscperfError(
            f"cannot create the output folder {out} ({exc}); choose another --out"
        ) from exc
    n_charts = sum(1 for _ in pack.definitions)  # an upper bound, for the progress bar
    with progress() as bar:
        task = bar.add_task("Drawing charts", total=n_charts)
        content = collect(pack, on_chart=lambda: bar.advance(task), raster=pdf)
        bar.update(task, completed=n_charts)
        step = bar.add_task("Writing HTML, PDF and Excel", total=3)
        html_path = out / HTML_FILE
        html_path.write_text(render_html(content), encoding="utf-8")
        bar.advance(step)
        written = [html_path]
        if pdf:
            # the same HTML with the charts as pictures: WeasyPrint draws them much faster
            printed = render_html(content, for_print=True)
            write_pdf(printed, out / PDF_FILE, pack_title(pack))
            written.append(out / PDF_FILE)
        bar.advance(step)
        write_workbook(content, out / XLSX_FILE)
        written.append(out / XLSX_FILE)
        bar.advance(step)
    return written
