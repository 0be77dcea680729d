"""The distribution chart.

The judgement band of P(outcome) at one step, as a histogram of the draws.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..labels import as_of, display_names, pct, pct_range
from ..result_schema import POSTERIOR, TRAJECTORY, band_label, check_result, dataset
from .style import (
    BAND_COLOUR,
    DOWN,
    INK,
    LABEL_SIZE,
    OKABE_ITO,
    TICK_SIZE,
    axes_width,
    decorate,
    new_figure,
    percent_axis,
    percent_limits,
    root_figure,
    style_axes,
    subtitle,
)


def plot_distribution(result: xr.DataTree, *, step: int = -1, ax: Axes | None = None) -> Figure:
    """Where the answer could move: the draws of ``P(Y | E, theta)`` at one step.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.
    step : int
        The step (0 = the prior; negative counts from the end; default the last).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (its legend inside it; no title or footer: the figure is yours)
        and return its figure. By default a new figure is made.

    Returns
    -------
    matplotlib.figure.Figure
        A histogram of the draws in ``/posterior`` (percent), the 90% judgement band shaded,
        the probability (solid line) and the band's ends (dashed) marked and written out.

    Notes
    -----
    Drawn with matplotlib rather than ``arviz_plots.plot_dist``: that plot makes its own
    figure and marks the draws' own mean and interval, whereas this chart marks the exact
    probability and the band stored in ``/trajectory``, and handles exact inputs (every draw
    the same number) without a density estimate.

    Examples
    --------
    >>> plot_distribution(result, step=0)  # the prior's band  # doctest: +SKIP
    >>> fig, (left, right) = plt.subplots(1, 2)  # doctest: +SKIP
    >>> plot_distribution(result, ax=right)  # doctest: +SKIP
    """
    check_result(result)
    n_steps = dataset(result, TRAJECTORY).sizes["step"]
    if not -n_steps <= step < n_steps:
        raise ValueError(f"step must be in {-n_steps}..{n_steps - 1}, got {step}")
    k = step % n_steps
    outcome = display_names(result).outcome
    t = dataset(result, TRAJECTORY).isel(step=k)
    draws = 100 * dataset(result, POSTERIOR)["p_outcome"].isel(step=k).values.astype(float).ravel()
    p, lo, hi = (100 * float(t[v]) for v in ("p_outcome", "p_outcome_low", "p_outcome_high"))
    own = ax is None  # a figure of its own, with the question as title and the footer
    if ax is None:
        ax = new_figure(10.0, 5.4).subplots()
    subtitle(
        ax,
        f"Where P({outcome}) could move if the judgements were pinned down: "
        f"{_step_phrase(result, k, n_steps)}, {as_of(result, k)}",
        7.0 if own else axes_width(ax),
    )
    spread = float(np.ptp(draws)) if draws.size else 0.0
    if spread < 1e-6:
        _draw_exact(ax, p)
    else:
        _draw_band(ax, result, draws, (p, lo, hi), own=own)
    percent_axis(ax.xaxis)
    ax.set_xlabel(f"P({outcome} | evidence, judgements)", fontsize=LABEL_SIZE)
    style_axes(ax, grid="")
    if own:
        decorate(root_figure(ax), result)
    return root_figure(ax)


def _step_phrase(result: xr.DataTree, k: int, n_steps: int) -> str:
    """Which step the chart shows, in words: the prior, after all items, or after item ``k``."""
    last_id = dataset(result, TRAJECTORY)["evidence_id"].values[k]
    return (
        "the prior"
        if k == 0
        else f"after all {k} items"
        if k == n_steps - 1
        else f"after item {k} ({last_id})"
    )


def _draw_exact(ax: Axes, p: float) -> None:
    """Every draw is the same number ``p`` (percent): one line and a note, no histogram."""
    ax.axvline(p, color=DOWN, linewidth=2.5)
    ax.text(
        0.02,
        0.95,
        f"Every input is exact: every draw is {pct(p, 1, scale=1)}, the band has no width.",
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=TICK_SIZE,
        color=INK,
    )
    ax.set_xlim(max(0, p - 10), min(100, p + 10))
    ax.set_yticks([])


def _draw_band(
    ax: Axes,
    result: xr.DataTree,
    draws: np.ndarray,
    marks: tuple[float, float, float],
    *,
    own: bool,
) -> None:
    """The histogram of ``draws`` (percent), the band shaded and ``marks`` = (p, lo, hi) drawn."""
    p, lo, hi = marks
    outcome = display_names(result).outcome
    ax.axvspan(
        lo,
        hi,
        color=BAND_COLOUR,
        alpha=0.25,
        linewidth=0,
        label=f"{band_label(result)} judgement band {pct_range(lo, hi, 1, scale=1)}",
    )
    bins = np.histogram_bin_edges(draws, bins="fd")
    if bins.size > 81:
        bins = np.linspace(draws.min(), draws.max(), 81)
    ax.hist(
        draws,
        bins=bins.tolist(),
        density=True,
        color=OKABE_ITO["grey"],
        alpha=0.9,
        edgecolor="white",
        linewidth=0.4,
        label=f"{draws.size} draws",
    )
    for edge in (lo, hi):
        ax.axvline(edge, color=BAND_COLOUR, linewidth=1.4, linestyle="--")
    ax.axvline(p, color=DOWN, linewidth=2.2, label=f"P({outcome}) = {pct(p, 1, scale=1)}")
    ax.set_xlim(*percent_limits(np.concatenate([draws, [p]]), pad=2.0))
    ax.set_ylabel("density", fontsize=LABEL_SIZE)
    ax.tick_params(axis="y", labelleft=False, left=False)
    where = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if own else {"loc": "best"}
    ax.legend(fontsize=TICK_SIZE, frameon=False, **where)
