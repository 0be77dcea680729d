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
:func:`sensitivity_table`, computed on the encoded arrays (no scenario is re-validated), so
that they can be checked and reused. Everything is in log space: a likelihood of 0
(``log L = -inf``, "ruled out") and numbers near the documented range (1e-300..1e300) give
neither a warning nor a NaN.
"""

from __future__ import annotations

import functools
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
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
from scipy.special import expit

from .model import (
    Arrays,
    encode,
    expected_p_outcome,
    log_effective,
    log_expected_tilt,
    rank_weight,
    strength,
    subset_weights,
)
from .results import PREVIOUS, atomic_write, final_band, scenario_of
from .scenario import Scenario

__all__ = [
    "CHARTS",
    "OKABE_ITO",
    "ach_matrix",
    "distribution",
    "format_ratio",
    "impact",
    "impact_table",
    "leave_one_out",
    "most_important",
    "save_all",
    "sensitivity",
    "save_watch_chart",
    "sensitivity_table",
    "step_dates",
    "timeline",
    "watch_chart",
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
MAX_ROWS = 40
"""Up to this many items every item has its own row (impact, ACH) or label (timeline)."""
TOP_ITEMS = 25
"""Above :data:`MAX_ROWS` items: the items shown in the impact and ACH charts, then one row
for the rest."""
MAX_PIXELS = 4000
"""No image is wider or taller than this, in pixels at the default 200 dpi (and a higher
``dpi`` is lowered to keep it so)."""
MAX_INCHES = 19.5
"""Largest side of a figure (inches): 3,900 px at 200 dpi."""
LABEL_CHARS = 48
"""Longer ids and names are cut to this many characters (with an ellipsis) in the charts."""
TITLE_LINES = 3
"""Longest title (the question) in lines; a longer question ends with an ellipsis."""

RELIABILITY_HATCH = "///"
GROUP_HATCH = "\\\\\\"  # three backslashes; with RELIABILITY_HATCH: cross-hatched
_EPS = 1e-12


# ----------------------------------------------------------------------------- helpers
def _plain(text: str) -> str:
    """User text for matplotlib: a ``$`` must not start mathtext."""
    return str(text).replace("$", r"\$")


def _short(text, limit: int = LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters in the middle, the cut marked with an ellipsis:
    the start and the end stay (names that differ only at their end stay apart)."""
    text = str(text)
    if len(text) <= limit:
        return text
    tail = (limit - 1) // 3
    return text[: limit - 1 - tail] + "…" + text[len(text) - tail :]


def format_ratio(log_ratio: float) -> str:
    """A ratio written from its natural log, readable at any size.

    Never exponentiates a large number: the decimal exponent is taken from the log.

    Parameters
    ----------
    log_ratio : float
        ``log`` of the ratio (natural log); ``inf`` for a ratio without bound (an item
        that rules a hypothesis out).

    Returns
    -------
    str
        ``"×1.7"`` (ratios from 1 to 9999.9 with one decimal, from 0.1 to 1 with two),
        ``"×2.3e+12"`` and
        ``"×4.0e-05"`` beyond, ``">1e300"`` and ``"<1e-300"`` past the documented range,
        ``"×∞"`` and ``"×0"`` for infinite logs.

    Examples
    --------
    >>> format_ratio(0.53), format_ratio(28.5), format_ratio(2000.0)
    ('×1.7', '×2.4e+12', '>1e300')
    """
    x = float(log_ratio)
    if math.isnan(x):
        return "×?"
    if math.isinf(x):
        return "×∞" if x > 0 else "×0"
    decimal = x / math.log(10)
    if decimal > 300:
        return ">1e300"
    if decimal < -300:
        return "<1e-300"
    if 0 <= decimal < 4 and round(math.exp(x), 1) < 10_000:
        return f"×{math.exp(x):.1f}"
    if -1 <= decimal < 0 and round(math.exp(x), 2) >= 0.1:
        return f"×{math.exp(x):.2f}"
    exponent = math.floor(decimal)
    mantissa = 10 ** (decimal - exponent)
    if round(mantissa, 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"×{mantissa:.1f}e{exponent:+03d}"


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
    """A constrained-layout figure with room at the bottom for a legend and the footer,
    at most :data:`MAX_INCHES` a side.

    Created through pyplot so that JupyterLab's inline backend knows how to show it, then
    closed at once so that pyplot keeps no reference (drawing and saving still work).
    """
    import matplotlib.pyplot as plt

    width, height = min(width, MAX_INCHES), min(height, MAX_INCHES)
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
    if title.count("\n") >= TITLE_LINES:  # a long question: its start, then an ellipsis
        title = "\n".join(title.split("\n")[:TITLE_LINES])[:-1] + "…"
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


def _split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log values as (finite part, count of ``-inf``): sums and differences of these never
    meet ``-inf - (-inf)``."""
    x = np.asarray(x, dtype=float)
    return np.where(np.isfinite(x), x, 0.0), np.isneginf(x).astype(int)


def _p_hypothesis(finite: np.ndarray, ruled_out: np.ndarray) -> np.ndarray:
    """Normalised probabilities (..., H) from unnormalised log values in split form."""
    log_p = np.where(ruled_out > 0, -np.inf, finite)
    top = log_p.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    p = np.exp(log_p - top)
    return p / p.sum(axis=-1, keepdims=True)


def _log_prior(a: Arrays) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(a.prior)


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
    if n_steps - 1 > MAX_ROWS:
        return _dated_timeline(result, ax=ax, hypotheses=hypotheses)
    labels = ["prior", *[_short(v) for v in t["evidence_id"].values[1:]]]
    label_w = _text_width(labels, TICK_SIZE)
    steps = np.arange(n_steps, dtype=float)
    if ax is not None:
        plot_w = ax.get_position().width * ax.figure.get_figwidth()
        right, step_in = _timeline_geometry(result, plot_w)
        _outcome_panel(ax, result, steps, right=right, width=plot_w, outside=False)
        _date_axis(ax, result, rotate=_dates_rotated(result, step_in))
        _step_labels(ax, labels, rotate=label_w + 0.1 > step_in)
        return ax.figure

    legend_w = _legend_width(result)
    plot_w = max(6.5, STEP_WIDTH * (n_steps + 0.2) + _end_label_room(result) + 0.15)
    right, step_in = _timeline_geometry(result, plot_w)
    rotate = label_w + 0.1 > step_in
    rotate_dates = _dates_rotated(result, step_in)
    label_h = label_w + 0.1 if rotate else 0.25
    dates_h = _date_label_width(result) if rotate_dates else 0.2
    width = 1.1 + plot_w + legend_w
    height = 1.3 + 3.3 + (2.5 if hypotheses else 0.0) + label_h + dates_h + 0.5
    fig = _new_figure(width, height)
    ax_p, ax_h = _timeline_axes(fig, hypotheses)
    _outcome_panel(ax_p, result, steps, right=right, width=plot_w)
    _date_axis(ax_p, result, rotate=rotate_dates)
    if ax_h is not None:
        _hypothesis_panel(ax_h, result, steps, width=plot_w)
        ax_p.tick_params(axis="x", labelbottom=False)
        _step_labels(ax_h, labels, rotate=rotate)
    else:
        _step_labels(ax_p, labels, rotate=rotate)
    fig.align_ylabels()
    _decorate(fig, result)
    return fig


def _legend_width(result: xr.DataTree) -> float:
    labels = [*_hypothesis_labels(result), "90% judgement band"]
    return _text_width(labels, TICK_SIZE) + 0.8


def _timeline_axes(fig: Figure, hypotheses: bool):
    if hypotheses:
        ax_p, ax_h = fig.subplots(2, 1, sharex=True, height_ratios=[3.3, 2.5])
        return ax_p, ax_h
    return fig.subplots(), None


DATED_PLOT_WIDTH = 11.0
"""Width of the timeline's plot (inches) when its x axis is the date."""


def step_dates(result: xr.DataTree) -> np.ndarray:
    """x of every step on a date axis (matplotlib date numbers, days): an item at its date,
    the items of one day spread evenly across that day in update order, the prior just
    before the first item (2% of the span, at least half a day).

    Examples
    --------
    >>> step_dates(result)[:3]  # doctest: +SKIP
    array([19028.5, 19029.25, 19029.75])
    """
    dates = _dates(result)[1:]
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
    """The timeline with the date as its x axis (above :data:`MAX_ROWS` items)."""
    x = step_dates(result)
    n_items = x.size - 1
    if ax is not None:
        plot_w = ax.get_position().width * ax.figure.get_figwidth()
        _outcome_panel(ax, result, x, right=_dated_right(result, x, plot_w), width=plot_w,
                       outside=False)  # fmt: skip
        _dates_below(ax, n_items)
        return ax.figure
    plot_w = DATED_PLOT_WIDTH
    width = 1.1 + plot_w + _legend_width(result)
    height = 1.3 + 3.3 + (2.5 if hypotheses else 0.0) + 0.9
    fig = _new_figure(width, height)
    ax_p, ax_h = _timeline_axes(fig, hypotheses)
    _outcome_panel(ax_p, result, x, right=_dated_right(result, x, plot_w), width=plot_w)
    if ax_h is not None:
        _hypothesis_panel(ax_h, result, x, width=plot_w)
        ax_p.tick_params(axis="x", labelbottom=False)
        _dates_below(ax_h, n_items)
    else:
        _dates_below(ax_p, n_items)
    fig.align_ylabels()
    _decorate(fig, result)
    return fig


def _dated_right(result: xr.DataTree, x: np.ndarray, plot_w: float) -> float:
    """The right x limit on a date axis leaving room for the last value's label."""
    room = _end_label_room(result) + 0.15
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
    """The right x limit (in steps) leaving room for the last value's label, and the width
    of one step in inches, for a plot ``plot_w`` inches wide."""
    n_steps = result["trajectory"].sizes["step"]
    room = _end_label_room(result) + 0.15
    span = (n_steps + 0.2) / max(1.0 - room / plot_w, 0.2)
    return -0.6 + span, plot_w / span


def _hypothesis_labels(result: xr.DataTree) -> list[str]:
    ph = result["trajectory"]["p_hypothesis"]
    return [
        f"{_short(h, 36)}  {_pct(float(ph.sel(hypothesis=h)[-1]))}" for h in ph["hypothesis"].values
    ]


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
    ax, result: xr.DataTree, steps: np.ndarray, *, right: float, width: float, outside: bool = True
) -> None:
    """The outcome's probability and band at x = ``steps`` (step numbers, or dates)."""
    t = result["trajectory"]
    outcome = result.attrs.get("outcome", "outcome")
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
        label="90% judgement band",
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
        f"prior {p[0]:.0f}%",
        (steps[0], p[0]),
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
    ax.set_xlim(steps[0] - 0.01 * (steps[-1] - steps[0]) if dated else -0.6, right)
    _percent_axis(ax.yaxis)
    ax.set_ylabel(f"P({outcome})", fontsize=LABEL_SIZE)
    _style(ax)
    handles, labels = ax.get_legend_handles_labels()
    where = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if outside else {"loc": "best"}
    ax.legend(handles[::-1], labels[::-1], fontsize=TICK_SIZE, frameon=False, **where)
    _subtitle(ax, f"Probability of {outcome} after each evidence item, {_as_of(result)}", width)
    if not dated:
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


