"""Each evidence item's impact on the final probability: leave-one-out and Shapley values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from .constants import MAX_ROWS, TOP_ITEMS
from .model import (
    Arrays,
    encode,
    expected_p_outcome,
    log_expected_tilt,
    rank_weight,
    strength,
    subset_weights,
)
from .result_schema import (
    ATTRIBUTION,
    EVIDENCE,
    TRAJECTORY,
    check_result,
    dataset,
    has_node,
    scenario_of,
)

if TYPE_CHECKING:
    from .scenario import Scenario

from .steps import EPS, evidence_ids, log_prior, p_hypothesis, split_log


# ----------------------------------------------------------------------------- impact
def impact_table(result: xr.DataTree) -> pd.DataFrame:
    """How much each evidence item moved the outcome's probability.

    Also the final probability without each item.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.

    Returns
    -------
    pandas.DataFrame
        One row per item in update order, indexed by ``evidence`` (the id). Columns:
        ``step``, ``date``, ``p_before`` and ``p_after`` (the outcome's probability at the
        steps before and after the item, fractions, from ``/trajectory``), ``change_pp``
        (percentage points), ``change_log_odds`` (natural log-odds), ``reliability``,
        ``weight`` (final weight after dependence groups), ``group``, ``reduced_reliability``,
        ``reduced_weight``, ``p_without`` (the final probability with the item left out,
        equal to ``probabilities(encode(scenario.without(id)))``) and ``without_pp``
        (``p_without`` minus the final probability with every item, in percentage points).
        When the result holds an attribution (``result[ATTRIBUTION]``), also ``shapley``
        and ``shapley_mcse`` (fractions: the item's Shapley value for the final
        probability and its Monte Carlo standard error, 0 when exact). ``attrs`` holds
        ``p_final`` (the exact final probability with every item), ``p_prior``,
        ``attribution`` (the attribution's method, or None) and ``retracted`` (``{id: (date,
        reason)}``: the items retracted by the as-of day, with no share).

    Notes
    -----
    A step's change is the model's: when an item joins a dependence group it can also lower
    the weight of the group's weaker items, and that is part of its change.

    Leave-one-out is computed on the arrays, in log space: the final log posterior less the
    item's term ``log E[Lr_i(h)^w_i]`` (``/evidence/log_likelihood``); for an item of a
    dependence group, the group's weaker members move up one strength rank, so their
    terms at the rank's weight replace the old ones. Likelihoods of 0 (``-inf``) are
    counted apart, never subtracted.

    Examples
    --------
    >>> impact_table(result)[["change_pp", "p_without"]].head(2)  # doctest: +SKIP
    """
    check_result(result)
    scenario = scenario_of(result)
    return impact_table_for(result, encode(scenario), scenario)


def impact_table_for(
    result: xr.DataTree, a: Arrays, scenario: Scenario | None = None
) -> pd.DataFrame:
    """:func:`impact_table` on the scenario's encoded arrays ``a`` (already decoded).

    With a deadline, leave-one-out is given "no event by the as-of day" like the final
    probability (:func:`forecast.time_result.given_no_event`); ``scenario`` (decoded from the
    result when not given) supplies the window.
    """
    from .time_result import given_no_event, retracted_items

    prior_given = ""
    if result.attrs.get("as_of"):
        scenario = scenario_of(result) if scenario is None else scenario
        day = dt.date.fromisoformat(str(result.attrs["as_of"]))
        if scenario.priors.deadline is not None:
            a = given_no_event(a, scenario.priors, day)
            prior_given = f"given no {result.attrs['outcome']} by {day:%d %b %Y}"
    t, ev = dataset(result, TRAJECTORY), dataset(result, EVIDENCE)
    p = t["p_outcome"].values.astype(float)
    if "row" in t:  # the prior and the items' rows (not retractions, not the as-of row)
        p = p[np.isin(t["row"].values.astype(str), ("prior", "item"))]
    ids = evidence_ids(result)
    terms = ev["log_likelihood"].values.astype(float).reshape(len(ids), a.n_hypotheses)
    p_final, without = leave_one_out(a, terms)
    with np.errstate(divide="ignore"):
        log_odds = np.log(p) - np.log1p(-p)
    log_odds = np.clip(log_odds, -800.0, 800.0)  # certainty (0 or 1): as far as a double goes
    reliability = ev["reliability"].values.astype(float)
    weight = ev["weight"].values.astype(float)
    columns = {
        "step": np.arange(1, len(ids) + 1),
        "date": pd.to_datetime(ev["date"].values),
        "p_before": p[:-1],
        "p_after": p[1:],
        "change_pp": 100 * np.diff(p),
        "change_log_odds": np.diff(log_odds),
        "reliability": reliability,
        "weight": weight,
        "group": [str(g) for g in ev["group"].values],
        "reduced_reliability": reliability < 1 - EPS,
        "reduced_weight": weight < 1 - EPS,
        "p_without": without,
        "without_pp": 100 * (without - p_final),
    }
    attribution = attribution_of(result)
    if attribution is not None:  # by id (a retracted item's share is 0)
        shares = attribution[["shapley", "shapley_mcse"]].reindex(evidence=ids, fill_value=0.0)
        columns["shapley"] = shares["shapley"].values.astype(float)
        columns["shapley_mcse"] = shares["shapley_mcse"].values.astype(float)
    frame = pd.DataFrame(columns, index=pd.Index(ids, name="evidence"))
    frame.attrs["p_final"] = p_final
    # the move the shares add up to starts from the prior given the days passed (with a deadline)
    frame.attrs["p_prior"] = float(a.prior @ expected_p_outcome(a)) if prior_given else float(p[0])
    frame.attrs["prior_given"] = prior_given
    frame.attrs["retracted"] = retracted_items(result)
    frame.attrs["attribution"] = (
        str(attribution.attrs.get("method", "shapley")) if attribution is not None else None
    )
    return frame


def leave_one_out(a: Arrays, terms: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Return the final probability of the outcome, and without each item in turn.

    Parameters
    ----------
    a : Arrays
        The encoded scenario (:func:`forecast.model.encode`).
    terms : (N, H) array, optional
        Each item's final term ``log E[Lr_i(h)^w_i]`` (``/evidence/log_likelihood`` of a
        result); computed when not given.

    Returns
    -------
    (float, (N,) array)
        ``P(Y | every item)`` and ``P(Y | every item but i)``, the latter equal to
        ``probabilities(encode(scenario.without(id_i)))[1][-1]``.

    Examples
    --------
    >>> p_all, p_without = leave_one_out(encode(scenario))  # doctest: +SKIP
    """
    n, n_h = a.mu.shape
    everything = np.ones(n, dtype=bool)
    if terms is None:
        terms = (
            log_expected_tilt(a.mu, a.sd, a.r, subset_weights(a, everything))
            if n
            else np.zeros((0, n_h))
        )
    groups = []  # each group of two or more: members strongest first, the later ones moved up
    if n and (a.group >= 0).any():
        d = strength(a)
        for g in np.unique(a.group[a.group >= 0]):
            members = np.flatnonzero(a.group == g)
            order = members[np.argsort(-d[members], kind="stable")]  # strongest first
            if order.size < 2:
                continue
            later = order[1:]  # each moves up one rank when a stronger member leaves
            moved = log_expected_tilt(
                a.mu[later],
                a.sd[later],
                a.r[later],
                rank_weight(a.rho[g], np.arange(1, order.size)),
            )
            groups.append((order, *split_log(moved)))
    finite, ruled_out = split_log(terms)
    base_f = log_prior(a) + finite.sum(axis=0)
    base_r = ruled_out.sum(axis=0) + np.isneginf(log_prior(a))
    without_f, without_r = without_each(base_f, base_r, finite, ruled_out, groups)
    ep = expected_p_outcome(a)
    return float(p_hypothesis(base_f, base_r) @ ep), p_hypothesis(without_f, without_r) @ ep


