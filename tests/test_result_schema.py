"""The result's schema (forecast/result_schema.py): names, building, checking, labels.

And the numbers of the bundled scenario, unchanged by moving code between modules.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

import forecast
from forecast import result_schema as rs

STORED = Path(__file__).parent / "data" / "bundled_trajectory_seed0.csv"


@pytest.fixture(scope="module")
def bundled():
    scenario = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    return forecast.run(scenario, seed=0)


def test_bundled_trajectory_equals_the_one_stored_before_the_move(bundled):
    """``forecast run`` on the bundled scenario, seed 0, 4,000 draws: every number of the
    trajectory equals the stored one (full precision). Stored from d6280a1 and identical to
    the numbers of 518842f, the last commit before the modules were split (after the groups
    contract change); stored again deliberately when the bundled scenario gained its deadline
    (2022-03-31) and timing (issue 23: the days without an invasion count, the prior row is
    dated `opened`, column `row`). Without the deadline the numbers are the earlier file's to
    1e-16. The tolerance allows only last-digit rounding between CPUs."""
    stored = pd.read_csv(STORED, keep_default_na=False)
    now = forecast.trajectory_frame(bundled)
    assert list(now.columns) == list(stored.columns)
    assert now["evidence_id"].tolist() == stored["evidence_id"].tolist()
    assert now["date"].tolist() == stored["date"].astype(str).tolist()
    numbers = [c for c in stored.columns if c.startswith("p_") or c == "mcse"]
    np.testing.assert_allclose(
        now[numbers].to_numpy(float), stored[numbers].to_numpy(float), rtol=1e-12, atol=1e-15
    )
    assert bundled.attrs["band_route"] == "numpy"


def test_every_node_and_variable_of_a_full_result_is_in_the_schema(bundled):
    result = bundled.copy()
    scenario = forecast.scenario_of(result)
    from forecast.attribution import attribution_node, shapley
    from forecast.model import encode

    a = encode(scenario)
    result = rs.with_node(result, rs.ATTRIBUTION, attribution_node(shapley(a, seed=0), a, scenario))
    result = forecast.results.keep_previous(result, bundled)
    assert {rs.ATTRIBUTION, rs.PREVIOUS} <= set(result.children)
    for node in result.children:
        assert node in rs.VARIABLES, node
        ds = rs.dataset(result, node)
        for name in [*ds.data_vars, *ds.coords]:
            assert name in rs.VARIABLES[node], f"/{node}/{name}"
            listed = tuple(d.rstrip("*") for d in rs.VARIABLES[node][name])  # step*: own steps
            assert ds[name].dims == listed, f"/{node}/{name}"
    assert set(rs.REQUIRED_NODES) <= set(result.children)
    assert all(k in result.attrs for k in rs.REQUIRED_ATTRS)


def test_with_node_refuses_what_the_schema_does_not_list(bundled):
    t = rs.dataset(bundled, rs.TRAJECTORY)
    kept = t[["p_outcome", "p_outcome_low", "p_outcome_high"]]
    assert rs.PREVIOUS in rs.with_node(bundled, rs.PREVIOUS, kept).children
    assert rs.PREVIOUS not in bundled.children  # the result given is not modified
    with pytest.raises(ValueError, match="/previous_trajectory/mcse with dimensions"):
        rs.with_node(bundled, rs.PREVIOUS, t[["p_outcome", "mcse"]])
    with pytest.raises(ValueError, match="dimensions"):  # a listed name on other dimensions
        rs.with_node(bundled, rs.PREVIOUS, t[["p_hypothesis"]])
    with pytest.raises(ValueError, match="built by build_result"):
        rs.with_node(bundled, rs.TRAJECTORY, t)


def test_accessors_refuse_names_outside_the_schema(bundled):
    with pytest.raises(KeyError, match="not a node"):
        rs.dataset(bundled, "trajectroy")
    with pytest.raises(KeyError, match="not a variable of /trajectory"):
        rs.variable(bundled, rs.TRAJECTORY, "p_outcom")
    assert float(rs.variable(bundled, rs.TRAJECTORY, "p_outcome")[-1]) == pytest.approx(
        0.4106, 1e-3
    )
    assert not rs.has_node(bundled, rs.WATCH)
    with pytest.raises(TypeError, match="expected the result of forecast.run"):
        rs.check_result({"trajectory": 1})


def test_band_label_follows_the_result_not_a_literal(bundled):
    from forecast.charts import plot_timeline
    from forecast.widgets import headline

    assert rs.band_label(bundled) == "90%"
    assert rs.band_label() == "90%"
    other = bundled.copy()
    other.attrs["band"] = json.dumps([0.1, 0.9])
    assert rs.band_level(other) == pytest.approx(0.8)
    assert rs.band_label(other) == "80%"
    assert rs.band_percentiles(other) == "10th to 90th percentile"
    assert rs.band_percentiles(bundled) == "5th to 95th percentile"
    assert "(80% band " in headline(other)
    from matplotlib.text import Text

    labels = [t.get_text() for t in plot_timeline(other).findobj(Text)]
    assert "80% judgement band" in labels and "90% judgement band" not in labels
    other.attrs["band"] = "not json"  # a hand-edited file: the default, never a crash
    assert rs.band_label(other) == "90%"


PACKAGE = Path(forecast.__file__).parent


def _spelt(expr: ast.AST) -> str:
    """``self._result`` for an attribute chain, ``result`` for a name, else ``""``."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return f"{_spelt(expr.value)}.{expr.attr}"
    if isinstance(expr, ast.Call):
        return _spelt(expr.func) + "()"
    return ""


