"""The what-if panel's as-of slider: drag time forward and watch the forecast drift.

For a scenario with a window (``opened``, a deadline), :func:`as_of_row` gives the panel
(:class:`forecast.widgets.WhatIf`) a slider over the days from ``opened`` to the deadline (or
to the last item, without a deadline; never on or after a resolution date). Moving it sets the
panel's ``as_of`` and updates it: items dated after the day are left out, the days that passed
without the outcome count (MODEL.md "Time"), exactly as ``forecast.run(scenario, as_of=day)``.

:class:`TimedNumbers` gives the panel its numbers with time. :class:`LiveCache` remembers those of
the settings and days already seen, so that a drag back over them is a dictionary look-up; a day
not seen before is a slice of the rows computed once for the settings plus the as-of row
(:class:`forecast.asof_live.LiveDays`): no item is encoded or drawn again on a move.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import ipywidgets as W
import numpy as np

from .asof_live import LiveDays

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = [
    "CACHED",
    "SETTINGS_KEPT",
    "LiveCache",
    "TimedNumbers",
    "as_of_row",
    "as_of_suffix",
    "as_of_xlim",
    "frozen",
    "settings_key",
    "slider_days",
]

CACHED = 512
"""Updates remembered by :class:`LiveCache` (settings x days); the oldest forgotten first."""
SETTINGS_KEPT = 2
"""Settings whose :class:`forecast.asof_live.LiveDays` :class:`TimedNumbers` keeps (the
current and the previous: a drag back over both is remembered by :class:`LiveCache`)."""


class LiveCache:
    """The live numbers of the last :data:`CACHED` (settings, as-of day) pairs seen.

    Examples
    --------
    >>> cache = LiveCache()
    >>> cache.get(("a", 1), lambda: {"p": 1})["p"], cache.get(("a", 1), lambda: {"p": 2})["p"]
    (1, 1)
    """

    def __init__(self, size: int = CACHED) -> None:
        self.size = size
        self._seen: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """Return the value remembered for ``key``, or ``compute()`` (then remembered)."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return self._seen[key]
        value = compute()
        self._seen[key] = value
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return value


def slider_days(scenario: Scenario) -> tuple[dt.date, dt.date] | None:
    """The first and last day the as-of slider offers; None without a window.

    From ``opened`` to the deadline (without a deadline: to the last item's date), and before a
    resolution date (an as-of day is never on or after it).

    Examples
    --------
    >>> slider_days(load_scenario())  # doctest: +SKIP
    (datetime.date(2022, 2, 10), datetime.date(2022, 3, 31))
    """
    p = scenario.priors
    if p.opened is None:
        return None
    last = p.deadline or max((e.date for e in scenario.evidence), default=p.opened)
    if p.resolution is not None:
        last = min(last, p.resolution.date - dt.timedelta(days=1))
    return (p.opened, last) if last >= p.opened else None


def as_of_row(panel: Any, start: dt.date | None = None) -> list[W.Widget]:
    """The slider's row for ``panel`` (a :class:`forecast.widgets.WhatIf`), or ``[]`` without a window.

    ``panel.as_of_slider`` is the slider (an ``IntSlider`` of days after the first day) and
    ``panel.as_of_label`` the day it shows; a move sets ``panel.as_of`` and calls
    ``panel.request_update()``. ``panel.as_of_rows``: the trajectory's rows as of the last
    day (the timeline keeps room for them, :func:`as_of_xlim`). ``start``: the day it starts
    on (default the run's as-of day: the latest item's date).

    Examples
    --------
    >>> panel.as_of_slider.value += 7  # a week later  # doctest: +SKIP
    """
    days = slider_days(panel.base)
    if days is None:
        return []
    first, last = days
    from .asof import resolve_as_of, timeline_rows

    panel.as_of_rows = len(timeline_rows(resolve_as_of(panel.base, last).known, last))
    if start is None:
        dated = [e.date for e in panel.base.evidence if first <= e.date <= last]
        start = max(dated, default=first)
    slider = W.IntSlider(
        value=(start - first).days, min=0, max=(last - first).days, step=1,
        description="as of", readout=False, continuous_update=True,
        layout=W.Layout(width="420px"),
    )  # fmt: skip
    label = W.HTML()

    def show(offset: int) -> dt.date:
        day = first + dt.timedelta(days=int(offset))
        deadline = panel.base.priors.deadline
        left = f" · {(deadline - day).days:,} days to the deadline" if deadline else ""
        label.value = f"<b>{day.isoformat()}</b>{left}"
        return day

    def moved(change: dict) -> None:
        panel.as_of = show(change["new"])
        panel.request_update()

    show(slider.value)
    slider.observe(moved, names="value")
    slider.add_class("forecast-whatif-asof")
    panel.as_of_slider, panel.as_of_label = slider, label
    return [W.HBox([slider, label], layout=W.Layout(align_items="center"))]


