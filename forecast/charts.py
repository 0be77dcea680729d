"""Charts of a run: the timeline, each item's impact, the ACH matrix, sensitivity, the band.

Every function takes the result of :func:`forecast.run` (or :func:`forecast.load_result`)
and returns a :class:`matplotlib.figure.Figure`: it shows inline in JupyterLab, and
``fig.savefig(...)`` writes it. Figures are closed in pyplot before they are returned
(nothing accumulates), and no global matplotlib setting is changed.

Common to every chart: the question as the title, the as-of date (the latest evidence date),
probabilities in percent, the Okabe-Ito colour-blind-safe palette, figure sizes that grow
with the number of items (readable with 2 and with 40), and a footer with the scenario hash,
the date of the run and the seed.

The numbers behind the charts come from pure functions, :func:`impact_table` and
:func:`sensitivity_table`, so that they can be checked and reused.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, MaxNLocator, PercentFormatter
from matplotlib.transforms import blended_transform_factory
from scipy.special import expit, logit

from .model import encode, probabilities
from .results import PREVIOUS, atomic_write, final_band, scenario_of
from .scenario import Scenario

__all__ = [
    "CHARTS",
    "OKABE_ITO",
    "ach_matrix",
    "distribution",
    "impact",
    "impact_table",
    "save_all",
    "sensitivity",
    "sensitivity_table",
    "timeline",
]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
"""The Okabe-Ito palette (Okabe & Ito 2008), distinguishable with every common colour-vision
deficiency."""

CHARTS = ("timeline", "impact", "ach", "sensitivity", "distribution")
"""The charts :func:`save_all` writes, in this order (the file names without suffix)."""

UP = OKABE_ITO["vermillion"]  # an item that raises the outcome's probability
DOWN = OKABE_ITO["blue"]  # an item that lowers it
BAND_COLOUR = OKABE_ITO["sky_blue"]
INK = "#222222"
MUTED = "#666666"
_HYPOTHESIS_COLOURS = [
    OKABE_ITO[k]
    for k in ("blue", "vermillion", "green", "purple", "orange", "sky_blue", "black", "yellow")
]
_LINESTYLES = ["-", "--", ":", "-."]

# font sizes (points) and layout (inches)
TITLE_SIZE = 13.0
SUBTITLE_SIZE = 10.5
LABEL_SIZE = 10.0
TICK_SIZE = 9.0
SMALL_SIZE = 8.0
FOOTER_SIZE = 7.5
ROW_HEIGHT = 0.3
"""Height of one evidence row in the per-item charts (inches)."""
STEP_WIDTH = 0.27
"""Minimum width of one step on the timeline (inches): 9-point labels rotated upright."""
TOP_N = 15
"""Inputs shown by :func:`sensitivity`."""

RELIABILITY_HATCH = "///"
GROUP_HATCH = "\\\\\\"  # three backslashes; with RELIABILITY_HATCH: cross-hatched
_EPS = 1e-12


# ----------------------------------------------------------------------------- helpers
def _plain(text: str) -> str:
    """User text for matplotlib: a ``$`` must not start mathtext."""
    return str(text).replace("$", r"\$")


def _text_width(
    texts: Sequence[str], size: float, *, weight: str = "normal", mono: bool = False
) -> float:
    """Width in inches of the widest of ``texts`` at ``size`` points (DejaVu metrics)."""
    if not texts:
        return 0.0
    family = "DejaVu Sans Mono" if mono else tuple(mpl.rcParams["font.family"])
    return max(_one_width(t, size, weight, family) for t in texts)


@functools.lru_cache(maxsize=4096)
def _one_width(text: str, size: float, weight: str, family) -> float:
    """Width in inches of one text (remembered: wrapping measures the same words often)."""
    prop = FontProperties(size=size, weight=weight, family=family)
    return _RENDERER.get_text_width_height_descent(text, prop, ismath=False)[0] / 72.0


_RENDERER = RendererAgg(1, 1, 72)


def _signed(x: float, digits: int) -> str:
    """``+1.4``, ``-0.3``, or ``0.0`` when it rounds to zero (never ``-0.0``)."""
    text = f"{x:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def _pct(p: float, digits: int = 1) -> str:
    return f"{100 * p:.{digits}f}%"


def _day(ts: pd.Timestamp, *, year: bool = True) -> str:
    return f"{ts.day} {ts:%b %Y}" if year else f"{ts.day} {ts:%b}"


def _dates(result: xr.DataTree) -> pd.DatetimeIndex:
    """Date of every step (NaT for the prior)."""
    return pd.DatetimeIndex(pd.to_datetime(result["trajectory"]["date"].values))


def _as_of(result: xr.DataTree, step: int | None = None) -> str:
    """'as of 16 Feb 2022' (the latest evidence date up to ``step``), or 'prior only'."""
    dates = _dates(result)
    if step is not None:
        dates = dates[: step + 1]
    seen = dates[~dates.isna()]
    return f"as of {_day(seen.max())}" if len(seen) else "prior only, before any evidence"


def _ids(result: xr.DataTree) -> list[str]:
    return [str(v) for v in result["evidence"]["evidence"].values]


def _footer(result: xr.DataTree) -> str:
    a = result.attrs
    created = str(a.get("created", ""))[:10] or "unknown date"
    versions = json.loads(a.get("versions", "{}") or "{}")
    parts = [
        f"scenario {str(a.get('scenario_hash', ''))[:8]}",
        f"run {created}",
        f"seed {a.get('seed', '?')}",
        f"{a.get('method', 'fast')} route, {a.get('draws', '?')} draws",
    ]
    if versions.get("forecast"):
        parts.append(f"forecast {versions['forecast']}")
    return "  ·  ".join(parts)


def _footer_height(lines: int) -> float:
    return 0.1 + 0.155 * lines


def _legend_height(rows: int) -> float:
    return 0.12 + 0.2 * rows if rows else 0.0


def _new_figure(
    width: float, height: float, *, footer_lines: int = 1, legend_rows: int = 0
) -> Figure:
    """A constrained-layout figure with room at the bottom for a legend and the footer.

    Created through pyplot so that JupyterLab's inline backend knows how to show it, then
    closed at once so that pyplot keeps no reference (drawing and saving still work).
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(width, height), layout="constrained")
    plt.close(fig)
    bottom = (_footer_height(footer_lines) + _legend_height(legend_rows)) / height
    fig.get_layout_engine().set(rect=(0.0, bottom, 1.0, 1.0 - bottom), w_pad=0.06, h_pad=0.06)
    return fig


