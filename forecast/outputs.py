"""The one table of artefacts: every chart, table and file a command writes, in one place.

Each :class:`Output` names the artefact, the function that draws or writes it, its file names, its
caption in the report and the commands that write it. ``forecast run``'s set of files, the charts
:func:`forecast.charts.save_all` draws, the captions in ``report.html`` and the "wrote ..." lines all
read this table: adding a chart or a table is one entry here plus the function in its module.

The writers are named as ``"module:function"`` text and imported when used, so that reading the
table imports neither matplotlib nor xarray (``forecast validate`` stays light).

Examples
--------
>>> [o.name for o in charts_of("run")]
['timeline', 'impact', 'ach', 'sensitivity', 'distribution', 'watch', 'by_date']
>>> files_of("run", formats=("png",))[:3]
('trajectory.csv', 'posterior.nc', 'attribution.csv')
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "OUTPUTS",
    "Output",
    "by_name",
    "caption",
    "chart_names",
    "charts_of",
    "files_of",
    "in_set_of",
    "is_chart_file",
    "writer",
]

Kind = Literal["chart", "table", "result", "report"]
FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class Output:
    """One artefact: what it is, who writes it, its files, its caption, which commands write it.

    Parameters
    ----------
    name : str
        Its name; a chart's file names are ``<name>.<format>``.
    kind : {"chart", "table", "result", "report"}
        A chart is drawn by ``writer(result, *tables)`` (a matplotlib Figure), the tables named
        in ``needs`` (:func:`forecast.charts.export.figures` computes them once for all charts);
        a table, result or report is written by ``writer`` into the output folder.
    writer : str
        ``"module:function"`` drawing or writing it (imported when used).
    files : tuple of str
        The file names (charts: empty, they are ``<name>.<format>``).
    commands : tuple of str
        The ``forecast`` commands that write it.
    caption : str
        The report's caption; ``{outcome}``, ``{band}`` (e.g. ``90%``) and ``{percentiles}`` (e.g.
        ``5th-95th percentiles``) are filled in by :func:`caption`.
    needs : tuple of str
        Charts: the analysis tables the writer takes after the result, in order (``impact``,
        ``sensitivity``, ``watch``); a chart whose table is missing is not drawn.
    in_report : bool
        Charts: shown in ``report.html`` in the section its caption describes.
    """

    name: str
    kind: Kind
    writer: str
    files: tuple[str, ...] = ()
    commands: tuple[str, ...] = ("run",)
    caption: str = ""
    needs: tuple[str, ...] = ()
    in_report: bool = True

    def file_names(self, formats: Sequence[str] = ("png", "svg")) -> tuple[str, ...]:
        """Return its file names; a chart's in each of ``formats``.

        Examples
        --------
        >>> by_name("impact").file_names(("svg",))
        ('impact.svg',)
        """
        if self.kind == "chart":
            return tuple(f"{self.name}.{fmt}" for fmt in formats)
        return self.files


OUTPUTS: tuple[Output, ...] = (
    Output("trajectory", "table", "forecast.results:write_trajectory", ("trajectory.csv",)),
    Output("posterior", "result", "forecast.results:write_posterior", ("posterior.nc",)),
    Output("attribution", "table", "forecast.results:write_attribution", ("attribution.csv",)),
    Output("by_date_table", "table", "forecast.results:write_by_date", ("by_date.csv",)),
    Output("daily", "table", "forecast.results:write_daily", ("daily.csv",)),
    Output(
        "timeline",
        "chart",
        "forecast.charts.timeline:plot_timeline",
        commands=("run", "charts"),
        caption="The probability of {outcome} after each item (line) with the {band} judgement "
        "band (shaded): the {percentiles} of where the answer would move if the uncertain "
        "judgements were pinned down. Below: each hypothesis.",
    ),
    Output(
        "impact",
        "chart",
        "forecast.charts.impact:impact_figure",
        commands=("run", "charts"),
        needs=("impact",),
        caption="Left: how much each item moved the probability when it arrived, in percentage "
        "points and log-odds (hatched: reliability below 1 or a reduced weight in a dependence "
        "group). Right: the final probability if the item were left out.",
    ),
    Output(
        "ach",
        "chart",
        "forecast.charts.ach:ach_figure",
        commands=("run", "charts"),
        needs=("impact",),
        caption="Each item's effective log-likelihood under each hypothesis relative to its "
        "average (blue: fits the hypothesis better than average; red: worse), and its "
        "diagnosticity: items that fit every hypothesis alike cannot tell them apart.",
    ),
    Output(
        "sensitivity",
        "chart",
        "forecast.charts.sensitivity:sensitivity_figure",
        commands=("run", "charts"),
        needs=("sensitivity",),
        caption="The final probability with each uncertain input at the low and at the high end "
        "of its 90% interval, all others at their centre; the largest swings on top.",
    ),
    Output(
        "distribution",
        "chart",
        "forecast.charts.distribution:plot_distribution",
        commands=("run", "charts"),
        caption="The draws behind the judgement band at the last step.",
    ),
    Output(
        "watch",
        "chart",
        "forecast.charts.watch:plot_watch",
        commands=("run", "charts", "watch"),
        needs=("watch",),
        in_report=False,  # the report draws it in "What would change the assessment"
    ),
    Output(
        "by_date",
        "chart",
        "forecast.charts.by_date:plot_by_date",
        commands=("run", "charts"),
        needs=("by_date",),
        in_report=False,  # the report draws it in "By what date"
        caption="The probability that {outcome} happens by each date, from the day after the "
        "as-of day to the deadline (line), with the {band} judgement band (shaded); the value "
        "at the deadline is the headline.",
    ),
    Output("report", "report", "forecast.report:write_report", ("report.html",), ("run", "report")),
    Output(
        "watch_table",
        "table",
        "forecast.indicators:write_watch_csv",
        ("watch.csv",),
        ("run", "watch"),
    ),  # fmt: skip
    # run --draws-csv: the band's draws of the final step (a run without it drops an old one)
    Output("draws", "table", "forecast.draws:write_draws_csv", ("draws.csv",), ("run",)),
    Output("briefing", "report", "forecast.briefing:slides", ("briefing.pptx",), ("slides",)),
    Output("scores", "table", "forecast.scoring:score_entries", ("scores.csv",), ("score",)),
    Output("postmortem", "table", "forecast.scoring:postmortem", ("postmortem.csv",), ("score",)),
    Output(
        "calibration_table",
        "table",
        "forecast.scoring:calibration",
        ("calibration.csv",),
        ("score",),
    ),  # fmt: skip
    Output(
        "score_summary", "table", "forecast.scoring:calibration", ("score_summary.csv",), ("score",)
    ),  # fmt: skip
    Output(
        "score", "chart", "forecast.charts.score:plot_score", commands=("score",), in_report=False
    ),  # fmt: skip
    Output(
        "calibration",
        "chart",
        "forecast.charts.score:plot_calibration",
        commands=("score",),
        in_report=False,
    ),  # fmt: skip
    Output(
        "recalibration",
        "result",
        "forecast.recalibration:Recalibration.save",
        ("recalibration.nc", "recalibration.csv"),
        ("score",),
    ),
)
"""Every artefact, in the order written and listed (a chart's formats in the order asked)."""


def by_name(name: str) -> Output:
    """Return the artefact called ``name``; KeyError naming the known ones otherwise.

    Examples
    --------
    >>> by_name("trajectory").files
    ('trajectory.csv',)
    """
    for output in OUTPUTS:
        if output.name == name:
            return output
    raise KeyError(f"no output {name!r}; known: {', '.join(o.name for o in OUTPUTS)}")


def charts_of(command: str) -> tuple[Output, ...]:
    """Return the charts ``forecast <command>`` draws, in order.

    Examples
    --------
    >>> [o.name for o in charts_of("score")]
    ['score', 'calibration']
    """
    return tuple(o for o in OUTPUTS if o.kind == "chart" and command in o.commands)


def chart_names(command: str = "charts") -> tuple[str, ...]:
    """Return the names of the charts ``forecast <command>`` draws, in order.

    Examples
    --------
    >>> chart_names("charts")
    ('timeline', 'impact', 'ach', 'sensitivity', 'distribution', 'watch', 'by_date')
    """
    return tuple(o.name for o in charts_of(command))


def files_of(command: str, formats: Sequence[str] = ("png", "svg")) -> tuple[str, ...]:
    """Return every file name ``forecast <command>`` may write (its charts in ``formats``).

    Examples
    --------
    >>> files_of("report")
    ('report.html',)
    """
    return tuple(name for o in OUTPUTS if command in o.commands for name in o.file_names(formats))


def is_chart_file(name: str, command: str = "run", formats: Sequence[str] = FORMATS) -> bool:
    """Return whether the file ``name`` is a chart ``forecast <command>`` draws.

    Examples
    --------
    >>> is_chart_file("timeline.pdf"), is_chart_file("trajectory.csv")
    (True, False)
    """
    stem, _, ext = name.rpartition(".")
    return ext in formats and stem in chart_names(command)


def in_set_of(name: str, command: str) -> bool:
    """Return whether ``out/<name>`` is one of the files ``forecast <command>`` replaces together.

    A command writes its set into ``out/`` at once (:func:`forecast.outdir.output_set`): these
    files are replaced or dropped together, every other file in ``out/`` is kept.

    Examples
    --------
    >>> in_set_of("watch.png", "watch"), in_set_of("trajectory.csv", "watch")
    (True, False)
    """
    return name in files_of(command, formats=()) or is_chart_file(name, command)


def caption(name: str, *, outcome: str, band: str, percentiles: str) -> str:
    """Return the report's caption of the chart ``name``, filled in.

    Examples
    --------
    >>> caption("distribution", outcome="war", band="90%", percentiles="")
    'The draws behind the judgement band at the last step.'
    """
    return by_name(name).caption.format(outcome=outcome, band=band, percentiles=percentiles)


def writer(name: str) -> Callable[..., Any]:
    """Return the function that draws or writes the artefact ``name`` (imported now).

    Examples
    --------
    >>> writer("trajectory").__name__
    'write_trajectory'
    """
    module, _, attr = by_name(name).writer.partition(":")
    found: Any = importlib.import_module(module)
    for part in attr.split("."):
        found = getattr(found, part)
    return found
