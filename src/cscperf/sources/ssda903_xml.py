"""The XML form of the SSDA903 return read into the same table rows as the CSV form.

This module owns the XML layout: one ``CHILD`` per child with a ``HEADER`` (the child's
details, with reviews, missing episodes, adoption, OC2, OC3, UASC and previous permanence
nested in it) and ``EPISODE`` elements. Element names that differ from the CSV columns
(``CHILDID`` for CHILD, ``PL`` for PLACE) are renamed; rows carry the XML source line.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from cscperf.limits import parse_xml as untrusted_xml
from cscperf.sources.returns_common import ProblemLog
from cscperf.sources.ssda903_map import RawRow

RENAMED = {"CHILDID": "CHILD", "PL": "PLACE"}
HEADER_FIELDS = ("SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
# Tables whose fields sit directly on HEADER, written only when their first field is present.
FLAT_TABLES = {
    "uasc": ("DUC",),
    "oc3": ("IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
}
# Tables nested in HEADER, one element per row.
NESTED_TABLES = {
    "AREVIEW": "reviews",
    "AMISSING": "missing",
    "AD_PLACED": "placed_for_adoption",
    "PERMANENCE": "previous_permanence",
    "OC2": "oc2",
}


def parse_xml(path: Path, data: bytes) -> etree._Element:
    """The document root; a file that is not well-formed XML cannot be read at all."""
    return untrusted_xml(data, str(path))


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _fields(element: etree._Element) -> dict[str, str]:
    return {
        RENAMED.get(str(child.tag), str(child.tag)): _text(child)
        for child in element
        if isinstance(child.tag, str) and len(child) == 0
    }


def rows_from_xml(path: Path, data: bytes, log: ProblemLog) -> list[RawRow]:
    """Every table's rows from one XML return."""
    root = parse_xml(path, data)
    if root.tag != "EXPSSDA903":
        log.error(path, "903.xml.root", f"the root element is {root.tag}, not EXPSSDA903", row=1)
        return []
    file = str(path)
    rows: list[RawRow] = []
    for child in root.iter("CHILD"):
        header = child.find("HEADER")
        line = child.sourceline or 0
        if header is None:
            log.error(file, "903.xml.no_header", "a CHILD has no HEADER; it is skipped", row=line)
            continue
        flat = _fields(header)
        ident = {"CHILD": flat.get("CHILD", ""), "DOB": flat.get("DOB", "")}
        head_line = header.sourceline or line
        rows.append(
            RawRow(
                "header",
                file,
                head_line,
                {"CHILD": ident["CHILD"], **{k: flat.get(k, "") for k in HEADER_FIELDS}},
            )
        )
        for table, columns in FLAT_TABLES.items():
            if any(flat.get(c) for c in columns):
                values = {**ident, **{c: flat.get(c, "") for c in columns}}
                if table == "uasc":
                    values["SEX"] = flat.get("SEX", "")
                rows.append(RawRow(table, file, head_line, values))
        for element in header:
            nested = NESTED_TABLES.get(str(element.tag))
            if nested is None:
                continue
            values = _fields(element)
            if nested == "oc2" and not any(values.values()):
                continue
            rows.append(RawRow(nested, file, element.sourceline or head_line, {**ident, **values}))
        for episode in child.iter("EPISODE"):
            rows.append(
                RawRow(
                    "episodes",
                    file,
                    episode.sourceline or line,
                    {"CHILD": ident["CHILD"], **_fields(episode)},
                )
            )
    return rows
