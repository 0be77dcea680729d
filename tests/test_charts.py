"""Charts: the numbers they show (checked against the model by independent routes), their
content (ids and title in the SVG), their legibility (no overlapping or clipped text with 2
and with 40 items), and the ``charts`` command."""

from __future__ import annotations

import copy
import datetime as dt
import html
import io
import math
import os
import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from helpers import (
    ROOT,
    draw_into_user_axes,
    drawn_texts,
    item_dict,
    outside,
    overlapping,
    priors_dict,
)
from matplotlib.figure import Figure
from scipy.special import expit, logit

import forecast
from forecast import charts
from forecast.charts.export import in_processes
from forecast.charts.impact import impact_figure
from forecast.labels import pct
from forecast.model import encode, probabilities

DRAWS = 400
CHART_FUNCTIONS = {
    "timeline": charts.plot_timeline,
    "impact": charts.plot_impact,
    "ach": charts.plot_ach,
    "sensitivity": charts.plot_sensitivity,
    "distribution": charts.plot_distribution,
}


# ----------------------------------------------------------------------------- scenarios
def long_scenario(n: int = 40, seed: int = 7) -> forecast.Scenario:
    """``n`` items with long ids, several per date, four hypotheses with long names,
    intervals, Admiralty letters and dependence groups: the hard case for layout."""
    rng = np.random.default_rng(seed)
    names = ["de_escalation", "coercive_bluff", "limited_incursion", "full_scale_deception"]
    priors = {
        "question": "Will the long synthetic crisis end in a full-scale invasion before the "
        "end of the quarter, as the analysts' sources suggest?",
        "outcome": "invasion",
        "prior_strength": 20,
        "hypotheses": {
            "de_escalation": {"prior": 0.25, "p_outcome": [0.01, 0.06]},
            "coercive_bluff": {"prior": 0.35, "p_outcome": [0.04, 0.2]},
            "limited_incursion": {"prior": 0.2, "p_outcome": 0.3},
            "full_scale_deception": {"prior": 0.2, "p_outcome": [0.7, 0.95]},
        },
        "groups": {"imagery": {"correlation": 0.6}, "briefings": {"correlation": 0.4}},
    }
    words = [
        "satellite",
        "briefing",
        "railway",
        "convoy",
        "statement",
        "exercise",
        "hospital",
        "pontoon",
        "embassy",
        "cyber",
        "artillery",
        "fuel",
    ]
    items = []
    day = dt.date(2022, 1, 10)
    for i in range(n):
        if rng.random() < 0.45:
            day += dt.timedelta(days=int(rng.integers(1, 4)))
        a, b = rng.choice(words, size=2, replace=False)
        lik = {}
        for h in rng.choice(names, size=int(rng.integers(1, 3)), replace=False):
            c = float(np.exp(rng.normal(0, 0.6)))
            lik[str(h)] = (
                [round(c / 1.6, 3), round(c * 1.6, 3)] if rng.random() < 0.7 else round(c, 3)
            )
        item = item_dict(
            f"{a}-{b}-observation-{i:02d}",
            lik,
            date=day.isoformat(),
            reliability=str(rng.choice(list("ABCDF"))),
        )
        if i % 7 == 3:
            item["group"] = "imagery"
        elif i % 11 == 5:
            item["group"] = "briefings"
        items.append(item)
    return forecast.Scenario.from_dict({"priors": priors, "evidence": items})


@pytest.fixture(scope="module")
def long_result():
    return forecast.run(long_scenario(), draws=DRAWS, seed=1)


@pytest.fixture(scope="module")
def bundled_result():
    return forecast.run(
        forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence"), draws=DRAWS, seed=1
    )


@pytest.fixture
def exact_result(exact_scenario):
    return forecast.run(exact_scenario, draws=DRAWS, seed=1)


@pytest.fixture
def two_item_result():
    s = forecast.Scenario.from_dict(
        {
            "priors": priors_dict(),
            "evidence": [
                item_dict("a", {"storm": [1.5, 4.0]}, reliability="B"),
                item_dict("b", {"calm": 2.0}),  # same date as a
            ],
        }
    )
    return forecast.run(s, draws=DRAWS, seed=1)


