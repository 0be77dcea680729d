"""Order-free attribution of the answer to the evidence.

Shapley values, leave-one-out, and the move at each item's step, all from one table of ``log c_i(h; w)`` (docs/model.md,
"Attribution").

The value of a subset ``S`` of the items is computed from the coherent probability of
docs/model.md on that subset alone, group weights recomputed by strength rank:

    P(h | E_S) ∝ E[pi_h] * prod_{i in S} E[ Lr_i(h) ** w_i(S) ]

and the value is ``value(P(h | E_S))`` (by default ``P(outcome)`` and every ``P(h)``). An
item's Shapley value is the average, over every order of arrival, of what the item adds to
the value when it arrives; the values add up to ``value(all) - value(none)``.

Log c of an item in no group is needed at weight 1 only; a group member at strength position
``p`` (0 = strongest of its group) can only take the rank weights of ranks ``1..p + 1``. Every
such ``log c`` is computed once (quadrature for uncertain items, memoised in
:mod:`forecast.model`), so each subset costs table look-ups and a log-sum-exp.

A ``log c`` of ``-inf`` (a likelihood of 0 at reliability 1) is kept apart as a count of
zeros, so that sums and differences of log c never produce ``inf - inf``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from .impacts import without_each
from .labels import digits_for, display_names, pct, pp
from .model import Arrays, expected_p_outcome, rank_weight, subset_weights
from .quadrature import log_expected_tilt, row_max
from .result_schema import ATTRIBUTION, dataset
from .scenario import Scenario
from .steps import split_log

__all__ = [
    "CSV_COLUMNS",
    "MAX_EXACT",
    "MCSE_TARGET",
    "Attribution",
    "attribution_frame",
    "attribution_node",
    "default_value",
    "describe_last",
    "explain_move",
    "shapley",
]

MAX_EXACT = 14
"""Up to this many items the Shapley values are exact (all ``2 ** N`` subsets)."""

MCSE_TARGET = 0.002
"""Permutation sampling stops once every item's Monte Carlo standard error of its Shapley
value for the first value column (``P(outcome)`` by default) is at most this."""

COMPILED_GROUP = 24
"""Groups of at least this many members take the compiled walk of
:mod:`forecast.attribution_loops` (smaller ones: numpy, without loading numba)."""

Value = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class Attribution:
    """Each item's share of the move from the prior to the final answer.

    Attributes
    ----------
    values : (N, K) array
        Shapley values, in update order; ``values.sum(axis=0) == total - base``.
    mcse : (N, K) array
        Monte Carlo standard error of each value (0 when exact).
    exact : bool
        True when every subset was evaluated; False for permutation sampling.
    n_permutations : int
        Orders of arrival sampled (antithetic pairs: each order and its reverse); 0 when exact.
    base, total : (K,) arrays
        The value with no item (the prior) and with every item.
    leave_one_out : (N, K) array
        The value with every item but this one (group weights recomputed).
    step_move : (N, K) array
        The value at the item's step minus the value at the step before (update order).
    seed : int
        The seed of the permutation sampling.

    With a ``value`` that returns one number per posterior, the ``K`` axis is dropped.
    """

    values: np.ndarray
    mcse: np.ndarray
    exact: bool
    n_permutations: int
    base: np.ndarray
    total: np.ndarray
    leave_one_out: np.ndarray
    step_move: np.ndarray
    seed: int

    @property
    def method(self) -> str:
        """``"exact"`` or ``"permutation"``."""
        return "exact" if self.exact else "permutation"


def default_value(a: Arrays) -> Value:
    """The default value: ``P(outcome) = P(h) @ E[p_h]`` then every ``P(h)`` (K = 1 + H).

    Examples
    --------
    >>> default_value(a)(np.array([0.5, 0.5]))  # doctest: +SKIP
    array([0.45, 0.5 , 0.5 ])
    """
    ep = expected_p_outcome(a)

    def value(p_h: np.ndarray) -> np.ndarray:
        return np.concatenate([(p_h @ ep)[..., None], p_h], axis=-1)

    return value


# ----------------------------------------------------------------------------- tables
@dataclass(frozen=True, eq=False)
class _Group:
    members: np.ndarray  # (m,) item indices, strongest first (the rank order of the full set)
    fin: np.ndarray  # (m, m, H): log c of the member at position p at rank r + 1 (finite part)
    zero: np.ndarray  # (m, m, H) int: 1 where that log c is -inf

    def totals(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The group's summed log c for subsets ``mask`` (..., m) (members in rank order)."""
        m = self.members.size
        rank = np.cumsum(mask, axis=-1) - 1  # 0-based rank among the members included
        at = (np.arange(m), np.maximum(rank, 0))
        keep = mask[..., None]
        fin = np.where(keep, self.fin[at], 0.0).sum(axis=-2)
        zero = np.where(keep, self.zero[at], 0).sum(axis=-2)
        return fin, zero


