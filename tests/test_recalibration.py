"""Recalibration of the diagnosticity exponent s (issue 14): the probability as a function
of s against the what-if route, the PyTensor graph against its NumPy twin, recovery of a
known s on synthetic questions, and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from helpers import item_dict, priors_dict, write_scenario

import forecast
from forecast.cli import main
from forecast.recalibration import (
    PRIOR_SIGMA,
    build_recalibration_model,
    p_outcome_at,
    portfolio,
    recalibrate,
    synthetic_portfolio,
)
from forecast.widgets import Setting, scenario_for


@pytest.fixture
def grouped(tmp_path):
    """Exact inputs with reliability and a dependence group (ranks unchanged by s)."""
    priors = priors_dict(groups={"g": {"correlation": 0.6}})
    priors["hypotheses"]["bluff"] = {"prior": 0.2, "p_outcome": 0.3}
    priors["hypotheses"]["calm"]["prior"] = 0.4
    items = [
        item_dict("a", {"storm": 3.0, "bluff": 0.5}, reliability="B"),
        item_dict("b", {"calm": 2.0}, date="2022-02-16", group="g"),
        item_dict("c", {"storm": 6.0}, date="2022-02-17", group="g"),
        item_dict("d", {"bluff": 0.2, "calm": 1.5}, date="2022-02-18", reliability=0.6),
    ]
    p, e = write_scenario(tmp_path / "q", priors, items)
    return forecast.load_scenario(p, e)


@pytest.mark.parametrize("s", [0.3, 1.0, 2.5])
def test_p_at_s_is_the_what_if_slider(grouped, s):
    """P_q(s) equals forecast.probabilities of the scenario with every item's diagnosticity
    set to s by the what-if route (likelihoods raised to s, then reliability applied)."""
    port = portfolio([forecast.encode(grouped)])
    changed = scenario_for(grouped, {i: Setting(diagnosticity=s) for i in grouped.ids})
    _, p_ref = forecast.probabilities(forecast.encode(changed))
    assert p_outcome_at(port, s)[0, 0] == pytest.approx(p_ref[-1], abs=1e-12)


def test_portfolio_pads_questions_with_fewer_hypotheses(grouped, exact_scenario):
    port = portfolio([forecast.encode(grouped), forecast.encode(exact_scenario)])
    ref = [forecast.probabilities(forecast.encode(x))[1][-1] for x in (grouped, exact_scenario)]
    np.testing.assert_allclose(p_outcome_at(port, 1.0)[0], ref, atol=1e-12)


@pytest.mark.slow
def test_pytensor_graph_matches_numpy(grouped, exact_scenario):
    """The model's log density at a few s (interpreted, no compilation) against the NumPy
    twin: LogNormal(0, 0.5) prior on s plus the Bernoulli log likelihood of the outcomes."""
    port = portfolio(
        [forecast.encode(grouped), forecast.encode(exact_scenario)], outcomes=[True, False]
    )
    model = build_recalibration_model(port)
    logp = model.compile_logp(jacobian=False, mode="FAST_COMPILE")
    for s in [0.4, 1.0, 2.2]:
        p = p_outcome_at(port, s)[0]
        ll = np.log(p[0]) + np.log1p(-p[1])
        lp = -np.log(s * PRIOR_SIGMA * np.sqrt(2 * np.pi)) - np.log(s) ** 2 / (2 * PRIOR_SIGMA**2)
        # 1e-8: PyTensor's Bernoulli(logit_p) uses a piecewise softplus (seen: 2e-9 off)
        assert logp({"s_log__": np.log(s)}) == pytest.approx(ll + lp, abs=1e-8)


@pytest.mark.slow
@pytest.mark.parametrize(("s_true", "spread"), [(0.5, 1.0), (1.5, 0.5)])
def test_recovers_a_known_s(s_true, spread):
    """SYNTHETIC questions whose outcomes were drawn with s_true: the 90% interval covers it
    and the median is within 30% of it. (Two hypotheses, decisive outcomes: each question
    nearly reveals its hypothesis. On a grid, seeds 0-5 gave medians 0.50-0.66 for 0.5 and
    1.45-1.82 for 1.5; the interval missed once in twelve.)"""
    questions = synthetic_portfolio(
        200, 10, s=s_true, spread=spread, n_hypotheses=2, decisive=True, seed=0
    )
    rec = recalibrate(forecast.score(questions), seed=1)
    row = rec.table.iloc[0]
    assert row["lo90"] <= s_true <= row["hi90"]
    assert abs(row["median"] / s_true - 1) < 0.3
    assert row["r_hat"] < 1.01 and row["ess"] > 400
    assert rec.problems == []


def test_fewer_than_five_resolved_is_refused(tmp_path, capsys):
    dirs = []
    for i in range(4):
        dirs.append(tmp_path / f"q{i}")
        res = {"outcome": bool(i % 2), "date": "2022-03-01"}
        write_scenario(dirs[-1], priors_dict(resolution=res), [item_dict("a", {"storm": 2.0})])
    assert main(["score", *map(str, dirs), "--recalibrate", "--out", str(tmp_path / "o")]) == 2
    assert "at least 5 resolved scenarios, got 4" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_cli_recalibrate_writes_netcdf_and_csv(tmp_path, capsys):
    questions = synthetic_portfolio(8, 4, s=1.0, seed=3)
    dirs = []
    for i, q in enumerate(questions):
        d = q.to_dict()
        dirs.append(tmp_path / f"synthetic-{i}")
        write_scenario(dirs[-1], d["priors"], d["evidence"])
    open_q = questions[0].to_dict()
    del open_q["priors"]["resolution"]
    write_scenario(tmp_path / "open", open_q["priors"], open_q["evidence"])
    out = tmp_path / "out"
    args = ["score", *map(str, dirs), str(tmp_path / "open"), "--recalibrate", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "diagnosticity s: median " in text
    assert "open: P = " in text and "recalibrated" in text
    assert "(the model at s = 1" not in text  # exact inputs: the model's P(1) is the plain one
    table = pd.read_csv(out / "recalibration.csv")
    assert list(table.columns) == ["parameter", "median", "lo90", "hi90", "r_hat", "ess"]
    assert list(table["parameter"]) == ["s"]
    tree = xr.open_datatree(out / "recalibration.nc")
    assert tree["posterior"]["s"].dims == ("chain", "draw")
    s = tree["posterior"]["s"].values.reshape(-1)
    assert table.loc[0, "median"] == pytest.approx(np.median(s), rel=1e-9)
    assert yaml.safe_load((tmp_path / "open" / "priors.yaml").read_text()).get("resolution") is None


@pytest.mark.slow
def test_a_failed_convergence_check_is_a_loud_warning():
    """Too few draws for the ESS threshold: a ForecastWarning, and the problem recorded."""
    questions = synthetic_portfolio(20, 4, s=1.0, seed=5)
    with pytest.warns(forecast.ForecastWarning, match="bulk ESS of s"):
        rec = recalibrate(forecast.score(questions), draws=30, tune=50, chains=2, seed=0)
    assert any("ESS" in p for p in rec.problems)