# ----------------------------------------------------------------------------- helpers
def svg_of(fig: Figure) -> str:
    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    return buf.getvalue()


# ----------------------------------------------------------------------------- figures
@pytest.mark.parametrize("name", list(CHART_FUNCTIONS))
def test_every_chart_is_a_figure_not_left_open_and_leaves_rcparams_alone(name, uncertain_result):
    before_params = dict(mpl.rcParams)
    before_figs = plt.get_fignums()
    fig = CHART_FUNCTIONS[name](uncertain_result)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before_figs
    assert dict(mpl.rcParams) == before_params


def test_importing_charts_changes_no_rcparams():
    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "import forecast.charts, forecast.report; "
        "assert dict(mpl.rcParams) == before; "
        "import sys; assert 'matplotlib.pyplot' not in sys.modules"
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


@pytest.mark.parametrize("name", list(CHART_FUNCTIONS))
def test_svg_carries_title_as_of_date_and_footer(name, uncertain_result):
    svg = svg_of(CHART_FUNCTIONS[name](uncertain_result))
    assert html.escape("Will it happen?") in svg
    assert "as of 18 Feb 2022" in svg
    assert f"scenario {uncertain_result.attrs['scenario_hash'][:8]}" in svg
    assert "seed 1" in svg


@pytest.mark.parametrize("name", ["timeline", "impact", "ach"])
def test_svg_carries_every_evidence_id(name, long_result):
    svg = svg_of(CHART_FUNCTIONS[name](long_result))
    ids = [str(i) for i in long_result["evidence"]["evidence"].values]
    missing = [i for i in ids if f">{i}<" not in svg]
    assert not missing


@pytest.mark.parametrize("name", list(CHART_FUNCTIONS))
@pytest.mark.parametrize(
    "which", ["two_item_result", "uncertain_result", "long_result", "bundled_result"]
)
def test_no_text_overlaps_or_is_clipped(name, which, request):
    result = request.getfixturevalue(which)
    fig = CHART_FUNCTIONS[name](result)
    texts = drawn_texts(fig)
    assert len(texts) > 5
    assert overlapping(texts) == []
    assert outside(fig, texts) == []


def test_figure_height_grows_with_items(two_item_result, long_result):
    for name in ("impact", "ach"):
        small = CHART_FUNCTIONS[name](two_item_result).get_figheight()
        large = CHART_FUNCTIONS[name](long_result).get_figheight()
        assert large > small + 0.2 * 38


def test_timeline_ticks_are_the_steps_and_ids(long_result):
    fig = charts.plot_timeline(long_result)
    ax_p, ax_h = fig.axes[:2]
    labels = [t.get_text() for t in ax_h.get_xticklabels()]
    ids = [str(i) for i in long_result["trajectory"]["evidence_id"].values[1:]]
    assert labels == ["prior", *ids]
    # the line is the probability, in percent, at every step
    line = next(ln for ln in ax_p.lines if ln.get_label().startswith("P("))
    np.testing.assert_allclose(line.get_ydata(), 100 * long_result["trajectory"]["p_outcome"])
    assert len(ax_h.lines) >= 4  # one per hypothesis


def test_timeline_same_date_items_stay_apart(two_item_result):
    fig = charts.plot_timeline(two_item_result, hypotheses=False)
    (ax,) = [a for a in fig.axes if a.get_xticklabels()]
    line = next(ln for ln in ax.lines if ln.get_label().startswith("P("))
    assert list(line.get_xdata()) == [0, 1, 2]  # step positions, not dates


def test_timeline_into_given_axes(uncertain_result):
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    out = charts.plot_timeline(uncertain_result, ax=ax)
    assert out is fig
    assert len(fig.axes) == 1
    assert [t.get_text() for t in ax.get_xticklabels()] == ["prior", "a", "b", "c", "d"]


