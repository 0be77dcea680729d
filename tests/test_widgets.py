"""The what-if panel (forecast.widgets): its callback gives what forecast.run gives."""

from __future__ import annotations

import sys
import time

import ipywidgets
import numpy as np
import pytest
import xarray as xr
from helpers import ROOT, item_dict, priors_dict, write_scenario

import forecast
from forecast.analysis import Encoded, Setting, importance, scale_likelihoods, scenario_for
from forecast.widgets import LIST_ALL, SHOWN, WhatIf, headline, what_if

DRAWS = 400
ITEM = "maxar-new-deployments"


@pytest.fixture(scope="module")
def bundled():
    return forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")


@pytest.fixture(scope="module")
def panel(bundled) -> WhatIf:
    return what_if(bundled, seed=0, draws=DRAWS)


@pytest.fixture(scope="module")
def clockless(bundled):
    """The bundled scenario without its window (no opened, deadline or timing): the panel's
    warm path on item arrays alone (with time, a move revalidates its scenario: issue 23)."""
    data = bundled.to_dict()
    for key in ("opened", "deadline", "timing", "resolution"):
        data["priors"].pop(key, None)
    for h in data["priors"]["hypotheses"].values():
        h.pop("by", None)
    return forecast.Scenario.from_dict(data)


@pytest.fixture(scope="module")
def clockless_panel(clockless) -> WhatIf:
    return what_if(clockless, seed=0, draws=DRAWS)