def without_each(
    base_f: np.ndarray,
    base_r: np.ndarray,
    finite: np.ndarray,
    ruled_out: np.ndarray,
    groups: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """The unnormalised log posterior without each item in turn, in split form.

    The one leave-one-out of the package: :func:`leave_one_out` and
    :func:`forecast.attribution.shapley` both call it.

    Parameters
    ----------
    base_f, base_r : (H,) arrays
        The unnormalised log posterior with every item, split (finite part, count of
        ``-inf``): the log prior plus every item's term.
    finite, ruled_out : (N, H) arrays
        Each item's term ``log c_i(h)`` with every item present, split by
        :func:`forecast.steps.split_log`.
    groups : iterable of (order, moved_finite, moved_ruled_out)
        For each dependence group of two or more members: ``order`` (m,), the members'
        indices strongest first, and the split terms (m - 1, H) of ``order[1:]`` one strength
        rank up (what each later member's term becomes when a stronger member leaves).

    Returns
    -------
    (without_finite, without_ruled_out) : (N, H) arrays
        Row ``i``: the log posterior without item ``i`` (normalise with
        :func:`forecast.steps.p_hypothesis`).

    Examples
    --------
    Two items in no group: without item 0, the prior and item 1's term are left.

    >>> log_prior = np.log([0.5, 0.5])
    >>> terms = np.log([[3.0, 1.0], [1.0, 2.0]])
    >>> none = np.zeros((2, 2), dtype=int)
    >>> wo_f, wo_r = without_each(log_prior + terms.sum(axis=0), none[0], terms, none)
    >>> bool(np.allclose(wo_f[0], log_prior + terms[1])), int(wo_r.sum())
    (True, 0)
    """
    drop_f, drop_r = finite.copy(), ruled_out.copy()  # what leaving item i out removes
    for order, moved_f, moved_r in groups:
        later = order[1:]
        # leaving the member at position j out moves every later member up: suffix sums
        drop_f[order[:-1]] += np.cumsum((finite[later] - moved_f)[::-1], axis=0)[::-1]
        drop_r[order[:-1]] += np.cumsum((ruled_out[later] - moved_r)[::-1], axis=0)[::-1]
    return base_f - drop_f, base_r - drop_r


def attribution_of(result: xr.DataTree) -> xr.Dataset | None:
    """Return the result's attribution node (Shapley values), when it has one for these items."""
    if not has_node(result, ATTRIBUTION):
        return None
    node = dataset(result, ATTRIBUTION)
    if "shapley" not in node or "evidence" not in node.dims:
        return None
    if [str(v) for v in node["evidence"].values] != evidence_ids(result):
        return None
    if "shapley_mcse" not in node:  # a view of the result: assign makes a new dataset
        node = node.assign(shapley_mcse=xr.zeros_like(node["shapley"]))
    return node


def most_important(table: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Return the rows of an :func:`impact_table` that a chart shows, most important first.

    Also how many are left out.

    Importance is the size of the item's Shapley value when the table has one, else of its
    leave-one-out change. Every row up to :data:`MAX_ROWS` items; above, the
    :data:`TOP_ITEMS` most important.

    Examples
    --------
    >>> shown, rest = most_important(impact_table(result))  # doctest: +SKIP
    """
    key = table["shapley"] if "shapley" in table.columns else table["without_pp"]
    order = np.argsort(-np.abs(key.to_numpy(dtype=float)), kind="stable")
    if len(table) <= MAX_ROWS:
        return order, 0
    return order[:TOP_ITEMS], len(table) - TOP_ITEMS
