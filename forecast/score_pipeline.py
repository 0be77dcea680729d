"""The ``forecast score`` pipeline: score resolved scenarios, calibrate, optionally recalibrate.

Callable from Python like the pipelines of :mod:`forecast.pipeline` (whose ``say``/``warn``
conventions it follows): :func:`score_folders` reads the folders (every problem listed at once),
scores them and writes ``scores.csv``, ``postmortem.csv``, ``calibration.csv``,
``score_summary.csv`` and the score or calibration chart into the output folder as one set.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .console import Say, quiet, some
from .errors import InputError
from .outputs import in_set_of
from .pipeline import check_out

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ScoreOutcome", "score_folders"]


@dataclass
class ScoreOutcome:
    """What :func:`score_folders` scored and wrote.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per resolved scenario (:func:`forecast.scoring.score_entries`).
    scored : list
        The resolved scenarios (:class:`forecast.scoring.Scored`).
    calibration : forecast.scoring.Calibration
        Calibration across them.
    recalibration : forecast.recalibration.Recalibration or None
        With ``recalibrate=True``.
    written : list of Path
        The files written.
    """

    scores: pd.DataFrame
    scored: list
    calibration: Any
    recalibration: Any = None
    written: list[Path] = field(default_factory=list)


def _unique_names(names: list[str], paths: list[str]) -> list[str]:
    """Folder names, or the paths as given where two folders share a name."""
    dup = {n for n in names if names.count(n) > 1}
    return [p if n in dup else n for n, p in zip(names, paths, strict=True)]


def _recalibrate(scored: list, loaded: list, unresolved: list, seed: int, warn: Say) -> Any:
    """Fit the diagnosticity exponent on the resolved scenarios (PyMC, nutpie)."""
    from .inference import ForecastWarning
    from .recalibration import recalibrate

    warn(f"recalibrating on {len(scored)} resolved scenarios (PyMC, nutpie) ...")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        recal = recalibrate(
            list(scored),
            unresolved=[s for _, s, _ in loaded if s.priors.resolution is None],
            unresolved_names=unresolved,
            seed=seed,
        )
    for w in caught:
        warn(f"WARNING: {w.message}")
    return recal


def _as_of(loaded: list, as_of: str, say: Say) -> tuple[list, list[str]]:
    """The ``(name, scenario, file)`` entries as they stood on ``as_of``; say what that means.

    Also returns the names of the questions resolved after it (open then).
    """
    from .asof import parse_day
    from .asof_commands import scenario_as_of, score_as_of_note

    day = parse_day(as_of)
    out = [(n, scenario_as_of(s, day), f) for n, s, f in loaded]
    opened = [
        n for (n, s, _), (_, t, _) in zip(loaded, out, strict=True)
        if s.priors.resolution is not None and t.priors.resolution is None
    ]  # fmt: skip
    for line in score_as_of_note(day, opened):
        say(line)
    return out, opened


def score_folders(
    dirs: Sequence[str | Path],
    out: str | Path,
    *,
    seed: int = 0,
    recalibrate: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    say: Say = quiet,
    warn: Say = quiet,
    as_of: str | None = None,
) -> ScoreOutcome:
    """Score the resolved scenarios, calibration across them, optionally recalibrate.

    ``forecast score``: writes ``scores.csv``, ``postmortem.csv``, ``calibration.csv``,
    ``score_summary.csv``, the score chart (one scenario) or the calibration chart (several), and
    with ``recalibrate`` the recalibration files into ``out``. InputError when no scenario is
    resolved. ``as_of`` (``YYYY-MM-DD`` or ``today``): score what was known on that day
    (:func:`forecast.asof_commands.scenario_as_of`: items dated after it left out, a question
    resolved after it open). Each resolved question is scored (with its post-mortem) on the executor of
    ``forecast portfolio`` (``workers``, ``scheduler``: :func:`forecast.portfolio.executor`).

    Examples
    --------
    >>> score_folders(["."], "out").scores["brier"]  # doctest: +SKIP
    """
    from .guard import unique_folders
    from .scoring import load_scenarios, score_entries

    dirs, repeats = unique_folders(dirs)
    if repeats:
        say(f"note: each folder is scored once; given again, not counted: {some(repeats)}")
    folder = check_out(out, dirs=dirs)
    loaded = load_scenarios(dirs)  # bad files anywhere: every problem listed, exit 2
    names = _unique_names([n for n, _, _ in loaded], [str(d) for d in dirs])
    loaded = [(n, s, f) for n, (_, s, f) in zip(names, loaded, strict=True)]
    opened: list[str] = []  # resolved after the as-of day: open then, said by _as_of
    if as_of is not None:
        loaded, opened = _as_of(loaded, as_of, say)
    from .portfolio import score_in_parallel

    ready, posts = score_in_parallel(loaded, seed=seed, workers=workers, scheduler=scheduler)
    scores = score_entries(loaded, scored=ready)
    scored = scores.attrs["scored"]
    if unresolved := [n for n in scores.attrs["unresolved"] if n not in opened]:
        say(f"not resolved (skipped): {some(unresolved)}")
    if not scored and opened:
        raise InputError(f"no question was resolved on or before --as-of {as_of}")
    if not scored:
        raise InputError(
            "no resolved scenario to score; add a 'resolution:' block to priors.yaml "
            "(outcome, date, source)"
        )
    late = [s for s in scored if s.excluded]
    for s in late[:10]:
        date = s.scenario.priors.resolution.date
        say(
            f"note: {s.name}: {len(s.excluded)} item{'s' * (len(s.excluded) != 1)} dated on or "
            f"after the resolution ({date}) not used for scoring (hindsight): "
            f"{some(s.excluded)}"
        )
    if len(late) > 10:
        say(f"note: and {len(late) - 10} more scenarios with items after their resolution")
    recal = _recalibrate(scored, loaded, unresolved, seed, warn) if recalibrate else None
    cal, names = _write_score(folder, scores, scored, recal, posts)
    return ScoreOutcome(scores, list(scored), cal, recal, [folder / n for n in names])


def _write_score(folder: Path, scores: pd.DataFrame, scored: list, recal: Any, posts: list):
    """Write the score's set into ``folder`` at once, under its lock; return (calibration, names).

    :func:`forecast.outdir.output_set`: a concurrent ``run`` waits; a failure or a kill leaves
    ``out/`` as it was.
    """
    import pandas as pd

    from .charts.score import plot_calibration, plot_score, save_chart
    from .csvout import write_csv
    from .outdir import output_set
    from .scoring import calibration

    cal = calibration(scores)
    post = pd.concat(posts, ignore_index=True)  # each scored question's post-mortem
    tables = {
        "scores.csv": scores,
        "postmortem.csv": post,
        "calibration.csv": cal.table,
        "score_summary.csv": cal.summary,
    }
    with output_set(folder, functools.partial(in_set_of, command="score")) as staging:
        names = [write_csv(frame, staging / name).name for name, frame in tables.items()]
        if len(scored) == 1:
            names += [p.name for p in save_chart(plot_score(scored[0]), staging, "score")]
        else:
            names += [p.name for p in save_chart(plot_calibration(cal), staging, "calibration")]
        if recal is not None:
            names += [p.name for p in recal.save(staging)]
    return cal, names
