"""The timeline of a question with a window: the date axis, the days between the items.

:func:`forecast.charts.timeline.plot_timeline` draws this when the result has a ``daily`` node
(``opened`` or a deadline, MODEL.md "Time"): the line goes through every row of the trajectory
(the prior, the items, the retractions, the ``(as of A)`` row) and through the standing forecast
at the end of every day, so that it steps when an item arrives and drifts between items as days
pass without the outcome; the band is shaded the same way. Retractions are hollow markers, the
as-of day a vertical line, the deadline another when it is in view (else written at the right).

Bounded at any size: one point per row and per day (3,650 days and 2,000 items are about 5,700
points), at most :data:`MAX_RETRACTION_LABELS` labels, item markers only up to
:data:`~forecast.analysis.MAX_ROWS` items.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..analysis import MAX_ROWS
from ..labels import display_names, format_day, pct, shorten
from ..result_schema import DAILY, TRAJECTORY, band_label, dataset, scenario_of
from . import style as st
from .by_date import year_formatter
from .timeline import (
    DATED_PLOT_WIDTH,
    end_label_room,
    end_texts,
    hypothesis_panel,
    legend_width,
    timeline_axes,
)

__all__ = ["MAX_RETRACTION_LABELS", "plot_time_timeline", "row_x", "time_line"]

MAX_RETRACTION_LABELS = 6
"""Retractions labelled "retracted: <id>" (the first ones by date); the others only marked."""


def row_x(result: xr.DataTree) -> np.ndarray:
    """X of every trajectory row on a date axis (matplotlib day numbers).

    The rows of day ``d`` are spread evenly inside it, in their order: row ``i`` of ``n`` at
    ``d + (i + 1) / (n + 1)``; a value at the end of day ``d`` is at ``d + 1``.

    Examples
    --------
    >>> row_x(result)[:2]  # doctest: +SKIP
    array([19033.5, 19034.25])
    """
    days = mdates.date2num(pd.to_datetime(dataset(result, TRAJECTORY)["date"].values).to_numpy())
    days = np.floor(days)
    _, first, counts = np.unique(days, return_index=True, return_counts=True)
    within = np.arange(days.size) - np.repeat(first, counts)
    return days + (within + 1.0) / (np.repeat(counts, counts) + 1.0)


def time_line(result: xr.DataTree) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The step-and-drift line: ``(x, p, low, high)``, every row and every day's end, by x.

    ``p`` and its band in [0, 1]; days' values are at the end of their day (``d + 1``).

    Examples
    --------
    >>> x, p, lo, hi = time_line(result)  # doctest: +SKIP
    """
    t, d = dataset(result, TRAJECTORY), dataset(result, DAILY)
    xd = mdates.date2num(pd.to_datetime(d["date"].values).to_numpy()) + 1.0
    x = np.concatenate([row_x(result), xd])
    order = np.argsort(x, kind="stable")
    cols = [
        np.concatenate([t[k].values.astype(float), d[k].values.astype(float)])[order]
        for k in ("p_outcome", "p_outcome_low", "p_outcome_high")
    ]
    return x[order], cols[0], cols[1], cols[2]


def plot_time_timeline(
    result: xr.DataTree, *, ax: Axes | None = None, hypotheses: bool = True
) -> Figure:
    """Return the timeline on a date axis with the days between the items (see the module).

    ``result`` from :func:`forecast.run` of a scenario with ``opened`` or a deadline; ``ax`` and
    ``hypotheses`` as in :func:`forecast.charts.timeline.plot_timeline`, which calls this.

    Examples
    --------
    >>> fig = plot_time_timeline(forecast.run(scenario))  # doctest: +SKIP
    """
    x_rows = row_x(result)
    if ax is not None:
        _outcome_panel(ax, result, width=st.axes_width(ax), outside=False)
        _dates_below(ax, result)
        return st.root_figure(ax)
    plot_w = DATED_PLOT_WIDTH
    height = 1.3 + 3.3 + (2.5 if hypotheses else 0) + 0.9
    fig = st.new_figure(1.1 + plot_w + legend_width(result), height, footer_lines=2)
    ax_p, ax_h = timeline_axes(fig, hypotheses)
    _outcome_panel(ax_p, result, width=plot_w)
    if ax_h is not None:
        hypothesis_panel(ax_h, result, x_rows, width=plot_w, dated=True)
        ax_p.tick_params(axis="x", labelbottom=False)
        _dates_below(ax_h, result)
    else:
        _dates_below(ax_p, result)
    fig.align_ylabels()
    st.decorate(fig, result, notes=[NOTE])
    return fig


