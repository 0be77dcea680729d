"""Charts at scale and at the edges of the documented numbers (issues 11 and 15): bounded
images for 2,000 items, the date axis, the "other items" row, the Shapley panel (on an
attribution node computed here by brute force over subsets), ratios written from logs, and
likelihoods of 0 and numbers near 1e+-300 through every chart without a warning or a NaN."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import warnings
from dataclasses import replace

import matplotlib as mpl
import numpy as np
import pytest
import xarray as xr
from helpers import drawn_texts, item_dict, outside, overlapping, priors_dict
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.dates import ConciseDateFormatter

import forecast
from forecast import charts
from forecast.charts.ach import ach_figure
from forecast.charts.export import save_figure
from forecast.model import Arrays, encode, probabilities

DRAWS = 300


# ----------------------------------------------------------------------------- scenarios
def big_scenario(n: int, seed: int = 3) -> forecast.Scenario:
    """``n`` exact items over about a year, several a day, three hypotheses: the answer
    moves (weak items, both directions), as a real analysis's would."""
    rng = np.random.default_rng(seed)
    names = ["de_escalation", "coercive_bluff", "invasion_in_force"]
    priors = {
        "question": "Will the synthetic crisis end in an invasion before the end of the year?",
        "outcome": "invasion",
        "hypotheses": {
            "de_escalation": {"prior": 0.4, "p_outcome": 0.02},
            "coercive_bluff": {"prior": 0.4, "p_outcome": 0.15},
            "invasion_in_force": {"prior": 0.2, "p_outcome": 0.9},
        },
    }
    day = dt.date(2021, 1, 4)
    items = []
    for i in range(n):
        if rng.random() < 0.2:
            day += dt.timedelta(days=1)
        h = names[int(rng.integers(3))]
        lik = {h: round(float(np.exp(rng.normal(0.0, 0.08 + 0.5 * (i % 97 == 0)))), 4)}
        items.append(item_dict(f"report-{i:05d}", lik, date=day.isoformat()))
    return forecast.Scenario.from_dict({"priors": priors, "evidence": items})


@pytest.fixture(scope="module")
def big_result():
    return forecast.run(big_scenario(2000), draws=DRAWS, seed=1)


def subset_arrays(a: Arrays, keep: np.ndarray) -> Arrays:
    """The arrays of the items ``keep`` only (a boolean mask): groups keep their rho."""
    return replace(a, mu=a.mu[keep], sd=a.sd[keep], r=a.r[keep], group=a.group[keep])


def brute_attribution(scenario: forecast.Scenario) -> xr.Dataset:
    """The attribution node by brute force: exact Shapley values over every subset, each
    subset's final probability from ``forecast.probabilities`` (weights recomputed)."""
    a = encode(scenario)
    n, n_h = a.mu.shape
    value, value_h = {}, {}
    for mask in itertools.product([False, True], repeat=n):
        p_h, p_y = probabilities(subset_arrays(a, np.array(mask, dtype=bool)))
        value[mask], value_h[mask] = p_y[-1], p_h[-1]
    shapley, shapley_h = np.zeros(n), np.zeros((n, n_h))
    for mask in value:
        size = sum(mask)
        for i in range(n):
            if mask[i]:
                continue
            with_i = tuple(True if j == i else m for j, m in enumerate(mask))
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            shapley[i] += weight * (value[with_i] - value[mask])
            shapley_h[i] += weight * (value_h[with_i] - value_h[mask])
    everything = tuple([True] * n)
    without = [value[tuple(j != i for j in range(n))] for i in range(n)]
    _, p_steps = probabilities(a)
    return xr.Dataset(
        {
            "step_move": ("evidence", np.diff(p_steps)),
            "shapley": ("evidence", shapley),
            "shapley_mcse": ("evidence", np.zeros(n)),
            "leave_one_out": ("evidence", np.array(without)),
            "shapley_hypothesis": (("evidence", "hypothesis"), shapley_h),
            "shapley_hypothesis_mcse": (("evidence", "hypothesis"), np.zeros((n, n_h))),
        },
        coords={"evidence": list(scenario.ids), "hypothesis": list(scenario.hypotheses)},
        attrs={"method": "exact", "n_permutations": 0, "seed": 0, "p_all": value[everything]},
    )


