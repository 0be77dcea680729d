"""The sensitivity chart.

How far the final probability moves when each interval input goes to its low or high end (a tornado
chart).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Transform, blended_transform_factory

from ..analysis import sensitivity_table
from ..labels import as_of, display_names, pct
from .style import (
    INK,
    LABEL_SIZE,
    MUTED,
    OKABE_ITO,
    ROW_HEIGHT,
    SMALL_SIZE,
    TICK_SIZE,
    TOP_N,
    axes_width,
    decorate,
    empty_panel,
    finish_rows_chart,
    legend_height,
    new_figure,
    percent_axis,
    percent_limits,
    plain,
    root_figure,
    style_axes,
    subtitle,
    text_width,
)


def plot_sensitivity(result: xr.DataTree, *, top: int = TOP_N, ax: Axes | None = None) -> Figure:
    """Tornado chart: which uncertain inputs move the final probability most.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.
    top : int
        How many inputs to show (the largest swings).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (the values written right of it, the legend inside it; no title,
        footer or bottom legend: the figure is yours) and return its figure. By default a new
        figure is made.

    Returns
    -------
    matplotlib.figure.Figure
        One row per input (each likelihood interval of each item, each ``p_outcome``
        interval), largest swing on top: the final probability with the input at the low
        end of its 90% interval (sky blue) and at the high end (orange), every other input
        at its centre (the solid line). The dashed line is the forecast itself, with every
        interval integrated over.

    Notes
    -----
    The prior strength ``kappa`` is left out: the probability does not depend on it
    (``E[pi] = pi``), only the width of the judgement band does. The figure says so in
    its footer when the scenario has a ``prior_strength``. See :func:`sensitivity_table`.

    Examples
    --------
    >>> plot_sensitivity(result).savefig("sensitivity.png", dpi=200)  # doctest: +SKIP
    >>> fig, (left, right) = plt.subplots(1, 2, layout="constrained")  # doctest: +SKIP
    >>> plot_sensitivity(result, top=5, ax=left)  # doctest: +SKIP
    """
    return sensitivity_figure(result, sensitivity_table(result), top=top, ax=ax)


def sensitivity_figure(
    result: xr.DataTree, table: pd.DataFrame, *, top: int = TOP_N, ax: Axes | None = None
) -> Figure:
    """Return the sensitivity chart of a :func:`~forecast.analysis.sensitivity_table`.

    It draws the table's ``top`` rows, into ``ax`` if given (as :func:`sensitivity`).
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    outcome = display_names(result).outcome
    shown = table.head(top)
    n = len(shown)
    labels = [plain(s) for s in shown["input"]]
    p_low, p_high = 100 * shown["p_low"].to_numpy(), 100 * shown["p_high"].to_numpy()
    notes = []
    kappa = table.attrs.get("prior_strength")
    if kappa is not None:
        notes.append(
            f"Prior strength (kappa = {kappa:g}) is not shown: it changes only the width of the "
            "judgement band, never the probability (E[pi] = pi)."
        )
    side = [
        f"[{lo:g}, {hi:g}]: {pct(a, 1, scale=1)} / {pct(b, 1, scale=1)}"
        for lo, hi, a, b in zip(shown["lo"], shown["hi"], p_low, p_high, strict=True)
    ]
    label_w = text_width(labels or ["x"], TICK_SIZE)
    side_w = text_width(side or ["x"], SMALL_SIZE) + 0.25
    plot_w = 5.5
    width = max(10.0, label_w + plot_w + side_w + 0.6)
    height = 1.5 + ROW_HEIGHT * 1.15 * (max(n, 2) + 0.8) + 0.75 + legend_height(2)
    height += 0.16 * len(notes)
    own = ax is None  # a figure of its own, with the question as title and the footer
    if ax is None:
        ax = new_figure(width, height, footer_lines=1 + len(notes), legend_rows=2).subplots()
    fig = root_figure(ax)
    total = len(table)
    p_centre, p_final = 100 * table.attrs["p_centre"], 100 * table.attrs["p_final"]
    if n == 0:
        empty_panel(ax, "No uncertain inputs: every likelihood and probability is a number.")
        if own:
            decorate(fig, result, notes=notes)
        return fig
    y = np.arange(n)
    low_c, high_c = OKABE_ITO["sky_blue"], OKABE_ITO["orange"]
    _draw_bars(ax, (p_low, p_high), (p_centre, p_final), (low_c, high_c))
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    _write_side(ax, side, trans)
    ax.set_yticks(y, labels, fontsize=TICK_SIZE)
    ax.set_ylim(n - 0.5, -1.35)
    percent_axis(ax.xaxis)
    ax.set_xlabel(f"final P({outcome})", fontsize=LABEL_SIZE)
    style_axes(ax, grid="x")
    what = f"top {n} of {total}" if total > n else f"all {total}"
    subtitle(
        ax,
        f"Sensitivity of P({outcome}) to the uncertain inputs ({what}), {as_of(result)}",
        plot_w + side_w if own else axes_width(ax),
    )
    handles = [
        Patch(facecolor=low_c, label="input at the low end of its 90% interval"),
        Patch(facecolor=high_c, label="input at the high end"),
        Line2D([], [], color=INK, label=f"every input at its centre {pct(p_centre, 1, scale=1)}"),
        Line2D(
            [], [], color=MUTED, linestyle="--", label=f"the forecast {pct(p_final, 1, scale=1)}"
        ),
    ]
    return finish_rows_chart(ax, handles, result, notes=notes, own=own)


def _draw_bars(
    ax: Axes,
    ends: tuple[np.ndarray, np.ndarray],
    lines: tuple[float, float],
    colours: tuple[str, str],
) -> None:
    """Each input's two bars from the centre, the centre and forecast lines, and the x range.

    ``ends`` is P(outcome) with the input at its low and high end, ``lines`` is (every input
    at its centre, the forecast), all in percent; ``colours`` colour the low and high bars.
    """
    p_low, p_high = ends
    p_centre, p_final = lines
    low_c, high_c = colours
    y = np.arange(len(p_low))
    for k in range(len(p_low)):
        bars = [(p_low[k], low_c), (p_high[k], high_c)]
        bars.sort(key=lambda b: -abs(b[0] - p_centre))  # the longer first, the shorter on top
        for value, colour in bars:
            ax.barh(
                y[k],
                value - p_centre,
                left=p_centre,
                height=0.64,
                color=colour,
                edgecolor="white",
                linewidth=0.6,
            )
    ax.axvline(p_centre, color=INK, linewidth=1.1, zorder=3)
    ax.axvline(p_final, color=MUTED, linewidth=1.1, linestyle="--", zorder=3)
    lo, hi = percent_limits(np.concatenate([p_low, p_high, [p_centre, p_final]]), pad=2.0)
    ax.set_xlim(lo, hi)


def _write_side(ax: Axes, side: list[str], trans: Transform) -> None:
    """Each row's interval and its two probabilities right of the axes, under a key line."""
    for k, text in enumerate(side):
        ax.text(
            1.02,
            k,
            text,
            transform=trans,
            ha="left",
            va="center",
            fontsize=SMALL_SIZE,
            color=INK,
        )
    ax.text(
        1.02,
        -1.0,
        "interval: P at lo / at hi",
        transform=trans,
        ha="left",
        va="center",
        fontsize=SMALL_SIZE,
        color=MUTED,
    )
