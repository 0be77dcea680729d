"""Rejection sampling of one item's log-likelihoods tilted toward a hypothesis.

The proposal and the accept loop of :func:`forecast.band.sample_tilted` (docs/model.md,
the judgement band): split out of ``band.py`` to keep it under 800 lines.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .quadrature import row_max

__all__ = ["accept_rows", "tilted_proposal"]


def tilted_proposal(
    mu: np.ndarray,
    sd: np.ndarray,
    r: float,
    w: float,
    h: int,
    rng: np.random.Generator,
    prior_mode: bool,
    g_star: int,
    log_norm: float,
) -> tuple[Callable[[int], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """The proposal and log acceptance of :func:`forecast.band.sample_tilted`.

    Parameters
    ----------
    mu, sd, r, w, h
        The item's log-likelihood means and sds (H,), reliability, weight and conditioning
        hypothesis, as :func:`forecast.band.sample_tilted` takes them.
    rng : numpy Generator
        Drawn from by the proposal.
    prior_mode, g_star, log_norm
        The item's proposal at ``h`` (``forecast.band``'s ``_proposals``).

    Returns
    -------
    propose, log_accept : callables
        ``propose(m)`` gives (m, H) draws of ``log L``; ``log_accept(z)``,
        ``z = X_h - max_g X_g``, their log acceptance: the plain prior with acceptance the
        tilt itself when ``prior_mode``, else the mixture proposal of ``sample_tilted``'s Notes.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> propose, log_accept = tilted_proposal(
    ...     np.zeros(2), np.ones(2), 1.0, 1.0, 0, rng, True, 1, 0.0
    ... )
    >>> propose(3).shape
    (3, 2)
    """
    n_h = mu.shape[0]
    cols = np.flatnonzero(sd > 0)
    with np.errstate(divide="ignore"):
        log_r, log_1mr = np.log(r), np.log1p(-r)
    log_flat = w * log_1mr  # the floor (1 - r)^w of the tilt

    def rows(m: int, centre: np.ndarray) -> np.ndarray:  # normal draws of the uncertain entries
        x = np.empty((m, n_h))
        x[:] = centre
        x[:, cols] += sd[cols] * rng.standard_normal((m, cols.size))
        return x

    def log_target(z: np.ndarray) -> np.ndarray:  # w log Lr(h), z = X_h - max_g X_g
        return w * z if r >= 1 else w * np.logaddexp(log_r + z, log_1mr)

    def prior(m: int) -> np.ndarray:
        return rows(m, mu)

    if prior_mode:
        return prior, log_target
    shift = np.zeros(n_h)
    if g_star != h:
        shift[h], shift[g_star] = w * sd[h] ** 2, -w * sd[g_star] ** 2

    def tilted(m: int) -> np.ndarray:  # prior * e^{w z}, by rejection
        out = np.empty((0, n_h))
        while out.shape[0] < m:
            batch = max(2 * (m - out.shape[0]), 64)
            x = rows(batch, mu + shift)
            keep = np.log(rng.random(batch)) < w * (x[:, g_star] - row_max(x))
            out = np.vstack([out, x[keep]])
        return out[:m]

    def propose(m: int) -> np.ndarray:
        n_flat = rng.binomial(m, np.exp(log_flat - log_norm))
        x = np.vstack([prior(n_flat), tilted(m - n_flat)])
        return x[rng.permutation(m)]

    def log_accept(z: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            bound = np.logaddexp(log_flat, w * (log_r + z))
        return log_target(z) - bound

    return propose, log_accept


def accept_rows(
    propose: Callable[[int], np.ndarray],
    log_accept: Callable[[np.ndarray], np.ndarray],
    rate: float,
    h: int,
    shape: tuple[int, int],
    rng: np.random.Generator,
) -> np.ndarray:
    """Rejection sampling: ``shape = (size, H)`` accepted rows of ``propose``.

    Each row ``x`` is kept with probability ``exp(log_accept(x[h] - max(x)))``, in batches
    sized by the expected acceptance ``rate`` (a probability).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> propose = lambda m: rng.standard_normal((m, 2))
    >>> accept_rows(propose, lambda z: np.zeros_like(z), 1.0, 0, (5, 2), rng).shape
    (5, 2)
    """
    size = shape[0]
    out = np.empty((0, shape[1]))
    while out.shape[0] < size:
        need = size - out.shape[0]
        batch = int(min(need / max(rate, 1e-6) * 1.2 + 64, 5_000_000))
        x = propose(batch)
        keep = np.log(rng.random(batch)) < log_accept(x[:, h] - row_max(x))
        out = np.vstack([out, x[keep]])
    return out[:size]