def _bottom_legend(fig: Figure, handles: list, *, ncols: int, footer_lines: int = 1) -> None:
    """A legend in the strip reserved above the footer (outside the layout's rect)."""
    rows = math.ceil(len(handles) / ncols)
    y = (_footer_height(footer_lines) + _legend_height(rows) / 2) / fig.get_figheight()
    with mpl.rc_context({"hatch.linewidth": 0.6, "hatch.color": "white"}):
        fig.legend(
            handles=handles,
            loc="center",
            bbox_to_anchor=(0.5, y),
            ncols=ncols,
            fontsize=SMALL_SIZE,
            frameon=False,
            columnspacing=2.0,
        )


def _wrap(text: str, size: float, width: float, *, weight: str = "normal") -> str:
    """Greedy word wrap of ``text`` to ``width`` inches at ``size`` points."""
    nbsp = "\u00a0"
    # an as-of date stays on one line
    text = re.sub(r"as of \d{1,2} \w{3}( \d{4})?", lambda m: m[0].replace(" ", nbsp), str(text))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        start = len(lines)
        for word in paragraph.split(" "):
            if not word:
                continue
            if (
                len(lines) > start
                and _text_width([f"{lines[-1]} {word}".replace(nbsp, " ")], size, weight=weight)
                <= width
            ):
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
    return "\n".join(lines).replace(nbsp, " ")


def _percent_axis(axis) -> None:
    """Whole-percent ticks (data in percent), never a rounded half-step label."""
    axis.set_major_formatter(PercentFormatter(100, decimals=0))
    axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10], integer=True))


def _decorate(fig: Figure, result: xr.DataTree, *, notes: Sequence[str] = ()) -> None:
    """The question as the title, and the footer (notes, then the run's metadata)."""
    width = fig.get_figwidth() - 0.5
    question = _plain(result.attrs.get("question", ""))
    title = _wrap(question, TITLE_SIZE, width, weight="bold")
    fig.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold", color=INK, x=0.5)
    lines = [*(_wrap(_plain(n), FOOTER_SIZE, width) for n in notes), _footer(result)]
    fig.text(
        0.01,
        0.06 / fig.get_figheight(),
        "\n".join(lines),
        fontsize=FOOTER_SIZE,
        color=MUTED,
        ha="left",
        va="bottom",
        linespacing=1.4,
    )


def _subtitle(ax, text: str, width: float) -> None:
    """The panel's title, left-aligned, wrapped to ``width`` inches."""
    ax.set_title(
        _wrap(_plain(text), SUBTITLE_SIZE, width),
        loc="left",
        fontsize=SUBTITLE_SIZE,
        color=INK,
        pad=8,
    )


def _style(ax, *, grid: str = "y") -> None:
    ax.tick_params(labelsize=TICK_SIZE, colors=INK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
    if grid:
        ax.grid(axis=grid, color="#e3e3e3", linewidth=0.8)
        ax.set_axisbelow(True)


def _percent_limits(values: np.ndarray, *, pad: float = 4.0) -> tuple[float, float]:
    """Axis limits in percent around ``values``: rounded to 5, inside 0..100."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    lo = max(0.0, math.floor((lo - pad) / 5.0) * 5.0)
    hi = min(100.0, math.ceil((hi + pad) / 5.0) * 5.0)
    if hi - lo < 10:
        mid = (hi + lo) / 2
        lo, hi = max(0.0, mid - 5), min(100.0, mid + 5)
    return lo, hi


def _empty(ax, message: str) -> None:
    ax.text(
        0.5,
        0.5,
        _plain(message),
        ha="center",
        va="center",
        fontsize=LABEL_SIZE,
        color=MUTED,
        transform=ax.transAxes,
        wrap=True,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _check_result(result) -> None:
    if not isinstance(result, xr.DataTree) or not {"trajectory", "evidence"} <= set(
        result.children
    ):
        raise TypeError(
            "expected the result of forecast.run or forecast.load_result (an xarray.DataTree "
            f"with /trajectory and /evidence), got {type(result).__name__}"
        )


def _final_probability(scenario: Scenario) -> float:
    return float(probabilities(encode(scenario))[1][-1])


# ----------------------------------------------------------------------------- timeline
def timeline(result: xr.DataTree, *, ax=None, hypotheses: bool = True) -> Figure:
    """The outcome's probability after every evidence item, with the judgement band.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.
    ax : matplotlib Axes, optional
        Draw the outcome's panel into this axes (no hypothesis panel, title or footer: the
        figure is yours). By default a new figure is made.
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
    >>> fig = timeline(result)  # doctest: +SKIP
    >>> fig.savefig("timeline.png", dpi=200)  # doctest: +SKIP
    """
    _check_result(result)
    t = result["trajectory"]
    n_steps = t.sizes["step"]
    labels = ["prior", *[str(v) for v in t["evidence_id"].values[1:]]]
    label_w = _text_width(labels, TICK_SIZE)
    if ax is not None:
        plot_w = ax.get_position().width * ax.figure.get_figwidth()
        right, step_in = _timeline_geometry(result, plot_w)
        _outcome_panel(ax, result, right=right, width=plot_w, outside=False)
        _date_axis(ax, result, rotate=_dates_rotated(result, step_in))
        _step_labels(ax, labels, rotate=label_w + 0.1 > step_in)
        return ax.figure

    legend_w = _text_width([*_hypothesis_labels(result), "90% judgement band"], TICK_SIZE) + 0.8
    plot_w = max(6.5, STEP_WIDTH * (n_steps + 0.2) + _end_label_room(result) + 0.15)
    right, step_in = _timeline_geometry(result, plot_w)
    rotate = label_w + 0.1 > step_in
    rotate_dates = _dates_rotated(result, step_in)
    label_h = label_w + 0.1 if rotate else 0.25
    dates_h = _date_label_width(result) if rotate_dates else 0.2
    width = 1.1 + plot_w + legend_w
    height = 1.3 + 3.3 + (2.5 if hypotheses else 0.0) + label_h + dates_h + 0.5
    fig = _new_figure(width, height)
    if hypotheses:
        ax_p, ax_h = fig.subplots(2, 1, sharex=True, height_ratios=[3.3, 2.5])
    else:
        ax_p, ax_h = fig.subplots(), None
    _outcome_panel(ax_p, result, right=right, width=plot_w)
    _date_axis(ax_p, result, rotate=rotate_dates)
    if ax_h is not None:
        _hypothesis_panel(ax_h, result, width=plot_w)
        ax_p.tick_params(axis="x", labelbottom=False)
        _step_labels(ax_h, labels, rotate=rotate)
    else:
        _step_labels(ax_p, labels, rotate=rotate)
    fig.align_ylabels()
    _decorate(fig, result)
    return fig


def _timeline_geometry(result: xr.DataTree, plot_w: float) -> tuple[float, float]:
    """The right x limit (in steps) leaving room for the last value's label, and the width
    of one step in inches, for a plot ``plot_w`` inches wide."""
    n_steps = result["trajectory"].sizes["step"]
    room = _end_label_room(result) + 0.15
    span = (n_steps + 0.2) / max(1.0 - room / plot_w, 0.2)
    return -0.6 + span, plot_w / span


def _hypothesis_labels(result: xr.DataTree) -> list[str]:
    ph = result["trajectory"]["p_hypothesis"]
    return [f"{h}  {_pct(float(ph.sel(hypothesis=h)[-1]))}" for h in ph["hypothesis"].values]


def _end_label_room(result: xr.DataTree) -> float:
    """Inches to keep free right of the last step for the latest value's label."""
    text = _end_texts(result)
    return max(_text_width([text[0]], 12.0, weight="bold"), _text_width([text[1]], SMALL_SIZE))


