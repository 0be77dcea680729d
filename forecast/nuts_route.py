"""The NUTS route: the PyMC model (:mod:`forecast.pymc_model`) sampled with nutpie, row by row.

A row is one posterior: the items' weights ``w_i`` (0 for items not seen, or retracted) and,
with a deadline, the survival term's data of its day (:func:`forecast.pymc_model.survival_data`).
Without time the rows are the steps; with time they are the trajectory's rows
(:func:`time_rows`). Every row is sampled with the one compiled model of its structure.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .asof import AsOf, epochs, timeline_rows
from .constants import ESS_MIN, RHAT_MAX
from .errors import ForecastWarning
from .model import Arrays, encode, step_weights, subset_weights
from .pymc_model import compiled_nuts_model, survival_data
from .result_schema import BAND
from .timing import day_number, timing_of

__all__ = ["NutsRow", "nuts_rows", "step_rows", "time_rows"]

NutsRow = tuple[np.ndarray, "dict[str, np.ndarray] | None"]
"""One row: the items' weights (N,) and the survival data (None without a deadline)."""


def step_rows(a: Arrays) -> list[NutsRow]:
    """The rows of a run without time: step ``k`` has weights ``w_i(k)``, no survival term.

    Examples
    --------
    >>> len(step_rows(encode(scenario))) == encode(scenario).n_items + 1  # doctest: +SKIP
    True
    """
    return [(step_weights(a, k), None) for k in range(a.n_items + 1)]


def time_rows(as_of: AsOf) -> list[NutsRow]:
    """The rows of a run with time (:func:`forecast.asof.timeline_rows`), on the known items.

    A row of epoch ``e`` at step ``k`` weighs the first ``k`` items of the epoch's scenario
    (retracted items weigh 0; a group's ranks are those without them, as
    :func:`forecast.model.subset_weights` gives); with a deadline, the survival term of the
    row's day (the prior row: ``opened``).

    Examples
    --------
    >>> kinds = [s is None for _, s in time_rows(resolve_as_of(scenario))]  # doctest: +SKIP
    """
    known = as_of.known
    a = encode(known)
    rows = timeline_rows(known, as_of.day)
    eps = epochs(known, as_of.day)
    timing = timing_of(known.priors, a.p_mean, a.p_sd)
    out: list[NutsRow] = []
    for e, k, d in zip(rows.epoch, rows.step, rows.day, strict=True):
        seen = {x.id for x in eps[e].evidence[:k]}
        w = subset_weights(a, np.array([i in seen for i in known.ids], dtype=bool))
        survival = None
        if timing.deadline is not None:
            survival = survival_data(a, timing, day_number(d) if d else timing.opened)
        out.append((w, survival))
    return out


