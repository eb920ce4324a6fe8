"""Generator for ``canonical.yaml``, the description of the canonical (SSD-shaped) tables.

Run by hand when the SSD object specification changes::

    .venv/bin/python -m cscperf.sources._build_canonical ../shared/data/specs/ssd \
        src/cscperf/sources/canonical.yaml

It reads one YAML file per SSD table and writes, for every table and field: the canonical
type (string, date, int, float), whether the field is required (the spec's ``required``
validator or primary key), the record key used to merge several inputs, and the foreign keys.
The ``population`` extension table (not part of the SSD) is appended from
``EXTENSION_TABLES`` below, and cscperf's extension fields of SSD tables (marked
``extension: true``) from ``EXTENSION_FIELDS``. The output is committed; the program only reads
the YAML.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

# SSD SQL types -> canonical types. Flags (nchar 'Y'/'N', bit) stay strings, as the SSD has them.
TYPE_MAP = {
    "nvarchar": "string",
    "nchar": "string",
    "varchar": "string",
    "char": "string",
    "binary": "string",
    "bit": "string",
    "datetime": "date",
    "date": "date",
    "int": "int",
    "float": "float",
}

EXTENSION_TABLES: list[dict[str, Any]] = [
    {
        "name": "population",
        "extension": True,
        "description": "cscperf extension, not an SSD table: ONS mid-year population estimates "
        "for the council and, where the population file has them, its localities; read from "
        "the Explore Education Statistics layout.",
        "key": ["area", "mid_year", "age_group"],
        "fields": [
            {
                "name": "la_code",
                "type": "string",
                "required": True,
                "description": "3-digit DfE LA number (old_la_code)",
            },
            {
                "name": "ons_code",
                "type": "string",
                "required": False,
                "description": "9-character ONS code (new_la_code)",
            },
            {
                "name": "area",
                "type": "string",
                "required": True,
                "description": "council name, or locality name for locality rows",
            },
            {
                "name": "area_level",
                "type": "string",
                "required": True,
                "description": "council or locality",
            },
            {
                "name": "mid_year",
                "type": "int",
                "required": True,
                "description": "year of the mid-year (30 June) estimate",
            },
            {
                "name": "age_group",
                "type": "string",
                "required": True,
                "description": "age group as published, e.g. 'Children aged 0 to 17 years'",
            },
            {
                "name": "population",
                "type": "int",
                "required": True,
                "description": "estimated number of people",
            },
        ],
        "foreign_keys": [],
    }
]


# Fields cscperf adds to SSD tables. The SSD has no field saying whether a placement is inside
# the council's boundary; the 903 return's validators derive it (PL_LOCATION) and an SSD
# extract may supply it as this column. Readers do not warn when an extension field is absent.
EXTENSION_FIELDS: dict[str, list[dict[str, Any]]] = {
    "ssd_cla_placement": [
        {
            "name": "clap_cla_placement_location",
            "type": "string",
            "required": False,
            "extension": True,
            "description": "cscperf extension, not an SSD field: IN when the placement is "
            "inside the responsible council's boundary, OUT when outside (903 PL_LOCATION)",
        }
    ],
}


def _is_required(field: dict[str, Any]) -> bool:
    validators = field.get("validators") or []
    flagged = any(
        isinstance(v, dict) and (v.get("required") or {}).get("enabled") for v in validators
    )
    return bool(flagged or field.get("primary_key"))


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())


def table_entry(node: dict[str, Any]) -> dict[str, Any]:
    fields = node["fields"]
    key = [f["name"] for f in fields if f.get("primary_key")]
    foreign = []
    for f in fields:
        target = f.get("foreign_key")
        if not target:
            continue
        ref = str(target).split(" ")[0]
        table, _, column = ref.partition(".")
        foreign.append({"field": f["name"], "table": table, "column": column})
    entry: dict[str, Any] = {
        "name": node["name"],
        "extension": False,
        "description": _one_line(node.get("description")) or None,
        # Without a primary key in the spec, the whole row is the key: only exact
        # repeats merge.
        "key": key,
        "fields": [
            {
                "name": f["name"],
                "type": TYPE_MAP[str(f.get("type", "nvarchar")).lower()],
                "required": _is_required(f),
                "description": _one_line(f.get("description")),
            }
            for f in fields
        ],
        "foreign_keys": foreign,
    }
    entry["fields"].extend(EXTENSION_FIELDS.get(node["name"], []))
    return entry


def build(spec_dir: Path) -> dict[str, Any]:
    tables: list[dict[str, Any]] = []
    for path in sorted(spec_dir.glob("ssd_*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        tables.extend(table_entry(node) for node in raw["nodes"])
    tables.extend(EXTENSION_TABLES)
    return {
        "version": 1,
        "source": "Standard Safeguarding Dataset object specification (data-to-insight, "
        "ssd-data-model data/objects), one entry per table and field",
        "provenance_columns": ["_source_file", "_source_row"],
        "tables": tables,
    }


def main(argv: list[str]) -> None:
    spec_dir, out = Path(argv[0]), Path(argv[1])
    header = (
        "# The canonical tables: SSD tables and fields, types, required fields, record keys and\n"
        "# foreign keys. Generated by cscperf.sources._build_canonical from the SSD object\n"
        "# specification; edit the generator, not this file.\n"
    )
    body = yaml.safe_dump(build(spec_dir), sort_keys=False, allow_unicode=True, width=100)
    out.write_text(header + body, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