def _end_texts(result: xr.DataTree) -> tuple[str, str]:
    p, lo, hi = final_band(result)
    return _pct(p), f"band {100 * lo:.0f}–{100 * hi:.0f}%"


def _step_labels(ax, labels: list[str], *, rotate: bool) -> None:
    ax.xaxis.set_major_locator(FixedLocator(np.arange(len(labels))))
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
    ax, result: xr.DataTree, *, right: float, width: float, outside: bool = True
) -> None:
    t = result["trajectory"]
    outcome = result.attrs.get("outcome", "outcome")
    steps = np.arange(t.sizes["step"])
    p = 100 * t["p_outcome"].values
    lo, hi = 100 * t["p_outcome_low"].values, 100 * t["p_outcome_high"].values
    ax.fill_between(
        steps, lo, hi, color=BAND_COLOUR, alpha=0.35, linewidth=0, label="90% judgement band"
    )
    ax.plot(
        steps,
        p,
        color=DOWN,
        linewidth=2.2,
        marker="o",
        markersize=4.5,
        markeredgecolor="white",
        markeredgewidth=0.8,
        label=f"P({outcome})",
        zorder=3,
    )
    ax.plot([0], [p[0]], marker="s", markersize=7, color=MUTED, zorder=4, linestyle="none")
    previous = _previous_line(result)
    if previous is not None:
        x_prev, p_prev, label = previous
        ax.plot(
            x_prev,
            p_prev,
            color=MUTED,
            linewidth=1.3,
            linestyle=(0, (4, 2)),
            marker="o",
            markersize=3,
            markerfacecolor="white",
            label=label,
            zorder=2,
        )
    rising = len(p) > 1 and p[1] > p[0]  # keep the label off the first segment
    ax.annotate(
        f"prior {p[0]:.0f}%",
        (0, p[0]),
        xytext=(-4, -9 if rising else 8),
        textcoords="offset points",
        ha="left",
        va="top" if rising else "bottom",
        fontsize=SMALL_SIZE,
        color=MUTED,
    )
    big, small = _end_texts(result)
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
    ymin, ymax = _percent_limits(np.concatenate(shown), pad=6.0)
    ax.set_ylim(ymin, ymax)
    ax.set_xlim(-0.6, right)
    _percent_axis(ax.yaxis)
    ax.set_ylabel(f"P({outcome})", fontsize=LABEL_SIZE)
    _style(ax)
    handles, labels = ax.get_legend_handles_labels()
    where = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if outside else {"loc": "best"}
    ax.legend(handles[::-1], labels[::-1], fontsize=TICK_SIZE, frameon=False, **where)
    _subtitle(ax, f"Probability of {outcome} after each evidence item, {_as_of(result)}", width)
    _day_dividers(ax, result)


def _previous_line(result: xr.DataTree):
    """The earlier run's outcome probability (x in current steps, y in percent, label), if
    the result keeps one. Its items sit at their current steps; removed ones between
    their neighbours."""
    if PREVIOUS not in result.children:
        return None
    prev = result[PREVIOUS]
    ids = [str(v) for v in prev["evidence_id"].values]
    where = {str(v): k for k, v in enumerate(result["trajectory"]["evidence_id"].values)}
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
    return x, y, f"previous run ({created}): {y[-1]:.0f}%"


