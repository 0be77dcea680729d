"""The pipelines behind the commands: compute a run and write its outputs, rank indicators, score.

Callable from Python as from the command line: :func:`run_folder` is ``forecast run``,
:func:`watch_folder` is ``forecast watch`` (``forecast score``: :mod:`forecast.score_pipeline`),
:func:`charts_folder` and :func:`report_folder` re-draw from a saved result. Each writes the
artefacts of :data:`forecast.outputs.OUTPUTS` for its command into the output folder all at once
(:func:`forecast.outdir.output_set`: the folder changes together, or not at all), raises
:class:`forecast.errors.InputError` or :class:`forecast.ScenarioError` for bad input before
writing anything, and returns what it computed and wrote. What a command prints goes through
``say`` (standard output) and ``warn`` (standard error); both say nothing by default.

Examples
--------
>>> done = run_folder("priors.yaml", "evidence", "out", charts=False)  # doctest: +SKIP
>>> [p.name for p in done.written]  # doctest: +SKIP
['trajectory.csv', 'posterior.nc', 'attribution.csv', 'watch.csv']
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .console import Say, format_table, items, plain, progress_printer, quiet
from .errors import InputError
from .outputs import in_set_of, is_chart_file, writer
from .renderer import DrawJob, Renderer, early_renderer
from .scenario import Scenario, load_scenario, printable
from .view import ResultView, view_of
from .watching import RankBy, find_indicators, indicators_folder, watch_into, write_watch

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

Size = Literal["default", "slide"]  # --size: each chart's own, or 16:9 (forecast.charts.slide)

__all__ = [
    "RunOutcome",
    "WatchOutcome",
    "charts_folder",
    "check_out",
    "notebook_folder",
    "report_folder",
    "result_for",
    "run_folder",
    "say_as_of",
    "saved_result",
    "saved_view",
    "watch_folder",
]

STALE = "the files changed since this result was computed: run `forecast run`"


@dataclass
class RunOutcome:
    """What :func:`run_folder` computed and wrote.

    Attributes
    ----------
    result : xarray.DataTree
        The run (as saved in ``posterior.nc``).
    scenario : Scenario
        The scenario read.
    written : list of Path
        Every file written, tables first, in the order of :data:`forecast.outputs.OUTPUTS`.
    warnings : list of str
        The :class:`forecast.inference.ForecastWarning` messages raised by the run.
    watch : pandas.DataFrame or None
        The ranked indicators, when there were any.
    """

    result: xr.DataTree
    scenario: Scenario
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    watch: pd.DataFrame | None = None

    @property
    def charts(self) -> list[Path]:
        """The chart files written."""
        return [p for p in self.written if is_chart_file(p.name)]


def check_out(
    out: str | Path,
    *,
    priors: Any = None,
    evidence: Any = None,
    indicators: Any = None,
    dirs: Sequence[str | Path] = (),
) -> Path:
    """Return ``out`` as a Path, refused where a command would write among the analyst's files.

    :func:`forecast.guard.refuse_out`: InputError when it is a symbolic link or a file, inside a
    scenario's evidence or indicators folder, or a folder holding a scenario's files (a command
    swaps the whole folder). The scenario is ``priors``/``evidence``/``indicators``, or each of the
    scenario folders ``dirs`` (``forecast score``).

    Examples
    --------
    >>> check_out("out", priors="priors.yaml", evidence="evidence")
    PosixPath('out')
    """
    from .guard import Folder, refuse_out, scenario_folders

    scenarios = [(Path(d) / "priors.yaml", Path(d) / "evidence", None) for d in dirs]
    if priors is not None and evidence is not None:
        scenarios.append((Path(priors), Path(evidence), indicators))
    protected: list[Folder] = []
    holds: list[Folder] = []
    for pri, evi, ind in scenarios:
        protected += scenario_folders(pri, evi, ind)
        holds += [Folder(pri, "the scenario's priors file"), Folder(evi, "the evidence")]
    return refuse_out(out, protected=protected, holds=holds)


def previous_result(path: Path) -> xr.DataTree | None:
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


def since_last_run(
    result: xr.DataTree,
    previous: xr.DataTree | None,
    previous_path: Path,
    outcome: str,
    say: Say = quiet,
) -> xr.DataTree:
    """Say what changed since the earlier run and keep its trajectory.

    For a different question, say so in one line and keep nothing of it.
    """
    from .results import changes_since, keep_previous, same_question

    if previous is None:
        return result
    if not same_question(previous, result):
        say(
            f"\n{previous_path} holds a different question, not compared: "
            f'"{plain(previous.attrs.get("question"))}" (outcome '
            f"{plain(previous.attrs.get('outcome'))}); this run: "
            f'"{plain(result.attrs.get("question"))}" (outcome {plain(outcome)})'
        )
        return result
    changes = changes_since(previous, result)
    say("\n" + plain(changes.describe(outcome)))
    return keep_previous(result, previous, changes)


def _say_run(scenario: Scenario, result: xr.DataTree, how: str, say: Say) -> None:
    """Say the run's question, table and final line (``forecast run``'s terminal text).

    ``how`` is the method, seed and draws as the line under the question gives them.
    """
    from .labels import display_names, pct
    from .result_schema import ATTRIBUTION, band_label
    from .results import trajectory_frame

    frame = trajectory_frame(result)
    say(printable(scenario.question, 2000))
    say(f"{items(len(scenario.evidence))}, {len(scenario.hypotheses)} hypotheses, {how}\n")
    say(plain(format_table(frame, scenario.outcome, band_label(result))))
    last = frame.iloc[-1]
    o = scenario.outcome
    from .time_result import as_of_notes, as_of_text

    say(
        f"\nP({display_names(scenario).outcome}) = {pct(last[f'p_{o}'])}{as_of_text(result)} "
        f"({band_label(result)} judgement band "
        f"{pct(last[f'p_{o}_low'])} to {pct(last[f'p_{o}_high'])}; MCSE {last['mcse']:.4f})"
    )
    for line in as_of_notes(result):
        say(plain(line))
    if result[ATTRIBUTION].attrs["explanation"]:
        say(plain(result[ATTRIBUTION].attrs["explanation"]))


def _write_run(
    result: ResultView,
    staging: Path,
    *,
    charts: bool,
    formats: Sequence[str],
    dpi: int,
    processes: int,
    size: Size = "default",
    renderer: Renderer | None = None,
) -> list[str]:
    """Write the run's set into ``staging``; returns the names written.

    The charts and the report by ``renderer`` when there is one (:mod:`forecast.renderer`), else
    here (also when the renderer failed); here they share ``result``'s scenario and arrays
    (decoded, encoded once).
    """
    from .results import save_result

    drawer = renderer if charts else None
    if drawer is not None:  # drawing (once it has imported) while the tables are written
        drawer.start(DrawJob(result.tree, staging, formats, dpi, size))
    names = [p.name for p in save_result(result.tree, staging).values()]
    drawn = drawer.finish() if drawer is not None else None
    if drawn is not None:
        names += drawn
    elif charts:
        from .charts import save_all
        from .report import write_report

        saved = save_all(result, staging, formats=formats, dpi=dpi, processes=processes, size=size)
        names += [p.name for p in saved]
        # drawn once, for both (the report's charts are the full-size ones)
        svgs = {p.stem: p for p in saved if p.suffix == ".svg" and size == "default"}
        names.append(write_report(result, staging, svg_files=svgs).name)
    return names


def run_folder(
    priors: str | Path,
    evidence: str | Path,
    out: str | Path,
    *,
    seed: int = 0,
    draws: int | None = None,
    method: Literal["fast", "nuts"] = "fast",
    charts: bool = True,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 200,
    processes: int = 1,
    indicators: str | Path | None = None,
    command: str | None = None,
    evidence_named: bool = True,
    size: Size = "default",
    draws_csv: bool = False,
    say: Say = quiet,
    warn: Say = quiet,
    as_of: str | None = None,
) -> RunOutcome:
    """Compute the forecast of a scenario folder and write its outputs into ``out``.

    ``forecast run`` without the printing: reads ``priors`` and ``evidence`` (every problem at
    once: :class:`forecast.ScenarioError`), runs the model, compares with the run kept in
    ``out/posterior.nc`` (and keeps its trajectory), ranks the indicators when there are any, and
    writes the run's artefacts (:func:`forecast.outputs.files_of` ``("run")``) into ``out`` all at
    once.

    Parameters
    ----------
    priors, evidence : str or Path
        The scenario's ``priors.yaml`` and evidence folder.
    out : str or Path
        The output folder (created; refused where it holds the scenario's files).
    seed : int
        Random seed of the band's draws.
    draws : int, optional
        Draws per step for the band (default :data:`forecast.inference.DEFAULT_DRAWS`).
    method : {"fast", "nuts"}
        The route (MODEL.md: exact quadrature with Monte Carlo band, or PyMC's NUTS).
    charts : bool
        Draw the charts and write ``report.html``.
    formats : sequence of {"png", "svg", "pdf"}
        The charts' file formats.
    dpi : int
        Resolution of PNG charts.
    processes : int
        Processes drawing the charts (:func:`forecast.charts.save_all`; 1 inside Jupyter).
    indicators : str or Path, optional
        The indicators folder (default: ``indicators/`` beside the evidence, when there is one).
    command : str, optional
        The command recorded in ``posterior.nc`` and the report (default: as :func:`forecast.run`).
    evidence_named : bool
        Whether the user named ``evidence`` (True from Python): an evidence or indicators folder
        found by default is not read when it is a symbolic link leaving the scenario folder.
    size : {"default", "slide"}
        The charts' size (:func:`forecast.charts.save_all`).
    draws_csv : bool
        Also write ``draws.csv``, the band's draws of the final step (:mod:`forecast.draws`).
    say, warn : callable
        Take each line meant for standard output and standard error (default: silent).
    as_of : str, optional
        What was known on this day (``YYYY-MM-DD`` or ``today``; :func:`forecast.run`).

    Returns
    -------
    RunOutcome
        The result, the scenario, the files written, the warnings and the ranked indicators.

    Examples
    --------
    >>> run_folder("priors.yaml", "evidence", "out", seed=1).result.attrs["seed"]  # doctest: +SKIP
    1
    """
    from .datenotes import date_notes
    from .inference import DEFAULT_DRAWS
    from .outdir import output_set
    from .resultfile import check_scenario_fits

    draws = DEFAULT_DRAWS if draws is None else draws
    out = check_out(out, priors=priors, evidence=evidence, indicators=indicators)
    scenario = load_scenario(priors, evidence, named=evidence_named)
    check_scenario_fits(scenario, str(evidence))  # what run writes, it reads back
    for note in date_notes(scenario):  # before opened, on or after the resolution
        warn(f"note: {plain(note)}")
    found = find_indicators(indicators, evidence, scenario, priors)  # bad ones: before any work
    options = _RunOptions(
        method, draws, seed, as_of, command, str(Path(evidence)),
        charts, formats, dpi, processes, size, draws_csv, say, warn,
    )  # fmt: skip
    # charts: a renderer forked now imports matplotlib while this process computes; it is
    # stopped before the staging folder is kept or removed
    with (
        output_set(out, functools.partial(in_set_of, command="run")) as staging,
        early_renderer(processes if charts else 1) as renderer,
    ):  # out/ changes all at once, or not at all
        return _run_staged(scenario, found, out, staging, options, renderer)


@dataclass(frozen=True)
class _RunOptions:
    """The options of :func:`run_folder` that :func:`_run_staged` uses."""

    method: Literal["fast", "nuts"]
    draws: int
    seed: int
    as_of: str | None
    command: str | None
    evidence_folder: str
    charts: bool
    formats: Sequence[str]
    dpi: int
    processes: int
    size: Size
    draws_csv: bool
    say: Say
    warn: Say


def _run_staged(
    scenario: Scenario,
    found: Sequence[Any] | None,
    out: Path,
    staging: Path,
    o: _RunOptions,
    renderer: Renderer | None = None,
) -> RunOutcome:
    """Run the model and write the run's artefacts into ``staging`` (:func:`run_folder`).

    ``found`` is :func:`find_indicators`' answer; ``out`` the output folder, whose
    ``posterior.nc`` is the previous run; ``renderer`` draws the charts (:func:`_write_run`).
    """
    from .inference import ForecastWarning, run
    from .labels import display_names
    from .results import same_question

    previous = previous_result(out / "posterior.nc")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        result = run(
            scenario,
            method=o.method,
            draws=o.draws,
            seed=o.seed,
            progress=progress_printer(f"{o.method} route") if o.say is not quiet else None,
            attribution=True,
            as_of=o.as_of,
        )
    if o.command is not None:
        result.attrs["command"] = o.command
    result.attrs["evidence_folder"] = o.evidence_folder
    _say_run(scenario, result, f"method {o.method}, seed {o.seed}, {o.draws} draws", o.say)
    shown = display_names(scenario).outcome
    result = since_last_run(result, previous, out / "posterior.nc", shown, o.say)
    if previous is not None and not same_question(previous, result):
        for path in staging.iterdir():  # nothing of the other question is kept: its scores
            if in_set_of(path.name, "score"):
                path.unlink()
    table = None
    if found is not None:
        result, table = watch_into(result, found, warn=o.warn)
    names = _write_run(view_of(result), staging, charts=o.charts, formats=o.formats, dpi=o.dpi,
                       processes=o.processes, size=o.size, renderer=renderer)  # fmt: skip
    if o.draws_csv:  # forecast.draws
        names.append(writer("draws")(result, staging).name)
    if table is not None:  # its chart, if any, drawn by save_all with the others
        names += write_watch(result, table, staging, top=5, charts=False, say=o.say)
    return RunOutcome(
        result, scenario, [out / n for n in names], [str(w.message) for w in caught], table
    )


def saved_result(out: str | Path, result: str | Path | None = None) -> xr.DataTree:
    """Return the result saved by ``forecast run``, checked as untrusted input.

    From ``result``, default ``<out>/posterior.nc``; InputError when missing or not a forecast
    result.
    """
    return saved_view(out, result).tree


def saved_view(out: str | Path, result: str | Path | None = None) -> ResultView:
    """:func:`saved_result` as a view: the result with its scenario decoded (once, on reading).

    Examples
    --------
    >>> saved_view("out").scenario.outcome  # doctest: +SKIP
    'invasion'
    """
    from .resultfile import read_view

    path = Path(result) if result else Path(out) / "posterior.nc"
    if not path.is_file():
        raise InputError(
            f"no saved result at {path}; run 'forecast run --out {out}' first "
            "(or point --result at a posterior.nc)"
        )
    return read_view(path)


def result_for(
    out: str | Path,
    result: str | Path | None = None,
    as_of: str | None = None,
    *,
    priors: str | Path = "priors.yaml",
    evidence: str | Path = "evidence",
    evidence_named: bool = True,
    indicators: str | Path | None = None,
    warn: Say = quiet,
) -> xr.DataTree:
    """The result ``charts`` and ``report`` show: the saved one, or recomputed as of ``as_of``.

    :func:`forecast.asof_commands.result_as_of`: with ``as_of`` naming another day than the saved
    result's, the scenario files are run as of that day (the saved result's seed, draws and
    method; the defaults when nothing is saved). Without ``as_of``, or when ``result`` names a
    file, the saved result must exist.

    Examples
    --------
    >>> result_for("out", as_of="2022-02-14").attrs["as_of"]  # doctest: +SKIP
    '2022-02-14'
    """
    from .asof_commands import result_as_of

    path = Path(result) if result else Path(out) / "posterior.nc"
    named = result is not None  # a file the user named must exist, --as-of or not
    saved = saved_result(out, result) if as_of is None or named or path.is_file() else None
    return result_as_of(
        saved, as_of, priors=priors, evidence=evidence, evidence_named=evidence_named,
        indicators=indicators, warn=warn,
    )  # fmt: skip


def say_as_of(result: xr.DataTree, say: Say) -> None:
    """Say the probability with its as-of day, the items not yet known, the days passed since.

    Examples
    --------
    >>> say_as_of(result, print)  # doctest: +SKIP
    P(invasion) = 41.1% as of 2022-02-16
    """
    from .asof_commands import as_of_lines

    for line in as_of_lines(result):
        say(plain(line))


def charts_folder(
    out: str | Path,
    *,
    result: str | Path | None = None,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 200,
    processes: int = 1,
    size: Size = "default",
    as_of: str | None = None,
    priors: str | Path = "priors.yaml",
    evidence: str | Path = "evidence",
    evidence_named: bool = True,
    indicators: str | Path | None = None,
    say: Say = quiet,
    warn: Say = quiet,
) -> list[Path]:
    """Re-draw every chart of a saved result into ``out`` (``forecast charts``); return the files.

    ``size="slide"``: the slide-sized charts (:mod:`forecast.charts.slide`), which replace the
    charts in ``out``. ``as_of`` (a day other than the saved result's): the charts of the
    scenario files ``priors``/``evidence`` recomputed as of that day (:func:`result_for`).

    InputError for an unknown format or a missing or foreign result (``result``, default
    ``<out>/posterior.nc``).

    Examples
    --------
    >>> charts_folder("out", formats=("pdf",))  # doctest: +SKIP
    [PosixPath('out/timeline.pdf'), ...]
    """
    from .charts import chart_formats, save_all
    from .outdir import output_set

    try:
        chosen = chart_formats(list(formats))
    except ValueError:
        raise InputError(
            f"--format takes png, svg and/or pdf separated by commas; got {','.join(formats)!r}"
        ) from None
    folder = check_out(out)
    shown = result_for(out, result, as_of, priors=priors, evidence=evidence,
                       evidence_named=evidence_named, indicators=indicators, warn=warn)  # fmt: skip
    saved = view_of(shown)  # decoded once: on reading (or once, recomputed as of a day)
    say_as_of(saved.tree, say)
    mine = functools.partial(is_chart_file, command="charts", formats=chosen)
    with output_set(folder, mine) as staging:
        paths = save_all(saved, staging, formats=chosen, dpi=dpi, processes=processes, size=size)
    return [folder / p.name for p in paths]


def report_folder(
    out: str | Path,
    *,
    result: str | Path | None = None,
    priors: str | Path | None = None,
    evidence: str | Path | None = None,
    evidence_named: bool = True,
    warn: Say = quiet,
    as_of: str | None = None,
    indicators: str | Path | None = None,
    say: Say = quiet,
) -> Path:
    """Write ``<out>/report.html`` from a saved result (``forecast report``); return its path.

    When the files of the scenario named (``priors`` and ``evidence``) changed since the result
    was computed, the report and ``warn`` say so (the first ten files named). Only that scenario
    is read: never a file or folder the result itself names (it is untrusted input). ``as_of``
    (a day other than the saved result's): the report of that scenario recomputed as of that
    day (:func:`result_for`; ``priors`` and ``evidence`` default to ``priors.yaml`` and
    ``evidence``).
    """
    from .outdir import output_set
    from .report import write_report
    from .results import input_changes
    from .scenario import input_hashes

    folder = check_out(out)
    saved = view_of(result_for(
        out, result, as_of, priors=priors or "priors.yaml", evidence=evidence or "evidence",
        evidence_named=evidence_named, indicators=indicators, warn=warn,
    ))  # fmt: skip
    say_as_of(saved.tree, say)
    current = None
    if priors is not None and evidence is not None and Path(priors).is_file():
        current = input_hashes(priors, evidence, named=evidence_named)
    changed = input_changes(saved.tree, current, of=(str(priors), str(evidence)))
    warning = None
    if changed:
        shown = ", ".join(changed[:10]) + (
            f" and {len(changed) - 10} more" if len(changed) > 10 else ""
        )
        warning = f"{STALE} ({shown})"
        warn(f"WARNING: {plain(warning)}")
    with output_set(folder, lambda name: name == "report.html") as staging:
        write_report(saved, staging, warning=warning)
    return folder / "report.html"


def notebook_folder(
    notebook: str | Path,
    priors: str | Path,
    evidence: str | Path,
    out: str | Path,
    *,
    seed: int = 0,
    code: bool = True,
    evidence_named: bool = True,
    warn: Say = quiet,
) -> tuple[Path, Path]:
    """Execute a notebook on the scenario (papermill); return the executed notebook and its HTML.

    ``forecast report --notebook``: both written into ``out``, the notebook's charts into
    ``<out>/<name>/``; ``code=False`` leaves the code cells out of the HTML export. InputError
    when the notebook is missing, :class:`forecast.ScenarioError` for bad scenario files,
    :class:`forecast.notebook.NotebookError` when a cell fails.
    """
    from .notebook import briefing_notebook, execute_notebook

    notebook = Path(notebook) if notebook else briefing_notebook()  # the brief by default
    if not notebook.is_file():
        raise InputError(f"notebook {notebook} not found")
    load_scenario(priors, evidence, named=evidence_named)  # bad files: every problem, exit 2
    folder = check_out(out, priors=priors, evidence=evidence)
    parameters = {
        "priors": Path(priors),
        "evidence": Path(evidence),
        "out": folder / notebook.stem,
        "seed": seed,
    }
    warn(f"executing {notebook} on {priors} and {evidence} ...")
    return execute_notebook(notebook, folder, parameters, code=code)


def watch_result(
    scenario: Scenario,
    out: str | Path,
    *,
    seed: int = 0,
    draws: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    as_of: str | None = None,
) -> xr.DataTree:
    """Return the saved ``<out>/posterior.nc`` if it is of this scenario, else a fast run.

    The saved result must also have the band's last-step draws (and, with ``as_of``, be as of
    that day); the fresh fast run (as of ``as_of``: :func:`forecast.run`) is not saved.
    """
    from .asof import parse_day
    from .inference import DEFAULT_DRAWS, run
    from .result_schema import POSTERIOR
    from .results import load_result

    day = None if as_of is None else parse_day(as_of).isoformat()
    saved = Path(out) / "posterior.nc"
    if saved.is_file() and draws is None:
        with contextlib.suppress(Exception):  # unreadable: compute afresh
            result = load_result(saved)
            if (
                result.attrs.get("scenario_hash") == scenario.hash
                and "final_p_hypothesis" in result[POSTERIOR]
                and int(result.attrs.get("seed", -1)) == seed
                and day in (None, str(result.attrs.get("as_of", "")))
            ):
                return result
    draws = DEFAULT_DRAWS if draws is None else draws
    return run(scenario, draws=draws, seed=seed, progress=progress, as_of=day)


@dataclass
class WatchOutcome:
    """What :func:`watch_folder` ranked and wrote: the result, the ranked table, the files."""

    result: xr.DataTree
    table: pd.DataFrame
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def watch_folder(
    priors: str | Path,
    evidence: str | Path,
    out: str | Path,
    *,
    indicators: str | Path | None = None,
    rank_by: RankBy = "shift",
    k: int = 3,
    seed: int = 0,
    draws: int | None = None,
    evidence_named: bool = True,
    say: Say = quiet,
    warn: Say = quiet,
    as_of: str | None = None,
) -> WatchOutcome:
    """Rank the indicators by what seeing them would change; write ``watch.csv`` and its chart.

    ``forecast watch``: uses the run saved in ``out`` when it is of this scenario and seed (and
    as of ``as_of``, when given), else a fast run as of ``as_of`` (not saved); an indicator is
    lapsed when its date is before that day. InputError when ``k`` is outside 1 to :data:`forecast.indicators.MAX_SET`
    or there is no indicators folder.

    Examples
    --------
    >>> watch_folder("priors.yaml", "evidence", "out", k=2).table.head(3)  # doctest: +SKIP
    """
    from .indicators import MAX_SET
    from .inference import ForecastWarning
    from .outdir import output_set

    if not 1 <= k <= MAX_SET:
        raise InputError(f"--k must be between 1 and {MAX_SET}, got {k}")
    folder = check_out(out, priors=priors, evidence=evidence, indicators=indicators)
    scenario = load_scenario(priors, evidence, named=evidence_named)
    found = find_indicators(indicators, evidence, scenario, priors)
    if found is None:
        shown = plain(indicators_folder(indicators, evidence, priors))
        raise InputError(f"no indicators folder {shown}; give one with --indicators")
    progress = progress_printer("fast route") if say is not quiet else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        result = watch_result(scenario, out, seed=seed, draws=draws, progress=progress, as_of=as_of)
        say_as_of(result, say)
        result, frame = watch_into(result, found, rank_by=rank_by, k=k, warn=warn)
        with output_set(
            folder, functools.partial(in_set_of, command="watch")
        ) as staging:  # one set, under run's lock
            names = write_watch(result, frame, staging, top=20, say=say)
    return WatchOutcome(
        result, frame, [folder / n for n in names], [str(w.message) for w in caught]
    )
