"""Shapley attribution (issue 10): checked against brute force written from MODEL.md by hand,
against the quadrature route on every subset, and the sampled estimate against the exact one."""

from __future__ import annotations

import csv
import dataclasses
import itertools
import math

import numpy as np
import pytest
import xarray as xr
from helpers import ROOT, item_dict, write_scenario

import forecast
from forecast.attribution import CSV_COLUMNS, explain_move, shapley
from forecast.cli import main
from forecast.model import encode, expected_p_outcome, probabilities

THREE = {
    "de_escalation": {"prior": 0.4, "p_outcome": 0.05},
    "coercive_bluff": {"prior": 0.35, "p_outcome": 0.15},
    "deception": {"prior": 0.25, "p_outcome": 0.9},
}


def priors(hypotheses=THREE, **over) -> dict:
    return {"question": "Will it?", "outcome": "invasion", "hypotheses": hypotheses, **over}


def scenario(items, **over) -> forecast.Scenario:
    return forecast.Scenario.from_dict({"priors": priors(**over), "evidence": items})


def day(k: int) -> str:
    return f"2022-01-{k + 1:02d}"


@pytest.fixture(scope="module")
def bundled():
    return forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")


# ----------------------------------------------------------------------------- brute force
def brute_force(prior, p, lik, r, groups, rho):
    """Shapley values of (P(outcome), P(h)...) by looping over every order of arrival.

    Exact likelihoods ``lik`` (N, H); each subset's weights by hand from MODEL.md: strength
    ``max log Lr - min log Lr``, rank within the group's items present (ties: earlier item),
    weight ``n_eff(j) - n_eff(j - 1)``; the posterior by a plain odds update.
    """
    n = lik.shape[0]
    lr = r[:, None] * lik / lik.max(axis=1, keepdims=True) + (1 - r[:, None])
    strength = np.log(lr).max(axis=1) - np.log(lr).min(axis=1)

    def n_eff(g, k):
        return k / (1 + rho[g] * (k - 1))

    def value(subset):
        post = np.array(prior, dtype=float)
        for i in subset:
            g = groups[i]
            if g is None:
                w = 1.0
            else:
                ranked = sorted(
                    (j for j in subset if groups[j] == g), key=lambda j: (-strength[j], j)
                )
                k = ranked.index(i) + 1
                w = n_eff(g, k) - n_eff(g, k - 1)
            post = post * lr[i] ** w
        post = post / post.sum()
        return np.concatenate([[post @ p], post])

    phi = np.zeros((n, 1 + len(prior)))
    for order in itertools.permutations(range(n)):
        seen: list[int] = []
        before = value(seen)
        for i in order:
            seen.append(i)
            after = value(seen)
            phi[i] += after - before
            before = after
    return phi / math.factorial(n)