def _hypothesis_panel(ax, result: xr.DataTree, *, width: float) -> None:
    t = result["trajectory"]
    steps = np.arange(t.sizes["step"])
    names = [str(h) for h in t["hypothesis"].values]
    for j, (name, label) in enumerate(zip(names, _hypothesis_labels(result), strict=True)):
        ax.plot(
            steps,
            100 * t["p_hypothesis"].sel(hypothesis=name).values,
            color=_HYPOTHESIS_COLOURS[j % len(_HYPOTHESIS_COLOURS)],
            linestyle=_LINESTYLES[(j // len(_HYPOTHESIS_COLOURS)) % len(_LINESTYLES)],
            linewidth=1.8,
            marker="o",
            markersize=3.2,
            label=_plain(label),
        )
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.yaxis.set_major_locator(FixedLocator([0, 25, 50, 75, 100]))
    ax.set_ylabel("P(hypothesis)", fontsize=LABEL_SIZE)
    _style(ax)
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=TICK_SIZE,
        frameon=False,
        title="hypothesis, now",
        title_fontsize=TICK_SIZE,
        alignment="left",
    )
    _subtitle(ax, "Probability of each hypothesis", width)
    _day_dividers(ax, result)


def _date_runs(result: xr.DataTree) -> list[tuple[int, int, pd.Timestamp]]:
    """Consecutive steps sharing a date: (first step, last step, date)."""
    dates = _dates(result)
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
    return [_day(d, year=len(years) > 1) for _, _, d in runs]


def _date_label_width(result: xr.DataTree) -> float:
    return _text_width(_date_texts(result), SMALL_SIZE) + 0.1


def _dates_rotated(result: xr.DataTree, step_in: float) -> bool:
    """Whether the day labels, written level at the centre of their days, would touch."""
    centres = [(a + b) / 2 * step_in for a, b, _ in _date_runs(result)]
    widths = [_text_width([t], SMALL_SIZE) for t in _date_texts(result)]
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


# ----------------------------------------------------------------------------- impact
def impact_table(result: xr.DataTree) -> pd.DataFrame:
    """How much each evidence item moved the outcome's probability, and the final
    probability without it.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.

    Returns
    -------
    pandas.DataFrame
        One row per item in update order, indexed by ``evidence`` (the id). Columns:
        ``step``, ``date``, ``p_before`` and ``p_after`` (the outcome's probability at the
        steps before and after the item, fractions, from ``/trajectory``), ``change_pp``
        (percentage points), ``change_log_odds`` (natural log-odds), ``reliability``,
        ``weight`` (final weight after dependence groups), ``group``, ``reduced_reliability``,
        ``reduced_weight``, ``p_without`` (the final probability with the item left out,
        ``probabilities(encode(scenario.without(id)))``) and ``without_pp`` (``p_without``
        minus the final probability with every item, in percentage points). ``attrs``
        holds ``p_final`` (the exact final probability with every item).

    Notes
    -----
    A step's change is the model's: when an item joins a dependence group it also lowers
    the weight of the group's earlier items, and that is part of its change.

    Examples
    --------
    >>> impact_table(result)[["change_pp", "p_without"]].head(2)  # doctest: +SKIP
    """
    _check_result(result)
    t, ev = result["trajectory"], result["evidence"]
    p = t["p_outcome"].values.astype(float)
    ids = _ids(result)
    scenario = scenario_of(result)
    p_final = _final_probability(scenario)
    without = np.array([_final_probability(scenario.without(i)) for i in ids], dtype=float)
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    reliability = ev["reliability"].values.astype(float)
    weight = ev["weight"].values.astype(float)
    frame = pd.DataFrame(
        {
            "step": np.arange(1, len(ids) + 1),
            "date": pd.to_datetime(ev["date"].values),
            "p_before": p[:-1],
            "p_after": p[1:],
            "change_pp": 100 * np.diff(p),
            "change_log_odds": np.diff(logit(clipped)),
            "reliability": reliability,
            "weight": weight,
            "group": [str(g) for g in ev["group"].values],
            "reduced_reliability": reliability < 1 - _EPS,
            "reduced_weight": weight < 1 - _EPS,
            "p_without": without,
            "without_pp": 100 * (without - p_final),
        },
        index=pd.Index(ids, name="evidence"),
    )
    frame.attrs["p_final"] = p_final
    frame.attrs["p_prior"] = float(p[0])
    return frame


def impact(result: xr.DataTree) -> Figure:
    """Each item's impact: a waterfall in update order, and leave-one-out beside it.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.

    Returns
    -------
    matplotlib.figure.Figure
        Left: one floating bar per item, from the outcome's probability before the item to
        after it (vermillion: raised it; blue: lowered it), the change written beside it in
        percentage points and in log-odds. Hatching marks items whose weight was reduced:
        ``///`` a source reliability below 1, ``\\\\\\`` a final weight below 1 from a
        dependence group. Right: the final probability with each item left out, sorted,
        against the final probability with every item (the vertical line).

    See Also
    --------
    impact_table : the numbers drawn.

    Examples
    --------
    >>> impact(result).savefig("impact.png", dpi=200)  # doctest: +SKIP
    """
    return _impact_figure(result, impact_table(result))


def _impact_figure(result: xr.DataTree, table: pd.DataFrame) -> Figure:
    outcome = result.attrs.get("outcome", "outcome")
    n = len(table)
    ids = list(table.index)
    label_w = _text_width(ids or ["prior"], TICK_SIZE)
    change_texts = [
        f"{_signed(pp, 1)} pp ({_signed(lo, 2)})"
        for pp, lo in zip(table["change_pp"], table["change_log_odds"], strict=True)
    ]
    text_w = _text_width(change_texts or ["x"], SMALL_SIZE, mono=True) + 0.45
    panel_w = 4.0
    width = max(11.0, 2 * label_w + text_w + 0.8 + 2 * panel_w + 0.9)
    rows_h = ROW_HEIGHT * (max(n, 2) + 0.7)
    height = 1.4 + rows_h + 0.7
    fig = _new_figure(width, height + _legend_height(2), legend_rows=2)
    w_left = panel_w + text_w
    ax_w, ax_l = fig.subplots(1, 2, width_ratios=[w_left, panel_w + 0.6])
    if n == 0:
        _empty(ax_w, "No evidence items: nothing moved the prior.")
        _empty(ax_l, "")
        _decorate(fig, result)
        return fig

    y = np.arange(n)
    before, after = 100 * table["p_before"].to_numpy(), 100 * table["p_after"].to_numpy()
    colours = [UP if d > 0 else DOWN for d in after - before]
    hatches = [
        (RELIABILITY_HATCH if r else "") + (GROUP_HATCH if w else "")
        for r, w in zip(table["reduced_reliability"], table["reduced_weight"], strict=True)
    ]
    with mpl.rc_context({"hatch.linewidth": 0.6, "hatch.color": "white"}):
        ax_w.barh(
            y,
            after - before,
            left=before,
            height=0.62,
            color=colours,
            edgecolor="white",
            linewidth=0.0,
            hatch=hatches,
        )
    ax_w.plot(after, y, linestyle="none", marker="|", markersize=9, color=INK, markeredgewidth=1.2)
    for k in range(n - 1):
        ax_w.plot(
            [after[k], after[k]], [y[k] + 0.31, y[k + 1] - 0.31], color="#9a9a9a", linewidth=0.8
        )
    prior, final = 100 * table.attrs["p_prior"], after[-1]
    ax_w.axvline(prior, color=MUTED, linestyle=":", linewidth=1.2, zorder=0)
    ax_w.axvline(final, color=INK, linestyle="-", linewidth=1.0, zorder=0)
    lo, hi = _percent_limits(np.concatenate([before, after]), pad=1.5)
    ax_w.set_xlim(lo, hi)
    trans = blended_transform_factory(ax_w.transAxes, ax_w.transData)
    for k, text in enumerate(change_texts):
        ax_w.text(
            1.03,
            y[k],
            text,
            transform=trans,
            ha="left",
            va="center",
            fontsize=SMALL_SIZE,
            color=INK,
            family="DejaVu Sans Mono",
        )
    ax_w.text(
        1.03,
        -1.0,
        "pp (log-odds)",
        transform=trans,
        ha="left",
        va="center",
        fontsize=SMALL_SIZE,
        color=MUTED,
    )
    ax_w.set_yticks(y, ids, fontsize=TICK_SIZE)
    ax_w.set_ylim(n - 0.5, -1.35)
    _percent_axis(ax_w.xaxis)
    ax_w.set_xlabel(f"P({outcome}) before → after the item", fontsize=LABEL_SIZE)
    _style(ax_w, grid="x")
    _subtitle(ax_w, f"How each item moved P({outcome}), {_as_of(result)}", panel_w + text_w)

    order = np.argsort(-table["p_without"].to_numpy(), kind="stable")
    p_wo = 100 * table["p_without"].to_numpy()[order]
    p_all = 100 * table.attrs["p_final"]
    colours2 = [UP if v < p_all else DOWN for v in p_wo]
    ax_l.hlines(y, p_all, p_wo, color=colours2, linewidth=2.0)
    ax_l.scatter(p_wo, y, s=30, c=colours2, edgecolors=INK, linewidths=0.8, zorder=4)
    ax_l.axvline(p_all, color=INK, linewidth=1.0)
    lo2, hi2 = _percent_limits(np.concatenate([p_wo, [p_all]]), pad=1.5)
    # room for the value labels beside the dots (about 0.6 inch on either side)
    per_inch = (hi2 - lo2) / max(panel_w - 1.2, 1.0)
    ax_l.set_xlim(min(lo2, p_wo.min() - 0.6 * per_inch), max(hi2, p_wo.max() + 0.6 * per_inch))
    for k, v in enumerate(p_wo):
        right = v >= p_all
        ax_l.annotate(
            f"{v:.1f}%",
            (v, y[k]),
            xytext=(6 if right else -6, 0),
            textcoords="offset points",
            ha="left" if right else "right",
            va="center",
            fontsize=SMALL_SIZE,
            color=INK,
        )
    ax_l.set_yticks(y, [ids[i] for i in order], fontsize=TICK_SIZE)
    ax_l.set_ylim(n - 0.5, -1.35)
    _percent_axis(ax_l.xaxis)
    ax_l.set_xlabel(f"final P({outcome}) without the item", fontsize=LABEL_SIZE)
    _style(ax_l, grid="x")
    _subtitle(ax_l, f"Leave one out: final P({outcome}) without each item", panel_w)

    handles = [
        Patch(facecolor=UP, label=f"raised P({outcome})"),
        Patch(facecolor=DOWN, label=f"lowered P({outcome})"),
        Patch(
            facecolor="#8c8c8c",
            hatch=RELIABILITY_HATCH,
            edgecolor="white",
            linewidth=0,
            label="reliability below 1",
        ),
        Patch(
            facecolor="#8c8c8c",
            hatch=GROUP_HATCH,
            edgecolor="white",
            linewidth=0,
            label="weight below 1 (dependence group)",
        ),
        Line2D([], [], color=MUTED, linestyle=":", label=f"prior {prior:.1f}%"),
        Line2D([], [], color=INK, label=f"with every item {p_all:.1f}%"),
    ]
    _bottom_legend(fig, handles, ncols=3)
    _decorate(fig, result)
    return fig


# ----------------------------------------------------------------------------- ACH matrix
def ach_matrix(result: xr.DataTree) -> Figure:
    """Analysis of competing hypotheses: evidence x hypotheses, and each item's diagnosticity.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.

    Returns
    -------
    matplotlib.figure.Figure
        Left: a heat map of each item's effective log-likelihood ``log E[Lr_i(h)^w_i]``
        (reliability and final weight included) minus the item's mean over the
        hypotheses, natural log: positive (blue) = the item is more likely than average
        under that hypothesis, negative (red) = less likely; ``+0.69`` is twice as likely.
        The colour scale is centred at 0. Right: the diagnosticity, max minus min of the
        row (log units; written also as a likelihood ratio): an item that fits every
        hypothesis equally well has diagnosticity 0, however "strong" it looks.

    Examples
    --------
    >>> ach_matrix(result).savefig("ach.svg")  # doctest: +SKIP
    """
    _check_result(result)
    ev = result["evidence"]
    ids = _ids(result)
    names = [str(h) for h in ev["hypothesis"].values]
    n, n_h = len(ids), len(names)
    ph = result["trajectory"]["p_hypothesis"].isel(step=-1).values
    col_labels = [f"{h}\n{_pct(float(p))} now" for h, p in zip(names, ph, strict=True)]
    label_w = _text_width(ids or ["x"], TICK_SIZE)
    col_w = max(0.9, _text_width(names, TICK_SIZE) + 0.2)
    rotate_cols = col_w > 1.6
    col_w = min(col_w, 1.6)
    width = max(8.5, label_w + col_w * n_h + 3.6)
    height = 1.5 + (0.9 if not rotate_cols else _text_width(names, TICK_SIZE) * 0.75 + 0.5)
    height += ROW_HEIGHT * max(n, 2) + 1.2
    fig = _new_figure(width, height)
    ax_m, ax_d = fig.subplots(1, 2, sharey=True, width_ratios=[col_w * n_h, 2.0])
    if n == 0:
        _empty(ax_m, "No evidence items yet.")
        _empty(ax_d, "")
        _decorate(fig, result)
        return fig
    values = ev["log_likelihood"].values.astype(float)
    rel = values - values.mean(axis=1, keepdims=True)
    diag = values.max(axis=1) - values.min(axis=1)
    vmax = max(float(np.abs(rel).max()), 0.05)
    cmap = mpl.colormaps["RdBu"]
    im = ax_m.imshow(rel, cmap=cmap, vmin=-vmax, vmax=vmax, aspect="auto", interpolation="nearest")
    for i in range(n):
        for j in range(n_h):
            v = rel[i, j]
            ax_m.text(
                j,
                i,
                _signed(v, 2),
                ha="center",
                va="center",
                fontsize=SMALL_SIZE,
                color="white" if abs(v) > 0.6 * vmax else INK,
            )
    ax_m.set_yticks(np.arange(n), ids, fontsize=TICK_SIZE)
    ax_m.set_xticks(
        np.arange(n_h),
        [_plain(c) for c in col_labels],
        fontsize=TICK_SIZE,
        rotation=30 if rotate_cols else 0,
        ha="left" if rotate_cols else "center",
    )
    ax_m.xaxis.tick_top()
    ax_m.tick_params(length=0)
    for spine in ax_m.spines.values():
        spine.set_visible(False)
    _subtitle(ax_m, f"Evidence against hypotheses, {_as_of(result)}", col_w * n_h + 1.0)
    bar = fig.colorbar(im, ax=ax_m, location="bottom", shrink=0.9, aspect=30, pad=0.02)
    bar.ax.tick_params(labelsize=SMALL_SIZE)
    bar.set_label(
        "effective log-likelihood minus the item's mean\n(natural log; +0.69 = twice as likely)",
        fontsize=SMALL_SIZE,
    )

    ax_d.barh(np.arange(n), diag, height=0.62, color=OKABE_ITO["grey"])
    trans = blended_transform_factory(ax_d.transData, ax_d.transData)
    dmax = max(float(diag.max()), 0.05)
    for i, d in enumerate(diag):
        ax_d.text(
            d + 0.03 * dmax,
            i,
            f"{d:.2f} (×{math.exp(d):.1f})",
            transform=trans,
            ha="left",
            va="center",
            fontsize=SMALL_SIZE,
            color=INK,
        )
    ax_d.set_xlim(0, dmax * 1.75)
    ax_d.set_ylim(n - 0.5, -0.5)
    ax_d.tick_params(labelleft=False, length=0)
    _style(ax_d, grid="x")
    ax_d.tick_params(axis="y", length=0)
    ax_d.xaxis.set_major_locator(MaxNLocator(nbins=3))
    ax_d.set_xlabel("diagnosticity\n(max − min, log units)", fontsize=SMALL_SIZE)
    _subtitle(ax_d, "Diagnosticity", 2.0)
    _decorate(fig, result)
    return fig


# ----------------------------------------------------------------------------- sensitivity
def _logit_centre(lo: float, hi: float) -> float:
    return float(expit((logit(lo) + logit(hi)) / 2.0))


def sensitivity_table(result: xr.DataTree) -> pd.DataFrame:
    """The final probability with each uncertain input at the low and at the high end of its
    interval, every other input at its centre.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.

    Returns
    -------
    pandas.DataFrame
        One row per uncertain input, sorted by ``swing`` (largest first). Columns:
        ``input`` (a label), ``kind`` (``"likelihood"`` or ``"p_outcome"``), ``evidence``
        (the item's id, empty for ``p_outcome``), ``hypothesis``, ``lo``, ``hi``,
        ``centre``, ``p_low``, ``p_high`` (the final probability with the input at ``lo``
        and at ``hi``, fractions) and ``swing`` (``|p_high - p_low|`` in percentage
        points). ``attrs["p_centre"]`` is the final probability with every input at its
        centre, ``attrs["p_final"]`` the forecast itself (intervals integrated).

    Notes
    -----
    Each interval is replaced by a number: its centre (likelihoods: the geometric mean
    ``sqrt(lo * hi)``; probabilities: the logit midpoint), or ``lo``, or ``hi``, and the
    exact probability of that scenario is computed (:func:`forecast.probabilities`).

    The prior strength ``kappa`` is not an input here: the probability uses ``E[pi] = pi``
    whatever ``kappa`` is (MODEL.md, "The probability"), so ``kappa / 4`` and ``kappa * 4``
    give the same number; ``kappa`` only widens or narrows the judgement band.

    Examples
    --------
    >>> sensitivity_table(result).head(3)  # doctest: +SKIP
    """
    _check_result(result)
    scenario = scenario_of(result)
    centre = scenario.to_dict()
    inputs: list[dict] = []
    for name, h in centre["priors"]["hypotheses"].items():
        value = h["p_outcome"]
        if isinstance(value, list | tuple):
            lo, hi = map(float, value)
            h["p_outcome"] = _logit_centre(lo, hi)
            inputs.append(
                {
                    "kind": "p_outcome",
                    "evidence": "",
                    "hypothesis": name,
                    "lo": lo,
                    "hi": hi,
                    "centre": h["p_outcome"],
                }
            )
    for e in centre["evidence"]:
        for name, value in e["likelihoods"].items():
            if isinstance(value, list | tuple):
                lo, hi = map(float, value)
                e["likelihoods"][name] = math.sqrt(lo * hi)
                inputs.append(
                    {
                        "kind": "likelihood",
                        "evidence": e["id"],
                        "hypothesis": name,
                        "lo": lo,
                        "hi": hi,
                        "centre": math.sqrt(lo * hi),
                    }
                )
    outcome = scenario.outcome

    def final_with(row: dict | None, value: float | None) -> float:
        data = copy.deepcopy(centre) if row is not None else centre
        if row is not None and row["kind"] == "p_outcome":
            data["priors"]["hypotheses"][row["hypothesis"]]["p_outcome"] = value
        elif row is not None:
            item = next(e for e in data["evidence"] if e["id"] == row["evidence"])
            item["likelihoods"][row["hypothesis"]] = value
        return _final_probability(Scenario.from_dict(data, name="sensitivity"))

    rows = []
    for row in inputs:
        label = (
            f"P({outcome} | {row['hypothesis']})"
            if row["kind"] == "p_outcome"
            else f"{row['evidence']}: L({row['hypothesis']})"
        )
        p_low, p_high = final_with(row, row["lo"]), final_with(row, row["hi"])
        rows.append(
            {
                "input": label,
                **row,
                "p_low": p_low,
                "p_high": p_high,
                "swing": 100 * abs(p_high - p_low),
            }
        )
    columns = [
        "input",
        "kind",
        "evidence",
        "hypothesis",
        "lo",
        "hi",
        "centre",
        "p_low",
        "p_high",
        "swing",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    frame.attrs["p_centre"] = final_with(None, None)
    frame.attrs["p_final"] = _final_probability(scenario)
    frame.attrs["prior_strength"] = scenario.priors.prior_strength
    return frame


def sensitivity(result: xr.DataTree, *, top: int = TOP_N) -> Figure:
    """Tornado chart: which uncertain inputs move the final probability most.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.
    top : int
        How many inputs to show (the largest swings).

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
    >>> sensitivity(result).savefig("sensitivity.png", dpi=200)  # doctest: +SKIP
    """
    return _sensitivity_figure(result, sensitivity_table(result), top=top)


def _sensitivity_figure(result: xr.DataTree, table: pd.DataFrame, *, top: int = TOP_N) -> Figure:
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    outcome = result.attrs.get("outcome", "outcome")
    shown = table.head(top)
    n = len(shown)
    labels = [_plain(s) for s in shown["input"]]
    p_low, p_high = 100 * shown["p_low"].to_numpy(), 100 * shown["p_high"].to_numpy()
    notes = []
    kappa = table.attrs.get("prior_strength")
    if kappa is not None:
        notes.append(
            f"Prior strength (kappa = {kappa:g}) is not shown: it changes only the width of the "
            "judgement band, never the probability (E[pi] = pi)."
        )
    side = [
        f"[{lo:g}, {hi:g}]: {a:.1f}% / {b:.1f}%"
        for lo, hi, a, b in zip(shown["lo"], shown["hi"], p_low, p_high, strict=True)
    ]
    label_w = _text_width(labels or ["x"], TICK_SIZE)
    side_w = _text_width(side or ["x"], SMALL_SIZE) + 0.25
    plot_w = 5.5
    width = max(10.0, label_w + plot_w + side_w + 0.6)
    height = 1.5 + ROW_HEIGHT * 1.15 * (max(n, 2) + 0.8) + 0.75 + _legend_height(2)
    height += 0.16 * len(notes)
    fig = _new_figure(width, height, footer_lines=1 + len(notes), legend_rows=2)
    ax = fig.subplots()
    total = len(table)
    p_centre, p_final = 100 * table.attrs["p_centre"], 100 * table.attrs["p_final"]
    if n == 0:
        _empty(ax, "No uncertain inputs: every likelihood and probability is a number.")
        _decorate(fig, result, notes=notes)
        return fig
    y = np.arange(n)
    low_c, high_c = OKABE_ITO["sky_blue"], OKABE_ITO["orange"]
    for k in range(n):
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
    lo, hi = _percent_limits(np.concatenate([p_low, p_high, [p_centre, p_final]]), pad=2.0)
    ax.set_xlim(lo, hi)
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    for k in range(n):
        ax.text(
            1.02,
            y[k],
            side[k],
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
    ax.set_yticks(y, labels, fontsize=TICK_SIZE)
    ax.set_ylim(n - 0.5, -1.35)
    _percent_axis(ax.xaxis)
    ax.set_xlabel(f"final P({outcome})", fontsize=LABEL_SIZE)
    _style(ax, grid="x")
    what = f"top {n} of {total}" if total > n else f"all {total}"
    _subtitle(
        ax,
        f"Sensitivity of P({outcome}) to the uncertain inputs ({what}), {_as_of(result)}",
        plot_w + side_w,
    )
    handles = [
        Patch(facecolor=low_c, label="input at the low end of its 90% interval"),
        Patch(facecolor=high_c, label="input at the high end"),
        Line2D([], [], color=INK, label=f"every input at its centre {p_centre:.1f}%"),
        Line2D([], [], color=MUTED, linestyle="--", label=f"the forecast {p_final:.1f}%"),
    ]
    _bottom_legend(fig, handles, ncols=2, footer_lines=1 + len(notes))
    _decorate(fig, result, notes=notes)
    return fig


# ----------------------------------------------------------------------------- distribution
def distribution(result: xr.DataTree, *, step: int = -1) -> Figure:
    """Where the answer could move: the draws of ``P(Y | E, theta)`` at one step.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.
    step : int
        The step (0 = the prior; negative counts from the end; default the last).

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
    >>> distribution(result, step=0)  # the prior's band  # doctest: +SKIP
    """
    _check_result(result)
    n_steps = result["trajectory"].sizes["step"]
    if not -n_steps <= step < n_steps:
        raise ValueError(f"step must be in {-n_steps}..{n_steps - 1}, got {step}")
    k = step % n_steps
    outcome = result.attrs.get("outcome", "outcome")
    t = result["trajectory"].isel(step=k)
    draws = 100 * result["posterior"]["p_outcome"].isel(step=k).values.astype(float).ravel()
    p, lo, hi = (100 * float(t[v]) for v in ("p_outcome", "p_outcome_low", "p_outcome_high"))
    fig = _new_figure(10.0, 5.4)
    ax = fig.subplots()
    last_id = result["trajectory"]["evidence_id"].values[k]
    what = (
        "the prior"
        if k == 0
        else f"after all {k} items"
        if k == n_steps - 1
        else f"after item {k} ({last_id})"
    )
    _subtitle(
        ax,
        f"Where P({outcome}) could move if the judgements were pinned down: "
        f"{what}, {_as_of(result, k)}",
        7.0,
    )
    spread = float(np.ptp(draws)) if draws.size else 0.0
    if spread < 1e-6:
        ax.axvline(p, color=DOWN, linewidth=2.5)
        ax.text(
            0.02,
            0.95,
            f"Every input is exact: every draw is {p:.1f}%, the band has no width.",
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=TICK_SIZE,
            color=INK,
        )
        ax.set_xlim(max(0, p - 10), min(100, p + 10))
        ax.set_yticks([])
    else:
        ax.axvspan(
            lo,
            hi,
            color=BAND_COLOUR,
            alpha=0.25,
            linewidth=0,
            label=f"90% judgement band {lo:.1f}–{hi:.1f}%",
        )
        bins = np.histogram_bin_edges(draws, bins="fd")
        if bins.size > 81:
            bins = np.linspace(draws.min(), draws.max(), 81)
        ax.hist(
            draws,
            bins=bins,
            density=True,
            color=OKABE_ITO["grey"],
            alpha=0.9,
            edgecolor="white",
            linewidth=0.4,
            label=f"{draws.size} draws",
        )
        for edge in (lo, hi):
            ax.axvline(edge, color=BAND_COLOUR, linewidth=1.4, linestyle="--")
        ax.axvline(p, color=DOWN, linewidth=2.2, label=f"P({outcome}) = {p:.1f}%")
        ax.set_xlim(*_percent_limits(np.concatenate([draws, [p]]), pad=2.0))
        ax.set_ylabel("density", fontsize=LABEL_SIZE)
        ax.tick_params(axis="y", labelleft=False, left=False)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=TICK_SIZE, frameon=False)
    _percent_axis(ax.xaxis)
    ax.set_xlabel(f"P({outcome} | evidence, judgements)", fontsize=LABEL_SIZE)
    _style(ax, grid="")
    _decorate(fig, result)
    return fig


# ----------------------------------------------------------------------------- saving
def figures(
    result: xr.DataTree,
    *,
    impact: pd.DataFrame | None = None,
    sensitivity: pd.DataFrame | None = None,
) -> dict[str, Figure]:
    """Every chart of :data:`CHARTS`, by name; ``impact`` and ``sensitivity`` are the tables
    of :func:`impact_table` and :func:`sensitivity_table` if already computed."""
    impact = impact_table(result) if impact is None else impact
    sensitivity = sensitivity_table(result) if sensitivity is None else sensitivity
    return {
        "timeline": timeline(result),
        "impact": _impact_figure(result, impact),
        "ach": ach_matrix(result),
        "sensitivity": _sensitivity_figure(result, sensitivity),
        "distribution": distribution(result),
    }


def _save(fig: Figure, path: Path, fmt: str, dpi: int, salt: str) -> None:
    """Save deterministically: SVG text as text (editable, searchable), no timestamps."""
    metadata = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else {})
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "pdf.fonttype": 42}):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata)