@dataclass(frozen=True, eq=False)
class _Tables:
    log_prior: np.ndarray  # (H,)
    fin: np.ndarray  # (N, H): log c at weight 1 of items in no group (finite part; 0 in groups)
    zero: np.ndarray  # (N, H) int: 1 where that log c is -inf
    groups: tuple[_Group, ...]

    @property
    def has_zero(self) -> bool:
        return bool(self.zero.any() or any(g.zero.any() for g in self.groups))


def _tables(a: Arrays) -> _Tables:
    """Every ``log c_i(h; w)`` a subset can need, computed once."""
    n, n_h = a.mu.shape
    free = a.group < 0
    log_c = np.zeros((n, n_h))
    if free.any():
        log_c[free] = log_expected_tilt(a.mu[free], a.sd[free], a.r[free], np.ones(free.sum()))
    fin, zero = split_log(log_c)
    # the rank order of every group: from the weights of the full set (rank weights fall with
    # the rank), so that the order is the one model.subset_weights defines
    w_all = subset_weights(a, np.ones(n, dtype=bool))
    groups = []
    for g in np.unique(a.group[~free]):
        idx = np.flatnonzero(a.group == g)
        members = idx[np.argsort(-w_all[idx], kind="stable")]
        m = members.size
        pos, rank = np.nonzero(np.tril(np.ones((m, m), dtype=bool)))  # rank <= position
        w = rank_weight(a.rho[g], rank + 1)
        rows = members[pos]
        vals = log_expected_tilt(a.mu[rows], a.sd[rows], a.r[rows], w)
        table = np.zeros((m, m, n_h))
        table[pos, rank] = vals
        gfin, gzero = split_log(table)
        groups.append(_Group(members, gfin, gzero))
    return _Tables(np.log(a.prior), fin, zero, tuple(groups))


def _log_post(fin: np.ndarray, zero: np.ndarray | None) -> np.ndarray:
    return fin if zero is None else np.where(zero > 0, -np.inf, fin)


def _normalise(log_post: np.ndarray) -> np.ndarray:
    """``softmax`` over the last (short) axis, column by column: faster than reductions."""
    m = row_max(log_post)
    p = np.exp(log_post - m[..., None])
    total = p[..., 0].copy()
    for j in range(1, p.shape[-1]):
        total += p[..., j]
    p /= total[..., None]
    return p


def _values(value: Value, fin: np.ndarray, zero: np.ndarray | None) -> np.ndarray:
    """``value(P(h | E_S))`` as (..., K) for unnormalised log posteriors (fin, zero)."""
    v = np.asarray(value(_normalise(_log_post(fin, zero))), dtype=float)
    return v[..., None] if v.ndim == fin.ndim - 1 else v