def test_charts_work_on_a_result_read_back_from_disk(uncertain_result, tmp_path):
    forecast.save_result(uncertain_result, tmp_path)
    loaded = forecast.load_result(tmp_path / "posterior.nc")
    # what each chart must show: the final probability as the run computed it (not the ACH
    # matrix) and every evidence id (the charts with a row or a step per item)
    p = pct(float(uncertain_result["trajectory"]["p_outcome"].values[-1]))
    ids = [f">{i}<" for i in uncertain_result["evidence"]["evidence"].values]
    shows = {"timeline": [p, *ids], "impact": [p, *ids], "ach": ids}
    for name, fn in CHART_FUNCTIONS.items():  # the same chart, drawn from the file
        svg = charts.svg_text(fn(loaded))
        assert svg == charts.svg_text(fn(uncertain_result)), name
        missing = [text for text in shows.get(name, [p]) if text not in svg]
        assert not missing, (name, missing)
    np.testing.assert_allclose(
        charts.impact_table(loaded)["p_without"], charts.impact_table(uncertain_result)["p_without"]
    )


def test_a_scenario_without_evidence_draws_every_chart(tmp_path):
    s = forecast.Scenario.from_dict({"priors": priors_dict(), "evidence": []})
    result = forecast.run(s, draws=DRAWS, seed=1)
    paths = charts.save_all(result, tmp_path, formats=("png",), dpi=50)
    assert len(paths) == 5
    assert charts.impact_table(result).empty


def test_wrong_input_is_explained():
    with pytest.raises(TypeError, match="expected the result of forecast.run"):
        charts.plot_timeline({"trajectory": 1})


# ----------------------------------------------------------------------------- impact numbers
def test_impact_table_equals_the_trajectorys_step_differences(uncertain_result):
    table = charts.impact_table(uncertain_result)
    p = uncertain_result["trajectory"]["p_outcome"].values
    assert list(table.index) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(table["change_pp"], 100 * np.diff(p), rtol=0, atol=1e-12)
    np.testing.assert_allclose(table["change_log_odds"], np.diff(logit(p)), rtol=0, atol=1e-12)
    np.testing.assert_allclose(table["p_before"], p[:-1])
    np.testing.assert_allclose(table["p_after"], p[1:])


def test_impact_chart_draws_the_tables_numbers(uncertain_result):
    table = charts.impact_table(uncertain_result)
    fig = impact_figure(uncertain_result, table)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_height() > 0.5][: len(table)]
    np.testing.assert_allclose([b.get_x() for b in bars], 100 * table["p_before"], atol=1e-9)
    np.testing.assert_allclose([b.get_width() for b in bars], table["change_pp"], atol=1e-9)
    texts = [t.get_text() for t in ax.texts]
    for pp in table["change_pp"]:
        assert any(
            t.startswith(f"{pp:+.1f} pp") or t.startswith(f"{abs(pp):.1f} pp") for t in texts
        )


def test_leave_one_out_by_hand(exact_scenario):
    # prior odds storm:calm = 0.4:0.6; a: x3 storm; b: x2 calm; c: storm 4, calm 0.5 (x8)
    result = forecast.run(exact_scenario, draws=DRAWS, seed=1)
    table = charts.impact_table(result)

    def p_outcome(odds_factor):
        odds = 0.4 / 0.6 * odds_factor
        storm = odds / (1 + odds)
        return 0.1 * (1 - storm) + 0.8 * storm

    expected = {"a": p_outcome(0.5 * 8), "b": p_outcome(3 * 8), "c": p_outcome(3 * 0.5)}
    for item, value in expected.items():
        assert table.loc[item, "p_without"] == pytest.approx(value, abs=1e-12)
    assert table.attrs["p_final"] == pytest.approx(p_outcome(12.0), abs=1e-12)
    np.testing.assert_allclose(
        table["without_pp"], 100 * (table["p_without"] - p_outcome(12.0)), atol=1e-12
    )