def with_attribution(result: xr.DataTree, node: xr.Dataset) -> xr.DataTree:
    out = result.copy()
    out["attribution"] = xr.DataTree(dataset=node)
    return out


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def svg_inches(path) -> tuple[float, float]:
    head = path.read_text()[:2000]
    w, h = (float(re.search(rf'{k}="([0-9.]+)pt"', head)[1]) for k in ("width", "height"))
    return w / 72, h / 72


def pdf_inches(path) -> tuple[float, float]:
    box = re.search(rb"/MediaBox \[ ?0 0 ([0-9.]+) ([0-9.]+) ?\]", path.read_bytes())
    return float(box[1]) / 72, float(box[2]) / 72


# ----------------------------------------------------------------------------- bounded
@pytest.mark.slow
def test_every_chart_of_2000_items_is_bounded_in_every_format(big_result, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "constrained_layout not applied" among them
        paths = charts.save_all(big_result, tmp_path, formats=("png", "svg", "pdf"))
    assert len(paths) == 15
    for path in paths:
        if path.suffix == ".png":
            size = png_size(path)
            assert max(size) <= charts.MAX_PIXELS, (path.name, size)
            assert min(size) >= 600, (path.name, size)  # still a chart, not a thumbnail
        else:
            inches = svg_inches(path) if path.suffix == ".svg" else pdf_inches(path)
            assert max(inches) * 200 <= charts.MAX_PIXELS, (path.name, inches)


def test_a_high_dpi_is_lowered_to_keep_the_bound(big_result, tmp_path):
    fig = charts.plot_timeline(big_result)
    path = tmp_path / "t.png"
    save_figure(fig, path, "png", 600, "t")
    assert max(png_size(path)) <= charts.MAX_PIXELS


def test_long_ids_and_question_are_cut(tmp_path):
    limits = forecast.scenario.LIMITS  # the longest an input may be
    priors = priors_dict(question=("Why? " * 400)[: limits["question"]].strip())
    s = forecast.Scenario.from_dict(
        {"priors": priors, "evidence": [item_dict("x" * limits["id"], {"storm": 2.0})]}
    )
    result = forecast.run(s, draws=DRAWS, seed=1)
    for name, fig in charts.figures(result).items():
        assert max(fig.get_size_inches()) <= charts.MAX_INCHES, name
        assert fig.get_suptitle().count("\n") < charts.TITLE_LINES, name
        assert fig.get_suptitle().endswith("…")


# ----------------------------------------------------------------------------- timeline
def test_timeline_above_the_threshold_has_a_date_axis(big_result):
    fig = charts.plot_timeline(big_result)
    ax_p, ax_h = fig.axes[:2]
    assert isinstance(ax_h.xaxis.get_major_formatter(), ConciseDateFormatter)
    labels = [t.get_text() for t in ax_h.get_xticklabels()]
    assert 3 <= len(labels) <= 12
    assert not any(t.startswith("report-") for t in labels)
    line = next(ln for ln in ax_p.lines if ln.get_label().startswith("P("))
    x = np.asarray(line.get_xdata(), dtype=float)
    assert x.size == 2001
    assert np.all(np.diff(x) > 0)  # every step kept, items of one day spread across it
    days = mpl.dates.date2num(big_result["evidence"]["date"].values)
    assert np.all((x[1:] >= days) & (x[1:] < days + 1))
    np.testing.assert_allclose(line.get_ydata(), 100 * big_result["trajectory"]["p_outcome"])


def test_dated_timeline_into_given_axes_and_with_a_previous_run(big_result):
    from matplotlib.figure import Figure

    from forecast.results import keep_previous

    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    assert charts.plot_timeline(big_result, ax=ax) is fig
    assert isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)
    s = big_scenario(2000)
    before = forecast.run(s.without(s.ids[1000]), draws=DRAWS, seed=1)
    now = keep_previous(big_result, before)
    line = next(
        ln
        for ln in charts.plot_timeline(now).axes[0].lines
        if ln.get_label().startswith("previous")
    )
    x = np.asarray(line.get_xdata(), dtype=float)
    steps = charts.step_dates(big_result)
    assert x.size == 2000 and np.all(np.diff(x) >= 0)
    assert x[0] == steps[0] and x[-1] == steps[-1]  # the prior and the last item in place


