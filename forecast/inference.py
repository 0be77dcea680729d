"""Running the model: the fast exact route and the NUTS route, both giving one DataTree.

The fast route (MODEL.md, "Computing it"): the probability at every step from per-item
expectations (:func:`forecast.model.probabilities`), the judgement band from exact draws of
``P(theta | E_1..k)``: draw ``h``, then ``pi ~ Dirichlet(kappa pi + e_h)``, ``p`` from its
prior, and each item's likelihoods from its prior tilted by ``Lr(h) ** w`` (rejection
sampling). One pass over the items; draws are shared across steps (common random numbers).

The NUTS route samples :func:`forecast.model.build_model` with nutpie at every step.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Literal

import numpy as np
import xarray as xr
from scipy.special import expit

from .model import (
    _TILTS,
    Arrays,
    _Memo,
    compiled_nuts_model,
    encode,
    expected_p_outcome,
    log_effective,
    log_expected_tilt,
    probabilities,
    row_max,
    step_weights,
)
from .scenario import Scenario

__all__ = ["BAND", "DEFAULT_DRAWS", "ForecastWarning", "run"]

DEFAULT_DRAWS = 4000
"""Draws of the band per step (fast route); MCSE of the draws' mean <= 0.5 / sqrt(4000)."""

BAND = (0.05, 0.95)
"""The judgement band: 5th and 95th percentiles of P(Y | E_1..k, theta)."""

Progress = Callable[[int, int], None]


class ForecastWarning(UserWarning):
    """A failed check (sampling diagnostics, Monte Carlo self-check): never silent."""


# ----------------------------------------------------------------------------- sampling
def _item_rng(seed: int, item_id: str, h: int) -> np.random.Generator:
    """One stream per (seed, item, conditioning hypothesis): the same whatever the step.

    The id enters as 128 bits of its SHA-256, so that two ids never share a stream in
    practice (with 32 bits, 10,000 ids would collide with a chance of about 1%).
    """
    words = np.frombuffer(hashlib.sha256(item_id.encode()).digest()[:16], dtype=np.uint32)
    return np.random.default_rng([seed, *words.tolist(), h])


