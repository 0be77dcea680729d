"""Time (docs/model.md, "Time"): deadlines, the days that pass, as-of, retraction.

Every number is checked against an independent computation of the contract written here:
closed forms for point inputs, scipy quadrature for ``p_h`` given as an interval, and a
brute-force weighted Monte Carlo for the bands.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings

import numpy as np
import pytest
from helpers import item_dict, priors_dict, write_scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import expit, logit

import forecast
from forecast.asof import resolve_as_of
from forecast.cli import main
from forecast.scenario import Scenario, ScenarioError
from forecast.time_numbers import time_numbers, weighted_summary
from forecast.time_result import by_date_frame, daily_frame

Z90 = 1.6448536269514722
OPENED = dt.date(2022, 1, 1)


def scenario(hyps: dict, items=(), **priors) -> Scenario:
    p = priors_dict(hypotheses=hyps, opened=OPENED.isoformat(), **priors)
    return Scenario.from_dict({"priors": p, "evidence": list(items)})


def day(n: int) -> str:
    return (OPENED + dt.timedelta(days=n)).isoformat()


def numbers(s: Scenario, as_of=None, band=False, draws=1000):
    return time_numbers(resolve_as_of(s, as_of), draws=draws, seed=0, band=band)


# ----------------------------------------------------------------------------- Sempere
def test_sempere_constant_hazard_example_exactly():
    """Two hypotheses with p_outcome 0.9, a 364-day window, as of day 182: 1 - 0.1 ** 0.5."""
    s = scenario(
        {"a": {"prior": 0.5, "p_outcome": 0.9}, "b": {"prior": 0.5, "p_outcome": 0.9}},
        deadline=day(364),
    )
    t = numbers(s, as_of=day(182))
    assert t.rows.kind == ("prior", "as_of")
    assert t.stats["p_outcome"][-1] == pytest.approx(1 - 0.1**0.5, abs=1e-12)
    assert t.stats["p_outcome"][-1] == pytest.approx(0.68377, abs=5e-6)
    assert t.stats["p_outcome"][0] == pytest.approx(0.9, abs=1e-12)


# ----------------------------------------------------------------------------- reference
def _lognormal(lo, hi):
    m = (math.log(lo) + math.log(hi)) / 2
    return m, (math.log(hi) - math.log(lo)) / (2 * Z90)


def _expect(fn, p):
    """E[fn(p)] for a point p or a logit-normal 90% interval, by scipy quad."""
    if not isinstance(p, list):
        return fn(p)
    m = (logit(p[0]) + logit(p[1])) / 2
    s = (logit(p[1]) - logit(p[0])) / (2 * Z90)
    dens = lambda x: math.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))  # noqa: E731
    return integrate.quad(lambda x: fn(expit(x)) * dens(x), m - 12 * s, m + 12 * s,
                          epsabs=1e-14, epsrel=1e-13, limit=200)[0]  # fmt: skip


def _shape(kind, by, n):
    """G(tau) of the contract, written out independently."""
    if kind == "uniform":
        return lambda tau: tau
    pts = [(0.0, 0.0)] + sorted(((d - OPENED).days / n, g) for d, g in by.items()) + [(1.0, 1.0)]

    def g(tau):
        for (t0, g0), (t1, g1) in zip(pts, pts[1:], strict=False):
            if t0 <= tau <= t1:
                return g0 if t1 == t0 else g0 + (g1 - g0) * (tau - t0) / (t1 - t0)
        return 1.0

    return g


def reference(hyps, timing, n, log_lik, d):
    """The contract at a row dated ``d`` (days after opened): P(h), P(Y).

    ``log_lik`` (H,) the items' summed log-likelihood terms (point inputs, weights applied).
    """
    tau = min(max(d / n, 0.0), 1.0)
    post, rest = [], []
    for k, (_name, h) in enumerate(hyps.items()):
        kind = "by" if "by" in h else timing
        if kind == "constant":
            f = lambda p, tau=tau: 1 - (1 - p) ** tau  # noqa: E731
        else:
            g = _shape(kind, {dt.date.fromisoformat(k2): v for k2, v in h.get("by", {}).items()}, n)
            f = lambda p, g=g, tau=tau: p * g(tau)  # noqa: E731
        es = _expect(lambda p, f=f: 1 - f(p), h["p_outcome"])
        epf = _expect(lambda p, f=f: p - f(p), h["p_outcome"])
        post.append(math.log(h["prior"]) + log_lik[k] + math.log(es))
        rest.append(epf / es)
    post = np.exp(np.array(post) - max(post))
    post /= post.sum()
    return post, float(post @ np.array(rest))


HYPS = {
    "calm": {"prior": 0.5, "p_outcome": [0.05, 0.3]},
    "storm": {"prior": 0.3, "p_outcome": 0.7},
    "ruse": {"prior": 0.2, "p_outcome": [0.6, 0.95],
             "by": {day(20): 0.4, day(60): 0.8}},
}  # fmt: skip
N_DAYS = 90
ITEMS = [
    item_dict("a1", {"storm": 3.0}, date=day(5), group="g"),
    item_dict("a2", {"storm": 2.0}, date=day(12), group="g",
              retracted={"date": day(30), "reason": "fabricated"}),
    item_dict("b1", {"ruse": 0.5, "calm": 2.0}, date=day(12)),
    item_dict("c1", {"ruse": 4.0}, date=day(40)),
]  # fmt: skip
RHO = 0.5


def time_scenario(timing="uniform", items=ITEMS):
    return scenario(HYPS, items, deadline=day(N_DAYS), timing=timing,
                    groups={"g": {"correlation": RHO}})  # fmt: skip


def items_log_lik(seen: list[str], names=("calm", "storm", "ruse")) -> np.ndarray:
    """Sum of w log L by hand: point likelihoods, reliability 1, group g by strength rank."""
    lik = {i["id"]: i["likelihoods"] for i in ITEMS}
    out = np.zeros(3)
    grouped = sorted(
        (x for x in seen if x in ("a1", "a2")), key=lambda x: -math.log(lik[x]["storm"])
    )  # strongest first: a1 (3) then a2 (2)
    w = dict.fromkeys(seen, 1.0)
    for rank, x in enumerate(grouped, start=1):
        w[x] = rank / (1 + RHO * (rank - 1)) - (rank - 1) / (1 + RHO * (rank - 2))
    for x in seen:
        row = np.array([lik[x].get(h, 1.0) for h in names])
        out += w[x] * np.log(row / row.max())
    return out


@pytest.mark.parametrize("timing", ["uniform", "constant"])
def test_rows_daily_and_by_date_equal_the_contract(timing):
    """Trajectory with survival, the retraction row, the as-of row, the by-date curve and the
    daily series: each against the reference to 1e-9."""
    s = time_scenario(timing)
    t = numbers(s, as_of=day(45))
    assert t.rows.kind == ("prior", "item", "item", "item", "retracted", "item", "as_of")
    assert t.rows.evidence_id[:6] == ("", "a1", "a2", "b1", "a2", "c1")
    seen_by_row = [[], ["a1"], ["a1", "a2"], ["a1", "a2", "b1"], ["a1", "b1"],
                   ["a1", "b1", "c1"], ["a1", "b1", "c1"]]  # fmt: skip
    days = [0, 5, 12, 12, 30, 40, 45]
    for r, (seen, d) in enumerate(zip(seen_by_row, days, strict=True)):
        post, p_y = reference(HYPS, timing, N_DAYS, items_log_lik(seen), d)
        np.testing.assert_allclose(t.stats["p_hypothesis"][r], post, atol=1e-9, rtol=0)
        assert t.stats["p_outcome"][r] == pytest.approx(p_y, abs=1e-9)
    # the daily series: each day's items (end of day), the retraction from its date on
    for d in (0, 4, 5, 11, 12, 29, 30, 39, 40, 45):
        seen = [x for x, when in (("a1", 5), ("a2", 12), ("b1", 12), ("c1", 40)) if when <= d]
        if d >= 30:
            seen.remove("a2")
        _, p_y = reference(HYPS, timing, N_DAYS, items_log_lik(seen), d)
        assert t.daily["p"][d] == pytest.approx(p_y, abs=1e-9), d
    assert t.daily["p"].size == 46
    # the by-date curve from A + 1 to the deadline
    post_a, _ = reference(HYPS, timing, N_DAYS, items_log_lik(["a1", "b1", "c1"]), 45)
    assert t.by_date["p"].size == N_DAYS - 45
    for dd in (46, 60, 75, 90):
        total = 0.0
        for k, h in enumerate(HYPS.values()):
            kind = "by" if "by" in h else timing
            if kind == "constant":
                f = lambda p, x: 1 - (1 - p) ** (x / N_DAYS)  # noqa: E731
            else:
                g = _shape(kind, {dt.date.fromisoformat(a): v for a, v in h.get("by", {}).items()},
                           N_DAYS)  # fmt: skip
                f = lambda p, x, g=g: p * g(x / N_DAYS)  # noqa: E731
            num = _expect(lambda p, f=f, dd=dd: f(p, dd) - f(p, 45), h["p_outcome"])
            den = _expect(lambda p, f=f: 1 - f(p, 45), h["p_outcome"])
            total += post_a[k] * num / den
        assert t.by_date["p"][dd - 46] == pytest.approx(total, abs=1e-9), dd
    assert t.by_date["p"][-1] == pytest.approx(t.stats["p_outcome"][-1], abs=1e-12)


def _brute_band(s: Scenario, seen: list[str], d: int, n=200_000):
    """The band by brute force: p_h from its prior, weight P(E, none by d | p) (point items)."""
    rng = np.random.default_rng(7)
    names = list(HYPS)
    log_pi = np.log([h["prior"] for h in HYPS.values()]) + items_log_lik(seen)
    f = np.empty((n, 3))
    p = np.empty((n, 3))
    for k, h in enumerate(HYPS.values()):
        v = h["p_outcome"]
        if isinstance(v, list):
            m, sd = (logit(v[0]) + logit(v[1])) / 2, (logit(v[1]) - logit(v[0])) / (2 * Z90)
            p[:, k] = expit(m + sd * rng.standard_normal(n))
        else:
            p[:, k] = v
        g = _shape("by" if "by" in h else "uniform",
                   {dt.date.fromisoformat(a): x for a, x in h.get("by", {}).items()}, N_DAYS)(
            d / N_DAYS)  # fmt: skip
        f[:, k] = p[:, k] * g
    del names
    post = np.exp(log_pi - log_pi.max())[None] * np.ones((n, 3))
    w = (post * (1 - f)).sum(axis=1)
    q = (post * (p - f)).sum(axis=1) / w
    return weighted_summary(q[None], w[None])


def test_band_of_a_row_with_survival_matches_brute_force():
    """The as-of row's band (intervals on p_h, uniform timing and a `by` shape) against an
    independent weighted Monte Carlo with 200,000 draws: within 5 combined MCSE. Late in the
    window (day 85 of 90), where the days without the event move the band most."""
    s = time_scenario("uniform")
    t = numbers(s, as_of=day(85), band=True, draws=20_000)
    ref = _brute_band(s, ["a1", "b1", "c1"], 85)
    for key, col in (("low", "p_outcome_low"), ("high", "p_outcome_high")):
        tol = 5 * math.hypot(t.stats[f"mcse_{key}"][-1], ref[f"mcse_{key}"][0])
        assert abs(t.stats[col][-1] - ref[key][0]) <= tol, (key, t.stats[col][-1], ref[key][0])
    assert abs(t.stats["draws_mean"][-1] - t.stats["p_outcome"][-1]) <= 4 * t.stats["mcse"][-1]


# ----------------------------------------------------------------------------- properties
def test_retraction_gives_the_numbers_without_the_item_from_its_date_on():
    """From the retraction on (rows and days) exactly the scenario without the item; before
    it, exactly the scenario where it was never retracted."""
    s = time_scenario()
    t = numbers(s, as_of=day(45))
    without = numbers(time_scenario(items=[i for i in ITEMS if i["id"] != "a2"]), as_of=day(45))
    never = [dict(i) for i in ITEMS]
    never[1].pop("retracted")
    kept = numbers(time_scenario(items=never), as_of=day(45))
    np.testing.assert_array_equal(t.daily["p"][30:], without.daily["p"][30:])
    np.testing.assert_array_equal(t.daily["p"][:30], kept.daily["p"][:30])
    np.testing.assert_array_equal(t.stats["p_outcome"][5:], without.stats["p_outcome"][3:])
    assert t.stats["p_outcome"][4] == without.daily["p"][30]  # the retraction row, day 30
    np.testing.assert_array_equal(t.stats["p_outcome"][:4], kept.stats["p_outcome"][:4])
    np.testing.assert_array_equal(t.by_date["p"], without.by_date["p"])


def test_as_of_before_an_item_equals_the_run_without_it():
    s = time_scenario()
    t = numbers(s, as_of=day(39))
    without = numbers(time_scenario(items=ITEMS[:3]), as_of=day(39))
    assert resolve_as_of(s, day(39)).left_out == ("c1",)
    np.testing.assert_array_equal(t.stats["p_outcome"], without.stats["p_outcome"])
    np.testing.assert_array_equal(t.daily["p"], without.daily["p"])
    np.testing.assert_array_equal(t.by_date["p"], without.by_date["p"])


@settings(max_examples=40, deadline=None)
@given(
    priors=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=4),
    ps=st.lists(st.floats(0.0, 0.99), min_size=4, max_size=4),
    n=st.integers(2, 400),
)
def test_no_new_items_point_p_constant_timing_never_rises(priors, ps, n):
    """With point p_h and constant timing, as the as-of day moves on with no new item, P never
    rises (daily series from opened to the deadline, no items)."""
    total = sum(priors)
    hyps = {f"h{k}": {"prior": x / total, "p_outcome": ps[k]} for k, x in enumerate(priors)}
    drift = sum(hyps[h]["prior"] for h in hyps) - 1  # the priors sum to 1 to rounding
    hyps["h0"]["prior"] -= drift
    s = scenario(hyps, deadline=day(n))
    t = numbers(s, as_of=day(n))
    assert np.all(np.diff(t.daily["p"]) <= 1e-12)


def test_weighted_summary_of_equal_weights_is_numpys_quantile():
    q = np.random.default_rng(1).random((3, 501))
    s = weighted_summary(q, np.ones_like(q))
    np.testing.assert_allclose(s["low"], np.quantile(q, 0.05, axis=1), atol=1e-15)
    np.testing.assert_allclose(s["high"], np.quantile(q, 0.95, axis=1), atol=1e-15)


# ----------------------------------------------------------------------------- the API, files
def test_run_writes_rows_by_date_and_daily(tmp_path):
    s = time_scenario()
    result = forecast.run(s, seed=0, draws=400, as_of=day(45))
    assert result.attrs["as_of"] == day(45)
    frame = forecast.trajectory_frame(result)
    assert list(frame.columns[:4]) == ["step", "date", "evidence_id", "row"]
    assert frame["row"].tolist() == ["prior", "item", "item", "item", "retracted", "item", "as_of"]
    assert frame["date"].iloc[0] == OPENED.isoformat()
    assert frame["evidence_id"].iloc[-1] == f"(as of {day(45)})"
    by = by_date_frame(result)
    assert by.columns.tolist() == ["date", "p_event_by", "p_event_by_low", "p_event_by_high"]
    assert by["date"].iloc[0] == day(46) and by["date"].iloc[-1] == day(N_DAYS)
    assert by["p_event_by"].iloc[-1] == pytest.approx(frame["p_event"].iloc[-1], abs=1e-12)
    daily = daily_frame(result)
    assert daily["date"].iloc[0] == OPENED.isoformat() and daily["date"].iloc[-1] == day(45)
    paths = forecast.results.save_result(result, tmp_path)
    assert {"by_date_table", "daily"} <= set(paths)
    back = forecast.load_result(paths["posterior"])
    assert forecast.trajectory_frame(back)["row"].tolist() == frame["row"].tolist()


def test_bundled_headline_equals_its_by_date_curve_on_the_deadline():
    result = forecast.run(forecast.load_scenario(), seed=0, draws=400)
    by = by_date_frame(result)
    assert by["date"].iloc[-1] == "2022-03-31"
    p = float(forecast.trajectory_frame(result)["p_invasion"].iloc[-1])
    assert by["p_invasion_by"].iloc[-1] == pytest.approx(p, abs=1e-12)


# ----------------------------------------------------------------------------- bad input
BAD = [
    ({"deadline": "2022-01-01"}, "deadline", "must be after opened"),
    ({"opened": None, "deadline": "2022-03-01"}, "deadline", "needs 'opened:'"),
    ({"deadline": "9999-12-31"}, "deadline", "at most 36,600"),
    ({"deadline": "2022-03-01", "hypotheses": {"calm": {"prior": 0.6, "p_outcome": 1},
      "storm": {"prior": 0.4, "p_outcome": 0.8}}}, "hypotheses.calm.p_outcome", "uniform"),
    ({"deadline": "2022-03-01", "hypotheses": {"calm": {"prior": 0.6, "p_outcome": 0.1,
      "by": {"2022-04-01": 0.5}}, "storm": {"prior": 0.4, "p_outcome": 0.8}}},
     "hypotheses.calm.by", "outside the window"),
    ({"deadline": "2022-03-01", "hypotheses": {"calm": {"prior": 0.6, "p_outcome": 0.1,
      "by": {"2022-01-10": 0.5, "2022-02-01": 0.4}}, "storm": {"prior": 0.4, "p_outcome": 0.8}}},
     "hypotheses.calm.by", "falls from 0.5"),
    ({"deadline": "2022-03-01", "hypotheses": {"calm": {"prior": 0.6, "p_outcome": 0.1,
      "by": {"2022-01-10": 1.5}}, "storm": {"prior": 0.4, "p_outcome": 0.8}}},
     "hypotheses.calm.by", "fractions in \\[0, 1\\]"),
]  # fmt: skip


@pytest.mark.parametrize(("over", "field", "message"), BAD)
def test_bad_time_fields_are_refused_with_file_and_field(tmp_path, capsys, over, field, message):
    p = priors_dict(**{"opened": "2022-01-01", **over})
    if p.get("opened") is None:
        p.pop("opened")
    priors, evidence = write_scenario(tmp_path, p, [item_dict("x", {"storm": 2})])
    with pytest.raises(ScenarioError, match=message) as err:
        forecast.load_scenario(priors, evidence)
    assert any(pr.field == field and "priors.yaml" in pr.file for pr in err.value.problems), [
        (pr.file, pr.field) for pr in err.value.problems
    ]
    code = main(["run", "--priors", str(priors), "--evidence", str(evidence),
                 "--out", str(tmp_path / "out"), "--no-charts"])  # fmt: skip
    assert code == 2
    assert not (tmp_path / "out").exists()
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"event_date": "2022-02-16"}, "event_date", "after date"),
        ({"retracted": {"date": "2022-02-14", "reason": "false"}}, "retracted.date", "before"),
    ],
)
def test_bad_item_dates_are_refused(tmp_path, over, field, message):
    priors, evidence = write_scenario(
        tmp_path, priors_dict(), [item_dict("x", {"storm": 2}, date="2022-02-15", **over)]
    )
    with pytest.raises(ScenarioError, match=message) as err:
        forecast.load_scenario(priors, evidence)
    assert [pr.field for pr in err.value.problems] == [field]


def test_csv_retraction_columns(tmp_path):
    priors, evidence = write_scenario(tmp_path, priors_dict(opened="2022-02-01"), [])
    (evidence / "t.csv").write_text(
        "id,date,title,source,likelihood.storm,event_date,retracted_date,retracted_reason\n"
        "x,2022-02-15,t,s,2,2022-02-14,2022-02-20,forged\n"
    )
    s = forecast.load_scenario(priors, evidence)
    item = s.evidence[0]
    assert item.event_date == dt.date(2022, 2, 14)
    assert item.retracted.date == dt.date(2022, 2, 20) and item.retracted.reason == "forged"


@pytest.mark.parametrize(
    ("as_of", "message"),
    [("2021-12-01", "before the question opened"), ("2022-05-01", "after the deadline"),
     ("yesterday", "expected a date")],
)  # fmt: skip
def test_bad_as_of_is_refused(tmp_path, capsys, as_of, message):
    priors, evidence = write_scenario(
        tmp_path, priors_dict(opened="2022-01-01", deadline="2022-03-01"),
        [item_dict("x", {"storm": 2})],
    )  # fmt: skip
    code = main(["run", "--priors", str(priors), "--evidence", str(evidence), "--as-of", as_of,
                 "--out", str(tmp_path / "out"), "--no-charts"])  # fmt: skip
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_score_uses_the_standing_forecast_of_each_day():
    """`forecast score` with a deadline: the final probability is the standing forecast of the
    day before the resolution and the time average runs over every day's standing forecast,
    each against the reference (survival, retraction)."""
    from forecast.scoring import score_scenario

    s = scenario(HYPS, ITEMS, deadline=day(N_DAYS), timing="uniform",
                 groups={"g": {"correlation": RHO}},
                 resolution={"outcome": True, "date": day(50)})  # fmt: skip
    row = score_scenario(s).row
    ref = []
    for d in range(50):
        seen = [x for x, when in (("a1", 5), ("a2", 12), ("b1", 12), ("c1", 40)) if when <= d]
        if d >= 30:
            seen.remove("a2")
        ref.append(reference(HYPS, "uniform", N_DAYS, items_log_lik(seen), d)[1])
    assert row["days"] == 50
    assert row["final_p"] == pytest.approx(ref[-1], abs=1e-9)
    assert row["time_avg_brier"] == pytest.approx(np.mean((np.array(ref) - 1) ** 2), abs=1e-9)


def test_an_indicator_dated_before_the_as_of_day_is_lapsed_and_listed_first():
    """`by` before A and nothing recorded: status lapsed (watch.csv), named first on the
    terminal with the probability it would give if recorded as not seen."""
    from forecast.console import format_watch
    from forecast.indicators import watch

    s = time_scenario()
    inds = [
        {"id": "late", "title": "t", "by": day(20), "p_seen": {"calm": 0.2, "storm": 0.6, "ruse": 0.5}},
        {"id": "soon", "title": "t", "by": day(60), "p_seen": {"calm": 0.3, "storm": 0.5, "ruse": 0.9}},
    ]  # fmt: skip
    table = watch(forecast.run(s, seed=0, draws=400, as_of=day(45)), inds)
    status = dict(zip(table["indicator_id"], table["status"], strict=True))
    assert status == {"late": "lapsed", "soon": "open"}
    text = format_watch(table, top=5)
    lapsed_line = next(n for n, line in enumerate(text.splitlines()) if "1 lapsed" in line)
    first_row = next(n for n, line in enumerate(text.splitlines()) if "P(seen)" in line)
    assert lapsed_line < first_row and f"as-of day {day(45)}" in text
    not_seen = table.set_index("indicator_id").loc["late", "p_event_if_not_seen"]
    assert f"late  by {day(20)}: P(event) {not_seen:.1%}" in text
    early = watch(forecast.run(s, seed=0, draws=400, as_of=day(15)), inds)
    assert set(early["status"]) == {"open"}


def test_scores_count_lapsed_indicators_and_what_not_seen_would_give(tmp_path):
    """scores.csv: an indicator dated before the resolution with nothing recorded is lapsed;
    recorded as not seen on its date (likelihoods 1 - p_seen) the final probability would be
    the reference's with that term."""
    import yaml

    from forecast.scoring import score

    p = priors_dict(hypotheses=HYPS, opened=OPENED.isoformat(), deadline=day(N_DAYS),
                    timing="uniform", groups={"g": {"correlation": RHO}},
                    resolution={"outcome": True, "date": day(50)})  # fmt: skip
    write_scenario(tmp_path / "q", p, ITEMS)
    (tmp_path / "q" / "indicators").mkdir()
    seen = {"calm": 0.2, "storm": 0.6, "ruse": 0.5}
    for name, by in (("late", day(20)), ("after", day(70))):
        ind = {"id": name, "title": "t", "by": by, "p_seen": seen}
        (tmp_path / "q" / "indicators" / f"{name}.yaml").write_text(yaml.safe_dump(ind))
    row = score(tmp_path / "q").iloc[0]
    assert row["lapsed_indicators"] == 1
    not_seen = np.log([0.8, 0.4, 0.5]) - np.log(0.8)
    _, ref = reference(HYPS, "uniform", N_DAYS, items_log_lik(["a1", "b1", "c1"]) + not_seen, 49)
    assert row["final_p_if_lapsed_not_seen"] == pytest.approx(ref, abs=1e-9)


