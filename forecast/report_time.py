"""The report's sections about time: not yet known, by what date, retracted, lapsed.

:func:`forecast.report.report_html` puts :func:`time_sections` after "How the forecast moved".
Every text from the analyst's files is HTML-escaped like the rest of the report; each list is
bounded (:data:`MAX_LISTED` rows, then how many more and where they are).
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from .labels import display_names, pct, points
from .result_schema import WATCH, band_label, dataset, has_node, scenario_of
from .time_result import by_date_frame, retracted_items

__all__ = ["MAX_LISTED", "milestones", "time_sections"]

MAX_LISTED = 20
"""Rows of the retracted items' and the lapsed indicators' lists (the others counted)."""

MILESTONE_DAYS = (7, 30)
"""Days after the as-of day shown in "By what date", before the deadline."""


def _e(value: object) -> str:
    from .report import escape

    return escape(value)


def milestones(result: xr.DataTree) -> pd.DataFrame:
    """The by-date curve at a few dates: +7 days, +30 days (before the deadline), the deadline.

    Returns
    -------
    pandas.DataFrame
        Columns ``when`` (e.g. ``"+7 days"``, ``"deadline"``), ``date``, ``p``, ``low``, ``high``
        (probabilities in [0, 1]); empty without a deadline or with no day left.

    Examples
    --------
    >>> milestones(result)["when"].tolist()  # doctest: +SKIP
    ['+7 days', '+30 days', 'deadline']
    """
    frame = by_date_frame(result)
    columns = ["when", "date", "p", "low", "high"]
    if frame is None or not len(frame):
        return pd.DataFrame(columns=columns)
    cols = frame.columns[1:4]
    picks = [(f"+{d} days", d - 1) for d in MILESTONE_DAYS if d < len(frame)]
    picks.append(("deadline", len(frame) - 1))
    rows = [
        (when, frame["date"].iloc[k], *(float(frame[c].iloc[k]) for c in cols)) for when, k in picks
    ]
    return pd.DataFrame(rows, columns=columns)


def time_sections(result: xr.DataTree, *, chart_svg: str | None = None) -> str:
    """Return the HTML of "By what date", "Retracted items" and "Lapsed indicators".

    Each section only when it has something to say (a deadline, an applied retraction, a lapsed
    indicator). ``chart_svg``: the by-date chart's inline SVG (drawn here when not given).

    Examples
    --------
    >>> "By what date" in time_sections(forecast.run(scenario_with_deadline))  # doctest: +SKIP
    True
    """
    return (
        _not_yet_known(result)
        + _by_what_date(result, chart_svg)
        + _retracted(result)
        + _lapsed(result)
    )


def _not_yet_known(result: xr.DataTree) -> str:
    """The items dated after the as-of day: left out, not yet known on it."""
    import json

    left = [str(i) for i in json.loads(str(result.attrs.get("left_out", "[]") or "[]"))]
    if not left:
        return ""
    rows = "".join(f'<li class="id">{_e(i)}</li>' for i in left[:MAX_LISTED])
    more = _more(
        len(left), "items not yet known", "the evidence folder (dated after the as-of day)"
    )
    return f"""<h2>Not yet known</h2>
<p>{len(left):,} item{"s" * (len(left) != 1)} dated after the as-of day
{_e(result.attrs.get("as_of", ""))} {"are" if len(left) != 1 else "is"} left out: not yet
known on that day.</p>
<ul>{rows}</ul>
{more}"""


def _by_what_date(result: xr.DataTree, chart_svg: str | None) -> str:
    table = milestones(result)
    if not len(table):
        return ""
    outcome = display_names(result).outcome
    if chart_svg is None:
        from .charts.by_date import plot_by_date
        from .charts.export import svg_text

        chart_svg = svg_text(plot_by_date(result), salt="by_date")
    rows = "".join(
        f'<tr><td>{_e(r.when)}</td><td class="num">{_e(r.date)}</td>'
        f'<td class="num">{pct(r.p, 1)}</td><td class="num">{pct(r.low, 1)}–{pct(r.high, 1)}</td></tr>'
        for r in table.itertuples()
    )
    when = str(result.attrs.get("as_of", ""))
    return f"""<h2>By what date</h2>
