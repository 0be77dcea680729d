"""Several analysts: the pools, the consensus scenario, the disagreement, ``forecast pool``.

Numbers are checked against hand values (docs/model.md, "Several analysts") and against an
independent route: the consensus computed by hand from the files, each swing by re-running
the consensus scenario with the item's judgement swapped.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import item_dict, priors_dict, write_scenario

from forecast.cli import main
from forecast.consensus import build_consensus, effective_log_likelihoods, spread
from forecast.errors import InputError
from forecast.model import encode, probabilities
from forecast.pooling import load_team, neyman_d, parse_weights, pool_values, pooled_point

DRAWS = "400"
QUARTER = np.full(4, 0.25)
P4 = np.array([0.1, 0.2, 0.4, 0.5])


# ----------------------------------------------------------------------------- the pools
def test_geometric_mean_of_odds_is_the_hand_value():
    assert float(pool_values(P4, QUARTER)) == pytest.approx(1 / (1 + 54**0.25), abs=1e-6)
    assert float(pool_values(P4, QUARTER)) == pytest.approx(0.269483, abs=1e-6)


def test_extremized_with_d_2_5_is_the_hand_value():
    got = float(pool_values(P4, QUARTER, method="extremized", d=2.5))
    assert got == pytest.approx(0.076342, abs=1e-6)
    assert got == pytest.approx(1 / (1 + 54 ** (2.5 / 4)), abs=1e-12)


def test_neyman_d_for_two_analysts_and_its_limit():
    assert neyman_d(2) == pytest.approx(2 * (math.sqrt(7) - 2), abs=1e-12)
    assert neyman_d(2) == pytest.approx(1.291503, abs=1e-6)
    assert neyman_d(10_000) == pytest.approx(math.sqrt(3), abs=1e-3)


def test_linear_pool_is_the_plain_mean_and_weights_count():
    assert float(pool_values(P4, QUARTER, method="linear")) == pytest.approx(P4.mean(), abs=1e-15)
    w = parse_weights("a=3,b=1", ["a", "b", "c", "d"])  # c, d unnamed: 1 each
    np.testing.assert_allclose(w, [0.5, 1 / 6, 1 / 6, 1 / 6])
    assert float(pool_values(P4, w, method="linear")) == pytest.approx(P4 @ w, abs=1e-15)


def test_a_zero_decides_the_log_odds_pool_and_zero_with_one_is_refused():
    assert float(pool_values(np.array([0.0, 0.4]), np.array([0.5, 0.5]))) == 0.0
    with pytest.raises(InputError, match=r"x says 0 and y says 1"):
        pooled_point(np.array([0.0, 1.0]), np.array([0.5, 0.5]), ["x", "y"], method="logodds", d=1)
    # the linear pool takes them
    assert (
        pooled_point(np.array([0.0, 1.0]), np.array([0.5, 0.5]), ["x", "y"], method="linear", d=1)
        == 0.5
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [("zed=2", "unknown analyst zed"), ("a=-1", "must be a number >= 0"), ("a", "is not NAME=W"),
     ("a=0,b=0", "every weight is 0"), ("a=x", "is not a number")],
)  # fmt: skip
def test_bad_weights_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        parse_weights(text, ["a", "b"])


def test_spread_is_the_largest_range_of_a_log_ratio():
    z = np.log([[1.0, 2.0, 1.0], [1.0, 8.0, 0.5]])
    # pairs: (1, 2): log 2 vs log 8 -> log 4; (2, 3): log 2 vs log 16 -> log 8
    assert spread(z) == pytest.approx(math.log(8), abs=1e-12)
    assert spread(np.array([[0.0, -np.inf], [0.0, np.log(0.5)]])) == math.inf


# ----------------------------------------------------------------------------- a team
def _team(tmp_path, *, groups: bool = False):
    """Three analysts of one question: shared items a, b; c only A's, d only B's."""
    g = {"group": "g"} if groups else {}
    pri = {"groups": {"g": {"correlation": 0.5}}} if groups else {}
    folders = []
    specs = [
        ("A", 0.6, 0.8, [item_dict("a", {"storm": 3.0}, **g),
                          item_dict("b", {"calm": 2.0}, reliability=0.8, **g),
                          item_dict("c", {"storm": 2.5} if not groups else {"storm": [1.5, 4.0]},
                                    date="2022-02-16", **g)]),
        ("B", 0.5, 0.8, [item_dict("a", {"storm": 1.5}, **g), item_dict("b", {"calm": 4.0}, **g),
                          item_dict("d", {"storm": [1.2, 3.5] if groups else 2.0}, reliability="B",
                                    date="2022-02-17")]),
        ("C", 0.7, 0.7, [item_dict("a", {"storm": 5.0, "calm": 0.5}, **g)]),
    ]  # fmt: skip
    for name, calm, p_storm, items in specs:
        hyps = {
            "calm": {"prior": calm, "p_outcome": 0.1},
            "storm": {"prior": round(1 - calm, 10), "p_outcome": p_storm},
        }
        write_scenario(tmp_path / name.lower(), priors_dict(hypotheses=hyps, **pri), items)
        folders.append(tmp_path / name.lower())
    (tmp_path / "c" / "priors.yaml").write_text(
        (tmp_path / "c" / "priors.yaml").read_text() + "analyst: Carol\n"
    )
    return folders


def test_consensus_equals_a_computation_by_hand(tmp_path):
    team = load_team(_team(tmp_path))
    assert team.names == ["a", "b", "Carol"]  # folder names unless priors.yaml says analyst:
    c = build_consensus(team, run=False)
    # by hand: storm:calm odds, each item's effective ratio (docs/model.md)
    item_a = (3.0 * 1.5 * 10.0) ** (1 / 3)  # C: storm 5, calm 0.5 -> 10
    item_b = 1 / math.sqrt((1 / (0.8 * 0.5 + 0.2)) * 4.0)  # A at reliability 0.8, B at 1
    item_c, item_d = 2.5, 1 / (0.8 * 0.5 + 0.2)  # each as written (d at reliability B = 0.8)
    odds = (0.4 / 0.6) * item_a * item_b * item_c * item_d  # mean priors: calm 0.6
    p_storm = odds / (1 + odds)
    p_y = (1 - p_storm) * 0.1 + p_storm * (0.8 + 0.8 + 0.7) / 3
    assert c.p_point == pytest.approx(p_y, abs=1e-12)
    assert probabilities(encode(c.scenario))[1][-1] == pytest.approx(p_y, abs=1e-12)
    notes = {e.id: e.notes.get("analysts") for e in c.scenario.evidence}
    assert notes == {"a": "a, b, Carol", "b": "a, b", "c": "a", "d": "b"}


def test_each_swing_equals_rerunning_the_consensus(tmp_path):
    for groups in (False, True):
        team = load_team(_team(tmp_path / f"g{groups}", groups=groups))
        c = build_consensus(team, run=False)
        assert c.scenario.evidence[0].group == ("g" if groups else None)
        hyps = c.scenario.hypotheses
        for s in c.shared:
            rerun = []
            for name in s.analysts:
                analyst = team.analysts[team.names.index(name)].scenario
                z = effective_log_likelihoods(analyst, hyps)[analyst.ids.index(s.id)]
                likes = {h: float(np.exp(v - z[0])) for h, v in zip(hyps, z, strict=True)}
                swapped = c.scenario.updated(s.id, likelihoods=likes, reliability=1.0)
                rerun.append(probabilities(encode(swapped))[1][-1])
            np.testing.assert_allclose(c.by_item[s.id], rerun, rtol=0, atol=1e-9)
            row = c.disagreement.set_index("evidence_id").loc[s.id]
            assert row["swing"] == pytest.approx(max(rerun) - min(rerun), abs=1e-9)
            assert row["p_event_min"] == pytest.approx(min(rerun), abs=1e-9)
        assert c.disagreement["swing"].is_monotonic_decreasing


# ----------------------------------------------------------------------------- the command
def test_pool_command_writes_the_set(tmp_path, capsys):
    folders = [str(f) for f in _team(tmp_path)]
    out = tmp_path / "team"
    assert main(["pool", *folders, "--out", str(out), "--draws", DRAWS, "--no-charts"]) == 0
    table = pd.read_csv(out / "pool.csv")
    assert list(table.columns) == ["analyst", "weight", "p_event", "p_event_low", "p_event_high"]
    assert list(table["analyst"]) == ["a", "b", "Carol", *(f"pooled:{m}" for m in
                                      ("linear", "logodds", "extremized"))]  # fmt: skip
    p = table["p_event"].to_numpy()
    from forecast.pooling import analyst_probabilities  # the point route, without the band

    np.testing.assert_allclose(p[:3], analyst_probabilities(load_team(folders)), atol=1e-12)
    assert p[3] == pytest.approx(p[:3].mean(), abs=1e-12)
    logit = np.log(p[:3] / (1 - p[:3])).mean()
    assert p[4] == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-12)
    d = neyman_d(3)
    assert p[5] == pytest.approx(1 / (1 + np.exp(-d * logit)), abs=1e-12)
    assert table["weight"][3:].isna().all()
    # exact inputs: every band has zero width (to the float32 precision of the stored draws)
    np.testing.assert_allclose(table["p_event_low"], table["p_event"], rtol=0, atol=1e-6)
    dis = pd.read_csv(out / "disagreement.csv")
    assert list(dis.columns) == ["evidence_id", "analysts", "spread", "swing", "p_event_min",
                                 "p_event_max"]  # fmt: skip
    assert sorted(dis["evidence_id"]) == ["a", "b"]
    # the consensus folder is a scenario that runs and gives the consensus numbers
    assert main(["validate", "--priors", str(out / "consensus/priors.yaml"),
                 "--evidence", str(out / "consensus/evidence")]) == 0  # fmt: skip
    from forecast import load_result

    saved = load_result(out / "consensus/out/posterior.nc")
    c = build_consensus(load_team(folders), run=False)
    assert float(saved["trajectory"]["p_outcome"][-1]) == pytest.approx(c.p_point, abs=1e-12)
    raw = yaml.safe_load((out / "consensus/evidence/a.yaml").read_text())
    assert raw["notes"]["analysts"] == "a, b, Carol" and "Consensus of 3" in raw["rationale"]


def test_pooled_band_pools_draw_j_of_each_analyst(tmp_path):
    from forecast.pooling import final_draws, pool

    p = pool([str(f) for f in _team(tmp_path, groups=True)], draws=400, seed=3)
    draws = np.stack([final_draws(r) for r in p.results])
    pooled = pool_values(draws, p.weights)
    row = p.table.set_index("analyst").loc["pooled:logodds"]
    assert row["p_event_low"] == pytest.approx(np.quantile(pooled, 0.05), abs=1e-12)
    assert row["p_event_high"] == pytest.approx(np.quantile(pooled, 0.95), abs=1e-12)


def _assert_refused(capsys, args, *needles, out=None):
    assert main(["pool", *map(str, args), "--draws", DRAWS, "--no-charts"]) == 2
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, err
    assert "Traceback" not in err
    if out is not None:
        assert not out.exists()


def test_refusals(tmp_path, capsys):
    folders = _team(tmp_path)
    out = tmp_path / "nothing"
    o = ["--out", out]
    _assert_refused(capsys, [folders[0], *o], "at least two", out=out)
    _assert_refused(capsys, [*folders, "--weights", "zed=1", *o], "unknown analyst zed", out=out)
    other = tmp_path / "other"
    write_scenario(other, priors_dict(outcome="rain"), [item_dict("a", {"storm": 2.0})])
    _assert_refused(capsys, [folders[0], other, *o], "'rain'", str(folders[0]), str(other), out=out)
    broken = tmp_path / "broken"
    write_scenario(broken, priors_dict(), [item_dict("a", {"stomr": 2.0})])
    _assert_refused(capsys, [folders[0], broken, *o], "a.yaml", "stomr", out=out)
    _assert_refused(capsys, [*folders, "--out", folders[0]], "analyst's folder")
    _assert_refused(capsys, [*folders, "--out", folders[0] / "evidence" / "x"], "analyst's folder")
    _assert_refused(capsys, [*folders, "--out", tmp_path], "holds the analyst's folder")


def test_zero_and_one_together_are_refused(tmp_path, capsys):
    zero, one = tmp_path / "zero", tmp_path / "one"
    hyps = {"calm": {"prior": 0.5, "p_outcome": 0.0}, "storm": {"prior": 0.5, "p_outcome": 0.0}}
    write_scenario(zero, priors_dict(hypotheses=hyps), [])
    hyps = {"calm": {"prior": 0.5, "p_outcome": 1.0}, "storm": {"prior": 0.5, "p_outcome": 1.0}}
    write_scenario(one, priors_dict(hypotheses=hyps), [])
    out = tmp_path / "out"
    _assert_refused(capsys, [zero, one, "--out", out], "zero says 0 and one says 1", out=out)
    _assert_refused(capsys, [zero, one, "--out", out, "--method", "extremized"], "says 0", out=out)
    assert main(["pool", str(zero), str(one), "--out", str(out), "--method", "linear",
                 "--draws", DRAWS, "--no-charts"]) == 0  # fmt: skip
    table = pd.read_csv(out / "pool.csv").set_index("analyst")
    assert table.loc["pooled:linear", "p_event"] == 0.5
    assert np.isnan(table.loc["pooled:logodds", "p_event"])


def test_as_of_leaves_later_items_out(tmp_path):
    team = load_team(_team(tmp_path), as_of=pd.Timestamp("2022-02-15").date())
    assert [a.left_out for a in team.analysts] == [("c",), ("d",), ()]
    assert str(team.as_of) == "2022-02-15"
    assert str(load_team(_team(tmp_path / "x")).as_of) == "2022-02-17"  # the latest


@pytest.mark.slow
def test_pool_charts_and_report(tmp_path):
    from helpers import HOSTILE

    folders = _team(tmp_path)
    text = (folders[0] / "priors.yaml").read_text().replace("Will it happen?", HOSTILE)
    (folders[0] / "priors.yaml").write_text(text)
    out = tmp_path / "team"
    assert main(["pool", *map(str, folders), "--out", str(out), "--draws", DRAWS]) == 0
    html = (out / "report.html").read_text()
    assert "<script>" not in html and "Content-Security-Policy" in html
    assert "The item worth a conversation is" in html
    for name in ("pool", "disagreement"):
        assert (out / f"{name}.png").stat().st_size > 10_000
        assert "<svg" in (out / f"{name}.svg").read_text()
    assert (out / "consensus/out/report.html").exists()


def test_hierarchical_plumbing_with_a_stand_in_model(tmp_path, monkeypatch, capsys):
    """--hierarchical: what the fit returns reaches boldness.csv and the consensus items.

    The fit itself is tested with the model (forecast.hierarchy); here a stand-in with the
    same interface returns known intervals, so that the files can be checked exactly.
    """
    import sys
    import types

    import xarray as xr

    seen = {}

    def fit_partial_pooling(x, *, seed=0, draws=1000, tune=1000, chains=2):
        seen["x"] = x
        shape = (x.sizes["evidence"], x.sizes["hypothesis"])
        coords = {"evidence": x["evidence"].values, "hypothesis": x["hypothesis"].values}
        intervals = xr.Dataset(
            {"lo": (("evidence", "hypothesis"), np.full(shape, 0.5)),
             "hi": (("evidence", "hypothesis"), np.full(shape, 4.0))}, coords=coords)  # fmt: skip
        boldness = pd.DataFrame({"analyst": x["analyst"].values, "s_median": 1.0, "s_lo90": 0.8,
                                 "s_hi90": 1.2, "r_hat": 1.0, "ess": 900.0})  # fmt: skip
        return types.SimpleNamespace(boldness=boldness, intervals=intervals, sigma=None,
                                     warnings=["stand-in warning"], posterior=None)  # fmt: skip

    monkeypatch.setitem(
        sys.modules,
        "forecast.hierarchy",
        types.SimpleNamespace(fit_partial_pooling=fit_partial_pooling),
    )
    folders = _team(tmp_path)
    out = tmp_path / "team"
    args = ["pool", *map(str, folders), "--out", str(out), "--draws", DRAWS, "--no-charts"]
    assert main([*args, "--hierarchical"]) == 0
    assert "WARNING: stand-in warning" in capsys.readouterr().err  # the fit's warnings shown
    x = seen["x"]
    assert x.dims == ("analyst", "evidence", "hypothesis")
    assert list(x["hypothesis"].values) == ["storm"]  # relative to the first hypothesis
    # analyst a's item a: storm 3 -> log 3; Carol did not write b
    assert float(x.sel(analyst="a", evidence="a", hypothesis="storm")) == pytest.approx(math.log(3))
    assert np.isnan(float(x.sel(analyst="Carol", evidence="b", hypothesis="storm")))
    assert list(pd.read_csv(out / "boldness.csv").columns) == [
        "analyst", "s_median", "s_lo90", "s_hi90", "r_hat", "ess"]  # fmt: skip
    raw = yaml.safe_load((out / "consensus/evidence/a.yaml").read_text())
    assert raw["likelihoods"] == {"calm": 1.0, "storm": [0.5, 4.0]}


@pytest.mark.slow
def test_disagreement_chart_is_bounded_at_2000_items_and_12_analysts():
    import sys

    import xarray as xr
    from matplotlib.figure import Figure

    from forecast.charts.pool import plot_disagreement
    from forecast.charts.style import MAX_INCHES
    from forecast.pooling import Pool

    sys.path.insert(0, str(__import__("helpers").ROOT / "bench"))
    from pool_case import team_of

    team = team_of(12, 2000, 3)
    c = build_consensus(team, run=False)
    empty = (xr.DataTree(),) * 12
    p = Pool(team, np.full(12, 1 / 12), "logodds", 1.0, empty, pd.DataFrame(), c)
    fig = plot_disagreement(p)
    assert isinstance(fig, Figure) and max(fig.get_size_inches()) <= MAX_INCHES
    texts = [t.get_text() for t in fig.texts] + [t.get_text() for t in fig.legends[0].texts]
    assert any("and 1,985 more shared items" in t for t in texts)
    assert "+ 5 other analysts" in texts
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == list(c.disagreement["evidence_id"][:15])


def test_analyst_names_are_untrusted_text(tmp_path, capsys):
    folders = _team(tmp_path)
    text = (folders[1] / "priors.yaml").read_text()
    (folders[1] / "priors.yaml").write_text(text + 'analyst: "=HYPERLINK(1) $x$"\n')
    out = tmp_path / "team"
    assert (
        main(["pool", *map(str, folders), "--out", str(out), "--draws", DRAWS, "--no-charts"]) == 0
    )
    assert "'=HYPERLINK(1) $x$" in (out / "pool.csv").read_text()  # no formula in a spreadsheet
    (folders[1] / "priors.yaml").write_text(text + 'analyst: "bad\\u0007name"\n')
    _assert_refused(
        capsys, [*folders, "--out", tmp_path / "x"], "priors.yaml", "analyst", "control"
    )


def test_bench_pool_case_runs_small():
    import json
    import subprocess
    import sys

    from helpers import ROOT

    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pool_case.py"), "3", "40", "3"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert got["shared_items"] == 40 and got["case"].endswith("uncertain")
    assert 0 < got["pools"]["logodds"] < 1 and got["total_s"] > 0


def test_analysts_without_shared_hypotheses_are_pooled_without_a_consensus(tmp_path, capsys):
    folders = _team(tmp_path)
    other = tmp_path / "other"
    hyps = {"quiet": {"prior": 0.5, "p_outcome": 0.2}, "loud": {"prior": 0.5, "p_outcome": 0.6}}
    write_scenario(other, priors_dict(hypotheses=hyps), [item_dict("a", {"loud": 2.0})])
    out = tmp_path / "team"
    assert main(["pool", str(folders[0]), str(other), "--out", str(out), "--draws", DRAWS]) == 0
    assert "no consensus scenario" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "pool.csv",
        "pool.png",
        "pool.svg",
        "report.html",
    ]
    assert "do not share their hypotheses" in (out / "report.html").read_text()


@pytest.mark.slow
def test_hierarchical_on_the_example_team(tmp_path):
    """The real partial-pooling model (forecast.hierarchy) behind --hierarchical."""
    from helpers import ROOT

    from forecast import load_result

    team = [str(ROOT / "examples" / "team" / n) for n in ("ana", "ben", "chloe")]
    out = tmp_path / "team"
    assert main(["pool", *team, "--out", str(out), "--hierarchical", "--no-charts"]) == 0
    bold = pd.read_csv(out / "boldness.csv")
    assert list(bold["analyst"]) == ["ana", "ben", "chloe"]
    assert ((bold["s_lo90"] < bold["s_median"]) & (bold["s_median"] < bold["s_hi90"])).all()
    item = yaml.safe_load((out / "consensus/evidence/putin-genocide-accusation.yaml").read_text())
    intervals = [v for v in item["likelihoods"].values() if isinstance(v, list)]
    assert len(intervals) == 2 and all(0 < lo < hi for lo, hi in intervals)
    # the consensus run carries the disagreement: a wider band than the point consensus's
    point = build_consensus(load_team(team), draws=4000)
    wide = load_result(out / "consensus/out/posterior.nc")["trajectory"]
    narrow = point.result["trajectory"]
    width = float(wide["p_outcome_high"][-1] - wide["p_outcome_low"][-1])
    assert width > float(narrow["p_outcome_high"][-1] - narrow["p_outcome_low"][-1])


def test_with_a_deadline_every_analyst_is_read_as_of_the_same_day(tmp_path):
    """Time passing is evidence (docs/model.md, "Time"): runs, consensus and swings as of A."""
    from forecast import run
    from forecast.pooling import analyst_probabilities, final_p, pool

    folders = _team(tmp_path, groups=True)
    for f in folders:
        text = (f / "priors.yaml").read_text()
        (f / "priors.yaml").write_text(text + "opened: 2022-02-10\ndeadline: 2022-03-31\n")
    day = pd.Timestamp("2022-02-25").date()  # later than every item: time alone moves
    p = pool([str(f) for f in folders], draws=400, as_of=day, run_consensus=False)
    for a, r in zip(p.team.analysts, p.results, strict=True):
        assert final_p(r) == pytest.approx(final_p(run(a.source, draws=100, as_of=day)), abs=1e-12)
        assert final_p(r) != pytest.approx(final_p(run(a.source, draws=100)), abs=1e-4)
    np.testing.assert_allclose(analyst_probabilities(p.team), p.table["p_event"][:3], atol=1e-12)
    c = p.consensus
    assert c.scenario.priors.deadline == pd.Timestamp("2022-03-31").date()
    assert c.p_point == pytest.approx(final_p(run(c.scenario, draws=100, as_of=day)), abs=1e-12)
    hyps = c.scenario.hypotheses
    for s in c.shared:
        rerun = []
        for name in s.analysts:
            analyst = p.team.analysts[p.team.names.index(name)].scenario
            z = effective_log_likelihoods(analyst, hyps)[analyst.ids.index(s.id)]
            likes = {h: float(np.exp(v - z[0])) for h, v in zip(hyps, z, strict=True)}
            swapped = c.scenario.updated(s.id, likelihoods=likes, reliability=1.0)
            rerun.append(final_p(run(swapped, draws=100, as_of=day)))
        np.testing.assert_allclose(c.by_item[s.id], rerun, rtol=0, atol=1e-9)
