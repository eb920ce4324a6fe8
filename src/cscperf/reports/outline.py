"""The pack's outline: its sections in order, and what is left out and why.

This is the one place to add a section to the pack: an entry in :data:`SECTIONS` naming its
template (``templates/sections/<key>.html.j2``, which reads the rows from the pack's content)
and saying when it has something to show. A section with nothing to show is left out of the
pack, not printed empty, and the appendix "What this pack leaves out" says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    key: str  # the template sections/<key>.html.j2 and the id of its heading
    title: str  # in the contents and the running header
    shows: Callable[[Any], bool]  # given the pack's content: has it anything to show?
    why_not: Callable[[Any], str]  # why it is left out, in a reader's words
    appendix: bool = False  # lettered A, B, ... in the order shown


def _framework_missing(content: Any) -> str:
    if content.pack.targets is None:
        return "no targets file was given, so nothing is measured against a target"
    return "the targets file sets no target for this financial year"


SECTIONS: tuple[Section, ...] = (
    Section("executive", "Executive summary", lambda c: True, lambda c: ""),
    Section(
        "summary",
        "Performance summary",
        lambda c: any(not r.not_available for r in c.summary),
        lambda c: "no indicator has a figure this month",
    ),
    Section(
        "topics",
        "Topic pages",
        lambda c: any(t.has_figures for t in c.topics),
        lambda c: "no topic has a figure in the 13 months",
    ),
    Section(
        "cards",
        "Report cards",
        lambda c: bool(c.cards),
        lambda c: "no vital sign is an exception this month",
    ),
    Section(
        "framework",
        "Quarterly performance framework",
        lambda c: bool(c.framework),
        _framework_missing,
    ),
    Section(
        "benchmarking",
        "Benchmarking analysis",
        lambda c: bool(c.bench),
        lambda c: "no published figures are available for this council",
    ),
    Section(
        "pool",
        "Pool benchmarks",
        lambda c: c.pool is not None,
        lambda c: "no pool was given (cscperf report --pool POOL); a public pack never shows one",
    ),
    Section(
        "finance",
        "Finance monitoring",
        lambda c: c.finance is not None,
        lambda c: "no finance was imported into the build (cscperf finance import)",
    ),
    Section(
        "forecast",
        "Forecast: children looked after and placement costs",
        lambda c: c.forecast is not None,
        lambda c: c.pack.forecast_note or "this is a locality's pack; the forecast is the county's",
    ),
    Section(
        "risks",
        "Risk register",
        lambda c: bool(c.risks),
        lambda c: "the pack was given no risk register",
    ),
    Section(
        "omitted",
        "What this pack leaves out",
        lambda c: True,
        lambda c: "",
        appendix=True,
    ),
    Section(
        "quality",
        "Data-quality summary",
        lambda c: bool(c.quality),
        lambda c: "the build has no data-quality report, or it found no problems",
        appendix=True,
    ),
)


@dataclass(frozen=True)
class Shown:
    key: str
    title: str  # with "Appendix A: " before an appendix's title


@dataclass(frozen=True)
class Omission:
    what: str  # a section, a topic or an indicator, in words
    why: str


def shown_sections(content: Any) -> list[Shown]:
    """The sections with something to show, in order; appendices lettered."""
    out = []
    letter = ord("A")
    for section in SECTIONS:
        if not section.shows(content):
            continue
        title = section.title
        if section.appendix:
            title = f"Appendix {chr(letter)}: {title}"
            letter += 1
        out.append(Shown(section.key, title))
    return out


def omissions(content: Any) -> list[Omission]:
    """Everything the pack leaves out, with the reason: whole sections, topics without a
    figure in the 13 months, and indicators without a figure this month."""
    out = [
        Omission(f"Section: {s.title}", s.why_not(content))
        for s in SECTIONS
        if not s.shows(content)
    ]
    for topic in content.topics:
        if topic.has_figures:
            continue
        reasons = sorted({why for _, _, why in topic.unavailable})
        because = "; ".join(reasons) if reasons else "it has no figures"
        n = len(topic.unavailable)
        out.append(
            Omission(
                f"Topic: {topic.title}",
                f"none of its {n} indicator{'s' if n != 1 else ''} has a figure in the "
                f"13 months ({because})",
            )
        )
    for topic in content.topics:
        if not topic.has_figures:
            continue
        for _, title, why in topic.unavailable:
            out.append(Omission(f"{topic.title}: {title}", f"no figure this month: {why}"))
    return out
