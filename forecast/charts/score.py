"""Charts of a track record.

The ``score`` chart of one resolved question and the ``calibration`` chart (reliability diagram)
across questions. They draw; the numbers come from :mod:`forecast.scoring`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..labels import pct
from ..scoring import Calibration, Scored
from .export import write_figure
from .style import INK, LABEL_SIZE, MUTED, OKABE_ITO, SMALL_SIZE, TICK_SIZE, TITLE_SIZE, root_figure

__all__ = ["plot_calibration", "save_chart", "plot_score"]

LINE = OKABE_ITO["blue"]
RESOLVED = OKABE_ITO["vermillion"]


def _steps(days: np.ndarray, daily: np.ndarray, end: np.datetime64) -> tuple:
    """The days on which ``daily`` changes (and ``end``) with its values: a step line's points."""
    change = np.flatnonzero(np.r_[True, daily[1:] != daily[:-1]])
    return np.append(days[change], end), np.append(daily[change], daily[-1])


def plot_score(scored: Scored) -> Figure:
    """Return the forecast standing at the end of each day, and the daily Brier score under it.

    The resolution is marked. Two panels in a figure of its own: it takes no ``ax``.

    Parameters
    ----------
    scored : Scored
        One resolved scenario (:func:`forecast.scoring.score_scenario`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plot_score(forecast.score(".").attrs["scored"][0]).savefig("score.png")  # doctest: +SKIP
    """
    fig = Figure(figsize=(8.0, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    resolution = scored.scenario.priors.resolution
    assert resolution is not None, "a scored scenario is resolved"
    end = np.datetime64(resolution.date, "D")  # datetime64[D]: years 0001-9999
    # the forecast holds from the start of each day to the end of it: a step line, drawn
    # through the days it changes only (one artist, whatever the number of days)
    x, y = _steps(scored.days, scored.daily_p, end)
    pad = max((end - x[0]) // 40, np.timedelta64(1, "D"))  # a margin within years 0001-9999
    low, high = np.datetime64("0001-01-02"), np.datetime64("9999-12-30")
    top.set_xlim(max(x[0] - pad, low) if x[0] - low > pad else low, min(end + pad, high))
    o = float(scored.happened)
    outcome = scored.scenario.outcome
    top.step(
        x, y * 100, where="post", color=LINE, lw=2, label=f"P({outcome}) at the end of the day"
    )
    top.axvline(end, color=RESOLVED, lw=1.5, ls="--")
    what = "happened" if scored.happened else "did not happen"
    top.annotate(
        f"resolved {resolution.date:%d %b %Y}: {outcome} {what}",
        (end, o * 100),
        xytext=(-6, -14 if o else 6),
        textcoords="offset points",
        ha="right",
        color=RESOLVED,
        fontsize=SMALL_SIZE,
    )
    top.plot([end], [o * 100], "o", color=RESOLVED, ms=7)
    top.set_ylim(-3, 103)
    top.set_ylabel(f"P({outcome}) (%)", fontsize=LABEL_SIZE, color=INK)
    row = scored.row
    top.set_title(
        f"How the forecast fared: final {pct(row['final_p'])}, Brier {row['brier']:.3f}, "
        f"log score {row['log_score']:.3f}",
        fontsize=TITLE_SIZE,
        color=INK,
        loc="left",
    )
    top.legend(loc="upper left", fontsize=SMALL_SIZE, frameon=False)
    bottom.fill_between(x, (y - o) ** 2, step="post", color=MUTED, lw=0)
    bottom.axhline(
        row["time_avg_brier"], color=INK, lw=1, ls=":", label=f"mean {row['time_avg_brier']:.3f}"
    )
    bottom.set_ylim(0, 1)
    bottom.set_ylabel("daily Brier\n(lower is better)", fontsize=LABEL_SIZE, color=INK)
    bottom.legend(loc="upper left", fontsize=SMALL_SIZE, frameon=False)
    for ax in (top, bottom):
        ax.tick_params(labelsize=TICK_SIZE)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#dddddd", lw=0.6)
    fig.autofmt_xdate()
    return fig


def plot_calibration(cal: Calibration, *, ax: Axes | None = None) -> Figure:
    """Reliability diagram: the observed rate of each bin of forecasts against its mean forecast.

    The rate with its Wilson 90% interval, the count shown per bin, CORP in the title.

    Parameters
    ----------
    cal : Calibration
        From :func:`forecast.calibration`.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes and return its figure. By default a new figure is made.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plot_calibration(forecast.calibration(scores)).savefig("calibration.png")  # doctest: +SKIP
    >>> fig, (left, right) = plt.subplots(1, 2, layout="constrained")  # doctest: +SKIP
    >>> plot_calibration(cal, ax=right)  # doctest: +SKIP
    """
    if ax is None:
        ax = Figure(figsize=(6.4, 6.4), layout="constrained").subplots()
    fig = root_figure(ax)
    t = cal.table
    ax.plot([0, 100], [0, 100], color=MUTED, lw=1, ls="--", label="perfect calibration")
    full = t[t["n"] > 0]
    ax.errorbar(
        full["mean_forecast"] * 100,
        full["observed_rate"] * 100,
        yerr=np.clip(  # Wilson's ends can miss a rate of 0 or 1 by rounding (1e-17)
            [
                (full["observed_rate"] - full["lo90"]) * 100,
                (full["hi90"] - full["observed_rate"]) * 100,
            ],
            0,
            None,
        ),
        fmt="o",
        color=LINE,
        ecolor=LINE,
        capsize=3,
        label="observed rate (90% Wilson interval)",
    )
    for _, r in t.iterrows():
        ax.text(
            (r["bin_lo"] + r["bin_hi"]) * 50,
            1.5,
            f"n={int(r['n'])}",
            ha="center",
            fontsize=SMALL_SIZE,
            color=INK if r["n"] else MUTED,
        )
    for edge in range(10, 100, 10):
        ax.axvline(edge, color="#eeeeee", lw=0.6, zorder=0)
    s = cal.summary.iloc[0]
    ax.set_title(
        f"Calibration of {int(s['n'])} resolved questions\nBrier {s['mean_brier']:.3f} = "
        f"MCB {s['mcb']:.3f} - DSC {s['dsc']:.3f} + UNC {s['unc']:.3f}",
        fontsize=TITLE_SIZE,
        color=INK,
        loc="left",
    )
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("forecast (final P, %)", fontsize=LABEL_SIZE)
    ax.set_ylabel("how often it happened (%)", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", fontsize=SMALL_SIZE, frameon=False)
    return fig


def save_chart(fig: Figure, out, name: str, *, dpi: int = 200) -> list:
    """Write ``fig`` as ``<out>/<name>.png`` (``dpi``) and ``.svg``, atomically.

    :func:`forecast.charts.export.write_figure`: the SVG keeps text as text and has no
    timestamp, the PNG is at most :data:`~forecast.charts.style.MAX_PIXELS` a side.

    Returns the paths.
    """
    return write_figure(fig, out, name, formats=("png", "svg"), dpi=dpi)
