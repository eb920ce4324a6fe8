"""The risk register section of the pack and the dashboard, as plain rows.

Owns deciding what the register shows for a month: the table in the committee's layout (the
risks whose score moved this month first), a 5x5 heat map of where the risks are now and where
their targets put them (each cell gives its score, band and risk numbers in words, so colour is
never the only cue), the risks closed in the month, and beside each risk its linked
indicators with their current RAG from the pack. The HTML, the PDF, the workbook and the
dashboard all read these rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from cscperf.finance.month import MonthFinance
from cscperf.reports.layout import Mark, load_layout
from cscperf.reports.pack import Pack
from cscperf.risk.register import (
    AMBER,
    DIRECTION_WORDS,
    GREEN,
    IMPROVING,
    MET,
    NEW,
    NO_HISTORY,
    PROSPECT_LABELS,
    RED,
    UNCHANGED,
    WORSENING,
    Register,
    RegisterRow,
    RiskVersion,
    band_of,
    finance_label,
)
from cscperf.settings import RiskBand

# a symbol and a word for each direction (the score going down is the risk improving)
DIRECTION_MARKS = {
    IMPROVING: Mark(symbol="↓", label=DIRECTION_WORDS[IMPROVING]),
    WORSENING: Mark(symbol="↑", label=DIRECTION_WORDS[WORSENING]),
    UNCHANGED: Mark(symbol="↔", label=DIRECTION_WORDS[UNCHANGED]),
    NEW: Mark(symbol="✚", label=DIRECTION_WORDS[NEW]),
    NO_HISTORY: Mark(symbol="–", label=DIRECTION_WORDS[NO_HISTORY]),
}


def prospect_mark(prospects: str) -> Mark:
    """Prospects shown as the pack shows RAG (symbol, word, colours); met has its own."""
    if prospects == MET:
        return Mark(symbol="✔", label="Met", short="M", colour="#1d70b8", fill="#d2e2f1")
    rag = load_layout().rag_mark({GREEN: "green", AMBER: "amber", RED: "red"}[prospects])
    return Mark(
        symbol=rag.symbol,
        label=PROSPECT_LABELS[prospects],
        short=rag.short,
        colour=rag.colour,
        fill=rag.fill,
    )


@dataclass(frozen=True)
class Link:
    """An indicator linked to a risk, with its current RAG in the pack (``none`` when it has
    none, or the pack does not hold the indicator)."""

    ref: str
    title: str
    rag: str
    mark: Mark


@dataclass(frozen=True)
class RiskLine:
    row: RegisterRow
    direction: Mark
    prospects: Mark
    links: list[Link]

    @property
    def risk(self) -> RiskVersion:
        return self.row.risk


@dataclass(frozen=True)
class HeatCell:
    likelihood: int
    impact: int
    band: RiskBand
    now: list[str]
    target: list[str]

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def words(self) -> str:
        """The cell in words, for screen readers and the PDF alike."""
        parts = []
        if self.now:
            parts.append("now: " + ", ".join(self.now))
        if self.target:
            parts.append("target: " + ", ".join(self.target))
        return "; ".join(parts) or "no risks"


@dataclass(frozen=True)
class RiskSection:
    as_at: date
    lines: list[RiskLine]
    closed: list[RiskVersion]
    heat_rows: list[list[HeatCell]]  # impact from the top of the scale down to 1
    scale: int
    bands: list[RiskBand]

    @property
    def moved(self) -> list[RiskLine]:
        return [line for line in self.lines if line.row.moved]

    @property
    def overdue(self) -> list[RiskLine]:
        return [line for line in self.lines if line.row.overdue]

    @property
    def summary(self) -> str:
        """One sentence about the register, also the heat map's description."""
        n = len(self.lines)
        by_band = {b.label: 0 for b in self.bands}
        for line in self.lines:
            by_band[line.row.band.label] += 1
        bands = ", ".join(f"{count} {label.lower()}" for label, count in by_band.items())
        return (
            f"{n} open risk{'s' if n != 1 else ''} ({bands}); "
            f"{len(self.moved)} moved this month, {len(self.overdue)} overdue for review, "
            f"{len(self.closed)} closed this month."
        )


def heat_rows(register: Register) -> list[list[HeatCell]]:
    """The matrix as rows of cells, highest impact first, likelihood rising to the right."""
    now, target = register.heat_map("current"), register.heat_map("target")
    scale = register.settings.scale
    return [
        [
            HeatCell(
                likelihood,
                impact,
                band_of(likelihood * impact, register.settings),
                sorted(now.get((likelihood, impact), [])),
                sorted(target.get((likelihood, impact), [])),
            )
            for likelihood in range(1, scale + 1)
        ]
        for impact in range(scale, 0, -1)
    ]


def risk_section(
    register: Register,
    rag_of: Callable[[str], str | None] | None = None,
    titles: Mapping[str, str] | None = None,
) -> RiskSection:
    """The section's rows from a month's register; ``rag_of`` gives an indicator's current
    RAG and ``titles`` its title."""
    layout = load_layout()
    lines = []
    for row in register.rows:
        links = []
        for ref in row.risk.links:
            rag = (rag_of(ref) if rag_of else None) or "none"
            title = (titles or {}).get(ref) or link_title(ref)
            links.append(Link(ref, title, rag, layout.rag_mark(rag)))
        lines.append(
            RiskLine(row, DIRECTION_MARKS[row.direction], prospect_mark(row.prospects), links)
        )
    return RiskSection(
        as_at=register.as_at,
        lines=lines,
        closed=register.closed,
        heat_rows=heat_rows(register),
        scale=register.settings.scale,
        bands=list(register.settings.bands),
    )


def link_title(ref: str) -> str:
    label = finance_label(ref)
    return ref if label is None else f"Finance: {label}"


def finance_rags(finance: MonthFinance | None) -> dict[str, str]:
    """Each finance monitoring line's RAG this month, by its label in lower case: the council
    fund's divisions, the DSG blocks' lines and the s251 lines."""
    monitoring = finance.monitoring if finance is not None else None
    if monitoring is None:
        return {}
    lines = [*monitoring.council_fund.lines, *monitoring.by_s251]
    for table in monitoring.dsg_blocks:
        lines.extend(table.lines)
    return {line.label.lower(): line.rag for line in lines}


def pack_rag(pack: Pack, finance: MonthFinance | None = None) -> Callable[[str], str | None]:
    """An indicator's RAG this month for the pack's focus (county, or its locality); a finance
    line's from the month's monitoring (``finance``, else the pack's)."""
    breakdown, value = pack.focus
    finance_lines = finance_rags(finance if finance is not None else pack.finance)

    def rag_of(ref: str) -> str | None:
        label = finance_label(ref)
        if label is not None:
            return finance_lines.get(label.lower())
        row = pack.current_by_key.get((ref, breakdown, value))
        return (row or {}).get("rag")

    return rag_of


def pack_risks(pack: Pack) -> RiskSection | None:
    """The pack's risk section, or None when the pack was given no register."""
    if pack.risks is None:
        return None
    titles = {ref: d.title for ref, d in pack.definitions.items()}
    return risk_section(pack.risks, pack_rag(pack), titles)
