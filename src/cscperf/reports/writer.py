"""Writing a whole pack: assemble, draw, and write the HTML, PDF and workbook files.

Owns the order of work and the progress display; the content is decided in
:mod:`cscperf.reports.sections` and drawn by the HTML and Excel writers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cscperf.console import progress as bars
from cscperf.errors import CscperfError
from cscperf.reports.chart_process import ChartProcess
from cscperf.reports.charts import ChartCache
from cscperf.reports.excel import write_workbook
from cscperf.reports.html import draw_planned, pack_title, plan, print_images, render_html
from cscperf.reports.pack import Pack
from cscperf.reports.pdf import PdfProcess

HTML_FILE = "pack.html"
PDF_FILE = "pack.pdf"
XLSX_FILE = "pack.xlsx"


#: what a writer reports as it goes: the step, and the share of the work done (0 to 1)
Step = Callable[[str, float], None]


def write_pack_files(
    pack: Pack,
    out: Path,
    *,
    pdf: bool = True,
    progress: Step | None = None,
    chart_cache: Path | None = None,
    pdf_job: PdfProcess | None = None,
    chart_job: ChartProcess | None = None,
) -> list[Path]:
    """Write ``pack.html``, ``pack.pdf`` and ``pack.xlsx`` of an assembled pack into ``out``;
    with ``progress``, each step is reported to it (else shown as progress bars). Charts
    drawn before are taken from the folder ``chart_cache`` (see :class:`ChartCache`).
    ``pdf_job`` and ``chart_job`` are the PDF's and the charts' processes when the caller
    started them earlier (before assembling the pack, so that WeasyPrint's import and the
    chart engine's start overlap it); else the PDF's is started here and the charts are
    drawn in this process."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if pdf_job is not None:
            pdf_job.cancel()
        if chart_job is not None:
            chart_job.close()
        raise CscperfError(
            f"cannot create the output folder {out} ({exc}); choose another --out"
        ) from exc
    cache = ChartCache(chart_cache) if chart_cache is not None else None
    if pdf and pdf_job is None:
        pdf_job = PdfProcess()
    elif not pdf and pdf_job is not None:
        pdf_job.cancel()
        pdf_job = None
    if progress is not None:
        return _write(pack, out, (pdf_job, chart_job), progress, lambda: None, cache)

    n_charts = sum(1 for _ in pack.definitions)  # an upper bound, for the progress bar
    with bars() as bar:
        task = bar.add_task("Drawing charts", total=n_charts)
        steps = bar.add_task("Writing HTML, PDF and Excel", total=3)

        # after the charts: HTML, workbook, PDF, done; each step ends the one before
        after_charts = {
            "Drawing charts": 0,
            "Writing the HTML": 0,
            "Writing the Excel workbook": 1,
            "Done": 3,
        }

        def shown(step: str, done: float) -> None:
            if step != "Drawing charts":
                bar.update(task, completed=n_charts)
            bar.update(steps, completed=after_charts.get(step, 2))

        return _write(pack, out, (pdf_job, chart_job), shown, lambda: bar.advance(task), cache)


def _write(
    pack: Pack,
    out: Path,
    jobs: tuple[PdfProcess | None, ChartProcess | None],
    step: Step,
    on_chart: Callable[[], None],
    cache: ChartCache | None,
) -> list[Path]:
    """The work of :func:`write_pack_files`, reporting each step. The PDF (most of the time)
    is written by a child process, started first so that it imports WeasyPrint while the
    charts are drawn, and laying out the pages while the HTML and the workbook are written."""
    pdf_job, chart_job = jobs
    pdf = pdf_job is not None
    try:
        content = plan(pack, raster=pdf)
        step("Drawing charts", 0.05)
        draw_planned(content, raster=pdf, on_chart=on_chart, cache=cache, drawer=chart_job)
        if cache is not None:
            cache.prune()
        if pdf_job is not None:
            # the same HTML with the charts as pictures: WeasyPrint draws them much faster. Sent
            # once they are drawn: given the HTML earlier, the PDF's process parsed and styled
            # it while the charts were drawn, and on this loaded two-core machine that took
            # more CPU and no less time (ADR 0005)
            printed = render_html(content, for_print=True)
            pdf_job.send(printed, out / PDF_FILE, pack_title(pack), print_images(content))
        step("Writing the HTML", 0.3)
        html_path = out / HTML_FILE
        html_path.write_text(render_html(content), encoding="utf-8")
        step("Writing the Excel workbook", 0.35)
        write_workbook(content, out / XLSX_FILE)
        if pdf_job is not None:
            step("Writing the PDF (the longest step)", 0.4)
            pdf_job.wait()
    except BaseException:
        if pdf_job is not None:
            pdf_job.cancel()
        raise
    finally:
        if chart_job is not None:
            chart_job.close()  # given nothing to draw (every chart kept), or the pack failed
    step("Done", 1.0)
    return [html_path, *([out / PDF_FILE] if pdf else []), out / XLSX_FILE]
