"""The probability timeline.

P(outcome) and its band after each evidence item, the hypotheses' probabilities below; above
:data:`~forecast.analysis.MAX_ROWS` items the x axis is the date.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, PercentFormatter

from ..analysis import MAX_ROWS, final_band
from ..labels import as_of, display_names, evidence_dates, format_day, pct, pct_range, shorten
from ..result_schema import DAILY, PREVIOUS, TRAJECTORY, band_label, check_result, dataset, has_node
from .style import (
    BAND_COLOUR,
    DOWN,
    LABEL_SIZE,
    MUTED,
    SMALL_SIZE,
    STEP_WIDTH,
    TICK_SIZE,
    axes_width,
    decorate,
    new_figure,
    percent_axis,
    percent_limits,
    plain,
    root_figure,
    series_style,
    style_axes,
    subtitle,
    text_width,
)


def plot_timeline(
    result: xr.DataTree, *, ax: Axes | None = None, hypotheses: bool = True
) -> Figure:
    """Return the outcome's probability after every evidence item, with the judgement band.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.
    ax : matplotlib.axes.Axes, optional
        Draw the outcome's panel into this axes (no hypothesis panel, title or footer: the
        figure is yours) and return its figure. By default a new figure is made.
    hypotheses : bool
        With a new figure, add a second panel with every hypothesis's probability.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The x axis is the step (0 = the prior, ``k`` = after the ``k``-th item in update order),
    labelled with the evidence ids; the dates are written above, one label per day, with a
    faint line where the day changes. Items of the same date therefore stay apart. The line
    is the probability (the coherent Bayesian answer), the shaded area the 90% judgement
    band (5th to 95th percentile of ``P(Y | E, theta)``), the last value is written out.

    Examples
    --------
    >>> fig = plot_timeline(result)  # doctest: +SKIP
    >>> fig.savefig("timeline.png", dpi=200)  # doctest: +SKIP
    """
    check_result(result)
    t = dataset(result, TRAJECTORY)
    n_steps = t.sizes["step"]
    if has_node(result, DAILY):  # a window: the date axis with the days between items
        from .timeline_time import plot_time_timeline

        return plot_time_timeline(result, ax=ax, hypotheses=hypotheses)
    if n_steps - 1 > MAX_ROWS:
        return _dated_timeline(result, ax=ax, hypotheses=hypotheses)
    labels = ["prior", *[shorten(v) for v in t["evidence_id"].values[1:]]]
    label_w = text_width(labels, TICK_SIZE)
    steps = np.arange(n_steps, dtype=float)
    if ax is not None:
        plot_w = axes_width(ax)
        right, step_in = _timeline_geometry(result, plot_w)
        _outcome_panel(ax, result, steps, right=right, width=plot_w, outside=False)
        _date_axis(ax, result, rotate=_dates_rotated(result, step_in))
        _step_labels(ax, labels, rotate=label_w + 0.1 > step_in)
        return root_figure(ax)

    legend_w = legend_width(result)
    plot_w = max(6.5, STEP_WIDTH * (n_steps + 0.2) + end_label_room(result) + 0.15)
    right, step_in = _timeline_geometry(result, plot_w)
    rotate = label_w + 0.1 > step_in
    rotate_dates = _dates_rotated(result, step_in)
    label_h = label_w + 0.1 if rotate else 0.25
    dates_h = _date_label_width(result) if rotate_dates else 0.2
    width = 1.1 + plot_w + legend_w
    height = 1.3 + 3.3 + (2.5 if hypotheses else 0.0) + label_h + dates_h + 0.5
    fig = new_figure(width, height)
    ax_p, ax_h = timeline_axes(fig, hypotheses)
    _outcome_panel(ax_p, result, steps, right=right, width=plot_w)
    _date_axis(ax_p, result, rotate=rotate_dates)
    if ax_h is not None:
        hypothesis_panel(ax_h, result, steps, width=plot_w)
        ax_p.tick_params(axis="x", labelbottom=False)
        _step_labels(ax_h, labels, rotate=rotate)
    else:
        _step_labels(ax_p, labels, rotate=rotate)
    fig.align_ylabels()
    decorate(fig, result)
    return fig


def legend_width(result: xr.DataTree) -> float:
    """Inches right of the plot for the hypotheses' and the band's legend."""
    labels = [*_hypothesis_labels(result), f"{band_label(result)} judgement band"]
    return text_width(labels, TICK_SIZE) + 0.8


def timeline_axes(fig: Figure, hypotheses: bool):
    """The outcome's axes and the hypotheses' below it (None without ``hypotheses``)."""
    if hypotheses:
        ax_p, ax_h = fig.subplots(2, 1, sharex=True, height_ratios=[3.3, 2.5])
        return ax_p, ax_h
    return fig.subplots(), None


DATED_PLOT_WIDTH = 11.0
"""Width of the timeline's plot (inches) when its x axis is the date."""


