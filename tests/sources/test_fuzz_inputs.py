"""Every reader route, fed mutated files through the real command line, fails as a person can act
on: exit 0 or 1, never an internal fault; on 1 the output names the file; the build in use is
only replaced when the load succeeded.

Each route starts from a small valid input that loads (checked first), then hypothesis mutates
it: flipped bytes, truncation, other encodings and line ends, a huge field, odd numbers,
markup (DOCTYPE, entities, quotes, NUL), and for workbooks the parts inside the zip and their
cell references. Deterministic (``derandomize``); ``CSCPERF_FUZZ_EXAMPLES`` raises the number
of examples per route for a longer hunt.

Besides the faults issue 12 listed (fixed with their own tests in test_input_limits.py), it
found: a workbook part whose compressed data is damaged raised zlib's error past the bounds
check, and an SSDA903 CSV whose last row is cut short raised a polars SchemaError. Longer
hunts (60 to 100 examples per route, derandomised and random) found nothing further.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_council import CIN_EPISODES, POPULATION, SETTINGS, write_council
from openpyxl import Workbook

from cscperf.cli import main
from cscperf.console import err_console

EXAMPLES = int(os.environ.get("CSCPERF_FUZZ_EXAMPLES", "8"))
# The settings of every fuzzed route: the same examples each run (derandomised, no example
# database) and no deadline.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

EPISODES_903 = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    "C1,01/06/2024,S,C2,N1,U1,PR1,,,,,,SC123\n"
    "C2,15/07/2024,S,V2,N2,U4,PR1,20/07/2024,E12,,,,\n"
)

XML_903 = """<?xml version='1.0' encoding='utf-8'?>
<EXPSSDA903>
<CHILD><HEADER><CHILDID>C1</CHILDID><UPN>A123456789012</UPN><SEX>1</SEX><DOB>01/01/2015</DOB>
<ETHNIC>WBRI</ETHNIC><UASC /><AREVIEW><REVIEW>01/09/2024</REVIEW><REVIEW_CODE>PN1</REVIEW_CODE>
</AREVIEW><MOTHER /><MC_DOB /></HEADER>
<EPISODE><DECOM>01/06/2024</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL>
<PL_POST>AB1 2CD</PL_POST><HOME_POST /><URN>SC123</URN><PLACE_PROVIDER>PR1</PLACE_PROVIDER>
<DEC /><REC /><REASON_PLACE_CHANGE /></EPISODE>
</CHILD>
</EXPSSDA903>
"""

CIN_XML = """<?xml version="1.0" encoding="utf-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>2025</Year>
      <ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>999</LEA><SoftwareCode>test</SoftwareCode>
      <Release>1</Release><SerialNo>001</SerialNo><DateTime>2025-05-01T10:00:00</DateTime>
    </Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers><LAchildID>K1</LAchildID><UPN>A123456789012</UPN>
        <PersonBirthDate>2015-01-02</PersonBirthDate><Sex>F</Sex></ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity>
        <Disabilities><Disability>HAND</Disability></Disabilities></ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2024-05-01</CINreferralDate><ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode><CINclosureDate>2025-02-01</CINclosureDate>
        <ReasonForClosure>RC1</ReasonForClosure><ReferralNFA>0</ReferralNFA>
        <Assessments><AssessmentActualStartDate>2024-05-02</AssessmentActualStartDate>
          <AssessmentAuthorisationDate>2024-05-20</AssessmentAuthorisationDate>
          <FactorsIdentifiedAtAssessment><AssessmentFactors>2A</AssessmentFactors>
          </FactorsIdentifiedAtAssessment></Assessments>
        <CINPlanDates><CINPlanStartDate>2024-06-01</CINPlanStartDate>
          <CINPlanEndDate>2025-02-01</CINPlanEndDate></CINPlanDates>
      </CINdetails>
    </Child>
  </Children>
</Message>
"""

TARGETS = """kind: cscperf-targets
council: Testshire County Council
targets:
  - {indicator_id: cp.rate_per_10k, financial_year: 2024-25, target: 41}
  - {indicator_id: lac.rate_per_10k, financial_year: 2024-25, target: 67.5}
