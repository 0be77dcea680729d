"""The PyMC model of docs/model.md ("The PyMC model") and its compiled nutpie form.

With a deadline the model has one more factor per hypothesis inside the marginalised potential,
``log S_h(d; p_h)``, the likelihood of "no event by the end of day d" (docs/model.md, "Time");
the day enters as data (:func:`survival_data`), so one compiled model serves every row.
PyMC, PyTensor and nutpie are imported only when a model is built.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .asof import retractions
from .model import Arrays, encode, step_weights, subset_weights
from .scenario import Scenario
from .timing import Timing, day_number, timing_of

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["build_model", "compiled_nuts_model", "model_data", "survival_data"]


def build_model(
    scenario: Scenario, step: int | None = None, *, day: dt.date | None = None
) -> pm.Model:
    """The PyMC model of docs/model.md ("The PyMC model") at step ``k``.

    Every uncertain input is a random variable: ``pi ~ Dirichlet(kappa * prior)`` (when
    ``prior_strength`` is set), ``logit p_h ~ Normal`` and ``log L_i(h) ~ Normal``
    (non-centred: ``log_likelihood = mu + sd * z``, exact entries have ``sd = 0``).
    The hypothesis is marginalised in one potential,
    ``logsumexp_h(log pi_h + sum_i w_i log Lr_i(h) + log S_h(d; p_h))`` (the last term only
    with a deadline: "no event by the end of day d"). All numbers are ``pm.Data``
    (``weight`` holds ``w_i(k)``, 0 for items not yet seen; the day is the data of
    :func:`survival_data`), so one compiled model serves every step and every scenario of the
    same shape.

    Parameters
    ----------
    scenario : Scenario
    step : int, optional
        How many items have been seen (default: all).
    day : date, optional
        The model's day (default: the date of the step's last item, ``opened`` for step 0, as
        the trajectory's rows): an item retracted on or before it weighs 0, the ranks of its
        group recomputed without it (docs/model.md, "What was known when"); with a deadline,
        also the day "no event by the end of" is read at.

    Returns
    -------
    pymc.Model
        coords ``hypothesis`` and ``evidence``; deterministics ``p_hypothesis``
        (``P(h | E, theta)``, with a deadline ``P(h | E, theta, none by d)``) and ``p_outcome``
        (``P(Y | E, theta)``, with a deadline ``P(Y | E, theta, none by d)``); with a deadline
        also ``p_given_hypothesis`` (the chance the outcome still happens given ``h``,
        ``(p_h - F_h(d)) / S_h(d)``).

    Examples
    --------
    >>> with build_model(scenario, step=3):  # doctest: +SKIP
    ...     idata = pm.sample(nuts_sampler="nutpie")
    """
    a = encode(scenario)
    step = a.n_items if step is None else step
    if not 0 <= step <= a.n_items:
        raise ValueError(f"step must be in 0..{a.n_items}, got {step}")
    survival = None
    priors = scenario.priors
    if day is None:
        day = scenario.evidence[step - 1].date if step else priors.opened
    if priors.deadline is not None:
        assert day is not None  # a deadline needs opened (validated)
        timing = timing_of(priors, a.p_mean, a.p_sd)
        survival = survival_data(a, timing, day_number(day))
    weight = None
    gone = {item_id for _, item_id in retractions(scenario, day)}  # undated: every one
    if gone:
        seen = [k < step and e.id not in gone for k, e in enumerate(scenario.evidence)]
        weight = subset_weights(a, np.array(seen, dtype=bool))
    data = model_data(a, step, weight=weight, survival=survival)
    return _pymc_model(a, scenario.hypotheses, scenario.ids, data)


def survival_data(a: Arrays, timing: Timing, day: int) -> dict[str, np.ndarray]:
    """The ``pm.Data`` values of the survival term "no event by the end of ``day``".

    ``elapsed`` ``tau(d)``; per hypothesis ``hazard`` (1: constant hazard), ``share``
    (``G_h(tau)``, the other shapes), ``exact`` (1: a point ``p_h``) and, for the points, the
    numbers themselves: ``log_survival_point`` (``log S_h(d)``, -inf when the event is certain
    by then) and ``rest_point`` (``(p_h - F_h(d)) / S_h(d)``, 0 where ``S_h(d) = 0``).

    Examples
    --------
    >>> t = timing_of(scenario.priors, a.p_mean, a.p_sd)  # doctest: +SKIP
    >>> survival_data(a, t, t.opened)["elapsed"]  # the window has not started  # doctest: +SKIP
    array(0.)
    """
    tau = timing.tau(np.array([day]))
    exact = a.p_sd == 0
    p = a.p_given_hypothesis(np.zeros(a.n_hypotheses))
    f = timing.cdf(np.array([day]), p)[0]
    s = 1.0 - f
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.where(exact, np.log(s), 0.0)
        rest = np.where(exact & (s > 0), (p - f) / s, 0.0)
    return {
        "elapsed": np.asarray(tau[0], dtype=float),
        "hazard": timing.constant.astype(float),
        "share": np.where(timing.constant, 0.0, timing.shape(tau)[0]),
        "exact": exact.astype(float),
        "log_survival_point": log_s,
        "rest_point": rest,
    }


def model_data(
    a: Arrays,
    step: int,
    *,
    weight: np.ndarray | None = None,
    survival: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """The ``pm.Data`` values of :func:`build_model` for arrays ``a`` at ``step``.

    ``weight`` replaces ``w_i(k)`` (e.g. without a retracted item); ``survival``
    (:func:`survival_data`) adds the survival term's data.

    Examples
    --------
    >>> model_data(encode(scenario), 2)["weight"]  # doctest: +SKIP
    array([1., 1., 0.])
    """
    data = {
        "prior": a.prior,
        "p_mean": a.p_mean,
        "p_sd": a.p_sd,
        "weight": step_weights(a, step) if weight is None else weight,
        "mu": a.mu,
        "sd": a.sd,
        "reliability": a.r,
    }
    if a.kappa is not None:
        data["prior_strength"] = np.asarray(a.kappa, dtype=float)
    if survival is not None:
        data.update(survival)
    return data


def _log_evidence(d: dict, log_pi):
    """``log pi_h + sum_i w_i log Lr_i(h)``, the items' part of the potential."""
    import pymc as pm
    import pytensor.tensor as pt

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
    return log_pi + pt.sum(pt.switch(seen, w[:, None] * log_lr, 0.0), axis=0)


