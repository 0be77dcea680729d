"""The impact chart: each item's leave-one-out change, and its Shapley value.

The Shapley value when the result holds an attribution: a ranked bar chart, else a waterfall.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..analysis import attribution_of, impact_table, most_important
from ..labels import as_of, display_names, others_label, pct, shorten, signed
from .style import (
    DOWN,
    FOOTER_SIZE,
    GROUP_HATCH,
    INK,
    LABEL_SIZE,
    MUTED,
    OKABE_ITO,
    RELIABILITY_HATCH,
    ROW_HEIGHT,
    SMALL_SIZE,
    TICK_SIZE,
    UP,
    bottom_legend,
    column_text,
    decorate,
    empty_panel,
    legend_height,
    new_figure,
    percent_axis,
    percent_limits,
    signed_axis,
    style_axes,
    subtitle,
    text_width,
    wrap_text,
)


def _given(table: pd.DataFrame) -> str:
    """`` (the prior given no <outcome> by <day>)`` when the days passed are in the prior."""
    given = table.attrs.get("prior_given", "")
    return f" (the prior {given})" if given else ""


def _label(table: pd.DataFrame, item: str) -> str:
    """The item's row label: its id, shortened; ``(retracted)`` after a retracted item's."""
    return shorten(item) + (" (retracted)" if item in table.attrs.get("retracted", {}) else "")


def _retracted_notes(table: pd.DataFrame) -> list[str]:
    """The footer line naming the items retracted by the as-of day (no share), with reasons."""
    from ..time_result import retracted_label

    gone = table.attrs.get("retracted", {})
    if not gone:
        return []
    listed = [f"{shorten(i)} {retracted_label(d, r)}" for i, (d, r) in list(gone.items())[:6]]
    more = f"; and {len(gone) - 6:,} more (attribution.csv)" if len(gone) > 6 else ""
    return [
        "Retracted items count as never seen from their retraction on, so they have no "
        f"share: {'; '.join(listed)}{more}."
    ]


def plot_impact(result: xr.DataTree) -> Figure:
    r"""Each item's impact: a waterfall in update order, and leave-one-out beside it.

    Two panels in a figure of its own: it takes no ``ax``.

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
        ``///`` a source reliability below 1, ``\\\`` a final weight below 1 from a
        dependence group. Right: the final probability with each item left out, sorted,
        against the final probability with every item (the vertical line).

    See Also
    --------
    impact_table : the numbers drawn.

    Examples
    --------
    >>> plot_impact(result).savefig("impact.png", dpi=200)  # doctest: +SKIP
    """
    return impact_figure(result, impact_table(result))


def impact_figure(result: xr.DataTree, table: pd.DataFrame) -> Figure:
    """Return the impact chart drawn from an :func:`~forecast.analysis.impact_table`.

    Ranked Shapley bars when the table has them, else the leave-one-out waterfall. Two panels
    in a figure of its own: it takes no ``ax``.
    """
    if "shapley" in table.columns and len(table):
        return _shapley_figure(result, table)
    return _waterfall_figure(result, table)


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
        Line2D([], [], color=MUTED, linestyle=":", label=f"prior {pct(prior, 1, scale=1)}"),
        Line2D([], [], color=INK, label=f"with every item {pct(final, 1, scale=1)}"),
    ]


def _loo_panel(ax, table: pd.DataFrame, rows: np.ndarray, panel_w: float, outcome: str) -> None:
    """Leave-one-out: the final probability without each item of ``rows``.

    The items at y = 0, 1, ..., against the final probability with every item.
    """
    p_wo = 100 * table["p_without"].to_numpy()[rows]
    p_all = 100 * table.attrs["p_final"]
    y = np.arange(rows.size)
    colours = [UP if v < p_all else DOWN for v in p_wo]
    ax.hlines(y, p_all, p_wo, color=colours, linewidth=2.0)
    ax.scatter(p_wo, y, s=30, c=colours, edgecolors=INK, linewidths=0.8, zorder=4)
    ax.axvline(p_all, color=INK, linewidth=1.0)
    lo, hi = percent_limits(np.concatenate([p_wo, [p_all]]), pad=1.5)
    # room for the value labels beside the dots (about 0.6 inch on either side)
    per_inch = (hi - lo) / max(panel_w - 1.2, 1.0)
    ax.set_xlim(min(lo, p_wo.min() - 0.6 * per_inch), max(hi, p_wo.max() + 0.6 * per_inch))
    for k, v in enumerate(p_wo):
        right = v >= p_all
        ax.annotate(
            pct(v, 1, scale=1),
            (v, y[k]),
            xytext=(6 if right else -6, 0),
            textcoords="offset points",
            ha="left" if right else "right",
            va="center",
            fontsize=SMALL_SIZE,
            color=INK,
        )
    percent_axis(ax.xaxis)
    ax.set_xlabel(f"final P({outcome}) without the item", fontsize=LABEL_SIZE)
    style_axes(ax, grid="x")


def _waterfall_figure(result: xr.DataTree, table: pd.DataFrame) -> Figure:
    """Without an attribution.

    Each item's move at its step (a waterfall in update order), and leave-one-out beside it.
    """
    outcome = display_names(result).outcome
    important, rest = most_important(table)
    shown = np.sort(important)  # in update order
    n = shown.size
    rows = table.iloc[shown]
    ids = [_label(table, i) for i in rows.index] + ([others_label(rest)] if rest else [])
    label_w = text_width(ids or ["prior"], TICK_SIZE)
    change_texts = [
        f"{signed(pp, 1)} pp ({signed(lo, 2)})"
        for pp, lo in zip(rows["change_pp"], rows["change_log_odds"], strict=True)
    ]
    if rest:
        together = table["change_pp"].sum() - rows["change_pp"].sum()
        change_texts.append(f"{signed(together, 1)} pp together")
    text_w = text_width(change_texts or ["x"], SMALL_SIZE, mono=True) + 0.45
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
    notes += _retracted_notes(table)
    fig = new_figure(
        width,
        height + legend_height(2) + 0.16 * len(notes),
        legend_rows=2,
        footer_lines=1 + len(notes),
    )
    w_left = panel_w + text_w
    ax_w, ax_l = fig.subplots(1, 2, width_ratios=[w_left, panel_w + 0.6])
    if n == 0:
        empty_panel(ax_w, "No evidence items: nothing moved the prior.")
        empty_panel(ax_l, "")
        decorate(fig, result)
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
    lo, hi = percent_limits(np.concatenate([before, after, [prior, final]]), pad=1.5)
    ax_w.set_xlim(lo, hi)
    for k, text in enumerate(change_texts):
        column_text(ax_w, k, text, colour=INK if k < n else MUTED)
    column_text(ax_w, -1.0, "pp (log-odds)", colour=MUTED)
    ax_w.set_yticks(np.arange(n_rows), ids, fontsize=TICK_SIZE)
    ax_w.set_ylim(n_rows - 0.5, -1.35)
    percent_axis(ax_w.xaxis)
    ax_w.set_xlabel(f"P({outcome}) before → after the item", fontsize=LABEL_SIZE)
    style_axes(ax_w, grid="x")
    subtitle(ax_w, f"How each item moved P({outcome}), {as_of(result)}", panel_w + text_w)

    order = important[np.argsort(-table["p_without"].to_numpy()[important], kind="stable")]
    _loo_panel(ax_l, table, order, panel_w, outcome)
    loo_ids = [_label(table, table.index[i]) for i in order] + (
        [others_label(rest)] if rest else []
    )
    ax_l.set_yticks(np.arange(n_rows), loo_ids, fontsize=TICK_SIZE)
    ax_l.set_ylim(n_rows - 0.5, -1.35)
    subtitle(ax_l, f"Leave one out: final P({outcome}) without each item", panel_w)
    bottom_legend(
        fig,
        _impact_handles(outcome, prior, 100 * table.attrs["p_final"]),
        ncols=3,
        footer_lines=1 + len(notes),
    )
    decorate(fig, result, notes=notes)
    return fig


def _shapley_figure(result: xr.DataTree, table: pd.DataFrame) -> Figure:
    """With an attribution: each item's Shapley value, the most important first.

    The Shapley value is its share of the move from the prior to now; the rest and the total as
    rows; leave-one-out beside.
    """
    outcome = display_names(result).outcome
    node = attribution_of(result)
    shown, rest = most_important(table)
    n = shown.size
    rows = table.iloc[shown]
    share = 100 * table["shapley"].to_numpy(dtype=float)
    mcse = 100 * table["shapley_mcse"].to_numpy(dtype=float)
    total = float(share.sum())
    prior, final = 100 * table.attrs["p_prior"], 100 * table.attrs["p_final"]
    sampled = bool(np.nanmax(mcse, initial=0.0) > 0)
    labels, bars, texts, header = _shapley_rows(table, shown, rest, sampled=sampled)
    n_rows = len(labels)
    label_w = text_width(labels, TICK_SIZE)
    text_w = text_width([*texts, header], SMALL_SIZE, mono=True) + 0.45
    panel_w = 4.2
    loo_w = 3.6
    width = max(11.0, label_w + panel_w + text_w + loo_w + 1.2)
    notes = _shapley_notes(table, outcome, node, n, rest, sampled=sampled)
    note_lines = sum(wrap_text(t, FOOTER_SIZE, width - 0.5).count("\n") + 1 for t in notes)
    height = 1.7 + ROW_HEIGHT * (max(n_rows, 2) + 0.9) + 0.75 + legend_height(2)
    height += 0.155 * note_lines
    fig = new_figure(width, height, legend_rows=2, footer_lines=1 + note_lines)
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
        column_text(ax_s, k, text, colour=INK if k < n or k == n_rows - 1 else MUTED)
    column_text(ax_s, -1.0, header, colour=MUTED)
    ax_s.set_yticks(y, labels, fontsize=TICK_SIZE)
    ax_s.get_yticklabels()[-1].set_fontweight("bold")
    ax_s.set_ylim(n_rows - 0.5, -1.35)
    signed_axis(ax_s.xaxis)
    ax_s.set_xlabel(f"share of the move in P({outcome}), percentage points", fontsize=LABEL_SIZE)
    style_axes(ax_s, grid="x")
    subtitle(
        ax_s,
        f"What moved P({outcome}) from {pct(prior, 1, scale=1)}{_given(table)} to "
        f"{pct(final, 1, scale=1)}, "
        f"{as_of(result)}: each "
        "item's share (Shapley value: its average effect over every order of arrival), largest "
        "first; the shares add up to the move. Its move at its own step can differ, even in "
        "sign: there it met only the items before it.",
        panel_w + text_w,
    )
    _loo_panel(ax_l, table, shown, loo_w, outcome)
    ax_l.tick_params(axis="y", labelleft=False, length=0)
    subtitle(ax_l, f"Leave one out: final P({outcome}) without the item", loo_w)
    handles = _impact_handles(outcome, prior, final)[:4] + [
        Patch(facecolor=INK, label=f"sum of the shares = the move, {signed(total, 1)} pp"),
        Line2D([], [], color=INK, label=f"with every item {pct(final, 1, scale=1)}"),
    ]
    bottom_legend(fig, handles, ncols=3, footer_lines=1 + note_lines)
    decorate(fig, result, notes=notes)
    return fig


def _shapley_rows(
    table: pd.DataFrame, shown: np.ndarray, rest: int, *, sampled: bool
) -> tuple[list[str], list[float], list[str], str]:
    """The rows of the Shapley panel: labels, bar lengths (pp), column texts and their header.

    One row per item in ``shown``, one for the ``rest`` summed (if any) and one for the sum.
    """
    share = 100 * table["shapley"].to_numpy(dtype=float)
    mcse = 100 * table["shapley_mcse"].to_numpy(dtype=float)
    total = float(share.sum())
    prior, final = 100 * table.attrs["p_prior"], 100 * table.attrs["p_final"]
    labels = [_label(table, i) for i in table.iloc[shown].index]

    def cell(value: float, err: float, step: float | None) -> str:
        text = f"{signed(value, 1):>6}"
        if sampled:  # twice the standard error; none for sums (their errors are correlated)
            text += f" ±{2 * err:<4.{1 if 2 * err >= 0.095 else 2}f}" if err > 0 else " " * 6
        return text + (f"  {signed(step, 1):>6}" if step is not None else "")

    texts = [
        cell(share[i], mcse[i], 100 * (table["p_after"].iloc[i] - table["p_before"].iloc[i]))
        for i in shown
    ]
    bars = list(share[shown])
    if rest:
        left_out = np.setdiff1d(np.arange(len(table)), shown)
        labels.append(others_label(rest))
        bars.append(float(share[left_out].sum()))
        texts.append(cell(bars[-1], 0.0, None))
    labels.append(f"sum: {pct(prior, 1, scale=1)} → {pct(final, 1, scale=1)}")
    bars.append(total)
    # the moves at the steps add up to the trajectory's (with a deadline, the days passed too)
    texts.append(cell(total, 0.0, 100 * (table["p_after"].iloc[-1] - table["p_before"].iloc[0])))
    header = f"{'share':>6}" + ("  ±2se" if sampled else "") + "  at step (pp)"
    return labels, bars, texts, header


def _shapley_notes(
    table: pd.DataFrame,
    outcome: str,
    node: xr.Dataset | None,
    n: int,
    rest: int,
    *,
    sampled: bool,
) -> list[str]:
    """The footer notes of the Shapley chart: what a share is, how it was sampled, what is cut."""
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
    return notes + _retracted_notes(table)