<p>The probability that {_e(outcome)} happens by each date, given what was known as of {_e(when)}
and that it had not happened by then; on the deadline it is the headline.</p>
<table class="evidence"><tr><th>When</th><th class="num">By the end of</th>
<th class="num">P({_e(outcome)})</th><th class="num">{_e(band_label(result))} band</th></tr>
{rows}</table>
<figure>{chart_svg}<figcaption>{_e(_caption(result))}</figcaption></figure>
"""


def _caption(result: xr.DataTree) -> str:
    from .outputs import caption
    from .result_schema import band_percentiles

    return caption(
        "by_date",
        outcome=display_names(result).outcome,
        band=band_label(result),
        percentiles=band_percentiles(result),
    )


def _retracted(result: xr.DataTree) -> str:
    """The items retracted by the as-of day, with their dates and reasons."""
    gone = retracted_items(result)
    if not gone:
        return ""
    items = [e for e in scenario_of(result).evidence if e.id in gone]
    rows = "".join(
        f'<tr><td class="id">{_e(e.id)}</td><td>{_e(e.title)}</td>'
        f'<td class="num">{_e(e.date)}</td><td class="num">{_e(e.retracted.date)}</td>'
        f"<td>{_e(e.retracted.reason)}</td></tr>"
        for e in items[:MAX_LISTED]
        if e.retracted is not None
    )
    more = _more(len(items), "retracted items", "trajectory.csv (rows 'retracted')")
    return f"""<h2>Retracted items</h2>
<p>Items found false after they were recorded: each counted on the days before its retraction and
not from it on (the earlier rows keep it, the honest record of what was believed).</p>
<table class="evidence"><tr><th>Item</th><th>Title</th><th class="num">Recorded</th>
<th class="num">Retracted</th><th>Reason</th></tr>
{rows}</table>
{more}"""


def _lapsed(result: xr.DataTree) -> str:
    """The indicators whose date passed with nothing recorded, and what "not seen" would do."""
    if not has_node(result, WATCH):
        return ""
    from .indicators import watch_frame

    table = watch_frame(dataset(result, WATCH))
    if "status" not in table:
        return ""
    lapsed = table[table["status"] == "lapsed"]
    if not len(lapsed):
        return _seen_late(table.attrs.get("seen_late", []), "Indicators recorded late")
    o = table.attrs["outcome"]
    shown = display_names(result).outcome
    now = float(table.attrs["p_outcome"])
    rows = "".join(
        f'<tr><td class="id">{_e(r["indicator_id"])}</td><td>{_e(r["title"])}</td>'
        f'<td class="num">{_e(r["by"])}</td>'
        f'<td class="num">{pct(r[f"p_{o}_if_not_seen"], 1)}</td>'
        f'<td class="num">{points(r[f"p_{o}_if_not_seen"] - now, 1, sign=True)}</td></tr>'
        for _, r in lapsed.head(MAX_LISTED).iterrows()
    )
    more = _more(len(lapsed), "lapsed indicators", "watch.csv (status 'lapsed')")
    return f"""<h2>Lapsed indicators</h2>
<p>Their date passed before the as-of day and nothing was recorded. If they were not seen, record
each as evidence: P({_e(shown)}) would go from {pct(now, 1)} to the value below (each alone).</p>
<table class="evidence"><tr><th>Indicator</th><th>What would have been seen</th>
<th class="num">By</th><th class="num">P({_e(shown)}) if recorded not seen</th>
<th class="num">Change</th></tr>
{rows}</table>
{more}{_seen_late(table.attrs.get("seen_late", []))}"""


def _seen_late(late: list, heading: str = "") -> str:
    """The indicators recorded as seen after their date (not seen in time), if any."""
    if not late:
        return ""
    rows = "".join(
        f'<tr><td class="id">{_e(x["indicator_id"])}</td><td class="num">{_e(x["by"])}</td>'
        f'<td class="num">{_e(x["date"])}</td></tr>'
        for x in late[:MAX_LISTED]
    )
    more = _more(len(late), "indicators recorded late", "forecast watch")
    head = f"<h2>{_e(heading)}</h2>\n" if heading else ""
    return f"""{head}<p>Recorded as seen after their date, not in time: if it happened by its date,
give the item's event_date; if not, the indicator lapsed (record it as not seen by its date).</p>
<table class="evidence"><tr><th>Indicator</th><th class="num">By</th>
<th class="num">Recorded</th></tr>
{rows}</table>
{more}"""


def _more(count: int, what: str, where: str) -> str:
    if count <= MAX_LISTED:
        return ""
    return f'<p class="meta">{count - MAX_LISTED:,} more {_e(what)} in {_e(where)}.</p>\n'