def svg_text(fig: Figure, *, salt: str = "forecast") -> str:
    """The figure as an inline ``<svg>`` element for HTML: text kept as text, no XML
    prolog, no metadata block, no namespace URLs (HTML5 needs none).

    Every element id is prefixed with ``salt`` (and so is every reference to one), so that
    several charts can share one page.
    """
    buf = io.BytesIO()
    _save(fig, buf, "svg", 100, salt)
    text = buf.getvalue().decode("utf-8")
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    # element ids unique on the page: prefix every id and every reference to one
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", salt)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)


def save_all(
    result: xr.DataTree,
    out: str | Path,
    *,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 200,
    processes: int = 1,
) -> list[Path]:
    """Write every chart into ``out`` as ``<name>.<format>`` (atomically).

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.
    out : str or Path
        The folder (created if missing).
    formats : sequence of {"png", "svg", "pdf"}
        File formats; SVG and PDF keep the text as text.
    dpi : int
        Resolution of the PNG files.
    processes : int
        Render in this many forked processes (the command line uses 2; keep 1 inside a
        Jupyter kernel, whose threads make forking unsafe).

    Returns
    -------
    list of Path
        The files written: timeline, impact, ach, sensitivity, distribution, each format.

    Raises
    ------
    ValueError
        For an unknown format.

    Examples
    --------
    >>> save_all(result, "out", formats=("png", "pdf"))  # doctest: +SKIP
    """
    formats = chart_formats(formats)
    out = Path(out)
    figs = figures(result)
    names = list(figs)

    def write(share: list[str]) -> None:
        # a figure's formats in one process and in order: a drawing can shift the layout
        for name in share:
            for fmt in formats:
                path = out / f"{name}.{fmt}"
                atomic_write(path, lambda p, n=name, f=fmt: _save(figs[n], p, f, dpi, n))

    n = max(processes, 1)
    _in_forks(write, [names[k::n] for k in range(n)])
    return [out / f"{name}.{fmt}" for name in names for fmt in formats]


