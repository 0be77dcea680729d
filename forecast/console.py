"""Terminal text of the commands: the run's table, the watch list, the score table, progress.

What :mod:`forecast.cli` prints and :mod:`forecast.pipeline` says, bounded at 10,000 items (the
first and the latest rows, then a count), analyst text made printable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .inputs.text import printable
from .inputs.text import printable_lines as plain  # analyst text for the terminal, by line

__all__ = [
    "Say",
    "format_table",
    "format_watch",
    "indicators_summary",
    "items",
    "plain",
    "progress_printer",
    "quiet",
    "scenario_summary",
    "score_line",
    "score_table",
    "some",
]

Say = Callable[[str], None]
"""Where a pipeline says a line: ``print``, a logger, or :func:`quiet`."""


def quiet(text: str) -> None:
    """Say nothing: the default ``say`` and ``warn`` of the pipelines called from Python."""


TABLE_ROWS = 60  # run prints every step up to this many; beyond, the prior and the latest
TABLE_TAIL = 40


def items(n: int) -> str:
    """Return ``"1 evidence item"``, ``"2 evidence items"``.

    Examples
    --------
    >>> items(1), items(2)
    ('1 evidence item', '2 evidence items')
    """
    return f"{n} evidence item{'s' * (n != 1)}"


def progress_printer(label: str):
    """Return a progress callback that stays silent for the first second, then reports on stderr."""
    start = time.monotonic()
    shown = False

    def progress(step: int, total: int) -> None:
        nonlocal shown
        if time.monotonic() - start < 1.0 and not shown:
            return
        shown = True
        end = "\n" if step >= total else ""
        print(f"\r{label}: step {step}/{total}", end=end, file=sys.stderr, flush=True)

    return progress


def format_table(frame, outcome: str, band: str) -> str:
    """Return the trajectory as ``forecast run`` prints it: percents, the band, the MCSE.

    Every step up to :data:`TABLE_ROWS`; beyond, the prior, a line counting the steps not shown and
    the latest :data:`TABLE_TAIL` (every step is in ``trajectory.csv``).
    """
    from .labels import pct, pct_range

    cols = [c for c in frame.columns if c.startswith("p_") and not c.endswith(("_low", "_high"))]
    show = frame[["step", "date", "evidence_id"]].copy()
    show["evidence_id"] = show["evidence_id"].replace("", "(prior)")
    for c in cols:
        show[c] = frame[c].map(lambda p: pct(p, 1, width=5))
    show[f"{outcome} {band} band"] = [
        pct_range(lo, hi, 1, sep="-", width=4)
        for lo, hi in zip(frame[f"p_{outcome}_low"], frame[f"p_{outcome}_high"], strict=True)
    ]
    show["mcse"] = frame["mcse"].map("{:.4f}".format)
    if len(show) <= TABLE_ROWS:
        return show.to_string(index=False)
    # the prior, then the latest steps; every step is in trajectory.csv
    hidden = len(show) - 1 - TABLE_TAIL
    lines = show.iloc[[0, *range(len(show) - TABLE_TAIL, len(show))]].to_string(index=False)
    head, prior, *tail = lines.splitlines()
    gap = f"  ... {hidden:,} steps not shown (every step is in trajectory.csv) ..."
    return "\n".join([head, prior, gap, *tail])


def format_watch(frame, top: int | None, shown: str | None = None) -> str:
    """Return the ranked indicators as text.

    What each would do to P(outcome) (``shown``: the outcome's label), overdue ones marked;
    shifts in percentage points.
    """
    from .labels import pct, points

    o, p_y = frame.attrs["outcome"], frame.attrs["p_outcome"]
    when = f"as of {frame.attrs['as_of']}" if frame.attrs.get("as_of") else "now"
    lines = [
        f"\nWhat to watch (P({shown or o}) {pct(p_y)} {when}; ranked by {frame.attrs['rank_by']}):"
    ]
    if frame.empty:
        lines.append("  no indicator left to watch")
    lapsed = frame[frame["status"] == "lapsed"] if "status" in frame.columns else frame.iloc[:0]
    if not lapsed.empty:
        lines.append(
            f"  {len(lapsed)} lapsed (their date is before the as-of day {frame.attrs.get('as_of')}"
            " and nothing is recorded): recorded as not seen, each would give"
        )
        for _, row in lapsed.head(10).iterrows():
            lines.append(
                f"    {row['indicator_id'][:40]}  by {row['by']}: P({o}) "
                f"{pct(row[f'p_{o}_if_not_seen'])} ('forecast observe {row['indicator_id'][:40]} "
                "--not-seen')"
            )
        if len(lapsed) > 10:
            lines.append(f"    ... and {len(lapsed) - 10} more lapsed (all in watch.csv)")
    show = frame if top is None else frame.head(top)
    width = min(max((len(i) for i in show["indicator_id"]), default=10), 40)
    band = f"p_{o}_if_seen_low" in frame.columns
    for _, row in show.iterrows():
        seen, nots = pct(row[f"p_{o}_if_seen"]), pct(row[f"p_{o}_if_not_seen"])
        if band:  # " (12%-30%)"
            ends = [
                pct(row[f"p_{o}_if_{k}_{e}"], 0)
                for k in ("seen", "not_seen")
                for e in ("low", "high")
            ]
            seen += f" ({ends[0]}-{ends[1]})"
            nots += f" ({ends[2]}-{ends[3]})"
        flag = "  OVERDUE" if row["overdue"] else ""
        lines.append(
            f"  {row['indicator_id'][:width]:<{width}}  by {row['by']}  P(seen) "
            f"{pct(row['p_seen'], 1, width=4)}  if seen {seen}, if not {nots}; shift "
            f"{points(row['expected_shift'], 1)}, {row['info_hypotheses_bits']:.3f} bits{flag}"
        )
    if top is not None and len(frame) > top:
        lines.append(f"  ... and {len(frame) - top} more (all in watch.csv)")
    overdue = list(frame["indicator_id"][frame["overdue"]])
    if overdue:
        lines.append(
            f"  {len(overdue)} overdue (their date is before the latest evidence, "
            f"{frame.attrs['latest_evidence']}): not seen by its date? record it with "
            f"'forecast observe ID --not-seen' ({', '.join(overdue[:5])}"
            f"{', ...' if len(overdue) > 5 else ''})"
        )
    best = frame.attrs["best_set"]
    if len(best["indicators"]) > 1:
        lines.append(
            f"  watching the top {len(best['indicators'])} together: expected shift "
            f"{points(best['expected_shift'], 1)} ({', '.join(best['indicators'])})"
        )
    if frame.attrs["observed"]:
        lines.append(f"  already recorded as evidence: {', '.join(frame.attrs['observed'])}")
    lines += [f"  {line}" for line in late_lines(frame.attrs.get("seen_late", []))]
    return "\n".join(lines)


def late_lines(late: Sequence[dict[str, str]], limit: int = 10) -> list[str]:
    """What is said of indicators recorded as seen after their date (not seen in time).

    Examples
    --------
    >>> late_lines([{"indicator_id": "x", "by": "2022-02-20", "date": "2022-02-25"}])[1]
    '  x: by 2022-02-20, recorded 2022-02-25'
    """
    if not late:
        return []
    lines = [
        f"{len(late)} recorded as seen after their date, not in time: if it happened by its "
        "date, give the item's event_date; if not, it lapsed (record it as not seen by its date)"
    ]
    lines += [
        f"  {x['indicator_id'][:40]}: by {x['by']}, recorded {x['date']}" for x in late[:limit]
    ]
    if len(late) > limit:
        lines.append(f"  ... and {len(late) - limit} more")
    return lines


def some(names, limit: int = 10) -> str:
    """At most ``limit`` names, then how many more (bounded output at 10,000 scenarios)."""
    names = list(names)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def score_table(scores, limit: int = 20) -> str:
    """Return the first ``limit`` rows of the scores as text, then how many more."""
    from .labels import pct

    show = scores[
        ["scenario", "outcome_happened", "resolved_on", "final_p", "brier", "log_score"]
        + ["baseline_score", "time_avg_brier", "time_avg_log_score", "days"]
    ].copy()
    show["outcome_happened"] = show["outcome_happened"].map({True: "yes", False: "no"})
    show["final_p"] = show["final_p"].map(pct)
    for c in ["brier", "log_score", "time_avg_brier", "time_avg_log_score"]:
        show[c] = show[c].map("{:.3f}".format)
    show["baseline_score"] = show["baseline_score"].map("{:.1f}".format)
    show.columns = [
        "scenario", "happened", "resolved_on", "final_p", "brier", "log_score", "baseline",
        "avg_brier", "avg_log_score", "days",
    ]  # fmt: skip
    text = show.head(limit).to_string(index=False)
    if len(show) > limit:
        text += f"\n... and {len(show) - limit} more rows in scores.csv"
    return text


def score_line(scored) -> str:
    """Return one resolved scenario's scores in a sentence (``forecast score`` of one folder)."""
    from .labels import display_names, pct

    r, o = scored.row, display_names(scored.scenario).outcome
    how = "happened" if r["outcome_happened"] else "did not happen"
    return (
        f"{o} {how} (resolved {r['resolved_on']}): final P({o}) = {pct(r['final_p'])}, "
        f"Brier {r['brier']:.3f}, log score {r['log_score']:.3f}, baseline score "
        f"{r['baseline_score']:.1f}; over {r['days']} days: Brier {r['time_avg_brier']:.3f}, "
        f"log score {r['time_avg_log_score']:.3f}"
    )


def scenario_summary(
    scenario: Any, priors: Any, evidence: Any, *, listed: int = 200
) -> Iterator[str]:
    """Yield ``forecast validate``'s lines: what the scenario files hold.

    The question, outcome, hypotheses, resolution, the first ``listed`` items and groups (then a
    count), ignored files, items still a template.
    """
    p = scenario.priors
    yield f"{printable(priors)}: OK: question: {printable(p.question, 2000)}"
    yield f"  outcome: {p.outcome}"
    for name, h in p.hypotheses.items():
        yield f"  hypothesis {name}: prior {h.prior:g}, P({p.outcome}|{name}) = {h.p_outcome}"
    if p.prior_strength is not None:
        yield f"  prior strength (Dirichlet kappa): {p.prior_strength:g}"
    if p.resolution is not None:
        r = p.resolution
        how = "happened" if r.outcome else "did not happen"
        yield f"  resolution: {p.outcome} {how} on {r.date} (opened {p.opened or 'first item'})"
    yield f"{printable(evidence)}: OK: {items(len(scenario.evidence))}"
    for e in scenario.evidence[:listed]:
        extra = f", credibility {e.credibility}" if e.credibility is not None else ""
        extra += f", group {printable(e.group, 100)}" if e.group else ""
        yield f"  {e.date} {e.id}: reliability {e.r:g}{extra}"
        for name, note in e.notes.items():
            yield f"      {printable(name, 60)}: {printable(note, 200)}"
    if len(scenario.evidence) > listed:
        yield f"  ... and {len(scenario.evidence) - listed:,} more items, all valid"
    used = sorted({e.group for e in scenario.evidence if e.group})
    for g in used[:listed]:
        n = sum(e.group == g for e in scenario.evidence)
        how = "" if g in p.groups else " (not in priors.yaml: default)"
        yield (
            f"  group {printable(g, 100)}: {n} items, correlation {scenario.correlation(g):g}{how}"
        )
    for name, why in scenario.ignored[:20]:
        yield f"  ignored: {printable(name, 200)} ({why})"
    if len(scenario.ignored) > 20:
        yield f"  ignored: {len(scenario.ignored) - 20} more files"
    todo = [e.id for e in scenario.evidence if "TODO" in e.title or "TODO" in e.source]
    if todo:
        yield f"note: still a template (TODO): {', '.join(todo)}"


def indicators_summary(indicators: Sequence[Any], scenario: Any) -> Iterator[str]:
    """Yield ``forecast validate``'s lines on the indicators, overdue and recorded ones marked."""
    yield f"indicators: OK: {len(indicators)} indicators"
    from .observations import seen_in_time

    latest = max((e.date for e in scenario.evidence), default=None)
    items = {e.id: e for e in scenario.evidence}
    for ind in indicators:
        state = " (recorded as evidence)" if ind.id in items else ""
        if state and not seen_in_time(ind, items[ind.id]):
            state = " (recorded as seen after its date, not in time: give its event_date if it happened by then)"
        if not state and latest is not None and ind.by < latest:
            state = " (overdue: record it with 'forecast observe ID --not-seen')"
        yield f"  by {ind.by} {ind.id}{state}"