def test_timeline_up_to_the_threshold_keeps_one_label_per_item():
    s = big_scenario(charts.MAX_ROWS)
    fig = charts.plot_timeline(forecast.run(s, draws=DRAWS, seed=1))
    labels = [t.get_text() for t in fig.axes[1].get_xticklabels()]
    assert labels == ["prior", *s.ids]


# ----------------------------------------------------------------------------- top items
def test_impact_and_ach_show_the_top_items_and_one_row_for_the_rest(big_result):
    table = charts.impact_table(big_result)
    top = table["without_pp"].abs().sort_values(ascending=False, kind="stable").index
    expected = set(top[: charts.TOP_ITEMS])
    fig = charts.plot_impact(big_result)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == charts.TOP_ITEMS + 1
    assert labels[-1] == f"+ {2000 - charts.TOP_ITEMS:,} other items"
    assert set(labels[:-1]) == expected
    ach = charts.plot_ach(big_result)
    rows = [t.get_text() for t in ach.axes[0].get_yticklabels()]
    assert rows[-1] == "+ 1,975 other items (together)"
    assert rows[:-1] == list(top[: charts.TOP_ITEMS])  # most important first
    # the last row is the other items' log-likelihoods summed, centred
    ll = big_result["evidence"]["log_likelihood"].to_pandas()
    rest = ll.drop(index=rows[:-1]).sum().to_numpy()
    image = ach.axes[0].images[0].get_array()
    np.testing.assert_allclose(image[-1], rest - rest.mean(), atol=1e-9)


def test_leave_one_out_of_2000_items_against_the_model(big_result):
    table = charts.impact_table(big_result)
    a = encode(big_scenario(2000))
    for i in (0, 777, 1999):
        keep = np.arange(a.n_items) != i
        expected = probabilities(subset_arrays(a, keep))[1][-1]
        assert table["p_without"].iloc[i] == pytest.approx(expected, abs=1e-12)


# ----------------------------------------------------------------------------- Shapley
@pytest.fixture
def shapley_result(uncertain_scenario):
    result = forecast.run(uncertain_scenario, draws=DRAWS, seed=1)
    return with_attribution(result, brute_attribution(uncertain_scenario)), uncertain_scenario


def test_brute_force_attribution_is_efficient(shapley_result):
    """Check of the test's own reference: the values add up to final minus prior."""
    result, _ = shapley_result
    node = result["attribution"]
    p = result["trajectory"]["p_outcome"].values
    assert float(node["shapley"].sum()) == pytest.approx(p[-1] - p[0], abs=1e-12)