def _outcome_panel(ax, result: xr.DataTree, *, width: float, outside: bool = True) -> None:
    t = dataset(result, TRAJECTORY)
    outcome = display_names(result).outcome
    x, p, lo, hi = time_line(result)
    p, lo, hi = 100 * p, 100 * lo, 100 * hi
    band = f"{band_label(result)} judgement band"
    ax.fill_between(x, lo, hi, color=st.BAND_COLOUR, alpha=0.35, linewidth=0, label=band)
    ax.plot(x, p, color=st.DOWN, linewidth=1.6, label=f"P({outcome})", zorder=3)
    rows = t["row"].values.astype(str) if "row" in t else np.full(t.sizes["step"], "item")
    xr_, pr = row_x(result), 100 * t["p_outcome"].values.astype(float)
    items = rows == "item"
    if items.sum() <= MAX_ROWS:
        ax.plot(xr_[items], pr[items], "o", markersize=3.5, color=st.DOWN, markeredgecolor="white",
                markeredgewidth=0.6, zorder=4, label="an item arrives")  # fmt: skip
    ax.plot(xr_[:1], pr[:1], marker="s", markersize=7, color=st.MUTED, zorder=4, linestyle="none")
    ax.annotate(f"prior {pct(pr[0], 0, scale=1)}", (xr_[0], pr[0]), xytext=(-4, 8), textcoords="offset points",
                ha="left", va="bottom", fontsize=st.SMALL_SIZE, color=st.MUTED)  # fmt: skip
    _retractions(ax, t, rows, xr_, pr)
    right = _limits(ax, result, x, width)
    _as_of_and_deadline(ax, result, x[-1], right)
    big, small = end_texts(result)
    for text, dy, style in ((big, 2, {"fontsize": 12, "fontweight": "bold", "color": st.DOWN}),
                            (small, -1, {"fontsize": st.SMALL_SIZE, "color": st.MUTED})):  # fmt: skip
        ax.annotate(text, (x[-1], p[-1]), xytext=(9, dy), textcoords="offset points", ha="left",
                    va="bottom" if dy > 0 else "top", **style)  # fmt: skip
    ax.set_ylim(*st.percent_limits(np.concatenate([lo, hi, p]), pad=6.0))
    st.percent_axis(ax.yaxis)
    ax.set_ylabel(f"P({outcome})", fontsize=st.LABEL_SIZE)
    st.style_axes(ax)
    handles, labels = ax.get_legend_handles_labels()
    where = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if outside else {"loc": "best"}
    ax.legend(handles[::-1], labels[::-1], fontsize=st.TICK_SIZE, frameon=False, **where)
    when = str(result.attrs.get("as_of", "")) or "the last item"
    st.subtitle(
        ax,
        f"Probability of {outcome} day by day, as of {format_day(pd.Timestamp(when))}: it moves "
        f"when an item arrives and drifts as days pass without {outcome}",
        width,
    )


def _retractions(ax, t: xr.Dataset, rows: np.ndarray, x: np.ndarray, p: np.ndarray) -> None:
    """Hollow markers at the retraction rows; the first ones labelled with their item's id."""
    where = np.flatnonzero(rows == "retracted")
    if not where.size:
        return
    ax.plot(x[where], p[where], "o", markersize=7, markerfacecolor="white", markeredgecolor=st.UP,
            markeredgewidth=1.5, zorder=5, linestyle="none", gid="retractions",
            label=f"retracted item ({where.size:,})")  # fmt: skip
    ids = t["evidence_id"].values
    for k, i in enumerate(where[:MAX_RETRACTION_LABELS]):
        ax.annotate(f"retracted: {shorten(str(ids[i]), 28)}", (x[i], p[i]),
                    xytext=(0, 10 + 9 * (k % 2)), textcoords="offset points", ha="center",
                    va="bottom", fontsize=st.SMALL_SIZE, color=st.UP, zorder=6)  # fmt: skip


def _limits(ax, result: xr.DataTree, x: np.ndarray, width: float) -> float:
    """Set the x limits (the window so far, room for the last value); return the right one."""
    span = max(float(x[-1] - x[0]), 1.0)
    room = end_label_room(result) + 0.15
    right = x[-1] + span * room / max(width - room, 0.2 * width)
    ax.set_xlim(x[0] - 0.01 * span, right)
    return right


def _as_of_and_deadline(ax, result: xr.DataTree, end: float, right: float) -> None:
    """The as-of day's line (at its end) and the deadline's (in view) or a note at the right."""
    when = str(result.attrs.get("as_of", ""))
    if when:
        ax.axvline(end, color=st.MUTED, linewidth=1.0, linestyle=(0, (2, 2)), zorder=1,
                   gid="as_of_line")  # fmt: skip
        ax.annotate(f"as of {format_day(pd.Timestamp(when))}", (end, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(-3, -2),
                    textcoords="offset points", ha="right", va="top", fontsize=st.SMALL_SIZE,
                    color=st.MUTED)  # fmt: skip
    deadline = scenario_of(result).priors.deadline
    if deadline is None:
        return
    xd = mdates.date2num(np.datetime64(deadline.isoformat())) + 1.0  # the end of the deadline day
    if xd <= right:
        ax.axvline(xd, color="#333333", linewidth=1.2, zorder=1, gid="deadline_line")
        text, at, ha = f"deadline {format_day(pd.Timestamp(deadline))}", xd, "right"
    else:
        days = int(round(xd - end))
        text = f"deadline {format_day(pd.Timestamp(deadline))} ({days:,} days on) →"
        at, ha = right, "right"
    ax.annotate(text, (at, 0.0), xycoords=("data", "axes fraction"), xytext=(-3, 3),
                textcoords="offset points", ha=ha, va="bottom", fontsize=st.SMALL_SIZE,
                color="#333333", gid="deadline_label")  # fmt: skip


def _dates_below(ax, result: xr.DataTree) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(year_formatter(locator))
    ax.tick_params(axis="x", labelsize=st.TICK_SIZE)
    n = int((dataset(result, TRAJECTORY)["row"].values.astype(str) == "item").sum())
    ax.set_xlabel(f"date ({n:,} items; the rows of one day are spread across it)",
                  fontsize=st.SMALL_SIZE, color=st.MUTED)  # fmt: skip


NOTE = (
    "Between items the line is each day's standing forecast (daily.csv), at the end of its "
    "day; the hypotheses' probabilities are drawn at the rows only."
)
