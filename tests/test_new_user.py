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
