"""Time with the PyMC model (docs/model.md, "The PyMC model" and "Time"): the survival term
``log S_h(d; p_h)`` in the marginalised potential, and the NUTS route of a run with a deadline.

The references are the contract written out by hand in ``test_time.py`` (scipy quadrature
over ``p_h``'s interval) and the exact route.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import xarray as xr
from helpers import item_dict
from test_time import HYPS, ITEMS, N_DAYS, day, items_log_lik, reference, scenario, time_scenario

import forecast


def _importance_mean(model, draws: int, seed: int) -> tuple[float, float]:
    """``E[P(Y | E, theta, none by d)]`` under the model's posterior, from prior draws
    weighted by the potential (self-normalised importance sampling), and its standard error.

    The model's graph is evaluated on every draw at once (``vectorize_graph``): the standard
    normal ``z`` of ``p_h`` and of the likelihoods are its only random variables here.
    """
    import pytensor
    import pytensor.tensor as pt
    from pytensor.graph.replace import vectorize_graph

    z_p, z_l = pt.matrix("z_p"), pt.tensor3("z_l")
    outs = vectorize_graph(
        [model["evidence_given_hypothesis"], model["p_outcome"]],
        replace={model["z_p_outcome"]: z_p, model["z_likelihood"]: z_l},
    )
    rng = np.random.default_rng(seed)
    n_items, n_h = model["mu"].get_value().shape
    pot, y = pytensor.function([z_p, z_l], outs)(
        rng.standard_normal((draws, n_h)), rng.standard_normal((draws, n_items, n_h))
    )
    w = np.exp(pot - pot.max())
    w /= w.sum()
    mean = float(w @ y)
    return mean, float(np.sqrt(np.sum(w**2 * (y - mean) ** 2)))


@pytest.mark.parametrize("timing", ["uniform", "constant"])
def test_the_survival_term_gives_the_contracts_probability(timing):
    """The model's posterior mean of ``p_outcome`` given "no event by day 45" (every item seen,
    a2 retracted on day 30, intervals on ``p_h``, a ``by:`` shape) equals the contract's
    ``P(Y | E, none by d)`` within 4.5 standard errors of an importance-sampling estimate over
    the model's prior."""
    s = time_scenario(timing)
    model = forecast.build_model(s, step=4, day=dt.date.fromisoformat(day(45)))
    _, want = reference(HYPS, timing, N_DAYS, items_log_lik(["a1", "b1", "c1"]), 45)
    got, se = _importance_mean(model, 200_000, 5)
    assert abs(got - want) < 4.5 * se, (got, want, se)
    # the day matters: the same model read at opened has no survival term
    _, at_open = reference(HYPS, timing, N_DAYS, items_log_lik(["a1", "b1", "c1"]), 0)
    assert abs(at_open - want) > 20 * se


def test_point_inputs_give_the_closed_form_and_finite_gradients():
    """Point inputs: ``p_outcome`` is a deterministic equal to the closed form, also when a
    hypothesis with ``p_outcome: 1`` (uniform timing) is ruled out by the days passed
    (``S = 0`` on the deadline), and the log density's gradient is finite."""
    hyps = {"sure": {"prior": 0.3, "p_outcome": 1.0}, "maybe": {"prior": 0.7, "p_outcome": 0.4}}
    items = [item_dict("x", {"sure": 2.0}, date=day(10))]
    s = scenario(hyps, items, deadline=day(100), timing="uniform")
    import pymc as pm

    for d in (0, 30, 100):
        model = forecast.build_model(s, day=dt.date.fromisoformat(day(d)))
        post = np.array([0.3 * 2.0 * (1 - d / 100), 0.7 * 1.0 * (1 - 0.4 * d / 100)])
        rest = np.array([1.0, (0.4 - 0.4 * d / 100) / (1 - 0.4 * d / 100)])
        want = post @ rest / post.sum()
        assert float(pm.draw(model["p_outcome"], random_seed=1)) == pytest.approx(want, abs=1e-12)
        grad = model.compile_dlogp()(model.initial_point())
        assert np.all(np.isfinite(grad)), (d, grad)


