"""Running the model: the fast exact route and the NUTS route, both giving one DataTree.

The fast route (docs/model.md, "Computing it"): the probability at every step from per-item
expectations (:func:`forecast.model.probabilities`), the judgement band from exact draws of
``P(theta | E_1..k)`` (:func:`forecast.band.band_draws`).

The NUTS route samples :func:`forecast.pymc_model.build_model` with nutpie at every step.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Literal

import numpy as np
import xarray as xr

from .band import Progress, band_draws, band_route, workspace
from .caches import clear_caches
from .errors import ForecastWarning
from .model import Arrays, encode, expected_p_outcome, probabilities, step_weights
from .quadrature import log_expected_tilt
from .result_schema import ATTRIBUTION, BAND, build_result, with_node
from .scenario import Scenario

__all__ = [
    "BAND",
    "DEFAULT_DRAWS",
    "ForecastWarning",
    "check_draws",
    "clear_caches",
    "live_trajectory",
    "package_versions",
    "run",
]

DEFAULT_DRAWS = 4000
"""Draws of the band per step (fast route); MCSE of the draws' mean <= 0.5 / sqrt(4000)."""


# ----------------------------------------------------------------------------- summaries
def _row_std(x: np.ndarray, mean: np.ndarray, rows: int = 256) -> np.ndarray:
    """``x.std(axis=1)`` given the rows' means (about the mean: no cancellation).

    A few rows at a time: the deviations of a large ``x`` at once would take as long to
    allocate as everything else.
    """
    out = np.empty(x.shape[0])
    for start in range(0, x.shape[0], rows):
        d = x[start : start + rows] - mean[start : start + rows, None]
        out[start : start + rows] = np.einsum("ij,ij->i", d, d)
    return np.sqrt(out / x.shape[1])


def _sorted_quantile(sorted_draws: np.ndarray, q: float) -> np.ndarray:
    """``np.quantile(draws, q, axis=-1)`` (linear interpolation) of rows already sorted."""
    pos = q * (sorted_draws.shape[-1] - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, sorted_draws.shape[-1] - 1)
    return sorted_draws[..., lo] + (pos - lo) * (sorted_draws[..., hi] - sorted_draws[..., lo])


def _quantile_mcse(sorted_draws: np.ndarray, q: float) -> np.ndarray:
    """MCSE of the q-quantile of iid draws (rows sorted), from the order statistics."""
    s = sorted_draws.shape[-1]
    half = np.sqrt(q * (1 - q) / s)
    lo = int(np.clip(np.floor(s * (q - half)), 0, s - 1))
    hi = int(np.clip(np.ceil(s * (q + half)), 0, s - 1))
    return (sorted_draws[..., hi] - sorted_draws[..., lo]) / 2


# ----------------------------------------------------------------------------- routes
def _run_fast(scenario: Scenario, a: Arrays, draws: int, seed: int, progress):
    p_h, p_y = probabilities(a)
    ws = workspace()  # the band's draws are summarised and copied, never kept: reused
    final: dict = {}
    band = band_draws(
        a, scenario.ids, p_h, draws, seed, progress,
        out=ws.array("band", (a.n_items + 1, draws)), final=final,
    )  # fmt: skip
    ordered = ws.array("ordered", band.shape)
    ordered[...] = band
    ordered.sort(axis=1)
    draws_mean = band.mean(axis=1)
    stats = {
        "p_hypothesis": p_h,
        "p_outcome": p_y,
        "p_outcome_low": _sorted_quantile(ordered, BAND[0]),
        "p_outcome_high": _sorted_quantile(ordered, BAND[1]),
        "mcse": _row_std(band, draws_mean) / np.sqrt(draws),
        "mcse_low": _quantile_mcse(ordered, BAND[0]),
        "mcse_high": _quantile_mcse(ordered, BAND[1]),
        "draws_mean": draws_mean,
        "final": {key: value[None] for key, value in final.items()},  # (chain, draw, H)
    }
    _check_draws(draws_mean, stats["mcse"], p_y)
    return stats, band.T[None].astype(np.float32), {}


def _check_draws(draws_mean: np.ndarray, mcse: np.ndarray, p_y: np.ndarray) -> None:
    """The self-check of the band's draws against the exact probability (:func:`check_draws`)."""
    check_draws(draws_mean, mcse, p_y, stacklevel=5)


