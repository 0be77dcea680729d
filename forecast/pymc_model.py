"""The PyMC model of docs/model.md ("The PyMC model") and its compiled nutpie form.

PyMC, PyTensor and nutpie are imported only when a model is built.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .model import Arrays, encode, step_weights
from .scenario import Scenario

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["build_model", "compiled_nuts_model", "model_data"]


def build_model(scenario: Scenario, step: int | None = None) -> pm.Model:
    """The PyMC model of docs/model.md ("The PyMC model") at step ``k``.

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


@lru_cache(maxsize=8)  # a compiled model per structure; a few structures per session
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


def compiled_nuts_model(a: Arrays, step: int) -> Any:
    """The compiled nutpie model for ``a`` at ``step`` (compiled once per structure)."""
    compiled = _nuts_structure(a.n_items, a.n_hypotheses, a.kappa is not None)
    data = model_data(a, step)
    if not a.n_items:
        data = {k: v for k, v in data.items() if k in {"prior", "p_mean", "p_sd", "prior_strength"}}
    return compiled.with_data(**data)
