"""The briefing deck: ``briefing.pptx``, 16:9, from a result (``forecast slides``).

A title slide (the question, P(outcome) now with its band, as of, one sentence on what moved
it), one slide per chart of :data:`SLIDES` that the result has data for (the timeline, what
moved it, what to watch, the distribution, how it resolved), and a closing slide with the
sources and the run's provenance. Every picture carries alt text (``descr``, at most
:data:`ALT_CHARS` characters, written from the numbers) and every chart slide speaker notes
with the longer description.

The same result and seed give the same bytes: the deck's dates (core properties and the zip
entries' times) are the result's ``created`` time, never the clock.

>>> forecast.slides(result, "out/briefing.pptx")  # doctest: +SKIP
PosixPath('out/briefing.pptx')
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from .brief import Facts, brief_facts
from .deck import SLIDE_EMU, Deck
from .labels import as_of, pct, points, shorten
from .outdir import atomic_write
from .result_schema import TRAJECTORY, WATCH, dataset, has_node, scenario_of
from .view import ResultView, checked_view

__all__ = [
    "ALT_CHARS",
    "SLIDES",
    "SLIDE_EMU",
    "SlideSpec",
    "alt_text",
    "slides",
    "slides_folder",
]

ALT_CHARS = 120
"""Longest alt text of a picture (screen readers read it whole; the notes say the rest)."""
SOURCES_SHOWN = 10
"""Items listed on the closing slide (those that moved the answer most); the rest counted."""
DPI = 150
"""Resolution of the pictures (2,000 x 1,125 pixels for a slide-sized chart)."""


@dataclass(frozen=True)
class SlideSpec:
    """One slide of the deck after the title slide.

    ``applies(result)`` says whether the result has its data; ``picture(result, size)`` draws
    its chart (None for a text slide); ``body(facts)`` is a text slide's lines; ``alt(facts)``
    the picture's short description and ``notes(facts)`` the speaker notes.
    """

    name: str
    title: Callable[[Facts], str]
    applies: Callable[[xr.DataTree], bool]
    picture: Callable[[xr.DataTree, str], Figure] | None
    alt: Callable[[Facts], str]
    notes: Callable[[Facts], str]
    body: Callable[[Facts], list[str]] | None = None


def _chart(name: str) -> Callable[[xr.DataTree, str], Figure]:
    """Draw the chart ``name`` at ``size`` ("slide": its slide version)."""

    def draw(result: xr.DataTree, size: str) -> Figure:
        if size == "slide":
            from .charts.slide import slide_figures

            return slide_figures(result)[name]()
        from .charts.export import figures

        drawn = figures(result, names=[name])
        if name in drawn:
            return drawn[name]
        from .charts.slide import slide_figures  # no full-size version (by_date)

        return slide_figures(result)[name]()

    return draw


def _always(result: xr.DataTree) -> bool:
    return True


def _has_watch(result: xr.DataTree) -> bool:
    return has_node(result, WATCH) and dataset(result, WATCH).sizes.get("indicator", 0) > 0


def _has_deadline(result: xr.DataTree) -> bool:
    from .time_result import by_date_frame

    frame = by_date_frame(result)
    return frame is not None and len(frame) > 0


def _by_date_facts(f: Facts) -> tuple[str, float, float, float]:
    """The deadline and P(outcome by it) with its band."""
    from .time_result import by_date_frame

    frame = by_date_frame(f.result)
    assert frame is not None
    o = str(f.result.attrs["outcome"])
    last = frame.iloc[-1]
    return (
        str(pd.Timestamp(last["date"]).date()),
        float(last[f"p_{o}_by"]),
        float(last[f"p_{o}_by_low"]),
        float(last[f"p_{o}_by_high"]),
    )


def _by_date_alt(f: Facts) -> str:
    day, p, low, high = _by_date_facts(f)
    return alt_text(
        f"Line chart: P({f.outcome}) by each date, {pct(p, 0)} by the deadline {day}, "
        f"{f.band} band {pct(low, 0)}–{pct(high, 0)}",
        f"Line chart: P({f.outcome}) by each date, {pct(p, 0)} by {day}",
    )


def _by_date_notes(f: Facts) -> str:
    day, p, low, high = _by_date_facts(f)
    return (
        f"The probability that {f.outcome} happens by each date from now to the deadline, "
        f"{day}: {pct(p)} by the deadline ({f.band} judgement band {pct(low)} to {pct(high)}). "
        "The line rises as the window to the deadline lengthens; its end is the headline."
    )


def _resolved(result: xr.DataTree) -> bool:
    return scenario_of(result).priors.resolution is not None


def _timeline_alt(f: Facts) -> str:
    driver = f.top_driver()
    top = f"; top driver {shorten(driver[0], 30)}" if driver else ""
    return alt_text(
        f"Line chart: P({f.outcome}) from {pct(f.p0, 0)} to {pct(f.p, 0)}, "
        f"{f.band} band {pct(f.low, 0)}–{pct(f.high, 0)}{top}",
        f"Line chart: P({f.outcome}) from {pct(f.p0, 0)} to {pct(f.p, 0)}",
    )


def _timeline_notes(f: Facts) -> str:
    t = dataset(f.result, TRAJECTORY)
    steps = t.sizes["step"] - 1
    p = t["p_outcome"].to_numpy().astype(float)
    k_hi, k_lo = int(p.argmax()), int(p.argmin())
    return (
        f"The probability of {f.outcome} after each of the {steps} evidence items, in the "
        f"order of the update, {as_of(f.result)}. It starts at {pct(f.p0)} on the priors "
        f"alone and ends at {pct(f.p)}; its highest point is {pct(p[k_hi])} (step {k_hi}) and "
        f"its lowest {pct(p[k_lo])} (step {k_lo}). The shaded {f.band} judgement band, now "
        f"{pct(f.low)} to {pct(f.high)}, shows where the answer could be if the uncertain "
        f"judgements (intervals) were pinned down. {f.moved()}"
    )


def _impact_alt(f: Facts) -> str:
    driver = f.top_driver()
    if driver is None:
        return alt_text(f"Bar chart: no evidence item moved P({f.outcome})")
    return alt_text(
        f"Bar chart: what moved P({f.outcome}) from {pct(f.p0, 0)} to {pct(f.p, 0)}; top "
        f"{shorten(driver[0], 30)} {points(driver[1], 1, sign=True)}",
        f"Bar chart: top driver {shorten(driver[0], 40)} {points(driver[1], 1, sign=True)}",
    )


def _impact_notes(f: Facts) -> str:
    t = f.impact
    key = "shapley" if "shapley" in t.columns else None
    lines = []
    if key:
        order = t[key].astype(float).abs().sort_values(ascending=False).index[:5]
        lines = [f"{i}: {points(float(t.loc[i, key]), 1, sign=True)}" for i in order]
    what = (
        "each item's Shapley value: its average contribution over every order in which the "
        "items could have arrived (the values add up to the whole move)"
        if key
        else "each item's move at its step"
    )
    listed = f" The largest: {'; '.join(lines)}." if lines else ""
    return (
        f"P({f.outcome}) moved from {pct(f.p0)} to {pct(f.p)} "
        f"({points(f.p - f.p0, 1, sign=True)}). The bars show {what}, in percentage points; "
        f"hatched bars raised it, plain bars lowered it.{listed}"
    )


def _watch_facts(f: Facts) -> pd.DataFrame:
    from .indicators import watch_frame

    return watch_frame(dataset(f.result, WATCH))


def _watch_alt(f: Facts) -> str:
    top = _watch_facts(f).iloc[0]
    return alt_text(
        f"Dot chart of what to watch: {shorten(str(top['indicator_id']), 30)} would move "
        f"P({f.outcome}) {points(float(top['expected_shift']))} on average",
        f"Dot chart: indicators that would move P({f.outcome}) most",
    )


def _watch_notes(f: Facts) -> str:
    table = _watch_facts(f)
    o = str(table.attrs["outcome"])
    lines = [
        f"{r['indicator_id']} (by {r['by']}): if seen {pct(float(r[f'p_{o}_if_seen']), 0)}, "
        f"if not {pct(float(r[f'p_{o}_if_not_seen']), 0)}, expected shift "
        f"{points(float(r['expected_shift']))}"
        for _, r in table.head(5).iterrows()
    ]
    return (
        f"Indicators that would move P({f.outcome}), now {pct(f.p)}, ranked by the expected "
        "shift (how far seeing each, or not seeing it by its date, would move it on average, "
        f"in percentage points). Filled dots: if seen; open dots: if not. {'; '.join(lines)}."
    )


def _distribution_alt(f: Facts) -> str:
    return alt_text(
        f"Histogram of P({f.outcome}) draws: estimate {pct(f.p, 0)}, {f.band} band "
        f"{pct(f.low, 0)}–{pct(f.high, 0)}"
    )


def _distribution_notes(f: Facts) -> str:
    return (
        f"The band's draws of the final P({f.outcome}): each is the answer for one setting of "
        f"the uncertain judgements. The estimate is {pct(f.p)}; {f.band} of the draws lie "
        f"between {pct(f.low)} and {pct(f.high)}. A wide band means the answer rests on "
        "judgements that could be pinned down by more evidence."
    )


def resolution_lines(f: Facts) -> list[str]:
    """How the question resolved and how the forecast scored (as the report's section).

    Examples
    --------
    >>> resolution_lines(brief_facts(result))[0]  # doctest: +SKIP
    'invasion: happened (known 2022-02-24).'
    """
    from .scenario import ScenarioError
    from .scoring import score_scenario

    scenario = scenario_of(f.result)
    res = scenario.priors.resolution
    assert res is not None
    lines = [f"{f.outcome}: {'happened' if res.outcome else 'did not happen'} (known {res.date})."]
    try:
        r = score_scenario(scenario, name="scenario").row
    except ScenarioError as exc:  # e.g. no day before the resolution to score
        lines.append(f"Not scored: {shorten(str(exc), 200)}")
    else:
        given = r["final_p"] if res.outcome else 1 - r["final_p"]
        lines.append(
            f"The forecast gave what happened {pct(given, 0)} at the end; Brier score "
            f"{r['brier']:.3f} (0 is perfect; always saying 50% scores 0.250)."
        )
    if res.source:
        lines.append(f"Source: {shorten(res.source, 200)}")
    return lines


SLIDES: list[SlideSpec] = [
    SlideSpec(
        "timeline",
        lambda f: f"How P({f.outcome}) moved, {as_of(f.result)}",
        _always,
        _chart("timeline"),
        _timeline_alt,
        _timeline_notes,
    ),
    SlideSpec(
        "impact",
        lambda f: f"What moved it: {points(f.p - f.p0, sign=True)} since the priors",
        _always,
        _chart("impact"),
        _impact_alt,
        _impact_notes,
    ),
    SlideSpec(
        "watch", lambda f: "What to watch", _has_watch, _chart("watch"), _watch_alt, _watch_notes
    ),
    SlideSpec(
        "by_date",
        lambda f: f"By when: P({f.outcome}) up to the deadline",
        _has_deadline,
        _chart("by_date"),
        _by_date_alt,
        _by_date_notes,
    ),
    SlideSpec(
        "distribution",
        lambda f: f"How sure: the {f.band} judgement band",
        _always,
        _chart("distribution"),
        _distribution_alt,
        _distribution_notes,
    ),
    SlideSpec(
        "resolution",
        lambda f: "How it resolved",
        _resolved,
        None,
        lambda f: "",
        lambda f: " ".join(resolution_lines(f)),
        body=resolution_lines,
    ),
]
"""The slides after the title slide, in order; a slide whose ``applies`` is False is left
out. Adding a chart to the deck (e.g. a by-date chart) is one more entry."""


def slides_folder(
    out: str | Path, *, result: str | Path | None = None, size: str = "slide"
) -> Path:
    """Write ``<out>/briefing.pptx`` from a saved result (``forecast slides``); return its path.

    ``result`` defaults to ``<out>/posterior.nc`` (checked as untrusted input); ``out`` is
    refused where ``forecast run`` would refuse it, and changes all at once.

    Examples
    --------
    >>> slides_folder("out")  # doctest: +SKIP
    PosixPath('out/briefing.pptx')
    """
    import functools

    from .outdir import output_set
    from .outputs import in_set_of
    from .pipeline import check_out, saved_view

    folder = check_out(out)
    saved = saved_view(out, result)  # read and decoded once, for every slide
    with output_set(folder, functools.partial(in_set_of, command="slides")) as staging:
        slides(saved, staging / "briefing.pptx", size=size)
    return folder / "briefing.pptx"


def alt_text(*candidates: str) -> str:
    """Return the first candidate of at most :data:`ALT_CHARS` characters (else the last, cut).

    Examples
    --------
    >>> alt_text("x" * 200, "short")
    'short'
    """
    for text in candidates:
        if 0 < len(text) <= ALT_CHARS:
            return text
    return shorten(candidates[-1], ALT_CHARS)


def slides(
    result: xr.DataTree | ResultView,
    path: str | Path = "briefing.pptx",
    *,
    size: str = "slide",
    dpi: int = DPI,
) -> Path:
    """Write the briefing deck of a result (16:9 PowerPoint).

    Parameters
    ----------
    result : xarray.DataTree or ResultView
        From :func:`forecast.run` or :func:`forecast.load_result` (or its
        :class:`forecast.view.ResultView`: the scenario decoded once for every part).
    path : str or Path
        The ``.pptx`` file written (atomically; its folder is created).
    size : {"slide", "default"}
        The charts' size: slide-sized (16:9, text >= 14 pt) or each chart's own size,
        fitted into the slide.
    dpi : int
        Resolution of the pictures.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> forecast.slides(forecast.load_result("out/posterior.nc"), "out/briefing.pptx")  # doctest: +SKIP
    PosixPath('out/briefing.pptx')
    """
    view = checked_view(result)
    result = view.tree
    facts = brief_facts(view)
    deck = Deck(result)
    deck.title_slide(
        result.attrs.get("question", ""),
        facts.headline(),
        as_of(result).replace("as of", "As of", 1),
        facts.moved(),
    )
    for spec in SLIDES:
        if not spec.applies(result):
            continue
        title = spec.title(facts)
        if spec.picture is None:
            deck.text_slide(title, spec.body(facts) if spec.body else [], spec.notes(facts))
            continue
        fig = spec.picture(result, size)
        deck.picture_slide(title, _png(fig, dpi), spec.alt(facts), spec.notes(facts))
    deck.text_slide("Sources and provenance", _closing_lines(facts), _provenance_notes(result))
    path = Path(path)
    atomic_write(path, deck.save)
    return path


def _png(fig: Figure, dpi: int) -> bytes:
    from .charts.export import save_figure

    buf = io.BytesIO()
    save_figure(fig, buf, "png", dpi, "slide")
    return buf.getvalue()


def _closing_lines(f: Facts) -> list[str]:
    """The sources of the items that moved the answer most, then the run's provenance."""
    scenario = scenario_of(f.result)
    by_id = {e.id: e for e in scenario.evidence}
    key = "shapley" if "shapley" in f.impact.columns else "without_pp"
    order = f.impact[key].astype(float).abs().sort_values(ascending=False, kind="stable")
    lines = []
    for item in list(order.index[:SOURCES_SHOWN]):
        e = by_id[str(item)]
        lines.append(f"{shorten(e.id, 40)} ({e.date}): {shorten(e.source or e.title or '', 90)}")
    if len(order) > SOURCES_SHOWN:
        lines.append(f"+ {len(order) - SOURCES_SHOWN:,} more items (report.html lists them all)")
    a = f.result.attrs
    version = json.loads(str(a.get("versions", "{}")) or "{}").get("forecast", "?")
    lines.append("")
    lines.append(
        f"Scenario {str(a.get('scenario_hash', ''))[:16]} · seed {a.get('seed', '?')} · "
        f"{a.get('draws', '?')} draws · {a.get('method', 'fast')} route · forecast {version} · "
        f"run {str(a.get('created', ''))[:10]}"
    )
    return lines


def _provenance_notes(result: xr.DataTree) -> str:
    a = result.attrs
    return (
        f"Full scenario hash {a.get('scenario_hash', '')}; seed {a.get('seed', '?')}; "
        f"{a.get('draws', '?')} draws; computed {a.get('created', '')} with "
        f"{a.get('versions', '{}')}. Command: {a.get('command', 'forecast.run')}."
    )
