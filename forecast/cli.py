"""The ``forecast`` command line: run, charts, report, score, validate, new-evidence, schema.

Exit codes: 0 success, 2 bad input (:class:`forecast.errors.InputError` or
:class:`forecast.ScenarioError`: a message naming the file and field, no traceback, nothing
written), 1 anything else ("internal error", the traceback saved to a file in the temp folder).
"""

from __future__ import annotations

import errno
import gc
import json
import os
import sys
import traceback
from pathlib import Path

from .cli_parser import build_parser
from .console import indicators_summary, plain, scenario_summary, score_line, score_table
from .datenotes import date_notes
from .errors import InputError
from .pipeline import check_out
from .scenario import (
    EvidenceItem,
    Priors,
    ScenarioError,
    hypothesis_names,
    load_scenario,
    new_evidence,
    printable,
)
from .watching import find_indicators

__all__ = ["main"]

BAD_INPUT = 2
LISTED = 200  # items (and groups) listed by validate; the rest are counted


def _warn(text: str) -> None:
    print(text, file=sys.stderr)


def _cmd_run(args) -> int:
    from .lean import without_dask

    with without_dask():  # xarray would import Dask for nothing: 0.5 s of CPU (forecast.lean)
        return _run(args)


def _run(args) -> int:
    from .pipeline import run_folder

    done = run_folder(
        args.priors,
        args.evidence,
        args.out,
        seed=args.seed,
        draws=args.draws,
        method=args.method,
        charts=not args.no_charts,
        processes=2,
        indicators=args.indicators,
        command=" ".join(["forecast", *args.argv]),
        evidence_named=args.evidence_named,
        size=args.size,
        draws_csv=args.draws_csv,
        say=print,
        warn=_warn,
        as_of=args.as_of,
    )
    for message in done.warnings:
        print(f"WARNING: {plain(message)}", file=sys.stderr)
    charts = done.charts
    print("wrote " + ", ".join(str(p) for p in done.written if p not in charts))
    if not args.no_charts:
        print(f"wrote {len(charts)} charts (PNG, SVG) into {Path(args.out)}")
    return 0


def _cmd_charts(args) -> int:
    from .lean import without_dask

    with without_dask():
        return _charts(args)


def _charts(args) -> int:
    from .pipeline import charts_folder

    paths = charts_folder(
        args.out,
        result=args.result,
        formats=args.format.split(","),
        dpi=args.dpi,
        processes=2,
        size=args.size,
        as_of=args.as_of,
        priors=args.priors,
        evidence=args.evidence,
        evidence_named=args.evidence_named,
        indicators=args.indicators,
        say=print,
        warn=_warn,
    )
    print(f"wrote {len(paths)} charts into {Path(args.out)}: " + ", ".join(p.name for p in paths))
    return 0


def _cmd_slides(args) -> int:
    from .briefing import slides_folder

    print(f"wrote {slides_folder(args.out, result=args.result, size=args.size)}")
    return 0


def _cmd_report(args) -> int:
    if args.notebook is not None:
        if args.as_of is not None:
            raise InputError("--as-of: not with --notebook (the notebook runs the scenario itself)")
        return _report_notebook(args)
    from .pipeline import report_folder

    check_out(args.out, priors=args.priors, evidence=args.evidence)
    path = report_folder(
        args.out,
        result=args.result,
        priors=args.priors,
        evidence=args.evidence,
        evidence_named=args.evidence_named,
        warn=_warn,
        as_of=args.as_of,
        indicators=args.indicators,
        say=print,
    )
    print(f"wrote {path}")
    return 0


def _report_notebook(args) -> int:
    """Run ``report --notebook`` (:func:`forecast.pipeline.notebook_folder`)."""
    from .notebook import NotebookError
    from .pipeline import notebook_folder

    try:
        ipynb, html = notebook_folder(
            args.notebook,
            args.priors,
            args.evidence,
            args.out,
            seed=args.seed,
            code=not args.no_code,
            evidence_named=args.evidence_named,
            warn=_warn,
        )
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {ipynb}, {html}")
    return 0


