"""The probability by date: P(outcome happens by day d), from the day after the as-of day to the deadline.

Drawn from the result's ``by_date`` node (:func:`forecast.time_result.by_date_frame`, MODEL.md
"Time: ... the probability by date"): the line is the cumulative probability, the shaded area
its judgement band, the deadline marked and the headline (the value at the deadline) written
there. Only for questions with a deadline.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from ..labels import display_names, format_day, pct, pct_range
from ..result_schema import BY_DATE, band_label, check_result, dataset, has_node
from .style import (
    BAND_COLOUR,
    DOWN,
    LABEL_SIZE,
    MUTED,
    SMALL_SIZE,
    TICK_SIZE,
    decorate,
    empty_panel,
    new_figure,
    percent_axis,
    style_axes,
    subtitle,
)

__all__ = ["has_by_date", "plot_by_date", "year_formatter"]

PLOT_WIDTH = 9.0
"""Width of the plot (inches); the figure adds the y label and the headline's room."""


def has_by_date(result: xr.DataTree) -> bool:
    """Whether the result has a probability-by-date curve (a question with a deadline).

    Examples
    --------
    >>> has_by_date(result)  # doctest: +SKIP
    True
    """
    return has_node(result, BY_DATE)


def plot_by_date(result: xr.DataTree, curve: xr.Dataset | None = None) -> Figure:
    """Return the cumulative probability of the outcome by each date up to the deadline.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` with a deadline (its ``by_date`` node).
    curve : xarray.Dataset, optional
        That node if already read (:func:`forecast.charts.export.figures` passes it).

    Returns
    -------
    matplotlib.figure.Figure
        One panel: x the date (the as-of day to the deadline), y P(outcome by that date) in
        percent with its judgement band; the as-of day and the deadline as vertical lines, the
        headline value written at the deadline. With no day left (as-of day on or after the
        deadline) the panel says so.

    Examples
    --------
    >>> fig = plot_by_date(forecast.run(scenario))  # doctest: +SKIP
    >>> fig.savefig("by_date.png", dpi=200)  # doctest: +SKIP
    """
    check_result(result)
    if not has_by_date(result):
        raise ValueError("the result has no by_date node: the question has no deadline")
    outcome = display_names(result).outcome
    fig = new_figure(1.1 + PLOT_WIDTH + 1.6, 5.4, footer_lines=3)
    ax = fig.subplots()
    b = dataset(result, BY_DATE) if curve is None else curve
    days = pd.to_datetime(b["date"].values)
    when = str(result.attrs.get("as_of", ""))
    if not len(days):
        empty_panel(ax, f"No day left before the deadline as of {when}: nothing to draw.")
        decorate(fig, result)
        return fig
    a = pd.Timestamp(when) if when else days[0] - pd.Timedelta(days=1)
    # the as-of day itself: the event has not happened by it (P = 0, the curve's start)
    x = mdates.date2num(np.concatenate([[a.to_datetime64()], days.to_numpy()]))
    p = 100 * np.concatenate([[0.0], b["p_outcome_by"].values])
    lo = 100 * np.concatenate([[0.0], b["p_outcome_by_low"].values])
    hi = 100 * np.concatenate([[0.0], b["p_outcome_by_high"].values])
    if np.isfinite(lo).all() and np.isfinite(hi).all():
        ax.fill_between(x, lo, hi, color=BAND_COLOUR, alpha=0.35, linewidth=0,
                        label=f"{band_label(result)} judgement band")  # fmt: skip
    ax.plot(x, p, color=DOWN, linewidth=2.0, label=f"P({outcome} by the date)", zorder=3)
    _marks(ax, result, x, p, lo, hi, a, days[-1])
    top = float(np.nanmax(np.r_[hi, p]))
    ax.set_ylim(0, min(100.0, max(10.0, 5 * np.ceil((top + 8) / 5))))
    span = x[-1] - x[0]
    ax.set_xlim(x[0] - 0.01 * span - 0.5, x[-1] + 0.02 * span + 0.5)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(year_formatter(locator))
    percent_axis(ax.yaxis)
    ax.set_ylabel(f"P({outcome} by the date)", fontsize=LABEL_SIZE)
    ax.tick_params(axis="x", labelsize=TICK_SIZE)
    style_axes(ax)
    # upper left, below the as-of label: the curve starts at 0 there and rises to the right
    ax.legend(loc="upper left", bbox_to_anchor=(0.01, 0.94), fontsize=TICK_SIZE, frameon=False)
    subtitle(
        ax,
        f"Probability that {outcome} happens by each date, as of {format_day(a)} "
        f"(no {outcome} yet), to the deadline {format_day(days[-1])}",
        PLOT_WIDTH,
    )
    decorate(fig, result, notes=[_note(len(days))])
    return fig


def year_formatter(locator: mdates.DateLocator) -> mdates.ConciseDateFormatter:
    """Concise date labels whose offset (right, below the axis) is only the year.

    Examples
    --------
    >>> ax.xaxis.set_major_formatter(year_formatter(locator))  # doctest: +SKIP
    """
    fmt = mdates.ConciseDateFormatter(locator)
    fmt.formats = ["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%S.%f"]  # a day names its month
    fmt.offset_formats = ["", "%Y", "%Y", "%Y", "%Y", "%Y"]
    return fmt


def _marks(ax, result, x, p, lo, hi, a: pd.Timestamp, deadline: pd.Timestamp) -> None:
    """The as-of day and the deadline (vertical lines) and the headline at the deadline."""
    ax.axvline(x[0], color=MUTED, linewidth=1.0, linestyle=(0, (2, 2)), zorder=1,
               gid="as_of_line")  # fmt: skip
    ax.annotate(f"as of {format_day(a)}", (x[0], 1.0), xycoords=("data", "axes fraction"),
                xytext=(4, -2), textcoords="offset points", ha="left", va="top",
                fontsize=SMALL_SIZE, color=MUTED)  # fmt: skip
    ax.axvline(x[-1], color="#333333", linewidth=1.2, zorder=1, gid="deadline_line")
    ax.annotate(f"deadline {format_day(deadline)}", (x[-1], 1.0),
                xycoords=("data", "axes fraction"), xytext=(-4, -2), textcoords="offset points",
                ha="right", va="top", fontsize=SMALL_SIZE, color="#333333")  # fmt: skip
    ax.plot([x[-1]], [p[-1]], marker="o", markersize=6, color=DOWN, zorder=4, gid="headline")
    ax.annotate(pct(p[-1] / 100), (x[-1], p[-1]), xytext=(8, 2), textcoords="offset points",
                ha="left", va="bottom", fontsize=12, fontweight="bold", color=DOWN,
                annotation_clip=False)  # fmt: skip
    if np.isfinite(lo[-1]) and np.isfinite(hi[-1]):
        ax.annotate(f"band {pct_range(lo[-1], hi[-1], scale=1)}", (x[-1], p[-1]), xytext=(8, -1),
                    textcoords="offset points", ha="left", va="top", fontsize=SMALL_SIZE,
                    color=MUTED, annotation_clip=False)  # fmt: skip


def _note(n_days: int) -> str:
    return (
        f"{n_days:,} days from the day after the as-of day to the deadline; each day's value is "
        "the probability, given what was known on the as-of day and that nothing had happened "
        "yet, that it happens by the end of that day (by_date.csv)."
    )