def sample_tilted(
    mu: np.ndarray,
    sd: np.ndarray,
    r: float,
    w: float,
    h: int,
    size: int,
    rng: np.random.Generator,
    log_c: float | None = None,
) -> np.ndarray:
    """Exact draws of one item's log-likelihoods from its prior tilted by ``Lr(h) ** w``.

    Parameters
    ----------
    mu, sd : (H,) arrays
        The item's log-likelihood means and sds (sd 0: exact).
    r, w : float
        Reliability and weight.
    h : int
        The conditioning hypothesis.
    size : int
        Number of draws.
    rng : numpy Generator
    log_c : float, optional
        ``log E[Lr(h) ** w]`` if already known (from :func:`log_expected_tilt`).

    Returns
    -------
    (size, H) array of ``log L(g)`` draws.

    Notes
    -----
    Rejection sampling. When the acceptance rate ``c = E[Lr(h) ** w]`` of the plain prior
    proposal is low, the proposal is the mixture ``prior * ((1-r)^w + r^w e^{w z})``
    (which bounds the target since ``t^w`` is subadditive), its tilted part sampled from
    normals shifted toward ``h`` and away from the likeliest competitor ``g*``.
    """
    unc = sd > 0
    n_h = mu.shape[0]
    if not unc.any():
        return np.broadcast_to(mu, (size, n_h)).copy()
    cols = np.flatnonzero(unc)
    w_arr = np.array([w])
    if log_c is None:
        log_c = log_expected_tilt(mu[None], sd[None], np.array([r]), w_arr)[0, h]
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

    if log_c > np.log(0.3) or log_flat > np.log(0.3):
        propose, log_accept = prior, log_target
        rate = np.exp(log_c)
    else:
        g_star = h if mu[h] >= mu.max() else int(np.argmax(mu))
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

        log_tilt = w * log_r + log_expected_tilt(mu[None], sd[None], np.ones(1), w_arr)[0, h]
        p_flat = np.exp(log_flat - np.logaddexp(log_flat, log_tilt))

        def propose(m: int) -> np.ndarray:
            n_flat = rng.binomial(m, p_flat)
            x = np.vstack([prior(n_flat), tilted(m - n_flat)])
            return x[rng.permutation(m)]

        def log_accept(z: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore"):
                bound = np.logaddexp(log_flat, w * (log_r + z))
            return log_target(z) - bound

        rate = np.exp(log_c - np.logaddexp(log_flat, log_tilt))
    out = np.empty((0, n_h))
    while out.shape[0] < size:
        need = size - out.shape[0]
        batch = int(min(need / max(rate, 1e-6) * 1.2 + 64, 5_000_000))
        x = propose(batch)
        keep = np.log(rng.random(batch)) < log_accept(x[:, h] - row_max(x))
        out = np.vstack([out, x[keep]])
    return out[:size]


def _prior_draws(a: Arrays, size: int, rng: np.random.Generator):
    """log pi draws for each conditioning h, (H, S, H), and p_outcome draws (S, H)."""
    n_h = a.n_hypotheses
    if a.kappa is None:
        log_pi = np.broadcast_to(np.log(a.prior), (n_h, size, n_h))
    else:
        # Dirichlet(kappa pi + e_h) = normalise(Gamma(kappa pi) + Exp(1) e_h): shared draws
        gam = rng.gamma(a.kappa * a.prior, size=(size, n_h))
        extra = rng.exponential(size=size)
        stacked = gam[None] + np.eye(n_h)[:, None, :] * extra[None, :, None]
        with np.errstate(divide="ignore"):  # a tiny kappa * pi can draw an exact 0: log 0
            log_pi = np.log(stacked) - np.log(stacked.sum(axis=2, keepdims=True))
    p = expit(a.p_mean + a.p_sd * rng.standard_normal((size, n_h)))
    return log_pi, p


_DRAWS = _Memo(256 * 2**20)
"""Band contributions of items seen lately, per (item, weight, conditioning hypothesis)."""


def clear_caches() -> None:
    """Forget remembered quadratures and band draws (for cold-start measurements)."""
    _DRAWS.clear()
    _TILTS.clear()


_CHUNK_ELEMENTS = 4_000_000  # steps are combined in blocks of about this many numbers


def _fast_band(
    a: Arrays,
    ids: tuple[str, ...],
    p_h: np.ndarray,
    draws: int,
    seed: int,
    progress: Progress | None,
) -> np.ndarray:
    """Draws of ``P(Y | E_1..k, theta)``, theta ~ P(theta | E_1..k), shape (N+1, S).

    Draw ``s`` has hypothesis ``h_of[k, s]`` at step ``k`` (one uniform per draw, so that
    draws move together across steps). Its log posterior over hypotheses is ``log pi`` plus
    the sum of the items' contributions ``w log Lr(h')``, each drawn given ``h_of[k, s]``.
    Items with exact inputs add the same vector to every draw. An uncertain item is drawn
    only for the (draw, hypothesis) pairs that a later step uses; in small scenarios, for
    every draw of every hypothesis still in use, and remembered, so that a what-if edit
    samples only the item it changed.
    """
    n_items, n_h = a.mu.shape
    rng = np.random.default_rng([seed, 0])
    u = rng.random(draws)
    log_pi, p = _prior_draws(a, draws, rng)
    cdf = np.cumsum(p_h, axis=1)
    cdf /= cdf[:, -1:]
    h_of = np.zeros((n_items + 1, draws), dtype=np.int8 if n_h <= 127 else np.int32)
    for h in range(n_h - 1):  # h_of = how many of the cumulative probabilities lie below u
        h_of += u[None, :] > cdf[:, h, None]
    # last_k[h, s]: the last step at which draw s has hypothesis h (-1: never)
    last_k = np.full((n_h, draws), -1)
    for h in range(n_h):
        is_h = h_of[::-1] == h
        last_k[h] = np.where(is_h.any(axis=0), n_items - np.argmax(is_h, axis=0), -1)
    last_needed = last_k.max(axis=1)

    uncertain = (a.sd > 0).any(axis=1)
    # remember every draw only where a whole scenario's draws take an eighth of the store
    remember = uncertain.sum() * n_h * n_h * draws * 8 <= _DRAWS.max_bytes // 8

    def add_contribution(out: np.ndarray, i: int, w: float, k: int) -> None:
        """Add to ``out`` (S, H, H) item i's ``w log Lr`` for the pairs used from step k on."""
        log_c = log_expected_tilt(a.mu[i : i + 1], a.sd[i : i + 1], a.r[i : i + 1], [w])[0]
        for h in np.flatnonzero(last_needed >= k):
            key = (seed, draws, ids[i], a.mu[i].tobytes(), a.sd[i].tobytes(), a.r[i], w, h)
            sel = slice(None) if remember else np.flatnonzero(last_k[h] >= k)
            x = _DRAWS.get(key) if remember else None
            if x is None:
                rng_i = _item_rng(seed, ids[i], int(h))
                size = draws if remember else sel.size
                x = sample_tilted(a.mu[i], a.sd[i], a.r[i], w, h, size, rng_i, log_c=log_c[h])
                x = w * log_effective(x, a.r[i])
                if remember:
                    _DRAWS.put(key, x)
            out[sel, h] += x

    # running totals: exact parts (the same for every draw) and the drawn parts per h
    const = np.zeros(n_h)
    drawn = np.zeros((draws, n_h, n_h))  # (draw, conditioning h, hypothesis)
    any_drawn = False
    group_const: dict[int, np.ndarray] = {}
    group_drawn: dict[int, np.ndarray] = {}
    row_of = np.arange(draws)[None, :] * n_h  # row of (draw s, hypothesis h): s * H + h
    log_pi_rows = np.ascontiguousarray(log_pi.transpose(1, 0, 2)).reshape(draws * n_h, n_h)
    out = np.empty((n_items + 1, draws))
    block = max(1, _CHUNK_ELEMENTS // (draws * n_h))
    totals = np.zeros((block, draws, n_h))
    consts = np.zeros((block, n_h))

    def flush(k_end: int, n: int) -> None:
        """Posterior predictive of the block of n steps ending at k_end (exclusive)."""
        ks = np.arange(k_end - n, k_end)
        if not any_drawn and a.kappa is None:  # every draw differs only in p
            log_post = consts[:n] + np.log(a.prior)
            post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
            out[ks] = (post / post.sum(axis=1, keepdims=True)) @ p.T
            return
        total = np.take(log_pi_rows, row_of + h_of[ks], axis=0)
        total += consts[:n, None, :]
        if any_drawn:
            total += totals[:n]
        total -= row_max(total)[..., None]
        np.exp(total, out=total)
        out[ks] = np.einsum("ksh,sh->ks", total, p) / total.sum(axis=2)

    n_block = 0
    for k in range(n_items + 1):
        if k > 0:
            i = k - 1
            g = a.group[i]
            if g < 0:
                if uncertain[i]:
                    add_contribution(drawn, i, 1.0, k)
                    any_drawn = True
                else:
                    const += log_effective(a.mu[i][None], a.r[i])[0]
            else:
                members = np.flatnonzero(a.group[:k] == g)
                w = 1.0 / (1.0 + a.rho[g] * (members.size - 1))
                exact = members[~uncertain[members]]
                new_const = (w * log_effective(a.mu[exact], a.r[exact])).sum(axis=0)
                const += new_const - group_const.get(int(g), 0.0)
                group_const[int(g)] = new_const
                unc = members[uncertain[members]]
                if unc.size:
                    new_drawn = np.zeros((draws, n_h, n_h))
                    for j in unc:
                        add_contribution(new_drawn, j, w, k)
                    drawn += new_drawn - group_drawn.get(int(g), 0.0)
                    group_drawn[int(g)] = new_drawn
                    any_drawn = True
        if any_drawn:
            np.take(
                drawn.reshape(draws * n_h, n_h), row_of[0] + h_of[k], axis=0, out=totals[n_block]
            )
        consts[n_block] = const
        n_block += 1
        if n_block == block or k == n_items:
            flush(k + 1, n_block)
            n_block = 0
        if progress is not None and k > 0:
            progress(k, n_items)
    return out


def _row_std(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``x.std(axis=1)`` given the rows' means (about the mean: no cancellation)."""
    d = x - mean[:, None]
    return np.sqrt(np.einsum("ij,ij->i", d, d) / x.shape[1])


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
    band = _fast_band(a, scenario.ids, p_h, draws, seed, progress)
    ordered = np.sort(band, axis=1)
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
    }
    # self-check: the draws' mean is an independent Monte Carlo estimate of the probability
    z = np.abs(stats["draws_mean"] - p_y) / np.maximum(stats["mcse"], 1e-12)
    bad = np.flatnonzero((z > 4.5) & (np.abs(stats["draws_mean"] - p_y) > 1e-9))
    if bad.size:
        warnings.warn(
            f"Monte Carlo check failed at step(s) {bad.tolist()[:10]}: the band's draws average "
            f"{stats['draws_mean'][bad[0]]:.4f} but the exact probability is {p_y[bad[0]]:.4f} "
            f"({z[bad[0]]:.1f} MCSE apart)",
            ForecastWarning,
            stacklevel=3,
        )
    return stats, band.T[None].astype(np.float32), {}


def _run_nuts(scenario: Scenario, a: Arrays, draws: int, seed: int, progress, *, chains=4):
    import arviz as az
    import nutpie

    n_items = a.n_items
    keys = ("p_outcome", "p_outcome_low", "p_outcome_high", "mcse", "mcse_low", "mcse_high")
    stats = {k: np.empty(n_items + 1) for k in keys}
    stats["p_hypothesis"] = np.empty((n_items + 1, a.n_hypotheses))
    per_chain = max(draws // chains, 100)
    band = np.empty((chains, per_chain, n_items + 1), dtype=np.float32)
    diag = {"r_hat": np.empty(n_items + 1), "ess_bulk": np.empty(n_items + 1)}
    divergences = np.zeros(n_items + 1, dtype=int)
    for k in range(n_items + 1):
        trace = nutpie.sample(
            compiled_nuts_model(a, k),
            draws=per_chain,
            tune=1000,
            chains=chains,
            cores=chains,
            seed=seed + k,
            progress_bar=False,
        )
        post = trace["posterior"]
        y = post["p_outcome"].values  # (chain, draw)
        band[..., k] = y
        stats["p_outcome"][k] = y.mean()
        stats["p_hypothesis"][k] = post["p_hypothesis"].values.mean(axis=(0, 1))
        stats["p_outcome_low"][k], stats["p_outcome_high"][k] = np.quantile(y, BAND)
        stats["mcse"][k] = float(az.mcse(y, method="mean"))
        stats["mcse_low"][k] = float(az.mcse(y, method="quantile", prob=BAND[0]))
        stats["mcse_high"][k] = float(az.mcse(y, method="quantile", prob=BAND[1]))
        exact = np.ptp(y) < 1e-12  # exact inputs: every draw is the same number
        diag["r_hat"][k] = 1.0 if exact else float(az.rhat(y))
        diag["ess_bulk"][k] = y.size if exact else float(az.ess(y, method="bulk"))
        if "sample_stats" in trace.children:
            divergences[k] = int(trace["sample_stats"]["diverging"].values.sum())
        if progress is not None:
            progress(k, n_items)
    diag["divergences"] = divergences
    bad = [
        f"step {k}: R-hat {diag['r_hat'][k]:.3f}, ESS {diag['ess_bulk'][k]:.0f}"
        for k in range(n_items + 1)
        if diag["r_hat"][k] > 1.01 or diag["ess_bulk"][k] < 400
    ]
    if bad:
        warnings.warn(
            "NUTS diagnostics failed (need R-hat <= 1.01, ESS >= 400): " + "; ".join(bad[:5]),
            ForecastWarning,
            stacklevel=3,
        )
    if divergences.any():
        warnings.warn(
            f"NUTS reported {divergences.sum()} divergent transitions "
            f"(steps {np.flatnonzero(divergences).tolist()[:10]})",
            ForecastWarning,
            stacklevel=3,
        )
    return stats, band, diag


def run(
    scenario: Scenario,
    *,
    method: Literal["fast", "nuts"] = "fast",
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    progress: Progress | None = None,
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

    Returns
    -------
    xarray.DataTree
        ``/trajectory`` (dims ``step``, ``hypothesis``): ``p_hypothesis``, ``p_outcome``,
        ``p_outcome_low``, ``p_outcome_high`` (the band), ``mcse``; ``/posterior``:
        ``p_outcome`` draws (``chain``, ``draw``, ``step``); ``/evidence`` (dim
        ``evidence``): the items, their final weight and effective log-likelihoods.
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
    a = encode(scenario)
    route = _run_fast if method == "fast" else _run_nuts
    stats, band, diag = route(scenario, a, draws, seed, progress)
    return _result_tree(scenario, a, stats, band, diag, method=method, draws=draws, seed=seed)


# ----------------------------------------------------------------------------- result
@cache
def package_versions() -> dict[str, str]:
    names = ["forecast", "pymc", "pytensor", "nutpie", "arviz", "numpy", "scipy", "xarray",
             "pandas", "pydantic"]  # fmt: skip
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _result_tree(scenario, a, stats, band, diag, *, method, draws, seed) -> xr.DataTree:
    n_items = a.n_items
    hyps = list(scenario.hypotheses)
    steps = np.arange(n_items + 1)
    dates = np.array(
        [np.datetime64("NaT", "ns")]
        + [np.datetime64(e.date.isoformat()) for e in scenario.evidence],
        dtype="datetime64[ns]",
    )
    coords = {
        "step": steps,
        "hypothesis": hyps,
        "evidence_id": ("step", np.array(["", *scenario.ids], dtype=object)),
        "date": ("step", dates),
    }
    data = {
        "p_hypothesis": (("step", "hypothesis"), stats["p_hypothesis"]),
        "prior": ("hypothesis", a.prior),
        "expected_p_outcome": ("hypothesis", expected_p_outcome(a)),
    }
    for key in ("p_outcome", "p_outcome_low", "p_outcome_high", "mcse", "mcse_low", "mcse_high"):
        data[key] = ("step", stats[key])
    for key, value in diag.items():
        data[key] = ("step", value)
    trajectory = xr.Dataset(data, coords=coords)
    trajectory["p_outcome"].attrs["long_name"] = f"P({scenario.outcome} | evidence so far)"
    trajectory["mcse"].attrs["long_name"] = (
        "Monte Carlo standard error of the draws' mean (fast route: the draws are an "
        "independent check; the probability itself is exact)"
        if method == "fast"
        else "Monte Carlo standard error of the posterior mean"
    )
    posterior = xr.Dataset(
        {"p_outcome": (("chain", "draw", "step"), band)},
        coords={"chain": np.arange(band.shape[0]), "draw": np.arange(band.shape[1]), "step": steps},
    )
    final_w = step_weights(a, n_items)
    log_c = log_expected_tilt(a.mu, a.sd, a.r, final_w) if n_items else np.zeros((0, len(hyps)))
    ev = scenario.evidence
    evidence = xr.Dataset(
        {
            "title": ("evidence", np.array([e.title for e in ev], dtype=object)),
            "source": ("evidence", np.array([e.source for e in ev], dtype=object)),
            "date": (
                "evidence",
                np.array([e.date.isoformat() for e in ev], dtype="datetime64[ns]"),
            ),
            "reliability": ("evidence", a.r),
            "group": ("evidence", np.array([e.group or "" for e in ev], dtype=object)),
            "weight": ("evidence", final_w),
            "log_likelihood": (("evidence", "hypothesis"), log_c),
        },
        coords={"evidence": np.array(scenario.ids, dtype=object), "hypothesis": hyps},
    )
    evidence["log_likelihood"].attrs["long_name"] = (
        "log E[Lr_i(h)^w_i] at the final step: the item's effective log-likelihood"
    )
    attrs = {
        "question": scenario.question,
        "outcome": scenario.outcome,
        "scenario_hash": scenario.hash,
        "scenario_json": json.dumps(scenario.to_dict()),  # file order of hypotheses kept
        "input_files": json.dumps(scenario.files, sort_keys=True),
        "method": method,
        "seed": seed,
        "draws": draws,
        "band": json.dumps(list(BAND)),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": json.dumps(package_versions(), sort_keys=True),
    }
    return xr.DataTree.from_dict(
        {
            "/": xr.Dataset(attrs=attrs),
            "trajectory": trajectory,
            "posterior": posterior,
            "evidence": evidence,
        }  # fmt: skip
    )