@pytest.fixture(autouse=True)
def _reset(request):
    yield
    for name in ("panel", "clockless_panel"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


def final(result: xr.DataTree) -> float:
    return float(result["trajectory"]["p_outcome"][-1])


def assert_same_result(got: xr.DataTree, want: xr.DataTree) -> None:
    for name in ("p_outcome", "p_outcome_low", "p_outcome_high", "p_hypothesis", "mcse"):
        np.testing.assert_array_equal(
            got["trajectory"][name].values, want["trajectory"][name].values
        )
    assert list(got["trajectory"]["evidence_id"].values) == list(
        want["trajectory"]["evidence_id"].values
    )


def test_panel_is_a_widget_with_the_documented_parts(panel, bundled):
    assert isinstance(panel, ipywidgets.Widget)
    assert forecast.what_if is what_if
    assert "what_if" in forecast.__all__
    assert list(panel.controls) == list(bundled.ids)
    for id, c in panel.controls.items():
        item = next(e for e in bundled.evidence if e.id == id)
        assert c["include"].value is True
        assert c["diagnosticity"].value == 1.0
        assert c["reliability"].value == pytest.approx(item.r)
        assert c["diagnosticity"].continuous_update  # the answer follows the slider
        assert c["reliability"].continuous_update
    from ipympl.backend_nbagg import Canvas

    assert isinstance(panel.chart, Canvas) and panel.chart.figure is panel.figure
    assert panel.text in panel.headline.value
    assert panel.scenario == bundled


def test_headline_of_the_scenario_as_written_is_the_run(panel, bundled):
    want = forecast.run(bundled, seed=0, draws=DRAWS)
    assert_same_result(panel.result, want)
    t = want["trajectory"]
    p, lo, hi = (float(t[v][-1]) for v in ("p_outcome", "p_outcome_low", "p_outcome_high"))
    assert panel.text == f"P(invasion) = {p:.1%} (90% band {lo * 100:.1f}-{hi * 100:.1f}%)"
    assert headline(want) == panel.text


def test_diagnosticity_slider_gives_the_model_value(panel, bundled):
    item = next(e for e in bundled.evidence if e.id == ITEM)
    before = panel.updates
    panel.controls[ITEM]["diagnosticity"].value = 2.0  # the observer runs the callback
    assert panel.updates == before + 1
    # the equivalent scenario built by hand: every log-likelihood doubled
    squared = {h: [lo**2, hi**2] for h, (lo, hi) in item.likelihoods.items()}
    want = forecast.run(bundled.updated(ITEM, likelihoods=squared), seed=0, draws=DRAWS)
    assert final(panel.result) == final(want)
    assert_same_result(panel.result, want)
    assert panel.text == headline(want)
    assert panel.text in panel.headline.value
    assert final(panel.result) != final(panel.base_result)
    assert f"{ITEM} s=2" in panel.status.value


def test_reliability_slider_gives_the_model_value(panel, bundled):
    panel.controls[ITEM]["reliability"].value = 0.3
    want = forecast.run(bundled.updated(ITEM, reliability=0.3), seed=0, draws=DRAWS)
    assert final(panel.result) == final(want)
    assert_same_result(panel.result, want)
    assert panel.text == headline(want)


def test_toggle_off_is_without(panel, bundled):
    panel.controls[ITEM]["include"].value = False
    want = forecast.run(bundled.without(ITEM), seed=0, draws=DRAWS)
    assert_same_result(panel.result, want)
    assert panel.scenario == bundled.without(ITEM)
    assert ITEM not in panel.scenario.ids
    assert f"without {ITEM}" in panel.status.value


def test_controls_moved_back_restore_the_original(panel, bundled):
    original = panel.base_result
    c = panel.controls[ITEM]
    c["include"].value = False
    c["include"].value = True
    c["diagnosticity"].value = 0.0
    c["reliability"].value = 0.1
    assert final(panel.result) != final(original)
    c["diagnosticity"].value = 1.0
    c["reliability"].value = 0.8  # B, as written
    assert panel.scenario == bundled
    assert_same_result(panel.result, original)
    assert "as written" in panel.status.value


def test_reset_is_one_update(panel, bundled):
    panel.controls[ITEM]["diagnosticity"].value = 3.0
    panel.controls["kavkaz-2008-precedent"]["include"].value = False
    before = panel.updates
    panel.reset()
    assert panel.updates == before + 1
    assert panel.scenario == bundled
    assert_same_result(panel.result, panel.base_result)


def test_zero_diagnosticity_or_reliability_is_a_neutral_item(bundled):
    # an ungrouped item: neutral = left out, for the probability (the band's draws differ)
    id = "kavkaz-2008-precedent"
    want = forecast.probabilities(forecast.encode(bundled.without(id)))[1][-1]
    for setting in (Setting(diagnosticity=0.0), Setting(reliability=0.0)):
        s = scenario_for(bundled, {id: setting})
        item = next(e for e in s.evidence if e.id == id)
        assert all(v == 1.0 for v in item.likelihoods.values())
        got = forecast.probabilities(forecast.encode(s))[1][-1]
        assert got == pytest.approx(want, rel=1e-12)


def test_scenario_for_uses_the_public_methods(bundled):
    assert scenario_for(bundled, {}) == bundled
    assert scenario_for(bundled, {ITEM: Setting()}) == bundled
    assert scenario_for(bundled, {ITEM: Setting(reliability=0.8)}) == bundled  # B
    both = scenario_for(
        bundled,
        {ITEM: Setting(include=False), "kavkaz-2008-precedent": Setting(reliability=0.9)},
    )
    assert both == bundled.without(ITEM).updated("kavkaz-2008-precedent", reliability=0.9)
    with pytest.raises(KeyError, match="no-such-item"):
        scenario_for(bundled, {"no-such-item": Setting()})
    with pytest.raises(ValueError, match="reliability"):
        scenario_for(bundled, {ITEM: Setting(reliability=1.5)})
    with pytest.raises(ValueError, match="diagnosticity"):
        scenario_for(bundled, {ITEM: Setting(diagnosticity=-1.0)})


def test_scale_likelihoods_scales_every_log_ratio():
    got = scale_likelihoods({"a": 4.0, "b": (0.5, 2.0), "c": [0.2, 0.8]}, 1.5)
    assert got["a"] == 4.0**1.5
    assert got["b"] == [0.5**1.5, 2.0**1.5]
    assert np.log(got["c"][0]) == pytest.approx(1.5 * np.log(0.2))
    assert scale_likelihoods({"a": 4.0, "b": (0.5, 2.0)}, 0.0) == {"a": 1.0, "b": 1.0}
    # a small s keeps an interval, ordered ...
    tiny = scale_likelihoods({"b": (0.999, 1.001)}, 1e-8)["b"]
    assert tiny == [0.999**1e-8, 1.001**1e-8] and tiny[0] < tiny[1]
    # ... and one that rounds both ends to 1.0 makes one number, never a zero-width interval
    collapsed = scale_likelihoods({"b": (1 - 1e-12, 1 + 1e-12)}, 1e-5)["b"]
    assert isinstance(collapsed, float) and collapsed == 1.0


def test_ratios_not_the_reference_are_scaled(uncertain_scenario):
    """Writing an item against another reference hypothesis gives the same what-if."""
    s1 = uncertain_scenario.replace_evidence(
        [
            {
                "id": "x",
                "date": "2022-02-20",
                "title": "x",
                "source": "t",
                "likelihoods": {"storm": 4.0, "calm": 0.5},
            }
        ]
    )
    s2 = uncertain_scenario.replace_evidence(
        [
            {
                "id": "x",
                "date": "2022-02-20",
                "title": "x",
                "source": "t",
                "likelihoods": {"storm": 8.0, "calm": 1.0, "bluff": 2.0},
            }
        ]
    )
    p1 = forecast.probabilities(forecast.encode(scenario_for(s1, {"x": Setting(diagnosticity=2)})))
    p2 = forecast.probabilities(forecast.encode(scenario_for(s2, {"x": Setting(diagnosticity=2)})))
    np.testing.assert_allclose(p1[0], p2[0], rtol=1e-12)


def test_panel_on_a_grouped_uncertain_scenario(uncertain_scenario):
    panel = what_if(uncertain_scenario, draws=DRAWS)
    panel.controls["b"]["include"].value = False
    want = forecast.run(uncertain_scenario.without("b"), seed=0, draws=DRAWS)
    assert_same_result(panel.result, want)
    assert panel.text.startswith("P(event) = ")


def test_static_html_snapshot_for_viewers_without_a_kernel(panel):
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert panel.text in bundle["text/html"]
    assert "data:image/png;base64," in bundle["text/html"]


# ----------------------------------------------------------------------------- the live path
LIVE = ("p_outcome", "p_outcome_low", "p_outcome_high", "p_hypothesis")


def assert_live_is_run(live: dict, want: xr.DataTree) -> None:
    for name in LIVE:
        np.testing.assert_array_equal(live[name], want["trajectory"][name].values, err_msg=name)


SETTINGS = [
    {ITEM: Setting(diagnosticity=2.0)},
    {ITEM: Setting(diagnosticity=0.35, reliability=0.55)},
    {ITEM: Setting(reliability=0.0), "kavkaz-2008-precedent": Setting(include=False)},
    # a whole group off: the other groups are numbered anew, as encode numbers them
    {
        id: Setting(include=False)
        for id in ("drills-continue-troops-arrayed", ITEM, "wallace-aggressive-launch-areas")
    },
    {"duma-recognition-vote": Setting(diagnosticity=3.0), ITEM: Setting(diagnosticity=0.0)},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_encoded_arrays_are_encode_of_the_modified_scenario(bundled, settings):
    a, ids = Encoded(bundled).arrays(settings)
    want = forecast.encode(scenario_for(bundled, settings))
    assert ids == scenario_for(bundled, settings).ids
    for name in ("prior", "p_mean", "p_sd", "mu", "sd", "r", "group", "rho"):
        np.testing.assert_array_equal(getattr(a, name), getattr(want, name), err_msg=name)
    assert a.kappa == want.kappa


def test_encoded_arrays_of_a_whole_group_left_out(uncertain_scenario):
    settings = {"b": Setting(include=False), "c": Setting(include=False)}
    a, _ = Encoded(uncertain_scenario).arrays(settings)
    want = forecast.encode(uncertain_scenario.without("b", "c"))
    np.testing.assert_array_equal(a.group, want.group)
    np.testing.assert_array_equal(a.rho, want.rho)
    assert (a.group == -1).all()


@pytest.mark.parametrize("settings", SETTINGS)
def test_panel_numbers_are_forecast_run_of_the_modified_scenario(panel, bundled, settings):
    for id, setting in settings.items():
        c = panel.controls[id]
        c["include"].value = setting.include
        c["diagnosticity"].value = setting.diagnosticity
        if setting.reliability is not None:
            c["reliability"].value = setting.reliability
    modified = scenario_for(bundled, settings)
    want = forecast.run(modified, seed=0, draws=DRAWS)
    assert_live_is_run(panel.live, want)
    assert panel.text == headline(want)
    assert panel.scenario == modified
    assert_same_result(panel.result, want)


def test_a_move_builds_no_datatree_and_validates_nothing(clockless_panel, monkeypatch):
    panel = clockless_panel
    import forecast.widgets as widgets

    def forbidden(*args, **kwargs):
        raise AssertionError("a move must not call this")

    monkeypatch.setattr(widgets, "run", forbidden)
    monkeypatch.setattr(widgets, "scenario_for", forbidden)
    monkeypatch.setattr(forecast.Scenario, "replace_evidence", forbidden)
    before = panel.updates
    for v in (0.5, 1.5, 2.5):
        panel.controls[ITEM]["diagnosticity"].value = v
    panel.controls[ITEM]["include"].value = False
    assert panel.updates == before + 4
    monkeypatch.undo()
    want = forecast.run(panel.scenario, seed=0, draws=DRAWS)  # asked for: built now
    assert_same_result(panel.result, want)


def test_a_bad_setting_is_reported_and_the_numbers_kept(panel):
    text = panel.text
    panel.update()  # nothing moved: same numbers
    assert panel.text == text
    slider = panel.controls[ITEM]["reliability"]
    slider.max = 1.5  # what the slider as made cannot do
    try:
        slider.value = 1.5
        assert panel.update() is None
        assert "not updated" in panel.status.value and "reliability" in panel.status.value
        assert panel.text == text
    finally:
        slider.max = 1.0


def test_chart_data_replaced_in_place(panel):
    t = panel.traces
    line, hyps, canvas = t["outcome"], dict(t["hypotheses"]), panel.chart
    y0 = line.get_ydata().copy()
    band0 = t["band"]
    panel.controls[ITEM]["diagnosticity"].value = 2.5
    assert panel.chart is canvas and t["outcome"] is line and t["hypotheses"] == hyps
    assert not np.array_equal(line.get_ydata(), y0)
    np.testing.assert_array_equal(line.get_ydata(), panel.live["p_outcome"])
    assert t["band"] is not band0  # the band's polygon replaced
    verts = t["band"].get_paths()[0].vertices
    assert verts[:, 1].max() == pytest.approx(panel.live["p_outcome_high"].max())
    # switching an item off shortens every trace by one step
    panel.controls[ITEM]["include"].value = False
    assert line.get_xdata().size == len(panel.base.ids)


def test_requests_during_an_update_are_coalesced(clockless_panel, monkeypatch):
    """A request made while an update runs does not run its own: once the update is done,
    one more update takes the latest state."""
    import forecast.widgets as widgets

    panel = clockless_panel
    calls = []
    real = widgets.live_trajectory

    def slow(a, ids, **kw):
        calls.append(a.mu.copy())
        if len(calls) == 1:  # three more moves arrive while the first update computes
            for v in (0.5, 1.5, 2.5):
                panel.controls[ITEM]["diagnosticity"].value = v
        return real(a, ids, **kw)

    monkeypatch.setattr(widgets, "live_trajectory", slow)
    before = panel.updates
    panel.controls[ITEM]["diagnosticity"].value = 2.0
    assert len(calls) == 2 and panel.updates == before + 2
    monkeypatch.undo()
    want = forecast.run(scenario_for(panel.base, {ITEM: Setting(diagnosticity=2.5)}), draws=DRAWS)
    assert_live_is_run(panel.live, want)


def test_importance_is_leave_one_out(uncertain_scenario, bundled):
    for scenario in (uncertain_scenario, bundled):
        a = forecast.encode(scenario)
        got = importance(a)
        p_full = forecast.probabilities(a)[1][-1]
        for i, e in enumerate(scenario.evidence):
            without = forecast.probabilities(forecast.encode(scenario.without(e.id)))[1][-1]
            # exact for every item: a grouped one's leaving re-ranks its group
            assert got[i] == pytest.approx(abs(p_full - without), rel=1e-9, abs=1e-12), e.id
    # the attribution, when the result has one, decides instead
    a = forecast.encode(bundled)
    shap = np.arange(a.n_items, dtype=float)[:, None] * np.array([1.0, -2.0])
    result = xr.DataTree.from_dict(
        {"attribution": xr.Dataset({"shapley": (("evidence", "x"), shap)})}
    )
    np.testing.assert_array_equal(importance(a, result), 3 * np.arange(a.n_items))
    # by id, when the node names its items (here in reverse order)
    ids = bundled.ids
    named = xr.DataTree.from_dict(
        {
            "attribution": xr.Dataset(
                {"shapley": (("evidence", "x"), shap[::-1])},
                coords={"evidence": list(ids[::-1])},
            )
        }
    )
    np.testing.assert_array_equal(importance(a, named, ids), 3 * np.arange(a.n_items))


@pytest.fixture(scope="module")
def large():
    sys.path.insert(0, str(ROOT / "bench"))
    from synth import make_scenario

    return forecast.Scenario.from_dict(make_scenario(10_000, 4, uncertain=False, seed=3))


def test_large_scenario_lists_what_matters_with_a_filter(large):
    import ipympl  # noqa: F401  (imports are not the panel's time)

    start = time.perf_counter()
    panel = what_if(large, draws=DRAWS)
    build = time.perf_counter() - start
    rows = [w for w in panel.rows.children if "forecast-whatif-item" in w._dom_classes]
    assert len(rows) == SHOWN < LIST_ALL < len(large.ids)
    order = np.argsort(-importance(forecast.encode(large)), kind="stable")
    listed = [large.ids[i] for i in order[:SHOWN]]
    assert rows == [panel.controls[id]["box"] for id in listed]
    # the filter finds any item; its controls work like the listed ones
    target = large.ids[7777]
    panel.filter.value = target
    rows = [w for w in panel.rows.children if "forecast-whatif-item" in w._dom_classes]
    assert rows == [panel.controls[target]["box"]]
    start = time.perf_counter()
    panel.controls[target]["diagnosticity"].value = 2.0
    move = time.perf_counter() - start
    want = forecast.probabilities(
        forecast.encode(scenario_for(large, {target: Setting(diagnosticity=2.0)}))
    )[1]
    np.testing.assert_array_equal(panel.live["p_outcome"], want)
    assert "band" in panel.text  # the band waits for the button at this size
    # generous bounds here (a loaded machine); bench/ measures against 2 s and 200 ms
    assert build < 20 and move < 2, (build, move)


# ----------------------------------------------------------------------------- indicators
def test_pretend_seen_and_not_seen_is_the_observed_scenario(clockless, tmp_path):
    """Issue 13 point 5: a "pretend seen / not seen" toggle per indicator adds it as
    `forecast observe` would record it; with point p_seen the panel's final P(outcome) is
    exactly watch's prediction. Item controls still apply, and Reset undoes both. (Without the
    window: with one, the pretended item's date moves the as-of day, which watch does not.)"""
    bundled = clockless
    from forecast.indicators import Indicator
    from forecast.observations import indicator_evidence

    point = Indicator(
        id="talks-held",
        title="Talks held",
        by="2022-02-20",
        p_seen={"de_escalation": 0.7, "coercive_bluff": 0.5, "deception": 0.2},
    )
    interval = Indicator(
        id="hospitals",
        title="Field hospitals forward",
        by="2022-02-18",
        p_seen={"de_escalation": [0.02, 0.1], "coercive_bluff": [0.1, 0.3], "deception": 0.6},
    )
    p = what_if(bundled, seed=0, draws=DRAWS, indicators=[point, interval])
    base = p.live["p_outcome"][-1]
    table = forecast.watch(forecast.run(bundled, seed=0, draws=DRAWS), [point])
    for seen, column in ((True, "p_invasion_if_seen"), (False, "p_invasion_if_not_seen")):
        p.pretend_controls["talks-held"].value = seen
        item = indicator_evidence(point, seen, point.by)
        want = forecast.run(
            bundled.with_item(item | {"source": "pretended in the what-if panel"}),
            seed=0,
            draws=DRAWS,
        )
        assert_live_is_run(p.live, want)
        assert p.live["p_outcome"][-1] == pytest.approx(float(table[column].iloc[0]), abs=1e-12)
        assert ("seen" if seen else "not seen") in p.status.value
    # an item's control on top of a pretended sighting, then an interval indicator too
    p.controls[ITEM]["include"].value = False
    p.pretend_controls["hospitals"].value = True
    want = forecast.run(
        scenario_for(
            bundled.with_item(
                indicator_evidence(point, False, point.by)
                | {"source": "pretended in the what-if panel"}
            ).with_item(
                indicator_evidence(interval, True, interval.by)
                | {"source": "pretended in the what-if panel"}
            ),
            {ITEM: Setting(include=False)},
        ),
        seed=0,
        draws=DRAWS,
    )
    assert_live_is_run(p.live, want)
    assert_same_result(p.result, want)
    p.reset()
    assert p.pretend == {} and p.pretend_controls["talks-held"].value is None
    assert p.live["p_outcome"][-1] == base


def test_recorded_indicators_get_no_toggle(bundled):
    from forecast.indicators import Indicator

    recorded = Indicator(
        id=ITEM, title="already evidence", by="2022-02-20", p_seen={"deception": 0.5,
        "de_escalation": 0.5, "coercive_bluff": 0.5},
    )  # fmt: skip
    p = what_if(bundled, seed=0, draws=DRAWS, indicators=[recorded])
    assert p.pretend_controls == {}


def test_building_a_panel_leaves_the_users_matplotlib_backend_alone():
    """ipympl switches matplotlib's backend when first imported; the panel puts the user's
    back, so that the charts of the next cells stay what they were (a fresh interpreter:
    this process may have imported ipympl already)."""
    import subprocess
    import sys

    code = (
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
        "import forecast; "
        f"s = forecast.load_scenario({str(ROOT / 'priors.yaml')!r}, {str(ROOT / 'evidence')!r}); "
        "panel = forecast.what_if(s); "
        "print(matplotlib.get_backend(), type(plt.figure().canvas).__name__, "
        "type(panel.chart).__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    backend, canvas, chart = out.stdout.split()
    assert (backend.lower(), canvas, chart) == ("agg", "FigureCanvasAgg", "ipympl.backend_nbagg")


def test_a_likelihood_scaled_past_the_largest_double_is_refused_not_a_crash(tmp_path):
    """1e150 at diagnosticity 3 is 1e450: the panel says why it did not update and keeps the
    last numbers (the power used to raise OverflowError out of the slider's callback)."""
    assert scale_likelihoods({"a": 1e150, "b": [1e120, 1e150]}, 3.0) == {
        "a": float("inf"),
        "b": float("inf"),
    }
    priors, evidence = write_scenario(tmp_path, priors_dict(), [item_dict("big", {"storm": 1e150})])
    panel = forecast.what_if(forecast.load_scenario(priors, evidence))
    before = panel.text
    panel.controls["big"]["diagnosticity"].value = 3.0
    assert panel.text == before
    assert "not updated" in panel.status.value and "likelihoods.storm" in panel.status.value
