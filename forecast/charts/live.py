"""The live timeline of the what-if panel: lines and band updated in place, drawn by blitting.

The same probability-after-each-item chart as :func:`forecast.charts.timeline.plot_timeline`,
in the charts package's style (:func:`forecast.charts.style.series_style`), built for an
interactive canvas: every line is an animated artist whose data :meth:`LiveTimeline.set_data`
replaces, so that the panel redraws only the data over a saved background.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..constants import LIST_ALL
from ..labels import display_names
from ..result_schema import band_label
from .style import series_style

__all__ = ["LiveTimeline"]


class LiveTimeline:
    """The panel's timeline on ``fig``: P(outcome), its band, the hypotheses, "as written".

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The panel's figure (one axes is added).
    base : Scenario
        The scenario as written: its question, hypotheses and number of items.

    Attributes
    ----------
    traces : dict
        ``"outcome"``, ``"as written"`` (lines), ``"hypotheses"`` (a line per hypothesis, by
        name) and ``"band"`` (the filled band, or None).

    Examples
    --------
    >>> live = LiveTimeline(Figure(), scenario)  # doctest: +SKIP
    >>> live.set_data({"p_outcome": p, "p_hypothesis": p_h}, as_written=True)  # doctest: +SKIP
    """

    def __init__(self, fig: Figure, base: Any) -> None:
        ax = fig.add_axes((0.1, 0.13, 0.87, 0.77))
        n, names = len(base.ids), display_names(base)
        marker: dict[str, Any] = {"marker": "o", "markersize": 3} if n <= LIST_ALL else {}
        hyp = {
            h: ax.plot(
                [],
                [],
                lw=1,
                alpha=0.6,
                **series_style(j),
                markersize=3,
                label=f"P({names.hypothesis(h)})",
            )[0]  # fmt: skip
            for j, h in enumerate(base.hypotheses)
        }
        written = ax.plot([], [], color="0.45", ls="--", lw=1.2, label="as written")[0]
        outcome = ax.plot([], [], color="black", lw=2, label=f"P({names.outcome})", **marker)[0]
        self.traces: dict[str, Any] = {
            "hypotheses": hyp, "as written": written, "outcome": outcome, "band": None,
        }  # fmt: skip
        for line in [*hyp.values(), written, outcome]:
            line.set_animated(True)  # drawn over a saved background (blitting), not by draw()
        ax.set_ylim(0, 1)
        ax.set_xlim(0, max(n, 1))
        ax.set_ylabel("probability")
        ax.set_xlabel("evidence items applied (date order); 0 = the prior")
        ax.grid(alpha=0.3)
        band = Patch(color="black", alpha=0.15, lw=0, label=f"{band_label()} band")
        ax.legend(
            handles=[outcome, band, written, *hyp.values()],
            loc="upper left", fontsize=7, ncols=2, framealpha=0.8,
        )  # fmt: skip
        title = base.question if len(base.question) <= 70 else base.question[:69] + "…"
        ax.set_title(title, fontsize=9, loc="left")
        self.ax = ax

    def set_data(self, live: dict[str, np.ndarray], *, as_written: bool) -> tuple[float, float]:
        """Replace the lines' data with ``live``'s (and the band, when it has one).

        ``as_written``: the dashed "as written" line takes this trajectory too. Returns the x
        limits the data needs (the caller sets them: a change means a full redraw).
        """
        x = np.arange(live["p_outcome"].size)
        t = self.traces
        t["outcome"].set_data(x, live["p_outcome"])
        for j, line in enumerate(t["hypotheses"].values()):
            line.set_data(x, live["p_hypothesis"][:, j])
        if t["band"] is not None:
            t["band"].remove()
            t["band"] = None
        if "p_outcome_low" in live:
            t["band"] = self.ax.fill_between(
                x, live["p_outcome_low"], live["p_outcome_high"],
                color="black", alpha=0.15, lw=0, label=f"{band_label()} band", animated=True,
            )  # fmt: skip
        if as_written:
            t["as written"].set_data(x, live["p_outcome"])
        return (0, max(x[-1], 1))

    def draw_traces(self) -> None:
        """Draw the animated artists (over a restored background)."""
        t = self.traces
        for artist in [t["band"], *t["hypotheses"].values(), t["as written"], t["outcome"]]:
            if artist is not None:
                self.ax.draw_artist(artist)
