"""A result's scenario decoded once and encoded once (forecast.view), on every command's path."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import forecast
import forecast.model as model
from forecast.caches import clear_caches
from forecast.cli import main
from forecast.result_schema import scenario_json, scenario_of
from forecast.scenario import Scenario
from forecast.view import ResultView, checked_view, decode, encoded, view_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def counted(monkeypatch):
    """Count ``Scenario.from_dict`` calls, and the hashes of the scenarios ``encode`` is given."""
    calls: dict[str, list] = {"decode": [], "encode": []}
    from_dict = Scenario.from_dict.__func__

    def counting(cls, data, *, name="<scenario>"):
        calls["decode"].append(name)
        return from_dict(cls, data, name=name)

    encode = model.encode

    def encoding(scenario):
        calls["encode"].append(scenario.hash)
        return encode(scenario)

    monkeypatch.setattr(Scenario, "from_dict", classmethod(counting))
    for name, module in list(sys.modules.items()):  # the names bound by `from .model import`
        if name.startswith("forecast") and getattr(module, "encode", None) is encode:
            monkeypatch.setattr(module, "encode", encoding)
    return calls


def _command(argv: list[str], calls: dict[str, list]) -> tuple[int, int]:
    """Run ``forecast <argv>`` in-process from cold; return (decodes, encodes of the scenario)."""
    clear_caches()  # as a fresh process: nothing remembered from the command before
    for found in calls.values():
        found.clear()
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 0, argv
    stored = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence").hash
    return len(calls["decode"]), calls["encode"].count(stored)


@pytest.mark.slow
def test_each_command_decodes_the_stored_scenario_once(tmp_path, counted):
    out = ["--out", str(tmp_path / "out")]
    run = ["run", "--priors", str(ROOT / "priors.yaml"), "--evidence", str(ROOT / "evidence")]
    run += ["--indicators", str(ROOT / "indicators"), *out]
    got = {
        "run": _command(run, counted),
        "run again": _command(run, counted),  # the earlier run read, its equal text reused
        "report": _command(["report", *out], counted),
        "charts": _command(["charts", *out], counted),
        "slides": _command(["slides", *out], counted),
    }
    decodes = {name: d for name, (d, _) in got.items()}
    assert decodes == dict.fromkeys(got, 1)
    # the stored scenario encoded once, for every table and chart (the run's own computing
    # encodes the scenario read from the files: not counted here)
    encodes = {name: e for name, (_, e) in got.items() if not name.startswith("run")}
    assert encodes == {"report": 1, "charts": 1, "slides": 1}


def test_a_view_decodes_once_and_hands_out_the_same_objects(uncertain_result, counted):
    clear_caches()
    view = view_of(uncertain_result)
    assert len(counted["decode"]) == 1
    assert view_of(view) is view and checked_view(view) is view
    again = view_of(uncertain_result)
    assert again.scenario is view.scenario and again.arrays is view.arrays
    assert scenario_of(uncertain_result) is view.scenario
    assert len(counted["decode"]) == 1 and len(counted["encode"]) == 1
    # equal to what decoding and encoding afresh give (an independent route)
    fresh = Scenario.from_dict(json.loads(uncertain_result.attrs["scenario_json"]))
    assert view.scenario == fresh and view.scenario_hash == fresh.hash
    for name, value in vars(model.encode(fresh)).items():
        np.testing.assert_array_equal(getattr(view.arrays, name), value, err_msg=name)
    assert not view.arrays.mu.flags.writeable  # shared by every consumer: read-only


def test_a_replaced_text_is_decoded_afresh(uncertain_result, counted):
    clear_caches()
    first = scenario_of(uncertain_result)
    tree = uncertain_result.copy()
    edited = json.loads(tree.attrs["scenario_json"])
    edited["priors"]["question"] = "Another question?"
    tree.attrs["scenario_json"] = json.dumps(edited)
    assert scenario_of(tree).question == "Another question?"
    assert scenario_of(uncertain_result) is first
    assert len(counted["decode"]) == 2
    copy = "".join(list(uncertain_result.attrs["scenario_json"]))  # another object, equal text
    assert copy is not uncertain_result.attrs["scenario_json"]
    assert decode(copy) is first and len(counted["decode"]) == 2
    assert decode(scenario_json(first)) is first  # the text a run of it stores


def test_the_tables_take_a_view_or_a_tree(uncertain_result):
    clear_caches()
    view = view_of(uncertain_result)
    by_tree = forecast.impact_table(uncertain_result)
    by_view = forecast.impact_table(view)
    assert by_view.equals(by_tree)
    with pytest.raises(TypeError, match="expected the result of forecast.run"):
        forecast.impact_table(ResultView({"trajectory": 1}, view.scenario))  # type: ignore[arg-type]
    assert encoded(view.scenario) is view.arrays
