"""The ``forecast`` command line: run, charts, report, score, validate, new-evidence, schema.

Exit codes: 0 success, 2 bad input (:class:`forecast.errors.InputError` or
:class:`forecast.ScenarioError`: a message naming the file and field, no traceback, nothing
written), 1 anything else ("internal error", the traceback saved to a file in the temp folder).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Literal

from .errors import InputError
from .scenario import (
    EvidenceItem,
    Priors,
    ScenarioError,
    hypothesis_names,
    load_scenario,
    new_evidence,
    printable,
)

__all__ = ["main"]

BAD_INPUT = 2
MAX_DRAWS = 1_000_000
MAX_SEED = 2**32 - 1
LISTED = 200  # items (and groups) listed by validate; the rest are counted
TABLE_ROWS = 60  # run prints every step up to this many; beyond, the prior and the latest
TABLE_TAIL = 40


def _whole_number(low: int, high: int):
    """Return an argparse type: a whole number in [low, high], refused with the range otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number, got {text[:40]!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:,} to {high:,}, got {text[:40]}")
        return value

    return parse


def _items(n: int) -> str:
    return f"{n} evidence item{'s' * (n != 1)}"


def _progress_printer(label: str):
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


def _format_table(frame, outcome: str, band: str) -> str:
    cols = [c for c in frame.columns if c.startswith("p_") and not c.endswith(("_low", "_high"))]
    show = frame[["step", "date", "evidence_id"]].copy()
    show["evidence_id"] = show["evidence_id"].replace("", "(prior)")
    for c in cols:
        show[c] = (frame[c] * 100).map("{:5.1f}%".format)
    show[f"{outcome} {band} band"] = [
        f"{lo * 100:4.1f}-{hi * 100:4.1f}%"
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


def _plain(text) -> str:
    """Analyst text for the terminal, line by line (:func:`forecast.scenario.printable`)."""
    return "\n".join(printable(line, 100_000) for line in str(text).splitlines())


CHART_NAMES = ("timeline", "impact", "ach", "sensitivity", "distribution", "watch")
RUN_FILES = ("trajectory.csv", "attribution.csv", "watch.csv", "posterior.nc", "report.html")


def _is_chart(name: str) -> bool:
    from .charts import FORMATS

    stem, _, ext = name.rpartition(".")
    return stem in CHART_NAMES and ext in FORMATS


def _run_set(name: str) -> bool:
    """Return the files of a run's set in ``out/``.

    ``forecast run`` replaces them together (or drops them).
    """
    return name in RUN_FILES or _is_chart(name)


def _check_out(args) -> Path:
    """Return ``--out`` as given, refused where a command would write among the analyst's files.

    :func:`forecast.guard.refuse_out`: InputError when it is a symbolic link or a file, inside
    a scenario's evidence or indicators folder, or a folder holding a scenario's files (a
    command swaps the whole folder).
    """
    from .guard import Folder, refuse_out, scenario_folders

    scenarios = []
    if getattr(args, "priors", None) and getattr(args, "evidence", None):
        scenarios.append(
            (Path(args.priors), Path(args.evidence), getattr(args, "indicators", None))
        )
    for folder in getattr(args, "dirs", None) or []:  # score
        scenarios.append((Path(folder) / "priors.yaml", Path(folder) / "evidence", None))
    protected: list[Folder] = []
    holds: list[Folder] = []
    for priors, evidence, indicators in scenarios:
        protected += scenario_folders(priors, evidence, indicators)
        holds += [Folder(priors, "the scenario's priors file"), Folder(evidence, "the evidence")]
    return refuse_out(args.out, protected=protected, holds=holds)


def _previous_result(path: Path):
    """Return the earlier run kept at ``path``, or None.

    Checked as untrusted input: InputError if it is not a forecast result.
    """
    from .results import load_result

    if not path.exists():
        return None
    try:
        return load_result(path)
    except InputError as exc:
        raise InputError(
            f"{exc}\n  (it is the earlier run in {path.parent}: move it away or choose another --out)"
        ) from None


def _since_last_run(result, previous, previous_path: Path, outcome: str):
    """Say what changed since the earlier run and keep its trajectory.

    For a different question, say so in one line and keep nothing of it.
    """
    from .results import changes_since, keep_previous, same_question

    if previous is None:
        return result
    if not same_question(previous, result):
        print(
            f"\n{previous_path} holds a different question, not compared: "
            f'"{_plain(previous.attrs.get("question"))}" (outcome '
            f"{_plain(previous.attrs.get('outcome'))}); this run: "
            f'"{_plain(result.attrs.get("question"))}" (outcome {_plain(outcome)})'
        )
        return result
    changes = changes_since(previous, result)
    print("\n" + _plain(changes.describe(outcome)))
    return keep_previous(result, previous, changes)


def _compute(args, scenario):
    """Run the model; returns the result and the ForecastWarnings raised."""
    from .inference import ForecastWarning, run

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        result = run(
            scenario,
            method=args.method,
            draws=args.draws,
            seed=args.seed,
            progress=_progress_printer(f"{args.method} route"),
            attribution=True,
        )
    result.attrs["command"] = " ".join(["forecast", *args.argv])
    result.attrs["evidence_folder"] = str(Path(args.evidence))
    return result, caught


def _print_run(scenario, result, frame, args) -> None:
    print(printable(scenario.question, 2000))
    print(
        f"{_items(len(scenario.evidence))}, {len(scenario.hypotheses)} hypotheses, "
        f"method {args.method}, seed {args.seed}, {args.draws} draws\n"
    )
    from .result_schema import ATTRIBUTION, band_label

    print(_plain(_format_table(frame, scenario.outcome, band_label(result))))
    last = frame.iloc[-1]
    o = scenario.outcome
    print(
        f"\nP({o}) = {last[f'p_{o}']:.1%} ({band_label(result)} judgement band "
        f"{last[f'p_{o}_low']:.1%} to {last[f'p_{o}_high']:.1%}; MCSE {last['mcse']:.4f})"
    )
    if result[ATTRIBUTION].attrs["explanation"]:
        print(_plain(result[ATTRIBUTION].attrs["explanation"]))


def _write_run(result, staging: Path, charts: bool) -> list[str]:
    """Write the run's set into ``staging``; returns the names written."""
    from .results import save_result

    names = [p.name for p in save_result(result, staging).values()]
    if charts:
        from .charts import save_all
        from .report import write_report

        saved = save_all(result, staging, formats=("png", "svg"), dpi=200, processes=2)
        names += [p.name for p in saved]
        svgs = {p.stem: p for p in saved if p.suffix == ".svg"}  # drawn once, for both
        names.append(write_report(result, staging, svg_files=svgs).name)
    return names


def _cmd_run(args) -> int:
    # imported here: validate, new-evidence and schema need neither xarray nor scipy
    from .inference import DEFAULT_DRAWS
    from .outdir import output_set
    from .results import trajectory_frame

    args.draws = DEFAULT_DRAWS if args.draws is None else args.draws
    out = _check_out(args)
    scenario = _load(args)
    from .resultfile import check_scenario_fits

    check_scenario_fits(scenario, str(args.evidence))  # what run writes, it reads back
    indicators = _indicators(args, scenario)  # bad indicator files: exit 2 before any work
    with output_set(out, _run_set) as staging:  # out/ changes all at once, or not at all
        previous = _previous_result(out / "posterior.nc")
        result, caught = _compute(args, scenario)
        _print_run(scenario, result, trajectory_frame(result), args)
        result = _since_last_run(result, previous, out / "posterior.nc", scenario.outcome)
        watch_table = None
        if indicators is not None:
            result, watch_table = _watch_into(result, indicators)
        names = _write_run(result, staging, charts=not args.no_charts)
        if watch_table is not None:  # its chart, if any, drawn by save_all with the others
            names += _write_watch(result, watch_table, staging, top=5, charts=False)
    for w in caught:
        print(f"WARNING: {_plain(w.message)}", file=sys.stderr)
    print("wrote " + ", ".join(str(out / n) for n in names if not _is_chart(n)))
    if not args.no_charts:
        print(f"wrote {sum(map(_is_chart, names))} charts (PNG, SVG) into {out}")
    return 0


def _saved_result(args):
    """Return the result saved by ``forecast run``, checked as untrusted input.

    From ``--result``, default ``<out>/posterior.nc``; InputError when missing or not a forecast
    result.
    """
    from .results import load_result

    path = Path(args.result) if args.result else Path(args.out) / "posterior.nc"
    if not path.is_file():
        raise InputError(
            f"no saved result at {path}; run 'forecast run --out {args.out}' first "
            "(or point --result at a posterior.nc)"
        )
    return load_result(path)


def _cmd_charts(args) -> int:
    from .charts import chart_formats, save_all
    from .outdir import output_set

    try:
        formats = chart_formats(args.format.split(","))
    except ValueError:
        raise InputError(
            f"--format takes png, svg and/or pdf separated by commas; got {args.format!r}"
        ) from None
    out = _check_out(args)
    result = _saved_result(args)
    with output_set(out, lambda name: _is_chart(name) and name.rsplit(".")[-1] in formats) as st:
        paths = save_all(result, st, formats=formats, dpi=args.dpi, processes=2)
    print(f"wrote {len(paths)} charts into {out}: " + ", ".join(p.name for p in paths))
    return 0


STALE = "the files changed since this result was computed: run `forecast run`"


def _cmd_report(args) -> int:
    if args.notebook is not None:
        return _report_notebook(args)
    from .outdir import output_set
    from .report import write_report
    from .results import input_changes
    from .scenario import input_hashes

    out = _check_out(args)
    result = _saved_result(args)
    current = None
    if Path(args.priors).is_file():  # compared only with the scenario named (default: here)
        current = input_hashes(args.priors, args.evidence, named=args.evidence_named)
    changed = input_changes(result, current, of=(args.priors, args.evidence))
    warning = None
    if changed:
        shown = ", ".join(changed[:10]) + (
            f" and {len(changed) - 10} more" if len(changed) > 10 else ""
        )
        warning = f"{STALE} ({shown})"
        print(f"WARNING: {_plain(warning)}", file=sys.stderr)
    with output_set(out, lambda name: name == "report.html") as staging:
        write_report(result, staging, warning=warning)
    print(f"wrote {out / 'report.html'}")
    return 0


def _report_notebook(args) -> int:
    """Run ``report --notebook``.

    Execute the notebook on the scenario (papermill), write the executed notebook and its HTML
    export into ``--out``, its charts into ``<out>/<name>/``.
    """
    from .notebook import NotebookError, execute_notebook

    notebook = Path(args.notebook)
    if not notebook.is_file():
        raise InputError(f"notebook {notebook} not found")
    _load(args)  # bad files: every problem listed, exit 2
    out = _check_out(args)
    parameters = {
        "priors": Path(args.priors),
        "evidence": Path(args.evidence),
        "out": out / notebook.stem,
        "seed": args.seed,
    }
    print(f"executing {notebook} on {args.priors} and {args.evidence} ...", file=sys.stderr)
    try:
        ipynb, html = execute_notebook(notebook, out, parameters, code=not args.no_code)
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {ipynb}, {html}")
    return 0


def _cmd_score(args) -> int:
    """``score``: score the resolved scenarios, calibration across them, optionally recalibrate."""
    from .guard import unique_folders
    from .scoring import load_scenarios, score_entries

    args.dirs, repeats = unique_folders(args.dirs)
    if repeats:
        print(f"note: each folder is scored once; given again, not counted: {_some(repeats)}")
    _check_out(args)
    loaded = load_scenarios(args.dirs)  # bad files anywhere: every problem listed, exit 2
    names = _unique_names([n for n, _, _ in loaded], [str(d) for d in args.dirs])
    loaded = [(n, s, f) for n, (_, s, f) in zip(names, loaded, strict=True)]
    scores = score_entries(loaded)
    scored = scores.attrs["scored"]
    unresolved = scores.attrs["unresolved"]
    if unresolved:
        print(f"not resolved (skipped): {_some(unresolved)}")
    if not scored:
        print(
            "error: no resolved scenario to score; add a 'resolution:' block to priors.yaml "
            "(outcome, date, source)",
            file=sys.stderr,
        )
        return BAD_INPUT
    late = [s for s in scored if s.excluded]
    for s in late[:10]:
        date = s.scenario.priors.resolution.date
        print(
            f"note: {s.name}: {len(s.excluded)} item{'s' * (len(s.excluded) != 1)} dated on or "
            f"after the resolution ({date}) not used for scoring (hindsight): "
            f"{_some(s.excluded)}"
        )
    if len(late) > 10:
        print(f"note: and {len(late) - 10} more scenarios with items after their resolution")
    recal = None
    if args.recalibrate:
        from .inference import ForecastWarning
        from .recalibration import recalibrate

        print(
            f"recalibrating on {len(scored)} resolved scenarios (PyMC, nutpie) ...", file=sys.stderr
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ForecastWarning)
            recal = recalibrate(
                list(scored),
                unresolved=[s for _, s, _ in loaded if s.priors.resolution is None],
                unresolved_names=unresolved,
                seed=args.seed,
            )
        for w in caught:
            print(f"WARNING: {w.message}", file=sys.stderr)
    cal, written = _write_score(args, scores, scored, recal)
    print(_score_table(scores))
    print("wrote " + ", ".join(_plain(w) for w in written))
    if recal is not None:
        print(recal.describe())
    if len(scored) > 1:
        print(cal.describe())
    else:
        print(_score_line(scored[0]))
    return 0


SCORE_FILES = (
    *("scores.csv", "postmortem.csv", "calibration.csv", "score_summary.csv"),
    *("recalibration.nc", "recalibration.csv"),
)


def _score_set(name: str) -> bool:
    """Return the files of a score's set in ``out/``: ``score`` replaces them together."""
    from .charts import FORMATS

    stem, _, ext = name.rpartition(".")
    return name in SCORE_FILES or (stem in ("score", "calibration") and ext in FORMATS)


def _write_score(args, scores, scored, recal):
    """Write the score's set into ``--out`` at once, under its lock; returns (calibration, paths).

    :func:`forecast.outdir.output_set`: a concurrent ``run`` waits, a failure or a kill
    leaves ``out/`` as it was.
    """
    import pandas as pd

    from .charts.score import calibration_chart, save_chart, score_chart
    from .csvout import write_csv
    from .outdir import output_set
    from .scoring import calibration, postmortem

    cal = calibration(scores)
    post = pd.concat([postmortem(s, seed=args.seed) for s in scored], ignore_index=True)
    tables = {
        "scores.csv": scores,
        "postmortem.csv": post,
        "calibration.csv": cal.table,
        "score_summary.csv": cal.summary,
    }
    out = Path(args.out)
    with output_set(out, _score_set) as staging:
        names = [write_csv(frame, staging / name).name for name, frame in tables.items()]
        if len(scored) == 1:
            names += [p.name for p in save_chart(score_chart(scored[0]), staging, "score")]
        else:
            names += [p.name for p in save_chart(calibration_chart(cal), staging, "calibration")]
        if recal is not None:
            names += [p.name for p in recal.save(staging)]
    return cal, [str(out / n) for n in names]


def _some(names, limit: int = 10) -> str:
    """At most ``limit`` names, then how many more (bounded output at 10,000 scenarios)."""
    names = list(names)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _unique_names(names: list[str], paths: list[str]) -> list[str]:
    """Folder names, or the paths as given where two folders share a name."""
    dup = {n for n in names if names.count(n) > 1}
    return [p if n in dup else n for n, p in zip(names, paths, strict=True)]


def _score_table(scores, limit: int = 20) -> str:
    show = scores[
        ["scenario", "outcome_happened", "resolved_on", "final_p", "brier", "log_score"]
        + ["baseline_score", "time_avg_brier", "time_avg_log_score", "days"]
    ].copy()
    show["outcome_happened"] = show["outcome_happened"].map({True: "yes", False: "no"})
    show["final_p"] = (show["final_p"] * 100).map("{:.1f}%".format)
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


def _score_line(scored) -> str:
    r, o = scored.row, scored.scenario.outcome
    how = "happened" if r["outcome_happened"] else "did not happen"
    return (
        f"{o} {how} (resolved {r['resolved_on']}): final P({o}) = {r['final_p']:.1%}, "
        f"Brier {r['brier']:.3f}, log score {r['log_score']:.3f}, baseline score "
        f"{r['baseline_score']:.1f}; over {r['days']} days: Brier {r['time_avg_brier']:.3f}, "
        f"log score {r['time_avg_log_score']:.3f}"
    )


def _cmd_validate(args) -> int:
    scenario = _load(args)
    p = scenario.priors
    print(f"{printable(args.priors)}: OK: question: {printable(p.question, 2000)}")
    print(f"  outcome: {p.outcome}")
    for name, h in p.hypotheses.items():
        print(f"  hypothesis {name}: prior {h.prior:g}, P({p.outcome}|{name}) = {h.p_outcome}")
    if p.prior_strength is not None:
        print(f"  prior strength (Dirichlet kappa): {p.prior_strength:g}")
    if p.resolution is not None:
        r = p.resolution
        how = "happened" if r.outcome else "did not happen"
        print(f"  resolution: {p.outcome} {how} on {r.date} (opened {p.opened or 'first item'})")
    print(f"{printable(args.evidence)}: OK: {_items(len(scenario.evidence))}")
    for e in scenario.evidence[:LISTED]:
        extra = f", credibility {e.credibility}" if e.credibility is not None else ""
        extra += f", group {printable(e.group, 100)}" if e.group else ""
        print(f"  {e.date} {e.id}: reliability {e.r:g}{extra}")
        for name, note in e.notes.items():
            print(f"      {printable(name, 60)}: {printable(note, 200)}")
    if len(scenario.evidence) > LISTED:
        print(f"  ... and {len(scenario.evidence) - LISTED:,} more items, all valid")
    used = sorted({e.group for e in scenario.evidence if e.group})
    for g in used[:LISTED]:
        n = sum(e.group == g for e in scenario.evidence)
        how = "" if g in p.groups else " (not in priors.yaml: default)"
        print(
            f"  group {printable(g, 100)}: {n} items, correlation {scenario.correlation(g):g}{how}"
        )
    for name, why in scenario.ignored[:20]:
        print(f"  ignored: {printable(name, 200)} ({why})")
    if len(scenario.ignored) > 20:
        print(f"  ignored: {len(scenario.ignored) - 20} more files")
    todo = [e.id for e in scenario.evidence if "TODO" in e.title or "TODO" in e.source]
    if todo:
        print(f"note: still a template (TODO): {', '.join(todo)}")
    _validate_indicators(args, scenario)
    return 0


def _validate_indicators(args, scenario) -> None:
    """``validate`` checks the indicators too, when there are any (bad ones: exit 2)."""
    indicators = _indicators(args, scenario)
    if indicators is None:
        return
    print(f"indicators: OK: {len(indicators)} indicators")
    latest = max((e.date for e in scenario.evidence), default=None)
    for ind in indicators:
        state = " (recorded as evidence)" if ind.id in scenario.ids else ""
        if not state and latest is not None and ind.by < latest:
            state = " (overdue: record it with 'forecast observe ID --not-seen')"
        print(f"  by {ind.by} {ind.id}{state}")


def _cmd_new_evidence(args) -> int:
    hypotheses = hypothesis_names(args.priors)  # priors.yaml alone: evidence/ may be broken
    try:
        path = new_evidence(args.id, evidence=args.evidence, hypotheses=hypotheses)
    except ValueError as exc:  # a bad id: new_evidence checks nothing else
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc)) from None
    print(f"wrote {printable(path)}: edit it, then 'forecast validate'")
    if not hypotheses:
        print(
            f"note: no hypothesis names could be read from {printable(args.priors)}; "
            "replace hypothesis_a and hypothesis_b in the template by yours",
            file=sys.stderr,
        )
    return 0