def _hypothesis_panel(ax, result: xr.DataTree, steps: np.ndarray, *, width: float) -> None:
    t = result["trajectory"]
    dated = t.sizes["step"] - 1 > MAX_ROWS
    names = [str(h) for h in t["hypothesis"].values]
    for j, (name, label) in enumerate(zip(names, _hypothesis_labels(result), strict=True)):
        ax.plot(
            steps,
            100 * t["p_hypothesis"].sel(hypothesis=name).values,
            color=_HYPOTHESIS_COLOURS[j % len(_HYPOTHESIS_COLOURS)],
            linestyle=_LINESTYLES[(j // len(_HYPOTHESIS_COLOURS)) % len(_LINESTYLES)],
            linewidth=1.4 if dated else 1.8,
            marker="none" if dated else "o",
            drawstyle="steps-post" if dated else "default",
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
    if not dated:
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
        equal to ``probabilities(encode(scenario.without(id)))``) and ``without_pp``
        (``p_without`` minus the final probability with every item, in percentage points).
        When the result holds an attribution (``result["attribution"]``), also ``shapley``
        and ``shapley_mcse`` (fractions: the item's Shapley value for the final
        probability and its Monte Carlo standard error, 0 when exact). ``attrs`` holds
        ``p_final`` (the exact final probability with every item), ``p_prior`` and
        ``attribution`` (the attribution's method, or None).

    Notes
    -----
    A step's change is the model's: when an item joins a dependence group it can also lower
    the weight of the group's weaker items, and that is part of its change.

    Leave-one-out is computed on the arrays, in log space: the final log posterior less the
    item's term ``log E[Lr_i(h)^w_i]`` (``/evidence/log_likelihood``); for an item of a
    dependence group, the group's weaker members move up one strength rank, so their
    terms at the rank's weight replace the old ones. Likelihoods of 0 (``-inf``) are
    counted apart, never subtracted.

    Examples
    --------
    >>> impact_table(result)[["change_pp", "p_without"]].head(2)  # doctest: +SKIP
    """
    _check_result(result)
    return _impact_table(result, encode(scenario_of(result)))


def _impact_table(result: xr.DataTree, a: Arrays) -> pd.DataFrame:
    t, ev = result["trajectory"], result["evidence"]
    p = t["p_outcome"].values.astype(float)
    ids = _ids(result)
    terms = ev["log_likelihood"].values.astype(float).reshape(len(ids), a.n_hypotheses)
    p_final, without = leave_one_out(a, terms)
    with np.errstate(divide="ignore"):
        log_odds = np.log(p) - np.log1p(-p)
    log_odds = np.clip(log_odds, -800.0, 800.0)  # certainty (0 or 1): as far as a double goes
    reliability = ev["reliability"].values.astype(float)
    weight = ev["weight"].values.astype(float)
    columns = {
        "step": np.arange(1, len(ids) + 1),
        "date": pd.to_datetime(ev["date"].values),
        "p_before": p[:-1],
        "p_after": p[1:],
        "change_pp": 100 * np.diff(p),
        "change_log_odds": np.diff(log_odds),
        "reliability": reliability,
        "weight": weight,
        "group": [str(g) for g in ev["group"].values],
        "reduced_reliability": reliability < 1 - _EPS,
        "reduced_weight": weight < 1 - _EPS,
        "p_without": without,
        "without_pp": 100 * (without - p_final),
    }
    attribution = _attribution(result)
    if attribution is not None:
        columns["shapley"] = attribution["shapley"].values.astype(float)
        columns["shapley_mcse"] = attribution["shapley_mcse"].values.astype(float)
    frame = pd.DataFrame(columns, index=pd.Index(ids, name="evidence"))
    frame.attrs["p_final"] = p_final
    frame.attrs["p_prior"] = float(p[0])
    frame.attrs["attribution"] = (
        str(attribution.attrs.get("method", "shapley")) if attribution is not None else None
    )
    return frame


def leave_one_out(a: Arrays, terms: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """The final probability of the outcome, and without each item in turn.

    Parameters
    ----------
    a : Arrays
        The encoded scenario (:func:`forecast.model.encode`).
    terms : (N, H) array, optional
        Each item's final term ``log E[Lr_i(h)^w_i]`` (``/evidence/log_likelihood`` of a
        result); computed when not given.

    Returns
    -------
    (float, (N,) array)
        ``P(Y | every item)`` and ``P(Y | every item but i)``, the latter equal to
        ``probabilities(encode(scenario.without(id_i)))[1][-1]``.

    Examples
    --------
    >>> p_all, p_without = leave_one_out(encode(scenario))  # doctest: +SKIP
    """
    n, n_h = a.mu.shape
    everything = np.ones(n, dtype=bool)
    if terms is None:
        terms = (
            log_expected_tilt(a.mu, a.sd, a.r, subset_weights(a, everything))
            if n
            else np.zeros((0, n_h))
        )
    finite, ruled_out = _split(terms)
    drop_f, drop_r = finite.copy(), ruled_out.copy()  # what leaving item i out removes
    if n and (a.group >= 0).any():
        d = strength(a)
        for g in np.unique(a.group[a.group >= 0]):
            members = np.flatnonzero(a.group == g)
            order = members[np.argsort(-d[members], kind="stable")]  # strongest first
            if order.size < 2:
                continue
            later = order[1:]  # each moves up one rank when a stronger member leaves
            moved = log_expected_tilt(
                a.mu[later],
                a.sd[later],
                a.r[later],
                rank_weight(a.rho[g], np.arange(1, order.size)),
            )
            moved_f, moved_r = _split(moved)
            # leaving the member at position j out moves every later member up: suffix sums
            drop_f[order[:-1]] += np.cumsum((finite[later] - moved_f)[::-1], axis=0)[::-1]
            drop_r[order[:-1]] += np.cumsum((ruled_out[later] - moved_r)[::-1], axis=0)[::-1]
    base_f = _log_prior(a) + finite.sum(axis=0)
    base_r = ruled_out.sum(axis=0) + np.isneginf(_log_prior(a))
    ep = expected_p_outcome(a)
    p_final = float(_p_hypothesis(base_f, base_r) @ ep)
    return p_final, _p_hypothesis(base_f - drop_f, base_r - drop_r) @ ep


def _attribution(result: xr.DataTree) -> xr.Dataset | None:
    """The result's attribution node (Shapley values), when it has one for these items."""
    if "attribution" not in result.children:
        return None
    node = result["attribution"].to_dataset()
    if "shapley" not in node or "evidence" not in node.dims:
        return None
    if [str(v) for v in node["evidence"].values] != _ids(result):
        return None
    if "shapley_mcse" not in node:
        node["shapley_mcse"] = xr.zeros_like(node["shapley"])
    return node


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
    if "shapley" in table.columns and len(table):
        return _shapley_figure(result, table)
    return _waterfall_figure(result, table)


def most_important(table: pd.DataFrame) -> tuple[np.ndarray, int]:
    """The rows of an :func:`impact_table` that a chart shows, most important first, and how
    many are left out.

    Importance is the size of the item's Shapley value when the table has one, else of its
    leave-one-out change. Every row up to :data:`MAX_ROWS` items; above, the
    :data:`TOP_ITEMS` most important.

    Examples
    --------
    >>> shown, rest = most_important(impact_table(result))  # doctest: +SKIP
    """
    key = table["shapley"] if "shapley" in table.columns else table["without_pp"]
    order = np.argsort(-np.abs(key.to_numpy(dtype=float)), kind="stable")
    if len(table) <= MAX_ROWS:
        return order, 0
    return order[:TOP_ITEMS], len(table) - TOP_ITEMS


def _others(count: int) -> str:
    return f"+ {count:,} other item{'s' if count != 1 else ''}"


def _hatches(rows: pd.DataFrame) -> list[str]:
    return [
        (RELIABILITY_HATCH if r else "") + (GROUP_HATCH if w else "")
        for r, w in zip(rows["reduced_reliability"], rows["reduced_weight"], strict=True)
    ]


def _impact_handles(outcome: str, prior: float, final: float) -> list:
    return [
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
        Line2D([], [], color=INK, label=f"with every item {final:.1f}%"),
    ]


def _column_text(ax, y: float, text: str, *, colour: str = INK, x: float = 1.03) -> None:
    """Text right of the axes, at row ``y``."""
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(
        x,
        y,
        text,
        transform=trans,
        ha="left",
        va="center",
        fontsize=SMALL_SIZE,
        color=colour,
        family="DejaVu Sans Mono",
    )


def _loo_panel(ax, table: pd.DataFrame, rows: np.ndarray, panel_w: float, outcome: str) -> None:
    """Leave-one-out: the final probability without each item of ``rows`` (at y = 0, 1, ...)
    against the final probability with every item."""
    p_wo = 100 * table["p_without"].to_numpy()[rows]
    p_all = 100 * table.attrs["p_final"]
    y = np.arange(rows.size)
    colours = [UP if v < p_all else DOWN for v in p_wo]
    ax.hlines(y, p_all, p_wo, color=colours, linewidth=2.0)
    ax.scatter(p_wo, y, s=30, c=colours, edgecolors=INK, linewidths=0.8, zorder=4)
    ax.axvline(p_all, color=INK, linewidth=1.0)
    lo, hi = _percent_limits(np.concatenate([p_wo, [p_all]]), pad=1.5)
    # room for the value labels beside the dots (about 0.6 inch on either side)
    per_inch = (hi - lo) / max(panel_w - 1.2, 1.0)
    ax.set_xlim(min(lo, p_wo.min() - 0.6 * per_inch), max(hi, p_wo.max() + 0.6 * per_inch))
    for k, v in enumerate(p_wo):
        right = v >= p_all
        ax.annotate(
            f"{v:.1f}%",
            (v, y[k]),
            xytext=(6 if right else -6, 0),
            textcoords="offset points",
            ha="left" if right else "right",
            va="center",
            fontsize=SMALL_SIZE,
            color=INK,
        )
    _percent_axis(ax.xaxis)
    ax.set_xlabel(f"final P({outcome}) without the item", fontsize=LABEL_SIZE)
    _style(ax, grid="x")


def _waterfall_figure(result: xr.DataTree, table: pd.DataFrame) -> Figure:
    """Without an attribution: each item's move at its step (a waterfall in update order),
    and leave-one-out beside it."""
    outcome = result.attrs.get("outcome", "outcome")
    important, rest = most_important(table)
    shown = np.sort(important)  # in update order
    n = shown.size
    rows = table.iloc[shown]
    ids = [_short(i) for i in rows.index] + ([_others(rest)] if rest else [])
    label_w = _text_width(ids or ["prior"], TICK_SIZE)
    change_texts = [
        f"{_signed(pp, 1)} pp ({_signed(lo, 2)})"
        for pp, lo in zip(rows["change_pp"], rows["change_log_odds"], strict=True)
    ]
    if rest:
        together = table["change_pp"].sum() - rows["change_pp"].sum()
        change_texts.append(f"{_signed(together, 1)} pp together")
    text_w = _text_width(change_texts or ["x"], SMALL_SIZE, mono=True) + 0.45
    panel_w = 4.0
    n_rows = len(ids)
    width = max(11.0, 2 * label_w + text_w + 0.8 + 2 * panel_w + 0.9)
    height = 1.4 + ROW_HEIGHT * (max(n_rows, 2) + 0.7) + 0.7
    notes = []
    if rest:
        notes.append(
            f"{len(table):,} items: the {n} that move the final probability most when left "
            f"out are shown, in update order; the other {rest:,} are one row."
        )
    fig = _new_figure(
        width,
        height + _legend_height(2) + 0.16 * len(notes),
        legend_rows=2,
        footer_lines=1 + len(notes),
    )
    w_left = panel_w + text_w
    ax_w, ax_l = fig.subplots(1, 2, width_ratios=[w_left, panel_w + 0.6])
    if n == 0:
        _empty(ax_w, "No evidence items: nothing moved the prior.")
        _empty(ax_l, "")
        _decorate(fig, result)
        return fig

    y = np.arange(n)
    before, after = 100 * rows["p_before"].to_numpy(), 100 * rows["p_after"].to_numpy()
    colours = [UP if d > 0 else DOWN for d in after - before]
    with mpl.rc_context({"hatch.linewidth": 0.6, "hatch.color": "white"}):
        ax_w.barh(
            y,
            after - before,
            left=before,
            height=0.62,
            color=colours,
            edgecolor="white",
            linewidth=0.0,
            hatch=_hatches(rows),
        )
    ax_w.plot(after, y, linestyle="none", marker="|", markersize=9, color=INK, markeredgewidth=1.2)
    steps = rows["step"].to_numpy()
    for k in range(n - 1):
        if steps[k + 1] == steps[k] + 1:  # a connector only where no item is left out
            ax_w.plot(
                [after[k], after[k]], [y[k] + 0.31, y[k + 1] - 0.31], color="#9a9a9a", linewidth=0.8
            )
    prior, final = 100 * table.attrs["p_prior"], 100 * table["p_after"].to_numpy()[-1]
    ax_w.axvline(prior, color=MUTED, linestyle=":", linewidth=1.2, zorder=0)
    ax_w.axvline(final, color=INK, linestyle="-", linewidth=1.0, zorder=0)
    lo, hi = _percent_limits(np.concatenate([before, after, [prior, final]]), pad=1.5)
    ax_w.set_xlim(lo, hi)
    for k, text in enumerate(change_texts):
        _column_text(ax_w, k, text, colour=INK if k < n else MUTED)
    _column_text(ax_w, -1.0, "pp (log-odds)", colour=MUTED)
    ax_w.set_yticks(np.arange(n_rows), ids, fontsize=TICK_SIZE)
    ax_w.set_ylim(n_rows - 0.5, -1.35)
    _percent_axis(ax_w.xaxis)
    ax_w.set_xlabel(f"P({outcome}) before → after the item", fontsize=LABEL_SIZE)
    _style(ax_w, grid="x")
    _subtitle(ax_w, f"How each item moved P({outcome}), {_as_of(result)}", panel_w + text_w)

    order = important[np.argsort(-table["p_without"].to_numpy()[important], kind="stable")]
    _loo_panel(ax_l, table, order, panel_w, outcome)
    loo_ids = [_short(table.index[i]) for i in order] + ([_others(rest)] if rest else [])
    ax_l.set_yticks(np.arange(n_rows), loo_ids, fontsize=TICK_SIZE)
    ax_l.set_ylim(n_rows - 0.5, -1.35)
    _subtitle(ax_l, f"Leave one out: final P({outcome}) without each item", panel_w)
    _bottom_legend(
        fig,
        _impact_handles(outcome, prior, 100 * table.attrs["p_final"]),
        ncols=3,
        footer_lines=1 + len(notes),
    )
    _decorate(fig, result, notes=notes)
    return fig


def _shapley_figure(result: xr.DataTree, table: pd.DataFrame) -> Figure:
    """With an attribution: each item's Shapley value (its share of the move from the prior
    to now), the most important first, the rest and the total as rows; leave-one-out beside."""
    outcome = result.attrs.get("outcome", "outcome")
    node = _attribution(result)
    shown, rest = most_important(table)
    n = shown.size
    rows = table.iloc[shown]
    share = 100 * table["shapley"].to_numpy(dtype=float)
    mcse = 100 * table["shapley_mcse"].to_numpy(dtype=float)
    total = float(share.sum())
    prior, final = 100 * table.attrs["p_prior"], 100 * table.attrs["p_final"]
    sampled = bool(np.nanmax(mcse, initial=0.0) > 0)
    labels = [_short(i) for i in rows.index]

    def cell(value: float, err: float, step: float | None) -> str:
        text = f"{_signed(value, 1):>6}"
        if sampled:  # twice the standard error; none for sums (their errors are correlated)
            text += f" ±{2 * err:<4.{1 if 2 * err >= 0.095 else 2}f}" if err > 0 else " " * 6
        return text + (f"  {_signed(step, 1):>6}" if step is not None else "")

    texts = [
        cell(share[i], mcse[i], 100 * (table["p_after"].iloc[i] - table["p_before"].iloc[i]))
        for i in shown
    ]
    bars = list(share[shown])
    if rest:
        left_out = np.setdiff1d(np.arange(len(table)), shown)
        labels.append(_others(rest))
        bars.append(float(share[left_out].sum()))
        texts.append(cell(bars[-1], 0.0, None))
    labels.append(f"sum: {prior:.1f}% → {final:.1f}%")
    bars.append(total)
    texts.append(cell(total, 0.0, final - prior))
    header = f"{'share':>6}" + ("  ±2se" if sampled else "") + "  at step (pp)"
    n_rows = len(labels)
    label_w = _text_width(labels, TICK_SIZE)
    text_w = _text_width([*texts, header], SMALL_SIZE, mono=True) + 0.45
    panel_w = 4.2
    loo_w = 3.6
    width = max(11.0, label_w + panel_w + text_w + loo_w + 1.2)
    notes = [
        "Share (Shapley value): the item's average effect on "
        f"P({outcome}) over every order in which the items could have arrived; the shares add "
        "up exactly to the move from the prior to now. At step: the move when the item "
        "actually arrived. The two can differ, even in sign: at its step an item meets only "
        "the items before it, and with three or more hypotheses what it does to "
        f"P({outcome}) depends on which hypotheses are still in play. Leave one out: the "
        "final probability without the item, all others kept."
    ]
    if sampled and node is not None:
        notes.append(
            f"Shares sampled over {int(node.attrs.get('n_permutations', 0)):,} orders of "
            f"arrival (seed {node.attrs.get('seed', '?')}); ±2se is twice the Monte Carlo "
            "standard error."
        )
    if rest:
        notes.append(
            f"{len(table):,} items: the {n} with the largest shares are shown; the other "
            f"{rest:,} are one row (their shares summed)."
        )
    note_lines = sum(_wrap(t, FOOTER_SIZE, width - 0.5).count("\n") + 1 for t in notes)
    height = 1.7 + ROW_HEIGHT * (max(n_rows, 2) + 0.9) + 0.75 + _legend_height(2)
    height += 0.155 * note_lines
    fig = _new_figure(width, height, legend_rows=2, footer_lines=1 + note_lines)
    ax_s, ax_l = fig.subplots(1, 2, width_ratios=[panel_w + text_w, loo_w], sharey=True)

    y = np.arange(n_rows)
    colours = [UP if v > 0 else DOWN for v in bars]
    if rest:
        colours[-2] = OKABE_ITO["grey"]
    colours[-1] = INK
    hatches = _hatches(rows) + [""] * (n_rows - n)
    with mpl.rc_context({"hatch.linewidth": 0.6, "hatch.color": "white"}):
        ax_s.barh(y, bars, height=0.62, color=colours, edgecolor="white", linewidth=0.0,
                  hatch=hatches)  # fmt: skip
    if sampled:
        ax_s.errorbar(
            share[shown], y[:n], xerr=2 * mcse[shown], fmt="none", ecolor=INK, elinewidth=0.8,
            capsize=2,
        )  # fmt: skip
    ax_s.axvline(0, color=INK, linewidth=0.9)
    ax_s.axhline(n_rows - 1.5, color="#bbbbbb", linewidth=0.8)
    span = np.array([0.0, *bars])
    lo, hi = float(span.min()), float(span.max())
    pad = 0.06 * max(hi - lo, 0.5)
    ax_s.set_xlim(lo - pad, hi + pad)
    for k, text in enumerate(texts):
        _column_text(ax_s, k, text, colour=INK if k < n or k == n_rows - 1 else MUTED)
    _column_text(ax_s, -1.0, header, colour=MUTED)
    ax_s.set_yticks(y, labels, fontsize=TICK_SIZE)
    ax_s.get_yticklabels()[-1].set_fontweight("bold")
    ax_s.set_ylim(n_rows - 0.5, -1.35)
    ax_s.xaxis.set_major_formatter(lambda v, _: f"{_signed(v, 0 if abs(v) >= 1 else 1)}")
    ax_s.set_xlabel(f"share of the move in P({outcome}), percentage points", fontsize=LABEL_SIZE)
    _style(ax_s, grid="x")
    _subtitle(
        ax_s,
        f"What moved P({outcome}) from {prior:.1f}% to {final:.1f}%, {_as_of(result)}: each "
        "item's share (Shapley value: its average effect over every order of arrival), largest "
        "first; the shares add up to the move. Its move at its own step can differ, even in "
        "sign: there it met only the items before it.",
        panel_w + text_w,
    )
    _loo_panel(ax_l, table, shown, loo_w, outcome)
    ax_l.tick_params(axis="y", labelleft=False, length=0)
    _subtitle(ax_l, f"Leave one out: final P({outcome}) without the item", loo_w)
    handles = _impact_handles(outcome, prior, final)[:4] + [
        Patch(facecolor=INK, label=f"sum of the shares = the move, {_signed(total, 1)} pp"),
        Line2D([], [], color=INK, label=f"with every item {final:.1f}%"),
    ]
    _bottom_legend(fig, handles, ncols=3, footer_lines=1 + note_lines)
    _decorate(fig, result, notes=notes)
    return fig


# ----------------------------------------------------------------------------- ACH matrix
ACH_COLOUR_CAP = 4.6
"""The ACH colour scale ends at this many log units (a ratio of about 100); larger values
saturate (their numbers are written in the cells)."""
RULED_OUT = "#3a3a3a"
"""Colour of an ACH cell whose hypothesis the item rules out (a likelihood of 0)."""


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
        The colour scale is centred at 0 and ends at :data:`ACH_COLOUR_CAP`. A hypothesis
        the item rules out (a likelihood of 0) is a dark cell, "ruled out" (the mean is
        then over the other hypotheses). Right: the diagnosticity, max minus min of the
        row (log units; written also as a likelihood ratio, :func:`format_ratio`): an item
        that fits every hypothesis equally well has diagnosticity 0, however "strong" it
        looks.

        Up to :data:`MAX_ROWS` items: one row each, in update order. Above: the
        :data:`TOP_ITEMS` that matter most (as in :func:`impact`), most important first,
        and one row for the other items together (the sum of their log-likelihoods).

        When the result holds an attribution, a last column names, for each row, the
        hypothesis whose final probability its items moved most (their Shapley values for
        ``P(h)``, ``shapley_hypothesis``), in percentage points.

    Examples
    --------
    >>> ach_matrix(result).savefig("ach.svg")  # doctest: +SKIP
    """
    _check_result(result)
    if result["evidence"].sizes.get("evidence", 0) > MAX_ROWS:
        return _ach_figure(result, impact_table(result))
    return _ach_figure(result, None)


def _ach_rows(result: xr.DataTree, table: pd.DataFrame | None):
    """Row labels and log-likelihood rows (R, H) of the ACH chart, how many items the last
    row combines (0: none), and each row's items (their positions in update order)."""
    ids = _ids(result)
    n_h = result["evidence"].sizes["hypothesis"]
    values = result["evidence"]["log_likelihood"].values.astype(float).reshape(len(ids), n_h)
    if table is None or len(ids) <= MAX_ROWS:
        return [_short(i) for i in ids], values, 0, [[i] for i in range(len(ids))]
    shown, rest = most_important(table)
    left_out = np.setdiff1d(np.arange(len(ids)), shown)
    finite, ruled_out = _split(values[left_out])
    combined = np.where(ruled_out.sum(axis=0) > 0, -np.inf, finite.sum(axis=0))
    labels = [_short(ids[i]) for i in shown] + [f"{_others(rest)} (together)"]
    members = [[int(i)] for i in shown] + [left_out.tolist()]
    return labels, np.vstack([values[shown], combined[None, :]]), rest, members


def _moved_most(result: xr.DataTree, members: list[list[int]]) -> list[str] | None:
    """For each ACH row, the hypothesis whose final probability its items moved most, by
    their Shapley values for P(h) (``shapley_hypothesis`` of the attribution), or None."""
    node = _attribution(result)
    if node is None or "shapley_hypothesis" not in node:
        return None
    shares = 100 * node["shapley_hypothesis"].values.astype(float)
    names = [str(h) for h in result["evidence"]["hypothesis"].values]
    texts = []
    for items in members:
        row = shares[items].sum(axis=0)
        j = int(np.argmax(np.abs(row)))
        texts.append(f"{_short(names[j], 24)} {_signed(row[j], 1)}")
    return texts


def _centred(values: np.ndarray) -> np.ndarray:
    """Each row minus the mean of its finite entries; ``-inf`` (ruled out) stays."""
    finite = np.isfinite(values)
    count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    mean = np.where(finite, values, 0.0).sum(axis=1, keepdims=True) / count
    return np.where(finite, values - mean, values)


def _ach_figure(result: xr.DataTree, table: pd.DataFrame | None) -> Figure:
    ev = result["evidence"]
    names = [str(h) for h in ev["hypothesis"].values]
    labels, values, rest, members = _ach_rows(result, table)
    n, n_h = len(labels), len(names)
    ph = result["trajectory"]["p_hypothesis"].isel(step=-1).values
    col_labels = [f"{_short(h, 30)}\n{_pct(float(p))} now" for h, p in zip(names, ph, strict=True)]
    label_w = _text_width(labels or ["x"], TICK_SIZE)
    name_w = _text_width([_short(h, 30) for h in names], TICK_SIZE)
    col_w = max(0.9, name_w + 0.2)
    rotate_cols = col_w > 1.6
    moved = _moved_most(result, members)
    room = 3.6 + (_text_width(moved, SMALL_SIZE, mono=True) + 0.3 if moved else 0.0)
    col_w = min(col_w, 1.6, max(0.45, (MAX_INCHES - label_w - room) / max(n_h, 1)))
    rotate_cols = rotate_cols or col_w < 0.9
    cell_text = col_w >= 0.75
    width = max(8.5, label_w + col_w * n_h + room)
    height = 1.5 + (0.9 if not rotate_cols else name_w * (1.0 if col_w < 0.9 else 0.75) + 0.5)
    height += ROW_HEIGHT * max(n, 2) + 1.2
    notes = []
    if rest:
        notes.append(
            f"{len(_ids(result)):,} items: the {n - 1} that matter most (as in the impact chart) "
            f"are shown, most important first; the last row is the other {rest:,} together."
        )
    if moved:
        notes.append(
            "Right of the diagnosticity: the hypothesis whose probability the item moved most "
            "overall, by its Shapley value for P(hypothesis), in percentage points."
        )
    note_lines = sum(
        _wrap(t, FOOTER_SIZE, min(width, MAX_INCHES) - 0.5).count("\n") + 1 for t in notes
    )
    fig = _new_figure(width, height + 0.16 * note_lines, footer_lines=1 + note_lines)
    ax_m, ax_d = fig.subplots(1, 2, sharey=True, width_ratios=[col_w * n_h, 2.0])
    if n == 0:
        _empty(ax_m, "No evidence items yet.")
        _empty(ax_d, "")
        _decorate(fig, result)
        return fig
    rel = _centred(values)
    ruled_out = np.isneginf(rel)
    finite_rel = rel[np.isfinite(rel)]
    top = float(np.abs(finite_rel).max()) if finite_rel.size else 0.0
    vmax = min(max(top, 0.05), ACH_COLOUR_CAP)
    cmap = mpl.colormaps["RdBu"].with_extremes(bad=RULED_OUT)
    im = ax_m.imshow(
        np.ma.masked_array(rel, mask=ruled_out),
        cmap=cmap,
        vmin=-vmax,
        vmax=vmax,
        aspect="auto",
        interpolation="nearest",
    )
    for i in range(n):
        for j in range(n_h):
            v = rel[i, j]
            if ruled_out[i, j]:
                text, colour = "ruled out", "white"
            elif cell_text:
                text, colour = _signed(v, 2), "white" if abs(v) > 0.6 * vmax else INK
            else:
                continue
            ax_m.text(j, i, text, ha="center", va="center", fontsize=SMALL_SIZE, color=colour)
    ax_m.set_yticks(np.arange(n), labels, fontsize=TICK_SIZE)
    ax_m.set_xticks(
        np.arange(n_h),
        [_plain(c) for c in col_labels],
        fontsize=TICK_SIZE,
        rotation=(90 if col_w < 0.9 else 30) if rotate_cols else 0,
        ha="left" if rotate_cols and col_w >= 0.9 else "center",
    )
    ax_m.xaxis.tick_top()
    ax_m.tick_params(length=0)
    for spine in ax_m.spines.values():
        spine.set_visible(False)
    if rest:
        ax_m.axhline(n - 1.5, color="white", linewidth=3)
    _subtitle(ax_m, f"Evidence against hypotheses, {_as_of(result)}", col_w * n_h + 1.0)
    bar = fig.colorbar(
        im,
        ax=ax_m,
        location="bottom",
        shrink=0.9,
        aspect=30,
        pad=0.02,
        extend="both" if top > ACH_COLOUR_CAP else "neither",
    )
    bar.ax.tick_params(labelsize=SMALL_SIZE)
    bar.set_label(
        "effective log-likelihood minus the item's mean\n(natural log; +0.69 = twice as likely)",
        fontsize=SMALL_SIZE,
    )

    with np.errstate(invalid="ignore"):
        diag = values.max(axis=1) - values.min(axis=1)  # inf where a hypothesis is ruled out
    finite_diag = diag[np.isfinite(diag)]
    dmax = max(float(finite_diag.max()) if finite_diag.size else 0.0, 0.05)
    shown_diag = np.where(np.isfinite(diag), diag, dmax * 1.15)
    ax_d.barh(
        np.arange(n),
        shown_diag,
        height=0.62,
        color=[RULED_OUT if not np.isfinite(d) else OKABE_ITO["grey"] for d in diag],
    )
    trans = blended_transform_factory(ax_d.transData, ax_d.transData)
    for i, d in enumerate(diag):
        text = f"{d:.2f} ({format_ratio(d)})" if np.isfinite(d) else "∞ (rules out)"
        ax_d.text(
            shown_diag[i] + 0.03 * dmax,
            i,
            text,
            transform=trans,
            ha="left",
            va="center",
            fontsize=SMALL_SIZE,
            color=INK,
        )
    ax_d.set_xlim(0, dmax * (2.3 if moved else 1.9))  # room for the longest ratio label
    ax_d.set_ylim(n - 0.5, -0.5)
    ax_d.tick_params(labelleft=False, length=0)
    _style(ax_d, grid="x")
    ax_d.tick_params(axis="y", length=0)
    ax_d.xaxis.set_major_locator(MaxNLocator(nbins=3))
    ax_d.set_xlabel("diagnosticity\n(max − min, log units)", fontsize=SMALL_SIZE)
    _subtitle(ax_d, "Diagnosticity", 2.0)
    if moved is not None:
        for i, text in enumerate(moved):
            _column_text(ax_d, i, text, x=1.06)
        ax_d.text(
            1.06,
            -0.55,
            "moved most (pp)",
            transform=blended_transform_factory(ax_d.transAxes, ax_d.transData),
            ha="left",
            va="bottom",
            fontsize=SMALL_SIZE,
            color=MUTED,
        )
    _decorate(fig, result, notes=notes)
    return fig


# ----------------------------------------------------------------------------- sensitivity
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
    ``exp((log lo + log hi) / 2)``; probabilities: the logit midpoint), or ``lo``, or
    ``hi``, and the exact probability of that scenario is computed, as
    :func:`forecast.probabilities` would, but on the encoded arrays and in log space (one
    item's term replaced; a grouped item's whole group re-ranked by strength), so that
    10,000 inputs take a fraction of a second and ``[1e200, 1e250]`` overflows nothing.

    The prior strength ``kappa`` is not an input here: the probability uses ``E[pi] = pi``
    whatever ``kappa`` is (MODEL.md, "The probability"), so ``kappa / 4`` and ``kappa * 4``
    give the same number; ``kappa`` only widens or narrows the judgement band.

    Examples
    --------
    >>> sensitivity_table(result).head(3)  # doctest: +SKIP
    """
    _check_result(result)
    scenario = scenario_of(result)
    return _sensitivity_table(result, scenario, encode(scenario))


def _sensitivity_table(result: xr.DataTree, scenario: Scenario, a: Arrays) -> pd.DataFrame:
    outcome = scenario.outcome
    names = list(scenario.hypotheses)
    n = a.n_items
    centre = replace(a, sd=np.zeros_like(a.sd), p_sd=np.zeros_like(a.p_sd))
    weights = subset_weights(centre, np.ones(n, dtype=bool))
    log_lr = log_effective(centre.mu, centre.r) if n else np.zeros((0, len(names)))
    finite, ruled_out = _split(weights[:, None] * log_lr)
    base_f = _log_prior(a) + finite.sum(axis=0)
    base_r = ruled_out.sum(axis=0) + np.isneginf(_log_prior(a))
    ep = expit(a.p_mean)
    p_h = _p_hypothesis(base_f, base_r)
    rows: list[dict] = []
    for j, name in enumerate(names):
        value = scenario.priors.hypotheses[name].p_outcome
        if isinstance(value, list | tuple):
            lo, hi = map(float, value)
            ends = []
            for end in (lo, hi):
                changed = ep.copy()
                changed[j] = end
                ends.append(float(p_h @ changed))
            rows.append(
                {
                    "input": f"P({outcome} | {name})",
                    "kind": "p_outcome",
                    "evidence": "",
                    "hypothesis": name,
                    "lo": lo,
                    "hi": hi,
                    "centre": float(ep[j]),
                    "p_low": ends[0],
                    "p_high": ends[1],
                }
            )
    item, hyp, lows, highs = [], [], [], []
    for i, e in enumerate(scenario.evidence):
        for name, value in e.likelihoods.items():
            if isinstance(value, list | tuple):
                item.append(i)
                hyp.append(names.index(name))
                lows.append(float(value[0]))
                highs.append(float(value[1]))
    item_a, hyp_a = np.array(item, dtype=int), np.array(hyp, dtype=int)
    ends = {}
    for key, values in (("p_low", lows), ("p_high", highs)):
        mu = centre.mu[item_a].copy()
        mu[np.arange(item_a.size), hyp_a] = np.log(np.array(values, dtype=float))
        ends[key] = _final_with_rows(centre, weights, log_lr, (base_f, base_r), item_a, mu) @ ep
    for k, (i, j) in enumerate(zip(item, hyp, strict=True)):
        rows.append(
            {
                "input": f"{scenario.evidence[i].id}: L({names[j]})",
                "kind": "likelihood",
                "evidence": scenario.evidence[i].id,
                "hypothesis": names[j],
                "lo": lows[k],
                "hi": highs[k],
                "centre": float(np.exp(centre.mu[i, j])),
                "p_low": float(ends["p_low"][k]),
                "p_high": float(ends["p_high"][k]),
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
    frame = pd.DataFrame(rows, columns=columns[:-1])
    frame["swing"] = 100 * (frame["p_high"] - frame["p_low"]).abs()
    frame = frame[columns].sort_values("swing", ascending=False, kind="stable")
    frame = frame.reset_index(drop=True)
    frame.attrs["p_centre"] = float(p_h @ ep)
    frame.attrs["p_final"] = float(result["trajectory"]["p_outcome"].values[-1])
    frame.attrs["prior_strength"] = scenario.priors.prior_strength
    return frame


def _final_with_rows(
    a: Arrays,
    weights: np.ndarray,
    log_lr: np.ndarray,
    base: tuple[np.ndarray, np.ndarray],
    items: np.ndarray,
    mu: np.ndarray,
) -> np.ndarray:
    """P(h | every item) (K, H) with row ``items[k]``'s exact log-likelihoods replaced by
    ``mu[k]``, one replacement at a time (``a`` exact: every sd 0).

    An item in no group changes its own term only; a grouped item's new strength can
    change its group's ranks, so the group's terms are recomputed (:func:`subset_weights`).
    """
    base_f, base_r = base
    out = np.empty((items.size, a.n_hypotheses))
    free = a.group[items] < 0
    if free.any():
        k = np.flatnonzero(free)
        old_f, old_r = _split(log_lr[items[k]])
        new_f, new_r = _split(log_effective(mu[k], a.r[items[k]]))
        out[k] = _p_hypothesis(base_f - old_f + new_f, base_r - old_r + new_r)
    for k in np.flatnonzero(~free):
        i = items[k]
        members = np.flatnonzero(a.group == a.group[i])
        group_mu = a.mu[members].copy()
        group_mu[members == i] = mu[k]
        group = replace(
            a,
            mu=group_mu,
            sd=np.zeros_like(group_mu),
            r=a.r[members],
            group=np.zeros(members.size, dtype=int),
            rho=a.rho[[a.group[i]]],
        )
        w = subset_weights(group, np.ones(members.size, dtype=bool))
        old_f, old_r = _split(weights[members, None] * log_lr[members])
        new_f, new_r = _split(w[:, None] * log_effective(group_mu, group.r))
        out[k] = _p_hypothesis(
            base_f - old_f.sum(axis=0) + new_f.sum(axis=0),
            base_r - old_r.sum(axis=0) + new_r.sum(axis=0),
        )
    return out


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
    names: Sequence[str] | None = None,
) -> dict[str, Figure]:
    """Every chart of :data:`CHARTS` and, when the run ranked indicators, ``watch`` (or
    those in ``names``), by name; ``impact`` and
    ``sensitivity`` are the tables of :func:`impact_table` and :func:`sensitivity_table` if
    already computed."""
    builders = _builders(result, impact, sensitivity)
    return {name: build() for name, build in builders.items() if names is None or name in names}


def _builders(
    result: xr.DataTree,
    impact: pd.DataFrame | None = None,
    sensitivity: pd.DataFrame | None = None,
) -> dict:
    """A function drawing each chart of :data:`CHARTS`, by name; the tables are computed
    here, once (the scenario decoded once for both)."""
    _check_result(result)
    if impact is None or sensitivity is None:
        scenario = scenario_of(result)
        a = encode(scenario)
        impact = _impact_table(result, a) if impact is None else impact
        if sensitivity is None:
            sensitivity = _sensitivity_table(result, scenario, a)
    builders = {
        "timeline": lambda: timeline(result),
        "impact": lambda: _impact_figure(result, impact),
        "ach": lambda: _ach_figure(result, impact),
        "sensitivity": lambda: _sensitivity_figure(result, sensitivity),
        "distribution": lambda: distribution(result),
    }
    if "watch" in result.children:  # the run ranked indicators: their chart too
        from .indicators import watch_frame

        table = watch_frame(result["watch"].to_dataset())
        if len(table):
            builders["watch"] = lambda: watch_chart(result, table)
    return builders


def _save(fig: Figure, path: Path, fmt: str, dpi: int, salt: str) -> None:
    """Save deterministically: SVG text as text (editable, searchable), no timestamps; a
    PNG at most :data:`MAX_PIXELS` a side (a ``dpi`` that would exceed it is lowered)."""
    dpi = min(dpi, (MAX_PIXELS - 1) / max(fig.get_size_inches()))
    metadata = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else {})
    # PNG: fast zlib level (a few percent larger files, about a third of the encoding time)
    extra = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "pdf.fonttype": 42}):
        fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata, **extra)


def svg_text(fig: Figure, *, salt: str = "forecast") -> str:
    """The figure as an inline ``<svg>`` element for HTML: text kept as text, no XML
    prolog, no metadata block, no namespace URLs (HTML5 needs none).

    Every element id is prefixed with ``salt`` (and so is every reference to one), so that
    several charts can share one page.
    """
    buf = io.BytesIO()
    _save(fig, buf, "svg", 100, salt)
    return inline_svg(buf.getvalue().decode("utf-8"), salt=salt)


def inline_svg(text: str, *, salt: str) -> str:
    """An SVG document written by :func:`save_all` (whose ids were salted with the chart's
    name) as the inline ``<svg>`` element :func:`svg_text` gives for the same figure.

    Examples
    --------
    >>> inline_svg(Path("out/timeline.svg").read_text(), salt="timeline")  # doctest: +SKIP
    '<svg width=...'
    """
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
        The files written: timeline, impact, ach, sensitivity, distribution (and watch when
        the run ranked indicators), each format.

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
    build = _builders(result)
    names = list(build)

    def write(share: list[str]) -> None:
        # each figure drawn in the process that writes it, its formats in order; the layout
        # is found once, for the first format, and kept for the others
        for name in share:
            fig = build[name]()
            for fmt in formats:
                path = out / f"{name}.{fmt}"
                atomic_write(path, lambda p, f=fmt, g=fig, n=name: _save(g, p, f, dpi, n))
                fig.set_layout_engine("none")

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


# ----------------------------------------------------------------------------- watch
def watch_chart(result: xr.DataTree, table: pd.DataFrame, *, top: int = TOP_N) -> Figure:
    """What to watch: where P(outcome) would go if each indicator is seen, and if not.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.
    table : pandas.DataFrame
        From :func:`forecast.watch` (its order is kept: best first).
    top : int
        How many indicators to show (the rest are counted in the subtitle).

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
    >>> watch_chart(result, forecast.watch(result, "indicators")).savefig("watch.png")  # doctest: +SKIP
    """
    outcome = table.attrs.get("outcome", result.attrs.get("outcome", "outcome"))
    shown = table.head(top)
    n = len(shown)
    labels = [_plain(s) for s in shown["indicator_id"]]
    seen = 100 * shown[f"p_{outcome}_if_seen"].to_numpy(dtype=float)
    nots = 100 * shown[f"p_{outcome}_if_not_seen"].to_numpy(dtype=float)
    now = 100 * float(table.attrs.get("p_outcome", np.nan))
    band = f"p_{outcome}_if_seen_low" in shown.columns
    side = [
        f"P(seen) {p:.0%}  shift {s:.3f}" + ("  OVERDUE" if late else "")
        for p, s, late in zip(
            shown["p_seen"], shown["expected_shift"], shown["overdue"], strict=True
        )
    ]
    label_w = _text_width(labels or ["x"], TICK_SIZE)
    side_w = _text_width(side or ["x"], SMALL_SIZE) + 0.25
    plot_w = 5.5
    width = max(10.0, label_w + plot_w + side_w + 0.6)
    notes = []
    if band:
        notes.append(
            "Bars: the 90% judgement band of P(outcome | seen) (upper bar, filled dot) and of "
            "P(outcome | not seen) (lower bar, open dot), from the band's draws weighted by "
            "the chance of each observation."
        )
    height = 1.5 + ROW_HEIGHT * 1.4 * (max(n, 2) + 0.8) + 0.75 + _legend_height(2)
    height += 0.16 * len(notes)
    fig = _new_figure(width, height, footer_lines=1 + len(notes), legend_rows=2)
    ax = fig.subplots()
    if n == 0:
        _empty(ax, "No indicator left to watch.")
        _decorate(fig, result, notes=notes)
        return fig
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
    values = [seen, nots, [now]]
    if band:
        values += [
            100 * shown[c].to_numpy(dtype=float)
            for c in shown.columns
            if c.endswith(("_low", "_high"))
        ]
    lo, hi = _percent_limits(np.concatenate(values), pad=2.0)
    ax.set_xlim(lo, hi)
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    for k in range(n):
        ax.text(1.02, y[k], side[k], transform=trans, ha="left", va="center",
                fontsize=SMALL_SIZE, color=INK)  # fmt: skip
    ax.set_yticks(y, labels, fontsize=TICK_SIZE)
    ax.set_ylim(n - 0.5, -0.7)
    _percent_axis(ax.xaxis)
    ax.set_xlabel(f"P({outcome}) after the observation", fontsize=LABEL_SIZE)
    _style(ax, grid="x")
    total = len(table)
    what = f"top {n} of {total}" if total > n else f"all {total}"
    _subtitle(
        ax,
        f"What would change P({outcome}): indicators by expected shift ({what}), {_as_of(result)}",
        plot_w + side_w,
    )
    handles = [
        Line2D([], [], color=INK, label=f"P({outcome}) now {now:.1f}%"),
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
    _bottom_legend(fig, handles, ncols=2, footer_lines=1 + len(notes))
    _decorate(fig, result, notes=notes)
    return fig


def save_watch_chart(
    result: xr.DataTree,
    table: pd.DataFrame,
    out: str | Path,
    *,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 200,
) -> list[Path]:
    """Write the :func:`watch_chart` into ``out`` as ``watch.<format>`` (atomically)."""
    fig = watch_chart(result, table)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in chart_formats(formats):
        path = out / f"watch.{fmt}"
        atomic_write(path, lambda p, f=fmt: _save(fig, p, f, dpi, "watch"))
        paths.append(path)
    return paths
