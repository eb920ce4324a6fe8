"""Every function in src/cscperf stays short enough to read (issue 14).

A function longer than LIMIT lines fails this test unless it is on ALLOWED, which records the
functions still too long when the rule came in and the length each had then. The list can only
shrink: a listed function may not grow past its recorded length, and once it is split below the
limit its entry must be deleted (the test says so), so it cannot quietly grow back.
"""

from __future__ import annotations

import ast
from pathlib import Path

LIMIT = 150
SRC = Path(__file__).resolve().parents[1] / "src" / "cscperf"

# (path under src/cscperf, function name) -> longest it may be, in lines (end_lineno - lineno).
ALLOWED: dict[tuple[str, str], int] = {}


def function_lengths(root: Path = SRC) -> dict[tuple[str, str], int]:
    """The length of every function (nested ones too) longer than LIMIT, by file and name."""
    long: dict[tuple[str, str], int] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno
                if length > LIMIT:
                    key = (path.relative_to(root).as_posix(), node.name)
                    long[key] = max(length, long.get(key, 0))
    return long


def test_no_new_long_functions():
    new = {k: n for k, n in function_lengths().items() if k not in ALLOWED}
    assert not new, (
        f"functions over {LIMIT} lines: {new}; split them into named parts "
        "(do not add them to ALLOWED)"
    )


def test_allowed_functions_do_not_grow():
    grown = {
        k: (n, ALLOWED[k]) for k, n in function_lengths().items() if k in ALLOWED and n > ALLOWED[k]
    }
    assert not grown, f"(now, allowed) lines for listed functions that grew: {grown}"


def test_allow_list_only_shrinks():
    stale = sorted(set(ALLOWED) - set(function_lengths()))
    assert not stale, f"now under {LIMIT} lines, delete from ALLOWED: {stale}"


def test_the_measure_sees_long_functions(tmp_path):
    # The scan must find a long function (nested or async too), or the tests above pass vacuously.
    body = "\n".join(f"        x{i} = {i}" for i in range(LIMIT + 1))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(
        f"def outer():\n    async def inner():\n{body}\n\ndef short():\n    pass\n"
    )
    assert function_lengths(tmp_path) == {
        ("pkg/m.py", "outer"): LIMIT + 2,
        ("pkg/m.py", "inner"): LIMIT + 1,
    }