def _load(args):
    """Return the scenario of ``--priors``/``--evidence``.

    An evidence folder that is a symbolic link leaving the scenario folder is read only when
    ``--evidence`` named it (:func:`forecast.guard.linked_folder`).
    """
    return load_scenario(args.priors, args.evidence, named=getattr(args, "evidence_named", True))


def _indicators_folder(args) -> Path:
    """Return ``--indicators``, or ``indicators/`` beside the evidence folder.

    The default is refused (InputError) when it is a symbolic link leaving the scenario folder.
    """
    from .guard import linked_folder

    if args.indicators is not None:
        return Path(args.indicators)
    folder = Path(args.evidence).parent / "indicators"
    why = linked_folder(folder, Path(args.priors).parent, "indicators")
    if why is not None:
        raise InputError(f"{_plain(folder)}: {why}")
    return folder


def _indicators(args, scenario):
    """Return the validated indicators of ``--indicators``, or None when there are none.

    The default is ``indicators/`` beside the evidence folder, when it exists.
    """
    from .indicators import load_indicators

    folder = _indicators_folder(args)
    if args.indicators is None and not folder.is_dir():
        return None
    return load_indicators(folder, scenario)


def _watch_result(args, scenario):
    """Return the saved ``<out>/posterior.nc`` if it is of this scenario, else a fast run.

    The saved result must also have the band's last-step draws; the fresh fast run is not saved.
    """
    from .inference import DEFAULT_DRAWS, run
    from .result_schema import POSTERIOR
    from .results import load_result

    saved = Path(args.out) / "posterior.nc"
    if saved.is_file() and args.draws is None:
        with contextlib.suppress(Exception):  # unreadable: compute afresh
            result = load_result(saved)
            if (
                result.attrs.get("scenario_hash") == scenario.hash
                and "final_p_hypothesis" in result[POSTERIOR]
                and int(result.attrs.get("seed", -1)) == args.seed
            ):
                return result
    draws = DEFAULT_DRAWS if args.draws is None else args.draws
    return run(scenario, draws=draws, seed=args.seed, progress=_progress_printer("fast route"))


