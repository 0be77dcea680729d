"""What a new user and an outside check hit (issue 21): each defect, reproduced and pinned."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import item_dict, priors_dict, write_scenario

import forecast
from forecast.cli import main


def zero_in_a_group_items() -> list[dict]:
    """A point 0 inside a group, then interval items in and out of that group."""
    return [
        item_dict("a-zero", {"calm": 0}, group="g"),
        item_dict(
            "b-interval", {"storm": [1.5, 4.0], "bluff": [0.5, 2.0]}, "2022-02-16", group="g"
        ),
        item_dict("c-free", {"bluff": [0.7, 1.5]}, date="2022-02-17"),
        item_dict("d-interval", {"storm": [0.5, 1.5]}, "2022-02-18", group="g", reliability=0.9),
    ]


def three_hypotheses(**over) -> dict:
    return priors_dict(
        hypotheses={
            "calm": {"prior": 0.5, "p_outcome": 0.1},
            "bluff": {"prior": 0.3, "p_outcome": [0.2, 0.5]},
            "storm": {"prior": 0.2, "p_outcome": 0.9},
        },
        groups={"g": {"correlation": 0.5}},
        **over,
    )


@pytest.mark.parametrize("route", ["numpy", "compiled"])
def test_zero_in_a_group_keeps_the_band(route, monkeypatch):
    """Point 1: the band after a zero inside a group is finite and centred on the probability."""
    from forecast import band

    if route == "compiled":
        monkeypatch.setattr(band, "NUMPY_ROUTE_MAX", 0)
    s = forecast.Scenario.from_dict(
        {"priors": three_hypotheses(), "evidence": zero_in_a_group_items()}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in subtract"
        result = forecast.run(s, draws=4000, seed=3)
    assert result.attrs["band_route"] == route
    t = result["trajectory"]
    for name in ("p_outcome", "p_outcome_low", "p_outcome_high", "mcse"):
        assert np.isfinite(t[name]).all(), name
    assert (t["p_hypothesis"].sel(hypothesis="calm")[1:] == 0.0).all()
    # the band's draws average to the probability (computed by the exact odds route)
    draws = result["posterior"]["p_outcome"].mean(("chain", "draw")).values
    assert (np.abs(draws - t["p_outcome"].values) < 4.5 * t["mcse"].values + 1e-12).all()
    # the bluff interval gives the band width once calm is out
    assert float(t["p_outcome_high"][-1] - t["p_outcome_low"][-1]) > 0.01


def test_zero_in_a_group_runs_with_charts_and_reruns(tmp_path, monkeypatch, capsys):
    """Point 1 from the command line: charts drawn, no nan printed, the next run reads the result."""
    write_scenario(tmp_path, three_hypotheses(), zero_in_a_group_items())
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--draws", "400"]) == 0
    first = capsys.readouterr()
    assert "nan" not in first.out.lower() and "nan" not in first.err.lower()
    assert (tmp_path / "out" / "timeline.png").exists() and (
        tmp_path / "out" / "impact.svg"
    ).exists()
    assert main(["run", "--draws", "400"]) == 0  # the tool reads the posterior.nc it wrote
    second = capsys.readouterr()
    assert "nan" not in second.out.lower(), second.out
    assert "refus" not in second.err.lower(), second.err


@pytest.mark.parametrize("p", [0.3, 0.9, 0.1, 0.7, 1e-9, 0.123456789])
def test_a_point_p_outcome_comes_out_as_itself(p):
    """Point 3: a point p_outcome is not pushed through the Gauss-Hermite rule nor rounded by
    expit(logit(p)): once storm is ruled out, the probability and both ends of the band are
    calm's ``p`` to the last bit (the outside checks compare to 1e-12, bins need exact)."""
    from forecast.model import encode, expected_p_outcome

    priors = priors_dict(
        hypotheses={
            "calm": {"prior": 0.6, "p_outcome": p},
            "storm": {"prior": 0.4, "p_outcome": [0.5, 0.8]},
        }
    )
    items = [item_dict("a", {"storm": 0}), item_dict("b", {"calm": [1.5, 3.0]}, "2022-02-16")]
    s = forecast.Scenario.from_dict({"priors": priors, "evidence": items})
    assert expected_p_outcome(encode(s))[0] == p
    t = forecast.run(s, draws=400, seed=0)["trajectory"]
    for name in ("p_outcome", "p_outcome_low", "p_outcome_high"):
        assert t[name].values[1:].tolist() == [p, p], name


def test_a_forecast_on_a_bin_edge_is_binned_by_the_readme_rule(tmp_path):
    """Point 3 end to end: storm ruled out, calm's p_outcome 0.3 is scored as 0.3, in [0.3, 0.4)."""
    from forecast.scoring import calibration, score

    priors = priors_dict(
        hypotheses={
            "calm": {"prior": 0.5, "p_outcome": 0.3},
            "storm": {"prior": 0.5, "p_outcome": 0.9},
        },
        resolution={"outcome": True, "date": "2022-02-20"},
    )
    write_scenario(tmp_path / "q", priors, [item_dict("a", {"storm": 0})])
    scores = score(tmp_path / "q")
    assert scores["final_p"].tolist() == [0.3]
    table = calibration(scores).table
    assert table.loc[table["n"] > 0, "bin_lo"].tolist() == [0.3]
