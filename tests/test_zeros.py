"""Zeros and certainties: a point likelihood of 0, a p_outcome of 0 or 1 (docs/model.md).

The worked example is the Monty Hall problem (vos Savant, Parade, 1990; Selvin 1975): the
contestant picks door 1; the host, who knows where the car is and never opens it, opens
door 3. The host's choice is impossible if the car is behind door 3 (likelihood 0), certain
if it is behind door 2 (he must open 3), a coin toss if behind door 1. Switching wins with
probability 2/3.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import item_dict, priors_dict

import forecast
from forecast import ScenarioError
from forecast.model import encode, log_expected_tilt, probabilities


def monty_hall(**item_over) -> forecast.Scenario:
    priors = priors_dict(
        question="Does switching doors win the car?",
        outcome="switch_wins",
        hypotheses={
            "car_1": {"prior": 1 / 3, "p_outcome": 0},  # switching loses
            "car_2": {"prior": 1 / 3, "p_outcome": 1},  # switching to door 2 wins
            "car_3": {"prior": 1 / 3, "p_outcome": 1},
        },
    )
    host = item_dict("host-opens-door-3", {"car_1": 0.5, "car_2": 1.0, "car_3": 0.0}, **item_over)
    return forecast.Scenario.from_dict({"priors": priors, "evidence": [host]})


def test_monty_hall_by_the_book():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero or invalid-value warnings
        p_h, p_y = probabilities(encode(monty_hall()))
    np.testing.assert_allclose(p_h[-1], [1 / 3, 2 / 3, 0.0], atol=1e-12)
    assert p_y[0] == pytest.approx(2 / 3, abs=1e-12)  # before the host: stay or switch alike
    assert p_y[-1] == pytest.approx(2 / 3, abs=1e-12)
    assert p_h[-1, 2] == 0.0  # ruled out exactly, not 1e-300


def test_an_unreliable_zero_is_one_minus_r():
    # reliability 0.9: Lr = 0.9 * L / max L + 0.1, so the zero becomes 0.1, not 0
    p_h, _ = probabilities(encode(monty_hall(reliability=0.9)))
    lr = np.array([0.9 * 0.5 + 0.1, 0.9 * 1.0 + 0.1, 0.1])
    np.testing.assert_allclose(p_h[-1], lr / lr.sum(), atol=1e-12)


def test_zero_beside_an_interval_in_quadrature():
    """An uncertain item with a zero entry: c(h) for the zero is 0 at r = 1, (1-r)^w else."""
    mu = np.array([[-np.inf, np.log(2.0), 0.0]])
    sd = np.array([[0.0, 0.4, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c1 = log_expected_tilt(mu, sd, np.array([1.0]), np.array([1.0]))
        c2 = log_expected_tilt(mu, sd, np.array([0.8]), np.array([0.5]))
    assert c1[0, 0] == -np.inf and np.isfinite(c1[0, 1:]).all()
    assert c2[0, 0] == pytest.approx(0.5 * np.log(0.2), abs=1e-12)


@pytest.mark.parametrize("route", ["numpy", "compiled"])
def test_band_with_zeros_on_both_routes(route, monkeypatch):
    from forecast import band

    if route == "compiled":
        monkeypatch.setattr(band, "NUMPY_ROUTE_MAX", 0)
    priors = priors_dict(
        hypotheses={
            "calm": {"prior": 0.5, "p_outcome": 0.0},
            "bluff": {"prior": 0.3, "p_outcome": [0.2, 0.5]},
            "storm": {"prior": 0.2, "p_outcome": 1.0},
        }
    )
    items = [
        item_dict("a", {"calm": 0, "storm": [1.0, 3.0]}),
        item_dict("b", {"storm": 0, "bluff": [0.5, 2.0]}, date="2022-02-16", reliability=0.8),
        item_dict("c", {"bluff": [0.7, 1.5]}, date="2022-02-17"),
    ]
    s = forecast.Scenario.from_dict({"priors": priors, "evidence": items})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = forecast.run(s, draws=4000, seed=3)
    assert result.attrs["band_route"] == route
    t = result["trajectory"]
    assert np.isfinite(t["p_outcome"]).all() and np.isfinite(t["p_outcome_low"]).all()
    assert float(t["p_hypothesis"].sel(hypothesis="calm")[-1]) == 0.0
    draws = result["posterior"]["p_outcome"].mean(("chain", "draw")).values
    assert (np.abs(draws - t["p_outcome"].values) < 4.5 * t["mcse"].values + 1e-12).all()


def test_item_impossible_under_every_hypothesis_refused():
    priors = priors_dict()
    items = [item_dict("nothing-fits", {"calm": 0, "storm": 0})]
    with pytest.raises(ScenarioError, match="impossible under every hypothesis") as exc:
        forecast.Scenario.from_dict({"priors": priors, "evidence": items})
    assert exc.value.problems[0].field == "likelihoods"


def test_items_ruling_out_every_hypothesis_together_refused():
    items = [
        item_dict("rules-out-calm", {"calm": 0}),
        item_dict("rules-out-storm", {"storm": 0.0}, date="2022-02-16"),
        item_dict("harmless", {"storm": 2}, date="2022-02-17"),
    ]
    with pytest.raises(ScenarioError, match="rule out every hypothesis") as exc:
        forecast.Scenario.from_dict({"priors": priors_dict(), "evidence": items})
    message = str(exc.value)
    assert "rules-out-calm" in message and "rules-out-storm" in message
    assert "harmless" not in message
    # with a less than fully reliable source the zero does not rule out: accepted
    items[1]["reliability"] = 0.9
    forecast.Scenario.from_dict({"priors": priors_dict(), "evidence": items})


@pytest.mark.parametrize("value", [[0, 2], [0.0, 0.5]])
def test_intervals_stay_strictly_positive(value):
    with pytest.raises(ScenarioError, match="interval"):
        forecast.Scenario.from_dict(
            {"priors": priors_dict(), "evidence": [item_dict("a", {"storm": value})]}
        )


@pytest.mark.slow
def test_nuts_route_with_zeros_agrees_with_fast_route():
    priors = priors_dict(
        prior_strength=20,
        hypotheses={
            "calm": {"prior": 0.6, "p_outcome": 0.0},
            "storm": {"prior": 0.3, "p_outcome": 1},
            "bluff": {"prior": 0.1, "p_outcome": [0.2, 0.5]},
        },
        groups={"g": {"correlation": 0.5}},
    )
    items = [
        item_dict("a", {"calm": 0, "storm": [1, 3]}, date="2022-01-01"),
        item_dict("b", {"storm": 0}, date="2022-01-02", reliability=0.8, group="g"),
        item_dict(
            "c", {"bluff": [0.5, 2.0], "storm": 0.3}, "2022-01-03", reliability=0.9, group="g"
        ),
    ]
    s = forecast.Scenario.from_dict({"priors": priors, "evidence": items})
    fast = forecast.run(s, draws=8000, seed=2)["trajectory"]
    nuts = forecast.run(s, method="nuts", draws=4000, seed=2)["trajectory"]
    assert (nuts["r_hat"] < 1.01).all() and (nuts["ess_bulk"] > 400).all()
    assert (abs(fast["p_outcome"] - nuts["p_outcome"]) < 4.5 * nuts["mcse"]).all()
    for q in ("low", "high"):
        se = np.sqrt(fast[f"mcse_{q}"] ** 2 + nuts[f"mcse_{q}"] ** 2)
        assert (abs(fast[f"p_outcome_{q}"] - nuts[f"p_outcome_{q}"]) < 4.5 * se).all()