def test_impact_leads_with_shapley_bars_that_add_up_to_the_move(shapley_result):
    result, scenario = shapley_result
    table = charts.impact_table(result)
    shapley = result["attribution"]["shapley"].to_pandas()
    np.testing.assert_allclose(table["shapley"], shapley.loc[table.index])
    fig = charts.plot_impact(result)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    order = shapley.abs().sort_values(ascending=False, kind="stable").index
    assert labels[:-1] == list(order)  # largest first
    p = result["trajectory"]["p_outcome"].values
    assert labels[-1] == f"sum: {100 * p[0]:.1f}% → {100 * p[-1]:.1f}%"
    bars = [b.get_width() for b in ax.patches if b.get_height() > 0.5]
    np.testing.assert_allclose(bars[:-1], 100 * shapley.loc[order].to_numpy(), atol=1e-9)
    assert sum(bars[:-1]) == pytest.approx(bars[-1], abs=1e-9)
    assert bars[-1] == pytest.approx(100 * (p[-1] - p[0]), abs=1e-9)
    # leave-one-out beside it, same rows
    loo = fig.axes[1].collections[1].get_offsets()[:, 0]
    np.testing.assert_allclose(loo, 100 * table.loc[order, "p_without"].to_numpy(), atol=1e-9)
    text = " ".join(t.get_text() for t in fig.findobj(mpl.text.Text))
    assert "Shapley value" in text and "add up" in text
    assert "every order in which the items could have arrived" in text
    assert "can differ, even in sign" in text


def test_ach_names_the_hypothesis_each_item_moved_most(shapley_result):
    result, scenario = shapley_result
    fig = charts.plot_ach(result)
    shares = 100 * result["attribution"]["shapley_hypothesis"].to_pandas()
    texts = [t.get_text() for t in fig.axes[1].texts]
    for item, row in shares.iterrows():
        h = row.abs().idxmax()
        assert f"{h} {row[h]:+.1f}".replace("+0.0", "0.0") in texts, item
    assert "moved most (pp)" in texts
    drawn = drawn_texts(fig)
    assert overlapping(drawn) == [] and outside(fig, drawn) == []


def test_shapley_panel_at_scale_sums_the_rest(big_result):
    n = 2000
    rng = np.random.default_rng(5)
    shapley = rng.normal(0, 1e-4, n)
    p = big_result["trajectory"]["p_outcome"].values
    shapley += (p[-1] - p[0] - shapley.sum()) / n
    ids = [str(i) for i in big_result["evidence"]["evidence"].values]
    node = xr.Dataset(
        {
            "shapley": ("evidence", shapley),
            "shapley_mcse": ("evidence", np.full(n, 1e-5)),
        },
        coords={"evidence": ids},
        attrs={"method": "sampled", "n_permutations": 400, "seed": 1},
    )
    result = with_attribution(big_result, node)
    fig = charts.plot_impact(result)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == charts.TOP_ITEMS + 2
    assert labels[-2] == f"+ {n - charts.TOP_ITEMS:,} other items"
    bars = [b.get_width() for b in ax.patches if b.get_height() > 0.5]
    top = np.argsort(-np.abs(shapley), kind="stable")[: charts.TOP_ITEMS]
    rest = np.setdiff1d(np.arange(n), top)
    assert bars[-2] == pytest.approx(100 * shapley[rest].sum(), abs=1e-9)
    assert sum(bars[:-1]) == pytest.approx(bars[-1], abs=1e-9)
    assert "sampled over 400 orders" in " ".join(t.get_text() for t in fig.texts)
    assert max(fig.get_size_inches()) <= charts.MAX_INCHES


def test_without_an_attribution_the_impact_chart_is_the_waterfall(uncertain_scenario):
    result = forecast.run(uncertain_scenario, draws=DRAWS, seed=1)
    assert "shapley" not in charts.impact_table(result)
    fig = charts.plot_impact(result)
    assert fig.axes[0].get_xlabel().endswith("before → after the item")


# ----------------------------------------------------------------------------- ratios
@pytest.mark.parametrize(
    ("log_ratio", "text"),
    [
        (0.0, "×1.0"),
        (math.log(1.7), "×1.7"),
        (math.log(0.5), "×0.50"),
        (math.log(0.37), "×0.37"),
        (math.log(9999.9), "×9999.9"),
        (math.log(2.3e12), "×2.3e+12"),
        (math.log(4e-5), "×4.0e-05"),
        (math.log(9.96e15), "×1.0e+16"),  # the mantissa rounds up to 10
        (math.log(1e300) * 2, ">1e300"),
        (-math.log(1e300) * 2, "<1e-300"),
        (1e308, ">1e300"),
        (math.inf, "×∞"),
        (-math.inf, "×0"),
    ],
)
def test_format_ratio(log_ratio, text):
    assert charts.format_ratio(log_ratio) == text


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-690.7, max_value=690.7))
def test_format_ratio_is_short_and_right_at_any_size(log_ratio):
    text = charts.format_ratio(log_ratio)
    assert len(text) <= 9
    value = float(text.lstrip("×"))
    assert math.log(value) == pytest.approx(log_ratio, abs=0.06)  # one decimal of the mantissa