def _watch_into(
    result,
    indicators,
    *,
    rank_by: Literal["shift", "info_hypotheses", "info_outcome"] = "shift",
    k: int = 3,
):
    """Return the result with the ranked indicators (:func:`forecast.watch`), and them.

    They are kept in the node ``/watch``: the report's "What would change the assessment".
    """
    from .indicators import watch, watch_dataset
    from .result_schema import WATCH, with_node

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = watch(result, indicators, rank_by=rank_by, k=k)
    for w in caught:
        print(f"WARNING: {w.message}", file=sys.stderr)
    return with_node(result, WATCH, watch_dataset(frame)), frame


def _write_watch(result, frame, out, *, top: int | None, charts: bool = True) -> list[str]:
    """Print the ranked table and the best set, write ``<out>/watch.csv`` and the watch chart.

    The table shows ``top`` rows (None: all). Returns the names written.
    """
    from .charts import save_watch_chart
    from .indicators import write_watch_csv

    print(_format_watch(frame, top))
    path = write_watch_csv(frame, out)
    drawn = save_watch_chart(result, frame, out) if len(frame) and charts else []
    return [Path(path).name, *(Path(c).name for c in drawn)]


def _format_watch(frame, top: int | None) -> str:
    """Return the ranked indicators as text.

    What each would do to P(outcome), overdue ones marked.
    """
    o, p_y = frame.attrs["outcome"], frame.attrs["p_outcome"]
    lines = [f"\nWhat to watch (P({o}) now {p_y:.1%}; ranked by {frame.attrs['rank_by']}):"]
    if frame.empty:
        lines.append("  no indicator left to watch")
    show = frame if top is None else frame.head(top)
    width = min(max((len(i) for i in show["indicator_id"]), default=10), 40)
    band = f"p_{o}_if_seen_low" in frame.columns
    for _, row in show.iterrows():
        seen = f"{row[f'p_{o}_if_seen']:.1%}"
        nots = f"{row[f'p_{o}_if_not_seen']:.1%}"
        if band:
            seen += f" ({row[f'p_{o}_if_seen_low']:.0%}-{row[f'p_{o}_if_seen_high']:.0%})"
            nots += f" ({row[f'p_{o}_if_not_seen_low']:.0%}-{row[f'p_{o}_if_not_seen_high']:.0%})"
        flag = "  OVERDUE" if row["overdue"] else ""
        lines.append(
            f"  {row['indicator_id'][:width]:<{width}}  by {row['by']}  P(seen) "
            f"{row['p_seen']:5.1%}  if seen {seen}, if not {nots}; shift "
            f"{row['expected_shift']:.3f}, {row['info_hypotheses_bits']:.3f} bits{flag}"
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
            f"{best['expected_shift']:.3f} ({', '.join(best['indicators'])})"
        )
    if frame.attrs["observed"]:
        lines.append(f"  already recorded as evidence: {', '.join(frame.attrs['observed'])}")
    return "\n".join(lines)


