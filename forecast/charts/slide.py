"""Slide-sized charts: 16:9 (13.333 x 7.5 in), every text at least 14 pt, few rows.

The charts of ``--size slide`` (``forecast charts``, ``forecast run``, ``forecast slides``):
the same numbers as the full-size charts, drawn for a room: the outcome's probability with its
band, what moved it (the :data:`SLIDE_ROWS` items that matter most and one row for the rest),
what to watch, and the band's distribution. Colour is never the only cue (markers, fills and
line styles differ too) and every text is dark on white (contrast at least 4.5:1).

>>> figs = slide_figures(result)  # doctest: +SKIP
>>> figs["timeline"].get_size_inches()  # doctest: +SKIP
array([13.333,  7.5  ])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..analysis import final_band, impact_table, most_important
from ..labels import as_of, display_names, others_label, pct, points, shorten
from ..result_schema import POSTERIOR, TRAJECTORY, WATCH, band_label, dataset, has_node
from .style import BAND_COLOUR, DOWN, INK, MUTED, UP, plain, style_axes, wrap_text

__all__ = [
    "MIN_POINTS",
    "SIZES",
    "SLIDE_INCHES",
    "SLIDE_ROWS",
    "Size",
    "slide_by_date",
    "slide_distribution",
    "slide_figures",
    "slide_impact",
    "slide_timeline",
    "slide_watch",
]

SLIDE_INCHES = (13.333, 7.5)
"""A 16:9 PowerPoint slide (12,192,000 x 6,858,000 EMU), in inches."""
MIN_POINTS = 14.0
"""Smallest text on a slide-sized chart (points)."""
TITLE_POINTS = 24.0
LABEL_POINTS = 18.0
TICK_POINTS = 16.0
SIZES = ("default", "slide")
"""``--size``: each chart at its own size (growing with the items), or a 16:9 slide."""
Size = Literal["default", "slide"]
SLIDE_ROWS = 8
"""Items (or indicators) shown on a slide-sized chart; the rest are one row."""
SLIDE_STEPS = 14
"""At most this many step labels under the slide timeline (every k-th step labelled)."""
ID_CHARS = 28
"""Ids and labels on a slide are cut to this many characters."""


def _slide(result: xr.DataTree, title: str) -> tuple[Figure, Axes]:
    """Return a 16:9 figure with one axes, ``title`` on top and the run's footer below."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=SLIDE_INCHES, layout="constrained")
    plt.close(fig)
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)
    engine.set(rect=(0.0, 0.06, 1.0, 0.94))  # room for the footer
    text = wrap_text(plain(title), TITLE_POINTS, SLIDE_INCHES[0] - 0.6, weight="bold")
    fig.suptitle(text, fontsize=TITLE_POINTS, fontweight="bold", color=INK, x=0.02, ha="left")
    a = result.attrs
    footer = (
        f"{as_of(result)}  ·  scenario {str(a.get('scenario_hash', ''))[:8]}  ·  "
        f"seed {a.get('seed', '?')}  ·  {a.get('draws', '?')} draws"
    )
    fig.text(0.015, 0.015, footer, fontsize=MIN_POINTS, color=MUTED, ha="left", va="bottom")
    ax = fig.add_subplot()
    style_axes(ax)
    ax.tick_params(labelsize=TICK_POINTS)
    return fig, ax


def _legend(
    ax: Axes, handles: list, *, loc: Literal["upper left", "outside"] = "upper left"
) -> None:
    """A legend in the axes' upper left corner, or below the axes (outside the data)."""
    if loc == "outside":  # below the x label; the constrained layout makes room for it
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16),
                  ncols=len(handles), fontsize=MIN_POINTS, frameon=False)  # fmt: skip
        return
    ax.legend(handles=handles, loc=loc, fontsize=MIN_POINTS, frameon=False)


