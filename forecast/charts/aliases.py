"""The charts' old names, deprecated: each calls its ``plot_*`` function after a warning.

``forecast.timeline``, ``forecast.impact``, ``forecast.sensitivity``, ``forecast.distribution``,
``forecast.ach_matrix``, ``forecast.watch_chart``, ``forecast.score_chart`` and
``forecast.calibration_chart`` keep working for a while, for notebooks written before the charts
were named like arviz-plots' (``plot_timeline``, ...). In ``forecast.charts`` the names
``timeline``, ``impact``, ``sensitivity`` and ``distribution`` are the modules.

Examples
--------
>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     timeline.__name__, type(caught).__name__
('timeline', 'list')
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from .ach import plot_ach
from .distribution import plot_distribution
from .impact import plot_impact
from .score import plot_calibration, plot_score
from .sensitivity import plot_sensitivity
from .timeline import plot_timeline
from .watch import plot_watch

__all__ = [
    "ach_matrix",
    "calibration_chart",
    "distribution",
    "impact",
    "score_chart",
    "sensitivity",
    "timeline",
    "watch_chart",
]


def deprecated(fn: Callable[..., Any], old: str) -> Callable[..., Any]:
    """Return ``fn`` under its old name ``old``, warning (DeprecationWarning) at each call."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(
            f"forecast.{old} is deprecated: use forecast.{fn.__name__}",
            DeprecationWarning,
            stacklevel=2,
        )
        return fn(*args, **kwargs)

    call.__name__ = call.__qualname__ = old
    return call


timeline = deprecated(plot_timeline, "timeline")
impact = deprecated(plot_impact, "impact")
sensitivity = deprecated(plot_sensitivity, "sensitivity")
distribution = deprecated(plot_distribution, "distribution")
ach_matrix = deprecated(plot_ach, "ach_matrix")
watch_chart = deprecated(plot_watch, "watch_chart")
score_chart = deprecated(plot_score, "score_chart")
calibration_chart = deprecated(plot_calibration, "calibration_chart")