# ----------------------------------------------------------------------------- extremes
EXTREME = {
    "ratio beyond a double": ({"storm": 1e-300, "calm": 1e300}, None),
    "huge interval": ({"storm": [1e200, 1e250], "calm": 1.0}, None),
    "tiny interval": ({"storm": [1e-200, 1e-190]}, None),
    "tiny p_outcome interval": ({"storm": 2.0}, [1e-320, 1e-310]),
    "mixed extremes": ({"storm": [1e-300, 1e-250], "calm": [1e250, 1e300]}, [0.999, 0.9999]),
}


@pytest.mark.parametrize("name", list(EXTREME))
def test_extreme_valid_numbers_go_through_every_chart(name, tmp_path):
    likelihoods, p_outcome = EXTREME[name]
    priors = priors_dict()
    if p_outcome is not None:
        priors["hypotheses"]["calm"]["p_outcome"] = p_outcome
    items = [
        item_dict("extreme", likelihoods),
        item_dict("plain", {"storm": [1.5, 3.0]}, date="2022-02-16"),
        item_dict("grouped-1", {"calm": [0.5, 2.0]}, date="2022-02-17", group="g"),
        item_dict("grouped-2", {"storm": [1e-100, 1e100]}, date="2022-02-17", group="g"),
    ]
    priors["groups"] = {"g": {"correlation": 0.5}}
    s = forecast.Scenario.from_dict({"priors": priors, "evidence": items})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = forecast.run(s, draws=DRAWS, seed=1)
        impact, sens = charts.impact_table(result), charts.sensitivity_table(result)
        paths = charts.save_all(result, tmp_path, formats=("png", "svg"), dpi=50)
    assert np.isfinite(impact.select_dtypes("number").to_numpy(dtype=float)).all()
    assert np.isfinite(sens.select_dtypes("number").to_numpy(dtype=float)).all()
    assert sens["p_low"].between(0, 1).all() and sens["p_high"].between(0, 1).all()
    assert len(paths) == 10
    svg = (tmp_path / "ach.svg").read_text()
    assert "OverflowError" not in svg
    if name == "ratio beyond a double":
        assert "&gt;1e300" in svg  # the ratio 1e600, written from its log


def test_sensitivity_of_extreme_intervals_against_the_model():
    """The sensitivity table's ends against ``probabilities`` of the arrays with the input
    set (an independent route through the model's own quadrature code)."""
    priors = priors_dict()
    priors["hypotheses"]["calm"]["p_outcome"] = [1e-320, 1e-310]
    s = forecast.Scenario.from_dict(
        {
            "priors": priors,
            "evidence": [
                item_dict("big", {"storm": [1e200, 1e250], "calm": 1e210}),
                item_dict("small", {"calm": [1e-200, 1e-190], "storm": 1e-195}, date="2022-02-16"),
            ],
        }
    )
    result = forecast.run(s, draws=DRAWS, seed=1)
    table = charts.sensitivity_table(result)
    a = encode(s)
    centre = replace(a, sd=np.zeros_like(a.sd), p_sd=np.zeros_like(a.p_sd))
    names = list(s.hypotheses)
    for _, row in table.iterrows():
        for end, column in (("lo", "p_low"), ("hi", "p_high")):
            if row["kind"] == "likelihood":
                i, j = s.ids.index(row["evidence"]), names.index(row["hypothesis"])
                mu = centre.mu.copy()
                mu[i, j] = math.log(row[end])
                expected = probabilities(replace(centre, mu=mu))[1][-1]
            else:
                j = names.index(row["hypothesis"])
                p_mean = centre.p_mean.copy()
                p_mean[j] = math.log(row[end]) - math.log1p(-row[end])
                expected = probabilities(replace(centre, p_mean=p_mean))[1][-1]
            assert row[column] == pytest.approx(expected, abs=1e-12), (row["input"], end)
    assert table.loc[table["kind"] == "likelihood", "centre"].tolist() == pytest.approx(
        [math.sqrt(1e200) * math.sqrt(1e250), math.sqrt(1e-200) * math.sqrt(1e-190)], rel=1e-9
    )


