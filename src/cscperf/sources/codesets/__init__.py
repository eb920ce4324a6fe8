"""Code sets of the statutory returns, kept as YAML and validated here.

``ssda903.yaml`` describes the SSDA903 tables as a first year plus yearly changes (tables added,
code lists changed); this module validates it with pydantic and resolves it into the tables,
columns and codes of one collection year (:func:`ssda903_year`), which is what the reader
checks a return against and what the synthetic council's writer writes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cscperf.errors import ConfigError

HERE = Path(__file__).parent

ColumnKind = Literal["id", "text", "postcode", "date", "permanence_date", "integer", "code"]


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ColumnKind
    codes: str | None = None  # name of a code list, for kind "code"
    blank: bool = False  # may the column be left blank?
    key: bool = False  # identifies the row: a row without it cannot be used
    # Not in the DfE layout but derived by validators and carried by some exports (PL_LOCATION):
    # read when a file has it, never reported missing.
    optional: bool = False
    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _code_needs_list(self) -> ColumnRule:
        if (self.kind == "code") != (self.codes is not None):
            raise ValueError("a code column names its code list; other kinds do not")
        return self


class TableRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    about: str
    file: str  # the file the table is written to (the synthetic council's writer uses it)
    # Tables whose columns an export may repeat on every row of this one (the child's header
    # columns on each episode).
    carries: list[str] = Field(default_factory=list)
    columns: dict[str, ColumnRule]

    @model_validator(mode="after")
    def _has_a_key(self) -> TableRule:
        if not any(column.key for column in self.columns.values()):
            raise ValueError("a table names at least one key column")
        return self


class CodeList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codes: dict[str, str]
    aliases: dict[str, str] = Field(default_factory=dict)

    @field_validator("codes", mode="before")
    @classmethod
    def _list_or_mapping(cls, value: object) -> object:
        # A bare list of codes is allowed where the codes need no description.
        if isinstance(value, list | dict) and any(isinstance(c, bool) for c in value):
            # YAML reads unquoted YES/NO/Y/N as booleans; the codes must be quoted.
            raise ValueError("a code was read as true/false: quote codes such as YES and NO")
        if isinstance(value, list):
            return {str(code): str(code) for code in value}
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


class CodeListChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


class YearChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int
    why: str
    add_tables: dict[str, TableRule] = Field(default_factory=dict)  # collected from this year
    columns: dict[str, str] = Field(default_factory=dict)  # "table.COLUMN" -> code list
    code_lists: dict[str, CodeListChange] = Field(default_factory=dict)


class SSDA903Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_year: int
    last_year: int
    tables: dict[str, TableRule]
    code_lists: dict[str, CodeList]
    changes: list[YearChange]

    def all_tables(self) -> dict[str, TableRule]:
        """Every table ever collected: the first year's and those added by later years."""
        tables = dict(self.tables)
        for change in sorted(self.changes, key=lambda c: c.year):
            tables.update(change.add_tables)
        return tables

    @model_validator(mode="after")
    def _references_resolve(self) -> SSDA903Spec:
        tables = self.all_tables()
        for table_name, table in tables.items():
            for column_name, column in table.columns.items():
                if column.codes is not None and column.codes not in self.code_lists:
                    raise ValueError(
                        f"{table_name}.{column_name} uses unknown code list {column.codes}"
                    )
            for carried in table.carries:
                if carried not in tables:
                    raise ValueError(f"{table_name} carries unknown table {carried}")
        for change in self.changes:
            for target, list_name in change.columns.items():
                table_name, _, column_name = target.partition(".")
                if table_name not in tables or column_name not in tables[table_name].columns:
                    raise ValueError(f"change {change.year} names unknown column {target}")
                if list_name not in self.code_lists:
                    raise ValueError(f"change {change.year} uses unknown code list {list_name}")
            for list_name in change.code_lists:
                if list_name not in self.code_lists:
                    raise ValueError(f"change {change.year} changes unknown list {list_name}")
        return self


class YearColumn(BaseModel):
    """One column as it stands in one collection year, with its codes resolved."""

    name: str
    kind: ColumnKind
    blank: bool
    key: bool = False
    optional: bool = False
    codes: frozenset[str] = frozenset()
    aliases: dict[str, str] = Field(default_factory=dict)
    min: int | None = None
    max: int | None = None


class YearTable(BaseModel):
    name: str
    about: str
    file: str
    columns: dict[str, YearColumn]  # in the order of the DfE layout
    carries: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(name for name, column in self.columns.items() if column.key)

    @property
    def dfe_columns(self) -> list[str]:
        """The columns of the DfE layout, in its order (the optional derived ones left out)."""
        return [name for name, column in self.columns.items() if not column.optional]


class YearSchema(BaseModel):
    """The SSDA903 tables, columns and codes of one collection year."""

    year: int
    tables: dict[str, YearTable]


@cache
def ssda903_spec() -> SSDA903Spec:
    """The validated SSDA903 code-set file."""
    path = HERE / "ssda903.yaml"
    try:
        # libyaml's loader when installed (about ten times faster than the pure-Python one).
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        return SSDA903Spec.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: the SSDA903 code sets are not valid ({exc})") from exc


@cache
def ssda903_year(year: int) -> YearSchema:
    """Resolve the SSDA903 tables for ``year``: the first year's lists with every change up to
    and including ``year`` applied. Years outside the known range use the nearest known one."""
    spec = ssda903_spec()
    year = min(max(year, spec.first_year), spec.last_year)
    lists = {name: dict(cl.codes) for name, cl in spec.code_lists.items()}
    column_lists: dict[str, str] = {}
    collected = dict(spec.tables)
    for change in sorted(spec.changes, key=lambda c: c.year):
        if change.year > year:
            break
        collected.update(change.add_tables)
        column_lists.update(change.columns)
        for name, edit in change.code_lists.items():
            for code in edit.remove:
                lists[name].pop(code, None)
            for code in edit.add:
                lists[name][code] = code
    tables: dict[str, YearTable] = {}
    for table_name, table in collected.items():
        columns: dict[str, YearColumn] = {}
        for column_name, rule in table.columns.items():
            list_name = column_lists.get(f"{table_name}.{column_name}", rule.codes)
            code_list = spec.code_lists[list_name] if list_name else None
            columns[column_name] = YearColumn(
                name=column_name,
                kind=rule.kind,
                blank=rule.blank,
                key=rule.key,
                optional=rule.optional,
                codes=frozenset(lists[list_name]) if list_name else frozenset(),
                aliases=dict(code_list.aliases) if code_list else {},
                min=rule.min,
                max=rule.max,
            )
        tables[table_name] = YearTable(
            name=table_name,
            about=table.about,
            file=table.file,
            columns=columns,
            carries=tuple(table.carries),
        )
    return YearSchema(year=year, tables=tables)


def ssda903_all_tables() -> dict[str, list[str]]:
    """Every SSDA903 table ever collected and its columns (for recognising files by header)."""
    return {name: list(table.columns) for name, table in ssda903_spec().all_tables().items()}


@cache
def ssda903_latest() -> YearSchema:
    """Every table ever collected, with the latest year's columns and codes: what a table the
    return's own year does not collect is checked against."""
    spec = ssda903_spec()
    return ssda903_year(spec.last_year)
