"""The result's steps and the log-space helpers the analyses share (no drawing)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .model import (
    Arrays,
)
from .result_schema import (
    EVIDENCE,
    TRAJECTORY,
    dataset,
)

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


def p_hypothesis(finite: np.ndarray, ruled_out: np.ndarray) -> np.ndarray:
    """Normalised probabilities (..., H) from unnormalised log values in split form."""
    log_p = np.where(ruled_out > 0, -np.inf, finite)
    top = log_p.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    p = np.exp(log_p - top)
    return p / p.sum(axis=-1, keepdims=True)


def log_prior(a: Arrays) -> np.ndarray:
    """Return ``ln`` of the prior of every hypothesis (H,): ``-inf`` where it is 0, no warning."""
    with np.errstate(divide="ignore"):
        return np.log(a.prior)


def final_band(result: xr.DataTree) -> tuple[float, float, float]:
    """The outcome's probability after the last item and its band, ``(p, low, high)``."""
    t = dataset(result, TRAJECTORY)
    p, low, high = (float(t[k][-1]) for k in ("p_outcome", "p_outcome_low", "p_outcome_high"))
    return p, low, high
