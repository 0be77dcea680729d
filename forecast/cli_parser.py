"""The ``forecast`` command's arguments: every subcommand, option, default and range.

:func:`build_parser` is what :func:`forecast.cli.main` parses with; options that take numbers
check their range here (:func:`whole_number`), so that a bad value is a usage error (exit 2).
"""

from __future__ import annotations

import argparse

__all__ = ["MAX_DRAWS", "MAX_SEED", "build_parser", "whole_number"]

MAX_DRAWS = 1_000_000
MAX_SEED = 2**32 - 1


def whole_number(low: int, high: int):
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
    _seed(p)
    p.add_argument(
        "--draws", type=whole_number(100, MAX_DRAWS),
        help="band draws per analyst, 100 to 1,000,000 (default 4,000)",
    )  # fmt: skip
    p.add_argument("--no-charts", action="store_true", help="CSV files and consensus/ only")
    p.set_defaults(func="_cmd_pool")


def _size_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--size",
        choices=["default", "slide"],
        default="default",
        help="chart size: default (each chart's own size) or slide (16:9, 13.333 x 7.5 in, "
        "text at least 14 pt)",
    )


def _files(p: argparse.ArgumentParser) -> None:
    p.add_argument("--priors", default="priors.yaml", help="priors file (priors.yaml)")
    p.add_argument("--evidence", default=None, help="evidence folder (evidence/)")


def _saved(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="out", help="output folder (out/)")
    p.add_argument("--result", default=None, help="the saved result (default: <out>/posterior.nc)")


def _indicators(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--indicators",
        default=None,
        help="indicators folder (default: indicators/ beside the evidence folder, if any)",
    )


def _seed(p: argparse.ArgumentParser, help: str = "random seed (default 0)") -> None:
    p.add_argument("--seed", type=whole_number(0, MAX_SEED), default=0, help=help)


def _as_of(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help=f"what was known on DATE (YYYY-MM-DD or 'today'); {default}",
    )


SAVED_AS_OF = (
    "default the saved result's day; another day recomputes --priors/--evidence as of it "
    "(the saved seed, draws and method)"
)


def _run_parser(sub) -> None:
    p = sub.add_parser("run", help="update the forecast with every evidence item")
    _files(p)
    p.add_argument("--out", default="out", help="output folder (out/)")
    _seed(p)
    p.add_argument(
        "--draws",
        type=whole_number(100, MAX_DRAWS),
        help="draws per step for the band, 100 to 1,000,000 (default 4,000)",
    )
    p.add_argument("--method", choices=["fast", "nuts"], default="fast")
    _as_of(p, "default the latest item's date")
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
    p.set_defaults(func="_cmd_run")


def _saved_parsers(sub) -> None:
    """``charts``, ``slides`` and ``report``: from a saved result."""
    p = sub.add_parser("charts", help="re-draw the charts from a saved posterior.nc")
    _saved(p)
    p.add_argument("--format", default="png,svg", help="png, svg, pdf, comma-separated")
    p.add_argument(
        "--dpi",
        type=whole_number(10, 1200),
        default=200,
        help="resolution of PNG files, 10 to 1,200 (200; capped at 3,999 pixels a side)",
    )
    _size_option(p)
    _as_of(p, SAVED_AS_OF)
    _files(p)
    _indicators(p)
    p.set_defaults(func="_cmd_charts")

    p = sub.add_parser("slides", help="write briefing.pptx (16:9) from a saved posterior.nc")
    _saved(p)
    p.add_argument(
        "--size",
        choices=["slide", "default"],
        default="slide",
        help="the charts: slide-sized (default; text at least 14 pt) or at their own size",
    )
    p.set_defaults(func="_cmd_slides")

    p = sub.add_parser(
        "report",
        help="write a self-contained report.html from posterior.nc, or with --notebook "
        "re-execute a notebook on the scenario and write it with its HTML export",
    )
    _saved(p)
    p.add_argument(
        "--notebook",
        default=None,
        nargs="?",
        const="",
        help="a notebook with a 'parameters' cell (default, with no value: "
        "notebooks/briefing.ipynb, a brief for any question): executed on --priors/--evidence; "
        "writes <out>/<name>.ipynb and <out>/<name>.html",
    )
    _files(p)
    _indicators(p)
    _as_of(p, SAVED_AS_OF)
    _seed(p, "random seed (with --notebook; default 0)")
    p.add_argument(
        "--no-code",
        action="store_true",
        help="with --notebook: the HTML export without code cells (a briefing to send)",
    )
    p.set_defaults(func="_cmd_report")


