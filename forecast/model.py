"""The forecasting model of docs/model.md: a scenario as arrays, the weights, the probability.

Notation follows docs/model.md. :func:`encode` turns a validated scenario into
:class:`Arrays`; the weights of dependent evidence (:func:`subset_weights`,
:func:`step_weights`) and the probability of every hypothesis and of the outcome at every step
(:func:`probabilities`) are computed here. The exact expectations they need are in
:mod:`forecast.quadrature` (its public names are also importable from here); the PyMC model
is in :mod:`forecast.pymc_model`, which builds on this module (never the other way round).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, logsumexp

from .constants import Z90
from .quadrature import first_alike, log_effective, log_expected_tilt, logit_normal_mean, row_max
from .scenario import Scenario

__all__ = [
    "Z90",
    "Arrays",
    "encode",
    "expected_p_outcome",
    "first_alike",
    "likelihood_row",
    "log_effective",
    "log_expected_tilt",
    "log_posterior_by_step",
    "logit",
    "logit_normal_mean",
    "n_eff",
    "normal_params",
    "prefix_weights",
    "probabilities",
    "rank_weight",
    "row_max",
    "step_weights",
    "strength",
    "subset_weights",
]


# ----------------------------------------------------------------------------- numbers
@dataclass(frozen=True, eq=False)
class Arrays:
    """A scenario as arrays (hypotheses in file order, evidence in update order).

    Attributes
    ----------
    prior : (H,) prior probabilities pi_h.
    kappa : Dirichlet prior strength, or None for exact priors.
    p_mean, p_sd : (H,) P(outcome | h) as ``logit p ~ Normal(p_mean, p_sd)``; sd 0 = exact.
    mu, sd : (N, H) ``log L_i(h) ~ Normal(mu, sd)``; sd 0 = exact (unnamed: mu 0, sd 0).
    r : (N,) reliability in (0, 1].
    group : (N,) index into ``rho``, -1 for items in no group.
    rho : (G,) correlation of each group.
    p_point : (H,) a point P(outcome | h) as written, NaN for an interval; None: ``expit(p_mean)``
        where ``p_sd`` is 0. ``expit(logit(p))`` rounds (0.3 comes back as 0.29999999999999993,
        one calibration bin low), so a point is kept as itself.
    """

    prior: np.ndarray
    kappa: float | None
    p_mean: np.ndarray
    p_sd: np.ndarray
    mu: np.ndarray
    sd: np.ndarray
    r: np.ndarray
    group: np.ndarray
    rho: np.ndarray
    p_point: np.ndarray | None = None

    def p_given_hypothesis(self, z: np.ndarray) -> np.ndarray:
        """``p_h`` for standard normal draws ``z`` (..., H): ``expit(p_mean + p_sd z)``, a point as written.

        Examples
        --------
        >>> encode(scenario).p_given_hypothesis(np.zeros(3))  # doctest: +SKIP
        array([0.3, 0.1, 0.9])
        """
        p = expit(self.p_mean + self.p_sd * z)
        if self.p_point is None:
            return p
        return np.where(np.isnan(self.p_point), p, self.p_point)

    @property
    def n_items(self) -> int:
        """The number of evidence items, N."""
        return self.mu.shape[0]

    @property
    def n_hypotheses(self) -> int:
        """The number of hypotheses, H."""
        return self.prior.shape[0]


def _normal_params(value, transform) -> tuple[float, float]:
    """(mean, sd) in transformed space of a number or of a 90% interval (docs/model.md)."""
    if isinstance(value, tuple | list):
        lo, hi = transform(value[0]), transform(value[1])
        return (lo + hi) / 2.0, (hi - lo) / (2.0 * Z90)
    return float(transform(value)), 0.0


def _logit(p: float) -> float:
    """``log p - log(1 - p)``: -inf at 0 and +inf at 1 (a point outcome probability)."""
    with np.errstate(divide="ignore"):
        return float(np.log(p) - np.log1p(-p))


def _log(x: float) -> float:
    """``log x``, -inf at 0 (a point likelihood of 0: impossible under the hypothesis)."""
    with np.errstate(divide="ignore"):
        return float(np.log(x))


def likelihood_row(
    likelihoods: Mapping[str, Any], hypotheses: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """One item's ``log L(h) ~ Normal(mu, sd)`` row, as :func:`encode` writes it.

    Parameters
    ----------
    likelihoods : mapping of hypothesis name to a number or a 90% interval ``(lo, hi)``
    hypotheses : sequence of str
        All the hypotheses, in file order (unnamed ones: mu 0, sd 0).

    Examples
    --------
    >>> likelihood_row({"b": 2.0}, ["a", "b"])
    (array([0.        , 0.69314718]), array([0., 0.]))
    """
    names = list(hypotheses)
    mu, sd = np.zeros(len(names)), np.zeros(len(names))
    for name, value in likelihoods.items():
        mu[names.index(name)], sd[names.index(name)] = _normal_params(value, _log)
    return mu, sd


def encode(scenario: Scenario) -> Arrays:
    """Turn a validated scenario into the arrays the computations use.

    Examples
    --------
    >>> a = encode(scenario)  # doctest: +SKIP
    >>> a.mu.shape  # (items, hypotheses)  # doctest: +SKIP
    (13, 3)
    """
    names = scenario.hypotheses
    hyps = scenario.priors.hypotheses.values()
    p = np.array([_normal_params(h.p_outcome, _logit) for h in hyps]).reshape(-1, 2)
    n, k = len(scenario.evidence), len(names)
    mu, sd = np.zeros((n, k)), np.zeros((n, k))
    for i, item in enumerate(scenario.evidence):
        mu[i], sd[i] = likelihood_row(item.likelihoods, names)
    groups = sorted({e.group for e in scenario.evidence if e.group is not None})
    point = [np.nan if isinstance(h.p_outcome, tuple | list) else h.p_outcome for h in hyps]
    return Arrays(
        prior=scenario.prior,
        kappa=scenario.priors.prior_strength,
        p_mean=p[:, 0],
        p_sd=p[:, 1],
        mu=mu,
        sd=sd,
        r=np.array([e.r for e in scenario.evidence], dtype=float),
        group=np.array(
            [groups.index(e.group) if e.group is not None else -1 for e in scenario.evidence],
            dtype=int,
        ),
        rho=np.array([scenario.correlation(g) for g in groups], dtype=float),
        p_point=np.array(point, dtype=float),
    )


def n_eff(rho: float | np.ndarray, n: int | np.ndarray) -> float | np.ndarray:
    """The design effect: the independent items' worth of a group's ``n`` items.

    ``n`` items of a group with correlation ``rho`` carry ``n / (1 + rho * (n - 1))`` independent items' worth (numbers or arrays; 0 for n = 0).
    """
    return n / (1.0 + rho * (n - 1))


def rank_weight(rho: float | np.ndarray, rank: int | np.ndarray) -> float | np.ndarray:
    """Weight of the item at ``rank`` (1 = strongest) among a group's items seen.

    ``n_eff(rank) - n_eff(rank - 1)`` (docs/model.md, "Dependent evidence").

    Examples
    --------
    >>> rank_weight(0.5, np.array([1, 2, 3]))
    array([1.        , 0.33333333, 0.16666667])
    """
    rank = np.maximum(rank, 1)  # (rank 0, an item not seen, is masked by the callers)
    return n_eff(rho, rank) - n_eff(rho, rank - 1)


def strength(a: Arrays) -> np.ndarray:
    """Each item's strength ``d_i = max_h log Lr_i(h) - min_h log Lr_i(h)`` (N,).

    Intervals at their medians (``exp(mu)``), reliability applied, so strength never depends
    on a draw; ``inf`` for an item that rules a hypothesis out (a zero at reliability 1).
    """
    return _strength_of(a.mu, a.r)


def _strength_of(mu: np.ndarray, r: np.ndarray) -> np.ndarray:
    """:func:`strength` of rows ``mu`` (n, H) with reliabilities ``r`` (n,)."""
    if not mu.shape[0]:
        return np.zeros(0)
    le = log_effective(mu, r)
    return le.max(axis=1) - le.min(axis=1)


def subset_weights(a: Arrays, included: np.ndarray) -> np.ndarray:
    """Weights ``w_i`` of the items of ``included`` (a boolean mask (..., N)), 0 elsewhere.

    Items in no group weigh 1. A group's items in the subset are ranked by
    :func:`strength`, strongest first, ties to the item applied first (the lower index), and
    the item at rank ``j`` weighs :func:`rank_weight` ``(rho, j)``: the weights of ``n`` items
    sum to ``n_eff(n)``.

    Examples
    --------
    >>> subset_weights(a, np.arange(a.n_items) < 3)  # the weights at step 3  # doctest: +SKIP
    array([1. , 0.5, 1. , 0. ])
    """
    included = np.asarray(included, dtype=bool)
    w = included.astype(float)
    if (a.group >= 0).any():
        d = strength(a)
        for g in np.unique(a.group[a.group >= 0]):
            members = np.flatnonzero(a.group == g)
            order = members[np.argsort(-d[members], kind="stable")]  # strongest first
            inc = included[..., order]
            rank = np.cumsum(inc, axis=-1)
            w[..., order] = np.where(inc, rank_weight(a.rho[g], rank), 0.0)
    return w


def prefix_weights(a: Arrays, g: int) -> np.ndarray:
    """Weights of group ``g``'s members as the group grows.

    ``W[j, n - 1]`` is the weight of its ``j``-th member (update order) once its first ``n`` members are seen (0 for ``j >= n``).
    """
    members = np.flatnonzero(a.group == g)
    m = members.size
    d = _strength_of(a.mu[members], a.r[members])  # the members only: once per group
    order = np.argsort(-d, kind="stable")  # strongest first, ties to the earlier member
    seen = np.tril(np.ones((m, m), dtype=bool))[:, order]  # row n-1: the first n, by rank
    rank = np.cumsum(seen, axis=1)
    w = np.zeros((m, m))
    w[:, order] = np.where(seen, rank_weight(a.rho[g], rank), 0.0)
    return w.T


def step_weights(a: Arrays, step: int) -> np.ndarray:
    """Weights ``w_i(k)`` of every item at step ``k`` (0 for items not yet seen).

    Items in no group weigh 1; a group's items seen by step ``k`` share ``n_eff(n)`` by
    strength rank (:func:`subset_weights`).

    Examples
    --------
    >>> step_weights(a, 0)  # the prior: nothing seen  # doctest: +SKIP
    array([0., 0., 0.])
    """
    return subset_weights(a, np.arange(a.n_items) < step)


normal_params = _normal_params
"""``(mean, sd)`` of a number or 90% interval on a transformed scale (``np.log``, ``logit``)."""
logit = _logit


def expected_p_outcome(a: Arrays) -> np.ndarray:
    """``E[p_h]``: P(outcome | h), logit-normal ones averaged by Gauss-Hermite quadrature.

    A point is returned as written (not through the rule nor ``expit(logit(p))``, which round).
    """
    mean = logit_normal_mean(a.p_mean, a.p_sd)
    if a.p_point is None:
        return mean
    return np.where(np.isnan(a.p_point), mean, a.p_point)


# ----------------------------------------------------------------------------- probability
def _log_c_by_step(a: Arrays) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Every ``log c_i(h)`` the trajectory needs.

    Returns the (N, H) values for items in no group (weight 1) and, per group, an
    (n_g, n_g, H) array ``L[j, n-1]`` = log c of the group's j-th item when the group has
    ``n`` items seen (defined for ``n > j``).
    """
    n_items, n_h = a.mu.shape
    free = a.group < 0
    log_c = np.zeros((n_items, n_h))
    if free.any():
        log_c[free] = log_expected_tilt(a.mu[free], a.sd[free], a.r[free], np.ones(free.sum()))
    by_group: dict[int, np.ndarray] = {}
    for g in np.unique(a.group[~free]):
        members = np.flatnonzero(a.group == g)
        m = members.size
        jj, nn = np.nonzero(np.tril(np.ones((m, m), dtype=bool)).T)  # pairs j < n (n 0-based)
        w = prefix_weights(a, int(g))[jj, nn]
        vals = log_expected_tilt(a.mu[members[jj]], a.sd[members[jj]], a.r[members[jj]], w)
        table = np.full((m, m, n_h), np.nan)
        table[jj, nn] = vals
        by_group[int(g)] = table
    return log_c, by_group


