"""Sensitivity: the final probability with each interval input at its low or high end."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr

from .model import (
    Arrays,
    encode,
    log_effective,
    logit,
    subset_weights,
)
from .result_schema import (
    TRAJECTORY,
    check_result,
    dataset,
    scenario_of,
)
from .scenario import Scenario
from .steps import log_prior, p_hypothesis, split_log


# ----------------------------------------------------------------------------- sensitivity
def sensitivity_table(result: xr.DataTree) -> pd.DataFrame:
    """Return the final probability with each uncertain input at either end of its interval.

    One input at its low and at its high end at a time, every other input at its centre.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.

    Returns
    -------
    pandas.DataFrame
        One row per uncertain input, sorted by ``swing`` (largest first). Columns:
        ``input`` (a label), ``kind`` (``"likelihood"`` or ``"p_outcome"``), ``evidence``
        (the item's id, empty for ``p_outcome``), ``hypothesis``, ``lo``, ``hi``,
        ``centre``, ``p_low``, ``p_high`` (the final probability with the input at ``lo``
        and at ``hi``, fractions) and ``swing`` (``|p_high - p_low|`` in percentage
        points). ``attrs["p_centre"]`` is the final probability with every input at its
        centre, ``attrs["p_final"]`` the forecast itself (intervals integrated).

    Notes
    -----
    Each interval is replaced by a number: its centre (likelihoods: the geometric mean
    ``exp((log lo + log hi) / 2)``; probabilities: the logit midpoint), or ``lo``, or
    ``hi``, and the exact probability of that scenario is computed, as
    :func:`forecast.probabilities` would, but on the encoded arrays and in log space (one
    item's term replaced; a grouped item's whole group re-ranked by strength), so that
    10,000 inputs take a fraction of a second and ``[1e200, 1e250]`` overflows nothing.

    The prior strength ``kappa`` is not an input here: the probability uses ``E[pi] = pi``
    whatever ``kappa`` is (docs/model.md, "The probability"), so ``kappa / 4`` and ``kappa * 4``
    give the same number; ``kappa`` only widens or narrows the judgement band.

    Examples
    --------
    >>> sensitivity_table(result).head(3)  # doctest: +SKIP
    """
    check_result(result)
    scenario = scenario_of(result)
    return sensitivity_table_for(result, scenario, encode(scenario))


def sensitivity_table_for(result: xr.DataTree, scenario: Scenario, a: Arrays) -> pd.DataFrame:
    """:func:`sensitivity_table` on a decoded ``scenario`` and its encoded arrays ``a``.

    With a deadline every probability is given "no event by the as-of day" (the result's
    ``as_of``), as the headline is (:func:`forecast.time_result.given_no_event`, with each
    ``P(outcome | h)`` pinned before its survival is taken); items retracted by then (weight 0
    in the result) count in none of them and have no rows.
    """
    names = list(scenario.hypotheses)
    n = a.n_items
    included = _included(result, n)
    centre = replace(a, sd=np.zeros_like(a.sd), p_sd=np.zeros_like(a.p_sd))
    weights = subset_weights(centre, included)
    log_lr = log_effective(centre.mu, centre.r) if n else np.zeros((0, len(names)))
    finite, ruled_out = split_log(_weighted(weights, log_lr))
    given = _given_no_event(result, scenario)
    gc = given(centre)
    base_f = log_prior(gc) + finite.sum(axis=0)
    base_r = ruled_out.sum(axis=0) + np.isneginf(log_prior(gc))
    ep = gc.p_given_hypothesis(np.zeros(len(names)))  # P(outcome still | h), given none by A
    p_h = p_hypothesis(base_f, base_r)
    rows = _p_outcome_rows(scenario, centre, given, (p_h, base_f, base_r))
    item: list[int] = []
    hyp: list[int] = []
    lows: list[float] = []
    highs: list[float] = []
    for i, e in enumerate(scenario.evidence):
        if not included[i]:  # retracted by the as-of day: no part in the answer
            continue
        for name, value in e.likelihoods.items():
            if isinstance(value, list | tuple):
                item.append(i)
                hyp.append(names.index(name))
                lows.append(float(value[0]))
                highs.append(float(value[1]))
    item_a, hyp_a = np.array(item, dtype=int), np.array(hyp, dtype=int)
    ends: dict[str, np.ndarray] = {}
    for key, values in (("p_low", lows), ("p_high", highs)):
        mu = centre.mu[item_a].copy()
        mu[np.arange(item_a.size), hyp_a] = np.log(np.array(values, dtype=float))
        ends[key] = (
            _final_with_rows(centre, weights, log_lr, (base_f, base_r), item_a, mu, included) @ ep
        )
    for k, (i, j) in enumerate(zip(item, hyp, strict=True)):
        rows.append(
            {
                "input": f"{scenario.evidence[i].id}: L({names[j]})",
                "kind": "likelihood",
                "evidence": scenario.evidence[i].id,
                "hypothesis": names[j],
                "lo": lows[k],
                "hi": highs[k],
                "centre": float(np.exp(centre.mu[i, j])),
                "p_low": float(ends["p_low"][k]),
                "p_high": float(ends["p_high"][k]),
            }
        )
    columns = [
        "input",
        "kind",
        "evidence",
        "hypothesis",
        "lo",
        "hi",
        "centre",
        "p_low",
        "p_high",
        "swing",
    ]
    frame = pd.DataFrame(rows, columns=columns[:-1])
    frame["swing"] = 100 * (frame["p_high"] - frame["p_low"]).abs()
    frame = frame[columns].sort_values("swing", ascending=False, kind="stable")
    frame = frame.reset_index(drop=True)
    frame.attrs["p_centre"] = float(p_h @ ep)
    frame.attrs["p_final"] = float(dataset(result, TRAJECTORY)["p_outcome"].values[-1])
    frame.attrs["prior_strength"] = scenario.priors.prior_strength
    return frame


def _p_outcome_rows(scenario: Scenario, centre: Arrays, given, base) -> list[dict]:
    """The table's rows of the ``p_outcome`` intervals (``given``: see :func:`_given_no_event`).

    ``base`` is ``(p_h, base_f, base_r)``: the final ``P(h)`` and its split log terms, every
    input at its centre and given no event by A.
    """
    p_h, base_f, base_r = base
    gc = given(centre)
    p_at_centre = centre.p_given_hypothesis(np.zeros(centre.n_hypotheses))
    rows = []
    for j, name in enumerate(scenario.hypotheses):
        value = scenario.priors.hypotheses[name].p_outcome
        if not isinstance(value, list | tuple):
            continue
        lo, hi = map(float, value)
        at_ends = [_p_outcome_at(gc, given(_pinned(centre, j, end)), p_h, base_f, base_r)
                   for end in (lo, hi)]  # fmt: skip
        rows.append(
            {
                "input": f"P({scenario.outcome} | {name})",
                "kind": "p_outcome",
                "evidence": "",
                "hypothesis": name,
                "lo": lo,
                "hi": hi,
                "centre": float(p_at_centre[j]),
                "p_low": at_ends[0],
                "p_high": at_ends[1],
            }
        )
    return rows


def _included(result: xr.DataTree, n: int) -> np.ndarray:
    """The items counted in the result's final answer: weight > 0 (a retracted item weighs 0)."""
    from .result_schema import EVIDENCE, has_node

    if not n or not has_node(result, EVIDENCE):
        return np.ones(n, dtype=bool)
    return dataset(result, EVIDENCE)["weight"].values.astype(float).reshape(n) > 0


def _given_no_event(result: xr.DataTree, scenario: Scenario):
    """``arrays -> arrays`` given no event by the result's as-of day (identity without one)."""
    from .time_result import given_no_event

    as_of = str(result.attrs.get("as_of", ""))
    if not as_of or scenario.priors.deadline is None:
        return lambda arrays: arrays
    day = dt.date.fromisoformat(as_of)
    return lambda arrays: given_no_event(arrays, scenario.priors, day)


def _pinned(a: Arrays, j: int, p: float) -> Arrays:
    """``a`` with ``P(outcome | h_j)`` the point ``p``."""
    p_mean, p_point = a.p_mean.copy(), a.p_given_hypothesis(np.zeros(a.n_hypotheses))
    p_mean[j], p_point[j] = logit(p), p
    return replace(a, p_mean=p_mean, p_point=p_point)


def _p_outcome_at(
    gc: Arrays, changed: Arrays, p_h: np.ndarray, base_f: np.ndarray, base_r: np.ndarray
) -> float:
    """The final probability with the prior and ``P(outcome | h)`` of ``changed``.

    ``changed`` and ``gc`` are given no event by A alike; the items' terms are those already in
    ``base_f``/``base_r`` (whose prior is ``gc``'s).
    """
    old, new = log_prior(gc), log_prior(changed)
    if np.array_equal(old, new):  # no deadline: the prior does not depend on P(outcome | h)
        return float(p_h @ changed.p_given_hypothesis(np.zeros(gc.n_hypotheses)))
    old_f, old_r = split_log(old)
    new_f, new_r = split_log(new)
    post = p_hypothesis(base_f - old_f + new_f, base_r - old_r + new_r)
    return float(post @ changed.p_given_hypothesis(np.zeros(gc.n_hypotheses)))


def _weighted(w: np.ndarray, log_lr: np.ndarray) -> np.ndarray:
    """``w_i log Lr_i(h)``, 0 where ``w_i = 0`` (even where ``log Lr = -inf``)."""
    return np.where(w[:, None] > 0, w[:, None] * log_lr, 0.0)


def _final_with_rows(
    a: Arrays,
    weights: np.ndarray,
    log_lr: np.ndarray,
    base: tuple[np.ndarray, np.ndarray],
    items: np.ndarray,
    mu: np.ndarray,
    included: np.ndarray,
) -> np.ndarray:
    """Return P(h | every item) (K, H) with each row ``items[k]`` replaced by ``mu[k]``.

    Row ``items[k]``'s exact log-likelihoods are replaced by ``mu[k]``, one replacement at a
    time (``a`` exact: every sd 0).

    An item in no group changes its own term only; a grouped item's new strength can
    change its group's ranks, so the group's terms are recomputed (:func:`subset_weights`, on
    the ``included`` members).
    """
    base_f, base_r = base
    out = np.empty((items.size, a.n_hypotheses))
    free = a.group[items] < 0
    if free.any():
        rows = np.flatnonzero(free)
        old_f, old_r = split_log(log_lr[items[rows]])
        new_f, new_r = split_log(log_effective(mu[rows], a.r[items[rows]]))
        out[rows] = p_hypothesis(base_f - old_f + new_f, base_r - old_r + new_r)
    for k in np.flatnonzero(~free):
        i = int(items[k])
        members = np.flatnonzero(a.group == a.group[i])
        group_mu = a.mu[members].copy()
        group_mu[members == i] = mu[k]
        group = replace(
            a,
            mu=group_mu,
            sd=np.zeros_like(group_mu),
            r=a.r[members],
            group=np.zeros(members.size, dtype=int),
            rho=a.rho[[a.group[i]]],
        )
        w = subset_weights(group, included[members])
        old_f, old_r = split_log(_weighted(weights[members], log_lr[members]))
        new_f, new_r = split_log(_weighted(w, log_effective(group_mu, group.r)))
        out[k] = p_hypothesis(
            base_f - old_f.sum(axis=0) + new_f.sum(axis=0),
            base_r - old_r.sum(axis=0) + new_r.sum(axis=0),
        )
    return out