# ----------------------------------------------------------------------------- ruled out
def ruled_out_arrays() -> tuple[Arrays, np.ndarray]:
    """Five exact items over three hypotheses, three of them in a group of unequal
    strengths; the first rules hypothesis 0 out (log L = -inf), the others tell 1 from 2."""
    lik = [[0.0, 2.0, 1.0], [1.0, 1.5, 1.0], [1.0, 1.0, 3.0], [1.0, 2.0, 0.5], [1.0, 0.7, 1.0]]
    with np.errstate(divide="ignore"):
        mu = np.log(np.array(lik))
    a = Arrays(
        prior=np.array([0.5, 0.3, 0.2]),
        kappa=None,
        p_mean=np.array([-2.0, 1.5, -0.5]),
        p_sd=np.zeros(3),
        mu=mu,
        sd=np.zeros_like(mu),
        r=np.array([1.0, 0.8, 1.0, 1.0, 0.9]),
        group=np.array([-1, 0, 0, 0, -1]),
        rho=np.array([0.5]),
    )
    return a, mu


def test_leave_one_out_with_a_hypothesis_ruled_out():
    a, _ = ruled_out_arrays()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p_all, without = charts.leave_one_out(a)
    assert p_all == pytest.approx(probabilities(a)[1][-1], abs=1e-12)
    for i in range(a.n_items):
        keep = np.arange(a.n_items) != i
        expected = probabilities(subset_arrays(a, keep))[1][-1]
        assert without[i] == pytest.approx(expected, abs=1e-12)
    assert without[0] != pytest.approx(p_all, abs=1e-3)  # the ruled-out hypothesis mattered
    assert len(set(np.round(without[1:4], 9))) == 3  # each group member's absence differs


def test_ach_marks_ruled_out_cells_without_nan():
    s = forecast.Scenario.from_dict(
        {
            "priors": priors_dict(),
            "evidence": [
                item_dict("a", {"storm": 3.0}),
                item_dict("b", {"calm": 2.0}, date="2022-02-16"),
            ],
        }
    )
    result = forecast.run(s, draws=DRAWS, seed=1).copy(deep=True)
    ll = result["evidence"]["log_likelihood"].values
    ll[0, list(s.hypotheses).index("calm")] = -np.inf  # as a likelihood of 0 gives
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = ach_figure(result, None)
        svg = charts.svg_text(fig)
    assert "ruled out" in svg and "∞ (rules out)" in svg
    image = fig.axes[0].images[0].get_array()
    assert image.mask[0].tolist() == [h == "calm" for h in s.hypotheses]
    assert np.isfinite(image.compressed()).all()
    bars = [b.get_width() for b in fig.axes[1].patches]
    assert np.isfinite(bars).all()


@pytest.mark.parametrize(
    "p_mean", [(-np.inf, np.inf, 0.3), (-np.inf, 1.5, np.inf), (0.3, np.inf, -np.inf)]
)
def test_leave_one_out_with_p_outcome_0_or_1(p_mean):
    """``p_outcome`` of 0 or 1 (logit -inf or +inf): finite, in [0, 1], and as the model."""
    a, _ = ruled_out_arrays()
    a = replace(a, p_mean=np.array(p_mean))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p_all, without = charts.leave_one_out(a)
    assert 0 <= p_all <= 1 and np.all((without >= 0) & (without <= 1))
    for i in range(a.n_items):
        keep = np.arange(a.n_items) != i
        expected = probabilities(subset_arrays(a, keep))[1][-1]
        assert without[i] == pytest.approx(expected, abs=1e-12)