def slide_timeline(result: xr.DataTree) -> Figure:
    """Return P(outcome) after each evidence item with its judgement band, slide-sized.

    Examples
    --------
    >>> slide_timeline(result).savefig("timeline.png")  # doctest: +SKIP
    """
    names = display_names(result)
    t = dataset(result, TRAJECTORY)
    p = 100 * t["p_outcome"].to_numpy().astype(float)
    lo = 100 * t["p_outcome_low"].to_numpy().astype(float)
    hi = 100 * t["p_outcome_high"].to_numpy().astype(float)
    fig, ax = _slide(result, f"{names.probability()} after each evidence item")
    x = np.arange(p.size)
    band = band_label(result)
    ax.fill_between(x, lo, hi, color=BAND_COLOUR, alpha=0.45, linewidth=0, hatch="..")
    many = p.size > 60
    ax.plot(x, p, color=DOWN, linewidth=3, marker="none" if many else "o", markersize=7)
    ax.annotate(
        f"{pct(p[-1] / 100)}\n{band} band {pct(lo[-1] / 100, 0)}–{pct(hi[-1] / 100, 0)}",
        (x[-1], p[-1]),
        xytext=(12, 0),
        textcoords="offset points",
        fontsize=LABEL_POINTS,
        color=INK,
        va="center",
        fontweight="bold",
    )
    ax.set_xlim(-0.5, x[-1] + max(2.5, 0.22 * x[-1]))
    ax.set_ylim(max(0.0, np.nanmin(lo) - 5), min(100.0, np.nanmax(hi) + 5))
    ax.yaxis.set_major_formatter(lambda v, _: pct(v, 0, scale=1))
    ids = ["prior", *(str(e) for e in t["evidence_id"].to_numpy()[1:])]
    every = max(1, -(-len(ids) // SLIDE_STEPS))
    shown = list(range(0, len(ids), every))
    ax.set_xticks(shown, [shorten(ids[k], 22) for k in shown], rotation=30, ha="right")
    ax.set_xlabel("evidence item, in update order", fontsize=LABEL_POINTS, color=INK)
    ax.set_ylabel(names.probability(), fontsize=LABEL_POINTS, color=INK)
    _legend(
        ax,
        [
            Line2D([], [], color=DOWN, lw=3, marker="o", label=names.probability()),
            Patch(facecolor=BAND_COLOUR, alpha=0.45, hatch="..", label=f"{band} judgement band"),
        ],
    )
    return fig


def slide_impact(result: xr.DataTree, table: pd.DataFrame | None = None) -> Figure:
    """Return what moved P(outcome): the items that matter most, in percentage points.

    Each item's Shapley value (its average contribution over every order of arrival) when
    the run attributed the answer, else its move at its step; the items left out as one row.

    Examples
    --------
    >>> slide_impact(result).savefig("impact.png")  # doctest: +SKIP
    """
    table = impact_table(result) if table is None else table
    names = display_names(result)
    p0, p1 = float(table.attrs["p_prior"]), float(table.attrs["p_final"])
    fig, ax = _slide(
        result, f"What moved {names.probability()}: {pct(p0)} → {pct(p1)} ({points(p1 - p0)})"
    )
    shapley = "shapley" in table.columns
    value = table["shapley"] if shapley else table["change_pp"] / 100
    order, _ = most_important(table)
    top = order[:SLIDE_ROWS]
    rest = len(table) - len(top)
    labels = [shorten(str(table.index[k]), ID_CHARS) for k in top]
    moves = [100 * float(value.iloc[k]) for k in top]
    if rest:
        labels.append(others_label(rest))
        moves.append(100 * float(value.to_numpy(dtype=float).sum()) - sum(moves))
    y = np.arange(len(labels))
    colours = [UP if m > 0 else DOWN for m in moves]
    hatches = ["//" if m > 0 else "" for m in moves]
    ax.barh(y, moves, color=colours, hatch=hatches, edgecolor="white", height=0.65)
    for k, m in enumerate(moves):
        ax.text(m, k, f" {points(m / 100, 1, sign=True)} ", va="center",
                ha="left" if m >= 0 else "right", fontsize=MIN_POINTS, color=INK)  # fmt: skip
    ax.set_yticks(y, labels, fontsize=TICK_POINTS)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.axvline(0, color=INK, linewidth=1)
    span = max((abs(m) for m in moves), default=0.0) or 1.0
    low, high = min(0.0, *moves), max(0.0, *moves)
    # room for the value labels beside the bars
    ax.set_xlim(low - (0.45 if low < 0 else 0.05) * span, high + 0.45 * span)
    what = "share of the move (Shapley value)" if shapley else "move at its step"
    ax.set_xlabel(f"{what}, percentage points", fontsize=LABEL_POINTS, color=INK)
    style_axes(ax, grid="x")
    ax.tick_params(labelsize=TICK_POINTS)
    _legend(
        ax,
        [
            Patch(
                facecolor=UP, hatch="//", edgecolor="white", label=f"raised {names.probability()}"
            ),
            Patch(facecolor=DOWN, label=f"lowered {names.probability()}"),
        ],
        loc="outside",
    )
    return fig


def slide_watch(result: xr.DataTree, table: pd.DataFrame) -> Figure:
    """Return what to watch: where P(outcome) goes if each indicator is seen, or not.

    Examples
    --------
    >>> slide_watch(result, forecast.watch(result, "indicators")).savefig("w.png")  # doctest: +SKIP
    """
    names = display_names(result)
    o = str(table.attrs["outcome"])
    shown = table.head(SLIDE_ROWS)
    now = 100 * float(table.attrs["p_outcome"])
    fig, ax = _slide(result, f"What would move {names.probability()} (now {pct(now / 100)})")
    y = np.arange(len(shown))
    seen = 100 * shown[f"p_{o}_if_seen"].to_numpy().astype(float)
    nots = 100 * shown[f"p_{o}_if_not_seen"].to_numpy().astype(float)
    for k in range(len(shown)):
        ax.plot([seen[k], nots[k]], [k, k], color="#999999", lw=2, zorder=2)
    ax.scatter(seen, y, s=160, color=INK, marker="o", zorder=4, label="if seen")
    ax.scatter(nots, y, s=160, facecolor="white", edgecolor=INK, linewidth=2, marker="o",
               zorder=4, label="if not seen by its date")  # fmt: skip
    ax.axvline(now, color=DOWN, linewidth=2, linestyle="--", label=f"now {pct(now / 100)}")
    labels = [
        f"{shorten(str(r.indicator_id), ID_CHARS)} (shift {points(r.expected_shift)})"
        for r in shown.itertuples()
    ]
    ax.set_yticks(y, labels, fontsize=TICK_POINTS)
    ax.set_ylim(len(shown) - 0.4, -0.6)
    ax.xaxis.set_major_formatter(lambda v, _: pct(v, 0, scale=1))
    ax.set_xlabel(f"{names.probability()} after the observation", fontsize=LABEL_POINTS)
    style_axes(ax, grid="x")
    ax.tick_params(labelsize=TICK_POINTS)
    ax.legend(loc="lower right", fontsize=MIN_POINTS, frameon=False)
    return fig


def slide_distribution(result: xr.DataTree) -> Figure:
    """Return the band's draws of the final P(outcome), with the estimate and the band.

    Examples
    --------
    >>> slide_distribution(result).savefig("distribution.png")  # doctest: +SKIP
    """
    names = display_names(result)
    p, lo, hi = final_band(result)
    band = band_label(result)
    fig, ax = _slide(result, f"How sure: where {names.probability()} could be")
    draws = dataset(result, POSTERIOR)["p_outcome"].isel(step=-1).to_numpy().astype(float)
    ax.hist(100 * draws.ravel(), bins=40, color=BAND_COLOUR, edgecolor="white", alpha=0.8)
    ax.axvline(100 * p, color=INK, linewidth=3, label=f"{names.probability()} = {pct(p)}")
    for edge in (lo, hi):
        ax.axvline(100 * edge, color=INK, linewidth=2, linestyle="--")
    ax.plot([], [], color=INK, lw=2, ls="--", label=f"{band} band {pct(lo, 0)}–{pct(hi, 0)}")
    ax.xaxis.set_major_formatter(lambda v, _: pct(v, 0, scale=1))
    ax.set_yticks([])
    ax.set_xlabel(
        f"{names.probability()} if the judgements were pinned down", fontsize=LABEL_POINTS
    )
    ax.legend(loc="upper right", fontsize=MIN_POINTS, frameon=False)
    return fig


def slide_by_date(result: xr.DataTree, frame: pd.DataFrame) -> Figure:
    """Return P(outcome by each date up to the deadline) with its band, slide-sized.

    ``frame`` is :func:`forecast.time_result.by_date_frame` (a question with a deadline).

    Examples
    --------
    >>> slide_by_date(result, by_date_frame(result)).savefig("by_date.png")  # doctest: +SKIP
    """
    names = display_names(result)
    o = str(result.attrs["outcome"])
    dates = pd.to_datetime(frame["date"])
    p = 100 * frame[f"p_{o}_by"].to_numpy().astype(float)
    lo = 100 * frame[f"p_{o}_by_low"].to_numpy().astype(float)
    hi = 100 * frame[f"p_{o}_by_high"].to_numpy().astype(float)
    fig, ax = _slide(result, f"{names.probability()} by each date up to the deadline")
    band = band_label(result)
    ax.fill_between(dates, lo, hi, color=BAND_COLOUR, alpha=0.45, linewidth=0, hatch="..")
    ax.plot(dates, p, color=DOWN, linewidth=3)
    ax.annotate(
        f"{pct(p[-1] / 100)} by {dates.iloc[-1]:%d %b %Y}".replace(" 0", " "),
        (dates.iloc[-1], p[-1]), xytext=(-12, 14), textcoords="offset points",
        fontsize=LABEL_POINTS, color=INK, ha="right", fontweight="bold",
    )  # fmt: skip
    ax.set_ylim(0, min(100.0, float(np.nanmax(hi)) + 8))
    ax.yaxis.set_major_formatter(lambda v, _: pct(v, 0, scale=1))
    ax.set_ylabel(f"{names.probability()} by the date", fontsize=LABEL_POINTS, color=INK)
    fig.autofmt_xdate(rotation=30)
    _legend(
        ax,
        [
            Line2D([], [], color=DOWN, lw=3, label=f"{names.probability()} by the date"),
            Patch(facecolor=BAND_COLOUR, alpha=0.45, hatch="..", label=f"{band} judgement band"),
        ],
    )
    return fig


def slide_figures(result: xr.DataTree) -> dict[str, Callable[[], Figure]]:
    """Return a function drawing each slide-sized chart, by name (the files' names).

    ``timeline``, ``impact``, ``distribution``, ``watch`` when the run ranked indicators, and
    ``by_date`` when the question has a deadline.
    """
    builders: dict[str, Callable[[], Figure]] = {
        "timeline": lambda: slide_timeline(result),
        "impact": lambda: slide_impact(result),
        "distribution": lambda: slide_distribution(result),
    }
    if has_node(result, WATCH):
        from ..indicators import watch_frame

        table = watch_frame(dataset(result, WATCH))
        if len(table):
            builders["watch"] = lambda: slide_watch(result, table)
    from ..time_result import by_date_frame

    by_date = by_date_frame(result)
    if by_date is not None and len(by_date):
        builders["by_date"] = lambda: slide_by_date(result, by_date)
    return builders
