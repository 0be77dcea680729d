"""Shared look of the charts.

The Okabe-Ito colours, font sizes, row heights and size limits, the formatting of numbers, dates and
labels, and the figure frame every chart uses (title, as-of date, footer, legend, percent axes).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MaxNLocator, PercentFormatter
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from ..inputs.text import for_matplotlib as plain  # user text for matplotlib
from ..labels import signed

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

UP = OKABE_ITO["vermillion"]  # an item that raises the outcome's probability
DOWN = OKABE_ITO["blue"]  # an item that lowers it
BAND_COLOUR = OKABE_ITO["sky_blue"]
INK = "#222222"
MUTED = "#666666"
HYPOTHESIS_COLOURS = [
    OKABE_ITO[k]
    for k in ("blue", "vermillion", "green", "purple", "orange", "sky_blue", "black", "yellow")
]
LINESTYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
"""With :data:`LINESTYLES`: every hypothesis's line differs from the others by more than its
colour (:func:`series_style`)."""


def series_style(j: int) -> dict[str, Any]:
    """Colour, line style and marker of the ``j``-th series (a hypothesis's line).

    Never colour alone: neighbouring series differ in line style and marker shape as well.

    Examples
    --------
    >>> series_style(1)
    {'color': '#D55E00', 'linestyle': '--', 'marker': 's'}
    """
    n = len(HYPOTHESIS_COLOURS)
    return {
        "color": HYPOTHESIS_COLOURS[j % n],
        "linestyle": LINESTYLES[j % len(LINESTYLES)],
        "marker": MARKERS[(j + j // n) % len(MARKERS)],
    }


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
MAX_PIXELS = 4000
"""No image is wider or taller than this, in pixels at the default 200 dpi (and a higher
``dpi`` is lowered to keep it so)."""
MAX_INCHES = 19.5
"""Largest side of a figure (inches): 3,900 px at 200 dpi."""
TITLE_LINES = 3
"""Longest title (the question) in lines; a longer question ends with an ellipsis."""

RELIABILITY_HATCH = "///"
GROUP_HATCH = "\\\\\\"  # three backslashes; with RELIABILITY_HATCH: cross-hatched


# ----------------------------------------------------------------------------- helpers
def text_width(
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


def legend_height(rows: int) -> float:
    """Inches taken by a bottom legend of ``rows`` rows (0 without one)."""
    return 0.12 + 0.2 * rows if rows else 0.0


def new_figure(
    width: float, height: float, *, footer_lines: int = 1, legend_rows: int = 0
) -> Figure:
    """Return a constrained-layout figure with room at the bottom for a legend and the footer.

    At most :data:`MAX_INCHES` a side.

    Created through pyplot so that JupyterLab's inline backend knows how to show it, then
    closed at once so that pyplot keeps no reference (drawing and saving still work).
    """
    import matplotlib.pyplot as plt

    width, height = min(width, MAX_INCHES), min(height, MAX_INCHES)
    fig = plt.figure(figsize=(width, height), layout="constrained")
    plt.close(fig)
    bottom = (_footer_height(footer_lines) + legend_height(legend_rows)) / height
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)
    engine.set(rect=(0.0, bottom, 1.0, 1.0 - bottom), w_pad=0.06, h_pad=0.06)
    return fig


def bottom_legend(fig: Figure, handles: list, *, ncols: int, footer_lines: int = 1) -> None:
    """Return a legend in the strip reserved above the footer (outside the layout's rect)."""
    rows = math.ceil(len(handles) / ncols)
    y = (_footer_height(footer_lines) + legend_height(rows) / 2) / fig.get_figheight()
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


def legend_below(ax: Axes, handles: list, *, ncols: int = 2) -> None:
    """Return a legend under ``ax``'s x label.

    The :func:`bottom_legend` of a chart drawn into a given axes, whose figure is not the chart's.
    """
    below = ScaledTranslation(0.0, -0.5, root_figure(ax).dpi_scale_trans)  # under the x label
    with mpl.rc_context({"hatch.linewidth": 0.6, "hatch.color": "white"}):
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            bbox_transform=ax.transAxes + below,
            ncols=ncols,
            fontsize=SMALL_SIZE,
            frameon=False,
            columnspacing=2.0,
        )


def finish_rows_chart(
    ax: Axes, handles: list, result: xr.DataTree, *, notes: Sequence[str], own: bool
) -> Figure:
    """Return ``ax``'s figure with the legend of a one-row-per-item chart, and its footer.

    In a figure of its own (``own``) the legend goes at the bottom of the figure (two columns)
    and the footer under it; drawn into a given axes, the legend goes under that axes only.

    Examples
    --------
    >>> return finish_rows_chart(ax, handles, result, notes=notes, own=own)  # doctest: +SKIP
    """
    fig = root_figure(ax)
    if not own:
        legend_below(ax, handles)
        return fig
    bottom_legend(fig, handles, ncols=2, footer_lines=1 + len(notes))
    decorate(fig, result, notes=notes)
    return fig


def wrap_text(text: str, size: float, width: float, *, weight: str = "normal") -> str:
    r"""Greedy word wrap of ``text`` to ``width`` inches at ``size`` points.

    Each line takes words while the line stays within ``width`` (a word wider than that has a
    line of its own). The lines are those of trying every word in turn, found with a few
    measurements a line (:func:`_line_end`): a text is never narrower than a text it begins with.

    Examples
    --------
    >>> wrap_text("one two three", 9, 0.7)
    'one two\nthree'
    """
    nbsp = "\u00a0"
    # an as-of date stays on one line
    text = re.sub(r"as of \d{1,2} \w{3}( \d{4})?", lambda m: m[0].replace(" ", nbsp), str(text))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = [word for word in paragraph.split(" ") if word]
        measure = functools.partial(_words_width, words, size, weight)
        start = 0
        while start < len(words):
            end = _line_end(words, start, measure, width)
            lines.append(" ".join(words[start:end]))
            start = end
    return "\n".join(lines).replace(nbsp, " ")


def _words_width(words: Sequence[str], size: float, weight: str, start: int, end: int) -> float:
    """Width in inches of ``words[start:end]`` joined by spaces (no-break spaces as spaces)."""
    return text_width([" ".join(words[start:end]).replace("\u00a0", " ")], size, weight=weight)


PROBE_WORDS = 40
"""Words measured to guess where a line ends (more than a chart's line holds)."""


def _line_end(
    words: Sequence[str], start: int, measure: Callable[[int, int], float], width: float
) -> int:
    """The end of the line starting at ``words[start]``: the most words within ``width`` (>= 1).

    ``measure(i, j)`` is the width of ``words[i:j]`` joined by spaces. A guess from the width
    per character of the next :data:`PROBE_WORDS` words (never the whole rest of a long
    paragraph: that would make wrapping quadratic), then one word at a time from there: usually
    two or three measurements a line, where trying each word in turn takes one per word.
    """
    n = len(words)
    if n - start == 1:
        return n
    probe = min(n, start + PROBE_WORDS)
    probed = measure(start, probe)
    if probe == n and probed <= width:  # all of it fits: so does every beginning of it
        return n
    room = (sum(len(w) + 1 for w in words[start:probe]) - 1) * width / probed  # characters
    end, used = start + 1, len(words[start])
    while end < n - 1 and used + 1 + len(words[end]) <= room:
        used += 1 + len(words[end])
        end += 1
    while end > start + 1 and measure(start, end) > width:
        end -= 1
    while end < n and measure(start, end + 1) <= width:
        end += 1
    return end


def percent_axis(axis: Axis) -> None:
    """Whole-percent ticks (data in percent), never a rounded half-step label."""
    axis.set_major_formatter(PercentFormatter(100, decimals=0))
    axis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10], integer=True))


