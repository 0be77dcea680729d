"""Learning from the track record: one diagnosticity exponent ``s``.

Shared by every item of every resolved question, fitted with PyMC (nutpie).

Every likelihood is raised to ``s`` before the reliability is applied, as the what-if
slider does: ``Lr_i(h; s) = r_i * (L_i(h) / max_g L_i(g)) ** s + 1 - r_i``. The model is

    s ~ LogNormal(0, 0.5)
    o_q ~ Bernoulli(P_q(Y | E_q, s))

with ``P_q`` the coherent probability of docs/model.md after the items dated before the
resolution, ``softmax_h(log E[pi_h] + sum_i w_i log Lr_i(h; s)) @ E[p_h]``, a PyTensor graph
(differentiable in ``s``). Interval likelihoods enter at their medians (``exp(mu)``): see
docs/model.md, "Recalibration". ``s < 1``: the likelihoods have been too bold; ``s > 1``:
too timid.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from .constants import BAND_QUANTILES, ESS_MIN, RHAT_MAX
from .errors import InputError
from .labels import pct
from .model import Arrays, encode, expected_p_outcome, probabilities, subset_weights
from .quadrature import row_max
from .scenario import Scenario

if TYPE_CHECKING:
    import pymc as pm
    import xarray as xr

    from .scoring import Scored

__all__ = [
    "MIN_QUESTIONS",
    "PRIOR_SIGMA",
    "Portfolio",
    "Recalibration",
    "build_recalibration_model",
    "p_outcome_at",
    "portfolio",
    "recalibrate",
    "synthetic_portfolio",
]

MIN_QUESTIONS = 5
"""Fewest resolved questions :func:`recalibrate` accepts."""

PRIOR_SIGMA = 0.5
"""``s ~ LogNormal(0, PRIOR_SIGMA)``: a factor of 2.3 either way covers 90% of the prior."""

PREDICTION_COLUMNS = ["scenario", "p_plain", "p_recalibrated", "p_model_s1"]
PAD = -1.0e4  # log prior of a padding hypothesis: exp(PAD) is 0 in double precision


# ----------------------------------------------------------------------------- data
@dataclass(frozen=True, eq=False)
class Portfolio:
    """Questions as flat arrays, items of all questions stacked (hypotheses padded to ``H``).

    Attributes
    ----------
    z : (M, H) ``log L_i(h) - max_g log L_i(g)`` (medians for intervals; padding 0).
    log_r, log_1mr : (M,) ``log r_i`` and ``log(1 - r_i)`` (0 where ``r_i = 1``).
    exact : (M,) whether ``r_i = 1``.
    w : (M,) the item's weight at the question's last step (dependence groups).
    q : (M,) the question of each item.
    log_prior : (Q, H) ``log E[pi_h]`` (padding :data:`PAD`).
    log_p, log_1mp : (Q, H) ``log E[p_h]`` and ``log(1 - E[p_h])``.
    outcome : (Q,) 1 if the outcome happened (0 for questions not resolved).
    """

    z: np.ndarray
    log_r: np.ndarray
    log_1mr: np.ndarray
    exact: np.ndarray
    w: np.ndarray
    q: np.ndarray
    log_prior: np.ndarray
    log_p: np.ndarray
    log_1mp: np.ndarray
    outcome: np.ndarray

    @property
    def n_questions(self) -> int:
        """The number of questions, Q."""
        return self.log_prior.shape[0]

    def data(self) -> dict[str, np.ndarray]:
        """The ``pm.Data`` values of the model."""
        names = ["z", "log_r", "log_1mr", "exact", "w", "q", "log_prior", "log_p", "log_1mp"]
        d = {n: getattr(self, n) for n in names}
        d["exact"] = d["exact"].astype(float)
        d["outcome"] = self.outcome.astype(float)
        return d


def portfolio(arrays: Sequence[Arrays], outcomes: Sequence[bool] | None = None) -> Portfolio:
    """Stack encoded questions (each restricted to the items to use) into a :class:`Portfolio`."""
    n_q = len(arrays)
    n_h = max(a.n_hypotheses for a in arrays)
    zs, rs, ws, qs = [], [], [], []
    log_prior = np.full((n_q, n_h), PAD)
    log_p = np.zeros((n_q, n_h))
    log_1mp = np.zeros((n_q, n_h))
    for j, a in enumerate(arrays):
        h = a.n_hypotheses
        ep = expected_p_outcome(a)
        with np.errstate(divide="ignore"):  # P(outcome | h) of 0 or 1: -inf, as it should
            log_p[j, :h], log_1mp[j, :h] = np.log(ep), np.log1p(-ep)
        log_prior[j, :h] = np.log(a.prior)
        z = np.zeros((a.n_items, n_h))
        if a.n_items:
            z[:, :h] = a.mu - row_max(a.mu)[:, None]
        zs.append(z)
        rs.append(a.r)
        ws.append(subset_weights(a, np.ones(a.n_items, dtype=bool)))
        qs.append(np.full(a.n_items, j))
    r = np.concatenate(rs) if rs else np.zeros(0)
    exact = r >= 1.0
    with np.errstate(divide="ignore"):
        log_1mr = np.where(exact, 0.0, np.log1p(-np.minimum(r, 1.0)))
    outcome = np.zeros(n_q) if outcomes is None else np.asarray(outcomes, dtype=float)
    return Portfolio(
        z=np.concatenate(zs).reshape(-1, n_h),
        log_r=np.log(r),
        log_1mr=log_1mr,
        exact=exact,
        w=np.concatenate(ws),
        q=np.concatenate(qs).astype(np.int64),
        log_prior=log_prior,
        log_p=log_p,
        log_1mp=log_1mp,
        outcome=outcome,
    )


def p_outcome_at(port: Portfolio, s: np.ndarray | float) -> np.ndarray:
    """``P_q(Y | E_q, s)`` for every value of ``s`` (S,) and question: (S, Q).

    The NumPy twin of the PyTensor graph; at ``s = 1`` with exact inputs, the coherent probability).

    Examples
    --------
    >>> p_outcome_at(portfolio([encode(scenario)]), [0.5, 1.0, 2.0])  # doctest: +SKIP
    """
    s = np.atleast_1d(np.asarray(s, dtype=float))
    out = np.empty((s.size, port.n_questions))
    for k, sk in enumerate(s):
        sz = sk * port.z
        log_lr = np.where(
            port.exact[:, None], sz, np.logaddexp(port.log_r[:, None] + sz, port.log_1mr[:, None])
        )
        total = port.log_prior.copy()
        np.add.at(total, port.q, port.w[:, None] * log_lr)
        post = total - logsumexp(total, axis=1, keepdims=True)
        out[k] = np.exp(logsumexp(post + port.log_p, axis=1))
    return out


# ----------------------------------------------------------------------------- PyMC model
def build_recalibration_model(port: Portfolio) -> pm.Model:
    """The PyMC model of the module docstring.

    Every number is ``pm.Data`` (no fixed shapes), so one compiled model serves every portfolio.

    Returns
    -------
    pymc.Model
        Free variable ``s``; observed ``outcome``; deterministic-free (P_q is recomputed from
        draws of ``s`` by :func:`p_outcome_at`).
    """
    import pymc as pm
    import pytensor.tensor as pt

    d = port.data()
    with pm.Model() as model:
        z = pm.Data("z", d["z"])
        log_r = pm.Data("log_r", d["log_r"])
        log_1mr = pm.Data("log_1mr", d["log_1mr"])
        exact = pm.Data("exact", d["exact"])
        w = pm.Data("w", d["w"])
        q = pm.Data("q", d["q"])
        log_prior = pm.Data("log_prior", d["log_prior"])
        log_p = pm.Data("log_p", d["log_p"])
        log_1mp = pm.Data("log_1mp", d["log_1mp"])
        outcome = pm.Data("outcome", d["outcome"])
        s = pm.LogNormal("s", mu=0.0, sigma=PRIOR_SIGMA)
        sz = s * z
        # r = 1: log Lr = s z exactly; else log(r e^{s z} + 1 - r) (log_1mr is 0, not -inf,
        # where r = 1, so the branch not taken has no -inf to spoil the gradient)
        mixed = pt.logaddexp(log_r[:, None] + sz, log_1mr[:, None])
        log_lr = pt.switch(pt.gt(exact, 0.5)[:, None], sz, mixed)
        total = pt.inc_subtensor(pt.zeros_like(log_prior)[q], w[:, None] * log_lr)
        total = log_prior + total
        post = total - pt.logsumexp(total, axis=1, keepdims=True)
        logit = pt.logsumexp(post + log_p, axis=1) - pt.logsumexp(post + log_1mp, axis=1)
        pm.Bernoulli("outcome_happened", logit_p=logit, observed=outcome)
    return model


@cache
def _compiled():
    """The nutpie model, compiled once per process (numbers and sizes are fed as data)."""
    import nutpie

    shape = portfolio([_toy_arrays()], [True])
    return nutpie.compile_pymc_model(build_recalibration_model(shape))


def _toy_arrays() -> Arrays:
    return Arrays(
        prior=np.array([0.5, 0.5]),
        kappa=None,
        p_mean=np.zeros(2),
        p_sd=np.zeros(2),
        mu=np.array([[0.5, 0.0]]),
        sd=np.zeros((1, 2)),
        r=np.ones(1),
        group=-np.ones(1, dtype=int),
        rho=np.zeros(0),
    )


# ----------------------------------------------------------------------------- fitting
@dataclass(frozen=True, eq=False)
class Recalibration:
    """The fitted diagnosticity exponent.

    Attributes
    ----------
    posterior : xarray.DataTree
        Groups ``posterior`` (``s``: chain, draw), ``sample_stats``, ``observed_data``.
    table : DataFrame
        ``recalibration.csv``: ``parameter, median, lo90, hi90, r_hat, ess`` (a row ``s``).
    predictions : DataFrame
        For every unresolved scenario given: ``scenario, p_plain, p_recalibrated,
        p_model_s1``: the coherent P(outcome) as ``forecast run`` prints it, its mean over
        the posterior of ``s``, and the model's value at ``s = 1`` (equal to ``p_plain`` for
        exact inputs; interval likelihoods enter the model at their medians).
    problems : list of str
        Failed convergence checks (R-hat > 1.01, bulk ESS < 400, divergences).
    """

    posterior: xr.DataTree
    table: pd.DataFrame
    predictions: pd.DataFrame
    problems: list[str] = field(default_factory=list)

    @property
    def s(self) -> np.ndarray:
        """The posterior draws of ``s``, flattened."""
        return np.asarray(self.posterior["posterior"]["s"]).reshape(-1)

    def describe(self) -> str:
        """The posterior of ``s`` in one line, then one line per unresolved scenario."""
        r = self.table.iloc[0]
        if r["hi90"] < 1:
            how = "too bold"
        elif r["lo90"] > 1:
            how = "too timid"
        else:
            how = "the interval includes 1: neither shown"
        lines = [
            f"diagnosticity s: median {r['median']:.3f}, 90% interval {r['lo90']:.3f} to "
            f"{r['hi90']:.3f} (R-hat {r['r_hat']:.3f}, ESS {r['ess']:.0f}); s < 1: the "
            f"likelihoods have been too bold, s > 1 too timid (here: {how})"
        ]
        for _, p in self.predictions.head(20).iterrows():
            note = ""
            if abs(p["p_model_s1"] - p["p_plain"]) >= 0.0005:
                note = f" (the model at s = 1, intervals at their medians: {pct(p['p_model_s1'])})"
            lines.append(
                f"  {p['scenario']}: P = {pct(p['p_plain'])} as written, "
                f"{pct(p['p_recalibrated'])} recalibrated{note}"
            )
        if len(self.predictions) > 20:
            lines.append(f"  ... and {len(self.predictions) - 20} more")
        return "\n".join(lines)

    def save(self, out: str | Path) -> list[Path]:
        """Write ``recalibration.nc`` and ``recalibration.csv`` into ``out`` (atomically)."""
        from .csvout import write_csv
        from .outdir import atomic_write

        out = Path(out)
        nc, csv = out / "recalibration.nc", out / "recalibration.csv"
        atomic_write(nc, lambda p: self.posterior.to_netcdf(p, engine="netcdf4"))
        write_csv(self.table, csv)
        return [nc, csv]


def _resolved_arrays(scores) -> tuple[list[Arrays], list[bool]]:
    """Arrays (items before the resolution) and outcomes of scored questions."""
    from .scoring import Scored, score

    if isinstance(scores, pd.DataFrame):
        scored = scores.attrs["scored"]
    else:
        scores = list(scores)
        if all(isinstance(s, Scored) for s in scores):
            scored = scores
        else:
            scored = score(scores).attrs["scored"]
    return [s.arrays for s in scored], [s.happened for s in scored]


def _refuse_impossible(port: Portfolio, scores) -> None:
    """InputError naming the questions whose forecast was 0 (or 1) for what did (not) happen.

    Their likelihood is 0 for every ``s`` (an item of reliability 1 with a likelihood of 0
    rules out a hypothesis whatever ``s``): no value of ``s`` can explain them.
    """
    p = p_outcome_at(port, 1.0)[0]
    bad = np.flatnonzero(np.where(port.outcome > 0.5, p <= 0.0, p >= 1.0))
    if not bad.size:
        return
    scored = scores.attrs["scored"] if isinstance(scores, pd.DataFrame) else list(scores)
    names = [getattr(scored[j], "name", f"scenario {j + 1}") for j in bad[:10]]
    more = f" and {bad.size - 10} more" if bad.size > 10 else ""
    raise InputError(
        f"cannot recalibrate: the forecast of {', '.join(names)}{more} was 0% for an outcome "
        "that happened (or 100% for one that did not), whatever the exponent s: no s explains "
        "it. Check their items of reliability 1 and P(outcome) of 0 or 1, or score without "
        "--recalibrate"
    )


def recalibrate(
    scores: pd.DataFrame | Iterable[Scored | Scenario | str | Path],
    *,
    unresolved: Iterable[Scenario] = (),
    unresolved_names: Iterable[str] | None = None,
    seed: int = 0,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
) -> Recalibration:
    """Fit one diagnosticity exponent ``s`` shared by every item of the resolved questions.

    Parameters
    ----------
    scores : DataFrame, or iterable of Scored, Scenario or folder
        What :func:`forecast.score` returns, or what it accepts (at least
        :data:`MIN_QUESTIONS` resolved questions).
    unresolved : iterable of Scenario
        Open questions: their P(outcome) averaged over the posterior of ``s``.
    unresolved_names : iterable of str, optional
        Their names (default ``open-<n>``).
    seed, draws, tune, chains
        nutpie's settings (draws and tuning steps per chain).

    Returns
    -------
    Recalibration
        A failed convergence check is also a :class:`forecast.ForecastWarning`.

    Raises
    ------
    ValueError
        With fewer than :data:`MIN_QUESTIONS` resolved questions.

    Examples
    --------
    >>> rec = forecast.recalibrate(forecast.score(folders))  # doctest: +SKIP
    >>> print(rec.describe())  # doctest: +SKIP
    """
    from .inference import ForecastWarning

    arrays, outcomes = _resolved_arrays(scores)
    if len(arrays) < MIN_QUESTIONS:
        raise InputError(
            f"recalibration needs at least {MIN_QUESTIONS} resolved scenarios, got {len(arrays)}"
        )
    port = portfolio(arrays, outcomes)
    _refuse_impossible(port, scores)
    tree, s = _fit(port, seed=seed, draws=draws, tune=tune, chains=chains)
    table, problems = _summary(tree, s)
    for p in problems:
        warnings.warn(f"recalibration: {p}; the interval of s is unreliable", ForecastWarning, 2)
    tree.attrs.update(
        {
            "model": "s ~ LogNormal(0, 0.5); o_q ~ Bernoulli(P_q(Y | E_q, s))",
            "n_questions": port.n_questions,
            "seed": seed,
        }
    )
    predictions = _open_predictions(list(unresolved), unresolved_names, s)
    return Recalibration(posterior=tree, table=table, predictions=predictions, problems=problems)


def _fit(
    port: Portfolio, *, seed: int, draws: int, tune: int, chains: int
) -> tuple[xr.DataTree, np.ndarray]:
    """Sample ``s`` with nutpie, for :func:`recalibrate`.

    Returns ArviZ's groups ``posterior`` (``s``), ``sample_stats`` and ``observed_data``
    (``outcome_happened``), and the draws of ``s``, flattened.
    """
    import nutpie
    import xarray as xr

    model = _compiled().with_data(**port.data())
    trace = nutpie.sample(
        model, chains=chains, draws=draws, tune=tune, seed=seed, progress_bar=False
    )
    stats = trace["sample_stats"].dataset
    keep = [v for v in stats.data_vars if stats[v].dtype != object]
    posterior = trace["posterior"].dataset[["s"]]  # ArviZ's groups: this is not a forecast result
    tree = xr.DataTree.from_dict(
        {
            "posterior": posterior,
            "sample_stats": stats[keep],
            "observed_data": xr.Dataset(
                {"outcome_happened": ("question", port.outcome.astype(np.int8))}
            ),
        }
    )
    return tree, np.asarray(posterior["s"]).reshape(-1)


def _summary(tree: xr.DataTree, s: np.ndarray) -> tuple[pd.DataFrame, list[str]]:
    """The table of ``s`` (median, 90% interval, R-hat, bulk ESS) and its failed checks.

    ``s`` holds the posterior draws of ``tree`` (:func:`_fit`), flattened.
    """
    import arviz_stats as az

    stats = tree["sample_stats"].dataset
    r_hat = float(az.rhat(tree)["s"])
    ess = float(az.ess(tree)["s"])
    lo, med, hi = np.quantile(s, BAND_QUANTILES)
    table = pd.DataFrame(
        [{"parameter": "s", "median": med, "lo90": lo, "hi90": hi, "r_hat": r_hat, "ess": ess}]
    )
    problems = []
    if not r_hat <= RHAT_MAX:
        problems.append(f"R-hat of s is {r_hat:.3f} (> {RHAT_MAX})")
    if not ess >= ESS_MIN:
        problems.append(f"bulk ESS of s is {ess:.0f} (< {ESS_MIN})")
    n_div = int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else 0
    if n_div:
        problems.append(f"{n_div} divergent transitions")
    return table, problems


def _open_predictions(
    open_list: list[Scenario], unresolved_names: Iterable[str] | None, s: np.ndarray
) -> pd.DataFrame:
    """P(outcome) of each open question: plain, averaged over the draws ``s``, and at s = 1."""
    names = (
        list(unresolved_names)
        if unresolved_names is not None
        else [f"open-{i + 1}" for i in range(len(open_list))]
    )
    rows = []
    if open_list:
        enc = [encode(sc) for sc in open_list]
        thin = s[:: max(1, s.size // 1000)]  # 1000 draws are plenty for a mean
        open_port = portfolio(enc)
        p_s = p_outcome_at(open_port, thin).mean(axis=0)
        p_one = p_outcome_at(open_port, 1.0)[0]
        for name, a, p, p1 in zip(names, enc, p_s, p_one, strict=True):
            rows.append(
                {
                    "scenario": name,
                    "p_plain": float(probabilities(a)[1][-1]),
                    "p_recalibrated": p,
                    "p_model_s1": p1,
                }
            )
    return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)


# ----------------------------------------------------------------------------- synthetic data
def synthetic_portfolio(
    n_questions: int,
    n_items: int,
    *,
    s: float = 1.0,
    n_hypotheses: int = 3,
    spread: float = 1.0,
    decisive: bool = False,
    seed: int = 0,
) -> list[Scenario]:
    """SYNTHETIC resolved questions whose outcomes are drawn with a known exponent ``s``.

    Each question: random priors (Dirichlet(2, ...)), ``P(outcome | h)`` uniform on (0.05,
    0.95) (``decisive``: 0.02 and 0.98 in turn, so the outcome nearly tells the hypothesis and
    each question says more about ``s``), ``n_items`` exact items with ``log L(h) ~ Normal(0, spread)`` under every hypothesis,
    dated one a day from 1 January 2030, and ``o ~ Bernoulli(P(Y | E, s))``, resolved the day
    after the last item. The question text says it is synthetic.

    Examples
    --------
    >>> qs = synthetic_portfolio(50, 10, s=0.5, seed=1)  # doctest: +SKIP
    """
    rng = np.random.default_rng(seed)
    names = [f"h{j}" for j in range(n_hypotheses)]
    start = np.datetime64("2030-01-01")
    data = []
    for k in range(n_questions):
        prior = rng.dirichlet(np.full(n_hypotheses, 2.0))
        prior = np.round(prior / prior.sum(), 12)
        prior[-1] = 1.0 - prior[:-1].sum()
        p_out = rng.uniform(0.05, 0.95, n_hypotheses)
        if decisive:
            p_out = np.where(np.arange(n_hypotheses) % 2 == 0, 0.02, 0.98)
        lik = np.exp(rng.normal(0.0, spread, (n_items, n_hypotheses)))
        items = [
            {
                "id": f"item-{i:03d}",
                "date": str(start + np.timedelta64(i, "D")),
                "title": f"synthetic item {i}",
                "source": "synthetic",
                "likelihoods": {h: float(v) for h, v in zip(names, lik[i], strict=True)},
            }
            for i in range(n_items)
        ]
        priors = {
            "question": f"SYNTHETIC question {k + 1} (generated with s = {s:g})",
            "outcome": "event",
            "hypotheses": {
                h: {"prior": float(p), "p_outcome": float(po)}
                for h, p, po in zip(names, prior, p_out, strict=True)
            },
            "opened": str(start - np.timedelta64(1, "D")),
        }
        data.append((priors, items))
    scenarios = [Scenario.from_dict({"priors": p, "evidence": e}) for p, e in data]
    p_true = p_outcome_at(portfolio([encode(sc) for sc in scenarios]), s)[0]
    happened = rng.random(n_questions) < p_true
    resolved_on = str(start + np.timedelta64(n_items, "D"))
    out = []
    for (priors, items), o in zip(data, happened, strict=True):
        priors["resolution"] = {"outcome": bool(o), "date": resolved_on, "source": "synthetic"}
        out.append(Scenario.from_dict({"priors": priors, "evidence": items}))
    return out
