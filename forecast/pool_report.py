"""The report of a pool: one self-contained ``report.html`` in the pool's ``OUT``.

The same rules as the briefing report (:mod:`forecast.report`): inline SVG charts, the
styles inline, no script, the same Content-Security-Policy, every analyst's text escaped.
Tables are bounded: at most :data:`TABLE_ROWS` analysts and items are listed (the CSVs hold all).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .charts.export import inline_svg
from .labels import pct, pp
from .outdir import atomic_write
from .report import page_head

if TYPE_CHECKING:
    from .pooling import Pool

__all__ = ["TABLE_ROWS", "conversation", "pool_report_html", "write_pool_report"]

TABLE_ROWS = 50

_CSS = """
body { font: 15px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
       color: #222; margin: 0 auto; max-width: 1180px; padding: 24px 28px 60px; }
h1 { font-size: 1.6em; line-height: 1.25; } h2 { font-size: 1.2em; margin-top: 2em;
     border-bottom: 1px solid #ddd; }
.lead { font-size: 1.15em; } .lead strong { color: #0072B2; }
.meta { color: #666; font-size: 0.85em; }
.warning { background: #fff3cd; border: 1px solid #d9a400; padding: 8px 12px; font-weight: 600; }
figure { margin: 0.8em 0 1.6em; } figure svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.88em; }
th, td { border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; }
th { background: #f5f5f5; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
"""


def _e(value: object) -> str:
    return "" if value is None else html.escape(str(value), quote=True)


def conversation(p: Pool) -> str:
    """The sentence naming the item worth a conversation (plain text).

    Examples
    --------
    >>> conversation(team_pool)  # doctest: +SKIP
    'The item worth a conversation is maxar-new-deployments: ...'
    """
    c = p.consensus
    o = p.team.outcome
    if c is None:
        return "The analysts do not share their hypotheses, so their judgements cannot be compared."
    if not len(c.disagreement):
        return "No evidence item was written by more than one analyst: nothing to compare."
    top = c.disagreement.iloc[0]
    if top["swing"] <= 0:
        return "The analysts read every shared item the same way: no item moves the consensus."
    return (
        f"The item worth a conversation is {top['evidence_id']}: read as each of its analysts "
        f"({top['analysts']}) read it, it moves the consensus P({o}) between "
        f"{pct(top[f'p_{o}_min'], 1)} and {pct(top[f'p_{o}_max'], 1)} "
        f"(a swing of {pp(top['swing'])} points)."
    )


def _table(frame: pd.DataFrame, columns: dict[str, str], numeric: set[str]) -> str:
    head = "".join(
        f'<th class="num">{_e(t)}</th>' if c in numeric else f"<th>{_e(t)}</th>"
        for c, t in columns.items()
    )
    body = []
    for _, row in frame.head(TABLE_ROWS).iterrows():
        cells = "".join(
            f'<td class="num">{_e(row[c])}</td>' if c in numeric else f"<td>{_e(row[c])}</td>"
            for c in columns
        )
        body.append(f"<tr>{cells}</tr>")
    more = len(frame) - TABLE_ROWS
    tail = f'<p class="meta">... and {more:,} more rows (all in the CSV).</p>' if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{tail}"


def pool_report_html(p: Pool, *, svgs: dict[str, str] | None = None) -> str:
    """Return the pool's report as one HTML page (charts given as inline ``<svg>`` text).

    Examples
    --------
    >>> pool_report_html(team_pool)[:15]  # doctest: +SKIP
    '<!DOCTYPE html>'
    """
    svgs = svgs or {}
    o = p.team.outcome
    question = p.team.analysts[0].scenario.question
    table = p.table.copy()
    for col in (f"p_{o}", f"p_{o}_low", f"p_{o}_high", "weight"):
        table[col] = [pct(v, missing="") for v in table[col]]
    pooled = _table(
        table,
        {"analyst": "analyst", "weight": "weight", f"p_{o}": f"P({o})",
         f"p_{o}_low": "band low", f"p_{o}_high": "band high"},
        {"weight", f"p_{o}", f"p_{o}_low", f"p_{o}_high"},
    )  # fmt: skip
    parts = [
        f'<p class="meta">Pool of {len(p.team.analysts)} analysts · as of {_e(p.team.as_of)}</p>',
        f"<h1>{_e(question)}</h1>",
        f'<p class="lead">Pooled P({_e(o)}) ({_e(p.method)}): <strong>{pct(p.headline, missing="")}</strong>.'
        f" {_e(conversation(p))}</p>",
        "<h2>The analysts and the pools</h2>",
        pooled,
    ]
    parts += [f'<p class="warning">{_e(n)}</p>' for n in p.notes]
    if "pool" in svgs:
        parts.append(svgs["pool"])
    c = p.consensus
    if c is not None:
        d = c.disagreement.copy()
        d["spread"] = [f"{v:.2f}" for v in d["spread"]]
        d["swing"] = [f"{pp(v)} pts" for v in d["swing"]]
        for col in (f"p_{o}_min", f"p_{o}_max"):
            d[col] = [pct(v, missing="") for v in d[col]]
        parts += [
            "<h2>Disagreement that matters</h2>",
            f"<p>Consensus P({_e(o)}) {pct(c.p_point, missing='')} (the consensus scenario is in "
            "<code>consensus/</code>, its run in <code>consensus/out/</code>).</p>",
            svgs.get("disagreement", ""),
            _table(
                d,
                {
                    "evidence_id": "item",
                    "analysts": "analysts",
                    "spread": "spread (log)",
                    "swing": "swing",
                    f"p_{o}_min": "lowest",
                    f"p_{o}_max": "highest",
                },
                {"spread", "swing", f"p_{o}_min", f"p_{o}_max"},
            ),  # fmt: skip
        ]
        parts += [f'<p class="warning">WARNING: {_e(w)}</p>' for w in c.warnings]
    body = "\n".join(parts)
    return f"""{page_head(question, _CSS)}<body>
{body}
</body>
</html>
"""


def write_pool_report(p: Pool, out: str | Path, *, svg_files: dict[str, Path]) -> Path:
    """Write ``report.html`` into ``out`` (atomically), the charts read from ``svg_files``."""
    svgs = {
        name: f"<figure>{inline_svg(path.read_text(encoding='utf-8'), salt=name)}</figure>"
        for name, path in svg_files.items()
    }
    path = Path(out) / "report.html"
    text = pool_report_html(p, svgs=svgs)

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, write)
    return path