def test_build_model_leaves_out_the_items_retracted_by_its_day():
    """``build_model``'s weights are the trajectory's on the model's day: a2 (retracted on day
    30) still counts at step 3 (day 12, its group weight 1/3 beside a1), not at step 4 (day 40:
    weight 0, a1's back to 1), nor on day 30 itself; the weights by hand."""
    s = time_scenario("uniform")
    ids = [i["id"] for i in ITEMS]

    def weights(**kw) -> dict[str, float]:
        w = forecast.build_model(s, **kw)["weight"].get_value()
        return {x: float(v) for x, v in zip(ids, w, strict=True) if v}

    assert weights(step=3) == pytest.approx({"a1": 1.0, "a2": 2 / 1.5 - 1, "b1": 1.0}, abs=1e-15)
    assert weights(step=4) == {"a1": 1.0, "b1": 1.0, "c1": 1.0}
    assert weights(step=3, day=dt.date.fromisoformat(day(30))) == {"a1": 1.0, "b1": 1.0}
    assert weights(step=3, day=dt.date.fromisoformat(day(29)))["a2"] == pytest.approx(1 / 3)


def _interval_item_scenario():
    items = [dict(i) for i in ITEMS]
    items[3] = item_dict("c1", {"ruse": [2.0, 8.0]}, date=day(40))  # an interval item
    return time_scenario("constant", items=items)


@pytest.mark.slow
def test_nuts_route_with_a_deadline_agrees_with_the_exact_route():
    """``method="nuts"`` on a question with a deadline, a retraction, an as-of row, intervals on
    ``p_h`` and on an item, constant hazard and a ``by:`` shape: every row's probability within
    4.5 of the run's own MCSE of the exact value, the band's ends within 4.5 combined MCSE of
    the exact route's; the by-date curve and the daily series are the exact route's (its draws
    for their bands: the same numbers as a fast run with as many draws and the same seed), and
    so is the watch list's "now"."""
    s = _interval_item_scenario()
    fast = forecast.run(s, as_of=day(45), draws=8000, seed=2)
    nuts = forecast.run(s, as_of=day(45), method="nuts", draws=4000, seed=2)
    f, n = fast["trajectory"], nuts["trajectory"]
    assert list(n["row"].values) == ["prior", "item", "item", "item", "retracted", "item", "as_of"]
    assert nuts.attrs["method"] == "nuts" and nuts.attrs["band_route"] == "nuts"
    assert (n["r_hat"] < 1.01).all() and (n["ess_bulk"] > 400).all()
    assert (abs(f["p_outcome"] - n["p_outcome"]) < 4.5 * n["mcse"]).all()
    for q in ("low", "high"):
        se = np.sqrt(f[f"mcse_{q}"] ** 2 + n[f"mcse_{q}"] ** 2)
        diff = abs(f[f"p_outcome_{q}"] - n[f"p_outcome_{q}"])
        assert (diff < 4.5 * se).all(), (q, diff.values, se.values)
    assert nuts["posterior"]["p_outcome"].shape == (4, 1000, 7)
    # what the watch list calls "now" after a NUTS run: the exact value, given none by A
    from forecast.indicators import current
    from forecast.result_schema import scenario_of

    assert current(nuts, scenario_of(nuts))[2] == pytest.approx(
        float(f["p_outcome"][-1]), abs=1e-12
    )
    same_draws = forecast.run(s, as_of=day(45), draws=4000, seed=2)  # the exact route's draws
    for node in ("by_date", "daily"):
        xr.testing.assert_identical(nuts[node].to_dataset(), same_draws[node].to_dataset())


def test_the_nuts_rows_are_the_trajectorys_rows():
    """Each NUTS row weighs the items its epoch's step has seen (the retracted a2 at 0 from its
    row on, a1's group weight back to 1) and reads the survival term at the row's day; without
    a deadline (``opened`` only, a retraction) the rows have no survival term."""
    from forecast.asof import resolve_as_of
    from forecast.nuts_route import time_rows

    s = time_scenario("uniform")
    rows = time_rows(resolve_as_of(s, day(45)))
    seen = [[], ["a1"], ["a1", "a2"], ["a1", "a2", "b1"], ["a1", "b1"], ["a1", "b1", "c1"],
            ["a1", "b1", "c1"]]  # fmt: skip
    days = [0, 5, 12, 12, 30, 40, 45]
    ids = [i["id"] for i in ITEMS]
    for (w, survival), items, d in zip(rows, seen, days, strict=True):
        # by hand: the group g's strongest seen item weighs 1, the next 1/3 (rho 0.5)
        want = dict.fromkeys(items, 1.0)
        if "a2" in items:
            want["a2"] = 2 / 1.5 - 1
        np.testing.assert_allclose(w, [want.get(x, 0.0) for x in ids], atol=1e-15)
        assert float(survival["elapsed"]) == pytest.approx(d / N_DAYS, abs=1e-15)
    hyps = {k: {"prior": h["prior"], "p_outcome": h["p_outcome"]} for k, h in HYPS.items()}
    undated = scenario(hyps, ITEMS, groups={"g": {"correlation": 0.5}})
    assert all(surv is None for _, surv in time_rows(resolve_as_of(undated, day(45))))
