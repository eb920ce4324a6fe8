"""Every module of src/cscperf imports what it uses at its top (issue 14).

An import inside a function hides a module's dependencies and, more often than not, an import
cycle that the layering should have prevented. The only exceptions are on ALLOWED: optional or
heavy dependencies that only one path needs, each with the reason and a comment at the import
itself saying why. ``importlib.import_module`` inside a function counts as an import too.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "cscperf"
DYNAMIC = "importlib.import_module"

# (path under src/cscperf, function (outer.inner), module imported) -> why it stays inside.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("cli/__init__.py", "load_command", DYNAMIC): (
        "each command's module is loaded only when that command runs, so `cscperf --help` "
        "loads no Polars, Ibis or DuckDB"
    ),
    ("indicators/functions.py", "registered", DYNAMIC): (
        "discovers the indicator area modules; importing one registers its indicators"
    ),
    ("reports/charts.py", "trend_chart", "altair"): (
        "Altair is as slow to import as Ibis and only drawing needs it"
    ),
    ("reports/charts.py", "locality_chart", "altair"): "as trend_chart",
    ("reports/finance_section.py", "trend_chart", "altair"): "as reports/charts.py",
    ("reports/forecast_section.py", "fan_chart", "altair"): "as reports/charts.py",
    ("risk/importer.py", "_workbook_rows", "openpyxl"): (
        "openpyxl is as slow to import as Polars and only reading a register file needs it"
    ),
    ("reports/pdf.py", "write_pdf", "weasyprint"): (
        "WeasyPrint takes seconds to import and only the PDF needs it"
    ),
    ("reports/pdf.py", "_child", "weasyprint"): (
        "the PDF's child process imports WeasyPrint first, while the parent draws the charts"
    ),
    ("sources/ingest.py", "_read_database_input", "cscperf.sources.database"): (
        "SQLAlchemy is as slow to import as Polars and only --db-url needs it"
    ),
    ("indicators/backends/spark.py", "_view_connection_class", "ibis.backends.pyspark"): (
        "PySpark is an optional extra of about 450 MB, loaded only when Spark is asked for"
    ),
    ("indicators/backends/spark.py", "_pyspark", "pyspark.sql.pandas.types"): (
        "as _view_connection_class"
    ),
    ("indicators/backends/spark.py", "_probe_policy", "pyspark.sql.connect.client.retries"): (
        "part of Spark Connect's client, which needs packages of its own (grpcio)"
    ),
    ("store/council_data.py", "_psycopg", "psycopg"): (
        "psycopg takes over a second to import and only a store whose council records are on "
        "PostgreSQL needs it"
    ),
    ("app/month.py", "month_results", "cscperf.indicators.results"): (
        "the indicator engine (Ibis, every indicator area) is about 0.3 s of a pack's start, "
        "needed only when the build's results are not stored yet"
    ),
    ("app/month.py", "assemble_pack", "cscperf.pools.pool"): (
        "a pool's module imports the pooled engine (Ibis); only a pack given --pool needs it"
    ),
    # Pending: in a file other work has open; move it when that work lands.
    ("sources/ssda903.py", "read_file", "cscperf.sources.ssda903_xml"): "pending (903 reading)",
}


def _imported(node: ast.AST) -> str | None:
    """The module an import statement or an ``importlib.import_module`` call names."""
    if isinstance(node, ast.Import):
        return node.names[0].name
    if isinstance(node, ast.ImportFrom):
        return "." * node.level + (node.module or "")
    if isinstance(node, ast.Call) and ast.unparse(node.func) in (DYNAMIC, "__import__"):
        return DYNAMIC
    return None


def local_imports(root: Path = SRC) -> dict[tuple[str, str, str], int]:
    """Every import made inside a function, by file, function and module, with its line."""
    found: dict[tuple[str, str, str], int] = {}

    def walk(node: ast.AST, path: str, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                walk(child, path, f"{function}.{child.name}" if function else child.name)
                continue
            module = _imported(child)
            if function and module:
                found.setdefault((path, function, module), child.lineno)
            walk(child, path, function)

    for file in sorted(root.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        walk(tree, file.relative_to(root).as_posix(), None)
    return found


def test_no_function_local_imports():
    found = local_imports()
    unexpected = sorted(f"{path}:{line} {fn}: {mod}" for (path, fn, mod), line in found.items()
                        if (path, fn, mod) not in ALLOWED)  # fmt: skip
    assert not unexpected, (
        "imports inside functions (move them to the top of the module; if that makes an "
        "import cycle, fix the layering):\n" + "\n".join(unexpected)
    )


def test_allowed_imports_still_exist():
    stale = sorted(set(ALLOWED) - set(local_imports()))
    assert not stale, f"no longer imported inside a function, delete from ALLOWED: {stale}"


def test_allowed_imports_say_why():
    # The reason belongs at the import too, where the next reader meets it.
    silent = []
    for key, line in local_imports().items():
        if key in ALLOWED and not ALLOWED[key].startswith("pending"):
            lines = (SRC / key[0]).read_text(encoding="utf-8").splitlines()
            if "#" not in lines[line - 2] and "#" not in lines[line - 1]:
                silent.append(f"{key[0]}:{line}")
    assert not silent, f"allowed imports without a comment saying why: {silent}"


def test_the_scan_sees_local_imports(tmp_path):
    # Nested, async and method imports and import_module calls are found; top-level ones not.
    (tmp_path / "m.py").write_text(
        "import os\n"
        "import importlib\n"
        "def outer():\n"
        "    from json import dumps\n"
        "    async def inner():\n"
        "        import csv\n"
        "class C:\n"
        "    def method(self):\n"
        "        return importlib.import_module('x')\n"
    )
    assert local_imports(tmp_path) == {
        ("m.py", "outer", "json"): 4,
        ("m.py", "outer.inner", "csv"): 6,
        ("m.py", "method", DYNAMIC): 9,
    }
