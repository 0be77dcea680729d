"""The watch chart: the indicators to watch.

P(outcome) if each is seen, and if it is not seen by its date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from ..labels import as_of, display_names, pct, points
from ..result_schema import band_label
from .style import (
    BAND_COLOUR,
    DOWN,
    INK,
    LABEL_SIZE,
    MUTED,
    ROW_HEIGHT,
    SMALL_SIZE,
    TICK_SIZE,
    TOP_N,
    UP,
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


def plot_watch(
    result: xr.DataTree, table: pd.DataFrame, *, top: int = TOP_N, ax: Axes | None = None
) -> Figure:
    """Return what to watch: where P(outcome) would go if each indicator is seen, and if not.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.
    table : pandas.DataFrame
        From :func:`forecast.watch` (its order is kept: best first).
    top : int
        How many indicators to show (the rest are counted in the subtitle).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (P(seen) and the shift written right of it, the legend inside it;
        no title, footer or bottom legend: the figure is yours) and return its figure. By
        default a new figure is made.

    Returns
    -------
    matplotlib.figure.Figure
        One row per indicator: today's P(outcome) (the vertical line), P(outcome | seen)
        (filled, vermillion when it raises the probability, blue when it lowers it) and
        P(outcome | not seen) (open circle), joined by a thin line; the 90% judgement band
        of each as a bar when some input is an interval. On the right: P(seen) and the
        expected shift.

    Examples
    --------
    >>> plot_watch(result, forecast.watch(result, "indicators")).savefig("watch.png")  # doctest: +SKIP
    >>> fig, (left, right) = plt.subplots(1, 2, layout="constrained")  # doctest: +SKIP
    >>> plot_watch(result, table, top=5, ax=left)  # doctest: +SKIP
    """
    outcome = table.attrs.get("outcome", result.attrs.get("outcome", "outcome"))
    shown = table.head(top)
    n = len(shown)
    labels = [plain(s) for s in shown["indicator_id"]]
    seen = 100 * shown[f"p_{outcome}_if_seen"].to_numpy(dtype=float)
    nots = 100 * shown[f"p_{outcome}_if_not_seen"].to_numpy(dtype=float)
    now = 100 * float(table.attrs.get("p_outcome", np.nan))
    band = f"p_{outcome}_if_seen_low" in shown.columns
    side = _side_texts(shown)
    label_w = text_width(labels or ["x"], TICK_SIZE)
    side_w = text_width(side or ["x"], SMALL_SIZE) + 0.25
    plot_w = 5.5
    width = max(10.0, label_w + plot_w + side_w + 0.6)
    notes = []
    if band:
        notes.append(
            f"Bars: the {band_label(result)} judgement band of P(outcome | seen) (upper bar, "
            "filled dot) and of "
            "P(outcome | not seen) (lower bar, open dot), from the band's draws weighted by "
            "the chance of each observation."
        )
    height = 1.5 + ROW_HEIGHT * 1.4 * (max(n, 2) + 0.8) + 0.75 + legend_height(2)
    height += 0.16 * len(notes)
    own = ax is None  # a figure of its own, with the question as title and the footer
    if ax is None:
        ax = new_figure(width, height, footer_lines=1 + len(notes), legend_rows=2).subplots()
    fig = root_figure(ax)
    if n == 0:
        empty_panel(ax, "No indicator left to watch.")
        if own:
            decorate(fig, result, notes=notes)
        return fig
    y = np.arange(n)
    _draw_rows(ax, shown, outcome, (seen, nots, now), band=band)
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    for k in range(n):
        ax.text(1.02, y[k], side[k], transform=trans, ha="left", va="center",
                fontsize=SMALL_SIZE, color=INK)  # fmt: skip
    ax.set_yticks(y, labels, fontsize=TICK_SIZE)
    ax.set_ylim(n - 0.5, -0.7)
    percent_axis(ax.xaxis)
    shown_as = display_names(result).outcome
    ax.set_xlabel(f"P({shown_as}) after the observation", fontsize=LABEL_SIZE)
    style_axes(ax, grid="x")
    total = len(table)
    what = f"top {n} of {total}" if total > n else f"all {total}"
    subtitle(
        ax,
        f"What would change P({shown_as}): indicators by expected shift ({what}), {as_of(result)}",
        plot_w + side_w if own else axes_width(ax),
    )
    handles = _legend_handles(shown_as, now)
    return finish_rows_chart(ax, handles, result, notes=notes, own=own)


def _side_texts(shown: pd.DataFrame) -> list[str]:
    """The text right of each row: P(seen), the expected shift (points) and OVERDUE if late."""
    return [
        f"P(seen) {pct(p, 0)}  shift {points(s, 1)}" + ("  OVERDUE" if late else "")
        for p, s, late in zip(
            shown["p_seen"], shown["expected_shift"], shown["overdue"], strict=True
        )
    ]


def _draw_rows(
    ax: Axes,
    shown: pd.DataFrame,
    outcome: str,
    marks: tuple[np.ndarray, np.ndarray, float],
    *,
    band: bool,
) -> None:
    """One row per indicator: the bands, the seen/not-seen dots, today's line and the x range.

    ``marks`` is (P(outcome | seen), P(outcome | not seen), P(outcome) now), in percent.
    """
    seen, nots, now = marks
    n = len(shown)
    y = np.arange(n)
    colours = [UP if s > now else DOWN for s in seen]
    dy = 0.17 if band else 0.0  # with bands: "if seen" on the upper bar, "not seen" below
    if band:
        for name, off in (("seen", -dy), ("not_seen", dy)):
            lo = 100 * shown[f"p_{outcome}_if_{name}_low"].to_numpy(dtype=float)
            hi = 100 * shown[f"p_{outcome}_if_{name}_high"].to_numpy(dtype=float)
            ax.barh(y + off, hi - lo, left=lo, height=0.26, color=BAND_COLOUR, alpha=0.45, lw=0)
    for k in range(n):
        ax.plot([seen[k], nots[k]], [y[k] - dy, y[k] + dy], color="#bbbbbb", lw=1.2, zorder=2)
    ax.scatter(seen, y - dy, s=46, color=colours, zorder=4)
    ax.scatter(nots, y + dy, s=46, facecolor="white", edgecolor=colours, linewidth=1.4, zorder=4)
    ax.axvline(now, color=INK, linewidth=1.1, zorder=3)
    values: list[np.ndarray | list[float]] = [seen, nots, [now]]
    if band:
        values += [
            100 * shown[c].to_numpy(dtype=float)
            for c in shown.columns
            if c.endswith(("_low", "_high"))
        ]
    lo, hi = percent_limits(np.concatenate(values), pad=2.0)
    ax.set_xlim(lo, hi)


def _legend_handles(shown_as: str, now: float) -> list[Line2D]:
    """The legend's entries: today's line and the three kinds of dot."""
    return [
        Line2D([], [], color=INK, label=f"P({shown_as}) now {pct(now, 1, scale=1)}"),
        Line2D([], [], marker="o", ls="", color=UP, label="if seen (raises it)"),
        Line2D([], [], marker="o", ls="", color=DOWN, label="if seen (lowers it)"),
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markerfacecolor="white",
            markeredgecolor=MUTED,
            color=MUTED,
            label="if not seen by its date",
        ),  # fmt: skip
    ]