# ----------------------------------------------------------------------------- subsets
def _subset_logs(t: _Tables, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unnormalised log posterior (fin, zero) (S, H) of subsets ``masks`` (S, N)."""
    fin = t.log_prior + masks.astype(float) @ t.fin
    zero = masks.astype(np.int64) @ t.zero
    for g in t.groups:
        gf, gz = g.totals(masks[:, g.members])
        fin, zero = fin + gf, zero + gz
    return fin, zero


def _exact(t: _Tables, value: Value, n: int) -> np.ndarray:
    """Shapley values over all ``2 ** n`` subsets (n, K)."""
    codes = np.arange(2**n)
    masks = ((codes[:, None] >> np.arange(n)) & 1).astype(bool)
    v = _values(value, *_subset_logs(t, masks))
    size = masks.sum(axis=1)
    coef = np.array([math.factorial(s) * math.factorial(n - s - 1) for s in range(n)], float)
    coef /= math.factorial(n)
    out = np.empty((n, v.shape[-1]))
    for i in range(n):
        without = codes[~masks[:, i]]
        out[i] = coef[size[without]] @ (v[without | (1 << i)] - v[without])
    return out


def _walks(t: _Tables, value: Value, perms: np.ndarray) -> np.ndarray:
    """What each item adds on arrival along orders ``perms`` (P, N): (P, N, K), by item."""
    n_p, n = perms.shape
    n_h = t.log_prior.size
    rows = np.arange(n_p)[:, None]
    # log posterior after each arrival: the prior, then running sums of the increments
    fin = np.empty((n_p, n + 1, n_h))
    fin[:, 0] = t.log_prior
    fin[:, 1:] = t.fin[perms]
    zero = None
    if t.has_zero:
        zero = np.zeros((n_p, n + 1, n_h), np.int64)
        zero[:, 1:] = t.zero[perms]
    when = np.empty_like(perms)
    when[rows, perms] = np.arange(n)  # time at which each item arrives
    for g in t.groups:
        m = g.members.size
        tg = when[:, g.members]  # (P, m) arrival times, members in rank order
        at = np.sort(tg, axis=1) + 1
        if m >= COMPILED_GROUP:  # one pass per arrival over the members present
            from .attribution_loops import group_arrivals

            d_fin, d_zero = group_arrivals(np.argsort(tg, axis=1), g.fin, g.zero, zero is not None)
            fin[rows, at] = d_fin
            if zero is not None:
                zero[rows, at] = d_zero
            continue
        entry = np.argsort(np.argsort(tg, axis=1), axis=1)  # k-th of the group to arrive
        seen = entry[:, None, :] < np.arange(m + 1)[None, :, None]  # (P, m + 1, m)
        gf, gz = g.totals(seen)
        # a member's arrival changes the group's total (weaker members' ranks shift)
        fin[rows, at] = np.diff(gf, axis=1)
        if zero is not None:
            zero[rows, at] = np.diff(gz, axis=1)
    np.cumsum(fin, axis=1, out=fin)
    if zero is not None:
        np.cumsum(zero, axis=1, out=zero)
    moves = np.diff(_values(value, fin, zero), axis=1)  # (P, N, K) in time order
    return moves[rows, when]  # by item


def _sampled(
    t: _Tables,
    value: Value,
    n: int,
    seed: int,
    mcse_target: float,
    min_permutations: int,
    max_permutations: int,
    n_h: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Permutation sampling with antithetic pairs, in batches until every MCSE <= target."""
    rng = np.random.default_rng(seed)
    # pairs per batch: arrays of about 2 MB stay in cache (several times faster than large ones)
    batch = int(np.clip(125_000 // max(1, (n + 1) * (n_h + 2)), 4, 64))
    mean = m2 = None
    pairs = 0
    while True:
        perms = rng.permuted(np.tile(np.arange(n), (batch, 1)), axis=1)
        both = _walks(t, value, np.concatenate([perms, perms[:, ::-1]]))
        pair = (both[:batch] + both[batch:]) / 2  # (batch, N, K)
        # merge the batch's mean and sum of squares (Chan et al.)
        b_mean = pair.mean(axis=0)
        b_m2 = ((pair - b_mean) ** 2).sum(axis=0)
        if mean is None:
            mean, m2 = b_mean, b_m2
        else:
            delta = b_mean - mean
            total = pairs + batch
            mean = mean + delta * batch / total
            m2 = m2 + b_m2 + delta**2 * pairs * batch / total
        pairs += batch
        mcse = np.sqrt(m2 / max(pairs - 1, 1) / pairs)
        if 2 * pairs >= max_permutations or (
            2 * pairs >= min_permutations and mcse[:, 0].max() <= mcse_target
        ):
            return mean, mcse, 2 * pairs


def _leave_one_out(t: _Tables, value: Value, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The values with every item (K,) and without each item (N, K) (:func:`without_each`)."""
    all_in = np.ones((1, n), dtype=bool)
    fin_all, zero_all = _subset_logs(t, all_in)
    finite, ruled_out = t.fin.copy(), t.zero.copy()  # group members' rows: their full-set rank
    groups = []
    for g in t.groups:
        pos = np.arange(g.members.size)  # in the full set, position p holds rank p
        finite[g.members], ruled_out[g.members] = g.fin[pos, pos], g.zero[pos, pos]
        if pos.size > 1:  # without a stronger member, position p takes rank p - 1
            groups.append((g.members, g.fin[pos[1:], pos[:-1]], g.zero[pos[1:], pos[:-1]]))
    without_f, without_r = without_each(fin_all[0], zero_all[0], finite, ruled_out, groups)
    return _values(value, fin_all, zero_all)[0], _values(value, without_f, without_r)


def shapley(
    a: Arrays,
    value: Value | None = None,
    *,
    seed: int = 0,
    max_exact: int = MAX_EXACT,
    mcse_target: float = MCSE_TARGET,
    min_permutations: int = 64,
    max_permutations: int = 20_000,
) -> Attribution:
    """Each item's Shapley value for the final answer, with leave-one-out and step moves.

    Parameters
    ----------
    a : Arrays
        From :func:`forecast.encode`.
    value : callable, optional
        Maps hypothesis probabilities ``P(h | E_S)`` (..., H) to values (..., K) or (...).
        Default :func:`default_value`: ``P(outcome)`` then every ``P(h)``.
    seed : int
        Seed of the permutation sampling (unused when exact).
    max_exact : int
        Up to this many items, every subset is evaluated (exact values, MCSE 0).
    mcse_target : float
        Above ``max_exact``: antithetic orders are sampled (in batches) until every
        item's MCSE in the first value column (``P(outcome)`` by default; every column's
        MCSE is reported) is at most this...
    min_permutations, max_permutations : int
        ...with at least and at most this many orders (the cap wins over the target).

    Returns
    -------
    Attribution
        ``values`` add up to ``total - base`` (exactly up to rounding, also when sampled:
        every sampled order telescopes).

    Examples
    --------
    One item, likelihood ratio 3 for ``wet`` (by hand: P(wet) 0.5 -> 0.75, so P(rain)
    0.5 -> 0.75 * 0.9 + 0.25 * 0.1 = 0.7): its value is the whole move, 0.2.

    >>> from forecast.model import encode
    >>> from forecast.scenario import Scenario
    >>> hyps = {"wet": {"prior": 0.5, "p_outcome": 0.9}, "dry": {"prior": 0.5, "p_outcome": 0.1}}
    >>> item = {"id": "clouds", "date": "2022-01-01", "title": "Clouds", "source": "sky",
    ...         "likelihoods": {"wet": 3.0}}
    >>> priors = {"question": "Rain?", "outcome": "rain", "hypotheses": hyps}
    >>> att = shapley(encode(Scenario.from_dict({"priors": priors, "evidence": [item]})))
    >>> round(float(att.values[0, 0]), 6), round(float(att.total[0] - att.base[0]), 6)
    (0.2, 0.2)
    >>> ep = expected_p_outcome(a)  # doctest: +SKIP
    >>> shapley(a, lambda p_h: np.log(p_h @ ep)).values  # the log score, (N,)  # doctest: +SKIP
    """
    value = default_value(a) if value is None else value
    n = a.n_items
    t = _tables(a)
    total, loo = _leave_one_out(t, value, n)
    base = _values(value, t.log_prior, np.zeros_like(t.log_prior, dtype=np.int64))
    step_move = _walks(t, value, np.arange(n)[None])[0]
    if n <= max_exact:
        values, mcse, n_perm = _exact(t, value, n), None, 0
        mcse = np.zeros_like(values)
    else:
        values, mcse, n_perm = _sampled(t, value, n, seed, mcse_target, min_permutations,
                                        max_permutations, a.n_hypotheses)  # fmt: skip
    scalar = np.ndim(value(np.full(a.n_hypotheses, 1.0 / a.n_hypotheses))) == 0
    shape = (lambda x: x[..., 0]) if scalar else (lambda x: x)
    return Attribution(
        values=shape(values),
        mcse=shape(mcse),
        exact=n <= max_exact,
        n_permutations=n_perm,
        base=shape(base),
        total=shape(total),
        leave_one_out=shape(loo),
        step_move=shape(step_move),
        seed=seed,
    )


# ----------------------------------------------------------------------------- in words
def _mean_context(t: _Tables, item: int, n: int, seed: int, draws: int = 512) -> np.ndarray:
    """``P(h)`` just before ``item`` arrives, averaged over every order of arrival (H,).

    Exact (Shapley weights over the subsets without it) up to :data:`MAX_EXACT` items,
    otherwise from ``draws`` random orders.
    """
    others = np.delete(np.arange(n), item)
    if n <= MAX_EXACT:
        codes = np.arange(2 ** (n - 1))
        sub = ((codes[:, None] >> np.arange(n - 1)) & 1).astype(bool)
        size = sub.sum(axis=1)
        weight = np.array([math.factorial(k) * math.factorial(n - k - 1) for k in size], float)
        weight /= math.factorial(n)
    else:
        rng = np.random.default_rng([seed, item])
        keys = rng.random((draws, n - 1))
        sub = keys < rng.random((draws, 1))  # an order's items before it: uniform position
        weight = np.full(draws, 1.0 / draws)
    masks = np.zeros((sub.shape[0], n), dtype=bool)
    masks[:, others] = sub
    return weight @ _normalise(_log_post(*_subset_logs(t, masks)))


def _main_flow(delta: np.ndarray, ep: np.ndarray, sign: float) -> tuple[int, int]:
    """The pair (from, to) of hypotheses that moves P(outcome) most in the direction ``sign``.

    Of the probability moved by ``delta`` (H,), losers give to gainers in proportion.
    """
    gain = np.clip(delta, 0.0, None)
    flow = np.clip(-delta, 0.0, None)[:, None] * gain[None, :] / max(gain.sum(), 1e-300)
    effect = flow * (ep[None, :] - ep[:, None])  # [from, to]
    effect = np.where(np.sign(effect) == np.sign(sign), np.abs(effect), -1.0)
    lose, win = np.unravel_index(np.argmax(effect), effect.shape)
    return int(lose), int(win)


def explain_move(
    att: Attribution,
    a: Arrays,
    item: int,
    hypotheses: list[str] | tuple[str, ...],
    outcome: str,
) -> str:
    """One sentence on why an item's move at its step and its Shapley value differ in sign.

    ``""`` when they agree.

    ``att`` is :func:`shapley` with the default value (``P(outcome)`` then every ``P(h)``).
    With three or more hypotheses an item's effect on ``P(outcome)`` depends on what else is
    known: it moves probability between hypotheses in proportion to how likely each is, and
    whether that raises or lowers ``P(outcome)`` depends on which hypotheses still hold
    probability. The sentence names the pair of hypotheses whose exchange drives the Shapley
    value (the item's likelihood ratio between them, and which has the lower
    ``P(outcome)``), the pair that drove the move at its step, and the hypothesis whose
    probability differs most between the two situations: just before the item's step, and
    just before the item arrives averaged over every order of arrival.

    Examples
    --------
    >>> explain_move(att, a, 1, scenario.hypotheses, "invasion")  # doctest: +SKIP
    'it separates coercive_bluff from deception (1.1 times as likely under coercive_bluff, ...'
    """
    step, phi = float(att.step_move[item, 0]), float(att.values[item, 0])
    if step * phi >= 0:
        return ""
    t = _tables(a)
    n = a.n_items
    ep = expected_p_outcome(a)
    q_step = _normalise(_log_post(*_subset_logs(t, (np.arange(n) < item)[None])))[0]
    q_mean = _mean_context(t, item, n, att.seed)
    lose, win = _main_flow(att.values[item, 1:], ep, phi)
    lose_s, win_s = _main_flow(att.step_move[item, 1:], ep, step)
    # the item's likelihood ratio between the pair (at its final weight)
    w = subset_weights(a, np.ones(n, dtype=bool))[item : item + 1]
    rows = slice(item, item + 1)
    log_c = log_expected_tilt(a.mu[rows], a.sd[rows], a.r[rows], w)[0]
    ratio = float(np.exp(log_c[win] - log_c[lose]))
    with np.errstate(divide="ignore"):
        shift = np.abs(np.log(q_step) - np.log(q_mean))
    pool = sorted({lose, win, lose_s, win_s})
    x = max(pool, key=lambda h: shift[h] if np.isfinite(shift[h]) else 0.0)
    name = hypotheses
    lower = "lower" if ep[win] < ep[lose] else "higher"
    effect = "lowers" if phi < 0 else "raises"
    effect_s = "raised" if step > 0 else "lowered"
    return (
        f"it separates {name[win]} from {name[lose]} ({ratio:.2g} times as likely under "
        f"{name[win]}, which has the {lower} P({outcome})), and averaged over every order of "
        f"arrival, with {name[x]} at {pct(q_mean[x], 0)} on average before it arrives, that "
        f"{effect} P({outcome}); at its step, with {name[x]} at {pct(q_step[x], 0)}, it mostly "
        f"moved probability from {name[lose_s]} to {name[win_s]}, which {effect_s} it"
    )


def describe_last(
    att: Attribution,
    a: Arrays,
    ids: list[str] | tuple[str, ...],
    hypotheses: list[str] | tuple[str, ...],
    outcome: str,
) -> str:
    """What the last item added did, in words.

    Its step move, its Shapley value and, when they differ in sign, why (:func:`explain_move`). ``""`` with no evidence.

    Examples
    --------
    >>> print(describe_last(att, a, scenario.ids, scenario.hypotheses, "invasion"))  # doctest: +SKIP
    The last item added, withdrawal-lacks-detail, moved P(invasion) by +3.0 points at its step;
    its Shapley value (its average contribution over every order of arrival) is +2.8 points.
    """
    if not ids:
        return ""
    k = len(ids) - 1
    step, phi, mcse = (float(x[k, 0]) for x in (att.step_move, att.values, att.mcse))
    digits = digits_for(step, phi, mcse)  # 0.004 points, not 0.0
    err = "" if att.exact else f" (MCSE {pp(mcse, digits)})"
    text = (
        f"The last item added, {ids[k]}, moved P({outcome}) by {pp(step, digits, sign=True)} "
        f"points at its step; its Shapley value (its average contribution over every order of "
        f"arrival) is {pp(phi, digits, sign=True)} points{err}."
    )
    why = explain_move(att, a, k, hypotheses, outcome)
    if why:
        text += f" They differ in sign because {why}."
    return text


def attribution_node(att: Attribution, a: Arrays, scenario: Scenario) -> xr.Dataset:
    """The variables of the ``/attribution`` node of a result (dims ``evidence``, ``hypothesis``).

    Variables: ``step_move``, ``shapley``, ``shapley_mcse``, ``leave_one_out`` (evidence;
    P(outcome), fractions) and ``shapley_hypothesis``, ``shapley_hypothesis_mcse``
    (evidence, hypothesis). Attributes: ``method`` ("exact" or "permutation"),
    ``n_permutations``, ``seed``, ``p_prior`` and ``p_final`` (P(outcome) before any item and
    with every item: the Shapley values add up to ``p_final - p_prior``), ``explanation``
    (:func:`describe_last`).
    """
    ev, hyp = ("evidence",), ("evidence", "hypothesis")
    shown = display_names(scenario)
    ds = xr.Dataset(
        {
            "step_move": (ev, att.step_move[:, 0]),
            "shapley": (ev, att.values[:, 0]),
            "shapley_mcse": (ev, att.mcse[:, 0]),
            "leave_one_out": (ev, att.leave_one_out[:, 0]),
            "shapley_hypothesis": (hyp, att.values[:, 1:]),
            "shapley_hypothesis_mcse": (hyp, att.mcse[:, 1:]),
        },
        coords={
            "evidence": np.array(scenario.ids, dtype=object),
            "hypothesis": list(scenario.hypotheses),
        },
        attrs={
            "method": att.method,
            "n_permutations": att.n_permutations,
            "seed": att.seed,
            "p_prior": float(att.base[0]),
            "p_final": float(att.total[0]),
            "explanation": describe_last(
                att,
                a,
                scenario.ids,
                [shown.hypothesis(h) for h in scenario.hypotheses],
                shown.outcome,
            ),
        },
    )
    o = scenario.outcome
    ds["step_move"].attrs["long_name"] = f"P({o}) at the item's step minus the step before"
    ds["shapley"].attrs["long_name"] = (
        f"Shapley value: the item's average contribution to the final P({o}) over every order "
        "of arrival (the values add up to p_final - p_prior)"
    )
    ds["shapley_mcse"].attrs["long_name"] = "Monte Carlo standard error (0 when exact)"
    ds["leave_one_out"].attrs["long_name"] = f"the final P({o}) without the item"
    ds["shapley_hypothesis"].attrs["long_name"] = "Shapley value of the final P(h)"
    return ds


CSV_COLUMNS = ("evidence_id", "step_move", "shapley", "shapley_mcse", "leave_one_out")
"""The columns of ``attribution.csv`` (one row per item, in update order); then
``retracted_on`` when an item is retracted by the as-of day."""


def attribution_frame(result: xr.DataTree) -> pd.DataFrame:
    """The ``/attribution`` node of a result as the table of ``attribution.csv``.

    When items are retracted by the result's as-of day, one more column, ``retracted_on``: the
    retraction's date for them (their share is 0 and leave-one-out the final probability),
    empty for the others.

    Examples
    --------
    >>> attribution_frame(forecast.run(scenario, attribution=True)).columns  # doctest: +SKIP
    Index(['evidence_id', 'step_move', 'shapley', 'shapley_mcse', 'leave_one_out'], ...)
    """
    node = dataset(result, ATTRIBUTION)
    frame = pd.DataFrame({"evidence_id": [str(v) for v in node["evidence"].values]})
    for name in CSV_COLUMNS[1:]:
        frame[name] = node[name].values
    from .time_result import retracted_items

    gone = retracted_items(result)
    if gone:
        frame["retracted_on"] = [gone[i][0] if i in gone else "" for i in frame["evidence_id"]]
    return frame
