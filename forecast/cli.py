"""The ``forecast`` command line: run, charts, report, score, validate, new-evidence, schema.

Exit codes: 0 success, 2 bad input (:class:`forecast.errors.InputError` or
:class:`forecast.ScenarioError`: a message naming the file and field, no traceback, nothing
written), 1 anything else ("internal error", the traceback saved to a file in the temp folder).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import traceback
from pathlib import Path

from .console import indicators_summary, plain, scenario_summary, score_line, score_table
from .datenotes import date_notes
from .errors import InputError
from .pipeline import check_out, find_indicators
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


def _warn(text: str) -> None:
    print(text, file=sys.stderr)


def _cmd_run(args) -> int:
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
    from .pipeline import charts_folder

    paths = charts_folder(
        args.out,
        result=args.result,
        formats=args.format.split(","),
        dpi=args.dpi,
        processes=2,
        size=args.size,
    )
    print(f"wrote {len(paths)} charts into {Path(args.out)}: " + ", ".join(p.name for p in paths))
    return 0


def _cmd_slides(args) -> int:
    from .briefing import slides_folder

    print(f"wrote {slides_folder(args.out, result=args.result, size=args.size)}")
    return 0


def _cmd_report(args) -> int:
    if args.notebook is not None:
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
    )
    print("wrote " + ", ".join(plain(p) for p in done.written))
    for message in done.warnings:
        print(f"WARNING: {plain(message)}", file=sys.stderr)
    return 0


def _cmd_observe(args) -> int:
    import datetime as dt

    from .indicators import observe
    from .pipeline import indicators_folder

    scenario = load_scenario(args.priors, args.evidence, named=args.evidence_named)
    folder = indicators_folder(args.indicators, args.evidence, args.priors)
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


def _cmd_pool(args) -> int:
    from .inference import DEFAULT_DRAWS
    from .pool_output import command

    args.draws = DEFAULT_DRAWS if args.draws is None else args.draws
    return command(args)


def _pool_parser(sub) -> None:
    p = sub.add_parser(
        "pool",
        help="pool several analysts' folders: pooled answer, consensus scenario, disagreement",
    )
    p.add_argument("folders", nargs="+", metavar="DIR", help="analysts' scenario folders")
    p.add_argument("--out", default="pool", help="output folder (pool/)")
    p.add_argument(
        "--method", choices=["linear", "logodds", "extremized"], default="logodds",
        help="the headline pool (default logodds: the geometric mean of odds)",
    )  # fmt: skip
    p.add_argument(
        "--extremize", default="neyman", metavar="D|neyman",
        help="extremizing factor d of the extremized pool (default neyman)",
    )  # fmt: skip
    p.add_argument("--weights", default=None, metavar="NAME=W,...", help="relative weights")
    p.add_argument("--as-of", default=None, metavar="DATE", help="read every folder as of DATE")
    p.add_argument(
        "--hierarchical", action="store_true",
        help="also fit the partial-pooling model: boldness.csv, consensus items as intervals",
    )  # fmt: skip
    p.add_argument(
        "--seed", type=_whole_number(0, MAX_SEED), default=0, help="random seed (default 0)"
    )
    p.add_argument(
        "--draws", type=_whole_number(100, MAX_DRAWS),
        help="band draws per analyst, 100 to 1,000,000 (default 4,000)",
    )  # fmt: skip
    p.add_argument("--no-charts", action="store_true", help="CSV files and consensus/ only")
    p.set_defaults(func=_cmd_pool)


def _size_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--size",
        choices=["default", "slide"],
        default="default",
        help="chart size: default (each chart's own size) or slide (16:9, 13.333 x 7.5 in, "
        "text at least 14 pt)",
    )


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
        "--as-of",
        default=None,
        metavar="DATE",
        help="what was known on DATE (YYYY-MM-DD or 'today'); default the latest item's date",
    )
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
    _size_option(p)
    p.add_argument(
        "--draws-csv",
        action="store_true",
        help="also write draws.csv: the band's draws of the final step, one row per draw, "
        "under a header naming the scenario hash and seed",
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
    _size_option(p)
    p.set_defaults(func=_cmd_charts)

    p = sub.add_parser("slides", help="write briefing.pptx (16:9) from a saved posterior.nc")
    saved(p)
    p.add_argument(
        "--size",
        choices=["slide", "default"],
        default="slide",
        help="the charts: slide-sized (default; text at least 14 pt) or at their own size",
    )
    p.set_defaults(func=_cmd_slides)

    p = sub.add_parser(
        "report",
        help="write a self-contained report.html from posterior.nc, or with --notebook "
        "re-execute a notebook on the scenario and write it with its HTML export",
    )
    saved(p)
    p.add_argument(
        "--notebook",
        default=None,
        nargs="?",
        const="",
        help="a notebook with a 'parameters' cell (default, with no value: "
        "notebooks/briefing.ipynb, a brief for any question): executed on --priors/--evidence; "
        "writes <out>/<name>.ipynb and <out>/<name>.html",
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
    from .portfolio import add_executor_options

    add_executor_options(p)  # --workers, --scheduler: as forecast portfolio
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

    _pool_parser(sub)
    p = sub.add_parser("schema", help="print (or --write) the JSON Schemas of the files")
    p.add_argument("--write", action="store_true", help="write them into forecast/schema/")
    p.set_defaults(func=_cmd_schema)

    from .portfolio import add_parser as add_portfolio_parser

    add_portfolio_parser(sub)  # forecast portfolio DIR... (forecast/portfolio.py)
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