def tick_digits(ticks: Sequence[float], most: int = 3) -> int:
    """The fewest decimals (at most ``most``) that write every tick exactly: 2.5 needs one.

    Examples
    --------
    >>> tick_digits([-2.5, 0.0, 2.5, 5.0])
    1
    """
    for digits in range(most + 1):
        if all(abs(round(t, digits) - t) < 1e-9 * max(1.0, abs(t)) for t in ticks):
            return digits
    return most


def signed_axis(axis: Axis) -> None:
    """Label ``axis`` with signed numbers (``+2.5``, ``0``, ``-2.5``).

    With as many decimals as its ticks need, so that no label rounds its gridline to another value.

    Examples
    --------
    >>> signed_axis(ax.xaxis)  # doctest: +SKIP
    """

    def label(value: float, _pos) -> str:
        return signed(value, tick_digits(list(axis.get_majorticklocs())))

    axis.set_major_formatter(label)


def decorate(fig: Figure, result: xr.DataTree, *, notes: Sequence[str] = ()) -> None:
    """Return the question as the title, and the footer (notes, then the run's metadata)."""
    width = fig.get_figwidth() - 0.5
    question = plain(result.attrs.get("question", ""))
    title = wrap_text(question, TITLE_SIZE, width, weight="bold")
    if title.count("\n") >= TITLE_LINES:  # a long question: its start, then an ellipsis
        title = "\n".join(title.split("\n")[:TITLE_LINES])[:-1] + "…"
    fig.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold", color=INK, x=0.5)
    lines = [*(wrap_text(plain(n), FOOTER_SIZE, width) for n in notes), _footer(result)]
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


def subtitle(ax: Axes, text: str, width: float) -> None:
    """Return the panel's title, left-aligned, wrapped to ``width`` inches."""
    ax.set_title(
        wrap_text(plain(text), SUBTITLE_SIZE, width),
        loc="left",
        fontsize=SUBTITLE_SIZE,
        color=INK,
        pad=8,
    )


def style_axes(ax: Axes, *, grid: Literal["x", "y", "both", ""] = "y") -> None:
    """Return the common look of an axes.

    No top and right spines, grey axis lines, a light grid along ``grid`` ("x", "y" or "").
    """
    ax.tick_params(labelsize=TICK_SIZE, colors=INK)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
    if grid:
        ax.grid(axis=grid, color="#e3e3e3", linewidth=0.8)
        ax.set_axisbelow(True)


def percent_limits(values: np.ndarray, *, pad: float = 4.0) -> tuple[float, float]:
    """Axis limits in percent around ``values``: rounded to 5, inside 0..100."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    lo = max(0.0, math.floor((lo - pad) / 5.0) * 5.0)
    hi = min(100.0, math.ceil((hi + pad) / 5.0) * 5.0)
    if hi - lo < 10:
        mid = (hi + lo) / 2
        lo, hi = max(0.0, mid - 5), min(100.0, mid + 5)
    return lo, hi


def empty_panel(ax: Axes, message: str) -> None:
    """Replace an axes' content by a centred ``message`` (a chart with nothing to show)."""
    ax.text(
        0.5,
        0.5,
        plain(message),
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


def root_figure(ax: Axes) -> Figure:
    """Return the figure holding ``ax``: what a chart drawn into a given ``ax`` returns."""
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    return fig


def axes_width(ax: Axes) -> float:
    """Width of ``ax`` in inches (its panel title is wrapped to it)."""
    return ax.get_position().width * root_figure(ax).get_figwidth()


def column_text(ax: Axes, y: float, text: str, *, colour: str = INK, x: float = 1.03) -> None:
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
