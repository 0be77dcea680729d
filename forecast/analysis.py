"""The analysis behind the charts, the report and the what-if panel, apart from drawing.

- :func:`impact_table`, :func:`leave_one_out`, :func:`most_important`: each evidence item's
  impact on the final probability (leave-one-out, and its Shapley value when the result holds
  an attribution), computed on the encoded arrays (no scenario re-validated).
- :func:`sensitivity_table`: how far the final probability moves when each interval input goes
  to its low or high end.
- :class:`Setting`, :func:`scale_likelihoods`, :func:`scenario_for`: the what-if
  modifications of a scenario (used by :mod:`forecast.widgets`, no ipywidgets needed here);
  :class:`Encoded`: the same modifications written straight into the encoded arrays;
  :func:`importance`: the order in which the panel lists a large scenario's items.

Everything is in log space: a likelihood of 0 (``log L = -inf``, "ruled out") gives neither
a warning nor a NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .model import (
    Arrays,
    encode,
    expected_p_outcome,
    likelihood_row,
    log_effective,
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
from .scenario import EvidenceItem, Scenario

MAX_ROWS = 40
"""Up to this many items every item has its own row (impact, ACH) or label (timeline)."""
TOP_ITEMS = 25
"""Above :data:`MAX_ROWS` items: the items shown in the impact and ACH charts, then one row
for the rest."""
EPS = 1e-12


def evidence_ids(result: xr.DataTree) -> list[str]:
    """Return the evidence ids of a result, in the order of its steps."""
    return [str(v) for v in dataset(result, EVIDENCE)["evidence"].values]


def split_log(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log values as (finite part, count of ``-inf``).

    Sums and differences of these never meet ``-inf - (-inf)``.
    """
    x = np.asarray(x, dtype=float)
    return np.where(np.isfinite(x), x, 0.0), np.isneginf(x).astype(int)


def _p_hypothesis(finite: np.ndarray, ruled_out: np.ndarray) -> np.ndarray:
    """Normalised probabilities (..., H) from unnormalised log values in split form."""
    log_p = np.where(ruled_out > 0, -np.inf, finite)
    top = log_p.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    p = np.exp(log_p - top)
    return p / p.sum(axis=-1, keepdims=True)


