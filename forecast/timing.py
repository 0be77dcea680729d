"""Time in the model: the window, when the outcome happens under each hypothesis (docs/model.md).

With ``deadline`` in priors.yaml the question asks whether the outcome happens after ``opened``
up to and including the deadline. At the end of day ``d`` the share of the window that has
passed is ``tau(d) = clip((d - opened) / N, 0, 1)``, ``N = deadline - opened`` days. Under
hypothesis ``h`` the outcome has happened by the end of day ``d`` with probability
``F_h(d) = p_h * G_h(tau)``, except under a constant hazard, ``F_h(d) = 1 - (1 - p_h) ** tau``;
``S_h(d) = 1 - F_h(d)`` is the likelihood of "no event yet".

:class:`Timing` holds every hypothesis's shape; its expectations over ``p_h``'s interval are
by 64-point Gauss-Hermite quadrature on the logit scale (as :func:`forecast.quadrature.logit_normal_mean`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .scenario import Priors

__all__ = [
    "Timing",
    "day_number",
    "timing_of",
    "window_problem",
]

_GH_X, _GH_W = np.polynomial.hermite.hermgauss(64)
_GH_W = _GH_W / np.sqrt(np.pi)

MAX_WINDOW_DAYS = 36_600
"""The longest window (``deadline - opened``) accepted: 100 years of daily rows."""


def day_number(day: dt.date) -> int:
    """The date as a day count (proleptic Gregorian ordinal): differences are days.

    Examples
    --------
    >>> day_number(dt.date(2022, 3, 31)) - day_number(dt.date(2022, 2, 10))
    49
    """
    return day.toordinal()


def window_problem(priors: Priors) -> tuple[str, str] | None:
    """The first problem of the time fields of ``priors`` as ``(field, message)``, or None.

    Checks: a deadline needs ``opened`` and must be after it, at most
    :data:`MAX_WINDOW_DAYS` later; a point ``p_outcome`` of 1 under a constant hazard; ``by``
    needs a deadline, its dates inside the window (after ``opened``, up to the deadline) and
    its shares non-decreasing in [0, 1].

    Examples
    --------
    >>> window_problem(priors)  # doctest: +SKIP
    ('deadline', 'deadline (2022-01-01) must be after opened (2022-02-10) ...')
    """
    opened, deadline = priors.opened, priors.deadline
    if deadline is not None and opened is None:
        return ("deadline", "a deadline needs 'opened:' (the day the window starts, YYYY-MM-DD)")
    if deadline is not None and opened is not None:
        if not deadline > opened:
            return (
                "deadline",
                f"deadline ({deadline}) must be after opened ({opened}): the window runs from "
                "the day after opened up to and including the deadline",
            )
        if (deadline - opened).days > MAX_WINDOW_DAYS:
            return (
                "deadline",
                f"the window from opened ({opened}) to the deadline ({deadline}) is "
                f"{(deadline - opened).days:,} days; at most {MAX_WINDOW_DAYS:,} (100 years)",
            )
    for name, h in priors.hypotheses.items():
        where = f"hypotheses.{name}"
        if h.by is not None:
            problem = _by_problem(h.by, opened, deadline)
            if problem:
                return (f"{where}.by", problem)
        elif deadline is not None and priors.timing == "constant" and h.p_outcome == 1.0:
            return (
                f"{where}.p_outcome",
                "a p_outcome of exactly 1 under 'timing: constant' would put the outcome on the "
                "first day of the window; use 'timing: uniform' or a 'by:' shape for this "
                "hypothesis, or an interval such as [0.9, 0.99]",
            )
    return None


def _by_problem(by: dict[dt.date, float], opened, deadline) -> str | None:
    if deadline is None or opened is None:
        return "'by:' needs 'deadline:' and 'opened:' in priors.yaml"
    dates = sorted(by)
    for day in dates:
        if not opened < day <= deadline:
            return (
                f"date {day} is outside the window (after opened {opened}, up to the deadline "
                f"{deadline})"
            )
    shares = [by[d] for d in dates]
    if dates[-1] == deadline and shares[-1] != 1.0:
        return (
            f"the share on the deadline ({deadline}) must be 1 (p_outcome is the probability "
            f"by the deadline), got {shares[-1]:g}"
        )
    for day, g in zip(dates, shares, strict=True):
        if not (np.isfinite(g) and 0.0 <= g <= 1.0):
            return f"the share on {day} is {g!r}; shares are fractions in [0, 1]"
    for j in range(1, len(dates)):
        (d0, g0), (d1, g1) = (dates[j - 1], shares[j - 1]), (dates[j], shares[j])
        if g1 < g0:
            return (
                f"the share falls from {g0:g} on {d0} to {g1:g} on {d1}; shares of the eventual "
                "probability reached by each date never decrease"
            )
    return None


@dataclass(frozen=True)
class Timing:
    """The window and each hypothesis's timing shape, as numbers.

    Attributes
    ----------
    opened, deadline : int
        Day numbers (:func:`day_number`); ``deadline`` is None without a deadline.
    constant : (H,) bool
        Constant hazard (else piecewise linear ``G_h`` through ``knots``).
    knots : tuple of (tau, g) array pairs, one per hypothesis
        ``G_h``'s points, from ``(0, 0)`` to ``(1, 1)``.
    p_mean, p_sd : (H,) arrays
        ``logit p_h ~ Normal(p_mean, p_sd)`` (sd 0: a point).
    """

    opened: int
    deadline: int | None
    constant: np.ndarray
    knots: tuple[tuple[np.ndarray, np.ndarray], ...]
    p_mean: np.ndarray
    p_sd: np.ndarray

    @property
    def days(self) -> int:
        """The window's length N in days (0 without a deadline)."""
        return 0 if self.deadline is None else self.deadline - self.opened

    def tau(self, day: np.ndarray) -> np.ndarray:
        """``clip((d - opened) / N, 0, 1)``; 0 everywhere without a deadline."""
        day = np.asarray(day, dtype=float)
        if self.deadline is None:
            return np.zeros_like(day)
        return np.clip((day - self.opened) / self.days, 0.0, 1.0)

    def shape(self, tau: np.ndarray) -> np.ndarray:
        """``G_h(tau)`` for the non-constant hypotheses, (..., H) (constant ones: tau)."""
        tau = np.asarray(tau, dtype=float)
        out = np.empty((*tau.shape, len(self.knots)))
        for h, (t, g) in enumerate(self.knots):
            out[..., h] = np.interp(tau, t, g)
        return out

    def cdf(self, day: np.ndarray, p: np.ndarray) -> np.ndarray:
        """``F_h(d; p_h)``: P(outcome by the end of day d | h, p_h).

        ``day`` (D,) day numbers, ``p`` (..., H); returns (D, ..., H).

        Examples
        --------
        >>> t = Timing(0, 364, np.array([True]), ((np.r_[0.0, 1], np.r_[0.0, 1]),),
        ...            np.zeros(1), np.zeros(1))
        >>> round(float(t.cdf(np.array([182]), np.array([0.9]))[0, 0]), 6)  # 1 - 0.1 ** 0.5
        0.683772
        """
        day = np.atleast_1d(np.asarray(day))
        p = np.asarray(p, dtype=float)
        lead = (day.size,) + (1,) * (p.ndim - 1)
        tau = self.tau(day)
        g = self.shape(tau)  # (D, H)
        out = np.empty(lead[:1] + p.shape)
        for h in range(p.shape[-1]):  # one branch per hypothesis: no work thrown away
            if self.constant[h]:
                with np.errstate(divide="ignore", invalid="ignore"):
                    log_s = np.log1p(-p[..., h])  # -inf for p = 1
                    # 0 * -inf (tau = 0, p = 1) is NaN here and 0 on the next line
                    out[..., h] = -np.expm1(tau.reshape(lead) * log_s)
                out[tau == 0, ..., h] = 0.0
            else:
                out[..., h] = p[..., h] * g[:, h].reshape(lead)
        return out

    def expected(self, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``E[F_h(d)]`` and ``E[S_h(d)]`` over ``p_h``'s interval, (D, H) each.

        Examples
        --------
        >>> t = Timing(0, 364, np.array([True]), ((np.r_[0.0, 1], np.r_[0.0, 1]),),
        ...            np.array([np.log(9.0)]), np.zeros(1))
        >>> round(float(t.expected(np.array([182]))[1][0, 0]), 12)  # (1 - 0.9) ** 0.5
        0.316227766017
        """
        from scipy.special import expit  # here: checking files needs no scipy

        day = np.atleast_1d(np.asarray(day))
        nodes = expit(self.p_mean[:, None] + np.sqrt(2.0) * self.p_sd[:, None] * _GH_X)  # (H, Q)
        exact = self.p_sd == 0
        nodes[exact] = expit(self.p_mean[exact])[:, None]
        f = self.cdf(day, nodes.T)  # (D, Q, H)
        ef = np.einsum("dqh,q->dh", f, _GH_W)
        ef[:, exact] = f[:, 0, exact]
        return ef, 1.0 - ef


def timing_of(priors: Priors, p_mean: np.ndarray, p_sd: np.ndarray) -> Timing:
    """The :class:`Timing` of a validated ``priors.yaml``.

    Examples
    --------
    >>> a = encode(scenario)  # doctest: +SKIP
    >>> timing_of(scenario.priors, a.p_mean, a.p_sd).days  # doctest: +SKIP
    49
    """
    opened = priors.opened
    start = day_number(opened) if opened is not None else 0
    deadline = day_number(priors.deadline) if priors.deadline is not None else None
    constant, knots = [], []
    for h in priors.hypotheses.values():
        if h.by is None or deadline is None:
            constant.append(priors.timing == "constant")
            knots.append((np.array([0.0, 1.0]), np.array([0.0, 1.0])))
            continue
        constant.append(False)
        points = sorted((day_number(d) - start, g) for d, g in h.by.items())
        t = np.array([0.0, *(x / (deadline - start) for x, _ in points), 1.0])
        g = np.array([0.0, *(y for _, y in points), 1.0])
        knots.append((t, g))
    return Timing(start, deadline, np.array(constant), tuple(knots), p_mean, p_sd)
