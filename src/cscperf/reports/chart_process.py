"""The pack's charts drawn by a process of its own, whose chart engine starts at once.

Drawing a chart (Vega-Lite to SVG with vl-convert) first starts vl-convert's JavaScript engine:
about 0.6 s of CPU in the first call, and vl-convert holds Python's interpreter lock while it
draws, so no thread of the writing process can do it on the other core. :class:`ChartProcess`
is started with the pack's PDF process, before the month is assembled: it imports vl-convert
and starts its engine while the parent works out the month, then draws the specifications it
is sent (the SVG, and the PNG the PDF prints) and hands them back. It imports nothing of
cscperf but this module and :mod:`cscperf.reports.child`, so it starts quickly; where it
cannot be started or fails, the charts are drawn in the writing process as before
(:mod:`cscperf.reports.charts`).
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
from typing import IO, Any

import vl_convert as vlc

from cscperf.reports.child import start_child

VL_VERSION = "v5_20"
#: the font the charts are measured and drawn with (the PDF prints them with the same font)
FONT = "Liberation Sans"
#: a chart with a title, an axis and a mark: drawing it starts the engine and its text measuring
WARM_UP: dict[str, Any] = {
    "data": {"values": [{"x": 1, "y": 1}, {"x": 2, "y": 2}]},
    "mark": "line",
    "title": "Warm up",
    "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y"}},
    "config": {"font": FONT},
}

#: what the child gives back for each key: the SVG, and the PNG when one was asked for
Drawn = dict[str, tuple[str, bytes | None]]


def svg_of(spec: dict[str, Any]) -> str:
    """A Vega-Lite specification drawn as inline SVG (no XML declaration)."""
    svg: str = vlc.vegalite_to_svg(spec, vl_version=VL_VERSION)
    return svg.split("?>", 1)[1] if svg.startswith("<?xml") else svg


def draw_all(specs: dict[str, dict[str, Any]], scale: float | None) -> Drawn:
    """Each specification's SVG, and with ``scale`` its PNG at that scale."""
    drawn: Drawn = {}
    for key, spec in specs.items():
        svg = svg_of(spec)
        drawn[key] = (svg, bytes(vlc.svg_to_png(svg, scale=scale)) if scale else None)
    return drawn


class ChartProcess:
    """A child process that draws one batch of charts: started early (it starts vl-convert's
    engine at once), given the specifications with :meth:`draw`, which waits for them. A
    process that is never given any is stopped by :meth:`close`."""

    def __init__(self) -> None:
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close)
        self._child = start_child(__name__, self._log, subprocess.PIPE)

    def draw(self, specs: dict[str, dict[str, Any]], scale: float | None) -> Drawn | None:
        """The charts drawn by the child (see :func:`draw_all`), or None when it could not
        draw them (the caller then draws them itself). One batch per process."""
        child, self._child = self._child, None
        if child is None:
            return None
        try:
            out, _ = child.communicate(pickle.dumps((specs, scale)))
            drawn: Drawn | None = pickle.loads(out) if child.returncode == 0 else None
        except (OSError, pickle.UnpicklingError, EOFError):
            child.kill()
            child.wait()
            return None
        finally:
            self._log.close()
        return drawn if drawn is not None and set(drawn) == set(specs) else None

    def close(self) -> None:
        """Stop the child if it was given nothing to draw (every chart was kept, or the pack
        failed)."""
        if self._child is not None:
            if self._child.poll() is None:
                self._child.kill()
            self._child.wait()
            if self._child.stdin is not None:
                self._child.stdin.close()
            if self._child.stdout is not None:
                self._child.stdout.close()
            self._child = None
        self._log.close()


def _child() -> int:
    """The child's side of :class:`ChartProcess`: start the engine, read the batch, draw."""
    svg_of(WARM_UP)  # starts vl-convert's engine while the parent is still working
    job = sys.stdin.buffer.read()
    if not job:
        return 0
    specs, scale = pickle.loads(job)
    sys.stdout.buffer.write(pickle.dumps(draw_all(specs, scale)))
    return 0


if __name__ == "__main__":
    sys.exit(_child())
