"""The ACH matrix (analysis of competing hypotheses).

Each evidence item's log-likelihood ratio under each hypothesis, the most important items first.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from ..analysis import (
    MAX_ROWS,
    attribution_of,
    evidence_ids,
    impact_table,
    most_important,
    split_log,
)
from ..labels import as_of, display_names, format_ratio, others_label, pct, shorten, signed
from ..result_schema import EVIDENCE, TRAJECTORY, check_result, dataset, scenario_of
from .style import (
    FOOTER_SIZE,
    INK,
    MAX_INCHES,
    MUTED,
    OKABE_ITO,
    ROW_HEIGHT,
    SMALL_SIZE,
    TICK_SIZE,
    column_text,
    decorate,
    empty_panel,
    new_figure,
    plain,
    style_axes,
    subtitle,
    text_width,
    wrap_text,
)

ACH_COLOUR_CAP = 4.6
"""The ACH colour scale ends at this many log units (a ratio of about 100); larger values
saturate (their numbers are written in the cells)."""
RULED_OUT = "#3a3a3a"
"""Colour of an ACH cell whose hypothesis the item rules out (a likelihood of 0)."""


def plot_ach(result: xr.DataTree) -> Figure:
    """Analysis of competing hypotheses: evidence x hypotheses, and each item's diagnosticity.

    Two panels and a colour bar in a figure of its own: it takes no ``ax``.

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
    >>> plot_ach(result).savefig("ach.svg")  # doctest: +SKIP
    """
    check_result(result)
    if dataset(result, EVIDENCE).sizes.get("evidence", 0) > MAX_ROWS:
        return ach_figure(result, impact_table(result))
    return ach_figure(result, None)


def _ach_rows(result: xr.DataTree, table: pd.DataFrame | None):
    """Row labels and log-likelihood rows (R, H) of the ACH chart.

    Also how many items the last row combines (0: none), and each row's items (their positions
    in update order).
    """
    ids = evidence_ids(result)
    n_h = dataset(result, EVIDENCE).sizes["hypothesis"]
    values = (
        result[EVIDENCE].to_dataset()["log_likelihood"].values.astype(float).reshape(len(ids), n_h)
    )
    grades = _grades(result)
    if table is None or len(ids) <= MAX_ROWS:
        labels = [shorten(i) + grades.get(i, "") for i in ids]
        return labels, values, 0, [[i] for i in range(len(ids))]
    shown, rest = most_important(table)
    left_out = np.setdiff1d(np.arange(len(ids)), shown)
    finite, ruled_out = split_log(values[left_out])
    combined = np.where(ruled_out.sum(axis=0) > 0, -np.inf, finite.sum(axis=0))
    labels = [shorten(ids[i]) + grades.get(ids[i], "") for i in shown]
    labels.append(f"{others_label(rest)} (together)")
    members = [[int(i)] for i in shown] + [left_out.tolist()]
    return labels, np.vstack([values[shown], combined[None, :]]), rest, members


def _grades(result: xr.DataTree) -> dict[str, str]:
    """`` [B2]`` for items graded with a two-character Admiralty grade.

    The grade is source reliability and information credibility; the digit is shown, it does not
    change the numbers.
    """
    return {
        e.id: f" [{e.grade}]" for e in scenario_of(result).evidence if e.credibility is not None
    }


def _moved_most(result: xr.DataTree, members: list[list[int]]) -> list[str] | None:
    """For each ACH row, the hypothesis whose final probability its items moved most, or None.

    Measured by their Shapley values for P(h) (``shapley_hypothesis`` of the attribution).
    """
    node = attribution_of(result)
    if node is None or "shapley_hypothesis" not in node:
        return None
    shares = 100 * node["shapley_hypothesis"].values.astype(float)
    shown = display_names(result)
    names = [shown.hypothesis(h) for h in dataset(result, EVIDENCE)["hypothesis"].values]
    texts = []
    for items in members:
        row = shares[items].sum(axis=0)
        j = int(np.argmax(np.abs(row)))
        texts.append(f"{shorten(names[j], 24)} {signed(row[j], 1)}")
    return texts


def _centred(values: np.ndarray) -> np.ndarray:
    """Each row minus the mean of its finite entries; ``-inf`` (ruled out) stays."""
    finite = np.isfinite(values)
    count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    mean = np.where(finite, values, 0.0).sum(axis=1, keepdims=True) / count
    return np.where(finite, values - mean, values)


def ach_figure(result: xr.DataTree, table: pd.DataFrame | None) -> Figure:
    """Return the ACH matrix drawn from an :func:`~forecast.analysis.impact_table`.

    With ``table`` None the rows are in the order of the evidence. Two panels and a colour bar
    in a figure of its own: it takes no ``ax``.
    """
    ev = dataset(result, EVIDENCE)
    shown = display_names(result)
    names = [shown.hypothesis(h) for h in ev["hypothesis"].values]
    labels, values, rest, members = _ach_rows(result, table)
    n, n_h = len(labels), len(names)
    ph = dataset(result, TRAJECTORY)["p_hypothesis"].isel(step=-1).values
    col_labels = [f"{shorten(h, 30)}\n{pct(float(p))} now" for h, p in zip(names, ph, strict=True)]
    label_w = text_width(labels or ["x"], TICK_SIZE)
    name_w = text_width([shorten(h, 30) for h in names], TICK_SIZE)
    col_w = max(0.9, name_w + 0.2)
    rotate_cols = col_w > 1.6
    moved = _moved_most(result, members)
    room = 3.6 + (text_width(moved, SMALL_SIZE, mono=True) + 0.3 if moved else 0.0)
    col_w = min(col_w, 1.6, max(0.45, (MAX_INCHES - label_w - room) / max(n_h, 1)))
    rotate_cols = rotate_cols or col_w < 0.9
    cell_text = col_w >= 0.75
    width = max(8.5, label_w + col_w * n_h + room)
    height = 1.5 + (0.9 if not rotate_cols else name_w * (1.0 if col_w < 0.9 else 0.75) + 0.5)
    height += ROW_HEIGHT * max(n, 2) + 1.2
    notes = []
    if rest:
        notes.append(
            f"{len(evidence_ids(result)):,} items: the {n - 1} that matter most (as in the impact chart) "
            f"are shown, most important first; the last row is the other {rest:,} together."
        )
    if moved:
        notes.append(
            "Right of the diagnosticity: the hypothesis whose probability the item moved most "
            "overall, by its Shapley value for P(hypothesis), in percentage points."
        )
    note_lines = sum(
        wrap_text(t, FOOTER_SIZE, min(width, MAX_INCHES) - 0.5).count("\n") + 1 for t in notes
    )
    fig = new_figure(width, height + 0.16 * note_lines, footer_lines=1 + note_lines)
    ax_m, ax_d = fig.subplots(1, 2, sharey=True, width_ratios=[col_w * n_h, 2.0])
    if n == 0:
        empty_panel(ax_m, "No evidence items yet.")
        empty_panel(ax_d, "")
        decorate(fig, result)
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
                text, colour = signed(v, 2), "white" if abs(v) > 0.6 * vmax else INK
            else:
                continue
            ax_m.text(j, i, text, ha="center", va="center", fontsize=SMALL_SIZE, color=colour)
    ax_m.set_yticks(np.arange(n), labels, fontsize=TICK_SIZE)
    ax_m.set_xticks(
        np.arange(n_h),
        [plain(c) for c in col_labels],
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
    subtitle(ax_m, f"Evidence against hypotheses, {as_of(result)}", col_w * n_h + 1.0)
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
    style_axes(ax_d, grid="x")
    ax_d.tick_params(axis="y", length=0)
    ax_d.xaxis.set_major_locator(MaxNLocator(nbins=3))
    ax_d.set_xlabel("diagnosticity\n(max − min, log units)", fontsize=SMALL_SIZE)
    subtitle(ax_d, "Diagnosticity", 2.0)
    if moved is not None:
        for i, text in enumerate(moved):
            column_text(ax_d, i, text, x=1.06)
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
    decorate(fig, result, notes=notes)
    return fig