def test_leave_one_out_against_probabilities_of_the_reduced_scenario(uncertain_scenario):
    result = forecast.run(uncertain_scenario, draws=DRAWS, seed=1)
    table = charts.impact_table(result)
    for item in uncertain_scenario.ids:
        reduced = uncertain_scenario.without(item)
        _, p_y = probabilities(encode(reduced))
        assert table.loc[item, "p_without"] == pytest.approx(p_y[-1], abs=1e-12)
    # leaving out a grouped item changes the other group member's weight: b alone has w = 1
    s = forecast.Scenario.from_dict(
        {
            "priors": uncertain_scenario.to_dict()["priors"],
            "evidence": [e for e in uncertain_scenario.to_dict()["evidence"] if e["id"] != "c"],
        }
    )
    assert table.loc["c", "p_without"] == pytest.approx(probabilities(encode(s))[1][-1], abs=1e-12)


def test_reduced_weight_items_are_flagged_and_hatched(uncertain_result):
    table = charts.impact_table(uncertain_result)
    # a: reliability B; b and c: group imagery, c the stronger (rank 1, weight 1), b rank 2
    # (weight n_eff(2) - n_eff(1) = 2/1.6 - 1 = 0.25); c also reliability 0.7; d: reliability 1
    assert table["reduced_reliability"].tolist() == [True, False, True, False]
    assert table["reduced_weight"].tolist() == [False, True, False, False]
    np.testing.assert_allclose(table.loc[["b", "c"], "weight"], [2 / 1.6 - 1, 1.0])
    fig = impact_figure(uncertain_result, table)
    bars = [p for p in fig.axes[0].patches if p.get_height() > 0.5][:4]
    hatches = [b.get_hatch() or "" for b in bars]
    assert hatches == [charts.RELIABILITY_HATCH, charts.GROUP_HATCH, charts.RELIABILITY_HATCH, ""]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "reliability below 1" in legend
    assert "weight below 1 (dependence group)" in legend


def test_direction_colours_are_okabe_ito(exact_result):
    fig = charts.plot_impact(exact_result)
    bars = [p for p in fig.axes[0].patches if p.get_height() > 0.5][:3]
    up, down = mpl.colors.to_rgba(charts.UP), mpl.colors.to_rgba(charts.DOWN)
    assert [b.get_facecolor() for b in bars] == [up, down, up]  # a up, b down, c up


# ----------------------------------------------------------------------------- ACH
def test_ach_matrix_shows_row_centred_log_likelihoods(uncertain_result):
    fig = charts.plot_ach(uncertain_result)
    image = fig.axes[0].images[0]
    ll = uncertain_result["evidence"]["log_likelihood"].values
    np.testing.assert_allclose(image.get_array(), ll - ll.mean(axis=1, keepdims=True))
    lo, hi = image.get_clim()
    assert lo == pytest.approx(-hi)  # centred at 0
    bars = fig.axes[1].patches
    np.testing.assert_allclose([b.get_width() for b in bars], np.ptp(ll, axis=1))


# ----------------------------------------------------------------------------- sensitivity
def centred(scenario: forecast.Scenario) -> dict:
    """Every interval replaced by its centre, written out independently of the charts."""
    data = copy.deepcopy(scenario.to_dict())
    for h in data["priors"]["hypotheses"].values():
        if isinstance(h["p_outcome"], list):
            lo, hi = h["p_outcome"]
            h["p_outcome"] = float(expit((logit(lo) + logit(hi)) / 2))
    for e in data["evidence"]:
        for k, v in e["likelihoods"].items():
            if isinstance(v, list):
                e["likelihoods"][k] = math.sqrt(v[0] * v[1])
    return data


def test_sensitivity_table_against_scenario_updated(uncertain_scenario):
    result = forecast.run(uncertain_scenario, draws=DRAWS, seed=1)
    table = charts.sensitivity_table(result)
    # intervals: a.storm, a.bluff, b.calm, c.storm, d.storm, p(calm), p(storm)
    assert len(table) == 7
    assert set(table["kind"]) == {"likelihood", "p_outcome"}
    assert table["swing"].is_monotonic_decreasing
    base = forecast.Scenario.from_dict(centred(uncertain_scenario))
    assert table.attrs["p_centre"] == pytest.approx(probabilities(encode(base))[1][-1], abs=1e-12)
    for _, row in table.iterrows():
        for end, column in (("lo", "p_low"), ("hi", "p_high")):
            if row["kind"] == "likelihood":
                item = next(e for e in base.evidence if e.id == row["evidence"])
                lik = {**item.likelihoods, row["hypothesis"]: row[end]}
                s = base.updated(row["evidence"], likelihoods=lik)
            else:
                data = base.to_dict()
                data["priors"]["hypotheses"][row["hypothesis"]]["p_outcome"] = row[end]
                s = forecast.Scenario.from_dict(data)
            assert row[column] == pytest.approx(probabilities(encode(s))[1][-1], abs=1e-12)


