"""Indicators: files, value of information (against an independent implementation), the
best set, the band, ``forecast watch`` / ``observe`` and observe-then-run."""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import ROOT, copy_bundled, item_dict, write_scenario

import forecast
from forecast import ScenarioError
from forecast.cli import main
from forecast.indicators import (
    best_set,
    load_indicators,
    value_of_information,
    watch,
)

DRAWS = "400"


# ----------------------------------------------------------------------------- helpers
def three_priors(p_outcome=None) -> dict:
    p_outcome = p_outcome or {"a": 0.05, "b": 0.3, "c": 0.9}
    return {
        "question": "Will it happen?",
        "outcome": "event",
        "hypotheses": {h: {"prior": pr, "p_outcome": p_outcome[h]}
                       for h, pr in zip("abc", (0.5, 0.3, 0.2), strict=True)},
        "groups": {"g": {"correlation": 0.4}},
    }  # fmt: skip


def three_items(uncertain: bool = False) -> list[dict]:
    return [
        item_dict("x1", {"a": 0.5, "c": 3.0}, date="2022-02-10", reliability="B"),
        item_dict("x2", {"b": 2.0}, date="2022-02-12", group="g"),
        item_dict(
            "x3", {"a": [0.3, 0.9] if uncertain else 0.6, "c": 1.5}, date="2022-02-14", group="g"
        ),  # fmt: skip
    ]


def indicator(id: str, p_seen: dict, by: str = "2022-03-01", **over) -> dict:
    d = {"id": id, "title": f"indicator {id}", "by": by, "p_seen": p_seen}
    d.update(over)
    return d


