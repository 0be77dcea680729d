"""The portfolio dashboard: one self-contained ``portfolio.html`` for many questions.

One row per question with its probability and band, the change since the previous run, a
sparkline of its trajectory (inline SVG), the last item, the top driver, lapsed indicators, the
deadline and a link to the question's ``report.html``. The same rules as the report
(:mod:`forecast.report`): every analyst's text escaped (:func:`forecast.report.escape`), the same
Content-Security-Policy (:data:`forecast.report.CSP`: no script, nothing loaded). Sorting works
without script: the table is written in three orders (probability, change, deadline), each
a section shown by its link's ``#fragment`` (CSS ``:target``). Bounded at any size: each order
shows its first :data:`DASHBOARD_ROWS` rows and the failed folders their first
:data:`FAILED_ROWS`; every row is in ``portfolio.csv``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .labels import pct, pp
from .outdir import atomic_write
from .report import CSP, escape

if TYPE_CHECKING:
    from .portfolio import FolderResult

__all__ = ["DASHBOARD_ROWS", "FAILED_ROWS", "dashboard_html", "sparkline", "write_dashboard"]

DASHBOARD_ROWS = 250
"""Rows shown in each sorted view (the rest are counted; all are in portfolio.csv)."""
FAILED_ROWS = 100
"""Failed folders listed (the rest are counted)."""
QUESTION_LENGTH = 300

_CSS = """
:root { --ink: #222; --muted: #666; --rule: #ddd; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1400px; padding: 20px 24px 60px; }
h1 { font-size: 1.5em; margin: 0.2em 0 0.2em; }
h2 { font-size: 1.15em; margin: 1.6em 0 0.4em; }
.meta { color: var(--muted); font-size: 0.85em; }
nav a { margin-right: 1.2em; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; margin: 0.5em 0 1em; }
th, td { border-bottom: 1px solid var(--rule); padding: 5px 8px; text-align: left;
         vertical-align: middle; }
th { background: #f5f5f5; font-weight: 600; white-space: nowrap; }
th a { color: inherit; }
th.sorted { background: #e3eef7; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.q { max-width: 34em; }
td.id { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.88em;
        max-width: 16em; overflow-wrap: anywhere; }
.up { color: #D55E00; } .down { color: #0072B2; }
svg.spark { display: block; }
.view { display: none; }
.view:target { display: block; }
body:not(:has(.view:target)) #by-p { display: block; }
.failed td.status { color: #a00; overflow-wrap: anywhere; }
"""

_VIEWS: tuple[tuple[str, str], ...] = (
    ("by-p", "probability, highest first"),
    ("by-change", "change since the previous run, largest move first"),
    ("by-deadline", "deadline, soonest first"),
)


def _number(value: Any) -> float | None:
    """A finite float from a row's cell, or None (empty or missing)."""
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _order(view: str) -> Callable[[FolderResult], tuple]:
    def key(r: FolderResult) -> tuple:
        row = r.row
        name = str(row["scenario"])
        if view == "by-p":
            return (-(_number(row["p"]) or 0.0), name)
        if view == "by-change":
            change = _number(row["change"])
            return (change is None, -abs(change or 0.0), name)
        deadline = str(row["deadline"] or "")
        return (not deadline, deadline, name)

    return key


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 30) -> str:
    """An inline SVG sparkline of probabilities (0 at the bottom, 1 at the top, 50% dashed).

    Parameters
    ----------
    values : sequence of float
        P(outcome) after each step, fractions.
    width, height : int
        Size in CSS pixels.

    Examples
    --------
    >>> sparkline([0.35, 0.4, 0.47]).startswith("<svg")
    True
    """
    pad = 3
    n = len(values)
    if n == 0:
        return ""

    def xy(k: int, p: float) -> str:
        x = pad + (width - 2 * pad) * (k / (n - 1) if n > 1 else 1.0)
        y = pad + (height - 2 * pad) * (1.0 - min(max(p, 0.0), 1.0))
        return f"{x:.1f},{y:.1f}"

    points = " ".join(xy(k, p) for k, p in enumerate(values))
    last = xy(n - 1, values[-1]).split(",")
    label = f"P from {pct(values[0], 0)} to {pct(values[-1], 0)} over {n - 1} steps"
    mid = height / 2
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<line x1="{pad}" y1="{mid}" x2="{width - pad}" y2="{mid}" stroke="#ccc" '
        'stroke-dasharray="2,2"/>'
        f'<polyline points="{points}" fill="none" stroke="#0072B2" stroke-width="1.5"/>'
        f'<circle cx="{last[0]}" cy="{last[1]}" r="2.2" fill="#0072B2"/></svg>'
    )


def _pct(value: Any) -> str:
    number = _number(value)
    return "" if number is None else pct(number)


def _change(value: Any) -> str:
    number = _number(value)
    if number is None:
        return '<td class="num meta">new</td>'
    points = pp(number, sign=True, plus_zero=True)
    css = "up" if number > 0.0005 else "down" if number < -0.0005 else ""
    return f'<td class="num {css}">{points}</td>'


def _lapsed(text: Any, shown: int = 3) -> str:
    ids = str(text or "").split()
    if not ids:
        return ""
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return f"{len(ids)}: {escape(', '.join(ids[:shown]))}{more}"


def _row(r: FolderResult, linked: bool) -> str:
    row = r.row
    name = str(row["scenario"])
    question = escape(str(row["question"])[:QUESTION_LENGTH])
    if linked:
        question = f'<a href="{escape(quote(name))}/report.html">{question}</a>'
    band = f"{_pct(row['p_low'])}&ndash;{_pct(row['p_high'])}"
    band = "" if _pct(row["p_low"]) == _pct(row["p_high"]) else band  # exact inputs: no band
    return (
        f'<tr data-scenario="{escape(name)}"><td class="q">{question}<div class="meta">'
        f"{escape(name)} &middot; P({escape(row['outcome'])})</div></td>"
        f'<td class="num p">{_pct(row["p"])}<div class="meta">{band}</div></td>'
        f"{_change(row['change'])}<td>{sparkline(r.trajectory)}</td>"
        f'<td class="id">{escape(row["last_item"])}</td>'
        f'<td class="id">{escape(row["top_driver"])}</td>'
        f'<td class="id">{_lapsed(row["lapsed_indicators"])}</td>'
        f'<td class="num deadline">{escape(row["deadline"])}</td>'
        f'<td class="num">{escape(row["as_of"])}</td></tr>'
    )


def _head(view: str) -> str:
    def sortable(target: str, text: str, css: str = "num") -> str:
        mark = " &#9660;" if target == view else ""
        cls = f"{css} sorted" if target == view else css
        return f'<th class="{cls}"><a href="#{target}">{text}</a>{mark}</th>'

    return (
        "<thead><tr><th>question</th>"
        + sortable("by-p", "probability")
        + sortable("by-change", "change (points)")
        + "<th>trajectory</th><th>last item</th><th>top driver</th><th>lapsed indicators</th>"
        + sortable("by-deadline", "deadline")
        + '<th class="num">as of</th></tr></thead>'
    )


def _view(view: str, title: str, ok: list[FolderResult], linked: set[str]) -> str:
    shown = sorted(ok, key=_order(view))[:DASHBOARD_ROWS]
    rows = "".join(_row(r, str(r.row["scenario"]) in linked) for r in shown)
    more = (
        f'<p class="meta">the first {DASHBOARD_ROWS:,} of {len(ok):,} questions; every row is '
        "in portfolio.csv</p>"
        if len(ok) > DASHBOARD_ROWS
        else ""
    )
    return (
        f'<section class="view" id="{view}"><h2>Sorted by {escape(title)}</h2>'
        f"<table>{_head(view)}<tbody>{rows}</tbody></table>{more}</section>"
    )


def _failed(failed: list[FolderResult]) -> str:
    if not failed:
        return ""
    rows = "".join(
        f'<tr data-scenario="{escape(r.row["scenario"])}"><td class="id">'
        f'{escape(r.row["scenario"])}</td><td class="status">{escape(r.row["status"])}</td></tr>'
        for r in failed[:FAILED_ROWS]
    )
    more = (
        f'<p class="meta">and {len(failed) - FAILED_ROWS:,} more in portfolio.csv</p>'
        if len(failed) > FAILED_ROWS
        else ""
    )
    return (
        f'<h2 id="failed">{len(failed):,} folder{"s" * (len(failed) != 1)} did not run</h2>'
        '<table class="failed"><thead><tr><th>folder</th><th>error</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>{more}"
    )


def dashboard_html(
    results: Sequence[FolderResult], *, stamp: dt.datetime, linked: set[str] | None = None
) -> str:
    """The dashboard page for the folders' results (:func:`forecast.portfolio.run_job`).

    Parameters
    ----------
    results : sequence of FolderResult
        One per folder, as in ``portfolio.csv``.
    stamp : datetime
        When the portfolio ran (shown in the header).
    linked : set of str, optional
        Output names whose ``<name>/report.html`` exists: their question links to it.

    Examples
    --------
    >>> page = dashboard_html(port.results, stamp=clock.now())  # doctest: +SKIP
    """
    linked = linked or set()
    ok = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    nav = " ".join(f'<a href="#{v}">by {v.removeprefix("by-")}</a>' for v, _ in _VIEWS)
    nav = nav.replace(">by p<", ">by probability<")
    views = "".join(_view(v, title, ok, linked) for v, title in _VIEWS)
    summary = f"{len(ok):,} question{'s' * (len(ok) != 1)}"
    if failed:
        summary += f', <a href="#failed">{len(failed):,} failed</a>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
{CSP}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portfolio: {len(results):,} questions</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Portfolio</h1>
<p class="meta">{summary}; run {escape(stamp.isoformat(timespec="seconds"))}.</p>
<nav>Sort by: {nav}</nav>
{views}
{_failed(failed)}
</body>
</html>
"""


def write_dashboard(
    results: Sequence[FolderResult], out: str | Path, *, stamp: dt.datetime
) -> Path:
    """Write ``<out>/portfolio.html`` (atomically); returns its path.

    A question links to ``<out>/<name>/report.html`` when that file exists.

    Examples
    --------
    >>> write_dashboard(port.results, "out", stamp=clock.now())  # doctest: +SKIP
    PosixPath('out/portfolio.html')
    """
    out = Path(out)
    linked = {
        str(r.row["scenario"])
        for r in results
        if r.ok and (out / str(r.row["scenario"]) / "report.html").is_file()
    }
    page = dashboard_html(results, stamp=stamp, linked=linked)
    path = out / "portfolio.html"

    def write(tmp: Path) -> None:
        tmp.write_text(page, encoding="utf-8")

    atomic_write(path, write)
    return path