def test_sensitivity_directions_make_sense(uncertain_result):
    table = charts.sensitivity_table(uncertain_result).set_index("input")
    # more likely under storm -> higher P(event); higher P(event | storm) -> higher P(event)
    assert table.loc["c: L(storm)", "p_high"] > table.loc["c: L(storm)", "p_low"]
    assert table.loc["P(event | storm)", "p_high"] > table.loc["P(event | storm)", "p_low"]
    assert table.loc["b: L(calm)", "p_high"] < table.loc["b: L(calm)", "p_low"]


def test_sensitivity_leaves_out_prior_strength_and_says_why(uncertain_result):
    table = charts.sensitivity_table(uncertain_result)
    assert "prior_strength" not in set(table["kind"])
    svg = svg_of(charts.plot_sensitivity(uncertain_result))
    assert "Prior strength (kappa = 15) is not shown" in svg


def test_sensitivity_shows_the_top_15(long_result):
    table = charts.sensitivity_table(long_result)
    assert len(table) > 15
    fig = charts.plot_sensitivity(long_result)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == list(table["input"].head(15))


def test_sensitivity_with_exact_inputs_says_so(exact_result):
    assert charts.sensitivity_table(exact_result).empty
    svg = svg_of(charts.plot_sensitivity(exact_result))
    assert "No uncertain inputs" in svg


# ----------------------------------------------------------------------------- distribution
def test_distribution_marks_probability_and_band(uncertain_result):
    fig = charts.plot_distribution(uncertain_result)
    ax = fig.axes[0]
    t = uncertain_result["trajectory"].isel(step=-1)
    xs = {round(ln.get_xdata()[0], 9) for ln in ax.lines}
    for v in ("p_outcome", "p_outcome_low", "p_outcome_high"):
        assert round(100 * float(t[v]), 9) in xs
    counts = sum(p.get_height() for p in ax.patches if hasattr(p, "get_height"))
    assert counts > 0


def test_distribution_step_is_checked(uncertain_result):
    with pytest.raises(ValueError, match=r"step must be in -5\.\.4, got 7"):
        charts.plot_distribution(uncertain_result, step=7)
    assert "the prior" in svg_of(charts.plot_distribution(uncertain_result, step=0))


def test_distribution_with_exact_inputs(exact_result):
    assert "Every input is exact" in svg_of(charts.plot_distribution(exact_result))


# ----------------------------------------------------------------------------- ax=
def test_timeline_draws_into_a_users_axes(uncertain_result):
    ax = draw_into_user_axes(lambda ax: charts.plot_timeline(uncertain_result, ax=ax))
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "P(event)")
    np.testing.assert_allclose(
        line.get_ydata(), 100 * uncertain_result["trajectory"]["p_outcome"].values
    )


def test_distribution_draws_into_a_users_axes(uncertain_result):
    ax = draw_into_user_axes(lambda ax: charts.plot_distribution(uncertain_result, ax=ax), side=0)
    assert "Where P(event) could move" in ax.get_title(loc="left")
    assert sum(p.get_height() > 0 for p in ax.patches) > 5  # the histogram's bars
    assert ax.get_legend() is not None


