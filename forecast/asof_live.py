"""The as-of slider's numbers: any day of the window from one computation (issue 23).

A move of the what-if panel's as-of slider (:mod:`forecast.asof_panel`) asks for the rows of
``forecast.run(scenario, as_of=A)``'s trajectory: the probability, the hypotheses and the band of
every row. Those rows are the rows as of a later day ``M`` dated on or before ``A``, with the same
epoch and step (:func:`forecast.asof.timeline_rows`), plus an ``(as of A)`` row when ``A`` is after
the last of them. A row's numbers depend only on its day and on the items up to its step: the
probability exactly, and the band's draws too when they are drawn by the numpy route (one random
stream per item, :func:`forecast.band.band_route`). So :class:`DayModel` computes the rows as of
``M`` once (:func:`forecast.time_numbers.time_numbers`, every epoch's draws kept), and a day is a
slice of them plus the as-of row: ``E[S_h(A)]`` and ``E[F_h(A)]`` over ``p_h``'s interval, and for
the band each draw's ``S_h(A; p_h)`` (vectorised over the draws) and a weighted percentile. No
item is encoded, drawn or looped over in Python for a new day.

With the compiled route the draws of a step depend on how many steps follow, so a model serves
only the days that know the same items (from the latest item's date up to ``M``):
:class:`LiveDays` then keeps one model per such stretch, each computed when first asked for.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from .asof import resolve_as_of
from .band import band_route
from .inference import check_draws
from .time_numbers import time_numbers, weighted_summary
from .timing import MAX_WINDOW_DAYS, day_number

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = ["MODELS", "DayModel", "LiveDays"]

MODELS = 4
"""Day models kept by :class:`LiveDays` (compiled route: one per stretch of days seen). Each
holds its draws' per-step posteriors: at most (500 steps, 4,000 draws, H) float32 numbers, as
the panel draws the band live only up to 2 million steps x draws."""


class DayModel:
    """The live numbers of every as-of day from ``first`` to ``last``, computed as of ``last``.

    Parameters
    ----------
    scenario : Scenario
        With ``opened`` (or a deadline).
    last : date
        ``M``: a valid as-of day (:func:`forecast.asof.resolve_as_of`).
    draws, seed : int
        The band's, as :func:`forecast.run`.
    band : bool
        False: the probabilities only.

    Attributes
    ----------
    first, last : int
        The day numbers served (:func:`forecast.timing.day_number`); ``first`` is the latest
        item's day when the band's draws of a step depend on the steps after it, else no bound.
    builds : int
        How many models were computed in this process (a class counter, for tests).

    Examples
    --------
    >>> m = DayModel(scenario, dt.date(2022, 2, 23), draws=400, seed=0, band=True)  # doctest: +SKIP
    >>> m.at(day_number(dt.date(2022, 2, 20)))["p_outcome"][-1]  # doctest: +SKIP
    0.52
    """

    builds = 0

    def __init__(
        self, scenario: Scenario, last: dt.date, *, draws: int, seed: int, band: bool
    ) -> None:
        DayModel.builds += 1
        t = time_numbers(
            resolve_as_of(scenario, last), draws=draws, seed=seed, band=band, series=False,
            keep=True,
        )  # fmt: skip
        rows = t.rows
        fixed = len(rows) - int(rows.kind[-1] == "as_of")  # an as-of row of M is not kept
        self.band, self.epochs, self.last = band, t.epochs, day_number(last)
        self.row_day = np.array(
            [day_number(d) if d else t.timing.opened for d in rows.day[:fixed]], np.int64
        )
        self.prior_dated = rows.day[0] is not None
        self.epoch, self.step = rows.epoch[:fixed], rows.step[:fixed]
        keys = ("p_hypothesis", "p_outcome") + (("p_outcome_low", "p_outcome_high") if band else ())
        self.rows = {k: np.asarray(t.stats[k])[:fixed] for k in keys}
        self.item_days = [
            np.array([day_number(e.date) for e in ep.scenario.evidence], np.int64)
            for ep in t.epochs
        ]
        stable = not band or all(band_route(ep.a, draws) == "numpy" for ep in t.epochs)
        known = self.item_days[0]
        self.first = -np.inf if stable or not known.size else int(known.max())

    def serves(self, day: int) -> bool:
        """True when ``day`` (a day number) is one this model gives."""
        return bool(self.first <= day <= self.last)

    def at(self, day: int) -> dict[str, np.ndarray]:
        """The rows as of ``day`` (a day number this model :meth:`serves`), as ``live_numbers``.

        ``p_hypothesis`` (R, H), ``p_outcome`` and, with the band, ``p_outcome_low`` and
        ``p_outcome_high`` (R,): new arrays.
        """
        n = 1 + int(np.searchsorted(self.row_day[1:], day, side="right"))
        kept = {k: v[:n] for k, v in self.rows.items()}
        latest = int(self.row_day[1:n].max()) if n > 1 else -1  # day numbers are >= 1
        if self.prior_dated:
            latest = max(latest, int(self.row_day[0]))
        if day <= latest:  # a row on that day: no as-of row
            return {k: v.copy() for k, v in kept.items()}
        e = int(self.epoch[n - 1])
        ep = self.epochs[e]
        steps = np.searchsorted(self.item_days[e], [day], side="right")
        days = np.array([day], np.int64)
        p_h, p_y = ep.exact(steps, days)
        row = {"p_hypothesis": p_h, "p_outcome": p_y}
        if self.band:
            s = weighted_summary(*ep.draws_at(steps, days))
            row["p_outcome_low"], row["p_outcome_high"] = s["low"], s["high"]
            check_draws(s["mean"], s["mcse"], p_y, what="row", atol=1e-6, stacklevel=3)
        return {k: np.concatenate([v, row[k]]) for k, v in kept.items()}


class LiveDays:
    """The live numbers of one scenario (the panel's settings) as of any day up to ``last``.

    ``numbers(day)`` equals ``forecast.run(scenario, as_of=day)``'s rows (probabilities to
    1e-12; the band from the same draws, reweighted the same way); the first call computes a
    :class:`DayModel` as of ``last``, which then serves every day (numpy route) or the days
    from the latest item on (compiled route: other stretches get their own model).

    Parameters
    ----------
    scenario : Scenario
        With ``opened`` (or a deadline).
    last : date or None
        The last day the slider offers (None: the default as-of day, the latest item's).
    draws, seed : int
    band : bool

    Examples
    --------
    >>> last = dt.date(2022, 2, 23)
    >>> days = LiveDays(scenario, last, draws=400, seed=0, band=True)  # doctest: +SKIP
    >>> days.numbers(dt.date(2022, 2, 20))["p_outcome"][-1]  # doctest: +SKIP
    0.52
    """

    def __init__(
        self, scenario: Scenario, last: dt.date | None, *, draws: int, seed: int, band: bool
    ) -> None:
        self.scenario, self.draws, self.seed, self.band = scenario, draws, seed, band
        default = resolve_as_of(scenario).day
        assert default is not None, "a scenario with opened has an as-of day"
        self.default = default
        self.last = max(last, default) if last is not None else default
        p = scenario.priors
        lo, hi = -np.inf, np.inf  # the days resolve_as_of accepts
        if p.opened is not None:
            lo, hi = day_number(p.opened), day_number(p.opened) + MAX_WINDOW_DAYS
        if p.deadline is not None:
            hi = min(hi, day_number(p.deadline))
        if p.resolution is not None:
            hi = min(hi, day_number(p.resolution.date) - 1)
        self.valid = (lo, hi)
        self.item_days = np.array(sorted(day_number(e.date) for e in scenario.evidence), np.int64)
        self.models: OrderedDict[int, DayModel] = OrderedDict()

    def numbers(self, as_of: dt.date | None) -> dict[str, np.ndarray]:
        """The rows as of ``as_of`` (None: the default day) as ``live_numbers`` gives them.

        Raises
        ------
        InputError
            A day ``forecast.run`` refuses (before ``opened``, after the deadline, ...).
        """
        day = day_number(self.default if as_of is None else as_of)
        lo, hi = self.valid
        if not lo <= day <= hi:
            resolve_as_of(self.scenario, as_of)  # says why
        last = day_number(self.last)
        if not self.models:  # the first model: as of the last day (it may serve every day)
            self._model(last)
        for end, model in self.models.items():
            if model.serves(day):
                self.models.move_to_end(end)
                return model.at(day)
        if day > last:
            return self._model(day).at(day)
        later = self.item_days[self.item_days > day]  # the end of the day's stretch
        return self._model(last if not later.size else min(last, int(later[0]) - 1)).at(day)

    def _model(self, end: int) -> DayModel:
        model = self.models.get(end)
        if model is None:
            model = DayModel(
                self.scenario, dt.date.fromordinal(end), draws=self.draws, seed=self.seed,
                band=self.band,
            )  # fmt: skip
            self.models[end] = model
            if len(self.models) > MODELS:
                self.models.popitem(last=False)
        return model
