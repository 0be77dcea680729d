"""Scoring resolved questions (issue 14): scores.csv, post-mortem, calibration and CORP.

Expected values are computed here by hand (the plain odds update of MODEL.md, written
without forecast.model), never taken from the code under test.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import (
    ROOT,
    copy_bundled,
    draw_into_user_axes,
    item_dict,
    priors_dict,
    write_scenario,
)

import forecast
from forecast.cli import main
from forecast.scoring import (
    CALIBRATION_COLUMNS,
    SCORE_COLUMNS,
    SUMMARY_COLUMNS,
    calibration,
    corp,
    pav,
    postmortem,
    score,
    wilson_interval,
)


def by_hand(prior, p_out, items, r=None):
    """P(outcome) after each item, the plain odds update (exact inputs, no groups).

    ``items``: list of dicts {hypothesis index: likelihood}; unnamed hypotheses 1.
    """
    prior = np.asarray(prior, float)
    r = np.ones(len(items)) if r is None else np.asarray(r, float)
    post = prior.copy()
    p_h = [post / post.sum()]
    for lik, ri in zip(items, r, strict=True):
        L = np.ones(prior.size)
        for h, v in lik.items():
            L[h] = v
        post = post * (ri * L / L.max() + 1 - ri)
        p_h.append(post / post.sum())
    p_h = np.array(p_h)
    return p_h, p_h @ np.asarray(p_out, float)


RESOLVED = {"outcome": True, "date": "2022-02-20", "source": "news", "hypothesis": "storm"}


@pytest.fixture
def resolved(tmp_path):
    """calm/storm; items on 14, 16 (two), 18 Feb and one on the resolution day (hindsight)."""
    priors = priors_dict(opened="2022-02-12", resolution=RESOLVED)
    items = [
        item_dict("a", {"storm": 3.0}, date="2022-02-14"),
        item_dict("b", {"calm": 2.0}, date="2022-02-16", reliability=0.7),
        item_dict("c", {"storm": 4.0, "calm": 0.5}, date="2022-02-16"),
        item_dict("d", {"storm": 1.5}, date="2022-02-18"),
        item_dict("late", {"storm": 100.0}, date="2022-02-20"),
    ]
    write_scenario(tmp_path / "resolved", priors, items)
    return tmp_path / "resolved"


def test_scores_match_a_hand_computation(resolved):
    frame = score(resolved)
    assert list(frame.columns) == SCORE_COLUMNS
    row = frame.iloc[0]
    # hypotheses (calm, storm), prior (0.6, 0.4), P(event | h) = (0.1, 0.8); "late" is hindsight
    p_h, p = by_hand(
        [0.6, 0.4],
        [0.1, 0.8],
        [{1: 3.0}, {0: 2.0}, {1: 4.0, 0: 0.5}, {1: 1.5}],
        r=[1, 0.7, 1, 1],
    )
    assert row["final_p"] == pytest.approx(p[-1], abs=1e-12)
    assert row["brier"] == pytest.approx((p[-1] - 1) ** 2, abs=1e-12)
    assert row["log_score"] == pytest.approx(math.log(p[-1]), abs=1e-12)
    assert row["baseline_score"] == pytest.approx(100 * (1 + math.log2(p[-1])), abs=1e-9)
    assert row["hypothesis_log_score"] == pytest.approx(math.log(p_h[-1, 1]), abs=1e-12)
    # days 12..19 Feb: 12, 13 prior; 14, 15 after a; 16, 17 after a, b, c; 18, 19 after d
    daily = np.array([p[0], p[0], p[1], p[1], p[3], p[3], p[4], p[4]])
    assert row["days"] == 8
    assert row["time_avg_brier"] == pytest.approx(np.mean((daily - 1) ** 2), abs=1e-12)
    assert row["time_avg_log_score"] == pytest.approx(np.mean(np.log(daily)), abs=1e-12)
    assert isinstance(row["outcome_happened"], bool | np.bool_) and row["outcome_happened"]
    assert row["resolved_on"] == "2022-02-20"
    assert frame.attrs["scored"][0].excluded == ("late",)


def test_outcome_that_did_not_happen_and_default_opened(tmp_path):
    res = {"outcome": False, "date": "2022-02-17"}
    folder = tmp_path / "no"
    write_scenario(
        folder,
        priors_dict(resolution=res),
        [item_dict("a", {"storm": 3.0}, date="2022-02-15")],
    )
    row = score(folder).iloc[0]
    _, p = by_hand([0.6, 0.4], [0.1, 0.8], [{1: 3.0}])
    assert row["final_p"] == pytest.approx(p[-1], abs=1e-12)
    assert row["log_score"] == pytest.approx(math.log(1 - p[-1]), abs=1e-12)
    assert row["brier"] == pytest.approx(p[-1] ** 2, abs=1e-12)
    # opened defaults to the first item's date: 15 and 16 Feb, both after item a
    assert row["days"] == 2
    assert row["time_avg_log_score"] == pytest.approx(math.log(1 - p[-1]), abs=1e-12)
    assert row["hypothesis_log_score"] == ""


def test_unresolved_scenarios_are_skipped(tmp_path, resolved):
    write_scenario(tmp_path / "open", priors_dict(), [item_dict("a", {"storm": 2.0})])
    frame = score([resolved, tmp_path / "open"])
    assert list(frame["scenario"]) == ["resolved"]
    assert frame.attrs["unresolved"] == ["open"]


def test_postmortem_step_changes_add_up(resolved):
    scored = score(resolved).attrs["scored"][0]
    post = postmortem(scored)
    assert list(post["evidence_id"]) == ["a", "b", "c", "d"]
    _, p = by_hand([0.6, 0.4], [0.1, 0.8], [{1: 3.0}, {0: 2.0}, {1: 4.0, 0: 0.5}, {1: 1.5}],
                   r=[1, 0.7, 1, 1])  # fmt: skip
    np.testing.assert_allclose(post["step_change_log_score"], np.diff(np.log(p)), atol=1e-12)
    assert post["step_change_log_score"].sum() == pytest.approx(
        math.log(p[-1]) - math.log(p[0]), abs=1e-12
    )


# ----------------------------------------------------------------------------- CORP
def pav_by_hand(x, y):
    """Isotonic regression by the definition: the min over block means (max-min formula),
    with equal x pooled first. Independent of scipy; O(n^3), fine for small n."""
    xs = np.unique(x)
    m = np.array([y[x == v].mean() for v in xs])
    w = np.array([(x == v).sum() for v in xs], float)
    n = xs.size
    fit = np.empty(n)
    for i in range(n):
        # g(i) = max_{j <= i} min_{k >= i} mean(y[j..k]) (weighted)
        best = -np.inf
        for j in range(i + 1):
            low = min(
                np.sum(w[j : k + 1] * m[j : k + 1]) / np.sum(w[j : k + 1]) for k in range(i, n)
            )
            best = max(best, low)
        fit[i] = best
    return fit[np.searchsorted(xs, x)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pav_matches_the_max_min_formula(seed):
    rng = np.random.default_rng(seed)
    x = rng.choice(np.linspace(0.05, 0.95, 12), size=40)  # ties on purpose
    y = (rng.random(40) < x).astype(float)
    np.testing.assert_allclose(pav(x, y), pav_by_hand(x, y), atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_corp_identity_and_signs(seed):
    rng = np.random.default_rng(seed)
    p = rng.choice(rng.random(25), size=300) ** 2  # 25 distinct forecasts, ties pooled
    o = (rng.random(300) < np.sqrt(p)).astype(float)  # miscalibrated on purpose
    d = corp(p, o)
    assert d["mean_brier"] == pytest.approx(np.mean((p - o) ** 2), abs=1e-15)
    assert d["mcb"] - d["dsc"] + d["unc"] == pytest.approx(d["mean_brier"], abs=1e-12)
    assert d["mcb"] > 0.01 and d["dsc"] > 0
    c = pav_by_hand(p, o)
    obar = o.mean()
    assert d["mcb"] == pytest.approx(np.mean((p - o) ** 2) - np.mean((c - o) ** 2), abs=1e-12)
    assert d["dsc"] == pytest.approx(np.mean((obar - o) ** 2) - np.mean((c - o) ** 2), abs=1e-12)
    assert d["unc"] == pytest.approx(obar * (1 - obar), abs=1e-12)


def test_corp_of_calibrated_forecasts_has_no_miscalibration():
    # forecasts equal to the observed rate of their own group, increasing: PAV leaves them
    p = np.repeat([0.25, 0.5, 0.75], 4)
    o = np.array([1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0], float)
    d = corp(p, o)
    assert d["mcb"] == pytest.approx(0.0, abs=1e-15)
    # a constant forecast discriminates nothing
    assert corp(np.full(12, 0.3), o)["dsc"] == pytest.approx(0.0, abs=1e-15)


# ----------------------------------------------------------------------------- calibration
def test_calibration_bins_and_wilson_intervals():
    p = np.array([0.0, 0.05, 0.1, 0.3, 0.35, 0.35, 0.999, 1.0])
    o = np.array([0, 0, 1, 0, 1, 1, 1, 1], bool)
    scores = pd.DataFrame({"final_p": p, "outcome_happened": o, "log_score": np.zeros(8)})
    cal = calibration(scores)
    t = cal.table
    assert list(t.columns) == CALIBRATION_COLUMNS
    np.testing.assert_allclose(t["bin_lo"], np.arange(10) / 10)
    np.testing.assert_allclose(t["bin_hi"], np.arange(1, 11) / 10)
    assert list(t["n"]) == [2, 1, 0, 3, 0, 0, 0, 0, 0, 2]  # 0.1 in [0.1, 0.2), 1.0 in the last
    assert t.loc[3, "mean_forecast"] == pytest.approx((0.3 + 0.35 + 0.35) / 3)
    assert t.loc[3, "observed_rate"] == pytest.approx(2 / 3)
    assert np.isnan(
        t.loc[2, ["mean_forecast", "observed_rate", "lo90", "hi90"]].astype(float)
    ).all()
    # Wilson 90%, k = 2 of n = 3, by the textbook formula with z = 1.6449 typed in
    z, k, n = 1.6448536269514722, 2, 3
    centre = (k / n + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(k / n * (1 - k / n) / n + z**2 / (4 * n**2))
    assert t.loc[3, "lo90"] == pytest.approx(centre - half, abs=1e-12)
    assert t.loc[3, "hi90"] == pytest.approx(centre + half, abs=1e-12)
    lo, hi = wilson_interval(0, 5)
    assert float(lo) == pytest.approx(0.0, abs=1e-15) and 0 < float(hi) < 0.5
    assert list(cal.summary.columns) == SUMMARY_COLUMNS
    s = cal.summary.iloc[0]
    assert s["mcb"] - s["dsc"] + s["unc"] == pytest.approx(s["mean_brier"], abs=1e-12)


# ----------------------------------------------------------------------------- the bundled one
def test_bundled_scenario_is_resolved():
    scenario = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    res = scenario.priors.resolution
    assert res.outcome is True and res.date == dt.date(2022, 2, 24)
    assert res.hypothesis == "deception"
    assert scenario.priors.opened < min(e.date for e in scenario.evidence)


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def bundled(tmp_path, monkeypatch) -> Path:
    work = copy_bundled(tmp_path / "ukraine")
    monkeypatch.chdir(work)
    return work


def test_cli_scores_the_bundled_scenario(bundled, capsys):
    assert main(["score"]) == 0
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    scores = pd.read_csv(bundled / "out" / "scores.csv")
    assert list(scores.columns) == SCORE_COLUMNS
    row = scores.iloc[0]
    assert row["scenario"] == "ukraine" and bool(row["outcome_happened"])
    assert last.startswith("invasion happened (resolved 2022-02-24): final P(invasion) = ")
    assert f"Brier {row['brier']:.3f}" in last
    for name in ["postmortem.csv", "calibration.csv", "score_summary.csv"]:
        assert (bundled / "out" / name).is_file()
    # the final probability is the standing forecast of 23 February: the run as of that day
    # (every item predates the invasion; the days without it count, issue 23)
    result = forecast.run(forecast.load_scenario(), as_of="2022-02-23", draws=100)
    assert row["final_p"] == pytest.approx(float(result["trajectory"]["p_outcome"][-1]), abs=1e-12)
    assert row["days"] == 14  # 10 to 23 February


def test_cli_notes_hindsight_and_unresolved(tmp_path, resolved, capsys):
    write_scenario(tmp_path / "open", priors_dict(), [item_dict("a", {"storm": 2.0})])
    out = tmp_path / "out"
    assert main(["score", str(resolved), str(tmp_path / "open"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "not resolved (skipped): open" in text
    assert "1 item dated on or after the resolution (2022-02-20) not used" in text
    assert "late" in text


def test_cli_several_scenarios_prints_the_decomposition(tmp_path, capsys):
    dirs = []
    for i, (outcome, lik) in enumerate([(True, 4.0), (False, 0.3), (True, 0.5), (False, 2.0)]):
        res = {"outcome": outcome, "date": "2022-03-01"}
        dirs.append(tmp_path / f"q{i}")
        write_scenario(dirs[-1], priors_dict(resolution=res), [item_dict("a", {"storm": lik})])
    assert main(["score", *map(str, dirs), "--out", str(tmp_path / "out")]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("4 resolved questions: mean Brier ")
    summary = pd.read_csv(tmp_path / "out" / "score_summary.csv")
    s = summary.iloc[0]
    assert s["n"] == 4
    assert s["mcb"] - s["dsc"] + s["unc"] == pytest.approx(s["mean_brier"], abs=1e-12)


BAD = [
    ({"outcome": "maybe", "date": "2022-02-24"}, "resolution.outcome"),
    ({"outcome": True, "date": "24/02/2022"}, "resolution.date"),
    ({"outcome": True}, "resolution.date"),
    ({"outcome": True, "date": "2022-02-24", "hypotesis": "deception"}, "resolution.hypotesis"),
    ({"outcome": True, "date": "2022-02-24", "hypothesis": "decepton"}, "resolution.hypothesis"),
    ({"outcome": True, "date": "2022-02-01"}, "opened"),  # opened 10 Feb is after it
]


@pytest.mark.parametrize(("resolution", "field"), BAD)
def test_bad_resolution_exit_2_names_file_and_field(bundled, capsys, resolution, field):
    data = yaml.safe_load((bundled / "priors.yaml").read_text())
    data["resolution"] = resolution
    (bundled / "priors.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["score"]) == 2
    err = capsys.readouterr().err
    assert f"priors.yaml: {field}:" in err
    assert "Traceback" not in err
    assert not (bundled / "out").exists()
    assert main(["validate"]) == 2  # the same check everywhere


def test_no_day_to_score_is_refused(tmp_path, capsys):
    folder = tmp_path / "late"
    write_scenario(
        folder,
        priors_dict(resolution={"outcome": True, "date": "2022-02-10"}),
        [item_dict("a", {"storm": 2.0}, date="2022-02-15")],
    )
    assert main(["score", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "priors.yaml: opened:" in err and "no day to score" in err
    assert not (tmp_path / "out").exists()


def test_nothing_resolved_exit_2(tmp_path, capsys):
    write_scenario(tmp_path / "open", priors_dict(), [item_dict("a", {"storm": 2.0})])
    assert main(["score", str(tmp_path / "open"), "--out", str(tmp_path / "out")]) == 2
    assert "no resolved scenario" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- charts, report
def test_calibration_chart_draws_into_a_users_axes(resolved):
    from forecast.charts.score import plot_calibration

    cal = calibration(score(resolved))
    ax = draw_into_user_axes(lambda ax: plot_calibration(cal, ax=ax))
    assert "MCB" in ax.get_title(loc="left")
    (bars,) = ax.containers  # the observed rates with their Wilson intervals
    full = cal.table[cal.table["n"] > 0]
    y = np.asarray(bars.lines[0].get_ydata(), dtype=float)
    np.testing.assert_allclose(y, 100 * full["observed_rate"].to_numpy(dtype=float))


def test_score_chart_and_report_section(resolved):
    from forecast.charts.score import plot_calibration, plot_score
    from forecast.report import how_it_resolved

    frame = score(resolved)
    scored = frame.attrs["scored"][0]
    fig = plot_score(scored)
    top, bottom = fig.axes
    assert f"final {scored.row['final_p']:.1%}" in top.get_title(loc="left")
    # the daily Brier score as one step-filled area through the days the forecast changes
    (fill,) = bottom.collections
    heights = fill.get_paths()[0].vertices[:, 1]
    daily = (scored.daily_p - 1) ** 2
    assert all(np.isclose(heights, v).any() for v in daily)  # every day's score is drawn
    assert all(np.isclose(daily, h).any() or h == 0 for h in heights)  # and nothing else
    cal = calibration(frame)
    assert "MCB" in plot_calibration(cal).axes[0].get_title(loc="left")
    html = how_it_resolved(scored.scenario)
    assert "<h2>How it resolved</h2>" in html and "event happened" in html
    post = postmortem(scored)
    best = post.loc[post["step_change_log_score"].idxmax(), "evidence_id"]
    worst = post.loc[post["step_change_log_score"].idxmin(), "evidence_id"]
    toward, away = html.split("Pushed away")
    assert f"<code>{best}</code>" in toward.split("Pushed toward")[1]
    assert f"<code>{worst}</code>" in away
    assert "1 item(s) dated on or after the resolution" in html
    unresolved = forecast.Scenario.from_dict(
        {"priors": priors_dict(), "evidence": [item_dict("a", {"storm": 2.0})]}
    )
    assert how_it_resolved(unresolved) == ""
    too_early = forecast.Scenario.from_dict(
        {
            "priors": priors_dict(resolution={"outcome": True, "date": "2022-02-01"}),
            "evidence": [item_dict("a", {"storm": 2.0})],
        }
    )
    assert "Not scored" in how_it_resolved(too_early) and "no day to score" in how_it_resolved(
        too_early
    )


def test_cli_writes_the_charts(tmp_path, resolved, capsys):
    assert main(["score", str(resolved), "--out", str(tmp_path / "one")]) == 0
    assert (tmp_path / "one" / "score.png").stat().st_size > 10_000
    assert "<svg" in (tmp_path / "one" / "score.svg").read_text()
    other = tmp_path / "other"
    shutil.copytree(resolved, other)  # the same folder twice is scored once: two folders
    assert main(["score", str(resolved), str(other), "--out", str(tmp_path / "two")]) == 0
    assert (tmp_path / "two" / "calibration.png").is_file()


def test_shapley_log_score_adds_up(resolved):
    """Needs forecast.attribution (issue 10): the order-free shares of ln p_o add up to the
    final minus the prior log score, like the step changes."""
    pytest.importorskip("forecast.attribution")
    post = postmortem(score(resolved).attrs["scored"][0])
    assert np.isfinite(post["shapley_log_score"]).all()
    assert post["shapley_log_score"].sum() == pytest.approx(
        post["step_change_log_score"].sum(), abs=1e-9
    )
    # an item's share differs from its step change when order matters (groups/reliability)
    assert not np.allclose(post["shapley_log_score"], post["step_change_log_score"])


def test_save_chart_writes_through_export(tmp_path):
    """save_chart saves as every chart is saved (forecast.charts.export.write_figure): the
    PNG within MAX_PIXELS a side, SVG text as text, no timestamp."""
    from matplotlib.figure import Figure
    from PIL import Image

    from forecast.charts.score import save_chart
    from forecast.charts.style import MAX_PIXELS

    fig = Figure(figsize=(40, 4))  # at 400 dpi, 16,000 pixels wide without the cap
    fig.add_subplot().set_title("a wide chart")
    paths = save_chart(fig, tmp_path, "wide", dpi=400)
    assert paths == [tmp_path / "wide.png", tmp_path / "wide.svg"]
    with Image.open(paths[0]) as png:
        assert max(png.size) <= MAX_PIXELS
    svg = paths[1].read_text()
    assert "a wide chart" in svg and "<dc:date>" not in svg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wide.png", "wide.svg"]