def write_indicators(folder: Path, items: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for it in items:
        (folder / f"{it['id']}.yaml").write_text(yaml.safe_dump(it, sort_keys=False))
    return folder


def reference(prior: list[float], p_y: list[float], q: list[float]) -> dict:
    """The issue's formulas with plain Python floats and loops (no numpy, no forecast code)."""

    def entropy(ps):
        return -sum(p * math.log2(p) for p in ps if p > 0)

    def hb(p):
        return entropy([p, 1 - p])

    y = sum(ph * py for ph, py in zip(prior, p_y, strict=True))
    out = {"p_y": y}
    p_seen = sum(ph * qh for ph, qh in zip(prior, q, strict=True))
    posts, ys, pxs = [], [], []
    for px, like in ((p_seen, q), (1 - p_seen, [1 - qh for qh in q])):
        post = [ph * lh / px for ph, lh in zip(prior, like, strict=True)]
        posts.append(post)
        ys.append(sum(a * b for a, b in zip(post, p_y, strict=True)))
        pxs.append(px)
    out["p_seen"] = p_seen
    out["if_seen"], out["if_not"] = ys
    out["shift"] = sum(px * abs(yx - y) for px, yx in zip(pxs, ys, strict=True))
    out["info_h"] = entropy(prior) - sum(
        px * entropy(po) for px, po in zip(pxs, posts, strict=True)
    )
    out["info_y"] = hb(y) - sum(px * hb(yx) for px, yx in zip(pxs, ys, strict=True))
    return out


def exact_posterior(scenario) -> np.ndarray:
    """P(h | E) by the plain odds update (exact inputs), written here from MODEL.md."""
    names = scenario.hypotheses
    log_post = np.log(scenario.prior)
    counts = {}
    for e in scenario.evidence:
        if e.group:
            counts[e.group] = counts.get(e.group, 0) + 1
    # the final weights in a group are by strength rank; every item here is its own group size
    for e in scenario.evidence:
        lik = np.array([float(e.likelihoods.get(h, 1.0)) for h in names])
        lr = e.r * lik / lik.max() + (1 - e.r)
        log_post = log_post + _final_weight(scenario, e) * np.log(lr)
    p = np.exp(log_post - log_post.max())
    return p / p.sum()


def _final_weight(scenario, item) -> float:
    from forecast.model import encode, step_weights

    a = encode(scenario)
    return float(step_weights(a, a.n_items)[scenario.ids.index(item.id)])


# ----------------------------------------------------------------------------- formulas
def test_value_of_information_matches_an_independent_implementation():
    prior, p_y = [0.5, 0.3, 0.2], [0.05, 0.3, 0.9]
    for q in ([0.1, 0.4, 0.8], [0.9, 0.5, 0.05], [0.3, 0.3, 0.31], [1e-6, 0.5, 1 - 1e-6]):
        got = value_of_information(np.array(prior), np.array(p_y), np.array([q]))
        ref = reference(prior, p_y, q)
        assert got["p_seen"][0] == pytest.approx(ref["p_seen"], abs=1e-14)
        assert got["p_outcome_if_seen"][0] == pytest.approx(ref["if_seen"], abs=1e-14)
        assert got["p_outcome_if_not_seen"][0] == pytest.approx(ref["if_not"], abs=1e-14)
        assert got["expected_shift"][0] == pytest.approx(ref["shift"], abs=1e-14)
        assert got["info_hypotheses_bits"][0] == pytest.approx(ref["info_h"], abs=1e-13)
        assert got["info_outcome_bits"][0] == pytest.approx(ref["info_y"], abs=1e-13)


def test_conservation_of_expected_evidence_and_information_never_negative(rng):
    for _ in range(200):
        n_h = int(rng.integers(2, 7))
        prior = rng.dirichlet(np.full(n_h, 0.5))
        prior = np.maximum(prior, 1e-300)
        p_y = rng.uniform(0, 1, n_h)
        q = rng.uniform(1e-9, 1 - 1e-9, (5, n_h))
        v = value_of_information(prior / prior.sum(), p_y, q)
        p_now = float(prior / prior.sum() @ p_y)
        total = (
            v["p_seen"] * v["p_outcome_if_seen"] + (1 - v["p_seen"]) * v["p_outcome_if_not_seen"]
        )
        np.testing.assert_allclose(total, p_now, rtol=0, atol=1e-12)
        assert (v["info_hypotheses_bits"] >= 0).all()
        assert (v["info_outcome_bits"] >= 0).all()
        assert (v["expected_shift"] >= 0).all()


def test_equal_p_seen_everywhere_has_no_value():
    v = value_of_information(np.array([0.2, 0.5, 0.3]), np.array([0.1, 0.5, 0.9]),
                             np.array([[0.37, 0.37, 0.37]]))  # fmt: skip
    assert v["expected_shift"][0] == pytest.approx(0.0, abs=1e-15)
    assert v["info_hypotheses_bits"][0] == pytest.approx(0.0, abs=1e-15)
    assert v["info_outcome_bits"][0] == pytest.approx(0.0, abs=1e-15)
    assert v["p_outcome_if_seen"][0] == pytest.approx(0.2 * 0.1 + 0.5 * 0.5 + 0.3 * 0.9)


def test_best_set_is_exact_over_the_joint_outcomes(rng):
    for k in (1, 2, 3, 5):
        prior = rng.dirichlet(np.ones(3))
        p_y = rng.uniform(0, 1, 3)
        q = rng.uniform(0.01, 0.99, (k, 3))
        y0 = sum(prior[h] * p_y[h] for h in range(3))
        expected = 0.0
        for x in itertools.product([0, 1], repeat=k):  # brute force, independent of the code
            like = [math.prod(q[j, h] if x[j] else 1 - q[j, h] for j in range(k)) for h in range(3)]
            px = sum(prior[h] * like[h] for h in range(3))
            yx = sum(prior[h] * like[h] * p_y[h] for h in range(3)) / px
            expected += px * abs(yx - y0)
        assert best_set(prior, p_y, q) == pytest.approx(expected, abs=1e-13)
        if k == 1:
            single = value_of_information(prior, p_y, q)["expected_shift"][0]
            assert best_set(prior, p_y, q) == pytest.approx(single, abs=1e-14)
    with pytest.raises(ValueError, match="at most 10"):
        best_set(prior, p_y, rng.uniform(0.1, 0.9, (11, 3)))


# ----------------------------------------------------------------------------- watch()
@pytest.fixture
def exact_three(tmp_path):
    priors, evidence = write_scenario(tmp_path / "s", three_priors(), three_items())
    inds = write_indicators(
        tmp_path / "s" / "indicators",
        [
            indicator("i1", {"a": 0.1, "b": 0.4, "c": 0.8}),
            indicator("i2", {"a": 0.7, "b": 0.2, "c": 0.05}, by="2022-02-11"),
            indicator("i3", {"a": 0.3, "b": 0.3, "c": 0.3}),
        ],
    )
    return priors, evidence, inds


def test_watch_matches_the_formulas_from_the_current_posterior(exact_three):
    priors, evidence, inds = exact_three
    scenario = forecast.load_scenario(priors, evidence)
    result = forecast.run(scenario, draws=400)
    table = watch(result, inds)
    post = exact_posterior(scenario)
    assert table.attrs["p_outcome"] == pytest.approx(float(post @ [0.05, 0.3, 0.9]), abs=1e-12)
    assert list(table.columns) == [
        "indicator_id", "by", "status", "p_seen", "p_event_if_seen", "p_event_if_not_seen",
        "expected_shift", "info_hypotheses_bits", "info_outcome_bits", "title", "overdue",
    ]  # fmt: skip
    for _, row in table.iterrows():
        q = [yaml.safe_load((inds / f"{row['indicator_id']}.yaml").read_text())["p_seen"][h]
             for h in "abc"]  # fmt: skip
        ref = reference(list(post), [0.05, 0.3, 0.9], q)
        assert row["p_seen"] == pytest.approx(ref["p_seen"], abs=1e-12)
        assert row["p_event_if_seen"] == pytest.approx(ref["if_seen"], abs=1e-12)
        assert row["p_event_if_not_seen"] == pytest.approx(ref["if_not"], abs=1e-12)
        assert row["expected_shift"] == pytest.approx(ref["shift"], abs=1e-12)
        assert row["info_hypotheses_bits"] == pytest.approx(ref["info_h"], abs=1e-12)
        assert row["info_outcome_bits"] == pytest.approx(ref["info_y"], abs=1e-12)
    assert list(table["expected_shift"]) == sorted(table["expected_shift"], reverse=True)
    assert table.loc[table["indicator_id"] == "i3", "expected_shift"].item() == pytest.approx(
        0.0, abs=1e-15
    )
    assert table.set_index("indicator_id")["overdue"].to_dict() == {
        "i1": False, "i2": True, "i3": False,
    }  # fmt: skip
    by_info = watch(result, inds, rank_by="info_hypotheses")
    assert list(by_info["info_hypotheses_bits"]) == sorted(
        by_info["info_hypotheses_bits"], reverse=True
    )


def test_interval_p_seen_uses_the_logit_normal_mean(exact_three, tmp_path):
    from scipy import integrate
    from scipy.special import expit, logit
    from scipy.stats import norm

    priors, evidence, _ = exact_three
    scenario = forecast.load_scenario(priors, evidence)
    result = forecast.run(scenario, draws=4000)
    # wide intervals: the chance of a sighting depends much on q, so the weights matter
    ind = indicator("u", {"a": [0.02, 0.9], "b": 0.5, "c": [0.05, 0.95]})
    table = watch(result, [ind])
    # the mean of a logit-normal by adaptive quadrature, independent of Gauss-Hermite
    q = []
    for h in "abc":
        v = ind["p_seen"][h]
        if isinstance(v, list):
            m, s = (logit(v[0]) + logit(v[1])) / 2, (logit(v[1]) - logit(v[0])) / (2 * 1.6448536)
            q.append(integrate.quad(lambda z, m=m, s=s: expit(m + s * z) * norm.pdf(z), -12, 12,
                                    epsabs=1e-13)[0])  # fmt: skip
        else:
            q.append(v)
    ref = reference(list(exact_posterior(scenario)), [0.05, 0.3, 0.9], q)
    assert table["p_seen"][0] == pytest.approx(ref["p_seen"], abs=1e-9)
    assert table["p_event_if_seen"][0] == pytest.approx(ref["if_seen"], abs=1e-9)
    assert table["expected_shift"][0] == pytest.approx(ref["shift"], abs=1e-9)
    # the band: exact scenario, uncertain indicator: only q varies. Independently: many
    # draws of q, weighted by P(seen | q), quantiles by resampling
    lo, hi = table["p_event_if_seen_low"][0], table["p_event_if_seen_high"][0]
    assert lo < table["p_event_if_seen"][0] < hi
    gen = np.random.default_rng(99)
    post, p_y = exact_posterior(scenario), np.array([0.05, 0.3, 0.9])
    qs = []
    for h in "abc":
        v = ind["p_seen"][h]
        if isinstance(v, list):
            m, s = (logit(v[0]) + logit(v[1])) / 2, (logit(v[1]) - logit(v[0])) / (2 * 1.6448536)
            qs.append(expit(m + s * gen.standard_normal(400_000)))
        else:
            qs.append(np.full(400_000, v))
    q_draws = np.stack(qs, axis=1)
    for name, qq in (("seen", q_draws), ("not_seen", 1 - q_draws)):
        w = qq @ post
        y = (qq * post) @ p_y / w
        pick = gen.choice(y.size, size=200_000, p=w / w.sum())
        ref_lo, ref_hi = np.quantile(y[pick], [0.05, 0.95])
        assert table[f"p_event_if_{name}_low"][0] == pytest.approx(ref_lo, abs=0.01)
        assert table[f"p_event_if_{name}_high"][0] == pytest.approx(ref_hi, abs=0.01)


def test_band_of_an_uncertain_scenario_is_consistent_with_the_exact_values(tmp_path):
    priors, evidence = write_scenario(
        tmp_path / "s",
        three_priors({"a": [0.01, 0.1], "b": [0.1, 0.5], "c": [0.7, 0.95]}),
        three_items(uncertain=True),
    )
    scenario = forecast.load_scenario(priors, evidence)
    result = forecast.run(scenario, draws=4000, seed=3)
    inds = [indicator("i1", {"a": [0.05, 0.2], "b": 0.4, "c": [0.6, 0.9]}),
            indicator("i2", {"a": 0.8, "b": 0.3, "c": 0.1})]  # fmt: skip
    from forecast.indicators import band_if_observed, seen_probabilities

    table = watch(result, inds)
    assert "p_event_if_not_seen_high" in table.columns
    post = result["posterior"]
    ph = post["final_p_hypothesis"].values.reshape(-1, 3)
    pg = post["final_p_given_hypothesis"].values.reshape(-1, 3)
    ids = list(table["indicator_id"])
    by_id = {i["id"]: forecast.indicators.Indicator.model_validate(i) for i in inds}
    _, m, s = seen_probabilities([by_id[i] for i in ids], scenario.hypotheses)
    b = band_if_observed(ph, pg, ids, m, s, (0.05, 0.95), seed=0)
    # the weighted draws' mean is an independent Monte Carlo estimate of P(Y | seen)
    for name, col in (("seen", "p_event_if_seen"), ("not_seen", "p_event_if_not_seen")):
        exact = table[col].to_numpy()
        mc = b[f"{name}_mean"]
        # the draws' spread from their 90% band (normal: 3.29 sd), its MCSE from the ESS
        spread = (b[f"{name}_high"] - b[f"{name}_low"]) / 3.29
        assert np.all(np.abs(mc - exact) < 5 * spread / np.sqrt(b["ess"])), (mc, exact)
        assert np.all(table[f"{col}_low"] < exact) and np.all(exact < table[f"{col}_high"])
    assert (np.nan_to_num(b["pareto_k"], nan=-1) < 0.7).all() and (b["ess"] > 400).all()


# ----------------------------------------------------------------------------- files
def test_bad_indicator_files_refused_exit_2_every_problem_nothing_written(tmp_path, capsys):
    priors, evidence = write_scenario(tmp_path / "s", three_priors(), three_items())
    folder = write_indicators(
        tmp_path / "s" / "indicators",
        [
            indicator("ok", {"a": 0.1, "b": 0.2, "c": 0.3}),
            indicator("typo", {"a": 0.1, "bb": 0.2, "c": 0.3}),
            indicator("range", {"a": 1.5, "b": 0.2, "c": [0.4, 0.3]}),
            indicator("date", {"a": 0.1, "b": 0.2, "c": 0.3}, by="next week"),
            indicator("key", {"a": 0.1, "b": 0.2, "c": 0.3}, rationle="x"),
        ],
    )
    (folder / "dup.yaml").write_text(
        yaml.safe_dump(indicator("ok", {"a": 0.1, "b": 0.2, "c": 0.3}))
    )
    (folder / "table.csv").write_text(
        "id,title,by,p_seen.a,p_seen.b,p_sen.c\nt1,x,2022-03-01,0.1,0.2,0.3\n"
    )
    out = tmp_path / "out"
    code = main(["watch", "--priors", str(priors), "--evidence", str(evidence),
                 "--indicators", str(folder), "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert not out.exists()
    assert "Traceback" not in err
    expected = [
        ("typo.yaml", "p_seen.bb", "did you mean 'b'"),
        ("typo.yaml", "p_seen.b", "is required"),
        ("range.yaml", "p_seen.a", "between 0 and 1"),
        ("range.yaml", "p_seen.c", "lo < hi"),
        ("date.yaml", "by", "YYYY-MM-DD"),
        ("key.yaml", "rationle", "did you mean 'rationale'"),
        ("dup.yaml", "id", "duplicate id 'ok'"),
        ("table.csv", "column 'p_sen.c'", "unknown column"),
    ]
    for file, fld, message in expected:
        assert any(file in line and fld in line and message in line for line in err.splitlines()), (
            file, fld, message, err,
        )  # fmt: skip
    # the same folder refused by forecast run too, before anything is written
    code = main(["run", "--priors", str(priors), "--evidence", str(evidence),
                 "--indicators", str(folder), "--out", str(out), "--draws", DRAWS])  # fmt: skip
    assert code == 2 and not out.exists()


def test_csv_indicators_read_like_yaml(tmp_path):
    priors, evidence = write_scenario(tmp_path / "s", three_priors(), three_items())
    folder = tmp_path / "s" / "indicators"
    folder.mkdir()
    (folder / "table.csv").write_text(
        "id,title,by,p_seen.a,p_seen.b,p_seen.c,rationale\n"
        "t1,first,2022-03-01,0.1,0.2,0.3..0.6,why\n"
        "t2,second,2022-03-02,0.5,0.5,0.4,\n"
    )
    inds = load_indicators(folder, forecast.load_scenario(priors, evidence))
    assert [i.id for i in inds] == ["t1", "t2"]
    assert inds[0].p_seen["c"] == (0.3, 0.6) and inds[1].p_seen["a"] == 0.5


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def bundled(tmp_path, monkeypatch) -> Path:
    work = copy_bundled(tmp_path / "scenario", "indicators")
    monkeypatch.chdir(work)
    return work


def test_bundled_indicators_validate_and_are_grounded():
    scenario = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    inds = load_indicators(ROOT / "indicators", scenario)
    assert len(inds) >= 5
    article = Path("/work/shared/seed/ukraine-2022-02-article.txt")
    for ind in inds:
        assert ind.rationale and ind.quote
        if article.exists():  # the quoted words are the article's (ellipses aside)
            text = " ".join(article.read_text().split())
            for part in ind.quote.replace("[...]", "|").split("|"):
                words = " ".join(part.replace("150,00[0]", "150,00").split()).strip(' ."')
                assert words[:60] in text, (ind.id, words[:60])


@pytest.mark.slow
def test_watch_cli_writes_watch_csv_and_run_writes_it_too(bundled, capsys):
    assert main(["watch", "--out", "out", "--draws", DRAWS]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(bundled / "out" / "watch.csv")
    assert list(table.columns[:9]) == [
        "indicator_id", "by", "status", "p_seen", "p_invasion_if_seen",
        "p_invasion_if_not_seen", "expected_shift", "info_hypotheses_bits", "info_outcome_bits",
    ]  # fmt: skip
    assert set(table["status"]) <= {"open", "lapsed"}  # as of the latest item: none lapsed yet
    assert list(table.columns[9:]) == [
        "p_invasion_if_seen_low", "p_invasion_if_seen_high",
        "p_invasion_if_not_seen_low", "p_invasion_if_not_seen_high",
    ]  # fmt: skip
    assert len(table) == 7 and "watching the top 3 together" in printed
    assert (bundled / "out" / "watch.png").is_file()
    shutil.rmtree(bundled / "out")
    assert main(["run", "--out", "out", "--draws", DRAWS]) == 0
    again = pd.read_csv(bundled / "out" / "watch.csv")
    pd.testing.assert_frame_equal(table[table.columns[:9]], again[again.columns[:9]])
    assert "What to watch" in capsys.readouterr().out


@pytest.mark.parametrize("seen", [True, False])
def test_observe_then_run_gives_the_predicted_probability(tmp_path, monkeypatch, capsys, seen):
    folder = tmp_path / "s"
    write_scenario(folder, three_priors(), three_items())
    write_indicators(folder / "indicators", [indicator("i1", {"a": 0.1, "b": 0.4, "c": 0.8})])
    monkeypatch.chdir(folder)
    assert main(["watch", "--out", "out", "--draws", DRAWS]) == 0
    predicted = pd.read_csv("out/watch.csv").set_index("indicator_id").loc["i1"]
    flag = "--seen" if seen else "--not-seen"
    before = {p.name: p.read_bytes() for p in (folder / "indicators").iterdir()}
    assert main(["observe", "i1", flag, "--date", "2022-02-20"]) == 0
    assert {p.name: p.read_bytes() for p in (folder / "indicators").iterdir()} == before
    written = yaml.safe_load((folder / "evidence" / "i1.yaml").read_text())
    assert str(written["date"]) == "2022-02-20" and "TODO" in written["source"]
    assert main(["observe", "i1", flag]) == 2  # never overwritten
    capsys.readouterr()
    assert main(["run", "--out", "out", "--draws", DRAWS]) == 0
    final = float(forecast.load_result("out/posterior.nc")["trajectory"]["p_outcome"][-1])
    col = "p_event_if_seen" if seen else "p_event_if_not_seen"
    assert final == pytest.approx(predicted[col], abs=1e-12)
    out = capsys.readouterr().out
    assert f"P(event) = {100 * predicted[col]:.1f}%" in out
    assert "already recorded as evidence: i1" in out


def test_observe_with_intervals_is_close_to_the_prediction(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "s"
    write_scenario(folder, three_priors(), three_items())
    write_indicators(
        folder / "indicators", [indicator("i1", {"a": [0.05, 0.2], "b": 0.4, "c": [0.6, 0.9]})]
    )
    monkeypatch.chdir(folder)
    assert main(["watch", "--out", "out", "--draws", DRAWS]) == 0
    predicted = pd.read_csv("out/watch.csv").set_index("indicator_id").loc["i1"]
    assert main(["observe", "i1", "--not-seen"]) == 0
    written = yaml.safe_load((folder / "evidence" / "i1.yaml").read_text())
    assert written["likelihoods"]["a"] == pytest.approx([0.8, 0.95])
    assert main(["run", "--out", "out", "--draws", DRAWS]) == 0
    final = pd.read_csv("out/trajectory.csv")["p_event"].iloc[-1]
    # log-normal likelihoods vs logit-normal probabilities: close, not equal (docs/model.md)
    assert final == pytest.approx(predicted["p_event_if_not_seen"], abs=0.02)


def test_observe_unknown_indicator_exit_2(bundled, capsys):
    assert main(["observe", "putin-signs-recogniton", "--seen"]) == 2
    assert "did you mean 'putin-signs-recognition'" in capsys.readouterr().err
    assert not (bundled / "evidence" / "putin-signs-recogniton.yaml").exists()


def test_last_step_draws_agree_with_the_band_on_both_routes(rng):
    """The band's per-draw P(h | E, theta) and p_h reproduce its P(Y | E, theta) draws, for a
    small scenario (numpy route) and one large enough for the compiled route."""
    names = [f"h{j}" for j in range(5)]
    for n_items in (3, 500):
        items = [
            item_dict(f"e{i:04d}", {names[int(rng.integers(5))]: [0.5, 2.5]},
                      date=f"2022-01-{1 + i % 28:02d}")
            for i in range(n_items)
        ]  # fmt: skip
        priors = {
            "question": "q?", "outcome": "event", "prior_strength": 20,
            "hypotheses": {h: {"prior": 0.2, "p_outcome": [0.1 + 0.15 * j, 0.2 + 0.15 * j]}
                           for j, h in enumerate(names)},
        }  # fmt: skip
        scenario = forecast.Scenario.from_dict({"priors": priors, "evidence": items})
        result = forecast.run(scenario, draws=400, seed=1)
        post = result["posterior"]
        ph = post["final_p_hypothesis"].values[0]
        pg = post["final_p_given_hypothesis"].values[0]
        y = post["p_outcome"].values[0, :, -1]
        np.testing.assert_allclose((ph * pg).sum(axis=1), y, atol=1e-6)  # float32 draws
        np.testing.assert_allclose(ph.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.slow
def test_run_keeps_the_watch_table_and_the_report_shows_it(exact_three, tmp_path, capsys):
    from forecast.indicators import watch_frame

    priors, evidence, inds = exact_three
    out = tmp_path / "out"
    args = ["--priors", str(priors), "--evidence", str(evidence), "--out", str(out)]
    assert main(["run", *args, "--draws", DRAWS]) == 0
    result = forecast.load_result(out / "posterior.nc")
    stored = watch_frame(result["watch"].to_dataset())
    fresh = watch(result, inds)
    pd.testing.assert_frame_equal(stored, fresh, check_dtype=False)
    assert stored.attrs["best_set"] == fresh.attrs["best_set"]
    assert main(["report", "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert "What would change the assessment" in page
    assert page.index("i1") < page.index("Reproducibility")
    assert "overdue" in page  # i2's date is before the latest evidence
    assert main(["charts", "--out", str(out), "--format", "pdf"]) == 0
    assert (out / "watch.pdf").is_file()
    # without indicators: no section
    shutil.rmtree(inds)
    assert main(["run", *args, "--draws", DRAWS]) == 0
    assert main(["report", "--out", str(out)]) == 0
    assert "What would change the assessment" not in (out / "report.html").read_text()
    assert (
        not (out / "watch.csv").exists()
        or "watch" not in forecast.load_result(out / "posterior.nc").children
    )


def test_validate_lists_and_checks_indicators(exact_three, capsys):
    priors, evidence, inds = exact_three
    args = ["validate", "--priors", str(priors), "--evidence", str(evidence)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "indicators: OK: 3 indicators" in out and "i2 (overdue" in out
    (inds / "i1.yaml").write_text(yaml.safe_dump(indicator("i1", {"a": 0.1, "b": 0.4})))
    assert main(args) == 2
    assert "i1.yaml: p_seen.c: is required" in capsys.readouterr().err


@pytest.mark.parametrize("value", [0, 1, 0.0, 1.0])
def test_p_seen_stays_strictly_inside_zero_one(tmp_path, value):
    """Unlike p_outcome, a sighting's probability may not be 0 or 1 (one branch would be
    impossible under every reading: 0/0)."""
    priors, evidence = write_scenario(tmp_path / "s", three_priors(), three_items())
    folder = write_indicators(
        tmp_path / "s" / "indicators", [indicator("edge", {"a": value, "b": 0.2, "c": 0.3})]
    )
    with pytest.raises(ScenarioError, match="p_seen.a.*strictly between 0 and 1"):
        load_indicators(folder, forecast.load_scenario(priors, evidence))