"""


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def annex_a_seed() -> bytes:
    return _workbook(
        {
            "List 1": [
                ["Child ID", "Sex", "Ethnicity", "DOB", "Date of contact", "Source of contact"],
                ["A1", "Female", "a) WBRI", datetime(2015, 1, 2), "03/04/2024", "q) 6: Police"],
            ],
            "List 3": [
                ["Child ID", "Gender", "Ethnicity", "Date of Birth", "Referral date"],
                ["A2", "1 - Male", "WBRI", "", 45387],
            ],
            "List 7": [
                [
                    "Child Unique ID",
                    "Gender",
                    "Ethnicity",
                    "Date of Birth",
                    "Child Protection Plan Start Date",
                    "Initial Category of Abuse",
                ],
                ["A2", "Male", "WBRI", "", date(2024, 5, 1), "Neglect"],
            ],
        }
    )


def targets_workbook_seed() -> bytes:
    return _workbook(
        {
            "Targets": [
                ["indicator_id", "financial_year", "target"],
                ["cp.rate_per_10k", "2024-25", 41],
                ["lac.rate_per_10k", "2024-25", 67.5],
            ]
        }
    )


# route: (file path inside the input folder, seed bytes, command: "ingest" or a targets command)
ROUTES: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "ssd_csv": ("ssd_cin_episodes.csv", lambda: CIN_EPISODES.encode(), "ingest"),
    "population": ("population.csv", lambda: POPULATION.encode(), "ingest"),
    "settings_yaml": ("council.yaml", lambda: SETTINGS.encode(), "ingest"),
    "903_csv": ("ssda903_2025/episodes.csv", lambda: EPISODES_903.encode(), "ingest"),
    "903_xml": ("ssda903_2025/return.xml", lambda: XML_903.encode(), "ingest"),
    "cin_xml": ("cin_census_2025.xml", lambda: CIN_XML.encode(), "ingest"),
    "annex_a_xlsx": ("annex_a.xlsx", annex_a_seed, "ingest"),
    "targets_yaml": ("targets.yaml", lambda: TARGETS.encode(), "check"),
    "targets_xlsx": ("targets.xlsx", targets_workbook_seed, "import"),
}

INSERTS = [
    '<!DOCTYPE x [<!ENTITY e "ee">]>',
    "&e;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "\x00",
    "\ufeff",
    '"',
    "'",
    "{",
    "[",
    "*a",
    "&a ",
    "\u2028",
    "\r",
    "\n",
    ",",
    ";",
    "\t",
    "<",
    "</Child>",
    "<CHILD>",
    ": ",
    "- ",
    "é€",
    "x: " + "[" * 300,
]
ODD_VALUES = [
    "1E+400",
    "-1E+400",
    "1.0e+400",
    "NaN",
    "inf",
    "-0",
    "1e-400",
    "99999999999999999999999999",
    "²",
    "٣",
    "1_000",
    "45382.5",
    "-45382",
    "2024-02-30",
    "31/02/2024",
    "00/00/0000",
    "9999-12-31",
    "0001-01-01",
]
CELL_REFS = ["A99999999999", "XFD1048576", "ZZZZ1", "A0", "a1", "AAAAAAAAAAAAAAAAAAAAA1"]
ENCODINGS = ["utf-8-sig", "utf-16", "utf-16-be", "utf-16-le", "cp1252"]

position = st.floats(0, 1)
mutation = st.one_of(
    st.tuples(
        st.just("flip"),
        st.lists(st.tuples(position, st.integers(0, 255)), min_size=1, max_size=6),
    ),
    st.tuples(st.just("truncate"), position),
    st.tuples(st.just("encode"), st.sampled_from(ENCODINGS), st.sampled_from(["\n", "\r\n", "\r"])),
    st.tuples(st.just("huge"), position, st.sampled_from(["x", '"x', "<x>"])),
    st.tuples(st.just("number"), st.integers(0, 40), st.sampled_from(ODD_VALUES)),
    st.tuples(st.just("insert"), position, st.sampled_from(INSERTS)),
    st.tuples(st.just("cellref"), st.integers(0, 10), st.sampled_from(CELL_REFS)),
)
# For a workbook: which part to mutate (the whole zip, a sheet, shared strings, the workbook).
PARTS = ["zip", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml"]


def mutate(data: bytes, steps: list[tuple]) -> bytes:
    for step in steps:
        data = _step(data, step)
    return data


def _at(data: bytes, where: float) -> int:
    return min(int(where * len(data)), len(data))


def _step(data: bytes, step: tuple) -> bytes:
    kind = step[0]
    if kind == "flip":
        out = bytearray(data)
        for where, value in step[1]:
            if out:
                out[min(_at(data, where), len(out) - 1)] = value
        return bytes(out)
    if kind == "truncate":
        return data[: _at(data, step[1])]
    if kind == "encode":
        text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\n", step[2])
        return text.encode(step[1], errors="replace")
    if kind == "huge":
        cut = _at(data, step[1])
        return data[:cut] + step[2].encode() + b"x" * 200_000 + data[cut:]
    if kind == "number":
        runs = list(re.finditer(rb"\d+", data))
        if not runs:
            return data
        run = runs[step[1] % len(runs)]
        return data[: run.start()] + step[2].encode() + data[run.end() :]
    if kind == "insert":
        cut = _at(data, step[1])
        return data[:cut] + step[2].encode("utf-8") + data[cut:]
    if kind == "cellref":
        refs = list(re.finditer(rb'r="[A-Z]+[0-9]+"', data))
        if not refs:
            return data
        ref = refs[step[1] % len(refs)]
        return data[: ref.start()] + f'r="{step[2]}"'.encode() + data[ref.end() :]
    raise AssertionError(kind)


def mutate_workbook(data: bytes, part: str, steps: list[tuple]) -> bytes:
    if part == "zip":
        return mutate(data, steps)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == part:
                body = mutate(body, steps)
            target.writestr(info.filename, body)
    return out.getvalue()


def run(*args: str) -> tuple[int, str]:
    buffer = io.StringIO()
    width = err_console.width
    err_console.width = 400
    try:
        with contextlib.redirect_stderr(buffer), contextlib.redirect_stdout(io.StringIO()):
            code = main(list(args))
    finally:
        err_console.width = width
    return code, buffer.getvalue()


class Route:
    """One route's seed, its folder of inputs and the store serving a build of them."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.relative, seed, self.command = ROUTES[name]
        self.seed = seed()
        self.root = root
        self.store = root / "store"
        self.count = 0
        code, output = self.run(self.inputs(self.seed))
        assert code == 0, f"the {name} seed does not load:\n{output}"

    def run(self, folder: Path) -> tuple[int, str]:
        path = folder / self.relative
        if self.command == "ingest":
            return run("ingest", "--store", str(self.store), str(folder))
        if self.command == "check":
            return run("targets", "check", str(path))
        return run("targets", "import", str(path), "--out", str(folder / "t.yaml"))

    def inputs(self, data: bytes) -> Path:
        self.count += 1
        folder = self.root / f"in{self.count}"
        write_council(folder)
        path = folder / self.relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return folder

    def check(self, data: bytes) -> None:
        folder = self.inputs(data)
        path = folder / self.relative
        current = self.store / "current"
        before = current.read_text(encoding="utf-8") if current.exists() else ""
        code, output = self.run(folder)
        after = current.read_text(encoding="utf-8") if current.exists() else ""
        assert "Internal error" not in output and "Traceback" not in output, output
        assert code in (0, 1), output
        if code == 1:
            assert path.name in "".join(output.split()), output
            assert after == before, "a failed load changed the build in use"
        shutil.rmtree(folder)


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Route]:
    return {}