def check_draws(
    draws_mean: np.ndarray,
    mcse: np.ndarray,
    p_y: np.ndarray,
    *,
    what: str = "step",
    atol: float = 1e-9,
    stacklevel: int = 4,
) -> None:
    """The self-check of the band's draws against the exact probability.

    The draws' mean is an independent Monte Carlo estimate of the probability; a
    ForecastWarning where they are more than 4.5 MCSE (and ``atol``) apart, naming the
    ``what`` (``step``, or ``row`` of a run with time).

    Examples
    --------
    >>> check_draws(np.array([0.5]), np.array([0.01]), np.array([0.5]))
    """
    z = np.abs(draws_mean - p_y) / np.maximum(mcse, 1e-12)
    bad = np.flatnonzero((z > 4.5) & (np.abs(draws_mean - p_y) > atol))
    if bad.size:
        warnings.warn(
            f"Monte Carlo check failed at {what}(s) {bad.tolist()[:10]}: the band's draws "
            f"average {draws_mean[bad[0]]:.4f} but the exact probability is {p_y[bad[0]]:.4f} "
            f"({z[bad[0]]:.1f} MCSE apart)",
            ForecastWarning,
            stacklevel=stacklevel,
        )


def live_trajectory(
    a: Arrays, ids: tuple[str, ...], *, draws: int = DEFAULT_DRAWS, seed: int = 0, band: bool = True
) -> dict[str, np.ndarray]:
    """The numbers a live view shows, as :func:`run` (fast route) gives them, and no more.

    No DataTree, no MCSE of the band's ends, no sorting of every draw (the band's ends are
    order statistics, found by partition): what a what-if move needs, in a few ms for the
    bundled scenario once its items' draws are remembered.

    Parameters
    ----------
    a : Arrays
        The scenario's numbers (:func:`forecast.model.encode`).
    ids : tuple of str
        The items' ids in update order (they key the remembered draws).
    draws, seed : int
        As for :func:`run`; the same give the same numbers as :func:`run`.
    band : bool
        False: the probabilities only (the band's keys are then absent).

    Returns
    -------
    dict of arrays
        ``p_hypothesis`` (N+1, H), ``p_outcome`` (N+1,) and, with ``band``,
        ``p_outcome_low``, ``p_outcome_high`` (N+1,): equal to the same variables of
        ``run(scenario, draws=draws, seed=seed)["trajectory"]`` for the scenario ``a`` encodes.
        A failed Monte Carlo self-check warns (ForecastWarning) as :func:`run` does.

    Examples
    --------
    >>> live = live_trajectory(encode(scenario), scenario.ids)  # doctest: +SKIP
    >>> live["p_outcome"][-1], live["p_outcome_low"][-1]  # doctest: +SKIP
    (0.61, 0.42)
    """
    p_h, p_y = probabilities(a)
    out = {"p_hypothesis": p_h, "p_outcome": p_y}
    if not band:
        return out
    ws = workspace()
    draws_band = band_draws(a, ids, p_h, draws, seed, out=ws.array("band", (a.n_items + 1, draws)))
    ends = []
    for q in BAND:  # the order statistics linear interpolation needs, and no others
        pos = q * (draws - 1)
        ends += [int(np.floor(pos)), min(int(np.floor(pos)) + 1, draws - 1)]
    ordered = ws.array("ordered", draws_band.shape)
    ordered[...] = draws_band
    ordered.partition(sorted(set(ends)), axis=1)
    out["p_outcome_low"] = _sorted_quantile(ordered, BAND[0])
    out["p_outcome_high"] = _sorted_quantile(ordered, BAND[1])
    draws_mean = draws_band.mean(axis=1)
    _check_draws(draws_mean, _row_std(draws_band, draws_mean) / np.sqrt(draws), p_y)
    return out


def _run_nuts(scenario: Scenario, a: Arrays, draws: int, seed: int, progress):
    from .nuts_route import nuts_rows, step_rows

    return nuts_rows(a, step_rows(a), draws, seed, progress)