def test_the_cli_says_how_many_days_have_passed_since_the_as_of_day():
    from forecast.time_result import as_of_notes

    result = forecast.run(time_scenario(), seed=0, draws=200, as_of=day(39))
    notes = as_of_notes(result, today=OPENED + dt.timedelta(days=50))
    assert "1 item(s) dated after the as-of day left out: c1" in notes
    assert any(n.startswith(f"11 day(s) without the outcome have passed since the as-of day "
                            f"{day(39)}") and "--as-of today" in n for n in notes)  # fmt: skip
    late = as_of_notes(result, today=OPENED + dt.timedelta(days=N_DAYS + 5))
    assert any(f"the deadline {day(N_DAYS)} has passed" in n for n in late)
    assert len(as_of_notes(result, today=OPENED + dt.timedelta(days=39))) == 1


def test_a_daily_series_of_millennia_is_refused_up_front(tmp_path, capsys):
    """No deadline, opened 0001-01-01 and an item in 9999: refused naming opened, exit 2."""
    priors, evidence = write_scenario(
        tmp_path, priors_dict(opened="0001-01-01"), [item_dict("x", {"storm": 2}, date="9999-12-31")]
    )  # fmt: skip
    code = main(["run", "--priors", str(priors), "--evidence", str(evidence),
                 "--out", str(tmp_path / "out"), "--no-charts"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "days after opened (0001-01-01" in err and "at most 36,600" in err
    assert not (tmp_path / "out").exists()


def test_a_result_with_retraction_and_as_of_rows_saves_loads_and_tabulates(tmp_path):
    """The extra rows leave the per-item tables (impact, attribution) one row per item: the
    retracted item with no share; the saved file loads back as a forecast result."""
    result = forecast.run(time_scenario(), seed=0, draws=200, attribution=True, as_of=day(45))
    paths = forecast.save_result(result, tmp_path)
    back = forecast.load_result(paths["posterior"])
    table = forecast.impact_table(back)
    assert list(table.index) == ["a1", "a2", "b1", "c1"]
    p = forecast.trajectory_frame(back)["p_event"].to_numpy()
    np.testing.assert_allclose(table["p_after"], p[[1, 2, 3, 5]], atol=1e-15)
    assert table.loc["a2", "shapley"] == 0.0


def test_as_of_today_and_the_default_day():
    s = time_scenario()
    assert resolve_as_of(
        s, "today", today=OPENED + dt.timedelta(days=45)
    ).day == dt.date.fromisoformat(day(45))
    assert resolve_as_of(s).day == dt.date.fromisoformat(day(40))  # the latest item
    assert resolve_as_of(s).left_out == () and not resolve_as_of(s).given
    resolved = scenario(HYPS, ITEMS, deadline=day(N_DAYS), groups={"g": {"correlation": RHO}},
                        resolution={"outcome": True, "date": day(40)})  # fmt: skip
    assert resolve_as_of(resolved).day == dt.date.fromisoformat(day(12))  # before the resolution
    assert resolve_as_of(resolved).left_out == ("c1",)


def test_attribution_and_leave_one_out_are_given_no_event_by_the_as_of_day():
    """With a deadline, every subset of the items is read with "no event by A" (the days passed
    are in each), so leave-one-out equals the contract without the item, the Shapley values add
    up to the final probability minus P(Y | no item, none by A), and the impact table agrees."""
    items = [i for i in ITEMS if i["id"] != "a2"]
    s = time_scenario(items=items)
    result = forecast.run(s, as_of=day(50), attribution=True, draws=400)
    seen = ["a1", "b1", "c1"]
    _, final = reference(HYPS, "uniform", N_DAYS, items_log_lik(seen), 50)
    _, base = reference(HYPS, "uniform", N_DAYS, np.zeros(3), 50)
    node = result["attribution"]
    assert float(node.attrs["p_final"]) == pytest.approx(final, abs=1e-9)
    assert float(node.attrs["p_prior"]) == pytest.approx(base, abs=1e-9)
    shares = forecast.impact_table(result)
    assert shares["shapley"].sum() == pytest.approx(final - base, abs=1e-9)
    assert shares.attrs["p_prior"] == pytest.approx(base, abs=1e-9)
    assert shares.attrs["p_final"] == pytest.approx(final, abs=1e-9)
    for item in seen:
        rest = [x for x in seen if x != item]
        _, without = reference(HYPS, "uniform", N_DAYS, items_log_lik(rest), 50)
        assert shares.loc[item, "p_without"] == pytest.approx(without, abs=1e-9), item


@pytest.mark.parametrize("deadline", [None, 30], ids=["no-deadline", "deadline"])
def test_a_certain_or_impossible_outcome_runs_without_numpy_warnings(deadline):
    """``p_outcome`` of exactly 0 or 1 under constant timing: ``log(1 - p)`` is -inf and
    ``tau * log(1 - p)`` is 0 * -inf on the day the window opens (and every day without a
    deadline). The cdf is 0 there (nothing has happened yet), without a RuntimeWarning."""
    from forecast.timing import Timing

    t = Timing(0, deadline, np.array([True, True]), ((np.r_[0.0, 1], np.r_[0.0, 1]),) * 2,
               np.zeros(2), np.zeros(2))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = t.cdf(np.array([0, 15, 30]), np.array([1.0, 0.0]))
    want_certain = [0.0, 0.0, 0.0] if deadline is None else [0.0, 1.0, 1.0]
    np.testing.assert_array_equal(f[:, 0], want_certain)
    np.testing.assert_array_equal(f[:, 1], [0.0, 0.0, 0.0])
