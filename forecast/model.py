"""The forecasting model of MODEL.md: numbers, weights, exact expectations, and the PyMC model.

Notation follows MODEL.md. For an evidence item, ``X_g = log L(g)`` is its log-likelihood
under hypothesis ``g`` (normal when given as an interval, a constant otherwise, 0 when the
item does not name ``g``). With ``z = X_h - max_g X_g <= 0`` the effective likelihood is

    Lr(h) = r * exp(z) + (1 - r)

and an item of weight ``w`` contributes ``Lr(h) ** w``. The probability needs
``c(h) = E[Lr(h) ** w]`` (:func:`log_expected_tilt`), computed by quadrature.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.special import expit, log_ndtr, logsumexp

from . import caches
from .scenario import Scenario

__all__ = [
    "Z90",
    "Arrays",
    "build_model",
    "encode",
    "expected_p_outcome",
    "likelihood_row",
    "log_effective",
    "log_expected_tilt",
    "logit_normal_mean",
    "normal_params",
    "probabilities",
    "step_weights",
]

Z90 = 1.6448536269514722
"""The 95th percentile of the standard normal: a 90% interval spans ``2 * Z90`` sd."""


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

    @property
    def n_items(self) -> int:
        return self.mu.shape[0]

    @property
    def n_hypotheses(self) -> int:
        return self.prior.shape[0]


def _normal_params(value, transform) -> tuple[float, float]:
    """(mean, sd) in transformed space of a number or of a 90% interval (MODEL.md)."""
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


def likelihood_row(likelihoods, hypotheses) -> tuple[np.ndarray, np.ndarray]:
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
    )


def n_eff(rho, n):
    """The design effect: ``n`` items of a group with correlation ``rho`` carry
    ``n / (1 + rho * (n - 1))`` independent items' worth (numbers or arrays; 0 for n = 0)."""
    return n / (1.0 + rho * (n - 1))


def rank_weight(rho, rank):
    """Weight of the item at ``rank`` (1 = strongest) among a group's items seen:
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
    """Weights of group ``g``'s members as the group grows: ``W[j, n - 1]`` is the weight of
    its ``j``-th member (update order) once its first ``n`` members are seen (0 for ``j >= n``).
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


def row_max(x: np.ndarray) -> np.ndarray:
    """``x.max(axis=-1)``, column by column: several times faster for a few hypotheses."""
    out = np.array(x[..., 0], dtype=float, copy=True)
    for j in range(1, x.shape[-1]):
        np.maximum(out, x[..., j], out=out)
    return out


def log_effective(x: np.ndarray, r: np.ndarray | float) -> np.ndarray:
    """``log Lr(h)`` for log-likelihood rows ``x`` (..., H) and reliability ``r`` (...).

    ``Lr(h) = r * L(h) / max_g L(g) + (1 - r)``, computed in log space.
    """
    x = np.asarray(x, dtype=float)
    z = x - row_max(x)[..., None]
    r = np.asarray(r, dtype=float)
    if np.all(r >= 1):
        return z
    r = r[..., None]
    with np.errstate(divide="ignore"):
        return np.logaddexp(np.log(r) + z, np.log1p(-r))


# ----------------------------------------------------------------------------- quadrature
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_GL12_X, _GL12_W = np.polynomial.legendre.leggauss(12)
_GH_X, _GH_W = np.polynomial.hermite.hermgauss(64)
_TAIL = 8.5  # sd: P(|Z| > 8.5) ~ 1e-17, below double precision relative to 1
_D_BREAKS = np.array([-6.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 6.0])  # in sd of each X_g
_UNIFORM_BREAKS = 12