def _log_prior(a: Arrays) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(a.prior)


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
        ``p_final`` (the exact final probability with every item), ``p_prior`` and
        ``attribution`` (the attribution's method, or None).

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
    return impact_table_for(result, encode(scenario_of(result)))


def impact_table_for(result: xr.DataTree, a: Arrays) -> pd.DataFrame:
    """:func:`impact_table` on the scenario's encoded arrays ``a`` (already decoded)."""
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
    frame.attrs["p_prior"] = float(p[0])
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
    finite, ruled_out = split_log(terms)
    drop_f, drop_r = finite.copy(), ruled_out.copy()  # what leaving item i out removes
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
            moved_f, moved_r = split_log(moved)
            # leaving the member at position j out moves every later member up: suffix sums
            drop_f[order[:-1]] += np.cumsum((finite[later] - moved_f)[::-1], axis=0)[::-1]
            drop_r[order[:-1]] += np.cumsum((ruled_out[later] - moved_r)[::-1], axis=0)[::-1]
    base_f = _log_prior(a) + finite.sum(axis=0)
    base_r = ruled_out.sum(axis=0) + np.isneginf(_log_prior(a))
    ep = expected_p_outcome(a)
    p_final = float(_p_hypothesis(base_f, base_r) @ ep)
    return p_final, _p_hypothesis(base_f - drop_f, base_r - drop_r) @ ep


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
    """:func:`sensitivity_table` on a decoded ``scenario`` and its encoded arrays ``a``."""
    outcome = scenario.outcome
    names = list(scenario.hypotheses)
    n = a.n_items
    centre = replace(a, sd=np.zeros_like(a.sd), p_sd=np.zeros_like(a.p_sd))
    weights = subset_weights(centre, np.ones(n, dtype=bool))
    log_lr = log_effective(centre.mu, centre.r) if n else np.zeros((0, len(names)))
    finite, ruled_out = split_log(weights[:, None] * log_lr)
    base_f = _log_prior(a) + finite.sum(axis=0)
    base_r = ruled_out.sum(axis=0) + np.isneginf(_log_prior(a))
    ep = a.p_given_hypothesis(np.zeros(len(names)))
    p_h = _p_hypothesis(base_f, base_r)
    rows: list[dict] = []
    for j, name in enumerate(names):
        value = scenario.priors.hypotheses[name].p_outcome
        if isinstance(value, list | tuple):
            lo, hi = map(float, value)
            at_ends = []
            for end in (lo, hi):
                changed = ep.copy()
                changed[j] = end
                at_ends.append(float(p_h @ changed))
            rows.append(
                {
                    "input": f"P({outcome} | {name})",
                    "kind": "p_outcome",
                    "evidence": "",
                    "hypothesis": name,
                    "lo": lo,
                    "hi": hi,
                    "centre": float(ep[j]),
                    "p_low": at_ends[0],
                    "p_high": at_ends[1],
                }
            )
    item: list[int] = []
    hyp: list[int] = []
    lows: list[float] = []
    highs: list[float] = []
    for i, e in enumerate(scenario.evidence):
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
        ends[key] = _final_with_rows(centre, weights, log_lr, (base_f, base_r), item_a, mu) @ ep
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


def _final_with_rows(
    a: Arrays,
    weights: np.ndarray,
    log_lr: np.ndarray,
    base: tuple[np.ndarray, np.ndarray],
    items: np.ndarray,
    mu: np.ndarray,
) -> np.ndarray:
    """Return P(h | every item) (K, H) with each row ``items[k]`` replaced by ``mu[k]``.

    Row ``items[k]``'s exact log-likelihoods are replaced by ``mu[k]``, one replacement at a
    time (``a`` exact: every sd 0).

    An item in no group changes its own term only; a grouped item's new strength can
    change its group's ranks, so the group's terms are recomputed (:func:`subset_weights`).
    """
    base_f, base_r = base
    out = np.empty((items.size, a.n_hypotheses))
    free = a.group[items] < 0
    if free.any():
        rows = np.flatnonzero(free)
        old_f, old_r = split_log(log_lr[items[rows]])
        new_f, new_r = split_log(log_effective(mu[rows], a.r[items[rows]]))
        out[rows] = _p_hypothesis(base_f - old_f + new_f, base_r - old_r + new_r)
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
        w = subset_weights(group, np.ones(members.size, dtype=bool))
        old_f, old_r = split_log(weights[members, None] * log_lr[members])
        new_f, new_r = split_log(w[:, None] * log_effective(group_mu, group.r))
        out[k] = _p_hypothesis(
            base_f - old_f.sum(axis=0) + new_f.sum(axis=0),
            base_r - old_r.sum(axis=0) + new_r.sum(axis=0),
        )
    return out


TOL = 1e-9
"""Two settings closer than this are equal (a diagnosticity or reliability of the item's own
value changes nothing)."""


@dataclass(frozen=True)
class Setting:
    """The what-if controls of one evidence item.

    ``include``: keep the item; ``diagnosticity``: the power ``s`` applied to its likelihoods
    (1 = as written); ``reliability``: ``r`` in [0, 1], or None for the item's own.
    """

    include: bool = True
    diagnosticity: float = 1.0
    reliability: float | None = None

    def as_written(self, item: EvidenceItem) -> bool:
        """Return True when this setting leaves ``item`` as written.

        Included, diagnosticity 1 and the item's own reliability (each within :data:`TOL`).

        Examples
        --------
        >>> Setting(reliability=item.r).as_written(item)  # doctest: +SKIP
        True
        """
        r = item.r if self.reliability is None else self.reliability
        return self.include and abs(self.diagnosticity - 1.0) <= TOL and abs(r - item.r) <= TOL


def scale_likelihoods(likelihoods: Mapping[str, Any], s: float) -> dict[str, Any]:
    """Every likelihood raised to the power ``s`` (every log-likelihood times ``s``).

    A number ``L`` becomes ``L ** s``, an interval ``(lo, hi)`` becomes
    ``[lo ** s, hi ** s]``; ``s = 0`` gives neutral likelihoods (all 1).

    A result beyond the largest double is ``inf`` (which validation refuses).

    >>> scale_likelihoods({"a": 4.0, "b": (0.5, 2.0)}, 0.5)
    {'a': 2.0, 'b': [0.7071067811865476, 1.4142135623730951]}
    """
    if not (math.isfinite(s) and s >= 0):
        raise ValueError(f"diagnosticity must be a finite number >= 0, got {s!r}")
    out: dict[str, Any] = {}
    for name, value in likelihoods.items():
        if s < TOL:
            out[name] = 1.0
        elif isinstance(value, tuple | list):
            lo, hi = _power(float(value[0]), s), _power(float(value[1]), s)
            # a vanishing s can round an interval to one number: then it is one
            out[name] = [lo, hi] if lo < hi else math.sqrt(lo * hi)
        else:
            out[name] = _power(float(value), s)
    return out


def _power(x: float, s: float) -> float:
    """``x ** s``, ``inf`` beyond the largest double (validation then refuses it, no crash)."""
    try:
        return x**s
    except OverflowError:
        return math.inf


def scenario_for(scenario: Scenario, settings: Mapping[str, Setting]) -> Scenario:
    """Return the scenario the what-if controls describe (a pure function of its inputs).

    Parameters
    ----------
    scenario : Scenario
        The scenario as written.
    settings : mapping of evidence id to :class:`Setting`
        Items not named keep their values. A setting equal to the item's own values
        changes nothing, so moving the controls back restores ``scenario`` exactly.

    Returns
    -------
    Scenario
        Items switched off left out, the others' likelihoods scaled by
        :func:`scale_likelihoods` and reliability replaced, through one
        :meth:`Scenario.replace_evidence`; validated like any scenario.

    Raises
    ------
    KeyError
        For an id that is not an evidence item.
    ValueError
        For a diagnosticity below 0 or a reliability outside [0, 1].
    """
    unknown = [id for id in settings if id not in scenario.ids]
    if unknown:
        raise KeyError(f"no evidence item {unknown[0]!r}")
    items: list[EvidenceItem | dict] = []
    for item in scenario.evidence:
        setting = settings.get(item.id)
        if setting is None:
            items.append(item)
        elif setting.include:
            changes = setting_changes(item, setting)
            items.append(
                item.model_dump(mode="json", exclude_none=True) | changes if changes else item
            )
    unchanged = len(items) == len(scenario.evidence) and all(
        isinstance(e, EvidenceItem) for e in items
    )
    return scenario if unchanged else scenario.replace_evidence(items)  # validated once


def setting_changes(item: EvidenceItem, setting: Setting) -> dict[str, Any]:
    """Return the fields of ``item`` that ``setting`` changes (empty: none)."""
    s = float(setting.diagnosticity)
    r = item.r if setting.reliability is None else float(setting.reliability)
    if not (0.0 <= r <= 1.0):
        raise ValueError(f"reliability of {item.id} must be between 0 and 1, got {r!r}")
    if r < TOL:  # carries no information: the limit r -> 0
        return {"likelihoods": scale_likelihoods(item.likelihoods, 0.0)}
    changes: dict[str, Any] = {}
    if abs(s - 1.0) > TOL:
        changes["likelihoods"] = scale_likelihoods(item.likelihoods, s)
    if abs(r - item.r) > TOL:
        changes["reliability"] = r
    return changes


def final_band(result: xr.DataTree) -> tuple[float, float, float]:
    """The outcome's probability after the last item and its band, ``(p, low, high)``."""
    t = dataset(result, TRAJECTORY)
    p, low, high = (float(t[k][-1]) for k in ("p_outcome", "p_outcome_low", "p_outcome_high"))
    return p, low, high


def _valid_likelihoods(likelihoods: Mapping[str, Any]) -> bool:
    """Return what validation would accept of scaled likelihoods: positive and finite numbers."""
    for value in likelihoods.values():
        for x in value if isinstance(value, list | tuple) else (value,):
            if not (math.isfinite(x) and x > 0.0):
                return False
    return True


class Encoded:
    """A scenario's arrays, and those of any what-if settings, without building a Scenario.

    ``Encoded(scenario).arrays(settings)`` equals ``encode(scenario_for(scenario, settings))``
    number for number: the changed items' rows are written by the same code
    (:func:`scale_likelihoods`, :func:`forecast.model.likelihood_row`), the others copied.
    This is how the what-if panel (:mod:`forecast.widgets`) follows a slider without
    building or validating a scenario per move.

    Parameters
    ----------
    scenario : Scenario
        The scenario as written.

    Attributes
    ----------
    scenario : Scenario
        The scenario as written.
    base : Arrays
        ``encode(scenario)``.
    ids : tuple of str
        Its evidence ids, in update order.
    index : dict
        Each id's row in ``base``.

    Examples
    --------
    >>> enc = Encoded(scenario)  # doctest: +SKIP
    >>> a, ids = enc.arrays({"maxar-new-deployments": Setting(diagnosticity=2.0)})  # doctest: +SKIP
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.base = encode(scenario)
        self.ids = scenario.ids
        self.index = {id: i for i, id in enumerate(self.ids)}
        self._group_names = sorted({e.group for e in scenario.evidence if e.group is not None})
        self._rows: dict[tuple[str, Setting], tuple[np.ndarray, np.ndarray, float]] = {}

    def _row(self, id: str, setting: Setting) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(mu, sd, r) of one changed item; None if its likelihoods would not validate.

        Raises ValueError for a diagnosticity below 0 or a reliability outside [0, 1].
        """
        key = (id, setting)
        got = self._rows.get(key)
        if got is None:
            i = self.index[id]
            item = self.scenario.evidence[i]
            changes = setting_changes(item, setting)
            mu, sd = self.base.mu[i], self.base.sd[i]
            if "likelihoods" in changes:
                if not _valid_likelihoods(changes["likelihoods"]):
                    return None
                mu, sd = likelihood_row(changes["likelihoods"], self.scenario.hypotheses)
            got = (mu, sd, float(changes.get("reliability", item.r)))
            if len(self._rows) > 4096:
                self._rows.clear()
            self._rows[key] = got
        return got

    def arrays(self, settings: Mapping[str, Setting]) -> tuple[Arrays, tuple[str, ...]] | None:
        """Return the arrays and ids ``settings`` describe.

        Parameters
        ----------
        settings : mapping of evidence id to :class:`Setting`
            The changed items (the others keep their values).

        Returns
        -------
        (Arrays, tuple of str) or None
            ``encode(scenario_for(scenario, settings))`` and its ids; None if that scenario
            would not validate (a scaled likelihood overflows: :func:`scenario_for` says
            which).

        Raises
        ------
        KeyError
            For an unknown id.
        ValueError
            As :func:`scenario_for` does.

        Examples
        --------
        >>> a, ids = Encoded(scenario).arrays({"kavkaz-2008-precedent": Setting(include=False)})  # doctest: +SKIP
        """
        a = self.base
        unknown = [id for id in settings if id not in self.index]
        if unknown:
            raise KeyError(f"no evidence item {unknown[0]!r}")
        mu, sd, r = a.mu, a.sd, a.r
        keep = np.ones(a.n_items, dtype=bool)
        copied = False
        for id, setting in settings.items():
            i = self.index[id]
            if not setting.include:
                keep[i] = False
                continue
            row = self._row(id, setting)
            if row is None:
                return None
            if not copied:
                mu, sd, r, copied = mu.copy(), sd.copy(), r.copy(), True
            mu[i], sd[i], r[i] = row
        if keep.all():
            group, rho = a.group, a.rho
            ids = self.ids
        else:
            mu, sd, r = mu[keep], sd[keep], r[keep]
            ids = tuple(id for id, k in zip(self.ids, keep, strict=True) if k)
            # groups numbered as encode does: the names of the groups still present, sorted
            present = np.unique(a.group[keep & (a.group >= 0)])
            renumber = np.full(len(self._group_names) + 1, -1)
            renumber[present] = np.arange(present.size)
            group = renumber[a.group[keep]]
            rho = a.rho[present]
        arrays = Arrays(
            prior=a.prior, kappa=a.kappa, p_mean=a.p_mean, p_sd=a.p_sd,
            mu=mu, sd=sd, r=r, group=group, rho=rho, p_point=a.p_point,
        )  # fmt: skip
        return arrays, ids


def importance(
    a: Arrays, result: xr.DataTree | None = None, ids: tuple[str, ...] | None = None
) -> np.ndarray:
    """Return how much each evidence item matters to the final probability, (N,).

    The key of :func:`most_important`, from the encoded arrays: the size of the item's
    Shapley value when ``result`` holds an attribution, else of its leave-one-out change.
    The what-if panel lists a large scenario's items in this order, largest first.

    Parameters
    ----------
    a : Arrays
        The encoded scenario (:func:`forecast.model.encode`).
    result : xarray.DataTree, optional
        A result with an ``attribution`` node: then ``|shapley|`` (summed over every
        dimension but ``evidence``) decides.
    ids : tuple of str, optional
        The items of ``a`` by id: the attribution is taken in this order when its node
        names its items (an ``evidence`` coordinate).

    Returns
    -------
    (N,) array
        Fractions of probability: ``|P(Y | every item) - P(Y | every item but i)|``
        (:func:`leave_one_out`, exact for grouped items too), or ``|shapley_i|``.

    Examples
    --------
    >>> importance(encode(scenario)).argmax()  # the item that matters most  # doctest: +SKIP
    1
    """
    if result is not None and has_node(result, ATTRIBUTION):
        shap = dataset(result, ATTRIBUTION).get("shapley")
        if shap is not None and "evidence" in shap.dims:
            other = [d for d in shap.dims if d != "evidence"]
            total = abs(shap).sum(dim=other)
            if ids is not None and "evidence" in total.coords:
                total = total.sel(evidence=list(ids))
            return total.values.astype(float)
    if a.n_items == 0:
        return np.zeros(0)
    p_final, without = leave_one_out(a)
    return np.abs(without - p_final)
