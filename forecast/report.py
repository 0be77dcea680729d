"""The briefing report: one self-contained ``report.html``.

Everything is inside the file: the charts as inline SVG (text kept as text), the styles in a
``<style>`` element, no script, no external stylesheet, font or image. Opening it makes no
network request. Evidence URLs (the analyst's ``url`` fields) are printed as plain text, not
as links, so that even that stays true.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from . import clock
from .analysis import final_band, impact_table, sensitivity_table
from .charts.export import figures, inline_svg, svg_text
from .inputs.text import isolate
from .labels import as_of, display_names, pct, points, pp
from .outdir import atomic_write
from .outputs import caption, charts_of
from .report_time import time_sections
from .result_schema import (
    ATTRIBUTION,
    PREVIOUS,
    TRAJECTORY,
    WATCH,
    band_label,
    band_percentiles,
    dataset,
    has_node,
)
from .scenario import EvidenceItem, Scenario
from .time_result import retracted_items, retracted_label
from .view import ResultView, checked_view

__all__ = [
    "CSP",
    "chart_marks",
    "escape",
    "fill_charts",
    "how_it_resolved",
    "page_head",
    "report_html",
    "write_report",
]

_CSS = """
:root { --ink: #222; --muted: #666; --rule: #ddd; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px 28px 60px; }
h1 { font-size: 1.6em; line-height: 1.25; margin: 0.2em 0 0.3em; }
h2 { font-size: 1.2em; margin: 2em 0 0.5em; border-bottom: 1px solid var(--rule);
     padding-bottom: 0.2em; }
.lead { font-size: 1.15em; margin: 0.4em 0 1em; }
.lead strong { color: var(--accent); }
.meta { color: var(--muted); font-size: 0.85em; }
.warning { background: #fff3cd; border: 1px solid #d9a400; padding: 8px 12px; font-weight: 600; }
.changes { border-left: 3px solid var(--muted); padding-left: 0.8em; }
figure { margin: 0.8em 0 1.6em; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.88em; max-width: 60em; margin-top: 0.3em; }
table { border-collapse: collapse; width: 100%; font-size: 0.88em; margin: 0.5em 0 1em; }
th, td { border-bottom: 1px solid var(--rule); padding: 6px 8px; text-align: left;
         vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.evidence td { min-width: 6em; }
.evidence .id { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em;
                white-space: nowrap; }
blockquote { margin: 0 0 0.4em; padding-left: 0.7em; border-left: 3px solid var(--rule);
             font-style: italic; }
.url { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.85em;
       color: var(--muted); word-break: break-all; }
.up { color: #D55E00; } .down { color: #0072B2; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: #f7f7f7; padding: 8px 10px; overflow-x: auto; }
@media print { body { max-width: none; } figure { break-inside: avoid; } }
"""


CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:; font-src data:; script-src 'none'; "
    "connect-src 'none'; form-action 'none'; base-uri 'none'\">"
)
"""The page's Content-Security-Policy: no script, nothing loaded from anywhere (inline styles
and ``data:`` images only). Used by the report and by the notebook export."""


def page_head(title: str, css: str = _CSS) -> str:
    """The start of a self-contained page up to ``</head>``: :data:`CSP`, ``title`` escaped.

    Examples
    --------
    >>> page_head("A & B", "body {}").splitlines()[0]
    '<!DOCTYPE html>'
    """
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{CSP}
<title>{_e(title)}</title>
<style>{css}</style>
</head>
"""


def _warning(text: str | None) -> str:
    return f'<p class="warning">WARNING: {_e(text)}</p>\n' if text else ""


def escape(value: object) -> str:
    """HTML-escaped text (quotes included), None as empty: how every page here writes text.

    Bidirectional controls in it are isolated (:func:`forecast.inputs.text.isolate`): a right-to-left
    override in a title cannot reorder the page after it.

    Examples
    --------
    >>> escape('<b> "x"')
    '&lt;b&gt; &quot;x&quot;'
    """
    return "" if value is None else html.escape(isolate(str(value)), quote=True)


_e = escape


def _value(v) -> str:
    if isinstance(v, tuple | list):
        return f"{v[0]:g}–{v[1]:g}"
    return f"{v:g}"


def _reliability(item: EvidenceItem) -> str:
    """``B2 (0.80), credibility 2``.

    The Admiralty grade as written (the digit, information credibility, is shown and does not change
    the numbers), or the number.
    """
    if isinstance(item.reliability, str):
        text = f"{item.grade} ({item.r:.2f})"
        if item.credibility is not None:
            text += f", credibility {item.credibility} (not in the numbers)"
        return text
    return f"{item.r:g}"


def _svg_figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _figure(fig, salt: str, caption: str) -> str:
    return _svg_figure(svg_text(fig, salt=salt), caption)


def _lead(result: xr.DataTree) -> str:
    t = dataset(result, TRAJECTORY)
    outcome = display_names(result).outcome
    p, lo, hi = final_band(result)
    p0 = float(t["p_outcome"][0])
    rows = t["row"].values.astype(str) if "row" in t else None
    n = t.sizes["step"] - 1 if rows is None else int((rows == "item").sum())  # not retractions
    when = as_of(result).replace("as of ", "As of ", 1)
    if n == 0 and not result.attrs.get("as_of"):  # as of a day, the days passed count
        when = "Before any evidence"
    items = f"after {n} evidence item{'s' * (n != 1)}" if n else "on the priors alone"
    since = (
        f", up from {pct(p0, 0)} before the evidence"
        if p > p0 + 0.005
        else (f", down from {pct(p0, 0)} before the evidence" if p < p0 - 0.005 else "")
    )
    if abs(hi - lo) < 1e-6:
        band = "every input is exact, so there is no judgement band"
    else:
        band = f"{band_label(result)} judgement band {pct(lo, 0)} to {pct(hi, 0)}"
    return (
        f"{_e(when)}, {_e(items)}, the probability of <strong>{_e(outcome)}</strong> is "
        f"<strong>{pct(p, 0)}</strong> ({_e(band)}){_e(since)}."
    )


def _since_previous(result: xr.DataTree) -> str:
    """Return what changed since the run kept beside this one.

    That run is the one ``forecast run`` found in the same folder.
    """
    if not has_node(result, PREVIOUS) or not result[PREVIOUS].attrs.get("changes"):
        return ""
    lines = str(result[PREVIOUS].attrs["changes"]).splitlines()
    text = "<br>".join(_e(line) for line in lines)
    return f'<p class="changes">{text} The dashed line is the earlier run.</p>\n'


def _hypothesis_table(result: xr.DataTree, scenario) -> str:
    t = dataset(result, TRAJECTORY)
    names = display_names(scenario)
    outcome = names.outcome
    rows = []
    for name in (str(v) for v in t["hypothesis"].values):  # file order, as in the charts
        h = scenario.priors.hypotheses[name]
        now = float(t["p_hypothesis"].sel(hypothesis=name)[-1])
        shown = (
            f"{_e(h.label)} (<code>{_e(name)}</code>)" if h.label else f"<code>{_e(name)}</code>"
        )
        rows.append(
            f"<tr><td>{shown}</td><td>{_e(h.description or '')}</td>"
            f'<td class="num">{pct(h.prior, 1)}</td><td class="num">{pct(now, 1)}</td>'
            f'<td class="num">{_e(_value(h.p_outcome))}</td></tr>'
        )
    kappa = scenario.priors.prior_strength
    note = f"<p class='meta'>Prior strength (Dirichlet kappa): {kappa:g}.</p>" if kappa else ""
    return (
        "<table><thead><tr><th>hypothesis</th><th>description</th><th class='num'>prior</th>"
        f"<th class='num'>now</th><th class='num'>P({_e(outcome)} | hypothesis)</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>{note}"
    )


EVIDENCE_ROWS = 60
"""Above this many items the evidence table shows the :data:`EVIDENCE_SHOWN` that moved the
answer most (by their Shapley value, else their move at their step), in update order."""
EVIDENCE_SHOWN = 50


def _evidence_table(scenario, impact: pd.DataFrame, shapley: pd.Series | None = None) -> str:
    rows = []
    items = list(enumerate(scenario.evidence, start=1))
    note = ""
    if len(items) > EVIDENCE_ROWS:
        size = (shapley if shapley is not None else impact["change_pp"]).abs()
        keep = set(size.sort_values(ascending=False, kind="stable").index[:EVIDENCE_SHOWN])
        items = [(k, item) for k, item in items if item.id in keep]
        by = "share of the move (Shapley value)" if shapley is not None else "move at their step"
        note = (
            f'<p class="meta">The {EVIDENCE_SHOWN} items with the largest {by} of '
            f"{len(scenario.evidence):,}, in the order of the update; every item is in "
            "trajectory.csv and attribution.csv.</p>"
        )
    for k, item in items:
        lik = "<br>".join(f"{_e(h)}: {_e(_value(v))}" for h, v in item.likelihoods.items())
        change = float(impact.loc[item.id, "change_pp"])
        cls = "up" if change > 0.05 else ("down" if change < -0.05 else "")
        group = ""
        if item.group:
            group = f"<br>group {_e(item.group)}, weight {impact.loc[item.id, 'weight']:.2f}"
        quote = f"<blockquote>{_e(item.quote)}</blockquote>" if item.quote else ""
        url = f'<div class="url">{_e(item.url)}</div>' if item.url else ""
        rows.append(
            f'<tr><td class="num">{k}</td><td class="id">{_e(item.id)}</td>'
            f"<td>{_e(item.date.isoformat())}</td>"
            f"<td><strong>{_e(item.title)}</strong>{quote}</td>"
            f"<td>{_e(item.source)}{url}</td>"
            f"<td>{_e(_reliability(item))}{group}</td>"
            f"<td>{lik}</td>"
            f'<td class="num {cls}">{pp(change, sign=True, scale=1)} pp</td>'
            f"<td>{_e(item.rationale or '')}{_notes(item)}</td></tr>"
        )
    if not rows:
        return "<p>No evidence items yet: the forecast is the prior.</p>"
    return (
        '<table class="evidence"><thead><tr><th class="num">#</th><th>id</th><th>date</th>'
        "<th>title and quote</th><th>source</th><th>reliability</th><th>likelihoods</th>"
        '<th class="num">change</th><th>rationale</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{note}"
    )


def _shapley(result: xr.DataTree) -> pd.Series | None:
    """Each item's Shapley value for P(outcome), by id, when the run attributed the answer."""
    if not has_node(result, ATTRIBUTION):
        return None
    node = dataset(result, ATTRIBUTION)
    return pd.Series(node["shapley"].values.astype(float), index=node["evidence"].values)


def _notes(item: EvidenceItem) -> str:
    """Return the free-text ``note...`` columns of an evidence table, under the rationale."""
    return "".join(
        f'<div class="meta">{_e(name)}: {_e(text)}</div>' for name, text in item.notes.items()
    )


def _what_moved(result: xr.DataTree, top: int = 15) -> str:
    """Return "What moved the answer".

    The Shapley values (largest first, ``top`` rows and a count of the others), leave-one-out beside
    them, and the sentence on the last item.
    """
    if not has_node(result, ATTRIBUTION):
        return ""
    node = dataset(result, ATTRIBUTION)
    outcome = display_names(result).outcome
    shap = node["shapley"].values.astype(float)
    order = np.argsort(-np.abs(shap), kind="stable")
    exact = node.attrs.get("method") == "exact"
    gone = retracted_items(result)
    rows = []
    for i in order[:top]:
        mcse = "" if exact else f" ± {pp(float(node['shapley_mcse'][i]))}"
        item = str(node["evidence"].values[i])
        label = f" ({retracted_label(*gone[item])})" if item in gone else ""
        rows.append(
            f'<tr><td class="id">{_e(item)}{_e(label)}</td>'
            f'<td class="num">{pp(shap[i], sign=True)}{mcse}</td>'
            f'<td class="num">{pp(float(node["step_move"][i]), sign=True)}</td>'
            f'<td class="num">{pct(float(node["leave_one_out"][i]), 1)}</td></tr>'
        )
    rest = len(shap) - len(rows)
    if rest > 0:
        others = float(shap[order[top:]].sum())
        rows.append(
            f"<tr><td>{rest} other item{'s' * (rest != 1)}</td>"
            f'<td class="num">{pp(others, sign=True)}</td><td></td><td></td></tr>'
        )
    p0, p1 = float(node.attrs["p_prior"]), float(node.attrs["p_final"])
    how = (
        "computed exactly over every subset of the items"
        if exact
        else f"estimated from {int(node.attrs['n_permutations'])} orders of arrival, "
        "± one Monte Carlo standard error"
    )
    return (
        f"<p>Each item's Shapley value is its average contribution to P({_e(outcome)}) over "
        f"every order in which the items could have arrived ({_e(how)}). The values add up to "
        f"the move from the prior, {pct(p0, 1)}, to now, {pct(p1, 1)} "
        f"({pp(p1 - p0, sign=True)} points). The move at an item's step depends on what was "
        "known then, and can differ.</p>"
        f"<p>{_e(node.attrs.get('explanation', ''))}</p>"
        "<table><thead><tr><th>item</th><th class='num'>Shapley value (points)</th>"
        "<th class='num'>move at its step (points)</th>"
        f"<th class='num'>final P({_e(outcome)}) without it</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{_retracted_shares(gone)}"
    )


def _retracted_shares(gone: dict[str, tuple[str, str]]) -> str:
    """The items retracted by the as-of day: no share in "What moved it"."""
    if not gone:
        return ""
    listed = "; ".join(f"{i} {retracted_label(d, r)}" for i, (d, r) in list(gone.items())[:20])
    more = f"; and {len(gone) - 20:,} more" if len(gone) > 20 else ""
    return (
        f"<p>Retracted, so no share (counted as never seen from the retraction on): "
        f"{_e(listed + more)}.</p>"
    )


def _reproducibility(result: xr.DataTree) -> str:
    a = result.attrs
    files = json.loads(a.get("input_files", "{}") or "{}")
    versions = json.loads(a.get("versions", "{}") or "{}")
    command = a.get("command") or "not recorded (the result was computed from Python)"
    file_rows = (
        "".join(
            f"<tr><td><code>{_e(path)}</code></td><td><code>{_e(digest)}</code></td></tr>"
            for path, digest in sorted(files.items())
        )
        or "<tr><td colspan='2'>no files (the scenario was built in Python)</td></tr>"
    )
    version_rows = "".join(
        f"<tr><td>{_e(name)}</td><td><code>{_e(v)}</code></td></tr>"
        for name, v in sorted(versions.items())
    )
    facts = [
        ("command", command),
        ("scenario hash (sha256 of the scenario's content)", a.get("scenario_hash", "")),
        ("method", a.get("method", "")),
        ("draws per step", a.get("draws", "")),
        ("seed", a.get("seed", "")),
        ("computed", a.get("created", "")),
        ("report written", clock.stamp()),
    ]
    fact_rows = "".join(f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in facts)
    return (
        f"<table>{fact_rows}</table>"
        "<h3>Input files (sha256)</h3>"
        f"<table><thead><tr><th>file</th><th>sha256</th></tr></thead><tbody>{file_rows}"
        "</tbody></table>"
        "<h3>Package versions</h3>"
        f"<table><tbody>{version_rows}</tbody></table>"
    )


def how_it_resolved(scenario: Scenario, *, limit: int = 3) -> str:
    """Return the report's "How it resolved" section (HTML), empty for an unresolved scenario.

    What happened, the scores (docs/model.md, "Scoring a resolved question"), the items that pushed
    toward and away from what happened (by their step's change of ``ln p_o``) and the score chart.
    """
    from .charts.score import plot_score
    from .scenario import ScenarioError
    from .scoring import postmortem, score_scenario

    res = scenario.priors.resolution
    if res is None:
        return ""
    try:
        scored = score_scenario(scenario, name="scenario")
    except ScenarioError as exc:  # e.g. no day before the resolution to score
        return f"<h2>How it resolved</h2>\n<p>Not scored: {_e(exc)}</p>\n"
    r = scored.row
    o = display_names(scenario).outcome
    what = "happened" if res.outcome else "did not happen"
    source = f" ({_e(res.source)})" if res.source else ""
    post = postmortem(scored).sort_values("step_change_log_score", kind="stable")

    def names(rows) -> str:
        return ", ".join(
            f"<code>{_e(x.evidence_id)}</code> ({x.step_change_log_score:+.3f})"
            for x in rows.itertuples()
        )

    toward = post[post["step_change_log_score"] > 0].iloc[::-1].head(limit)
    away = post[post["step_change_log_score"] < 0].head(limit)
    lines = [
        f"<p><strong>{_e(o)} {what}</strong>, known on {_e(res.date)}{source}. "
        f"The forecast gave it {pct(r['final_p'] if res.outcome else 1 - r['final_p'], 1)} "
        f"at the end: Brier {r['brier']:.3f} (lower is better), log score "
        f"{r['log_score']:.3f} (higher is better), baseline score {r['baseline_score']:.1f}; "
        f"averaged over the {r['days']} days from {_e(scored.opened)}: Brier "
        f"{r['time_avg_brier']:.3f}, log score {r['time_avg_log_score']:.3f}.</p>"
    ]
    if toward.size:
        lines.append(f"<p>Pushed toward what happened: {names(toward)}.</p>")
    if away.size:
        lines.append(f"<p>Pushed away from it: {names(away)}.</p>")
    if scored.excluded:
        lines.append(
            f'<p class="meta">{len(scored.excluded)} item(s) dated on or after the '
            "resolution are not scored (hindsight).</p>"
        )
    chart = _figure(
        plot_score(scored),
        "score",
        f"P({o}) standing at the end of each day, the resolution marked; below, each day's "
        "Brier score.",
    )
    return "<h2>How it resolved</h2>\n" + "\n".join(lines) + chart + "\n"


def _top_input(sens: pd.DataFrame) -> str:
    """The sentence on the input that moves the probability most, or nothing."""
    if not len(sens):
        return ""
    row = sens.iloc[0]
    return (
        f"<p>The input that matters most: <code>{_e(row['input'])}</code> "
        f"(interval {row['lo']:g}–{row['hi']:g}) moves the probability between "
        f"{pct(row['p_low'], 1)} and {pct(row['p_high'], 1)}.</p>"
    )


def report_html(
    result: xr.DataTree | ResultView,
    *,
    warning: str | None = None,
    svg_files: Mapping[str, Path] | None = None,
    svgs: Mapping[str, str] | None = None,
) -> str:
    """Return the briefing report as one self-contained HTML document.

    Parameters
    ----------
    result : xarray.DataTree or ResultView
        From :func:`forecast.run` or :func:`forecast.load_result` (or its
        :class:`forecast.view.ResultView`, whose decoded scenario and arrays are used).

    Returns
    -------
    str
        The question; the current probability and band in one sentence; the timeline; the
        hypotheses; the evidence table (quotes, sources, reliability, likelihoods, each
        item's change and the rationale, all HTML-escaped); the impact, ACH, sensitivity and
        distribution charts (inline SVG); a reproducibility block (command, scenario hash,
        seed, input file hashes, package versions). No script, no external resource (a
        Content-Security-Policy says so to the browser too). ``warning``, if given, is shown
        at the top (e.g. that the input files changed since the result was computed).
        ``svg_files``: charts already written by :func:`forecast.save_all` for this result
        (``{"timeline": Path("out/timeline.svg"), ...}``), inlined instead of drawn again;
        ``svgs``: the same as text, put in as given (e.g. the marks of :func:`chart_marks`).

    Examples
    --------
    >>> Path("report.html").write_text(report_html(result))  # doctest: +SKIP
    """
    view = checked_view(result)  # the scenario decoded once, its arrays encoded once
    result, scenario = view.tree, view.scenario
    outcome = display_names(scenario).outcome
    impact = impact_table(view)
    sens = sensitivity_table(view)
    n = len(scenario.evidence)
    t = dataset(result, TRAJECTORY)
    final_mcse = float(t["mcse"][-1])
    if result.attrs.get("method", "fast") == "fast":
        exactness = (
            "The probability is exact (quadrature); the Monte Carlo standard error of the "
            f"band's draws is {final_mcse:.4f}."
        )
    else:
        exactness = f"NUTS estimate; Monte Carlo standard error {final_mcse:.4f}."
    captions = {
        o.name: caption(
            o.name,
            outcome=outcome,
            band=band_label(result),
            percentiles=band_percentiles(result),
        )
        for o in charts_of("run")
        if o.in_report
    }
    shown = [*captions, "watch", "by_date"]
    saved = {n: inline_svg(Path(p).read_text(encoding="utf-8"), salt=n)
             for n, p in (svg_files or {}).items() if n in shown}  # fmt: skip
    saved.update({n: text for n, text in (svgs or {}).items() if n in shown})
    watch_svg = saved.pop("watch", None)
    by_date_svg = saved.pop("by_date", None)
    drawn = figures(
        result, impact=impact, sensitivity=sens, names=[n for n in captions if n not in saved]
    )
    charts = {
        name: _svg_figure(saved[name] if name in saved else svg_text(drawn[name], salt=name), cap)
        for name, cap in captions.items()
    }
    top = _top_input(sens)
    return f"""{page_head(scenario.question)}<body>
{_warning(warning)}<p class="meta">Forecast briefing · {_e(as_of(result))} · scenario {_e(scenario.hash[:8])}</p>
<h1>{_e(scenario.question)}</h1>
<p class="lead">{_lead(result)}</p>
<p class="meta">{_e(exactness)} {n} evidence item{"s" * (n != 1)}, {len(scenario.hypotheses)} hypotheses.</p>
<h2>How the forecast moved</h2>
{_since_previous(result)}{charts["timeline"]}
{time_sections(result, chart_svg=by_date_svg)}<h2>Hypotheses</h2>
{_hypothesis_table(result, scenario)}
<h2>Evidence</h2>
{_evidence_table(scenario, impact, _shapley(result))}
<h2>What moved it</h2>
{_what_moved(result)}{charts["impact"]}
<h2>Evidence against hypotheses (ACH)</h2>
{charts["ach"]}
<h2>Which judgements matter</h2>
{top}
{charts["sensitivity"]}
{charts["distribution"]}
{_watch_section(result, svg=watch_svg)}{how_it_resolved(scenario)}<h2>Reproducibility</h2>
{_reproducibility(result)}
</body>
</html>
"""


def chart_marks(names: Sequence[str]) -> dict[str, str]:
    """Return a mark for each chart, to give :func:`report_html` as ``svgs`` before it is drawn.

    :func:`fill_charts` puts the charts in later. A mark is an HTML comment: no text of the
    report's (all escaped) can hold one.

    Examples
    --------
    >>> chart_marks(["impact"])
    {'impact': '<!--forecast-chart:impact-->'}
    """
    return {name: f"<!--forecast-chart:{name}-->" for name in names}


def fill_charts(text: str, svg_files: Mapping[str, Path]) -> str:
    """Return ``text`` with each mark of :func:`chart_marks` replaced by the chart's inline SVG.

    The same page :func:`report_html` gives with ``svg_files``.

    Examples
    --------
    >>> fill_charts("<p><!--forecast-chart:ach--></p>", {"ach": Path("out/ach.svg")})  # doctest: +SKIP
    '<p><svg ...></svg></p>'
    """

    def chart(match: re.Match) -> str:
        name = match[1]
        return inline_svg(Path(svg_files[name]).read_text(encoding="utf-8"), salt=name)

    return re.sub(r"<!--forecast-chart:([\w-]+)-->", chart, text)


def _watch_section(result: xr.DataTree, top: int = 10, svg: str | None = None) -> str:
    """Return "What would change the assessment".

    The indicators ranked by ``forecast run`` (node ``/watch``), the best few, and the watch chart;
    empty when the run had no indicators.
    """
    if not has_node(result, WATCH):
        return ""
    from .charts import plot_watch
    from .indicators import watch_frame

    table = watch_frame(dataset(result, WATCH))
    o = table.attrs["outcome"]  # the id: the table's column names
    shown = display_names(result).outcome
    rows = []
    for _, r in table.head(top).iterrows():
        late = ' <span class="up">overdue</span>' if r["overdue"] else ""
        rows.append(
            f'<tr><td class="id">{_e(r["indicator_id"])}</td><td>{_e(r["title"])}{late}</td>'
            f'<td class="num">{_e(r["by"])}</td><td class="num">{pct(r["p_seen"], 0)}</td>'
            f'<td class="num">{pct(r[f"p_{o}_if_seen"], 1)}</td>'
            f'<td class="num">{pct(r[f"p_{o}_if_not_seen"], 1)}</td>'
            f'<td class="num">{points(r["expected_shift"], 1)}</td>'
            f'<td class="num">{r["info_hypotheses_bits"]:.3f}</td></tr>'
        )
    more = f'<p class="meta">{len(table) - top} more in watch.csv.</p>' if len(table) > top else ""
    best = table.attrs["best_set"]
    together = (
        f"<p>Watching the top {len(best['indicators'])} together "
        f"({_e(', '.join(best['indicators']))}) would move P({_e(shown)}) by "
        f"{points(best['expected_shift'])} on average.</p>"
        if len(best["indicators"]) > 1
        else ""
    )
    recorded = table.attrs.get("observed") or []
    recorded_text = (
        f'<p class="meta">Already recorded as evidence: {_e(", ".join(recorded))}.</p>'
        if recorded
        else ""
    )
    chart = _svg_figure(
        svg or svg_text(plot_watch(result, table), salt="watch"),
        f"For each indicator, where P({shown}) would go if it is seen (filled dot) and if it is not "
        f"seen by its date (open dot), around today's {pct(table.attrs['p_outcome'], 1)}; "
        "sorted by the expected shift.",
    )
    return f"""<h2>What would change the assessment</h2>
<p>Indicators to watch, ranked by how far seeing them (or not) would move P({_e(shown)}) on
average, in percentage points: the expected shift weighs each outcome by its probability. Bits: the expected
information about the hypotheses.</p>
<table class="evidence"><tr><th>Indicator</th><th>What would be seen</th><th class="num">By</th>
<th class="num">P(seen)</th><th class="num">P({_e(shown)}) if seen</th>
<th class="num">if not</th><th class="num">Expected shift</th><th class="num">Bits</th></tr>
{"".join(rows)}</table>
{more}{together}{recorded_text}{chart}
"""


def write_report(
    result: xr.DataTree | ResultView,
    out: str | Path,
    *,
    warning: str | None = None,
    svg_files: Mapping[str, Path] | None = None,
) -> Path:
    """Write ``report.html`` into the folder ``out`` (atomically) and return its path.

    Examples
    --------
    >>> write_report(load_result("out/posterior.nc"), "out")  # doctest: +SKIP
    PosixPath('out/report.html')
    """
    path = Path(out) / "report.html"
    text = report_html(result, warning=warning, svg_files=svg_files)

    def write(p: Path) -> None:
        p.write_text(text, encoding="utf-8")

    atomic_write(path, write)
    return path