def run(
    scenario: Scenario,
    *,
    method: Literal["fast", "nuts"] = "fast",
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    progress: Progress | None = None,
    attribution: bool = False,
    as_of: str | dt.date | None = None,
) -> xr.DataTree:
    """Update the forecast with every evidence item in turn.

    Parameters
    ----------
    scenario : Scenario
        From :func:`forecast.load_scenario`.
    method : {"fast", "nuts"}
        ``"fast"``: exact probability by quadrature and exact draws for the band.
        ``"nuts"``: the PyMC model sampled with nutpie at every step (slow; a reference).
    draws : int
        Draws of ``P(Y | E, theta)`` per step for the band (NUTS: over 4 chains).
    seed : int
        The same seed gives identical numbers.
    progress : callable, optional
        Called as ``progress(step, n_steps)`` after every step.
    attribution : bool
        Also attribute the final answer to the items (:func:`forecast.shapley`): node
        ``/attribution``. Off by default (the what-if panel's warm path never needs it).
    as_of : date, "YYYY-MM-DD", "today" or None
        What was known on this day (:func:`forecast.asof.resolve_as_of`; default the
        latest item's date): later items are left out (attribute ``left_out``), with a
        deadline every day without the event counts (docs/model.md, "Time"). With
        ``opened``, a deadline, a retraction or an as-of row the trajectory's rows follow
        :mod:`forecast.asof` and the result gains ``/daily`` and ``/by_date``.

    Returns
    -------
    xarray.DataTree
        ``/trajectory`` (dims ``step``, ``hypothesis``): ``p_hypothesis``, ``p_outcome``,
        ``p_outcome_low``, ``p_outcome_high`` (the band), ``mcse``; ``/posterior``:
        ``p_outcome`` draws (``chain``, ``draw``, ``step``); ``/evidence`` (dim
        ``evidence``): the items, their final weight and effective log-likelihoods;
        with ``attribution=True``, ``/attribution`` (:func:`forecast.attribution.attribution_node`).
        Attributes: scenario hash and content, seed, method, package versions.

    Examples
    --------
    >>> result = run(load_scenario("priors.yaml", "evidence"), seed=1)  # doctest: +SKIP
    >>> float(result["trajectory"]["p_outcome"][-1])  # doctest: +SKIP
    0.61
    """
    if method not in ("fast", "nuts"):
        raise ValueError(f"method must be 'fast' or 'nuts', got {method!r}")
    if draws < 100:
        raise ValueError(f"draws must be at least 100, got {draws}")
    from .asof import resolve_as_of
    from .time_result import as_of_attrs, time_run, uses_time

    known = resolve_as_of(scenario, as_of)
    if uses_time(known):
        a = encode(known.known)
        return time_run(
            known, method=method, draws=draws, seed=seed, progress=progress,
            attribution=attribution, versions=package_versions(),
            band_route=band_route(a, draws),
        )  # fmt: skip
    scenario = known.known
    a = encode(scenario)
    route = _run_fast if method == "fast" else _run_nuts
    stats, band, diag = route(scenario, a, draws, seed, progress)
    final_w = step_weights(a, a.n_items)
    tree = build_result(
        scenario, a, stats, band, diag, method=method, draws=draws, seed=seed,
        expected_p_outcome=expected_p_outcome(a),
        weight=final_w,
        log_likelihood=log_expected_tilt(a.mu, a.sd, a.r, final_w)
        if a.n_items else np.zeros((0, len(scenario.hypotheses))),
        band_route=band_route(a, draws) if method == "fast" else "nuts",
        versions=package_versions(),
    )  # fmt: skip
    tree.attrs.update(as_of_attrs(known))
    if attribution:
        from .attribution import attribution_node, shapley

        tree = with_node(tree, ATTRIBUTION, attribution_node(shapley(a, seed=seed), a, scenario))
    return tree


# ----------------------------------------------------------------------------- result
@cache
def package_versions() -> dict[str, str]:
    """The versions of forecast and the libraries its numbers depend on (attribute ``versions``).

    Examples
    --------
    >>> package_versions()["forecast"]  # doctest: +SKIP
    '0.1.0'
    """
    names = ["forecast", "pymc", "pytensor", "nutpie", "arviz", "numpy", "scipy", "xarray",
             "pandas", "pydantic"]  # fmt: skip
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