def _watch_set(name: str) -> bool:
    """Return the files of watch's set in ``out/``: ``watch.csv`` and the watch chart."""
    return name == "watch.csv" or (_is_chart(name) and name.startswith("watch."))


def _cmd_watch(args) -> int:
    from .indicators import MAX_SET
    from .inference import ForecastWarning
    from .outdir import output_set

    if not 1 <= args.k <= MAX_SET:
        print(f"error: --k must be between 1 and {MAX_SET}, got {args.k}", file=sys.stderr)
        return BAD_INPUT
    out = _check_out(args)
    scenario = _load(args)
    indicators = _indicators(args, scenario)
    if indicators is None:
        folder = _indicators_folder(args)
        print(
            f"error: no indicators folder {_plain(folder)}; give one with --indicators",
            file=sys.stderr,
        )
        return BAD_INPUT
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        result = _watch_result(args, scenario)
        result, frame = _watch_into(result, indicators, rank_by=args.rank_by, k=args.k)
        with output_set(out, _watch_set) as staging:  # one set, under run's lock
            names = _write_watch(result, frame, staging, top=20)
        print("wrote " + ", ".join(_plain(out / n) for n in names))
    for w in caught:
        print(f"WARNING: {w.message}", file=sys.stderr)
    return 0


def _cmd_observe(args) -> int:
    import datetime as dt

    from .indicators import observe

    scenario = _load(args)
    folder = _indicators_folder(args)
    try:
        date = dt.date.fromisoformat(args.date) if args.date else None
    except ValueError:
        print(f"error: --date expects YYYY-MM-DD, got {args.date!r}", file=sys.stderr)
        return BAD_INPUT
    try:
        path = observe(
            args.id,
            args.seen,
            indicators=folder,
            evidence=args.evidence,
            scenario=scenario,
            date=date,
        )
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return BAD_INPUT
    print(f"wrote {path}: fill in its source and quote, then 'forecast run'")
    return 0


