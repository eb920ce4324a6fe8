"""The registry: one function per rule, registered under every id it computes.

Two ids that count the same items (a count and its rate, a month and its rolling twelve months)
share one function, ``@indicator("lac.count", "lac.rate_per_10k")``; the engine makes each
from the catalogue's unit and basis. A second function with the same body would be a copy to
keep in step, so the last test reads every area module and refuses one.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import cscperf.indicators.areas
from cscperf.indicators import registry
from cscperf.indicators.functions import registered
from cscperf.indicators.registry import indicator

AREA_MODULES = Path(cscperf.indicators.areas.__file__).parent


@pytest.fixture
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    table: dict[str, object] = {}
    monkeypatch.setattr(registry, "_REGISTRY", table)
    return table


def test_one_function_is_registered_under_each_of_its_ids(empty_registry) -> None:
    @indicator("x.count", "x.rate_per_10k")
    def counted(ctx):
        return ctx

    assert empty_registry == {"x.count": counted, "x.rate_per_10k": counted}
    assert dict(registry.registered_so_far()) == empty_registry


def test_an_id_computed_elsewhere_is_refused_and_nothing_is_registered(empty_registry) -> None:
    @indicator("x.count")
    def first(ctx):
        return ctx

    with pytest.raises(ValueError, match=r"x\.count is already computed by .*first"):

        @indicator("x.rate_per_10k", "x.count")
        def second(ctx):
            return ctx

    assert empty_registry == {"x.count": first}  # x.rate_per_10k was not registered either


def test_no_id_or_the_same_id_twice_is_refused(empty_registry) -> None:
    with pytest.raises(ValueError, match="at least one"):
        indicator()
    with pytest.raises(ValueError, match=r"x\.count more than once"):
        indicator("x.count", "x.count")
    assert empty_registry == {}


def test_merged_rules_compute_every_id_of_their_group() -> None:
    functions = registered()
    groups = [
        ["lac.count", "lac.rate_per_10k"],
        ["cp.icpc_count", "cp.icpc_rolling_12m_count", "cp.icpc_rate_per_10k"],
        ["referrals.rereferral_12m_pct", "referrals.rereferral_12m_rolling_12m_pct"],
        ["s47.completed_count", "s47.annualised_month_rate_per_10k"],
    ]
    for ids in groups:
        assert len({functions[i] for i in ids}) == 1, ids


def _bodies(path: Path) -> dict[str, tuple[list[str], str]]:
    """Each registered function of an area module: its ids and its body's AST (docstring
    dropped); a body that only returns another registered function of the module called
    with the context is that function's body."""
    found: dict[str, tuple[list[str], str]] = {}
    returns: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        ids = [
            arg.value
            for d in node.decorator_list
            if isinstance(d, ast.Call) and getattr(d.func, "id", None) == "indicator"
            for arg in d.args
            if isinstance(arg, ast.Constant)
        ]
        if not ids:
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        only = body[0] if len(body) == 1 else None
        if (
            isinstance(only, ast.Return)
            and isinstance(only.value, ast.Call)
            and isinstance(only.value.func, ast.Name)
        ):
            returns[node.name] = only.value.func.id
        found[node.name] = (ids, ast.dump(ast.Module(body=body, type_ignores=[])))
    for name, called in returns.items():
        if called in found:
            found[name] = (found[name][0], found[called][1])
    return found


def test_no_two_registered_functions_of_an_area_have_the_same_body() -> None:
    duplicates = []
    for path in sorted(AREA_MODULES.glob("*.py")):
        by_body: dict[str, list[str]] = defaultdict(list)
        for ids, body in _bodies(path).values():
            by_body[body].append(" ".join(ids))
        duplicates += [(path.name, names) for names in by_body.values() if len(names) > 1]
    assert duplicates == [], "register these ids on one function: @indicator(id, id, ...)"