def as_of_suffix(panel: Any) -> str:
    """``", as of 2022-02-20"`` for a panel with the as-of slider (its day), else ``""``.

    Examples
    --------
    >>> as_of_suffix(object())
    ''
    """
    slider = getattr(panel, "as_of_slider", None)
    if slider is None:
        return ""
    first = slider_days(panel.base)
    assert first is not None
    return f", as of {(first[0] + dt.timedelta(days=int(slider.value))).isoformat()}"


def as_of_xlim(panel: Any, xlim: tuple[float, float]) -> tuple[float, float]:
    """The timeline's x limits for ``xlim`` (what the rows need) on ``panel``.

    With the as-of slider, never narrower than the rows as of its last day: a move of the
    slider then redraws the lines over the same axes (blitting) instead of the whole chart.

    Examples
    --------
    >>> as_of_xlim(object(), (0, 13))
    (0, 13)
    """
    return (xlim[0], max(xlim[1], getattr(panel, "as_of_rows", 0) - 1))


def settings_key(settings: Any, as_of: dt.date | None, pretend: Any) -> Hashable:
    """A hashable key of the controls' settings, the as-of day and the pretended indicators.

    Examples
    --------
    >>> settings_key({}, None, {})
    ((), None, ())
    """
    return (tuple(sorted(settings.items())), as_of, tuple(sorted(pretend.items())))


def frozen(live: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``live`` with read-only arrays (a remembered update is shared, never changed in place)."""
    for v in live.values():
        v.setflags(write=False)
    return live


class TimedNumbers:
    """The what-if panel's live numbers for a scenario with time (a window or ``opened``).

    ``get(settings, pretend, as_of, make)`` equals ``live_numbers(make(), as_of=as_of)`` (the
    rows of ``forecast.run(scenario, as_of=as_of)``); ``make()`` builds the settings' scenario,
    called only for settings not kept. Days already seen are remembered (:class:`LiveCache`);
    the numbers of each of the last :data:`SETTINGS_KEPT` settings are a
    :class:`forecast.asof_live.LiveDays` up to the slider's last day.

    Examples
    --------
    >>> timed = TimedNumbers(draws=4000, seed=0, band=True)
    >>> live = timed.get({}, {}, None, lambda: scenario)  # doctest: +SKIP
    """

    def __init__(self, *, draws: int, seed: int, band: bool) -> None:
        self.draws, self.seed, self.band = draws, seed, band
        self.seen = LiveCache()
        self.days = LiveCache(SETTINGS_KEPT)

    def get(
        self, settings: Any, pretend: Any, as_of: dt.date | None, make: Callable[[], Scenario]
    ) -> dict[str, np.ndarray]:
        """The live numbers of ``settings`` (and ``pretend``) as of ``as_of``; read-only arrays."""

        def days() -> LiveDays:
            scenario = make()
            window = slider_days(scenario)
            return LiveDays(
                scenario, window and window[1], draws=self.draws, seed=self.seed, band=self.band
            )

        def compute() -> dict[str, np.ndarray]:
            live = self.days.get(settings_key(settings, None, pretend), days)
            return frozen(live.numbers(as_of))

        return dict(self.seen.get(settings_key(settings, as_of, pretend), compute))
