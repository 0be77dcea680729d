"""``--as-of`` on the commands after ``run``: ``report``, ``charts``, ``watch`` and ``score``.

A saved result is as of its run's day (its attribute ``as_of``). Given ``--as-of`` naming
another day, :func:`result_as_of` recomputes the scenario as of that day, with the saved
result's seed, draws and method (the defaults when there is no saved result), ranks the
indicators as ``forecast run`` does, and returns that result: the command then draws, reports
or ranks what was known on that day (items dated after it listed as not yet known, retractions
after it not applied). ``posterior.nc`` is left as the run wrote it.

:func:`scenario_as_of` is what ``forecast score --as-of DATE`` scores: the items dated on or
before the day, a retraction dated after it not applied, and a question resolved after it open.

Examples
--------
>>> result = result_as_of(None, "2022-02-15", priors="priors.yaml", evidence="evidence")  # doctest: +SKIP
>>> result.attrs["as_of"]  # doctest: +SKIP
'2022-02-15'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .asof import parse_day, resolve_as_of
from .console import Say, quiet
from .scenario import Scenario, load_scenario

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["as_of_lines", "result_as_of", "scenario_as_of", "score_as_of_note"]


def result_as_of(
    saved: xr.DataTree | None,
    as_of: str | dt.date | None,
    *,
    priors: str | Path,
    evidence: str | Path,
    evidence_named: bool = True,
    indicators: str | Path | None = None,
    warn: Say = quiet,
) -> xr.DataTree:
    """Return ``saved``, or the scenario recomputed as of ``as_of`` when that is another day.

    Parameters
    ----------
    saved : xarray.DataTree or None
        The saved result (None: there is none; then ``as_of`` must be given).
    as_of : date, ``"YYYY-MM-DD"``, ``"today"`` or None
        None, or the saved result's own day: ``saved`` as it is.
    priors, evidence : str or Path
        The scenario files recomputed (every item, so that a later day than the saved one
        sees the items the saved run left out).
    evidence_named : bool
        Whether the user named ``evidence`` (:func:`forecast.load_scenario`).
    indicators : str or Path, optional
        The indicators folder ranked into the result (default: beside the evidence, if any).
    warn : callable
        Takes each warning of the recomputation.

    Raises
    ------
    InputError
        ``as_of`` is not a date, or is before ``opened``, after the deadline, or on or after the
        resolution date (each naming ``--as-of``).

    Examples
    --------
    >>> result_as_of(saved, None, priors="priors.yaml", evidence="evidence") is saved  # doctest: +SKIP
    True
    """
    from .inference import DEFAULT_DRAWS, ForecastWarning, run
    from .result_schema import scenario_of
    from .watching import find_indicators, watch_into

    if as_of is None:
        assert saved is not None, "no saved result and no --as-of"
        return saved
    day = parse_day(as_of)
    if saved is not None and str(saved.attrs.get("as_of", "")) == day.isoformat():
        resolve_as_of(scenario_of(saved), day)  # the checks of the day, as for a recomputation
        return saved
    scenario = load_scenario(priors, evidence, named=evidence_named)
    resolve_as_of(scenario, day)  # before opened, after the deadline, ...: exit 2, nothing run
    attrs = saved.attrs if saved is not None else {}
    seed = int(attrs.get("seed", 0))
    draws = int(attrs.get("draws", DEFAULT_DRAWS))
    method: Literal["fast", "nuts"] = "nuts" if attrs.get("method") == "nuts" else "fast"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        result = run(scenario, method=method, draws=draws, seed=seed, attribution=True, as_of=day)
    for w in caught:
        warn(f"WARNING: {w.message}")
    result.attrs["command"] = (
        f"forecast run --as-of {day} --seed {seed} --draws {draws} --method {method}"
    )
    result.attrs["evidence_folder"] = str(Path(evidence))
    found = find_indicators(indicators, evidence, scenario, priors)
    if found is not None:
        result, _ = watch_into(result, found, warn=warn)
    return result


def as_of_lines(result: xr.DataTree, *, today: dt.date | None = None) -> list[str]:
    """What every command says about the result's as-of day (``forecast run`` says it too).

    The probability with its day, the items dated after it (not yet known) and, for an open
    question whose as-of day is before today, how many days have passed and how to count them
    (:func:`forecast.time_result.as_of_notes`).

    Examples
    --------
    >>> as_of_lines(result, today=dt.date(2022, 3, 1))[0]  # doctest: +SKIP
    'P(invasion) = 41.1% as of 2022-02-16'
    """
    from .labels import display_names
    from .results import trajectory_frame
    from .time_result import as_of_notes, as_of_text

    day = as_of_text(result)
    if not day:
        return as_of_notes(result, today=today)
    o = str(result.attrs["outcome"])
    p = float(trajectory_frame(result)[f"p_{o}"].iloc[-1])
    head = f"P({display_names(result).outcome}) = {p:.1%}{day}"
    return [head, *as_of_notes(result, today=today)]


def scenario_as_of(scenario: Scenario, day: dt.date) -> Scenario:
    """The scenario as it stood on ``day``, for scoring (``forecast score --as-of``).

    Items dated after ``day`` are left out, a retraction dated after it is not applied, and a
    resolution dated after it is not yet known (the question is open on ``day``).

    Examples
    --------
    >>> scenario_as_of(scenario, dt.date(2022, 2, 15)).priors.resolution is None  # doctest: +SKIP
    True
    """
    p = scenario.priors
    items = tuple(
        e
        if e.retracted is None or e.retracted.date <= day
        else e.model_copy(update={"retracted": None})
        for e in scenario.evidence
        if e.date <= day
    )
    if p.resolution is not None and p.resolution.date > day:
        p = p.model_copy(update={"resolution": None})
    return dataclasses.replace(scenario, priors=p, evidence=items)


def score_as_of_note(
    day: dt.date, opened_since: list[str], *, today: dt.date | None = None
) -> list[str]:
    """``forecast score --as-of``'s lines: the day, questions resolved after it, days since.

    Examples
    --------
    >>> score_as_of_note(dt.date(2022, 2, 20), ["ukraine"], today=dt.date(2022, 2, 25))[0]
    'scored as of 2022-02-20: what was known on that day (items dated after it left out)'
    """
    lines = [f"scored as of {day}: what was known on that day (items dated after it left out)"]
    if opened_since:
        shown = ", ".join(opened_since[:10]) + (
            f" and {len(opened_since) - 10:,} more" if len(opened_since) > 10 else ""
        )
        lines.append(f"resolved after {day}, so still open then (not scored): {shown}")
    passed = ((today or dt.date.today()) - day).days
    if passed > 0:
        lines.append(
            f"{passed:,} day(s) have passed since {day}; run without --as-of (or with "
            "--as-of today) to score everything known today"
        )
    return lines