def _route(routes: dict[str, Route], name: str, factory: pytest.TempPathFactory) -> Route:
    if name not in routes:
        routes[name] = Route(name, factory.mktemp(f"fuzz_{name}"))
    return routes[name]


TEXT_ROUTES = [name for name, (file, _, _) in ROUTES.items() if not file.endswith(".xlsx")]
WORKBOOK_ROUTES = [name for name, (file, _, _) in ROUTES.items() if file.endswith(".xlsx")]


@pytest.mark.parametrize("name", TEXT_ROUTES)
@FUZZ
@given(steps=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_text_inputs_fail_cleanly(
    routes: dict[str, Route],
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    steps: list[tuple],
) -> None:
    route = _route(routes, name, tmp_path_factory)
    route.check(mutate(route.seed, steps))


@pytest.mark.parametrize("name", WORKBOOK_ROUTES)
@FUZZ
@given(part=st.sampled_from(PARTS), steps=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_workbooks_fail_cleanly(
    routes: dict[str, Route],
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    part: str,
    steps: list[tuple],
) -> None:
    route = _route(routes, name, tmp_path_factory)
    route.check(mutate_workbook(route.seed, part, steps))


def test_the_mutations_reach_the_hard_cases() -> None:
    """The strategies can produce what the known faults needed (not a vacuous fuzz)."""
    assert b"1E+400" in mutate(b"a,12\n", [("number", 0, "1E+400")])
    assert b"<!DOCTYPE" in mutate(b"<a/>", [("insert", 0.0, INSERTS[0])])
    assert mutate(b"a\nb\n", [("encode", "utf-16", "\r")]) == "a\rb\r".encode("utf-16")
    assert len(mutate(b"ab", [("huge", 0.5, '"x')])) > 200_000
    sheet = annex_a_seed()
    bombed = mutate_workbook(sheet, "xl/worksheets/sheet1.xml", [("cellref", 1, "A99999999999")])
    with zipfile.ZipFile(io.BytesIO(bombed)) as archive:
        assert b'r="A99999999999"' in archive.read("xl/worksheets/sheet1.xml")