GROUPED = [
    # a group of four (two of them equally strong: a tie broken by update order), two free
    item_dict("a", {"deception": 3.0}, date=day(0), group="imagery"),
    item_dict("b", {"coercive_bluff": 2.0}, date=day(1)),
    item_dict("c", {"de_escalation": 3.0}, date=day(2), group="imagery"),
    item_dict(
        "d", {"deception": 4.0, "de_escalation": 0.5}, date=day(3), group="imagery", reliability=0.8
    ),  # fmt: skip
    item_dict("e", {"de_escalation": 0.4, "coercive_bluff": 1.5}, date=day(4), reliability=0.6),
    item_dict("f", {"coercive_bluff": 1.3}, date=day(5), group="imagery"),
]


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_exact_matches_brute_force_on_a_grouped_scenario(rho):
    s = scenario(GROUPED, groups={"imagery": {"correlation": rho}})
    names = s.hypotheses
    lik = np.ones((6, 3))
    for i, item in enumerate(s.evidence):
        for h, v in item.likelihoods.items():
            lik[i, names.index(h)] = v
    r = np.array([e.r for e in s.evidence])
    want = brute_force(
        s.prior,
        np.array([THREE[h]["p_outcome"] for h in names]),
        lik,
        r,
        [e.group for e in s.evidence],
        {"imagery": rho},
    )
    att = shapley(encode(s))
    assert att.exact and att.n_permutations == 0
    np.testing.assert_allclose(att.values, want, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(att.mcse, 0.0)


def test_leave_one_out_on_random_subsets():
    # a subset's value from the attribution's tables (group weights recomputed on the subset)
    # equals probabilities() of the scenario holding that subset only
    s = scenario(GROUPED, groups={"imagery": {"correlation": 0.5}})
    rng = np.random.default_rng(3)
    for mask in rng.random((12, len(s.ids))) < 0.6:
        if mask.all():
            continue
        k = int(np.flatnonzero(~mask)[0])
        sub = s.without(*[i for i, m in zip(s.ids, mask, strict=True) if not m])
        plus = s.without(*[i for j, i in enumerate(s.ids) if not mask[j] and j != k])
        p_h, p_y = probabilities(encode(sub))
        att = shapley(encode(plus))
        pos = plus.ids.index(s.ids[k])
        assert att.leave_one_out[pos, 0] == pytest.approx(p_y[-1], abs=1e-12)
        np.testing.assert_allclose(att.leave_one_out[pos, 1:], p_h[-1], atol=1e-12)


def test_sums_to_final_minus_prior_exact_inputs(bundled):
    s = scenario(GROUPED, groups={"imagery": {"correlation": 0.5}})
    for sc in (s, bundled):
        a = encode(sc)
        att = shapley(a)
        p_h, p_y = probabilities(a)
        assert att.total[0] == pytest.approx(p_y[-1], abs=1e-12)
        assert att.base[0] == pytest.approx(p_y[0], abs=1e-12)
        np.testing.assert_allclose(att.total[1:], p_h[-1], atol=1e-12)
        np.testing.assert_allclose(att.values.sum(axis=0), att.total - att.base, atol=1e-12)
        assert abs(att.values[:, 0].sum() - (p_y[-1] - p_y[0])) < 1e-9


def test_uncertain_items_agree_with_the_quadrature_route_on_every_subset(uncertain_scenario):
    # the value of each subset S by an independent route: probabilities() of the scenario
    # holding only S (group weights recomputed by the model on S); Shapley by its formula
    s = uncertain_scenario
    n = len(s.ids)
    v = {}
    for k in range(n + 1):
        for subset in itertools.combinations(range(n), k):
            out = [i for j, i in enumerate(s.ids) if j not in subset]
            p_h, p_y = probabilities(encode(s.without(*out)))
            v[subset] = np.concatenate([[p_y[-1]], p_h[-1]])
    want = np.zeros((n, 1 + len(s.hypotheses)))
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for k in range(n):
            for subset in itertools.combinations(others, k):
                coef = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                want[i] += coef * (v[tuple(sorted((*subset, i)))] - v[subset])
    att = shapley(encode(s))
    np.testing.assert_allclose(att.values, want, rtol=0, atol=1e-10)


def test_leave_one_out_and_step_move(bundled):
    a = encode(bundled)
    att = shapley(a)
    p_h, p_y = probabilities(a)
    np.testing.assert_allclose(att.step_move[:, 0], np.diff(p_y), atol=1e-12)
    np.testing.assert_allclose(att.step_move[:, 1:], np.diff(p_h, axis=0), atol=1e-12)
    for k, item in enumerate(bundled.ids):
        p_h, p_y = probabilities(encode(bundled.without(item)))
        assert att.leave_one_out[k, 0] == pytest.approx(p_y[-1], abs=1e-12)
        np.testing.assert_allclose(att.leave_one_out[k, 1:], p_h[-1], atol=1e-12)


def test_one_leave_one_out_for_the_impact_table_and_the_attribution():
    """Both routes (impacts.leave_one_out on the result's terms, shapley on its tables) share
    impacts.without_each; checked against the model on each subset: group weights recomputed
    by subset_weights, a likelihood of 0 in a group and one in no group."""
    from forecast.impacts import leave_one_out
    from forecast.model import subset_weights
    from forecast.quadrature import log_expected_tilt

    items = [
        item_dict("a", {"coercive_bluff": 0.001}, date=day(0)),
        item_dict("b", {"de_escalation": 0.001, "deception": [1, 3]}, date=day(1), group="g"),
        item_dict("c", {"deception": 2}, date=day(2), group="g"),
        item_dict("d", {"deception": 1.7, "de_escalation": 0.8}, date=day(3), group="g"),
        item_dict("e", {"coercive_bluff": 1.4}, date=day(4), reliability=0.8),
    ]
    a = encode(scenario(items, groups={"g": {"correlation": 0.6}}))
    mu = a.mu.copy()
    mu[0, 1] = mu[1, 0] = -np.inf  # likelihood 0: rules the hypothesis out
    a = dataclasses.replace(a, mu=mu)
    ep = expected_p_outcome(a)
    want = []
    for k in range(a.n_items):
        keep = np.arange(a.n_items) != k
        w = subset_weights(a, keep)[keep]
        log_post = np.log(a.prior) + log_expected_tilt(a.mu[keep], a.sd[keep], a.r[keep], w).sum(0)
        p_h = np.exp(log_post - log_post.max())
        want.append(p_h / p_h.sum() @ ep)
    p_final, without = leave_one_out(a)
    np.testing.assert_allclose(without, want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(shapley(a).leave_one_out[:, 0], want, rtol=0, atol=1e-12)
    assert p_final == pytest.approx(float(probabilities(a)[1][-1]), abs=1e-12)


def random_scenario(n: int, seed: int) -> forecast.Scenario:
    """``n`` exact items, three hypotheses, two groups, some reliabilities below 1."""
    rng = np.random.default_rng(seed)
    names = list(THREE)
    items = []
    for i in range(n):
        named = rng.choice(3, size=int(rng.integers(1, 3)), replace=False)
        lik = {names[j]: round(float(np.exp(rng.normal(0, 0.8))), 3) for j in named}
        extra = {"group": ["g1", "g2", None][i % 3]} if i % 3 < 2 else {}
        if rng.random() < 0.4:
            extra["reliability"] = float(rng.choice([0.95, 0.8, 0.6]))
        items.append(item_dict(f"e{i:02d}", lik, date=day(i), **extra))
    groups = {"g1": {"correlation": 0.5}, "g2": {"correlation": 0.7}}
    return scenario(items, groups=groups)


def test_permutation_estimate_within_mcse_of_exact():
    a = encode(random_scenario(14, seed=5))
    exact = shapley(a)  # 14 items: every subset
    assert exact.exact
    zs = []
    for seed in (11, 12, 13, 14):
        att = shapley(a, max_exact=0, seed=seed, mcse_target=0.001)
        assert not att.exact and att.method == "permutation"
        assert att.n_permutations % 2 == 0 and att.n_permutations >= 64
        assert att.mcse[:, 0].max() <= 0.001 and att.mcse.min() > 0
        zs.append((att.values - exact.values) / att.mcse)
        assert np.abs(zs[-1]).max() < 4.0
    # the MCSE is an honest error bar: the standardised errors spread about 1 (pooled over
    # four seeds; an MCSE twice too large gives about 0.46, half too small about 1.8)
    assert 0.65 < np.sqrt(np.mean(np.square(zs))) < 1.4
    # every sampled order telescopes: the estimate adds up as exactly as the exact values
    np.testing.assert_allclose(att.values.sum(axis=0), exact.total - exact.base, atol=1e-12)
    np.testing.assert_allclose(att.total, exact.total, atol=1e-15)
    np.testing.assert_allclose(att.leave_one_out, exact.leave_one_out, atol=1e-15)
    # seeded: the same seed gives the same numbers
    again = shapley(a, max_exact=0, seed=14, mcse_target=0.001)
    np.testing.assert_array_equal(again.values, att.values)


def test_antithetic_mcse_and_the_permutation_cap():
    a = encode(random_scenario(20, seed=2))
    att = shapley(a, seed=0, mcse_target=1e-9, max_permutations=256)
    assert att.n_permutations == 256  # the cap wins over an unreachable target
    assert np.all(att.mcse > 0) and np.all(np.isfinite(att.mcse))
    np.testing.assert_allclose(att.values.sum(axis=0), att.total - att.base, atol=1e-12)


def test_zero_likelihood_gives_no_nan():
    items = [item_dict(f"d{i}", {"deception": 1.5}, date=day(i + 3)) for i in range(14)]
    items = [
        item_dict("a", {"coercive_bluff": 0.001}, date=day(0)),
        item_dict("b", {"de_escalation": 0.001, "deception": [1, 3]}, date=day(1), group="g"),
        item_dict("c", {"deception": 2}, date=day(2), group="g"),
        *items,
    ]
    a = encode(scenario(items))
    mu = a.mu.copy()
    mu[0, 1] = mu[1, 0] = -np.inf  # likelihood 0: rules the hypothesis out
    a = dataclasses.replace(a, mu=mu)
    p_h, p_y = probabilities(a)
    for max_exact in (17, 0):
        att = shapley(a, max_exact=max_exact)
        for x in (att.values, att.mcse, att.leave_one_out, att.step_move, att.total, att.base):
            assert np.all(np.isfinite(x))
        assert att.total[0] == pytest.approx(p_y[-1], abs=1e-12)
        np.testing.assert_allclose(att.step_move[:, 0], np.diff(p_y), atol=1e-12)
        np.testing.assert_allclose(att.values.sum(axis=0), att.total - att.base, atol=1e-11)
    # without item a, coercive_bluff is possible again
    assert att.leave_one_out[0, 2] > 0 and att.total[2] == 0


def test_a_scalar_value_such_as_the_log_score(bundled):
    a = encode(bundled)
    ep = expected_p_outcome(a)
    att = shapley(a, value=lambda p_h: np.log(p_h @ ep))
    assert att.values.shape == (a.n_items,) and att.base.shape == ()
    p_y = probabilities(a)[1]
    assert att.values.sum() == pytest.approx(np.log(p_y[-1]) - np.log(p_y[0]), abs=1e-12)


# ----------------------------------------------------------------------------- in words
LAST_DIFFERS = [
    item_dict("a", {"de_escalation": 0.1}, date=day(0)),
    item_dict("b", {"de_escalation": 0.1}, date=day(1)),
    item_dict("z", {"coercive_bluff": 3.0, "deception": 2.7}, date=day(2)),
]


def test_explanation_when_signs_differ():
    s = scenario(LAST_DIFFERS)
    a = encode(s)
    att = shapley(a)
    # at its step (de_escalation already ruled nearly out) z moves probability from deception
    # to coercive_bluff: P(invasion) falls; over every order, mostly from de_escalation: rises
    assert att.step_move[2, 0] < 0 < att.values[2, 0]
    text = explain_move(att, a, 2, s.hypotheses, s.outcome)
    assert text.startswith("it separates deception from de_escalation (2.7 times as likely")
    assert "raises P(invasion)" in text
    assert "from deception to coercive_bluff, which lowered it" in text
    # agreeing signs: nothing to explain
    assert att.step_move[0, 0] * att.values[0, 0] > 0
    assert explain_move(att, a, 0, s.hypotheses, s.outcome) == ""


def test_bundled_duma_vote_step_and_shapley_differ(bundled):
    a = encode(bundled)
    att = shapley(a)
    k = bundled.ids.index("duma-recognition-vote")
    assert att.step_move[k, 0] > 0 > att.values[k, 0]
    assert att.leave_one_out[k, 0] > att.total[0]  # higher without it
    text = explain_move(att, a, k, bundled.hypotheses, bundled.outcome)
    assert text.startswith("it separates coercive_bluff from deception")
    assert "de_escalation" in text


# ----------------------------------------------------------------------------- run, CLI, report
def test_run_computes_attribution_only_when_asked(bundled, monkeypatch):
    import forecast.attribution as attribution

    def boom(*args, **kwargs):
        raise AssertionError("attribution computed without being asked")

    monkeypatch.setattr(attribution, "shapley", boom)
    result = forecast.run(bundled, draws=200, seed=1)
    assert "attribution" not in result.children


@pytest.mark.slow
def test_cli_writes_attribution_csv_node_and_sentence(tmp_path, monkeypatch, capsys):
    p, e = write_scenario(tmp_path, priors(), LAST_DIFFERS)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--priors", str(p), "--evidence", str(e), "--draws", "200"]) == 0
    out = capsys.readouterr().out
    assert "The last item added, z, moved P(invasion) by -" in out
    assert "They differ in sign because it separates deception from de_escalation" in out
    with open(tmp_path / "out" / "attribution.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == ["a", "b", "z"]
    table = np.array([[float(x) for x in r[1:]] for r in rows[1:]])
    with xr.open_datatree(tmp_path / "out" / "posterior.nc", engine="netcdf4") as tree:
        node = tree["attribution"].to_dataset().load()
        p_y = tree["trajectory"]["p_outcome"].values
    assert node.attrs["method"] == "exact" and int(node.attrs["n_permutations"]) == 0
    assert int(node.attrs["seed"]) == 0
    assert node["shapley_hypothesis"].dims == ("evidence", "hypothesis")
    assert node["shapley_hypothesis_mcse"].dims == ("evidence", "hypothesis")
    for name in CSV_COLUMNS[1:]:
        assert node[name].dims == ("evidence",)
        np.testing.assert_allclose(node[name].values, table[:, CSV_COLUMNS.index(name) - 1],
                                   atol=1e-8)  # fmt: skip
    assert abs(node["shapley"].values.sum() - (p_y[-1] - p_y[0])) < 1e-9
    np.testing.assert_allclose(node["shapley_hypothesis"].values.sum(axis=1), 0, atol=1e-12)
    # the report says the same
    assert main(["report"]) == 0
    html = (tmp_path / "out" / "report.html").read_text()
    assert "They differ in sign because it separates deception from de_escalation" in html
    assert "Shapley value (points)" in html


def test_report_table_is_bounded(tmp_path):
    items = [item_dict(f"e{i:02d}", {"deception": 1.0 + 0.01 * i}, date=day(i)) for i in range(20)]
    result = forecast.run(scenario(items), draws=200, attribution=True)
    html = forecast.report_html(result)
    section = html.split("<h2>What moved it</h2>")[1].split("<h2>")[0]
    assert section.count('<td class="id">') == 15
    assert "5 other items" in section


def test_null_and_symmetric_items():
    # an item that says nothing gets 0 (also in a group: as the weakest it shifts no rank);
    # two identical items in no group get the same value
    items = [
        item_dict("a", {"deception": 2.0}, date=day(0), group="g"),
        item_dict("b", {"deception": 1.0}, date=day(1), group="g"),
        item_dict("c", {"coercive_bluff": 3.0}, date=day(2)),
        item_dict("d", {"coercive_bluff": 3.0}, date=day(3)),
        item_dict("e", {"de_escalation": 2.0}, date=day(4), group="g"),
    ]
    for max_exact in (14, 0):
        att = shapley(encode(scenario(items)), max_exact=max_exact, seed=4)
        np.testing.assert_allclose(att.values[1], 0.0, atol=1e-15)
        np.testing.assert_allclose(att.leave_one_out[1], att.total, atol=1e-15)
        if max_exact:
            np.testing.assert_allclose(att.values[2], att.values[3], atol=1e-15)
        else:  # sampled: within the error bars
            assert np.all(np.abs(att.values[2] - att.values[3]) < 4 * np.hypot(*att.mcse[2:4]))
