"""Dependence groups share n_eff(n) by strength rank (docs/model.md, "Dependent evidence").

The weights are checked against the rule written out by hand here (ranks sorted in plain
Python, not through forecast.model.subset_weights), and the rule's promise is checked as a
property: adding an item to a group never moves a two-hypothesis answer against the item.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import item_dict, priors_dict
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast
from forecast.model import (
    Arrays,
    encode,
    log_posterior_by_step,
    prefix_weights,
    probabilities,
    step_weights,
    strength,
    subset_weights,
)


def n_eff(rho: float, n: int) -> float:
    return n / (1 + rho * (n - 1))


def weights_by_hand(ratios, reliability, rho):
    """The rule of MODEL.md for one group, every item seen: strength of a two-hypothesis
    item = |log Lr(a) - log Lr(b)| with Lr = r L / max L + 1 - r; rank strongest first,
    ties to the earlier item; weight n_eff(j) - n_eff(j - 1)."""
    strengths = []
    for x, r in zip(ratios, reliability, strict=True):
        la, lb = x, 1.0
        top = max(la, lb)
        lra, lrb = r * la / top + 1 - r, r * lb / top + 1 - r
        strengths.append(abs(math.log(lra) - math.log(lrb)))
    order = sorted(range(len(ratios)), key=lambda i: (-strengths[i], i))
    w = [0.0] * len(ratios)
    for rank, i in enumerate(order, start=1):
        w[i] = n_eff(rho, rank) - n_eff(rho, rank - 1)
    return w


def two_hypothesis_arrays(ratios, reliability, rho, group=None) -> Arrays:
    """Arrays of items with likelihood ``ratio`` under hypothesis 0 (1 under hypothesis 1)."""
    n = len(ratios)
    mu = np.zeros((n, 2))
    mu[:, 0] = np.log(ratios)
    return Arrays(
        prior=np.array([0.5, 0.5]),
        kappa=None,
        p_mean=np.array([2.0, -2.0]),
        p_sd=np.zeros(2),
        mu=mu,
        sd=np.zeros((n, 2)),
        r=np.asarray(reliability, dtype=float),
        group=np.zeros(n, dtype=int) if group is None else np.asarray(group),
        rho=np.array([rho]),
    )


def log_odds(a: Arrays, included: np.ndarray) -> float:
    """log P(h0) / P(h1) after the items of ``included``, by the plain odds update."""
    w = subset_weights(a, included)
    from forecast.model import log_effective

    le = log_effective(a.mu, a.r)
    return float(np.log(a.prior[0] / a.prior[1]) + (w * (le[:, 0] - le[:, 1])).sum())


# ----------------------------------------------------------------------------- by hand
def test_weak_then_strong_swap_ranks():
    a = two_hypothesis_arrays([1.5, 6.0], [1.0, 1.0], rho=0.5)
    np.testing.assert_allclose(step_weights(a, 1), [1.0, 0.0])
    # the strong item arrives: it counts fully, the weak one drops to n_eff(2) - 1 = 1/3
    np.testing.assert_allclose(step_weights(a, 2), [1 / 3, 1.0])
    np.testing.assert_allclose(prefix_weights(a, 0), [[1.0, 1 / 3], [0.0, 1.0]])


def test_ties_go_to_the_item_applied_first():
    a = two_hypothesis_arrays([3.0, 1 / 3.0, 3.0], [1.0, 1.0, 1.0], rho=0.4)
    w = step_weights(a, 3)
    np.testing.assert_allclose(w, [n_eff(0.4, j) - n_eff(0.4, j - 1) for j in (1, 2, 3)])


def test_reliability_enters_the_strength():
    # 10x at r = 0.5 (odds factor at most 2) is weaker than 3x at r = 1
    a = two_hypothesis_arrays([10.0, 3.0], [0.5, 1.0], rho=0.5)
    np.testing.assert_allclose(strength(a), [np.log(1 / 0.55), np.log(3.0)])
    np.testing.assert_allclose(step_weights(a, 2), [1 / 3, 1.0])


def test_items_in_no_group_weigh_one():
    a = two_hypothesis_arrays([2.0, 9.0, 4.0, 0.5], [1, 1, 0.7, 1], 0.8, group=[-1, 0, 0, -1])
    w = step_weights(a, 4)
    assert w[0] == 1.0 and w[3] == 1.0
    np.testing.assert_allclose(w[1:3], [1.0, n_eff(0.8, 2) - 1])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    ratios=st.lists(st.floats(0.05, 20.0), min_size=1, max_size=8),
    rho=st.floats(0.0, 0.95),
    data=st.data(),
)
def test_weights_match_the_rule_and_sum_to_n_eff(ratios, rho, data):
    rel = data.draw(st.lists(st.floats(0.2, 1.0), min_size=len(ratios), max_size=len(ratios)))
    a = two_hypothesis_arrays(ratios, rel, rho)
    w = step_weights(a, len(ratios))
    np.testing.assert_allclose(w, weights_by_hand(ratios, rel, rho), rtol=1e-12, atol=1e-15)
    assert w.sum() == pytest.approx(n_eff(rho, len(ratios)), rel=1e-12)
    # any subset: the weights of its n items sum to n_eff(n)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(ratios), max_size=len(ratios))))
    assert subset_weights(a, mask).sum() == pytest.approx(n_eff(rho, mask.sum()), abs=1e-12)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(n=st.integers(1, 12), rho=st.floats(0.0, 0.95), ratio=st.floats(0.1, 10.0))
def test_equally_strong_items_give_the_design_effect(n, rho, ratio):
    a = two_hypothesis_arrays([ratio] * n, [1.0] * n, rho)
    total = log_odds(a, np.ones(n, bool))
    assert total == pytest.approx(n_eff(rho, n) * np.log(ratio), abs=1e-12)


# ----------------------------------------------------------------------------- the promise
@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    ratios=st.lists(
        st.one_of(st.floats(0.02, 50.0), st.sampled_from([0.5, 2.0, 3.0])),
        min_size=2,
        max_size=9,
    ),
    rho=st.floats(0.0, 0.99),
    data=st.data(),
)
def test_adding_an_item_never_moves_the_answer_against_it(ratios, rho, data):
    """Two hypotheses: a new item, dated anywhere among the group's, moves the log odds in
    its own direction."""
    n = len(ratios)
    rel = data.draw(st.lists(st.sampled_from([1.0, 0.9, 0.6, 0.3]), min_size=n, max_size=n))
    new = data.draw(st.integers(0, n - 1))
    a = two_hypothesis_arrays(ratios, rel, rho)
    before = log_odds(a, np.arange(n) != new)
    after = log_odds(a, np.ones(n, bool))
    direction = np.sign(np.log(ratios[new]))
    assert direction * (after - before) >= -1e-12, (before, after)
    if new == n - 1:  # the same through the coherent probability at the last two steps
        p = np.exp(log_posterior_by_step(a))
        p /= p.sum(axis=1, keepdims=True)
        assert direction * (p[-1, 0] - p[-2, 0]) >= -1e-12


def test_the_old_equal_weights_did_move_against_the_item():
    """The case the rule exists for: a weak corroborating item under equal weights."""
    ratios, rho = [8.0, 1 / 1.5, 1.2], 0.6  # strong pro, weak contra, then weak pro
    old = [np.log(x) / (1 + rho * (len(ratios[:k]) - 1)) for k in (2, 3) for x in ratios[:k]]
    old_before, old_after = sum(old[:2]), sum(old[2:])
    assert old_after < old_before  # equal weights: the pro item lowered the odds
    a = two_hypothesis_arrays(ratios, [1.0] * 3, rho)
    assert log_odds(a, np.ones(3, bool)) > log_odds(a, np.array([True, True, False]))


def test_ecb_speakers_each_pro_cut_item_raises_p_cut():
    """The user's case rebuilt: an ECB decision, a group of correlated speakers' signals."""
    priors = priors_dict(
        question="Will the ECB cut rates at its next meeting?",
        outcome="cut",
        hypotheses={
            "easing_bias": {"prior": 0.45, "p_outcome": 0.9},
            "data_dependent": {"prior": 0.35, "p_outcome": 0.4},
            "hawkish_hold": {"prior": 0.20, "p_outcome": 0.05},
        },
        groups={"ecb-speakers": {"correlation": 0.6}},
    )
    base = [
        item_dict("lagarde-speech", {"easing_bias": 4.0, "data_dependent": 1.5}, "2024-05-02"),
        item_dict("schnabel-caution", {"hawkish_hold": 1.6}, "2024-05-03"),
        item_dict("lane-interview", {"easing_bias": 2.5}, "2024-05-04"),
    ]
    pro_cut = [
        item_dict("reuters-sources-cut", {"easing_bias": 6.0, "data_dependent": 2.0}, "2024-05-06"),
        item_dict("villeroy-june", {"easing_bias": 1.3}, "2024-05-07"),
        item_dict("centeno-dovish", {"easing_bias": [1.1, 1.8]}, "2024-05-08", reliability="C"),
        item_dict("rehn-blog", {"easing_bias": 2.0, "hawkish_hold": 0.8}, "2024-05-09"),
    ]
    for item in base + pro_cut:
        item["group"] = "ecb-speakers"
    s = forecast.Scenario.from_dict({"priors": priors, "evidence": base})
    p_cut = probabilities(encode(s))[1][-1]
    for item in pro_cut:
        s = s.with_item(item)
        now = probabilities(encode(s))[1][-1]
        assert now > p_cut, (item["id"], p_cut, now)
        p_cut = now
    # and removing pro-cut items lowers it again, whichever are removed
    for item in pro_cut[:3]:
        fewer = probabilities(encode(s.without(item["id"])))[1][-1]
        assert fewer < p_cut, item["id"]


def test_the_band_uses_the_rank_weights(uncertain_scenario):
    """The band's draws average to the probability at every step (both use the weights);
    in this scenario the group's later item outranks the earlier one."""
    a = encode(uncertain_scenario)
    assert step_weights(a, 3)[1] < 1.0 and step_weights(a, 3)[2] == 1.0
    result = forecast.run(uncertain_scenario, draws=6000, seed=5)
    t = result["trajectory"]
    z = np.abs(t["p_outcome"].values - result["posterior"]["p_outcome"].mean(("chain", "draw")))
    assert (z.values < 4.5 * t["mcse"].values + 1e-9).all()
