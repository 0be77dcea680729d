"""The numbers of MODEL.md: closed forms by hand, invariances, stability, independent routes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import item_dict, priors_dict
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import expit, logsumexp

import forecast
from forecast.model import encode, log_effective, log_expected_tilt, probabilities, step_weights


def scenario(items, **priors):
    return forecast.Scenario.from_dict({"priors": priors_dict(**priors), "evidence": items})


def final(s):
    p_h, p_y = probabilities(encode(s))
    return p_h, p_y


# ----------------------------------------------------------------------------- closed forms
def test_exact_odds_update_by_hand(exact_scenario):
    # prior odds storm:calm = 0.4:0.6; a x3 storm; b x2 calm; c storm 4 vs calm 0.5 (x8)
    odds = np.array([2 / 3, 2.0, 1.0, 8.0])
    p_storm = odds / (1 + odds)
    p_h, p_y = final(exact_scenario)
    np.testing.assert_allclose(p_h[:, 1], p_storm, rtol=0, atol=1e-12)
    np.testing.assert_allclose(p_y, (1 - p_storm) * 0.1 + p_storm * 0.8, rtol=0, atol=1e-12)


def test_exact_inputs_band_has_zero_width_and_equals_probability(exact_scenario):
    result = forecast.run(exact_scenario, draws=200, seed=3)
    t = result["trajectory"]
    np.testing.assert_allclose(t["p_outcome_low"], t["p_outcome"], atol=1e-6)
    np.testing.assert_allclose(t["p_outcome_high"], t["p_outcome"], atol=1e-6)
    assert float(t["mcse"].max()) < 1e-6


@pytest.mark.parametrize("r", [0.95, 0.6, 0.2])
def test_reliability_by_hand(r):
    # {storm: 3}: Lr(storm) = r * 1 + 1 - r = 1, Lr(calm) = r / 3 + 1 - r
    s = scenario([item_dict("a", {"storm": 3.0}, reliability=r)])
    p_h, _ = final(s)
    odds = (0.4 / 0.6) * 1.0 / (r / 3 + 1 - r)
    assert p_h[1, 1] == pytest.approx(odds / (1 + odds), abs=1e-12)


@pytest.mark.parametrize("letter,r", [("A", 0.95), ("B", 0.8), ("C", 0.6), ("F", 0.5)])
def test_admiralty_letters(letter, r):
    a = scenario([item_dict("a", {"storm": 3.0}, reliability=letter)])
    b = scenario([item_dict("a", {"storm": 3.0}, reliability=r)])
    np.testing.assert_allclose(final(a)[0], final(b)[0], atol=1e-15)


def test_dependence_group_weights_by_hand():
    items = [
        item_dict("a", {"storm": 4.0}, group="g"),
        item_dict("b", {"storm": 4.0}, date="2022-02-16", group="g"),
        item_dict("c", {"storm": 4.0}, date="2022-02-17", group="g"),
        item_dict("d", {"storm": 2.0}, date="2022-02-18"),
    ]
    s = scenario(items, groups={"g": {"correlation": 0.5}})
    a = encode(s)
    np.testing.assert_allclose(step_weights(a, 1), [1, 0, 0, 0])
    # equally strong: ranks by arrival, 1, n_eff(2) - 1 = 1/3, n_eff(3) - n_eff(2) = 1/6
    np.testing.assert_allclose(step_weights(a, 2), [1, 1 / 3, 0, 0])
    np.testing.assert_allclose(step_weights(a, 4), [1, 1 / 3, 1 / 6, 1])
    log_odds0 = np.log(0.4 / 0.6)
    expect = (
        log_odds0
        + np.log(4) * np.array([0, 1, 2 / 1.5, 3 * 0.5, 3 * 0.5])
        + np.log(2) * (np.arange(5) == 4)
    )
    p_h, _ = final(s)
    np.testing.assert_allclose(np.log(p_h[:, 1] / p_h[:, 0]), expect, atol=1e-12)


def test_undefined_group_uses_default_correlation():
    items = [item_dict("a", {"storm": 4.0}, group="x"), item_dict("b", {"storm": 4.0}, group="x")]
    w = step_weights(encode(scenario(items)), 2)
    np.testing.assert_allclose(w, [1, 1 / 3])


def test_ties_in_date_broken_by_id():
    items = [item_dict("b", {"storm": 2.0}), item_dict("a", {"calm": 2.0})]
    assert scenario(items).ids == ("a", "b")


# ----------------------------------------------------------------------------- invariances
def test_equal_likelihoods_change_nothing(uncertain_scenario):
    s = uncertain_scenario
    neutral = item_dict("z", {"calm": 3.0, "bluff": 3.0, "storm": 3.0}, date="2022-03-01")
    before, after = final(s), final(s.with_item(neutral))
    np.testing.assert_allclose(after[0][-1], before[0][-1], atol=1e-12)
    assert after[1][-1] == pytest.approx(before[1][-1], abs=1e-12)


def test_item_and_reciprocal_cancel():
    items = [
        item_dict("a", {"storm": 5.0, "calm": 0.5}),
        item_dict("b", {"storm": 0.2, "calm": 2.0}, date="2022-02-16"),
    ]
    p_h, p_y = final(scenario(items))
    np.testing.assert_allclose(p_h[-1], p_h[0], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    r=st.floats(0.01, 0.99),
    ratio=st.floats(1e-200, 1e200),
    prior=st.floats(0.01, 0.99),
)
def test_reliability_caps_odds_change(r, ratio, prior):
    s = scenario(
        [item_dict("a", {"storm": ratio}, reliability=r)],
        hypotheses={
            "calm": {"prior": 1 - prior, "p_outcome": 0.1},
            "storm": {"prior": prior, "p_outcome": 0.9},
        },
    )
    log_post = forecast.model.log_posterior_by_step(encode(s))
    change = abs((log_post[1, 1] - log_post[1, 0]) - (log_post[0, 1] - log_post[0, 0]))
    assert change <= -np.log1p(-r) + 1e-9


@settings(max_examples=40, deadline=None)
@given(st.permutations(list(range(6))))
def test_result_does_not_depend_on_input_order(order):
    items = [
        item_dict(
            f"e{i}",
            {"storm": [1.0 + i, 3.0 + i]},
            date=f"2022-02-1{i % 3}",
            group="g" if i % 2 else None,
        )
        for i in range(6)
    ]
    items = [{k: v for k, v in it.items() if v is not None} for it in items]
    base = final(scenario(items))
    shuffled = final(scenario([items[i] for i in order]))
    np.testing.assert_array_equal(base[1], shuffled[1])


# ----------------------------------------------------------------------------- numerics
def test_extreme_likelihoods_stay_finite_and_exact():
    items = [
        item_dict("a", {"storm": 1e300}),
        item_dict("b", {"calm": 1e300}, date="2022-02-16"),
        item_dict("c", {"storm": 1e-300}, date="2022-02-17"),
        item_dict("d", {"storm": [1e-300, 1e-290]}, date="2022-02-18"),
    ]
    p_h, p_y = final(scenario(items))
    assert np.isfinite(p_h).all() and np.isfinite(p_y).all()
    log_odds = np.array([np.log(0.4 / 0.6), *(np.log(10.0) * np.array([300, -300, -300]))])
    np.testing.assert_allclose(
        np.log(p_h[:4, 1]) - np.log(p_h[:4, 0]), np.cumsum(log_odds), rtol=1e-12
    )
    # d: E[L] for log L ~ N(m, s) far below 1: c(storm) = exp(m + s^2/2) to relative 1e-9
    m, s = np.log(1e-295), (np.log(1e-290) - np.log(1e-300)) / (2 * 1.6448536269514722)
    log_post = forecast.model.log_posterior_by_step(encode(scenario(items)))
    step = (log_post[4, 1] - log_post[4, 0]) - (log_post[3, 1] - log_post[3, 0])
    assert step == pytest.approx(m + s**2 / 2, rel=1e-9)


def test_two_thousand_items():
    rng = np.random.default_rng(7)
    ratios = np.exp(rng.normal(0, 0.05, 2000))
    items = [
        item_dict(f"e{i:04d}", {"storm": float(x)}, date=f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}")
        for i, x in enumerate(ratios)
    ]
    s = scenario(items)
    p_h, p_y = final(s)
    assert p_h.shape == (2001, 2) and np.isfinite(p_h).all() and np.isfinite(p_y).all()
    order = [int(i[1:]) for i in s.ids]
    expect = np.log(0.4 / 0.6) + np.cumsum(np.log(ratios[order]))
    np.testing.assert_allclose(np.log(p_h[1:, 1] / p_h[1:, 0]), expect, atol=1e-9)


# ----------------------------------------------------------------------------- quadrature
def _nquad_tilt(mu, sd, r, w):
    """Independent route: E[Lr(h)^w] by adaptive multi-dimensional integration (scipy)."""
    unc = [g for g in range(len(mu)) if sd[g] > 0]
    out = []
    for h in range(len(mu)):

        def f(*xs, h=h):
            x = list(mu)
            dens = 1.0
            for g, v in zip(unc, xs, strict=True):
                x[g] = v
                dens *= math.exp(-0.5 * ((v - mu[g]) / sd[g]) ** 2) / (
                    sd[g] * math.sqrt(2 * math.pi)
                )
            z = min(x[h] - max(x), 0.0)
            return (r * math.exp(z) + 1 - r) ** w * dens

        ranges = [(mu[g] - 9 * sd[g], mu[g] + 9 * sd[g]) for g in unc]
        out.append(
            integrate.nquad(f, ranges, opts={"epsabs": 1e-13, "epsrel": 1e-11, "limit": 200})[0]
        )
    return np.array(out)


@pytest.mark.parametrize(
    "mu,sd,r,w",
    [
        ([np.log(3), 0.0], [0.4, 0.0], 1.0, 1.0),
        ([np.log(3), 0.0], [0.4, 0.0], 0.6, 0.5),
        ([0.2, -0.1], [0.3, 0.5], 0.9, 0.6),
        ([np.log(0.7), 0.0, np.log(2)], [0.5, 0.0, 0.3], 0.8, 0.7),
        ([0.0, 0.5, -0.3], [0.2, 0.0, 0.0], 1.0, 0.4),
        # repeated exact entries (hypotheses an item does not name) are computed once
        ([0.4, 0.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0, 0.0], 0.8, 1.0),
        ([0.4, 0.0, -0.2, 0.0, 0.7], [0.5, 0.0, 0.3, 0.0, 0.0], 0.6, 0.5),
    ],
)
def test_tilt_quadrature_matches_adaptive_integration(mu, sd, r, w):
    got = np.exp(log_expected_tilt(np.array([mu]), np.array([sd]), np.array([r]), np.array([w]))[0])
    np.testing.assert_allclose(got, _nquad_tilt(mu, sd, r, w), rtol=1e-8)


def _importance_route(s, n, rng):
    """Independent route: prior draws of theta weighted by P(E | theta) (MODEL.md's check)."""
    a = encode(s)
    n_h = a.n_hypotheses
    pi = rng.dirichlet(a.kappa * a.prior, size=n) if a.kappa else np.broadcast_to(a.prior, (n, n_h))
    p = expit(a.p_mean + a.p_sd * rng.standard_normal((n, n_h)))
    w = step_weights(a, a.n_items)
    x = a.mu + a.sd * rng.standard_normal((n, *a.mu.shape))
    loglik = np.log(pi) + np.einsum("i,sih->sh", w, log_effective(x, a.r[None, :]))
    log_ev = logsumexp(loglik, axis=1)
    y = np.sum(np.exp(loglik - log_ev[:, None]) * p, axis=1)
    wt = np.exp(log_ev - log_ev.max())
    est = np.sum(wt * y) / wt.sum()
    se = np.sqrt(np.sum(wt**2 * (y - est) ** 2)) / wt.sum()  # delta method
    return est, se


def test_probability_matches_importance_sampling(uncertain_scenario, rng):
    est, se = _importance_route(uncertain_scenario, 400_000, rng)
    _, p_y = final(uncertain_scenario)
    assert abs(p_y[-1] - est) < 4.5 * se, (p_y[-1], est, se)
    assert se < 0.002  # the check is sharp enough to catch a wrong weight or reliability


def test_band_draws_average_to_probability(uncertain_scenario):
    result = forecast.run(uncertain_scenario, draws=4000, seed=11)
    t = result["trajectory"]
    draws = result["posterior"]["p_outcome"].values[0].astype(float)  # (draw, step)
    z = np.abs(draws.mean(axis=0) - t["p_outcome"].values) / t["mcse"].values
    assert (z < 4.5).all(), z
    assert (t["p_outcome_low"] < t["p_outcome"]).all() and (
        t["p_outcome"] < t["p_outcome_high"]
    ).all()


def test_same_seed_same_numbers(uncertain_scenario):
    a = forecast.run(uncertain_scenario, draws=500, seed=5)
    b = forecast.run(uncertain_scenario, draws=500, seed=5)
    c = forecast.run(uncertain_scenario, draws=500, seed=6)
    np.testing.assert_array_equal(a["posterior"]["p_outcome"], b["posterior"]["p_outcome"])
    assert not np.array_equal(a["posterior"]["p_outcome"], c["posterior"]["p_outcome"])
    np.testing.assert_array_equal(a["trajectory"]["p_outcome"], c["trajectory"]["p_outcome"])


def test_result_layout(uncertain_scenario):
    result = forecast.run(uncertain_scenario, draws=300, seed=1)
    t = result["trajectory"]
    assert t["p_hypothesis"].dims == ("step", "hypothesis")
    assert list(t["evidence_id"].values) == ["", "a", "b", "c", "d"]
    assert result["posterior"]["p_outcome"].dims == ("chain", "draw", "step")
    assert result["evidence"]["log_likelihood"].dims == ("evidence", "hypothesis")
    assert result.attrs["scenario_hash"] == uncertain_scenario.hash
    np.testing.assert_allclose(t["p_hypothesis"].sum("hypothesis"), 1.0, atol=1e-12)
    # group imagery (rho 0.6): c (storm x3.5 at r 0.7, strength 0.69) outranks the earlier b
    # (calm x0.52, strength 0.65): c weighs 1, b n_eff(2) - 1 = 2 / 1.6 - 1
    np.testing.assert_allclose(result["evidence"]["weight"], [1, 2 / 1.6 - 1, 1, 1])


# ----------------------------------------------------------------------------- PyMC model
@pytest.mark.slow
def test_build_model_coords_and_potential_match_quadrature(uncertain_scenario):
    model = forecast.build_model(uncertain_scenario, step=2)
    assert list(model.coords["hypothesis"]) == ["calm", "bluff", "storm"]
    assert list(model.coords["evidence"]) == ["a", "b", "c", "d"]
    assert model.named_vars_to_dims["z_likelihood"] == ("evidence", "hypothesis")
    np.testing.assert_allclose(model["weight"].get_value(), [1, 1, 0, 0])
    # the potential's prior mean is the marginal likelihood sum_h E[pi_h] prod_i c_i(h):
    # at step 3 the group's later item c outranks b (weights 1, 1/4, 1)
    import pymc as pm

    from forecast.model import log_posterior_by_step

    model = forecast.build_model(uncertain_scenario, step=3)
    np.testing.assert_allclose(model["weight"].get_value(), [1, 2 / 1.6 - 1, 1, 0])
    draws = pm.draw(model["evidence_given_hypothesis"], draws=40_000, random_seed=7)
    x = np.exp(draws)
    expected = np.exp(logsumexp(log_posterior_by_step(encode(uncertain_scenario))[3]))
    assert abs(x.mean() - expected) < 4.5 * x.std() / np.sqrt(x.size), (x.mean(), expected)


def test_exact_model_point_probability(exact_scenario):
    # with exact inputs, p_outcome in the PyMC model is a deterministic: the closed form
    model = forecast.build_model(exact_scenario)
    import pymc as pm

    value = pm.draw(model["p_outcome"], random_seed=1)
    assert float(value) == pytest.approx(final(exact_scenario)[1][-1], abs=1e-12)


@pytest.mark.slow
def test_nuts_route_agrees_with_fast_route(uncertain_scenario):
    fast = forecast.run(uncertain_scenario, draws=8000, seed=2)["trajectory"]
    nuts = forecast.run(uncertain_scenario, method="nuts", draws=4000, seed=2)["trajectory"]
    assert (nuts["r_hat"] < 1.01).all() and (nuts["ess_bulk"] > 400).all()
    tol = 4.5 * nuts["mcse"]
    assert (abs(fast["p_outcome"] - nuts["p_outcome"]) < tol).all()
    for q in ("low", "high"):
        se = np.sqrt(fast[f"mcse_{q}"] ** 2 + nuts[f"mcse_{q}"] ** 2)
        diff = abs(fast[f"p_outcome_{q}"] - nuts[f"p_outcome_{q}"])
        assert (diff < 4.5 * se).all(), (q, diff.values, se.values)


@pytest.mark.slow
def test_nuts_model_compiled_once_per_structure(uncertain_scenario, monkeypatch):
    import nutpie

    from forecast.pymc_model import compiled_nuts_model

    compiled = []
    real = nutpie.compile_pymc_model

    def compile_pymc_model(model, *args, **kwargs):
        compiled.append(model)
        return real(model, *args, **kwargs)

    monkeypatch.setattr(nutpie, "compile_pymc_model", compile_pymc_model)
    a = encode(uncertain_scenario)
    first = compiled_nuts_model(a, 1)
    before = len(compiled)  # 1, or 0 if an earlier test compiled this structure
    changed = encode(uncertain_scenario.updated("a", likelihoods={"storm": [3.0, 9.0]}))
    second = compiled_nuts_model(changed, 3)
    assert len(compiled) == before  # new numbers, same sizes: nothing compiled
    assert type(second) is type(first)
    # another structure (one item fewer) is compiled: the counter sees compilations
    compiled_nuts_model(encode(uncertain_scenario.without("d")), 3)
    assert len(compiled) == before + 1