@pytest.mark.parametrize("route", ["sensitivity", "sensitivity_figure"])
def test_sensitivity_draws_into_a_users_axes(uncertain_result, route):
    from forecast.charts.sensitivity import sensitivity_figure

    table = charts.sensitivity_table(uncertain_result)

    def chart(ax):
        if route == "sensitivity":
            return charts.plot_sensitivity(uncertain_result, top=3, ax=ax)
        return sensitivity_figure(uncertain_result, table, top=3, ax=ax)

    ax = draw_into_user_axes(chart)
    assert "Sensitivity of P(event)" in ax.get_title(loc="left")
    assert len(ax.patches) == 2 * 3  # a low and a high bar per input shown
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table["input"][:3])
    assert ax.get_legend() is not None


def test_watch_chart_draws_into_a_users_axes(bundled_result):
    table = forecast.watch(bundled_result, ROOT / "indicators")
    ax = draw_into_user_axes(lambda ax: charts.plot_watch(bundled_result, table, top=4, ax=ax))
    assert "What would change P(invasion)" in ax.get_title(loc="left")
    assert [len(c.get_offsets()) for c in ax.collections[-2:]] == [4, 4]  # seen, not seen
    assert ax.get_legend() is not None


def test_options_are_keyword_only(uncertain_result):
    for call in (
        lambda: charts.plot_timeline(uncertain_result, None),
        lambda: charts.plot_distribution(uncertain_result, -1),
        lambda: charts.plot_sensitivity(uncertain_result, 3),
    ):
        with pytest.raises(TypeError, match="positional argument"):
            call()


# ----------------------------------------------------------------------------- saving, CLI
@pytest.mark.slow
def test_save_all_writes_every_chart_atomically(uncertain_result, tmp_path):
    paths = charts.save_all(
        uncertain_result, tmp_path / "out", formats=("png", "svg", "pdf"), dpi=200
    )
    names = sorted(p.name for p in paths)
    assert names == sorted(f"{c}.{f}" for c in charts.CHARTS for f in ("png", "svg", "pdf"))
    assert all(p.stat().st_size > 1000 for p in paths)
    assert not list((tmp_path / "out").glob(".*.tmp"))
    png = (tmp_path / "out" / "timeline.png").read_bytes()
    width = int.from_bytes(png[16:20], "big")
    fig = charts.plot_timeline(uncertain_result)
    assert width == pytest.approx(fig.get_figwidth() * 200, abs=2)


@pytest.mark.slow
def test_save_all_in_two_processes_writes_the_same_files(uncertain_result, tmp_path):
    one = charts.save_all(uncertain_result, tmp_path / "one", formats=("png", "svg"), dpi=60)
    two = charts.save_all(
        uncertain_result, tmp_path / "two", formats=("png", "svg"), dpi=60, processes=2
    )
    assert [p.name for p in one] == [p.name for p in two]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_save_all_rejects_unknown_formats(uncertain_result, tmp_path):
    with pytest.raises(ValueError, match="chart format must be one of png, svg, pdf; got gif"):
        charts.save_all(uncertain_result, tmp_path, formats=("png", "gif"))


def test_timeline_draws_the_previous_run_at_the_items_current_steps(uncertain_scenario):
    from forecast.results import keep_previous

    before = forecast.run(uncertain_scenario.without("b"), draws=300, seed=2)  # ids a, c, d
    now = keep_previous(forecast.run(uncertain_scenario, draws=300, seed=2), before)  # a-d
    fig = charts.plot_timeline(now)
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("previous"))
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 3, 4])
    np.testing.assert_allclose(line.get_ydata(), 100 * before["trajectory"]["p_outcome"].values)
    final = f"{100 * float(before['trajectory']['p_outcome'][-1]):.0f}%"
    assert line.get_label().endswith(f": {final}")
    assert "previous run" in svg_of(fig)

    gone = keep_previous(forecast.run(uncertain_scenario.without("c"), draws=300, seed=2), now)
    line = next(
        ln
        for ln in charts.plot_timeline(gone).axes[0].get_lines()
        if ln.get_label().startswith("prev")
    )
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 2.5, 3])  # c: between b and d


