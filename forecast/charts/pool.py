"""Charts of a pool of analysts: their trajectories with the pooled answer, and the disagreement.

:func:`plot_pool` draws each analyst's P(outcome) on a date axis, the pooled answer (the
headline pool of their standing forecasts on every date) and its band at the as-of day;
:func:`plot_disagreement` the shared items ranked by swing, each analyst's reading marked.
Both stay readable with 2,000 items and dozens of analysts: at most :data:`COLOURED`
analysts in colour (the others grey and counted), and the :data:`TOP_N` items of largest
swing (the rest summarised in one line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..labels import pct, pct_range, pp, shorten
from ..result_schema import TRAJECTORY, dataset
from .style import (
    BAND_COLOUR,
    FOOTER_SIZE,
    INK,
    LABEL_SIZE,
    MUTED,
    OKABE_ITO,
    ROW_HEIGHT,
    SMALL_SIZE,
    TITLE_SIZE,
    TOP_N,
    bottom_legend,
    empty_panel,
    new_figure,
    percent_axis,
    percent_limits,
    plain,
    style_axes,
    subtitle,
    wrap_text,
)

if TYPE_CHECKING:
    from ..pooling import Pool

__all__ = ["COLOURED", "plot_disagreement", "plot_pool", "standing"]

ANALYST_COLOURS = [
    OKABE_ITO[k] for k in ("blue", "vermillion", "green", "purple", "orange", "sky_blue", "yellow")
]
"""The Okabe-Ito colours without black (the pooled answer is black)."""
COLOURED = len(ANALYST_COLOURS)
"""At most this many analysts get a colour and a legend entry; the others are grey."""


def _legend_rows(n: int, ncols: int) -> int:
    """Rows of a legend of ``n`` analysts (at most COLOURED and one for the rest) and one more."""
    return -(-(min(n, COLOURED) + (n > COLOURED) + 1) // ncols)


def _decorate(fig: Figure, p: Pool, notes: list[str]) -> None:
    """The question as the title and a footer naming the team, the day and the draws."""
    width = fig.get_figwidth() - 0.5
    question = plain(p.team.analysts[0].scenario.question)
    fig.suptitle(
        wrap_text(question, TITLE_SIZE, width, weight="bold"),
        fontsize=TITLE_SIZE,
        fontweight="bold",
        color=INK,
    )
    attrs = p.results[0].attrs
    footer = (
        f"pool of {len(p.team.analysts)} analysts  ·  as of {p.team.as_of}  ·  "
        f"seed {attrs.get('seed', '?')}, {attrs.get('draws', '?')} draws each"
    )
    lines = [*(wrap_text(plain(n), FOOTER_SIZE, width) for n in notes), footer]
    fig.text(0.01, 0.06 / fig.get_figheight(), "\n".join(lines), fontsize=FOOTER_SIZE,
             color=MUTED, ha="left", va="bottom", linespacing=1.4)  # fmt: skip


def _series(result, opened) -> pd.Series:
    """An analyst's P(outcome) by date, the last step of each day.

    The prior is dated ``opened`` (or the day before the first item).
    """
    t = dataset(result, TRAJECTORY)
    dates = pd.DatetimeIndex(pd.to_datetime(t["date"].values))
    p = np.asarray(t["p_outcome"].values, dtype=float)
    known = dates[~dates.isna()]
    if len(dates) and pd.isna(dates[0]):
        start = pd.Timestamp(opened) if opened is not None else None
        if start is None or (len(known) and start > known.min()):
            start = (
                known.min() if len(known) else pd.Timestamp.today().normalize()
            ) - pd.Timedelta(days=1)
        dates = pd.DatetimeIndex([start, *dates[1:]])
    s = pd.Series(p, index=dates)
    return s[~s.index.isna()].groupby(level=0).last()


def standing(p: Pool) -> pd.DataFrame:
    """Each analyst's standing P(outcome) on every date any of them moved (dates x analysts).

    Before an analyst's first date, their earliest value (their prior). The last row, the
    day after the as-of day, repeats the as-of values (so that the last day shows as a step).

    Examples
    --------
    >>> standing(team_pool).iloc[-1]  # doctest: +SKIP
    """
    series = {
        a.name: _series(r, a.scenario.priors.opened)
        for a, r in zip(p.team.analysts, p.results, strict=True)
    }
    frame = pd.DataFrame(series).sort_index().ffill().bfill()
    end = pd.Timestamp(p.team.as_of) + pd.Timedelta(days=1)
    if frame.index[-1] < end:
        frame.loc[end] = frame.iloc[-1]
    return frame


def plot_pool(p: Pool) -> Figure:
    """Return each analyst's trajectory on a date axis with the pooled answer and its band.

    Parameters
    ----------
    p : Pool
        From :func:`forecast.pool`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plot_pool(pool(["alice", "bob"])).savefig("pool.png")  # doctest: +SKIP
    """
    from ..pooling import pool_values

    o = p.team.outcome
    frame = standing(p)
    pooled = pool_values(frame.to_numpy().T, p.weights, method=p.method, d=p.d) * 100
    n = len(p.team.names)
    fig = new_figure(10.0, 5.8, footer_lines=1, legend_rows=_legend_rows(n, 5))
    ax = fig.add_subplot()
    style_axes(ax, grid="y")
    order = np.argsort(-p.weights, kind="stable")  # the heaviest analysts in colour
    for rank, j in enumerate(order):
        name = p.team.names[j]
        colour = ANALYST_COLOURS[rank] if rank < COLOURED else "#bbbbbb"
        ax.plot(frame.index, frame[name] * 100, drawstyle="steps-post", color=colour,
                linewidth=(1.4 if len(frame) <= 200 else 0.9) if rank < COLOURED else 0.7,
                zorder=2)  # fmt: skip
    ax.plot(frame.index, pooled, drawstyle="steps-post", color=INK, linewidth=2.0,
            linestyle=(0, (4, 2)), zorder=3)  # fmt: skip
    row = p.table[p.table["analyst"] == f"pooled:{p.method}"].iloc[0]
    low, high, value = row[f"p_{o}_low"] * 100, row[f"p_{o}_high"] * 100, row[f"p_{o}"] * 100
    end = frame.index[-1]  # the end of the as-of day
    if np.isfinite(low):
        ax.errorbar([end], [value], yerr=[[max(value - low, 0.0)], [max(high - value, 0.0)]], fmt="o", color=INK,
                    ecolor=BAND_COLOUR, elinewidth=6, capsize=0, zorder=4)  # fmt: skip
        ax.annotate(f"{pct(value, 1, scale=1)} ({pct_range(low, high, sep='-', scale=1)})", (end, value), xytext=(10, 0),
                    textcoords="offset points", va="center", fontsize=LABEL_SIZE, color=INK)  # fmt: skip
    values = np.concatenate([frame.to_numpy().ravel() * 100, [low, high, value]])
    ax.set_ylim(*percent_limits(values[np.isfinite(values)]))
    percent_axis(ax.yaxis)
    ax.set_ylabel(f"P({o})", fontsize=LABEL_SIZE)
    ax.margins(x=0.12)
    locator = AutoDateLocator(minticks=2, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    subtitle(
        ax,
        f"Each analyst's P({o}) as their evidence arrived, and the {p.method} pool of their "
        f"forecasts (black) with its judgement band as of {p.team.as_of}",
        9.0,
    )
    handles = [
        Line2D(
            [],
            [],
            color=ANALYST_COLOURS[r],
            linewidth=1.4,
            label=plain(shorten(p.team.names[j], 24)),
        )  # fmt: skip
        for r, j in enumerate(order[:COLOURED])
    ]
    if n > COLOURED:
        handles.append(Line2D([], [], color="#bbbbbb", label=f"+ {n - COLOURED:,} other analysts"))
    handles.append(Line2D([], [], color=INK, linewidth=2.0, linestyle=(0, (4, 2)),
                          label=f"pooled ({p.method})"))  # fmt: skip
    bottom_legend(fig, handles, ncols=5)
    _decorate(fig, p, [])
    return fig


def plot_disagreement(p: Pool, *, top: int = TOP_N) -> Figure:
    """Return the shared items ranked by swing, each analyst's reading of it marked.

    Each row: the consensus P(outcome) recomputed with the item read as each analyst read it
    (a dot per analyst, the line from the smallest to the largest), the consensus as a dashed
    line. The ``top`` items of largest swing; the rest summarised in the footer.

    Examples
    --------
    >>> plot_disagreement(pool(["alice", "bob"])).savefig("disagreement.png")  # doctest: +SKIP
    """
    c = p.consensus
    o = p.team.outcome
    table = c.disagreement if c is not None else pd.DataFrame()
    shown = table.head(top)
    rows = max(len(shown), 1)
    n = len(p.team.names)
    fig = new_figure(
        10.0, 2.4 + ROW_HEIGHT * 1.3 * rows, footer_lines=2, legend_rows=_legend_rows(n, 6)
    )
    ax = fig.add_subplot()
    if c is None or not len(shown):
        empty_panel(ax, "No item was written by more than one analyst: nothing to compare.")
        _decorate(fig, p, [])
        return fig
    style_axes(ax, grid="x")
    names = p.team.names
    order = np.argsort(-p.weights, kind="stable")
    colour = {names[j]: ANALYST_COLOURS[r] if r < COLOURED else "#999999"
              for r, j in enumerate(order)}  # fmt: skip
    shared = {s.id: s for s in c.shared}
    y = np.arange(len(shown))[::-1]
    for yi, (_, row) in zip(y, shown.iterrows(), strict=True):
        item = shared[row["evidence_id"]]
        values = c.by_item[item.id] * 100
        ax.plot([values.min(), values.max()], [yi, yi], color="#cccccc", linewidth=3, zorder=1)
        ax.scatter(values, np.full(len(values), yi), s=36, zorder=3,
                   c=[colour[a] for a in item.analysts], edgecolors="white", linewidths=0.6)  # fmt: skip
        ax.annotate(f"{pp(row['swing'])} pts", (1.0, yi), xycoords=("axes fraction", "data"),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=SMALL_SIZE,
                    color=MUTED)  # fmt: skip
    ax.axvline(c.p_point * 100, color=INK, linestyle="--", linewidth=1.0, zorder=2)
    ax.set_yticks(y, [plain(shorten(i, 40)) for i in shown["evidence_id"]], fontsize=SMALL_SIZE)
    ax.set_ylim(-0.7, len(shown) - 0.3)
    every = np.concatenate([c.by_item[i] * 100 for i in shown["evidence_id"]] + [[c.p_point * 100]])
    ax.set_xlim(*percent_limits(every, pad=2.0))
    percent_axis(ax.xaxis)
    ax.set_xlabel(
        f"consensus P({o}) with the item read as each analyst read it", fontsize=LABEL_SIZE
    )
    subtitle(
        ax,
        f"The shared items whose reading moves the consensus most (swing, right); consensus "
        f"P({o}) {pct(c.p_point)} dashed",
        6.5,
    )
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=colour[names[j]],
            label=plain(shorten(names[j], 24)),
        )  # fmt: skip
        for j in order[:COLOURED]
    ]
    if len(names) > COLOURED:
        handles.append(Line2D([], [], marker="o", linestyle="", color="#999999",
                              label=f"+ {len(names) - COLOURED:,} other analysts"))  # fmt: skip
    bottom_legend(fig, handles, ncols=6, footer_lines=2)
    rest = len(table) - len(shown)
    notes = []
    if rest > 0:
        most = pp(table["swing"].iloc[len(shown)], 2)
        notes.append(
            f"and {rest:,} more shared items, each with a swing of at most {most} points "
            "(all in disagreement.csv)"
        )
    _decorate(fig, p, notes)
    return fig