def _result_like(expr: ast.AST) -> bool:
    """An expression that names a result (or a node's children) by its spelling."""
    name = _spelt(expr).lower()
    return any(w in name for w in ("result", "previous", "current", "children", "tree"))


def _node_literals(tree: ast.AST):
    """(line, literal) of every node name spelt as a string where a result is read."""
    accessors = ("dataset", "variable", "has_node")
    for node in ast.walk(tree):
        found = []
        if isinstance(node, ast.Subscript) and _result_like(node.value):
            found.append(node.slice)
        elif isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn) and _result_like(right):
                    found.append(node.left)
        elif isinstance(node, ast.Call):
            name = _spelt(node.func)
            if name.split(".")[-1] in accessors:
                found += node.args[1:2] + [k.value for k in node.keywords if k.arg == "node"]
            elif name.endswith((".get", ".pop")) and _result_like(node.func.value):
                found += node.args[:1]
        for expr in found:
            if isinstance(expr, ast.Constant) and expr.value in rs.NODES:
                yield node.lineno, expr.value


def test_the_node_name_check_sees_every_way_of_reading_a_node():
    spellings = [
        'result["trajectory"]',
        'self._result["evidence"]',
        'tree["posterior"]',
        'result.children["watch"]',
        '"watch" in result',
        '"attribution" not in result.children',
        'result.get("watch")',
        'rs.dataset(result, "evidence")',
        'dataset(result, node="trajectory")',
        'variable(previous, "previous_trajectory", "p_outcome")',
    ]
    for text in spellings:
        assert list(_node_literals(ast.parse(text))), text
    harmless = ['data["evidence"]', '{"evidence": []}', 'parser.add_parser("watch")']
    for text in harmless:
        assert not list(_node_literals(ast.parse(text))), text


def test_no_module_but_the_schema_spells_a_node_name():
    """``result["trajectory"]``, ``"watch" in result.children`` and ``dataset(r, "evidence")``
    take their node from forecast.result_schema; the literal appears nowhere else."""
    offenders = [
        f"{path.relative_to(PACKAGE)}:{line} {literal!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "result_schema.py"
        for line, literal in _node_literals(ast.parse(path.read_text()))
    ]
    assert not offenders, offenders


def _node_of(expr: ast.AST, names: dict[str, str]) -> str | None:
    """The node an expression reads: ``dataset(r, TRAJECTORY)``, ``.isel(...)`` of it, or a
    local name assigned from one."""
    if isinstance(expr, ast.Name):
        return names.get(expr.id)
    if isinstance(expr, ast.Call):
        func = expr.func
        if _spelt(func).split(".")[-1] == "dataset" and len(expr.args) == 2:
            const = expr.args[1]
            if isinstance(const, ast.Name | ast.Attribute):
                return getattr(rs, _spelt(const).split(".")[-1], None)
        if isinstance(func, ast.Attribute) and func.attr in ("isel", "sel", "load", "copy"):
            return _node_of(func.value, names)
    return None


def _variable_literals(tree: ast.AST):
    """(line, node, name) of every variable read by a literal name from a node of a result."""
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        names: dict[str, str] = {}
        for stmt in ast.walk(fn):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                node = _node_of(stmt.value, names)
                if isinstance(target, ast.Name) and node:
                    names[target.id] = node
        for expr in ast.walk(fn):
            if isinstance(expr, ast.Subscript) and (node := _node_of(expr.value, names)):
                keys = expr.slice.elts if isinstance(expr.slice, ast.List) else [expr.slice]
                for key in keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        yield expr.lineno, node, key.value
            if (
                isinstance(expr, ast.Call)
                and _spelt(expr.func).split(".")[-1] == "variable"
                and len(expr.args) == 3
                and isinstance(expr.args[2], ast.Constant)
            ):
                node = getattr(rs, _spelt(expr.args[1]).split(".")[-1], None)
                yield expr.lineno, node, expr.args[2].value


def test_every_variable_read_by_name_is_one_the_schema_lists():
    """``dataset(result, TRAJECTORY)["p_outcome"]`` (directly, through a local name or an
    ``isel``) and ``variable(result, NODE, "name")`` name only variables that
    ``VARIABLES`` lists for that node: the schema owns the variable names too."""
    tree = ast.parse('t = dataset(r, TRAJECTORY).isel(step=-1)\nt["p_outcom"]', mode="exec")
    wrapped = ast.parse("def f():\n    " + ast.unparse(tree).replace("\n", "\n    "))
    assert [(n, v) for _, n, v in _variable_literals(wrapped)] == [("trajectory", "p_outcom")]
    seen, unknown = 0, []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, node, name in _variable_literals(ast.parse(path.read_text())):
            seen += 1
            if node is None or name not in rs.VARIABLES[node]:
                unknown.append(f"{path.relative_to(PACKAGE)}:{line} /{node}/{name}")
    assert seen > 50  # the check reads the package's own accesses, not nothing
    assert not unknown, unknown