def _score_parser(sub) -> None:
    from .portfolio import add_executor_options

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
    _as_of(
        p,
        "score what was known on DATE: questions resolved after it are open, items dated after it left out",
    )
    _seed(p)
    add_executor_options(p)  # --workers, --scheduler: as forecast portfolio
    p.set_defaults(func="_cmd_score")


def _file_parsers(sub) -> None:
    """``validate``, ``new-evidence`` and ``schema``: the scenario's files."""
    p = sub.add_parser("validate", help="check the scenario files and say what they hold")
    _files(p)
    p.add_argument(
        "--indicators", default=None, help="indicators folder (default: beside the evidence)"
    )
    p.set_defaults(func="_cmd_validate")

    p = sub.add_parser("new-evidence", help="write a template evidence/<ID>.yaml")
    p.add_argument("id", help="the new item's id")
    _files(p)
    p.set_defaults(func="_cmd_new_evidence")

    p = sub.add_parser("schema", help="print (or --write) the JSON Schemas of the files")
    p.add_argument("--write", action="store_true", help="write them into forecast/schema/")
    p.set_defaults(func="_cmd_schema")


def _indicator_parsers(sub) -> None:
    """``watch`` and ``observe``: the indicators."""
    p = sub.add_parser(
        "watch", help="rank the indicators by what seeing them would change; write watch.csv"
    )
    _files(p)
    _indicators(p)
    p.add_argument("--out", default="out", help="output folder (out/)")
    p.add_argument(
        "--rank-by",
        choices=["shift", "info_hypotheses", "info_outcome"],
        default="shift",
        help="expected shift of P(outcome) (default) or expected information in bits",
    )
    p.add_argument("--k", type=int, default=3, help="size of the best set to watch (3, max 10)")
    _seed(p)
    p.add_argument(
        "--draws",
        type=whole_number(100, MAX_DRAWS),
        help="draws for the band, 100 to 1,000,000 (default: as forecast run)",
    )
    _as_of(p, "an indicator is lapsed when its date is before it; default the saved run's day")
    p.set_defaults(func="_cmd_watch")

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
    p.add_argument(
        "--event-date",
        default=None,
        help="when it was seen, YYYY-MM-DD, if before --date (on or before the indicator's "
        "date, it counts as seen in time)",
    )
    _files(p)
    _indicators(p)
    p.set_defaults(func="_cmd_observe")


def build_parser() -> argparse.ArgumentParser:
    """Return the ``forecast`` command's parser; each command's ``func`` names its function.

    The names are those of :mod:`forecast.cli` (``"_cmd_run"``, ...), which calls them;
    ``forecast portfolio`` adds its own parser with its function.

    Examples
    --------
    >>> build_parser().parse_args(["run", "--seed", "3"]).seed
    3
    """
    from .portfolio import add_parser as add_portfolio_parser

    parser = argparse.ArgumentParser(
        prog="forecast", description="Bayesian scenario forecasting from priors and evidence."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _run_parser(sub)
    _saved_parsers(sub)
    _score_parser(sub)
    _file_parsers(sub)
    _indicator_parsers(sub)
    _pool_parser(sub)
    add_portfolio_parser(sub)  # forecast portfolio DIR... (forecast/portfolio.py)
    return parser