def _cmd_score(args) -> int:
    """``score``: score the resolved scenarios, calibration across them, optionally recalibrate."""
    from .score_pipeline import score_folders

    done = score_folders(
        args.dirs,
        args.out,
        seed=args.seed,
        recalibrate=args.recalibrate,
        workers=args.workers,
        scheduler=args.scheduler,
        say=print,
        warn=_warn,
        as_of=args.as_of,
    )
    print(score_table(done.scores))
    print("wrote " + ", ".join(plain(p) for p in done.written))
    if done.recalibration is not None:
        print(done.recalibration.describe())
    if len(done.scored) > 1:
        print(done.calibration.describe())
    else:
        print(score_line(done.scored[0]))
    return 0


def _cmd_validate(args) -> int:
    scenario = load_scenario(args.priors, args.evidence, named=args.evidence_named)
    for note in date_notes(scenario):
        print(f"note: {plain(note)}", file=sys.stderr)
    for line in scenario_summary(scenario, args.priors, args.evidence, listed=LISTED):
        print(line)
    indicators = find_indicators(args.indicators, args.evidence, scenario, args.priors)  # exit 2
    if indicators is not None:
        for line in indicators_summary(indicators, scenario):
            print(line)
    return 0


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


def _cmd_watch(args) -> int:
    from .pipeline import watch_folder

    done = watch_folder(
        args.priors,
        args.evidence,
        args.out,
        indicators=args.indicators,
        rank_by=args.rank_by,
        k=args.k,
        seed=args.seed,
        draws=args.draws,
        evidence_named=args.evidence_named,
        say=print,
        warn=_warn,
        as_of=args.as_of,
    )
    print("wrote " + ", ".join(plain(p) for p in done.written))
    for message in done.warnings:
        print(f"WARNING: {plain(message)}", file=sys.stderr)
    return 0


def _cmd_observe(args) -> int:
    import datetime as dt

    from .observations import observe
    from .watching import indicators_folder

    scenario = load_scenario(args.priors, args.evidence, named=args.evidence_named)
    folder = indicators_folder(args.indicators, args.evidence, args.priors)
    days = {}
    for flag, text in (("--date", args.date), ("--event-date", args.event_date)):
        try:
            days[flag] = dt.date.fromisoformat(text) if text else None
        except ValueError:
            print(f"error: {flag} expects YYYY-MM-DD, got {text!r}", file=sys.stderr)
            return BAD_INPUT
    try:
        path = observe(
            args.id,
            args.seen,
            indicators=folder,
            evidence=args.evidence,
            scenario=scenario,
            date=days["--date"],
            event_date=days["--event-date"],
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


def _cmd_pool(args) -> int:
    from .inference import DEFAULT_DRAWS
    from .pool_output import command

    args.draws = DEFAULT_DRAWS if args.draws is None else args.draws
    return command(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``forecast`` command; returns the exit code."""
    parser = build_parser()
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
        code = _dispatch(args)
    if argv is None:  # the command line: the process ends next
        gc.freeze()  # its last collection skips every object alive now (0.1-0.3 s of CPU)
    return code


def _dispatch(args) -> int:
    """Run the command; map bad input to exit 2 and anything unexpected to exit 1."""
    func = args.func if callable(args.func) else globals()[args.func]  # a name from the parser
    try:
        return func(args)
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
            f"error: could not write ({exc.strerror}{': ' + plain(exc.filename) if exc.filename else ''}); "
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
    message = plain(f"{type(exc).__name__}: {exc}")
    message = message if len(message) <= 300 else message[:300] + "..."
    print(
        f"forecast: internal error (a defect, not a problem in your files): {message}\n"
        f"  the traceback is saved in {where}\n  (please report it with that file)",
        file=sys.stderr,
    )
    if os.environ.get("FORECAST_DEBUG"):
        print(text, file=sys.stderr)
    return 1
