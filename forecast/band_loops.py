"""Compiled loops (numba) for the band of large scenarios.

The vectorised sampler (:func:`forecast.band.sample_tilted`) draws whole arrays per item
and hypothesis; with thousands of items its per-call overhead and its passes over memory
dominate. These loops take the same proposals one draw at a time, fused with the effective
log-likelihood and added straight into the running totals, and only for the (draw,
hypothesis) pairs that a later step uses. Imported only for large scenarios: loading numba
and the cached machine code costs about 0.3 s.
"""

from __future__ import annotations

import math

import numba
import numpy as np


def _jit(fn):
    """``numba.njit``, releasing the GIL, with the machine code cached on disk.

    Cached where numba finds a writable place (beside this file or in the user's cache); else compiled afresh
    in each process (a few seconds).
    """
    try:
        return numba.njit(cache=True, nogil=True, error_model="numpy")(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(nogil=True, error_model="numpy")(fn)


jit = _jit
"""The compiling decorator of these loops, for the other compiled loops of the package."""


@_jit
def _log_add(a: float, b: float) -> float:
    """``log(e^a + e^b)``."""
    if a < b:
        a, b = b, a
    if b == -math.inf:
        return a
    return a + math.log1p(math.exp(b - a))


@_jit
def _fill(x, mu, sd, unc, exact_top, rng, h=-1, shift_h=0.0, g=-1, shift_g=0.0):
    """Draw the uncertain entries ``unc`` of ``x``: ``mu + sd * N(0, 1)``, moved.

    Moved by ``shift_h`` at ``h`` and ``shift_g`` at ``g``.

    The exact entries of ``x`` hold their values already, the largest being ``exact_top``.
    Returns ``max(x)`` (by a loop: ``x.max()`` costs as much again as the draw).
    """
    top = exact_top
    for j in unc:
        v = mu[j] + sd[j] * rng.standard_normal()
        if j == h:
            v += shift_h
        elif j == g:
            v += shift_g
        x[j] = v
        top = max(top, v)
    return top


@_jit
def draw_tilted(x, mu, sd, h, g_star, w, r, prior_mode, p_flat, unc, exact_top, rng):
    """One exact draw of an item's log-likelihoods from its prior tilted by ``Lr(h) ** w``.

    The proposals of :func:`forecast.band.sample_tilted`: the prior (``prior_mode``), or
    the mixture ``prior * ((1-r)^w + r^w e^{w z})`` with its tilted part drawn from normals
    moved toward ``h`` and away from ``g_star`` and thinned by ``e^{w (x[g_star] - max x)}``.
    Writes the draw into ``x`` (H,), whose exact entries hold their values already (the
    largest ``exact_top``; ``unc`` lists the others), and returns ``max(x)``.
    """
    shift_h, shift_g = (w * sd[h] ** 2, -w * sd[g_star] ** 2) if g_star != h else (0.0, 0.0)
    while True:
        if prior_mode or rng.random() < p_flat:
            top = _fill(x, mu, sd, unc, exact_top, rng)
        else:
            top = _fill(x, mu, sd, unc, exact_top, rng, h, shift_h, g_star, shift_g)
            while rng.random() >= math.exp(w * (x[g_star] - top)):
                top = _fill(x, mu, sd, unc, exact_top, rng, h, shift_h, g_star, shift_g)
        z = x[h] - top
        if prior_mode and w == 1.0:  # accept with probability Lr(h) = (1 - r) + r e^z
            if (r < 1.0 and rng.random() < 1.0 - r) or rng.standard_exponential() > -z:
                return top
        elif prior_mode:  # with probability Lr(h) ** w
            if rng.random() < (r * math.exp(z) + (1.0 - r)) ** w:
                return top
        else:  # with probability Lr(h) ** w / ((1 - r)^w + r^w e^{w z}), in logs
            log_1mr = math.log1p(-r) if r < 1.0 else -math.inf
            log_target = w * z if r >= 1.0 else w * math.log(r * math.exp(z) + (1.0 - r))
            log_bound = _log_add(w * log_1mr, w * (math.log(r) + z))
            if rng.random() < math.exp(log_target - log_bound):
                return top


@_jit
def add_item(out, last_k, k, mu, sd, rep, r, w, prior_mode, g_star, p_flat, rng):
    """Add one item's ``w log Lr`` draws to ``out`` (S, H, H) where a step >= k uses them.

    ``out[s, h]`` is the running total of draw ``s`` given hypothesis ``h``; the pair is
    used when ``last_k[h, s] >= k``. Hypotheses that the item leaves exact at the same
    value (typically all it does not name) tilt its prior alike, so they share one draw:
    ``rep`` (H,) maps each to the first of them (:func:`forecast.quadrature.first_alike`).
    """
    n_h = mu.shape[0]
    n_draws = out.shape[0]
    unc = np.flatnonzero(sd > 0.0)
    x = mu.copy()  # exact entries keep these values
    exact_top = -math.inf
    for g in range(n_h):
        if sd[g] == 0.0:
            exact_top = max(exact_top, mu[g])
    distinct = np.flatnonzero(rep == np.arange(n_h))
    v = np.empty(n_h)
    for h0 in distinct:
        for s in range(n_draws):
            used = False
            for h in range(h0, n_h):
                if rep[h] == h0 and last_k[h, s] >= k:
                    used = True
                    break
            if not used:
                continue
            top = draw_tilted(
                x, mu, sd, h0, g_star[h0], w, r, prior_mode[h0], p_flat[h0], unc, exact_top, rng
            )
            for j in distinct:
                z = x[j] - top
                v[j] = w * z if r >= 1.0 else w * math.log(r * math.exp(z) + (1.0 - r))
            for h in range(h0, n_h):
                if rep[h] == h0 and last_k[h, s] >= k:
                    for g in range(n_h):
                        out[s, h, g] += v[rep[g]]


@_jit
def predict_step(out, h_of, log_pi, const, drawn, p):
    """``P(Y | E_1..k, theta)`` of every draw at one step, into ``out`` (S,).

    Draw ``s`` has hypothesis ``h = h_of[s]``; its log posterior over ``g`` is
    ``log_pi[h, s, g] + const[g] + drawn[s, h, g]`` (up to a constant), and the answer is
    the posterior's average of ``p[s, g]``.
    """
    n_h = const.shape[0]
    t = np.empty(n_h)
    for s in range(out.shape[0]):
        h = h_of[s]
        top = -math.inf
        for g in range(n_h):
            t[g] = log_pi[h, s, g] + const[g] + drawn[s, h, g]
            top = max(top, t[g])
        num = 0.0
        den = 0.0
        for g in range(n_h):
            e = math.exp(t[g] - top)
            num += e * p[s, g]
            den += e
        out[s] = num / den


@_jit
def free_steps(
    k0, k1, out, mu, sd, rep, r, uncertain, exact_add, proposals, last_k, h_of, log_pi, const,
    drawn, p, rng,
):  # fmt: skip
    """Steps ``k0 .. k1 - 1`` whose items are in no group (weight 1), and their predictives.

    Step ``k`` adds item ``k - 1``: drawn into ``drawn`` by :func:`add_item` if uncertain,
    its exact ``log Lr`` row ``exact_add[k - 1]`` to ``const`` otherwise (step 0 adds
    nothing). ``proposals`` is ``(prior_mode, g_star, p_flat)``, (N, H) each.
    """
    prior_mode, g_star, p_flat = proposals
    for k in range(k0, k1):
        i = k - 1
        if i >= 0 and uncertain[i]:
            add_item(drawn, last_k, k, mu[i], sd[i], rep[i], r[i], 1.0, prior_mode[i],
                     g_star[i], p_flat[i], rng)  # fmt: skip
        elif i >= 0:
            for g in range(const.shape[0]):
                const[g] += exact_add[i, g]
        predict_step(out[k], h_of[k], log_pi, const, drawn, p)