FORMATS = ("png", "svg", "pdf")


def chart_formats(formats: Sequence[str]) -> list[str]:
    """``formats`` normalised (``" .PNG"`` is ``"png"``, blanks dropped), or ValueError."""
    formats = [f.strip().lower().lstrip(".") for f in formats]
    formats = [f for f in formats if f]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(
            f"chart format must be one of {', '.join(FORMATS)}; got {', '.join(bad) or 'none'}"
        )
    return list(dict.fromkeys(formats))


def _die_with_parent(parent: int) -> None:
    """In a forked child: be killed when the parent dies (Linux ``PR_SET_PDEATHSIG``), so that
    a killed ``forecast run`` leaves no renderer writing files behind it."""
    import contextlib
    import ctypes
    import os
    import signal
    import sys

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # 1: PR_SET_PDEATHSIG
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _in_forks(fn, shares: list[list[str]]) -> None:
    """Run ``fn(share)`` for every share: all but the first in forked children (Linux and
    macOS), the first here; sequentially where fork is unavailable or fails. A share whose
    child failed is done again here, so that a real error surfaces with its traceback.
    Every child is waited for, whatever happens here."""
    import os
    import warnings

    if len(shares) == 1 or not hasattr(os, "fork"):
        for share in shares:
            fn(share)
        return
    children: list[tuple[int, list[str]]] = []
    failed: list[list[str]] = []
    parent = os.getpid()
    try:
        for share in shares[1:]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork with BLAS threads
                try:
                    pid = os.fork()
                except OSError:
                    failed.append(share)
                    continue
            if pid == 0:  # the child renders its share and leaves without any clean-up
                code = 1
                try:
                    _die_with_parent(parent)
                    fn(share)
                    code = 0
                finally:
                    os._exit(code)
            children.append((pid, share))
        fn(shares[0])
    finally:
        for pid, share in children:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                failed.append(share)
    for share in failed:
        fn(share)
