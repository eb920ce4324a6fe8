"""The indicator package's layers: imports point one way (ADR 0005).

backends <- context <- blocks <- areas; the engine's parts (runs, rollup, aggregates,
scheduler, engine) sit beside the areas and never import one. Checked on the source, so a
new import against the direction fails here, not in a reader's head.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cscperf.indicators

ROOT = Path(cscperf.indicators.__file__).parent
PACKAGE = "cscperf.indicators"


def _imports(path: Path) -> set[str]:
    """Every cscperf.indicators module ``path`` imports, at any depth, type-only included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                found |= {f"{PACKAGE}.{a.name}" for a in node.names}
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PACKAGE + ".")}
    return found


def _modules(folder: str) -> dict[str, set[str]]:
    return {p.stem: _imports(p) for p in sorted((ROOT / folder).glob("*.py"))}


def _within(imports: set[str], layer: str) -> set[str]:
    return {m for m in imports if m == f"{PACKAGE}.{layer}" or m.startswith(f"{PACKAGE}.{layer}.")}


def test_blocks_never_import_an_area():
    for name, imports in _modules("blocks").items():
        assert not _within(imports, "areas"), f"blocks/{name}.py imports an area"


def test_no_area_imports_another_area():
    for name, imports in _modules("areas").items():
        assert not _within(imports, "areas"), f"areas/{name}.py imports {_within(imports, 'areas')}"


def test_the_context_imports_no_block_and_no_area():
    imports = _imports(ROOT / "context.py")
    assert not _within(imports, "blocks") and not _within(imports, "areas")


def test_backends_know_nothing_of_the_engine():
    for name, imports in _modules("backends").items():
        outside = {m for m in imports if not m.startswith(f"{PACKAGE}.backends")}
        assert not outside, f"backends/{name}.py imports {outside}"


def test_the_engine_parts_import_no_area_and_no_block():
    for name in ("engine", "runs", "rollup", "aggregates", "scheduler", "sql_cache"):
        imports = _imports(ROOT / f"{name}.py")
        assert not _within(imports, "areas"), f"{name}.py imports an area"
        assert not _within(imports, "blocks"), f"{name}.py imports a block"


def test_the_registry_imports_no_area():
    # The areas import the registry's decorator; importing every area is functions.py's step.
    imports = _imports(ROOT / "registry.py")
    assert not _within(imports, "areas"), "registry.py imports the areas"
