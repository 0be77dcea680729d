"""The numbers of a run with time: the rows, the standing forecast of each day, the by-date curve.

docs/model.md, "Time". For a row (or a day) ``d`` of epoch ``e`` at step ``k``
(:mod:`forecast.asof`):

    P(h | E, none by d) ∝ E[pi_h] * prod_i E[Lr_i(h) ** w_i(k)] * E[S_h(d)]
    P(Y | E, none by d) = sum_h P(h | ...) * E[p_h - F_h(d)] / E[S_h(d)]

exactly (quadrature, :class:`forecast.timing.Timing`). The band: the band's exact draws of
``theta ~ P(theta | E_1..k)`` (:func:`forecast.band.band_draws`, each draw's ``P(h | E, theta)``
and ``p_h`` kept) reweighted to ``P(theta | E, none by d)`` by
``P(none by d | E, theta) = sum_h P(h | E, theta) S_h(d; p_h)`` (at most 1, so the weights are
bounded), each draw's answer ``sum_h P(h | E, theta) (p_h - F_h(d; p_h)) / P(none by d | E, theta)``;
the band is the draws' weighted 5th and 95th percentiles, the MCSE from the weights' effective
sample size. Without a deadline every weight is 1 and the draws are the band's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from .asof import AsOf, Rows, epochs, timeline_rows
from .band import band_draws
from .model import Arrays, encode, expected_p_outcome, log_posterior_by_step, probabilities
from .result_schema import BAND
from .scenario import Scenario
from .timing import Timing, day_number, timing_of

__all__ = ["TimeNumbers", "time_numbers", "weighted_summary"]

_CHUNK = 64  # rows of (draws, hypotheses) evaluated at once


@dataclass
class TimeNumbers:
    """Everything a run with time computes (see :func:`time_numbers`).

    ``rows`` the trajectory's rows; ``stats`` per row (``p_hypothesis`` (R, H), ``p_outcome``,
    ``p_outcome_low``, ``p_outcome_high``, ``mcse``, ``mcse_low``, ``mcse_high``,
    ``draws_mean``; ``final``: the last row's per-draw ``p_hypothesis`` and
    ``p_given_hypothesis`` (the chance the outcome still happens given h)); ``draws``
    (R, S) draws of the rows' answers (resampled by weight); ``daily`` and ``by_date``:
    ``date`` (datetime64[D]) and ``p``, ``low``, ``high`` arrays, or None; ``expected_p``
    (H,) the chance under each hypothesis that the outcome still happens, as of ``A``;
    ``final_arrays``/``final_scenario`` the last epoch (retractions applied by ``A``);
    ``epochs``: every epoch's numbers and draws, when :func:`time_numbers` was asked to keep them.
    """

    as_of: AsOf
    rows: Rows
    stats: dict
    draws: np.ndarray
    daily: dict | None
    by_date: dict | None
    expected_p: np.ndarray
    final_arrays: Arrays
    final_scenario: Scenario
    timing: Timing = field(repr=False)
    epochs: list = field(default_factory=list, repr=False)


def weighted_summary(q: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """Weighted mean, 5th/95th percentiles and their MCSE of draws ``q`` (R, S), weights ``w``.

    Percentiles interpolate linearly between the sorted draws placed at their cumulative
    weight (equal weights: numpy's default ``linear`` quantiles, exactly). MCSE from the
    effective sample size ``(sum w) ** 2 / sum w ** 2``.

    Examples
    --------
    >>> s = weighted_summary(np.arange(101.0)[None] / 100, np.ones((1, 101)))
    >>> float(s["low"][0]), float(s["high"][0])
    (0.05, 0.95)
    """
    q, w = np.atleast_2d(q), np.broadcast_to(np.atleast_2d(w), np.atleast_2d(q).shape)
    order = np.argsort(q, axis=1)
    qs, ws = np.take_along_axis(q, order, 1), np.take_along_axis(w, order, 1)
    total = ws.sum(axis=1)
    before = np.cumsum(ws, axis=1) - ws
    pos = before / np.maximum(total - ws[:, -1], 1e-300)[:, None]
    mean = (q * w).sum(axis=1) / total
    ess = total**2 / (w**2).sum(axis=1)
    sd = np.sqrt(np.maximum(((q - mean[:, None]) ** 2 * w).sum(axis=1) / total, 0.0))
    out = {"mean": mean, "mcse": sd / np.sqrt(ess), "ess": ess}
    for name, prob in zip(("low", "high"), BAND, strict=True):
        half = np.sqrt(prob * (1 - prob) / ess)
        at = np.empty((3, q.shape[0]))
        for r in range(q.shape[0]):
            at[:, r] = np.interp([prob, prob - half[r], prob + half[r]], pos[r], qs[r])
        out[name], out[f"mcse_{name}"] = at[0], (at[2] - at[1]) / 2
    return out


def _resample(q: np.ndarray, w: np.ndarray, u: float) -> np.ndarray:
    """Systematic resampling of each row of draws ``q`` by weights ``w`` (equal: unchanged)."""
    if np.all(w == w[:, :1]):
        return q
    s = q.shape[1]
    cum = np.cumsum(w, axis=1)
    cum /= cum[:, -1:]
    grid = (np.arange(s) + u) / s
    idx = np.minimum(np.vstack([np.searchsorted(c, grid) for c in cum]), s - 1)
    return np.take_along_axis(q, idx, 1)


class _Epoch:
    """One epoch's exact numbers and, when asked, its draws."""

    def __init__(self, scenario: Scenario, timing: Timing) -> None:
        self.scenario, self.timing = scenario, timing
        self.a = encode(scenario)
        self.log_post = log_posterior_by_step(self.a)
        self.ep = expected_p_outcome(self.a)
        self.kept: np.ndarray | None = None
        self.out: np.ndarray | None = None
        self.p: np.ndarray | None = None

    def exact(self, steps: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``P(h | ..., none by d)`` (M, H) and ``P(Y | ..., none by d)`` (M,) at (step, day)."""
        ef, es = self.timing.expected(days)
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = self.log_post[steps] + np.log(es)
            post = np.exp(lp - logsumexp(lp, axis=1, keepdims=True))
            rest = np.where(es > 0, (self.ep - ef) / es, 0.0)
        return post, (post * rest).sum(axis=1)

    def sample(self, draws: int, seed: int, progress) -> None:
        """The band's draws of every step (kept per draw when there is a deadline)."""
        a = self.a
        p_h, _ = probabilities(a)
        final: dict = {}
        timed = self.timing.deadline is not None
        self.kept = np.empty((a.n_items + 1, draws, a.n_hypotheses), np.float32) if timed else None
        self.out = band_draws(
            a, self.scenario.ids, p_h, draws, seed, progress,
            out=np.empty((a.n_items + 1, draws)), final=final, keep=self.kept,
        )  # fmt: skip
        self.p = final.get("p_given_hypothesis")

    def draws_at(self, steps: np.ndarray, days: np.ndarray):
        """Draws ``q`` (M, S) and weights ``w`` (M, S) of the answers at (step, day)."""
        assert self.out is not None
        if self.kept is None:
            return self.out[steps], np.ones((steps.size, self.out.shape[1]))
        assert self.p is not None
        post = self.kept[steps].astype(float)
        f = self.timing.cdf(days, self.p)  # (M, S, H)
        post_f = np.einsum("msh,msh->ms", post, f)
        w = post.sum(axis=2) - post_f  # sum_h P(h | E, theta) S_h(d; p_h)
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(w > 0, (np.einsum("msh,sh->ms", post, self.p) - post_f) / w, 0.0)
        return q, w

    def summary(self, steps, days, *, keep: bool = False):
        """Weighted summaries at (step, day), in chunks; with ``keep``, the draws too."""
        parts, draws = [], []
        for start in range(0, steps.size, _CHUNK):
            q, w = self.draws_at(steps[start : start + _CHUNK], days[start : start + _CHUNK])
            parts.append(weighted_summary(q, w))
            if keep:
                draws.append((q, w))
        keys = parts[0].keys() if parts else ()
        return {k: np.concatenate([x[k] for x in parts]) for k in keys}, draws


def _day_numbers(days) -> np.ndarray:
    return np.array([day_number(d) for d in days], dtype=np.int64)


def _daily_plan(as_of: AsOf, eps: list[Scenario]):
    """Each day from ``opened`` to ``A``: its epoch and step (the end-of-day state)."""
    p = as_of.known.priors
    if p.opened is None or as_of.day is None:
        return None
    start, stop = day_number(p.opened), day_number(as_of.day)
    days = np.arange(start, stop + 1)
    retr = sorted(
        day_number(e.retracted.date)
        for e in as_of.known.evidence
        if e.retracted is not None and e.retracted.date <= as_of.day
    )
    epoch = np.searchsorted(np.array(retr, dtype=np.int64), days, side="right")
    step = np.empty(days.size, dtype=np.int64)
    for e, sc in enumerate(eps):
        on = epoch == e
        item_days = _day_numbers(x.date for x in sc.evidence)
        step[on] = np.searchsorted(item_days, days[on], side="right")
    return days, epoch, step


def time_numbers(
    as_of: AsOf,
    *,
    draws: int,
    seed: int,
    progress=None,
    band: bool = True,
    series: bool = True,
    keep: bool = False,
) -> TimeNumbers:
    """The rows, the daily series and the by-date curve of a scenario as of ``A``.

    Parameters
    ----------
    as_of : AsOf
        From :func:`forecast.asof.resolve_as_of`.
    draws, seed : int
        The band's draws and seed (as :func:`forecast.run`).
    progress : callable, optional
        ``progress(step, n_steps)`` for the first epoch's band.
    band : bool
        False: the probabilities only (bands NaN, no draws).
    series : bool
        False: the rows only (``daily`` and ``by_date`` None), as the what-if panel shows.
    keep : bool
        True: every epoch's numbers and draws in ``epochs`` (by default an epoch's draws are
        freed before the next epoch's), for :class:`forecast.asof_live.DayModel`.

    Examples
    --------
    >>> t = time_numbers(resolve_as_of(scenario), draws=4000, seed=0)  # doctest: +SKIP
    >>> t.stats["p_outcome"][-1]  # doctest: +SKIP
    0.61
    """
    known = as_of.known
    rows = timeline_rows(known, as_of.day)
    a0 = encode(known)
    timing = timing_of(known.priors, a0.p_mean, a0.p_sd)
    eps = [_Epoch(s, timing) for s in epochs(known, as_of.day)]
    row_days = np.array([day_number(d) if d else timing.opened for d in rows.day])
    plan = _daily_plan(as_of, [e.scenario for e in eps]) if series else None
    n_rows, n_h = len(rows), a0.n_hypotheses
    p_h, p_y = np.empty((n_rows, n_h)), np.empty(n_rows)
    for e, ep in enumerate(eps):
        on = rows.epoch == e
        p_h[on], p_y[on] = ep.exact(rows.step[on], row_days[on])
    stats: dict = {"p_hypothesis": p_h, "p_outcome": p_y}
    daily = by_date = None
    if plan is not None:
        dd, de, ds = plan
        daily = {"date": dd, "p": np.empty(dd.size)}
        for e, ep in enumerate(eps):
            on = de == e
            daily["p"][on] = ep.exact(ds[on], dd[on])[1]
    a_day = day_number(as_of.day) if as_of.day is not None else None
    if series and timing.deadline is not None and a_day is not None and a_day < timing.deadline:
        by_date = _by_date_exact(timing, p_h[-1], a_day)
    out_draws = np.full((n_rows, draws), np.nan, dtype=np.float32)
    if band:
        _bands(eps, rows, row_days, stats, out_draws, daily, plan, by_date, a_day, draws, seed,
               progress, keep=keep)  # fmt: skip
    else:
        for key in ("p_outcome_low", "p_outcome_high", "mcse", "mcse_low", "mcse_high"):
            stats[key] = np.full(n_rows, np.nan)
    ef, es = timing.expected(np.array([row_days[-1]]))
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = np.where(es[0] > 0, (eps[-1].ep - ef[0]) / es[0], 0.0)
    return TimeNumbers(
        as_of, rows, stats, out_draws, daily, by_date, rest, eps[-1].a, eps[-1].scenario, timing,
        eps if keep else [],
    )  # fmt: skip


def _by_date_exact(timing: Timing, post_a: np.ndarray, a_day: int) -> dict:
    """``sum_h P(h | E, none by A) E[F_h(D) - F_h(A)] / E[S_h(A)]`` for D = A + 1 .. deadline."""
    assert timing.deadline is not None
    days = np.arange(a_day + 1, timing.deadline + 1)
    ef_a, es_a = timing.expected(np.array([a_day]))
    ef = timing.expected(days)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(es_a > 0, (ef - ef_a) / es_a, 0.0)
    return {"date": days, "p": share @ post_a}


def _bands(eps, rows, row_days, stats, out_draws, daily, plan, by_date, a_day, draws, seed,
           progress, *, keep: bool = False) -> None:  # fmt: skip
    """Fill the bands of the rows, the days and the by-date curve (see the module docstring)."""
    n_rows = len(rows)
    keys = ("mean", "low", "high", "mcse", "mcse_low", "mcse_high")
    row_stats = {k: np.empty(n_rows) for k in keys}
    u = np.random.default_rng([seed, 23]).random()
    if daily is not None:
        for k in ("low", "high"):
            daily[k] = np.empty(daily["date"].size)
    for e, ep in enumerate(eps):
        ep.sample(draws, seed, progress if e == 0 else None)
        on = np.flatnonzero(rows.epoch == e)
        summ, parts = ep.summary(rows.step[on], row_days[on], keep=True)
        for k in keys:
            row_stats[k][on] = summ[k]
        q = np.concatenate([x[0] for x in parts]) if parts else np.empty((0, draws))
        w = np.concatenate([x[1] for x in parts]) if parts else np.empty((0, draws))
        out_draws[on] = _resample(q, w, u)
        if e == len(eps) - 1:
            stats["final"] = _final(ep, rows.step[-1], row_days[-1], u)
            if by_date is not None:
                _by_date_band(ep, rows.step[-1], a_day, by_date)
        if daily is not None:
            dd, de, ds = plan
            sel = np.flatnonzero(de == e)
            summ, _ = ep.summary(ds[sel], dd[sel])
            daily["low"][sel], daily["high"][sel] = summ["low"], summ["high"]
        if e < len(eps) - 1 and not keep:
            ep.kept = ep.out = None  # free the draws before the next epoch's
    stats.update(
        p_outcome_low=row_stats["low"], p_outcome_high=row_stats["high"],
        mcse=row_stats["mcse"], mcse_low=row_stats["mcse_low"],
        mcse_high=row_stats["mcse_high"], draws_mean=row_stats["mean"],
    )  # fmt: skip
    _check(row_stats["mean"], row_stats["mcse"], stats["p_outcome"])


def _final(ep: _Epoch, step: int, day: int, u: float) -> dict:
    """The last row's per-draw ``P(h | E, theta, none by A)`` and chance still to happen."""
    assert ep.out is not None
    if ep.kept is None or ep.p is None:  # no deadline: the band's own last step
        return {}
    post = ep.kept[step].astype(float)
    f = ep.timing.cdf(np.array([day]), ep.p)[0]
    s = 1.0 - f
    w = (post * s).sum(axis=1)
    idx = _resample(np.arange(w.size, dtype=float)[None], w[None], u)[0].astype(int)
    post_t = post[idx] * s[idx]
    post_t /= post_t.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = np.where(s[idx] > 0, (ep.p[idx] - f[idx]) / s[idx], 0.0)
    return {"p_hypothesis": post_t[None], "p_given_hypothesis": rest[None]}


def _by_date_band(ep: _Epoch, step: int, a_day: int, by_date: dict) -> None:
    """The band of the by-date curve: the draws as of A, weighted as at A."""
    assert ep.kept is not None and ep.p is not None
    post = ep.kept[step].astype(float)
    f_a = ep.timing.cdf(np.array([a_day]), ep.p)[0]
    w = (post * (1.0 - f_a)).sum(axis=1)
    days = by_date["date"]
    low, high = np.empty(days.size), np.empty(days.size)
    for start in range(0, days.size, _CHUNK):
        f = ep.timing.cdf(days[start : start + _CHUNK], ep.p)  # (M, S, H)
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(w > 0, (post * (f - f_a)).sum(axis=2) / w, 0.0)
        summ = weighted_summary(q, w[None])
        low[start : start + _CHUNK], high[start : start + _CHUNK] = summ["low"], summ["high"]
    by_date["low"], by_date["high"] = low, high


def _check(mean: np.ndarray, mcse: np.ndarray, p: np.ndarray) -> None:
    """The band's weighted draws against the exact probability (a ForecastWarning if apart).

    The draws' posteriors are kept in float32: differences below 1e-6 are not failures.
    """
    from .inference import check_draws

    check_draws(mean, mcse, p, what="row", atol=1e-6, stacklevel=5)