def step_dates(result: xr.DataTree) -> np.ndarray:
    """X of every step on a date axis (matplotlib date numbers, days).

    An item at its date, the items of one day spread evenly across that day in update order, the
    prior just before the first item (2% of the span, at least half a day).

    Examples
    --------
    >>> step_dates(result)[:3]  # doctest: +SKIP
    array([19028.5, 19029.25, 19029.75])
    """
    dates = evidence_dates(result)[1:]
    if not len(dates):
        return np.zeros(1)
    days = mdates.date2num(dates.to_numpy())
    _, first, counts = np.unique(days, return_index=True, return_counts=True)
    # update order is by date: the items of a day are consecutive
    within = np.arange(days.size) - np.repeat(first, counts)
    x = days + (within + 0.5) / np.repeat(counts, counts)
    span = float(x[-1] - days[0]) + 1.0
    return np.concatenate([[days[0] - max(0.5, 0.02 * span)], x])


def _dated_timeline(result: xr.DataTree, *, ax=None, hypotheses: bool = True) -> Figure:
    """Return the timeline with the date as its x axis (above :data:`MAX_ROWS` items)."""
    x = step_dates(result)
    n_items = x.size - 1
    if ax is not None:
        plot_w = axes_width(ax)
        _outcome_panel(ax, result, x, right=_dated_right(result, x, plot_w), width=plot_w,
                       outside=False)  # fmt: skip
        _dates_below(ax, n_items)
        return ax.figure
    plot_w = DATED_PLOT_WIDTH
    width = 1.1 + plot_w + legend_width(result)
    height = 1.3 + 3.3 + (2.5 if hypotheses else 0.0) + 0.9
    fig = new_figure(width, height)
    ax_p, ax_h = timeline_axes(fig, hypotheses)
    _outcome_panel(ax_p, result, x, right=_dated_right(result, x, plot_w), width=plot_w)
    if ax_h is not None:
        hypothesis_panel(ax_h, result, x, width=plot_w)
        ax_p.tick_params(axis="x", labelbottom=False)
        _dates_below(ax_h, n_items)
    else:
        _dates_below(ax_p, n_items)
    fig.align_ylabels()
    decorate(fig, result)
    return fig


def _dated_right(result: xr.DataTree, x: np.ndarray, plot_w: float) -> float:
    """Return the right x limit on a date axis leaving room for the last value's label."""
    room = end_label_room(result) + 0.15
    span = float(x[-1] - x[0])
    left_pad = 0.01 * span
    return x[-1] + (span + left_pad) * room / max(plot_w - room, 0.2 * plot_w)


def _dates_below(ax, n_items: int) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=TICK_SIZE)
    ax.set_xlabel(
        f"date of the evidence ({n_items:,} items; the items of one day are spread across it)",
        fontsize=SMALL_SIZE,
        color=MUTED,
    )


def _timeline_geometry(result: xr.DataTree, plot_w: float) -> tuple[float, float]:
    """Return the right x limit (in steps) leaving room for the last value's label.

    Also the width of one step in inches, for a plot ``plot_w`` inches wide.
    """
    n_steps = dataset(result, TRAJECTORY).sizes["step"]
    room = end_label_room(result) + 0.15
    span = (n_steps + 0.2) / max(1.0 - room / plot_w, 0.2)
    return -0.6 + span, plot_w / span


def _hypothesis_labels(result: xr.DataTree) -> list[str]:
    ph = dataset(result, TRAJECTORY)["p_hypothesis"]
    names = display_names(result)
    return [
        f"{shorten(names.hypothesis(h), 36)}  {pct(float(ph.sel(hypothesis=h)[-1]))}"
        for h in ph["hypothesis"].values
    ]


def end_label_room(result: xr.DataTree) -> float:
    """Inches to keep free right of the last step for the latest value's label."""
    text = end_texts(result)
    return max(text_width([text[0]], 12.0, weight="bold"), text_width([text[1]], SMALL_SIZE))