def nuts_rows(
    a: Arrays,
    rows: Sequence[NutsRow],
    draws: int,
    seed: int,
    progress=None,
    *,
    chains: int = 4,
) -> tuple[dict[str, Any], np.ndarray, dict[str, np.ndarray]]:
    """Sample every row with nutpie; the stats, draws and diagnostics :func:`forecast.run` keeps.

    Row ``r`` is sampled with seed ``seed + r``, ``chains`` chains of ``max(draws // chains,
    100)`` draws after 1000 tuning steps. A failed R-hat or ESS check, or divergences, warn
    (ForecastWarning).

    Returns
    -------
    stats : dict
        Per row: ``p_outcome`` (the draws' mean), ``p_hypothesis``, the band's ends, their MCSE
        (ArviZ); ``final``: the last row's per-draw ``p_hypothesis`` and ``p_given_hypothesis``.
    band : (chains, draws per chain, rows) array
        The draws of ``P(Y | E, theta)`` (with a deadline, given no event by the row's day).
    diag : dict
        ``r_hat``, ``ess_bulk`` and ``divergences`` per row.

    Examples
    --------
    >>> stats, band, diag = nuts_rows(a, step_rows(a), 4000, 0)  # doctest: +SKIP
    """
    n_rows = len(rows)
    keys = ("p_outcome", "p_outcome_low", "p_outcome_high", "mcse", "mcse_low", "mcse_high")
    stats: dict[str, Any] = {k: np.empty(n_rows) for k in keys}
    stats["p_hypothesis"] = np.empty((n_rows, a.n_hypotheses))
    per_chain = max(draws // chains, 100)
    band = np.empty((chains, per_chain, n_rows), dtype=np.float32)
    diag = {"r_hat": np.empty(n_rows), "ess_bulk": np.empty(n_rows)}
    divergences = np.zeros(n_rows, dtype=int)
    for k, (weight, survival) in enumerate(rows):
        trace = _sample(a, k, weight, survival, per_chain, chains, seed + k)
        post = trace["posterior"]
        y = post["p_outcome"].values  # (chain, draw)
        if k == n_rows - 1 and "z_p_outcome" in post:  # the last row's draws, as the fast route
            given = post.get("p_given_hypothesis")
            stats["final"] = {
                "p_hypothesis": post["p_hypothesis"].values,
                "p_given_hypothesis": a.p_given_hypothesis(post["z_p_outcome"].values)
                if given is None else given.values,
            }  # fmt: skip
        band[..., k] = y
        stats["p_hypothesis"][k] = post["p_hypothesis"].values.mean(axis=(0, 1))
        _summarise(y, k, stats, diag)
        if "sample_stats" in trace.children:
            divergences[k] = int(trace["sample_stats"]["diverging"].values.sum())
        if progress is not None:
            progress(k, n_rows - 1)
    diag["divergences"] = divergences
    _warn(diag)
    return stats, band, diag


def _sample(a: Arrays, k: int, weight, survival, per_chain: int, chains: int, seed: int):
    import nutpie

    return nutpie.sample(
        compiled_nuts_model(a, 0, weight=weight, survival=survival),
        draws=per_chain,
        tune=1000,
        chains=chains,
        cores=chains,
        seed=seed,
        progress_bar=False,
    )


def _summarise(y: np.ndarray, k: int, stats: dict, diag: dict) -> None:
    """Row ``k``'s mean, band, MCSE (ArviZ) and R-hat/ESS from the draws ``y`` (chain, draw)."""
    import arviz_stats as az

    stats["p_outcome"][k] = y.mean()
    stats["p_outcome_low"][k], stats["p_outcome_high"][k] = np.quantile(y, BAND)
    stats["mcse"][k] = float(az.mcse(y, method="mean"))
    stats["mcse_low"][k] = float(az.mcse(y, method="quantile", prob=BAND[0]))
    stats["mcse_high"][k] = float(az.mcse(y, method="quantile", prob=BAND[1]))
    exact = np.ptp(y) < 1e-12  # exact inputs: every draw is the same number
    diag["r_hat"][k] = 1.0 if exact else float(az.rhat(y))
    diag["ess_bulk"][k] = y.size if exact else float(az.ess(y, method="bulk"))


def _warn(diag: dict) -> None:
    """A ForecastWarning for failed R-hat/ESS checks and for divergences."""
    n_rows = diag["r_hat"].size
    bad = [
        f"step {k}: R-hat {diag['r_hat'][k]:.3f}, ESS {diag['ess_bulk'][k]:.0f}"
        for k in range(n_rows)
        if diag["r_hat"][k] > RHAT_MAX or diag["ess_bulk"][k] < ESS_MIN
    ]
    if bad:
        warnings.warn(
            f"NUTS diagnostics failed (need R-hat <= {RHAT_MAX}, ESS >= {ESS_MIN}): "
            + "; ".join(bad[:5]),
            ForecastWarning,
            stacklevel=5,
        )
    divergences = diag["divergences"]
    if divergences.any():
        warnings.warn(
            f"NUTS reported {divergences.sum()} divergent transitions "
            f"(steps {np.flatnonzero(divergences).tolist()[:10]})",
            ForecastWarning,
            stacklevel=5,
        )