def log_posterior_by_step(a: Arrays) -> np.ndarray:
    """Unnormalised ``log P(h | E_1..k)`` for every step k = 0..N, shape (N+1, H).

    ``log E[pi_h] + sum_{i<=k} log E[Lr_i(h) ** w_i(k)]`` (docs/model.md, "The probability").
    """
    n_items, n_h = a.mu.shape
    log_c, by_group = _log_c_by_step(a)
    free = (a.group < 0)[:, None]
    cum = np.cumsum(np.where(free, log_c, 0.0), axis=0)
    out = np.vstack([np.zeros((1, n_h)), cum])
    for g, table in by_group.items():
        members = np.flatnonzero(a.group == g)
        # step k sees the group's first n(k) members, each at its rank's weight
        contrib = np.zeros((n_items + 1, n_h))
        for n_seen in range(1, members.size + 1):
            total = table[:n_seen, n_seen - 1].sum(axis=0)
            first = members[n_seen - 1] + 1
            last = members[n_seen] + 1 if n_seen < members.size else n_items + 1
            contrib[first:last] = total
        out += contrib
    return out + np.log(a.prior)[None, :]


def probabilities(a: Arrays) -> tuple[np.ndarray, np.ndarray]:
    """The probability of every hypothesis and of the outcome at every step.

    Returns
    -------
    p_hypothesis : (N+1, H) array
        ``P(h | E_1..k)``; row 0 is the prior.
    p_outcome : (N+1,) array
        ``P(Y | E_1..k) = sum_h P(h | E_1..k) E[p_h]``.

    Examples
    --------
    >>> p_h, p_y = probabilities(encode(scenario))  # doctest: +SKIP
    >>> p_y[-1]  # the current probability of the outcome  # doctest: +SKIP
    0.58
    """
    log_post = log_posterior_by_step(a)
    p_h = np.exp(log_post - logsumexp(log_post, axis=1, keepdims=True))
    return p_h, p_h @ expected_p_outcome(a)