def end_texts(result: xr.DataTree) -> tuple[str, str]:
    """The latest value's labels: the probability, and its band (e.g. "band 22–61%")."""
    p, lo, hi = final_band(result)
    return pct(p), f"band {pct_range(lo, hi)}"


def _step_labels(ax, labels: list[str], *, rotate: bool) -> None:
    ax.xaxis.set_major_locator(FixedLocator(range(len(labels))))
    ax.set_xticklabels(
        labels,
        rotation=90 if rotate else 0,
        ha="center",
        va="top",
        fontsize=TICK_SIZE,
    )
    ax.set_xlabel(
        "evidence item, in update order (step 0 = the prior)", fontsize=SMALL_SIZE, color=MUTED
    )


def _outcome_panel(
    ax, result: xr.DataTree, steps: np.ndarray, *, right: float, width: float, outside: bool = True
) -> None:
    """Return the outcome's probability and band at x = ``steps`` (step numbers, or dates)."""
    t = dataset(result, TRAJECTORY)
    outcome = display_names(result).outcome
    dated = t.sizes["step"] - 1 > MAX_ROWS
    # on a date axis the probability holds between items: steps, no markers
    marker = {"drawstyle": "steps-post"} if dated else {"marker": "o", "markersize": 4.5}
    p = 100 * t["p_outcome"].values
    lo, hi = 100 * t["p_outcome_low"].values, 100 * t["p_outcome_high"].values
    ax.fill_between(
        steps,
        lo,
        hi,
        color=BAND_COLOUR,
        alpha=0.35,
        linewidth=0,
        label=f"{band_label(result)} judgement band",
        step="post" if dated else None,
    )
    ax.plot(
        steps,
        p,
        color=DOWN,
        linewidth=1.6 if dated else 2.2,
        **marker,
        markeredgecolor="white",
        markeredgewidth=0.8,
        label=f"P({outcome})",
        zorder=3,
    )
    ax.plot([steps[0]], [p[0]], marker="s", markersize=7, color=MUTED, zorder=4, linestyle="none")
    previous = _previous_line(result)
    if previous is not None:
        x_prev, p_prev, label = previous
        ax.plot(
            np.interp(x_prev, np.arange(steps.size), steps),
            p_prev,
            color=MUTED,
            linewidth=1.3,
            linestyle=(0, (4, 2)),
            marker="none" if dated else "o",
            markersize=3,
            markerfacecolor="white",
            label=label,
            zorder=2,
        )
    rising = len(p) > 1 and p[1] > p[0]  # keep the label off the first segment
    ax.annotate(
        f"prior {pct(p[0], 0, scale=1)}",
        (steps[0], p[0]),
        xytext=(-4, -9 if rising else 8),
        textcoords="offset points",
        ha="left",
        va="top" if rising else "bottom",
        fontsize=SMALL_SIZE,
        color=MUTED,
    )
    big, small = end_texts(result)
    last = steps[-1]
    ax.annotate(
        big,
        (last, p[-1]),
        xytext=(9, 2),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=12,
        fontweight="bold",
        color=DOWN,
    )
    ax.annotate(
        small,
        (last, p[-1]),
        xytext=(9, -1),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=SMALL_SIZE,
        color=MUTED,
    )
    shown = [lo, hi, p] + ([previous[1]] if previous is not None else [])
    ymin, ymax = percent_limits(np.concatenate(shown), pad=6.0)
    ax.set_ylim(ymin, ymax)
    ax.set_xlim(steps[0] - 0.01 * (steps[-1] - steps[0]) if dated else -0.6, right)
    percent_axis(ax.yaxis)
    ax.set_ylabel(f"P({outcome})", fontsize=LABEL_SIZE)
    style_axes(ax)
    handles, labels = ax.get_legend_handles_labels()
    where = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if outside else {"loc": "best"}
    ax.legend(handles[::-1], labels[::-1], fontsize=TICK_SIZE, frameon=False, **where)
    subtitle(ax, f"Probability of {outcome} after each evidence item, {as_of(result)}", width)
    if not dated:
        _day_dividers(ax, result)