def _cmd_schema(args) -> int:
    schemas = {
        "priors.schema.json": Priors.model_json_schema(),
        "evidence.schema.json": EvidenceItem.model_json_schema(),
    }
    if not args.write:
        print(json.dumps(schemas, indent=2))
        return 0
    folder = Path(__file__).parent / "schema"
    folder.mkdir(exist_ok=True)
    for name, schema in schemas.items():
        (folder / name).write_text(json.dumps(schema, indent=2) + "\n")
        print(f"wrote {folder / name}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forecast", description="Bayesian scenario forecasting from priors and evidence."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def files(p):
        p.add_argument("--priors", default="priors.yaml", help="priors file (priors.yaml)")
        p.add_argument("--evidence", default=None, help="evidence folder (evidence/)")

    p = sub.add_parser("run", help="update the forecast with every evidence item")
    files(p)
    p.add_argument("--out", default="out", help="output folder (out/)")
    p.add_argument(
        "--seed", type=_whole_number(0, MAX_SEED), default=0, help="random seed (default 0)"
    )
    p.add_argument(
        "--draws",
        type=_whole_number(100, MAX_DRAWS),
        help="draws per step for the band, 100 to 1,000,000 (default 4,000)",
    )
    p.add_argument("--method", choices=["fast", "nuts"], default="fast")
    p.add_argument(
        "--no-charts",
        action="store_true",
        help="no charts and no report.html (the table, trajectory.csv and posterior.nc only)",
    )
    p.add_argument(
        "--indicators",
        default=None,
        help="indicators folder: writes watch.csv (default: indicators/ beside the evidence)",
    )
    p.set_defaults(func=_cmd_run)

    def saved(p):
        p.add_argument("--out", default="out", help="output folder (out/)")
        p.add_argument(
            "--result", default=None, help="the saved result (default: <out>/posterior.nc)"
        )

    p = sub.add_parser("charts", help="re-draw the charts from a saved posterior.nc")
    saved(p)
    p.add_argument("--format", default="png,svg", help="png, svg, pdf, comma-separated")
    p.add_argument(
        "--dpi",
        type=_whole_number(10, 1200),
        default=200,
        help="resolution of PNG files, 10 to 1,200 (200; capped at 3,999 pixels a side)",
    )
    p.set_defaults(func=_cmd_charts)

    p = sub.add_parser(
        "report",
        help="write a self-contained report.html from posterior.nc, or with --notebook "
        "re-execute a notebook on the scenario and write it with its HTML export",
    )
    saved(p)
    p.add_argument(
        "--notebook",
        default=None,
        help="a notebook with a 'parameters' cell (e.g. notebooks/ukraine_2022.ipynb): executed "
        "on --priors/--evidence; writes <out>/<name>.ipynb and <out>/<name>.html",
    )
    files(p)
    p.add_argument(
        "--seed",
        type=_whole_number(0, MAX_SEED),
        default=0,
        help="random seed (with --notebook; default 0)",
    )
    p.add_argument(
        "--no-code",
        action="store_true",
        help="with --notebook: the HTML export without code cells (a briefing to send)",
    )
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "score",
        help="score resolved scenarios (scores.csv, postmortem.csv, calibration.csv, "
        "score_summary.csv); --recalibrate fits the diagnosticity exponent s",
    )
    p.add_argument(
        "dirs", nargs="*", default=["."], metavar="DIR",
        help="scenario folders, each with priors.yaml and evidence/ (default: .)",
    )  # fmt: skip
    p.add_argument("--out", default="out", help="output folder (out/)")
    p.add_argument(
        "--recalibrate",
        action="store_true",
        help="fit one diagnosticity exponent s shared by all items (PyMC, nutpie; at least "
        "five resolved scenarios); unresolved scenarios given get P(outcome) integrated over s",
    )
    p.add_argument(
        "--seed", type=_whole_number(0, MAX_SEED), default=0, help="random seed (default 0)"
    )
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("validate", help="check the scenario files and say what they hold")
    files(p)
    p.add_argument(
        "--indicators", default=None, help="indicators folder (default: beside the evidence)"
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("new-evidence", help="write a template evidence/<ID>.yaml")
    p.add_argument("id", help="the new item's id")
    files(p)
    p.set_defaults(func=_cmd_new_evidence)

    def indicators(p):
        p.add_argument(
            "--indicators",
            default=None,
            help="indicators folder (default: indicators/ beside the evidence folder, if any)",
        )

    p = sub.add_parser(
        "watch", help="rank the indicators by what seeing them would change; write watch.csv"
    )
    files(p)
    indicators(p)
    p.add_argument("--out", default="out", help="output folder (out/)")
    p.add_argument(
        "--rank-by",
        choices=["shift", "info_hypotheses", "info_outcome"],
        default="shift",
        help="expected shift of P(outcome) (default) or expected information in bits",
    )
    p.add_argument("--k", type=int, default=3, help="size of the best set to watch (3, max 10)")
    p.add_argument(
        "--seed", type=_whole_number(0, MAX_SEED), default=0, help="random seed (default 0)"
    )
    p.add_argument(
        "--draws",
        type=_whole_number(100, MAX_DRAWS),
        help="draws for the band, 100 to 1,000,000 (default: as forecast run)",
    )
    p.set_defaults(func=_cmd_watch)

    p = sub.add_parser(
        "observe", help="record an indicator as seen or not seen: writes evidence/<ID>.yaml"
    )
    p.add_argument("id", help="the indicator's id")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--seen", dest="seen", action="store_true", help="it was seen")
    how.add_argument(
        "--not-seen", dest="seen", action="store_false", help="it was not seen by its date"
    )
    p.add_argument("--date", default=None, help="the evidence date YYYY-MM-DD (default: today)")
    files(p)
    indicators(p)
    p.set_defaults(func=_cmd_observe)

    p = sub.add_parser("schema", help="print (or --write) the JSON Schemas of the files")
    p.add_argument("--write", action="store_true", help="write them into forecast/schema/")
    p.set_defaults(func=_cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``forecast`` command; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 for usage errors, 0 for --help
        return int(exc.code or 0)
    args.argv = sys.argv[1:] if argv is None else list(argv)  # recorded in posterior.nc
    if "evidence" in vars(args):  # named on the command line, or the default evidence/
        args.evidence_named = args.evidence is not None
        args.evidence = "evidence" if args.evidence is None else args.evidence
    from .terminal import safe_terminal

    with safe_terminal():  # no escape sequence from a name reaches the terminal
        return _dispatch(args)


def _dispatch(args) -> int:
    """Run the command; map bad input to exit 2 and anything unexpected to exit 1."""
    try:
        return args.func(args)
    except ScenarioError as exc:
        n = len(exc.problems)
        print(f"error: {n} problem{'s' * (n != 1)} in the scenario files:", file=sys.stderr)
        for line in exc.lines():
            print(f"  {line}", file=sys.stderr)
        return BAD_INPUT
    except (InputError, FileExistsError, PermissionError) as exc:
        lines = [printable(line, 600) for line in str(exc).splitlines()[:50]] or [""]
        print("error: " + "\n".join(lines), file=sys.stderr)
        return BAD_INPUT
    except BrokenPipeError:  # e.g. `forecast validate | head`: the reader left; stay quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return _internal_error(exc)
        print(  # a full disk or `ulimit -f`: not a defect; out/ is as it was (outdir)
            f"error: could not write ({exc.strerror}{': ' + _plain(exc.filename) if exc.filename else ''}); "
            "nothing was changed in the output folder: free some space and run it again",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a CLI
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    """Report a defect, not bad input.

    Say so, save the traceback in the temp folder (``out/`` stays as it was), print its path; exit
    code 1.
    """
    import tempfile

    text = "".join(traceback.format_exception(exc))
    where = "(could not be saved)"
    try:
        fd, name = tempfile.mkstemp(prefix="forecast-internal-error-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"forecast {' '.join(sys.argv[1:])}\n\n{text}")
        where = name
    except OSError:
        pass
    message = _plain(f"{type(exc).__name__}: {exc}")
    message = message if len(message) <= 300 else message[:300] + "..."
    print(
        f"forecast: internal error (a defect, not a problem in your files): {message}\n"
        f"  the traceback is saved in {where}\n  (please report it with that file)",
        file=sys.stderr,
    )
    if os.environ.get("FORECAST_DEBUG"):
        print(text, file=sys.stderr)
    return 1