# ----------------------------------------------------------------------------- with the model's
def test_charts_of_a_run_with_its_own_attribution(uncertain_scenario):
    """Where ``forecast.run`` computes the attribution (``attribution=True``), the chart shows
    it, and the table's leave-one-out (computed here on the arrays) equals the node's."""
    result = forecast.run(uncertain_scenario, draws=DRAWS, seed=1, attribution=True)
    table = charts.impact_table(result)
    node = result["attribution"]
    np.testing.assert_allclose(table["p_without"], node["leave_one_out"].values, atol=1e-12)
    np.testing.assert_allclose(table["shapley"], node["shapley"].values)
    brute = brute_attribution(uncertain_scenario)
    np.testing.assert_allclose(table["shapley"], brute["shapley"].values, atol=1e-9)
    bars = [
        b.get_width() for b in charts.plot_impact(result).axes[0].patches if b.get_height() > 0.5
    ]
    p = result["trajectory"]["p_outcome"].values
    assert sum(bars[:-1]) == pytest.approx(100 * (p[-1] - p[0]), abs=1e-9)


def zero_scenario() -> forecast.Scenario:
    priors = priors_dict()
    priors["hypotheses"]["calm"]["p_outcome"] = 0.0
    priors["hypotheses"]["storm"]["p_outcome"] = 1.0
    priors["hypotheses"]["bluff"] = {"prior": 0.2, "p_outcome": [0.1, 0.3]}
    priors["hypotheses"]["calm"]["prior"] = 0.4
    priors["groups"] = {"g": {"correlation": 0.5}}
    items = [
        item_dict("rules-out-bluff", {"bluff": 0.0, "storm": 1.0, "calm": 0.5}),
        item_dict("unreliable-zero", {"storm": 0.0, "calm": 1.0}, reliability=0.6),
        item_dict("g1", {"storm": [1.5, 3.0]}, date="2022-02-16", group="g"),
        item_dict("g2", {"calm": [1.2, 2.0]}, date="2022-02-16", group="g"),
        item_dict("g3", {"storm": 4.0}, date="2022-02-17", group="g"),
    ]
    return forecast.Scenario.from_dict({"priors": priors, "evidence": items})


def test_zero_likelihoods_and_certain_p_outcome_through_every_chart(tmp_path):
    s = zero_scenario()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = forecast.run(s, draws=DRAWS, seed=1)
        impact, sens = charts.impact_table(result), charts.sensitivity_table(result)
        paths = charts.save_all(result, tmp_path, formats=("png", "svg"), dpi=50)
        ach = charts.svg_text(charts.plot_ach(result))
    assert len(paths) == 10
    svgs = {path.stem: path.read_text() for path in paths if path.suffix == ".svg"}
    for name in ("timeline", "impact", "ach"):  # each item drawn, by its id
        assert not [i for i in s.ids if f">{i}<" not in svgs[name]], name
    for name, svg in svgs.items():  # no NaN or infinity written as text
        assert not re.search(r">[^<]*\b(nan|inf)\b", svg, re.IGNORECASE), name
    assert np.isfinite(impact.select_dtypes("number").to_numpy(dtype=float)).all()
    assert np.isfinite(sens.select_dtypes("number").to_numpy(dtype=float)).all()
    a = encode(s)
    for i in range(a.n_items):
        expected = probabilities(subset_arrays(a, np.arange(a.n_items) != i))[1][-1]
        assert impact["p_without"].iloc[i] == pytest.approx(expected, abs=1e-12)
    assert "ruled out" in ach