def _previous_line(result: xr.DataTree):
    """Return the earlier run's outcome probability, if the result keeps one.

    As x in current steps, y in percent, and a label.

    Its items sit at their current steps; removed ones between their neighbours.
    """
    if not has_node(result, PREVIOUS):
        return None
    prev = result[PREVIOUS].to_dataset()
    ids = [str(v) for v in prev["evidence_id"].values]
    where = {str(v): k for k, v in enumerate(dataset(result, TRAJECTORY)["evidence_id"].values)}
    where[""] = 0
    known = np.array([where.get(i, np.nan) for i in ids], dtype=float)
    idx = np.arange(len(ids))
    ok = ~np.isnan(known)
    x = np.interp(idx, idx[ok], known[ok]) if ok.any() else idx.astype(float)
    # a removed item whose neighbours map to one step (e.g. after the last kept item): half
    # a step on, so that it does not sit on a kept item's marker
    x[~ok] += 0.5 * (x[~ok] == np.round(x[~ok]))
    y = 100 * prev["p_outcome"].values
    created = str(prev.attrs.get("created", ""))[:16].replace("T", " ") or "earlier"
    return x, y, f"previous run ({created}): {pct(y[-1], 0, scale=1)}"


def hypothesis_panel(
    ax, result: xr.DataTree, steps: np.ndarray, *, width: float, dated: bool | None = None
) -> None:
    """Draw every hypothesis's probability at x = ``steps`` (step numbers or dates) into ``ax``.

    ``dated`` (by default: more than :data:`MAX_ROWS` items) draws steps on a date axis.
    """
    t = dataset(result, TRAJECTORY)
    dated = t.sizes["step"] - 1 > MAX_ROWS if dated is None else dated
    names = [str(h) for h in t["hypothesis"].values]
    for j, (name, label) in enumerate(zip(names, _hypothesis_labels(result), strict=True)):
        ax.plot(
            steps,
            100 * t["p_hypothesis"].sel(hypothesis=name).values,
            **series_style(j),
            linewidth=1.4 if dated else 1.8,
            markevery=max(1, t.sizes["step"] // 12) if dated else 1,
            drawstyle="steps-post" if dated else "default",
            markersize=5.0,
            label=plain(label),
        )
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.yaxis.set_major_locator(FixedLocator([0, 25, 50, 75, 100]))
    ax.set_ylabel("P(hypothesis)", fontsize=LABEL_SIZE)
    style_axes(ax)
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=TICK_SIZE,
        frameon=False,
        title="hypothesis, now",
        title_fontsize=TICK_SIZE,
        alignment="left",
    )
    subtitle(ax, "Probability of each hypothesis", width)
    if not dated:
        _day_dividers(ax, result)


def _date_runs(result: xr.DataTree) -> list[tuple[int, int, pd.Timestamp]]:
    """Consecutive steps sharing a date: (first step, last step, date)."""
    dates = evidence_dates(result)
    runs: list[tuple[int, int, pd.Timestamp]] = []
    for k in range(1, len(dates)):
        d = dates[k]
        if runs and runs[-1][2] == d:
            runs[-1] = (runs[-1][0], k, d)
        else:
            runs.append((k, k, d))
    return runs


def _date_texts(result: xr.DataTree) -> list[str]:
    runs = _date_runs(result)
    years = {r[2].year for r in runs}
    return [format_day(d, year=len(years) > 1) for _, _, d in runs]


def _date_label_width(result: xr.DataTree) -> float:
    return text_width(_date_texts(result), SMALL_SIZE) + 0.1


def _dates_rotated(result: xr.DataTree, step_in: float) -> bool:
    """Whether the day labels, written level at the centre of their days, would touch."""
    centres = [(a + b) / 2 * step_in for a, b, _ in _date_runs(result)]
    widths = [text_width([t], SMALL_SIZE) for t in _date_texts(result)]
    return any(
        centres[i + 1] - centres[i] < (widths[i] + widths[i + 1]) / 2 + 0.12
        for i in range(len(centres) - 1)
    )


def _date_axis(ax, result: xr.DataTree, *, rotate: bool) -> None:
    runs = _date_runs(result)
    if not runs:
        return
    sec = ax.secondary_xaxis("top")
    sec.xaxis.set_major_locator(FixedLocator([(a + b) / 2 for a, b, _ in runs]))
    sec.set_xticklabels(
        _date_texts(result), fontsize=SMALL_SIZE, color=MUTED, rotation=90 if rotate else 0
    )
    sec.tick_params(length=0, pad=2)
    sec.spines["top"].set_visible(False)


def _day_dividers(ax, result: xr.DataTree) -> None:
    for a, _, _ in _date_runs(result):
        ax.axvline(a - 0.5, color="#cfcfcf", linewidth=0.8, linestyle=(0, (3, 3)), zorder=0)