def test_parallel_rendering_reaps_workers_when_the_parent_fails(tmp_path):
    def fn(share):
        if share == ["parent"]:
            raise RuntimeError("parent share failed")
        (tmp_path / share[0]).write_text(str(os.getpid()))

    with pytest.raises(RuntimeError, match="parent share failed"):
        in_processes(fn, [["parent"], ["child"]])
    worker = int((tmp_path / "child").read_text())  # the worker finished before the raise
    assert worker != os.getpid()
    # no worker left unreaped (no zombie); other children of this test process (a process
    # pool's server started by an earlier test) are not the renderer's
    with pytest.raises(ChildProcessError):
        os.waitpid(worker, os.WNOHANG)


def test_parallel_rendering_runs_the_other_shares_in_workers(tmp_path):
    def fn(share):
        (tmp_path / share[0]).write_text(str(os.getpid()))

    in_processes(fn, [["a"], ["b"], ["c"]])
    pids = {name: int((tmp_path / name).read_text()) for name in "abc"}
    assert pids["a"] == os.getpid()
    assert os.getpid() not in (pids["b"], pids["c"])  # in the workers (either may do both)


@pytest.mark.parametrize("how", ["raises", "dies"])
def test_parallel_rendering_redoes_a_failed_workers_share(tmp_path, how):
    parent = os.getpid()

    def fn(share):
        if os.getpid() != parent:
            if how == "dies":
                os._exit(3)  # as if killed: the pool breaks
            raise RuntimeError("worker failed")
        (tmp_path / share[0]).write_text("done")

    in_processes(fn, [["a"], ["b"], ["c"]])
    assert all((tmp_path / name).exists() for name in "abc")


def test_parallel_rendering_without_fork_renders_here(tmp_path, monkeypatch):
    def no_fork():
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)

    def fn(share):
        (tmp_path / share[0]).write_text(str(os.getpid()))

    in_processes(fn, [["a"], ["b"]])
    assert [int((tmp_path / n).read_text()) for n in "ab"] == [os.getpid()] * 2


def test_parallel_rendering_stops_its_workers_when_one_cannot_fork(tmp_path, monkeypatch):
    fork, calls, forked = os.fork, [], []

    def second_fails():
        calls.append(1)
        if len(calls) == 2:
            raise OSError(11, "Resource temporarily unavailable")
        pid = fork()
        forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", second_fails)
    in_processes(lambda share: (tmp_path / share[0]).write_text("x"), [["a"], ["b"], ["c"]])
    assert all((tmp_path / name).exists() for name in "abc")  # done here
    assert forked and all(forked)  # the worker forked first (its pid, seen in the parent)...
    with pytest.raises(ChildProcessError):
        os.waitpid(forked[0], os.WNOHANG)  # ...is gone, not waiting for work


def test_parallel_rendering_forks_quietly_beside_threads(tmp_path):
    """Python 3.12+ warns when a process with threads forks: the renderer silences it."""
    import threading
    import warnings

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            in_processes(lambda share: (tmp_path / share[0]).write_text("x"), [["a"], ["b"]])
    finally:
        stop.set()
        thread.join()
    assert (tmp_path / "b").exists()
    assert not [w for w in caught if "fork" in str(w.message)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")
def test_parallel_rendering_workers_die_with_their_parent(tmp_path):
    import ctypes
    import signal

    def fn(share):
        sig = ctypes.c_int(0)
        ctypes.CDLL(None, use_errno=True).prctl(2, ctypes.byref(sig), 0, 0, 0)  # GET_PDEATHSIG
        (tmp_path / share[0]).write_text(str(sig.value))

    in_processes(fn, [["a"], ["b"]])
    assert int((tmp_path / "a").read_text()) == 0  # this process: left alone
    assert int((tmp_path / "b").read_text()) == signal.SIGKILL


def test_ach_shows_two_character_grades():
    """Issue 11 point 8: a B2 grade is shown next to its item in the ACH chart."""
    items = [
        item_dict("graded", {"storm": 3.0}, reliability="B2"),
        item_dict("lettered", {"calm": 2.0}, date="2022-02-16", reliability="C"),
    ]
    s = forecast.Scenario.from_dict({"priors": priors_dict(), "evidence": items})
    fig = forecast.plot_ach(forecast.run(s, draws=200, seed=1))
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "graded [B2]" in labels and "lettered" in labels