def _lse(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log-sum-exp along ``axis`` (leaner than scipy's on the hot path); all -inf gives -inf."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(x - m), axis=axis)) + np.squeeze(m, axis=axis)


def _gauss_legendre(edges: np.ndarray, x: np.ndarray = _GL_X, v: np.ndarray = _GL_W):
    """Composite Gauss-Legendre nodes/weights for sorted breakpoints ``edges`` (..., B).

    Returns nodes and weights of shape (..., (B - 1) * len(x)); empty panels get weight 0.
    """
    a, b = edges[..., :-1, None], edges[..., 1:, None]
    nodes = (a + b) / 2 + (b - a) / 2 * x
    weights = (b - a) / 2 * v
    shape = edges.shape[:-1] + (-1,)
    return nodes.reshape(shape), weights.reshape(shape)


def _log_phi(z, log_r, log_1mr, w):
    """log of ``phi(z) = (r e^z + 1 - r)^w``."""
    return w * np.logaddexp(log_r + z, log_1mr)


def log_expected_tilt(mu: np.ndarray, sd: np.ndarray, r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``log c(h) = log E[Lr(h) ** w]`` for every item and hypothesis.

    Parameters
    ----------
    mu, sd : (n, H) arrays
        Mean and sd of each item's log-likelihoods (sd 0: exact).
    r, w : (n,) arrays
        Reliability and weight of each item (``w > 0``).

    Returns
    -------
    (n, H) array
        Closed form where the item has no uncertain entry. Otherwise
        ``c(h) = E_D[psi(D)]`` with ``D = max_{g != h} X_g`` and
        ``psi(d) = E[phi(min(0, X_h - d))]``, ``phi(z) = (r e^z + 1 - r)^w``: ``psi`` in
        closed form (lognormal partial expectations) when ``w = 1`` or ``r = 1``, by
        Gauss-Legendre otherwise; the law of ``D`` (an atom at the largest exact ``X_g``
        and a density, a product of normal CDFs) by composite Gauss-Legendre with
        breakpoints at every ``X_g``'s scale. Relative error about 1e-9.

    Examples
    --------
    >>> log_expected_tilt(np.log([[4.0, 1.0]]), np.zeros((1, 2)), np.ones(1), np.ones(1))
    array([[ 0.        , -1.38629436]])
    """
    mu, sd = np.atleast_2d(mu).astype(float), np.atleast_2d(sd).astype(float)
    r, w = np.asarray(r, dtype=float).reshape(-1), np.asarray(w, dtype=float).reshape(-1)
    out = np.empty_like(mu)
    exact = ~(sd > 0).any(axis=1)
    if exact.any():
        out[exact] = w[exact, None] * log_effective(mu[exact], r[exact])
    rows = np.flatnonzero(~exact)
    if rows.size:
        # the what-if path changes one item at a time: every other row is remembered
        keys = {i: (mu[i].tobytes(), sd[i].tobytes(), r[i], w[i]) for i in rows}
        todo = []
        for i, key in keys.items():
            known = caches.TILTS.get(key)
            if known is None:
                todo.append(i)
            else:
                out[i] = known
        if todo:
            out[todo] = _log_tilt_rows(mu[todo], sd[todo], r[todo], w[todo])
            for i in todo:
                caches.TILTS.put(keys[i], out[i].copy())
    return out


def _log_tilt_rows(mu, sd, r, w):
    """``log c`` of rows with at least one uncertain entry, in memory-bounded chunks.

    Entries that are exact at the same value (typically every hypothesis an item does not
    name) are one column: ``max_g X_g`` and every ``X_h - max_g X_g`` are the same without
    the repeats, so ``c`` is computed once for them.
    """
    out = np.empty_like(mu)
    rows = np.arange(mu.shape[0])
    n_h = mu.shape[1]
    rep = first_alike(mu, sd)
    kept = rep == np.arange(n_h)
    width = kept.sum(axis=1)
    n_unc = (sd > 0).sum(axis=1)
    jobs = []
    for u, m in np.unique(np.stack([n_unc, width], axis=1), axis=0):
        same = rows[(n_unc == u) & (width == m)]  # rows alike in shape, together
        per_row = m * u * (_D_BREAKS.size * u + _UNIFORM_BREAKS + 8) * _GL_X.size
        chunk = max(1, 2_000_000 // per_row)
        jobs += [(same[start : start + chunk], m) for start in range(0, same.size, chunk)]

    def job(idx: np.ndarray, m: int) -> None:
        cols = np.argsort(~kept[idx], axis=1, kind="stable")[:, :m]  # kept, in order
        vals = _tilt_uncertain(
            *(np.take_along_axis(x[idx], cols, axis=1) for x in (mu, sd)), r[idx], w[idx]
        )
        position = np.cumsum(kept[idx], axis=1) - 1  # of each kept entry among the kept
        out[idx] = np.take_along_axis(vals, np.take_along_axis(position, rep[idx], axis=1), axis=1)

    if len(jobs) == 1:
        job(*jobs[0])
    else:  # numpy and scipy release the GIL over large arrays: two chunks at a time
        pool = ThreadPoolExecutor(2)
        try:
            list(pool.map(job, *zip(*jobs, strict=True)))
        finally:  # on an interrupt, the chunks not started are dropped
            pool.shutdown(wait=True, cancel_futures=True)
    return out


def first_alike(mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """For every entry of rows (n, H), the first entry of its row exact at the same value.

    Uncertain entries and the first of each exact value map to themselves.

    Examples
    --------
    >>> first_alike(np.array([[0.5, 0.0, 0.0]]), np.array([[0.3, 0.0, 0.0]]))
    array([[0, 1, 1]])
    """
    exact = sd <= 0
    same = exact[:, :, None] & exact[:, None, :] & (mu[:, :, None] == mu[:, None, :])
    return np.argmax(same | np.eye(mu.shape[1], dtype=bool), axis=2)


def _tilt_uncertain(mu, sd, r, w):
    n, n_h = mu.shape
    with np.errstate(divide="ignore"):
        log_r, log_1mr = np.log(r)[:, None], np.log1p(-r)[:, None]
    unc = sd > 0
    other = ~np.eye(n_h, dtype=bool)[None]  # (1, h, g)
    exact_other = other & ~unc[:, None, :]
    d0 = np.where(exact_other, mu[:, None, :], -np.inf).max(axis=2)  # (n, h): atom of D
    # the uncertain entries only, first (items often name few hypotheses): g runs over u
    u = int(unc.sum(axis=1).max())
    cols = np.argsort(~unc, axis=1, kind="stable")[:, :u]  # (n, u)
    valid = np.take_along_axis(unc, cols, axis=1)
    unc_other = valid[:, None, :] & (cols[:, None, :] != np.arange(n_h)[None, :, None])
    wh = np.broadcast_to(w[:, None], mu.shape)
    mg = np.take_along_axis(mu, cols, axis=1)[:, None, :]  # (n, 1, u)
    sg = np.where(valid, np.take_along_axis(sd, cols, axis=1), 1.0)[:, None, :]

    # The atom: D = d0 with probability G(d0) (all uncertain others below d0).
    with np.errstate(invalid="ignore", divide="ignore"):
        log_atom = _log_cdf_others(d0[..., None], mg, sg, unc_other)[..., 0] + _log_psi(
            d0[..., None], mu[..., None], sd[..., None], log_r[..., None], log_1mr[..., None],
            wh[..., None],
        )[..., 0]  # fmt: skip
    log_atom = np.where(np.isfinite(d0), log_atom, -np.inf)

    # The density of D above d0, where some other entry is uncertain: those pairs only
    log_cont = np.full((n, n_h), -np.inf)
    i, h = np.nonzero(unc_other.any(axis=2))
    if i.size:
        pair = (i, h)
        log_cont[pair] = _log_continuous(
            mu[pair][:, None], sd[pair][:, None], wh[pair][:, None], log_r[i], log_1mr[i],
            mg[i], sg[i], unc_other[pair][:, None, :], d0[pair][:, None],
        )[:, 0]  # fmt: skip
    return np.logaddexp(log_atom, log_cont)


def _log_cdf_others(d, mg, sg, unc_other):
    """``log G(d) = sum_g log Phi((d - mu_g) / s_g)`` over the uncertain others, d (n, h, m)."""
    terms = log_ndtr((d[..., None] - mg[:, :, None, :]) / sg[:, :, None, :])
    return np.where(unc_other[:, :, None, :], terms, 0.0).sum(axis=-1)


def _log_continuous(mh, sh, wh, log_r, log_1mr, mg, sg, unc_other, d0):
    """``log E[psi(D); D > d0]``: the density of ``D = max`` of the uncertain others above
    the atom, ``g_D(d) = G(d) * sum_g pdf_g(d) / Phi_g(d)``, by composite Gauss-Legendre.

    Shapes: ``mh, sh, wh, d0`` (n, h); ``log_r, log_1mr`` (n, 1); ``mg, sg`` (n, 1, u);
    ``unc_other`` (n, h, u), with at least one uncertain other in every (n, h).
    """
    n, n_h = mh.shape
    u = mg.shape[2]
    big = np.where(unc_other, mg + _TAIL * sg, -np.inf).max(axis=2)
    low = np.where(unc_other, mg - _TAIL * sg, -np.inf).max(axis=2)
    lo, hi = np.maximum(low, d0), np.maximum(big, d0)
    shift = wh[..., None] * np.where(unc_other, sg, 0.0) ** 2  # where psi tilts D's bulk
    centres = np.concatenate(
        [
            np.broadcast_to(
                mg[..., None] + sg[..., None] * _D_BREAKS, (n, n_h, u, _D_BREAKS.size)
            ).reshape(n, n_h, -1),
            mg - shift,
            mh[..., None] + sh[..., None] * np.array([-2.0, 0.0, 2.0]),
        ],
        axis=2,
    )
    centres = np.where(
        np.concatenate(
            [np.repeat(unc_other, _D_BREAKS.size, axis=2), unc_other, np.ones((n, n_h, 3), bool)],
            axis=2,
        ),
        centres,
        lo[..., None],
    )
    uniform = lo[..., None] + (hi - lo)[..., None] * np.linspace(0, 1, _UNIFORM_BREAKS)
    edges = np.sort(
        np.clip(np.concatenate([centres, uniform], axis=2), lo[..., None], hi[..., None]), axis=2
    )
    d, dw = _gauss_legendre(edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (d[..., None] - mg[:, :, None, :]) / sg[:, :, None, :]
        hazard = -0.5 * z**2 - 0.5 * np.log(2 * np.pi) - np.log(sg[:, :, None, :]) - log_ndtr(z)
        log_hazard = _lse(np.where(unc_other[:, :, None, :], hazard, -np.inf), axis=-1)
        log_dens = _log_cdf_others(d, mg, sg, unc_other) + log_hazard + np.log(dw)
        log_psi = _log_psi(
            d, mh[..., None], sh[..., None], log_r[..., None], log_1mr[..., None], wh[..., None]
        )
        return _lse(log_psi + log_dens, axis=-1)


def _log_psi(d, m, s, log_r, log_1mr, w):
    """log E[phi(min(0, X - d))], X ~ Normal(m, s) (s = 0: X = m); arrays broadcast."""
    exact = s <= 0
    z_exact = np.minimum(m - d, 0.0)
    out = _log_phi(z_exact, log_r, log_1mr, w)
    if exact.all():
        return out
    s1 = np.where(exact, 1.0, s)
    r_one = log_1mr == -np.inf
    w_one = w == 1.0

    def log_a(wt):  # log E[e^{wt min(0, X - d)}], closed form (lognormal partial expectation)
        return np.logaddexp(
            log_ndtr((m - d) / s1),
            wt * (m - d) + 0.5 * (wt * s1) ** 2 + log_ndtr((d - m - wt * s1**2) / s1),
        )

    closed = np.where(r_one, log_a(w), np.logaddexp(log_1mr, log_r + log_a(1.0)))
    out = np.where(exact, out, closed)
    numeric = ~exact & ~r_one & ~w_one
    if numeric.any():
        # only where needed: the numeric integral costs ~70 times the closed form
        numeric = np.broadcast_to(numeric, out.shape)
        args = (np.broadcast_to(x, out.shape)[numeric] for x in (d, m, s1, log_r, log_1mr, w))
        out[numeric] = _log_psi_numeric(*args)
    return out


def _log_psi_numeric(d, m, s, log_r, log_1mr, w):
    """log psi for r < 1 and w < 1: P(X >= d) + integral_{-inf}^{d} phi(x - d) f(x) dx."""
    d, m, s, log_r, log_1mr, w = np.broadcast_arrays(d, m, s, log_r, log_1mr, w)
    lo = m - _TAIL * s
    hi = np.maximum(np.minimum(d, m + _TAIL * s), lo)
    edges = lo[..., None] + (hi - lo)[..., None] * np.linspace(0, 1, 7)
    x, xw = _gauss_legendre(edges, _GL12_X, _GL12_W)
    with np.errstate(divide="ignore"):
        log_f = -0.5 * ((x - m[..., None]) / s[..., None]) ** 2 - np.log(
            s[..., None] * np.sqrt(2 * np.pi)
        )
        below = _lse(
            _log_phi(x - d[..., None], log_r[..., None], log_1mr[..., None], w[..., None])
            + log_f
            + np.log(xw),
            axis=-1,
        )
    return np.logaddexp(log_ndtr((m - d) / s), below)


def logit_normal_mean(mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``E[expit(X)]`` for ``X ~ Normal(mean, sd)`` (any shape; sd 0 = exact), by 64-point
    Gauss-Hermite quadrature: the mean of a probability given as a 90% interval.

    Examples
    --------
    >>> float(logit_normal_mean(np.array(0.0), np.array(1.0)))
    0.5
    """
    mean, sd = np.asarray(mean, dtype=float), np.asarray(sd, dtype=float)
    nodes = mean[..., None] + np.sqrt(2.0) * sd[..., None] * _GH_X
    return expit(nodes) @ _GH_W / np.sqrt(np.pi)


normal_params = _normal_params
"""``(mean, sd)`` of a number or 90% interval on a transformed scale (``np.log``, ``logit``)."""
logit = _logit


def expected_p_outcome(a: Arrays) -> np.ndarray:
    """``E[p_h]``: P(outcome | h), logit-normal ones averaged by Gauss-Hermite quadrature."""
    return logit_normal_mean(a.p_mean, a.p_sd)


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

    ``log E[pi_h] + sum_{i<=k} log E[Lr_i(h) ** w_i(k)]`` (MODEL.md, "The probability").
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


# ----------------------------------------------------------------------------- PyMC model
def build_model(scenario: Scenario, step: int | None = None):
    """The PyMC model of MODEL.md ("The PyMC model") at step ``k``.

    Every uncertain input is a random variable: ``pi ~ Dirichlet(kappa * prior)`` (when
    ``prior_strength`` is set), ``logit p_h ~ Normal`` and ``log L_i(h) ~ Normal``
    (non-centred: ``log_likelihood = mu + sd * z``, exact entries have ``sd = 0``).
    The hypothesis is marginalised in one potential,
    ``logsumexp_h(log pi_h + sum_i w_i log Lr_i(h))``. All numbers are ``pm.Data``
    (``weight`` holds ``w_i(k)``, 0 for items not yet seen), so one compiled model serves
    every step and every scenario of the same shape.

    Parameters
    ----------
    scenario : Scenario
    step : int, optional
        How many items have been seen (default: all).

    Returns
    -------
    pymc.Model
        coords ``hypothesis`` and ``evidence``; deterministics ``p_hypothesis``
        (``P(h | E, theta)``) and ``p_outcome`` (``P(Y | E, theta)``).

    Examples
    --------
    >>> with build_model(scenario, step=3):  # doctest: +SKIP
    ...     idata = pm.sample(nuts_sampler="nutpie")
    """
    a = encode(scenario)
    step = a.n_items if step is None else step
    if not 0 <= step <= a.n_items:
        raise ValueError(f"step must be in 0..{a.n_items}, got {step}")
    return _pymc_model(a, scenario.hypotheses, scenario.ids, step)


def model_data(a: Arrays, step: int) -> dict[str, np.ndarray]:
    """The ``pm.Data`` values of :func:`build_model` for arrays ``a`` at ``step``."""
    data = {
        "prior": a.prior,
        "p_mean": a.p_mean,
        "p_sd": a.p_sd,
        "weight": step_weights(a, step),
        "mu": a.mu,
        "sd": a.sd,
        "reliability": a.r,
    }
    if a.kappa is not None:
        data["prior_strength"] = np.asarray(a.kappa, dtype=float)
    return data


def _pymc_model(a: Arrays, hypotheses, ids, step: int):
    import pymc as pm
    import pytensor.tensor as pt

    coords = {"hypothesis": list(hypotheses), "evidence": list(ids)}
    d = model_data(a, step)
    with pm.Model(coords=coords) as model:
        prior = pm.Data("prior", d["prior"], dims="hypothesis")
        if a.kappa is not None:
            kappa = pm.Data("prior_strength", d["prior_strength"])
            pi = pm.Dirichlet("pi", a=kappa * prior, dims="hypothesis")
            log_pi = pt.log(pi)
        else:
            log_pi = pt.log(prior)
        p_mean = pm.Data("p_mean", d["p_mean"], dims="hypothesis")
        p_sd = pm.Data("p_sd", d["p_sd"], dims="hypothesis")
        z_p = pm.Normal("z_p_outcome", 0.0, 1.0, dims="hypothesis")
        p = pm.math.sigmoid(p_mean + p_sd * z_p)
        log_post = log_pi
        if a.n_items:
            w = pm.Data("weight", d["weight"], dims="evidence")
            mu = pm.Data("mu", d["mu"], dims=("evidence", "hypothesis"))
            sd = pm.Data("sd", d["sd"], dims=("evidence", "hypothesis"))
            r = pm.Data("reliability", d["reliability"], dims="evidence")
            z = pm.Normal("z_likelihood", 0.0, 1.0, dims=("evidence", "hypothesis"))
            # a point likelihood of 0 is log L = -inf: kept out of the arithmetic, so that no
            # gradient meets inf - inf or 0 * inf
            impossible = pt.isinf(mu)
            log_lik = pm.Deterministic(
                "log_likelihood",
                pt.switch(impossible, -np.inf, pt.switch(impossible, 0.0, mu) + sd * z),
                dims=("evidence", "hypothesis"),
            )
            rel = log_lik - pt.max(log_lik, axis=1, keepdims=True)
            # log(r e^rel + 1 - r); r = 1 would give log(0) in the second term: use a tiny floor
            # there and pick the exact branch, so that no gradient meets -inf.
            one = pt.ge(r, 1.0)[:, None]
            log_1mr = pt.log(pt.switch(pt.ge(r, 1.0), 1.0, 1.0 - r))[:, None]
            mixed = pt.logaddexp(pt.log(r)[:, None] + rel, log_1mr)
            log_lr = pt.switch(one, rel, mixed)
            seen = pt.gt(w, 0.0)[:, None]  # items not yet seen: weight 0, even where log Lr = -inf
            log_post = log_post + pt.sum(pt.switch(seen, w[:, None] * log_lr, 0.0), axis=0)
        pm.Potential("evidence_given_hypothesis", pt.logsumexp(log_post))
        post = pm.Deterministic("p_hypothesis", pt.special.softmax(log_post), dims="hypothesis")
        pm.Deterministic("p_outcome", pt.sum(post * p))
    return model


@cache
def _nuts_structure(n_items: int, n_h: int, has_kappa: bool):
    """One compiled nutpie model per structure (sizes); the numbers are fed as data."""
    import nutpie

    shape = Arrays(
        prior=np.full(n_h, 1.0 / n_h),
        kappa=1.0 if has_kappa else None,
        p_mean=np.zeros(n_h),
        p_sd=np.ones(n_h),
        mu=np.zeros((n_items, n_h)),
        sd=np.ones((n_items, n_h)),
        r=np.ones(n_items),
        group=-np.ones(n_items, dtype=int),
        rho=np.zeros(0),
    )
    ids = [f"e{i}" for i in range(n_items)]
    model = _pymc_model(shape, [f"h{j}" for j in range(n_h)], ids, n_items)
    return nutpie.compile_pymc_model(model)


def compiled_nuts_model(a: Arrays, step: int):
    """The compiled nutpie model for ``a`` at ``step`` (compiled once per structure)."""
    compiled = _nuts_structure(a.n_items, a.n_hypotheses, a.kappa is not None)
    data = model_data(a, step)
    if not a.n_items:
        data = {k: v for k, v in data.items() if k in {"prior", "p_mean", "p_sd", "prior_strength"}}
    return compiled.with_data(**data)
