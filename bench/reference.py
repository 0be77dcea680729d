"""Independent high-precision reference: importance sampling from the prior (MODEL.md).

``P(Y | E_1..k) = E_prior[sum_h pi_h Lambda_h(k) p_h] / E_prior[sum_h pi_h Lambda_h(k)]`` with
``Lambda_h(k) = prod_{i<=k} Lr_i(h)^{w_i(k)}``, theta drawn from its prior. The band is the weighted
5%/95% quantile of ``P(Y | E_1..k, theta)``. Numpy only; no forecast model code.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp
from spec import Spec


def reference(spec: Spec, draws: int = 4_000_000, chunk: int = 250_000, seed: int = 12345):
    rng = np.random.default_rng(seed)
    n, n_h = spec.mu.shape
    steps = n + 1
    lw_all = np.empty((steps, draws))
    y_all = np.empty((steps, draws), dtype=np.float32)
    ws = [spec.weights(k) for k in range(steps)]
    for start in range(0, draws, chunk):
        m = min(chunk, draws - start)
        if spec.kappa is None:
            log_pi = np.broadcast_to(np.log(spec.prior), (m, n_h))
        else:
            log_pi = np.log(rng.dirichlet(spec.kappa * spec.prior, size=m))
        p = expit(spec.p_mean + spec.p_sd * rng.standard_normal((m, n_h)))
        x = spec.mu + spec.sd * rng.standard_normal((m, n, n_h))  # log L
        z = x - x.max(axis=2, keepdims=True)
        with np.errstate(divide="ignore"):
            log_lr = np.logaddexp(np.log(spec.r)[:, None] + z, np.log1p(-spec.r)[:, None])
        for k in range(steps):
            lp = log_pi + np.einsum("i,sih->sh", ws[k], log_lr[:, :k]) if k else log_pi.copy()
            lse = logsumexp(lp, axis=1)
            lw_all[k, start : start + m] = lse
            y_all[k, start : start + m] = np.sum(np.exp(lp - lse[:, None]) * p, axis=1)
    out = {"p_outcome": [], "low": [], "high": [], "se": [], "ess": []}
    for k in range(steps):
        w = np.exp(lw_all[k] - lw_all[k].max())
        w /= w.sum()
        y = y_all[k].astype(float)
        mean = float(w @ y)
        out["p_outcome"].append(mean)
        out["se"].append(float(np.sqrt(np.sum(w**2 * (y - mean) ** 2))))
        out["ess"].append(float(1.0 / np.sum(w**2)))
        order = np.argsort(y)
        cw = np.cumsum(w[order])
        out["low"].append(float(y[order][np.searchsorted(cw, 0.05)]))
        out["high"].append(float(y[order][min(np.searchsorted(cw, 0.95), draws - 1)]))
    return out