def _survival(d: dict, p_mean, p_sd, z_p):
    """``log S_h(d; p_h)`` and ``(p_h - F_h(d)) / S_h(d)`` per hypothesis (docs/model.md, Time).

    On the logit scale ``x``: ``log(1 - p) = -softplus(x)``, ``log p = -softplus(-x)``;
    constant hazard ``log S = tau log(1 - p)`` and ``(p - F) / S = 1 - (1 - p) ** (1 - tau)``;
    a shape ``G`` ``S = (1 - p) + p (1 - G)``. Point ``p_h`` take the numbers of
    :func:`survival_data` (their logit may be infinite: the draw branch sees 0 instead, so
    that no gradient meets inf or 0 * inf).
    """
    import pymc as pm
    import pytensor.tensor as pt

    tau = pm.Data("elapsed", d["elapsed"])
    hazard = pm.Data("hazard", d["hazard"], dims="hypothesis")
    g = pm.Data("share", d["share"], dims="hypothesis")
    exact = pm.Data("exact", d["exact"], dims="hypothesis")
    log_s_point = pm.Data("log_survival_point", d["log_survival_point"], dims="hypothesis")
    rest_point = pm.Data("rest_point", d["rest_point"], dims="hypothesis")
    is_exact, constant = pt.gt(exact, 0.5), pt.gt(hazard, 0.5)
    x = pt.switch(is_exact, 0.0, p_mean) + p_sd * z_p
    log_1mp, log_p = -pt.softplus(x), -pt.softplus(-x)
    log_rest_s = log_p + pt.log1p(-g)  # log(p (1 - G)); -inf where G = 1
    log_s_shape = pt.logaddexp(log_1mp, log_rest_s)
    log_s = pt.switch(is_exact, log_s_point, pt.switch(constant, tau * log_1mp, log_s_shape))
    rest_draw = pt.switch(
        constant, -pt.expm1((1.0 - tau) * log_1mp), pt.exp(log_rest_s - log_s_shape)
    )
    return log_s, pt.switch(is_exact, rest_point, rest_draw)


def _pymc_model(a: Arrays, hypotheses, ids, d: dict):
    import pymc as pm
    import pytensor.tensor as pt

    coords = {"hypothesis": list(hypotheses), "evidence": list(ids)}
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
        log_post = _log_evidence(d, log_pi) if a.n_items else log_pi
        if "elapsed" in d:
            log_s, rest = _survival(d, p_mean, p_sd, z_p)
            log_post = log_post + log_s
            p = pm.Deterministic("p_given_hypothesis", rest, dims="hypothesis")
        pm.Potential("evidence_given_hypothesis", pt.logsumexp(log_post))
        post = pm.Deterministic("p_hypothesis", pt.special.softmax(log_post), dims="hypothesis")
        pm.Deterministic("p_outcome", pt.sum(post * p))
    return model


@lru_cache(maxsize=8)  # a compiled model per structure; a few structures per session
def _nuts_structure(n_items: int, n_h: int, has_kappa: bool, timed: bool):
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
    survival = None
    if timed:
        zeros = np.zeros(n_h)
        survival = {"elapsed": np.asarray(0.0), "hazard": zeros, "share": zeros,
                    "exact": zeros, "log_survival_point": zeros, "rest_point": zeros}  # fmt: skip
    data = model_data(shape, n_items, survival=survival)
    model = _pymc_model(shape, [f"h{j}" for j in range(n_h)], ids, data)
    return nutpie.compile_pymc_model(model)


def compiled_nuts_model(
    a: Arrays,
    step: int,
    *,
    weight: np.ndarray | None = None,
    survival: dict[str, np.ndarray] | None = None,
) -> Any:
    """The compiled nutpie model for ``a`` at ``step`` (compiled once per structure).

    ``weight`` and ``survival`` as for :func:`model_data`; with ``survival`` the model has the
    survival term (one more structure).

    Examples
    --------
    >>> trace = nutpie.sample(compiled_nuts_model(a, 3), draws=1000)  # doctest: +SKIP
    """
    timed = survival is not None
    compiled = _nuts_structure(a.n_items, a.n_hypotheses, a.kappa is not None, timed)
    data = model_data(a, step, weight=weight, survival=survival)
    if not a.n_items:
        items = {"weight", "mu", "sd", "reliability"}
        data = {k: v for k, v in data.items() if k not in items}
    return compiled.with_data(**data)
