"""A brief for any question, its prose computed from the result (``notebooks/briefing.ipynb``).

:func:`brief_markdown` writes the question, P(outcome) now with its band, what moved it, the
hypotheses, how sure the answer is, what to watch and how it resolved, from the numbers of a
result alone: no sentence is about a particular question. :class:`Facts` holds the numbers the
brief and the slides (:mod:`forecast.briefing`) share.

>>> print(brief_markdown(forecast.load_result("out/posterior.nc")))  # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import xarray as xr

from .analysis import final_band, impact_table
from .labels import as_of, display_names, pct, points, shorten
from .result_schema import TRAJECTORY, WATCH, band_label, dataset, has_node, scenario_of
from .view import ResultView, checked_view

__all__ = ["BRIEF_ROWS", "Facts", "brief_facts", "brief_markdown", "markdown_text"]

BRIEF_ROWS = 5
"""Items, hypotheses and indicators listed in each section of the brief; the rest counted."""


def markdown_text(text: object, limit: int = 300) -> str:
    r"""Analyst text as literal Markdown: one line, cut to ``limit``, markup characters escaped.

    Examples
    --------
    >>> markdown_text("a *b* <i>")
    'a \\*b\\* \\<i\\>'
    """
    line = " ".join(str(text).split())
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~&])", r"\\\1", shorten(line, limit))


@dataclass(frozen=True)
class Facts:
    """The numbers every slide is written from (computed once per deck)."""

    result: xr.DataTree
    outcome: str  # the outcome's display name
    p: float
    low: float
    high: float
    p0: float
    band: str
    impact: pd.DataFrame

    def top_driver(self) -> tuple[str, float] | None:
        """The item that moved P(outcome) most (Shapley value, else leave-one-out)."""
        if not len(self.impact):
            return None
        key = "shapley" if "shapley" in self.impact.columns else "without_pp"
        values = self.impact[key].astype(float)
        k = int(values.abs().to_numpy().argmax())
        move = float(values.iloc[k]) if key == "shapley" else -float(values.iloc[k]) / 100
        return str(self.impact.index[k]), move

    def headline(self) -> str:
        """``"P(x) 47% (90% band 26%–67%)"``."""
        return (
            f"P({self.outcome}) {pct(self.p, 0)} ({self.band} band "
            f"{pct(self.low, 0)}–{pct(self.high, 0)})"
        )

    def moved(self) -> str:
        """One sentence on what moved the answer from the prior."""
        start = f"From {pct(self.p0, 0)} before the evidence to {pct(self.p, 0)} now"
        driver = self.top_driver()
        if driver is None:
            return f"{start}: no evidence yet."
        name, move = driver
        return (
            f"{start} ({points(self.p - self.p0, sign=True)}); the item that moved it most: "
            f"{shorten(name, 60)} ({points(move, 1, sign=True)})."
        )


def brief_facts(result: xr.DataTree | ResultView) -> Facts:
    """Return the numbers a brief is written from (the impact table computed once).

    Examples
    --------
    >>> brief_facts(result).moved()  # doctest: +SKIP
    'From 35% before the evidence to 47% now (+12 points); the item that moved it most: ...'
    """
    view = checked_view(result)
    result = view.tree
    p, low, high = final_band(result)
    t = dataset(result, TRAJECTORY)
    return Facts(
        result=result,
        outcome=display_names(result).outcome,
        p=p,
        low=low,
        high=high,
        p0=float(t["p_outcome"][0]),
        band=band_label(result),
        impact=impact_table(view),
    )


def _hypotheses(f: Facts) -> list[str]:
    t = dataset(f.result, TRAJECTORY)
    names = display_names(f.result)
    priors = scenario_of(f.result).priors.hypotheses
    now = t["p_hypothesis"].isel(step=-1).to_series().sort_values(ascending=False)
    rows = ["| hypothesis | prior | now |", "|---|---:|---:|"]
    for h, p in now.head(BRIEF_ROWS).items():
        rows.append(
            f"| {markdown_text(names.hypothesis(h), 80)} | {pct(priors[str(h)].prior, 0)} | "
            f"{pct(float(p), 0)} |"
        )
    if len(now) > BRIEF_ROWS:
        rows.append(f"| + {len(now) - BRIEF_ROWS:,} more | | |")
    lead = markdown_text(names.hypothesis(now.index[0]), 80)
    return [f"The hypothesis that fits best now: **{lead}** ({pct(float(now.iloc[0]), 0)}).", "",
            *rows]  # fmt: skip


def _drivers(f: Facts) -> list[str]:
    t = f.impact
    if not len(t):
        return ["No evidence yet: the answer is the priors'."]
    key = "shapley" if "shapley" in t.columns else "without_pp"
    order = t[key].astype(float).abs().sort_values(ascending=False, kind="stable").index
    what = "share of the move" if key == "shapley" else "change without the item"
    lines = []
    for item in order[:BRIEF_ROWS]:
        value = float(t.loc[item, key]) if key == "shapley" else -float(t.loc[item, key]) / 100
        lines.append(f"- {markdown_text(item, 80)}: {points(value, 1, sign=True)} ({what})")
    if len(order) > BRIEF_ROWS:
        lines.append(f"- and {len(order) - BRIEF_ROWS:,} other items")
    return lines


def _how_sure(f: Facts) -> list[str]:
    width = f.high - f.low
    if width < 1e-6:
        return ["Every input is exact: there is no judgement band."]
    from .analysis import sensitivity_table

    text = (
        f"The {f.band} judgement band runs from {pct(f.low, 0)} to {pct(f.high, 0)} "
        f"({points(width)} wide): where the answer could be if the uncertain judgements "
        "were pinned down."
    )
    sens = sensitivity_table(f.result)
    if len(sens):
        row = sens.iloc[0]
        text += (
            f" The input that matters most, {markdown_text(row['input'], 80)}, moves it between "
            f"{pct(row['p_low'], 0)} and {pct(row['p_high'], 0)}."
        )
    return [text]


def _watch(f: Facts, table: pd.DataFrame | None) -> list[str]:
    if table is None and has_node(f.result, WATCH):
        from .indicators import watch_frame

        table = watch_frame(dataset(f.result, WATCH))
    if table is None or not len(table):
        return []
    o = str(table.attrs["outcome"])
    lines = ["## What to watch", ""]
    for _, r in table.head(BRIEF_ROWS).iterrows():
        lines.append(
            f"- {markdown_text(r['indicator_id'], 80)} (by {r['by']}): if seen "
            f"{pct(float(r[f'p_{o}_if_seen']), 0)}, if not {pct(float(r[f'p_{o}_if_not_seen']), 0)}"
            f"; expected shift {points(float(r['expected_shift']))}"
        )
    return [*lines, ""]


def brief_markdown(result: xr.DataTree | ResultView, watch: pd.DataFrame | None = None) -> str:
    """Return the brief of a result as Markdown, every sentence computed from its numbers.

    Parameters
    ----------
    result : xarray.DataTree or ResultView
        From :func:`forecast.run` or :func:`forecast.load_result` (or its
        :class:`forecast.view.ResultView`: the scenario decoded once for every part).
    watch : pandas.DataFrame, optional
        The table of :func:`forecast.watch` (default: the one the run kept, if any).

    Returns
    -------
    str
        Markdown: the question, P(outcome) now with its band (percent), what moved it
        (percentage points), the hypotheses, how sure, what to watch (when the run ranked
        indicators) and how it resolved (when priors.yaml says). Analyst text is escaped.

    Examples
    --------
    >>> brief_markdown(result).splitlines()[0]  # doctest: +SKIP
    '# Will it rain in Oslo on 1 May?'
    """
    view = checked_view(result)
    result = view.tree
    f = brief_facts(view)
    n = dataset(result, TRAJECTORY).sizes["step"] - 1
    lines = [
        f"# {markdown_text(result.attrs.get('question', ''), 300)}",
        "",
        f"**{markdown_text(f.headline(), 200)}**, {as_of(result)}, after {n:,} evidence "
        f"item{'s' * (n != 1)}.",
        "",
        markdown_text(f.moved(), 400),
        "",
        "## What moved it",
        "",
        *_drivers(f),
        "",
        "## The hypotheses",
        "",
        *_hypotheses(f),
        "",
        "## How sure",
        "",
        *_how_sure(f),
        "",
        *_watch(f, watch),
    ]
    res = view.scenario.priors.resolution
    if res is not None:
        from .briefing import resolution_lines

        lines += [
            "## How it resolved",
            "",
            *(f"- {markdown_text(x, 400)}" for x in resolution_lines(f)),
        ]
    return "\n".join(lines) + "\n"
