"""Charts of a run: the timeline, each item's impact, the ACH matrix, sensitivity, the band.

Every function takes the result of :func:`forecast.run` (or :func:`forecast.load_result`)
and returns a :class:`matplotlib.figure.Figure`: it shows inline in JupyterLab, and
``fig.savefig(...)`` writes it. Figures are closed in pyplot before they are returned
(nothing accumulates), and no global matplotlib setting is changed.

Common to every chart: the question as the title, the as-of date (the latest evidence date),
probabilities in percent, the Okabe-Ito colour-blind-safe palette, figure sizes that grow
with the number of items (readable with 2 and with 40), and a footer with the scenario hash,
the date of the run and the seed.

At scale every chart stays bounded (at most :data:`MAX_PIXELS` a side at 200 dpi, and in SVG
and PDF the same inches): above :data:`MAX_ROWS` items the timeline's x axis is the date, and
the impact and ACH charts show the :data:`TOP_ITEMS` items that matter most (by their Shapley
value when the result holds an attribution, else by leave-one-out) and one row for the rest.

The numbers behind the charts come from pure functions, :func:`impact_table` and
:func:`sensitivity_table`, computed on the encoded arrays, so that they can be checked and
reused. No scenario is re-validated: a result's stored scenario is decoded and encoded once
(:class:`forecast.view.ResultView`, which :func:`save_all` and the tables also accept). Everything is in log space: a likelihood of 0
(``log L = -inf``, "ruled out") and numbers near the documented range (1e-300..1e300) give
neither a warning nor a NaN.
"""

# ruff: noqa: F401  (re-exports: the names forecast.charts has always had)
from ..analysis import (
    MAX_ROWS,
    TOP_ITEMS,
    impact_table,
    leave_one_out,
    most_important,
    sensitivity_table,
)
from ..labels import LABEL_CHARS, format_ratio
from .ach import (
    ACH_COLOUR_CAP,
    RULED_OUT,
    plot_ach,
)
from .distribution import (
    plot_distribution,
)
from .export import (
    CHARTS,
    FORMATS,
    chart_formats,
    figures,
    inline_svg,
    save_all,
    save_watch_chart,
    svg_text,
    write_figure,
)
from .impact import (
    plot_impact,
)
from .score import plot_calibration, plot_score
from .sensitivity import (
    plot_sensitivity,
)
from .style import (
    BAND_COLOUR,
    DOWN,
    FOOTER_SIZE,
    GROUP_HATCH,
    INK,
    LABEL_SIZE,
    MAX_INCHES,
    MAX_PIXELS,
    MUTED,
    OKABE_ITO,
    RELIABILITY_HATCH,
    ROW_HEIGHT,
    SMALL_SIZE,
    STEP_WIDTH,
    SUBTITLE_SIZE,
    TICK_SIZE,
    TITLE_LINES,
    TITLE_SIZE,
    TOP_N,
    UP,
)
from .timeline import (
    DATED_PLOT_WIDTH,
    plot_timeline,
    step_dates,
)
from .watch import (
    plot_watch,
)

__all__ = [
    "CHARTS",
    "OKABE_ITO",
    "plot_ach",
    "plot_distribution",
    "format_ratio",
    "plot_impact",
    "impact_table",
    "leave_one_out",
    "most_important",
    "save_all",
    "plot_sensitivity",
    "save_watch_chart",
    "write_figure",
    "sensitivity_table",
    "step_dates",
    "plot_timeline",
    "plot_watch",
    "plot_calibration",
    "plot_score",
]
