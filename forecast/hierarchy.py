"""Partial pooling of several analysts' judgements: docs/model.md, "Several analysts".

The model of the contract's paragraph "Partial pooling (PyMC)": with ``x[a, i, h]`` analyst
``a``'s effective log-likelihood of item ``i`` under hypothesis ``h`` relative to the first
hypothesis (natural log units),

    x[a, i, h] ~ Normal(s[a] * mu[i, h], sigma[i])
    mu[i, h]   ~ Normal(0, 3)
    log s      ~ ZeroSumNormal(sigma=0.3)        (the analysts' boldness; geometric mean 1)
    sigma[i]   ~ HalfNormal(1)

Entries an analyst did not write (NaN) are masked out of the likelihood, not imputed. The model
is compiled once per shape (analysts, items, hypotheses) and sampled with nutpie; the numbers
are fed as data. PyMC, PyTensor and nutpie are imported only when a model is built.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from .csvout import write_csv
from .errors import InputError
from .inference import ForecastWarning
from .result_schema import BAND

if TYPE_CHECKING:
    import pymc as pm

    from .scenario import Scenario

__all__ = [
    "BOLDNESS_COLUMNS",
    "DIMS",
    "ESS_MIN",
    "RESOLUTION",
    "RHAT_MAX",
    "PartialPooling",
    "build_partial_pooling_model",
    "compiled_partial_pooling",
    "consensus_likelihoods",
    "fit_partial_pooling",
    "judgements",
    "simulate_judgements",
    "write_boldness",
]

DIMS = ("analyst", "evidence", "hypothesis")
"""The dims of the judgements ``x`` passed to :func:`fit_partial_pooling`, in this order."""

MU_SD = 3.0
"""Prior scale of the pooled log-likelihood ratio ``mu[i, h]`` (natural log units)."""

LOG_S_SD = 0.3
"""Scale of the zero-sum normal prior of ``log s[a]`` (an analyst's log boldness)."""

SIGMA_SD = 1.0
"""Scale of the half-normal prior of ``sigma[i]`` (the analysts' disagreement on item ``i``)."""

RESOLUTION = 0.03
"""Fixed noise floor added to ``sigma[i]`` (natural log units): the rounding error of a ratio
written to two significant digits (at most about 5%, a standard deviation of about 3%). Without
it, analysts who wrote an item identically give an improper spike of the posterior at
``sigma[i] = 0``; with it the scale is ``sqrt(sigma[i]^2 + RESOLUTION^2)``."""

RHAT_MAX = 1.01
"""Largest acceptable R-hat of any parameter (the threshold of every NUTS fit here)."""

ESS_MIN = 400
"""Smallest acceptable bulk effective sample size of any parameter."""

ADAPTATION = "diag"
"""nutpie's mass-matrix adaptation: low rank, for the ridge ``s[a] * mu[i, h] = x`` that
couples every analyst's boldness with every item (a diagonal mass matrix mixes poorly there)."""

BOLDNESS_COLUMNS = ("analyst", "s_median", "s_lo90", "s_hi90", "r_hat", "ess")
"""The columns of ``boldness.csv`` (:func:`write_boldness`)."""


@dataclass(frozen=True)
class PartialPooling:
    """The partial-pooling fit of :func:`fit_partial_pooling`.

    Attributes
    ----------
    boldness : pandas.DataFrame
        One row per analyst: ``analyst``, ``s_median``, ``s_lo90``, ``s_hi90`` (the posterior
        median and 90% interval of ``s[a]``, a multiplier of the log-likelihood ratios; 1 is
        the team's geometric mean), ``r_hat`` and ``ess`` (bulk) of ``s[a]``.
    intervals : xarray.Dataset
        ``lo`` and ``hi``: the 90% interval (5th and 95th percentiles) of ``exp(mu[i, h])``,
        the pooled likelihood ratio of ``h`` to the first hypothesis; dims ``evidence``,
        ``hypothesis`` (the first hypothesis excluded, as in ``x``).
    sigma : pandas.DataFrame
        One row per item: ``evidence``, ``median``, ``lo90``, ``hi90`` of ``sigma[i]``
        (natural log units): how far the analysts' judgements of the item scatter.
    warnings : list of str
        The failed diagnostics (R-hat, ESS, divergences); empty when the fit passed. Each was
        also raised as a :class:`forecast.ForecastWarning`.
    posterior : xarray.DataTree
        The nutpie trace (``posterior`` with ``log_s``, ``s``, ``mu``, ``sigma`` on the real
        coordinates; ``sample_stats``).
    hypotheses : tuple of str
        The hypotheses of ``x`` (the first hypothesis of the scenario is not among them).
    """

    boldness: pd.DataFrame
    intervals: xr.Dataset
    sigma: pd.DataFrame
    warnings: list[str]
    posterior: xr.DataTree
    hypotheses: tuple[str, ...] = ()


def _checked(x: xr.DataArray) -> xr.DataArray:
    """``x`` in the order of :data:`DIMS` as float, or an :class:`InputError` saying what is wrong."""
    if not isinstance(x, xr.DataArray):
        raise InputError(f"partial pooling: x must be an xarray.DataArray, got {type(x).__name__}")
    if set(x.dims) != set(DIMS) or x.ndim != 3:
        raise InputError(f"partial pooling: x must have dims {DIMS}, got {tuple(x.dims)}")
    x = x.transpose(*DIMS).astype(float)
    for dim, least in zip(DIMS, (2, 1, 1), strict=True):
        labels = [str(v) for v in x[dim].values] if dim in x.coords else []
        if len(labels) != x.sizes[dim]:
            raise InputError(f"partial pooling: x has no labels on dim {dim!r}")
        if len(set(labels)) != len(labels):
            dup = sorted({v for v in labels if labels.count(v) > 1})
            raise InputError(f"partial pooling: {dim} {dup} given more than once")
        if len(labels) < least:
            raise InputError(f"partial pooling: needs at least {least} {dim}(s), got {len(labels)}")
    values = x.values
    bad = np.argwhere(np.isinf(values))
    if bad.size:
        a, i, h = bad[0]
        raise InputError(
            f"partial pooling: analyst {x.analyst.values[a]}, item {x.evidence.values[i]}, "
            f"hypothesis {x.hypothesis.values[h]}: log-likelihood ratio is {values[a, i, h]} "
            f"(a likelihood of 0 cannot be pooled; {len(bad)} such entries)"
        )
    written = ~np.isnan(values)
    for dim, axes in (("analyst", (1, 2)), ("evidence", (0, 2))):
        empty = [
            str(v) for v, w in zip(x[dim].values, written.any(axis=axes), strict=True) if not w
        ]
        if empty:
            what = "wrote none of the items" if dim == "analyst" else "written by no analyst"
            raise InputError(f"partial pooling: {dim} {empty[:10]}: {what}")
    return x


def build_partial_pooling_model(
    n_analysts: int,
    n_items: int,
    n_hypotheses: int,
    *,
    coords: dict[str, Sequence[Hashable]] | None = None,
) -> pm.Model:
    """The PyMC model of docs/model.md ("Partial pooling (PyMC)") for a shape.

    The judgements are ``pm.Data``: ``x`` (dims analyst, evidence, hypothesis; 0 where not
    written) and ``written`` (1 where written, else 0), so one compiled model serves every
    set of judgements of this shape. The likelihood is the masked sum
    ``sum(written * log Normal(x | s[a] mu[i, h], sqrt(sigma[i]^2 + RESOLUTION^2)))``
    (a potential; :data:`RESOLUTION` is the rounding of written ratios).

    Parameters
    ----------
    n_analysts, n_items, n_hypotheses : int
        The shape (``n_hypotheses`` excludes the first hypothesis).
    coords : dict, optional
        Labels of ``analyst``, ``evidence``, ``hypothesis`` (default ``a0..``, ``e0..``, ``h0..``).

    Returns
    -------
    pymc.Model
        free variables ``log_s`` (analyst), ``mu`` (evidence, hypothesis), ``sigma``
        (evidence); deterministic ``s`` (analyst).

    Examples
    --------
    >>> model = build_partial_pooling_model(4, 30, 2)  # doctest: +SKIP
    """
    import pymc as pm
    import pytensor.tensor as pt

    sizes = (n_analysts, n_items, n_hypotheses)
    labels: dict[str, list[Hashable]] = (
        {d: list(coords[d]) for d in DIMS}
        if coords is not None
        else {d: [f"{d[0]}{k}" for k in range(n)] for d, n in zip(DIMS, sizes, strict=True)}
    )
    with pm.Model(coords=labels) as model:
        x = pm.Data("x", np.zeros(sizes), dims=DIMS)
        written = pm.Data("written", np.ones(sizes), dims=DIMS)
        log_s = pm.ZeroSumNormal("log_s", sigma=LOG_S_SD, dims="analyst")
        s = pm.Deterministic("s", pt.exp(log_s), dims="analyst")
        mu = pm.Normal("mu", 0.0, MU_SD, dims=("evidence", "hypothesis"))
        sigma = pm.HalfNormal("sigma", SIGMA_SD, dims="evidence")
        mean = s[:, None, None] * mu[None, :, :]
        scale = pt.sqrt(pt.sqr(sigma) + RESOLUTION**2)
        logp = pm.logp(pm.Normal.dist(mean, scale[None, :, None]), x)
        pm.Potential("judgements", pt.sum(written * logp))
    return model


@lru_cache(maxsize=8)  # one compiled model per shape; a few shapes per session
def compiled_partial_pooling(n_analysts: int, n_items: int, n_hypotheses: int) -> Any:
    """The nutpie-compiled :func:`build_partial_pooling_model` of a shape (cached per shape).

    Feed the judgements with ``.with_data(x=..., written=...)``.

    Examples
    --------
    >>> compiled = compiled_partial_pooling(5, 100, 4)  # doctest: +SKIP
    """
    import nutpie

    return nutpie.compile_pymc_model(build_partial_pooling_model(n_analysts, n_items, n_hypotheses))


def fit_partial_pooling(
    x: xr.DataArray, *, seed: int = 0, draws: int = 1000, tune: int = 1000, chains: int = 2
) -> PartialPooling:
    """Fit the partial-pooling model to several analysts' judgements with nutpie.

    Parameters
    ----------
    x : xarray.DataArray
        dims ``("analyst", "evidence", "hypothesis")`` (any order), labelled: analyst ``a``'s
        effective log-likelihood of item ``i`` under ``h`` relative to the first hypothesis
        (natural log; the first hypothesis itself excluded), NaN where ``a`` did not write
        ``i``. At least 2 analysts; every analyst wrote an item and every item has a writer.
    seed : int
        nutpie's seed (the fit is reproducible for a seed).
    draws, tune, chains : int
        Draws kept and tuning steps per chain, and the number of chains.

    Returns
    -------
    PartialPooling
        Boldness per analyst, 90% intervals of ``exp(mu)``, ``sigma`` per item, failed
        diagnostics, and the trace. Diagnostics failing (R-hat > 1.01 or bulk ESS < 400 on any
        parameter, or a divergence) are warned as :class:`forecast.ForecastWarning` and listed.

    Raises
    ------
    forecast.errors.InputError
        ``x`` has the wrong dims, unlabelled or repeated labels, fewer than two analysts,
        infinite entries, an analyst with no entry or an item with no entry.

    Examples
    --------
    >>> fit = fit_partial_pooling(x, seed=1)  # doctest: +SKIP
    >>> fit.boldness[["analyst", "s_median"]]  # doctest: +SKIP
    """
    import nutpie

    for name, value, least in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if not isinstance(value, int | np.integer) or value < least:
            raise InputError(f"partial pooling: {name} must be an integer >= {least}, got {value}")
    x = _checked(x)
    written = ~np.isnan(x.values)
    compiled = compiled_partial_pooling(*x.shape).with_data(
        x=np.where(written, x.values, 0.0), written=written.astype(float)
    )
    trace = nutpie.sample(
        compiled,
        draws=int(draws),
        tune=int(tune),
        chains=int(chains),
        cores=int(chains),
        seed=int(seed),
        progress_bar=False,
        save_warmup=False,
        adaptation=ADAPTATION,
    )
    labels = {d: [str(v) for v in x[d].values] for d in DIMS}
    post = trace["posterior"].to_dataset()
    post = post[["log_s", "s", "mu", "sigma"]].assign_coords(labels)
    tree = xr.DataTree.from_dict(
        {
            "posterior": post,
            **{k: trace[k].to_dataset() for k in ("sample_stats",) if k in trace.children},
        }
    )
    return _summarise(post, tree, labels, _diagnostics(post, tree))


def _diagnostics(post: xr.Dataset, tree: xr.DataTree) -> list[str]:
    """Failed R-hat/ESS/divergence checks as sentences, each also warned loudly."""
    import arviz_stats as az

    rhat = az.rhat(post)
    ess = az.ess(post, method="bulk")
    found = []
    for name in ("s", "mu", "sigma"):
        r = rhat[name].values.ravel()
        e = ess[name].values.ravel()
        bad = np.flatnonzero(~(r <= RHAT_MAX) | ~(e >= ESS_MIN))
        if bad.size:
            found.append(
                f"{name}: {bad.size} of {r.size} entries fail (need R-hat <= {RHAT_MAX}, "
                f"ESS >= {ESS_MIN}); worst R-hat {np.nanmax(r):.4f}, lowest ESS {np.nanmin(e):.0f}"
            )
    if "sample_stats" in tree.children and "diverging" in tree["sample_stats"]:
        n = int(np.asarray(tree["sample_stats"].to_dataset()["diverging"]).sum())
        if n:
            found.append(f"{n} divergent transitions")
    for message in found:
        warnings.warn(f"partial pooling: {message}", ForecastWarning, stacklevel=3)
    return found


def _summarise(
    post: xr.Dataset, tree: xr.DataTree, labels: dict[str, list[str]], found: list[str]
) -> PartialPooling:
    import arviz_stats as az

    lo, hi = BAND
    sample = ("chain", "draw")
    s = post["s"]
    q = s.quantile([lo, 0.5, hi], dim=sample).values
    boldness = pd.DataFrame(
        {
            "analyst": labels["analyst"],
            "s_median": q[1],
            "s_lo90": q[0],
            "s_hi90": q[2],
            "r_hat": az.rhat(post[["s"]])["s"].values,
            "ess": az.ess(post[["s"]], method="bulk")["s"].values,
        },
        columns=list(BOLDNESS_COLUMNS),
    )
    mq = post["mu"].quantile([lo, hi], dim=sample)
    intervals = xr.Dataset(
        {
            "lo": np.exp(mq.isel(quantile=0, drop=True)),
            "hi": np.exp(mq.isel(quantile=1, drop=True)),
        },
        attrs={"quantiles": list(BAND), "what": "interval of exp(mu): pooled likelihood ratio"},
    )
    sq = post["sigma"].quantile([lo, 0.5, hi], dim=sample).values
    sigma = pd.DataFrame(
        {"evidence": labels["evidence"], "median": sq[1], "lo90": sq[0], "hi90": sq[2]}
    )
    return PartialPooling(
        boldness=boldness,
        intervals=intervals,
        sigma=sigma,
        warnings=list(found),
        posterior=tree,
        hypotheses=tuple(labels["hypothesis"]),
    )


def consensus_likelihoods(fit: PartialPooling) -> dict[str, dict[str, list[float]]]:
    """The consensus items' likelihoods as interval inputs, ready for evidence files.

    Parameters
    ----------
    fit : PartialPooling

    Returns
    -------
    dict
        ``{item id: {hypothesis: [lo, hi]}}``: the 90% interval of ``exp(mu)`` for every
        hypothesis but the first, which is omitted (the reference, likelihood 1), as the
        ``likelihoods:`` of an evidence file (reliability 1). Rounded to 6 significant digits.

    Examples
    --------
    >>> consensus_likelihoods(fit)["maxar-new-deployments"]  # doctest: +SKIP
    {'coercive_bluff': [1.21, 3.4], 'deception': [2.05, 6.3]}
    """
    ds = fit.intervals
    return {
        str(item): {
            str(h): [
                float(f"{ds['lo'].sel(evidence=item, hypothesis=h).item():.6g}"),
                float(f"{ds['hi'].sel(evidence=item, hypothesis=h).item():.6g}"),
            ]
            for h in ds["hypothesis"].values
        }
        for item in ds["evidence"].values
    }


def write_boldness(fit: PartialPooling, path: str | Path) -> Path:
    """Write ``boldness.csv`` (atomically): one row per analyst, :data:`BOLDNESS_COLUMNS`.

    Parameters
    ----------
    fit : PartialPooling
    path : str or Path
        The file to write (its folder must exist).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> write_boldness(fit, "out/boldness.csv")  # doctest: +SKIP
    """
    path = Path(path)
    frame = fit.boldness[list(BOLDNESS_COLUMNS)]
    return write_csv(frame, path, float_format="%.6g")


def judgements(scenarios: Mapping[str, Scenario]) -> xr.DataArray:
    """The analysts' judgements of their shared items, as :func:`fit_partial_pooling` takes them.

    For every item (same ``id``) written by at least two analysts: each writer's effective
    log-likelihood ``log Lr_i(h)`` (reliability applied, an interval at its median) minus that of
    the first hypothesis (docs/model.md, "Several analysts"); NaN where an analyst did not write
    the item.

    Parameters
    ----------
    scenarios : mapping of str to Scenario
        Analyst name to their loaded scenario; the same hypotheses (names and order).

    Returns
    -------
    xarray.DataArray
        dims :data:`DIMS`; ``hypothesis`` all but the first; items in the order first seen.

    Raises
    ------
    forecast.errors.InputError
        Fewer than two analysts, hypotheses that differ, or no shared item.

    Examples
    --------
    >>> x = judgements({n: load_scenario(f"team/{n}/priors.yaml", f"team/{n}/evidence")
    ...                 for n in ("ana", "ben")})  # doctest: +SKIP
    """
    from .model import encode
    from .quadrature import log_effective

    names = list(scenarios)
    if len(names) < 2:
        raise InputError(f"partial pooling: needs at least 2 analysts, got {names}")
    hypotheses = list(scenarios[names[0]].hypotheses)
    rows: dict[str, dict[str, np.ndarray]] = {}
    for name in names:
        sc = scenarios[name]
        if list(sc.hypotheses) != hypotheses:
            raise InputError(
                f"partial pooling: analyst {name}'s hypotheses {list(sc.hypotheses)} differ from "
                f"{names[0]}'s {hypotheses}"
            )
        a = encode(sc)
        log_lr = log_effective(a.mu, a.r)
        for item, row in zip(sc.ids, log_lr, strict=True):
            rows.setdefault(str(item), {})[name] = row[1:] - row[0]
    shared = [item for item, by in rows.items() if len(by) >= 2]
    if not shared:
        raise InputError(f"partial pooling: analysts {names} share no item (the same id)")
    x = np.full((len(names), len(shared), len(hypotheses) - 1), np.nan)
    for i, item in enumerate(shared):
        for name, value in rows[item].items():
            x[names.index(name), i] = value
    coords = {"analyst": names, "evidence": shared, "hypothesis": hypotheses[1:]}
    return xr.DataArray(x, dims=DIMS, coords=coords)


def simulate_judgements(
    n_analysts: int, n_items: int, n_hypotheses: int, *, seed: int = 0
) -> tuple[xr.DataArray, np.ndarray, np.ndarray, np.ndarray]:
    """Judgements drawn from the model's own priors, for tests and benchmarks.

    ``log s`` is ``n_analysts`` normal draws of scale :data:`LOG_S_SD` minus their mean (a draw
    of the zero-sum normal), ``mu ~ Normal(0, MU_SD)``, ``sigma ~ HalfNormal(SIGMA_SD)`` and
    ``x = s[a] mu[i, h] + sqrt(sigma[i]^2 + RESOLUTION^2) * Normal(0, 1)``; so the posterior's 90% intervals cover the
    truth 90% of the time on average over seeds.

    Parameters
    ----------
    n_analysts, n_items, n_hypotheses : int
        The shape (``n_hypotheses`` excludes the reference hypothesis).
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    tuple
        ``(x, s, mu, sigma)``: ``x`` a DataArray with dims :data:`DIMS` labelled
        ``analyst0..``, ``item-000..``, ``h1..``; the true ``s`` (analyst), ``mu``
        (item, hypothesis) and ``sigma`` (item) as arrays.

    Examples
    --------
    >>> x, s, mu, sigma = simulate_judgements(4, 30, 2, seed=1)
    >>> x.sizes["evidence"]
    30
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, LOG_S_SD, n_analysts)
    s = np.exp(z - z.mean())
    mu = rng.normal(0.0, MU_SD, (n_items, n_hypotheses))
    sigma = np.abs(rng.normal(0.0, SIGMA_SD, n_items))
    noise = rng.normal(0.0, 1.0, (n_analysts, n_items, n_hypotheses))
    scale = np.sqrt(sigma**2 + RESOLUTION**2)
    x = s[:, None, None] * mu[None] + noise * scale[None, :, None]
    coords = {
        "analyst": [f"analyst{k}" for k in range(n_analysts)],
        "evidence": [f"item-{k:03d}" for k in range(n_items)],
        "hypothesis": [f"h{k + 1}" for k in range(n_hypotheses)],
    }
    return xr.DataArray(x, dims=DIMS, coords=coords), s, mu, sigma
