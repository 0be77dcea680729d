"""Scoring resolved questions.

The final and time-averaged scores, the post-mortem, and calibration across questions with the CORP decomposition of the Brier score.

Every number follows docs/model.md ("Scoring a resolved question"). The probability scored
is the coherent probability of :func:`forecast.model.probabilities`, computed on the items
dated before ``resolution.date`` only (later items are hindsight).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .constants import Z90
from .errors import InputError
from .model import Arrays, encode, expected_p_outcome, probabilities
from .scenario import LIMITS, Problem, Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from .inputs.models import Resolution

__all__ = [
    "CALIBRATION_COLUMNS",
    "Calibration",
    "POSTMORTEM_COLUMNS",
    "SCORE_COLUMNS",
    "SUMMARY_COLUMNS",
    "Scored",
    "calibration",
    "corp",
    "load_scenarios",
    "log_p_observed",
    "lapsed_before_resolution",
    "pav",
    "standing_forecasts",
    "postmortem",
    "score",
    "score_entries",
    "score_scenario",
    "shapley_log_score",
    "wilson_interval",
]

SCORE_COLUMNS = [
    "scenario",
    "question",
    "outcome_happened",
    "resolved_on",
    "final_p",
    "brier",
    "log_score",
    "baseline_score",
    "time_avg_brier",
    "time_avg_log_score",
    "days",
    "hypothesis_log_score",
    "lapsed_indicators",
    "final_p_if_lapsed_not_seen",
]
"""Columns of ``scores.csv``, one row per resolved scenario."""

CALIBRATION_COLUMNS = ["bin_lo", "bin_hi", "n", "mean_forecast", "observed_rate", "lo90", "hi90"]
"""Columns of ``calibration.csv``, one row per bin of ``final_p``."""

SUMMARY_COLUMNS = ["n", "mean_brier", "mean_log_score", "mcb", "dsc", "unc"]
"""Columns of ``score_summary.csv`` (one row)."""

POSTMORTEM_COLUMNS = ["scenario", "evidence_id", "step_change_log_score", "shapley_log_score"]
"""Columns of ``postmortem.csv``, one row per item used for scoring."""

N_BINS = 10


# ----------------------------------------------------------------------------- one question
@dataclass(frozen=True, eq=False)
class Scored:
    """One resolved scenario, scored.

    Attributes
    ----------
    name : str
        The scenario's name (its folder's name).
    scenario : Scenario
        The whole scenario, hindsight items included.
    arrays : Arrays
        The encoded scenario restricted to the items used (dated before the resolution).
    excluded : tuple of str
        Ids of the items dated on or after ``resolution.date`` (not used).
    opened : date
        The first day scored (``opened``, default the first item's date).
    p_hypothesis, p_outcome : arrays (k+1, H) and (k+1,)
        The coherent probabilities after each used item (row 0: the prior).
    days : array of datetime64[D]
        Every calendar day from ``opened`` to the day before the resolution.
    daily_p : array
        P(outcome) standing at the end of each of ``days``.
    row : dict
        The ``scores.csv`` row.
    """

    name: str
    scenario: Scenario
    arrays: Arrays
    excluded: tuple[str, ...]
    opened: dt.date
    p_hypothesis: np.ndarray
    p_outcome: np.ndarray
    days: np.ndarray
    daily_p: np.ndarray
    row: dict

    @property
    def happened(self) -> bool:
        """Whether the outcome happened (the resolution's ``outcome``)."""
        resolution = self.scenario.priors.resolution
        assert resolution is not None  # only resolved scenarios are scored
        return bool(resolution.outcome)

    @property
    def log_p_observed(self) -> np.ndarray:
        """``ln p_o`` at every step (k+1,): the log score the forecast had after each item."""
        return log_p_observed(self.p_outcome, self.happened)

    @property
    def used_ids(self) -> tuple[str, ...]:
        """The ids of the items scored (those dated before the resolution), in order."""
        return self.scenario.ids[: self.arrays.n_items]


MAX_WINDOW_DAYS = LIMITS["window_days"]
"""The longest window scored (days from ``opened`` to the resolution): 100 years, as for a
deadline. Scoring works day by day; a longer window is refused up front."""


def log_p_observed(p: np.ndarray | float, happened: bool) -> np.ndarray:
    """``ln p_o``: ``ln p`` if the outcome happened, else ``ln(1 - p)`` (natural log)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):  # a certain forecast that was wrong: -inf, no warning
        return np.log(p) if happened else np.log1p(-p)


def _first_items(a: Arrays, k: int) -> Arrays:
    """The arrays of the first ``k`` items (the priors unchanged)."""
    return dataclasses.replace(a, mu=a.mu[:k], sd=a.sd[:k], r=a.r[:k], group=a.group[:k])


def score_scenario(
    scenario: Scenario, *, name: str = "scenario", file: str = "priors.yaml"
) -> Scored:
    """Score one resolved scenario (docs/model.md, "Scoring a resolved question").

    Parameters
    ----------
    scenario : Scenario
        With ``resolution`` set in its priors.
    name : str
        The ``scenario`` column of the row.
    file : str
        The priors file, named in errors.

    Returns
    -------
    Scored

    Raises
    ------
    ValueError
        If the scenario has no resolution.
    ScenarioError
        If no day can be scored (``opened``, or the first item's date when ``opened`` is not
        given, is not before ``resolution.date``).

    Examples
    --------
    >>> scored = score_scenario(forecast.load_scenario())  # doctest: +SKIP
    >>> scored.row["brier"]  # doctest: +SKIP
    0.311
    """
    res = scenario.priors.resolution
    if res is None:
        raise InputError(f"{name}: no resolution in priors.yaml; nothing to score")
    dates = np.array([e.date for e in scenario.evidence], dtype="datetime64[D]")
    resolved = np.datetime64(res.date, "D")
    k = int(np.searchsorted(dates, resolved, side="left"))  # items dated before the resolution
    opened = _scored_window(scenario, res, file)
    a = _first_items(encode(scenario), k)
    p_h, p_y = probabilities(a)
    happened = bool(res.outcome)
    final_p = float(p_y[-1])
    days = np.arange(np.datetime64(opened, "D"), resolved)
    standing = np.searchsorted(dates[:k], days, side="right")  # items dated <= d
    daily_p = p_y[standing]
    p_final_h = p_h[-1]
    timed = standing_forecasts(scenario)
    if timed is not None:  # a deadline or a retraction: the contract's standing forecasts
        days, daily_p, p_final_h = timed
        final_p = float(daily_p[-1])
    h_log: float | str = ""  # blank when the resolution names no hypothesis
    if res.hypothesis is not None:
        h_log = float(np.log(p_final_h[scenario.hypotheses.index(res.hypothesis)]))
    row = {
        "scenario": name,
        "question": scenario.question,
        **_score_columns(happened, res.date, final_p, daily_p, int(days.size)),
        "hypothesis_log_score": h_log,
    }
    return Scored(
        name=name,
        scenario=scenario,
        arrays=a,
        excluded=scenario.ids[k:],
        opened=opened,
        p_hypothesis=p_h,
        p_outcome=p_y,
        days=days,
        daily_p=daily_p,
        row=row,
    )


def _scored_window(scenario: Scenario, res: Resolution, file: str) -> dt.date:
    """The first scored day of a resolved scenario: ``opened``, else the first item's date.

    Raises :class:`ScenarioError` (naming ``file``) when there is no day before the
    resolution to score or the window is longer than :data:`MAX_WINDOW_DAYS`.
    """
    opened = scenario.priors.opened or (scenario.evidence[0].date if scenario.evidence else None)
    if opened is None or not opened < res.date:
        raise ScenarioError(
            [
                Problem(
                    file,
                    "opened",
                    "no day to score: give 'opened:' (when the forecast was first made), a "
                    f"date before resolution.date ({res.date})"
                    + (f"; the first item is dated {opened}" if opened else ""),
                )
            ]
        )
    if (res.date - opened).days > MAX_WINDOW_DAYS:
        field = "opened" if scenario.priors.opened else "resolution.date"
        raise ScenarioError(
            [
                Problem(
                    file,
                    field,
                    f"the scored window {opened}..{res.date} is {(res.date - opened).days:,} "
                    f"days; at most {MAX_WINDOW_DAYS:,} (100 years) are scored day by day",
                )
            ]
        )
    return opened


def _score_columns(
    happened: bool, resolved_on: dt.date, final_p: float, daily_p: np.ndarray, days: int
) -> dict[str, Any]:
    """The scores in a row of :func:`score_scenario`, from the final and the daily P(outcome).

    Definitions: docs/model.md, "Scoring a resolved question"; ``days`` is the number of
    days scored.
    """
    o = float(happened)
    log_score = float(log_p_observed(final_p, happened))
    return {
        "outcome_happened": happened,
        "resolved_on": resolved_on.isoformat(),
        "final_p": final_p,
        "brier": (final_p - o) ** 2,
        "log_score": log_score,
        "baseline_score": 100.0 * (1.0 + log_score / np.log(2.0)),
        "time_avg_brier": float(np.mean((daily_p - o) ** 2)),
        "time_avg_log_score": float(np.mean(log_p_observed(daily_p, happened))),
        "days": days,
    }


def standing_forecasts(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The standing forecast of each day a resolved question with time is scored on.

    docs/model.md, "Time": every day from ``opened`` to the day before the resolution (at most
    the deadline), ``P(Y | items dated <= d, none by d)`` with retractions applied from their
    dates. None for a question without a deadline or retraction (the steps' answers are then the
    standing forecasts, as before).

    Returns
    -------
    days : datetime64[D] array, daily_p : array, p_hypothesis : (H,) the last day's P(h).

    Examples
    --------
    >>> days, p, _ = standing_forecasts(forecast.load_scenario())  # doctest: +SKIP
    >>> str(days[-1]), round(p[-1], 3)  # doctest: +SKIP
    ('2022-02-23', 0.32)
    """
    from .asof import resolve_as_of
    from .time_numbers import time_numbers

    p, res = scenario.priors, scenario.priors.resolution
    retracted = any(e.retracted is not None for e in scenario.evidence)
    if res is None or p.opened is None or (p.deadline is None and not retracted):
        return None
    last = res.date - dt.timedelta(days=1)
    if p.deadline is not None:
        last = min(last, p.deadline)
    t = time_numbers(resolve_as_of(scenario, last), draws=100, seed=0, band=False)
    assert t.daily is not None
    epoch = np.datetime64("0001-01-01", "D")
    days = epoch + (t.daily["date"] - 1).astype("timedelta64[D]")
    return days, t.daily["p"], t.stats["p_hypothesis"][-1]


# ----------------------------------------------------------------------------- many questions
def load_scenarios(folders: Iterable[str | Path]) -> list[tuple[str, Scenario, str]]:
    """Read scenario folders (``priors.yaml`` + ``evidence/``): ``(name, scenario, priors file)``.

    Every problem of every folder is raised at once as one :class:`ScenarioError`.
    """
    loaded, problems = [], []
    for folder in folders:
        folder = Path(folder)
        priors = folder / "priors.yaml"
        try:
            scenario = load_scenario(priors, folder / "evidence", named=False)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        loaded.append((folder.resolve().name or str(folder), scenario, str(priors)))
    if problems:
        raise ScenarioError(problems)
    return loaded


def score(
    scenarios: Scenario | str | Path | Iterable[Scenario | str | Path],
    *,
    names: Iterable[str] | None = None,
    as_of: str | dt.date | None = None,
) -> pd.DataFrame:
    """The ``scores.csv`` table of the resolved scenarios among ``scenarios``.

    Parameters
    ----------
    scenarios : Scenario, folder, or an iterable of them
        Scenarios, or folders holding ``priors.yaml`` and ``evidence/``.
    names : iterable of str, optional
        The ``scenario`` column (default: the folder names, or ``scenario-<n>``).
    as_of : date, ``"YYYY-MM-DD"`` or ``"today"``, optional
        Score what was known on that day (``forecast score --as-of``): items dated after it
        left out, a question resolved after it open
        (:func:`forecast.asof_commands.scenario_as_of`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCORE_COLUMNS`, one row per resolved scenario. ``attrs["unresolved"]``
        lists the names skipped for having no resolution, ``attrs["scored"]`` holds the
        :class:`Scored` objects (for :func:`postmortem` and the charts).

    Examples
    --------
    >>> forecast.score(".")[["final_p", "brier", "log_score"]]  # doctest: +SKIP
    """
    scenarios = [scenarios] if isinstance(scenarios, Scenario | str | Path) else list(scenarios)
    entries: list[tuple[str, Scenario, str]] = []
    folders = []
    for i, s in enumerate(scenarios):
        if isinstance(s, Scenario):
            entries.append((f"scenario-{i + 1}", s, "priors.yaml"))
        else:
            folders.append((i, s))
    if folders:
        for (i, _), entry in zip(folders, load_scenarios(f for _, f in folders), strict=True):
            entries.insert(i, entry)
    if names is not None:
        names = list(names)
        if len(names) != len(entries):
            raise ValueError(f"{len(names)} names for {len(entries)} scenarios")
        entries = [(n, s, f) for n, (_, s, f) in zip(names, entries, strict=True)]
    if as_of is not None:
        from .asof import parse_day
        from .asof_commands import scenario_as_of

        day = parse_day(as_of)
        entries = [(n, scenario_as_of(s, day), f) for n, s, f in entries]
    kept = {i for i, s in enumerate(scenarios) if isinstance(s, Scenario)}
    return score_entries(entries, in_memory=[e[0] for i, e in enumerate(entries) if i in kept])


def score_entries(
    entries: Iterable[tuple[str, Scenario, str]],
    *,
    scored: Sequence[Scored] | None = None,
    in_memory: Iterable[str] = (),
) -> pd.DataFrame:
    """:func:`score` of ``(name, scenario, priors file)`` triples.

    As :func:`load_scenarios` returns them; the file is named in errors, and the lapsed
    indicators are read from ``indicators/`` beside it, except for the names in ``in_memory``
    (scenarios given as objects: nothing is beside them). ``scored``: the resolved entries
    already scored (:func:`score_scenario`, in their order), e.g. in parallel by
    :func:`forecast.portfolio.score_in_parallel`.
    """
    entries = list(entries)
    if scored is None:
        scored = [
            score_scenario(s, name=n, file=f)
            for n, s, f in entries
            if s.priors.resolution is not None
        ]
    skip = set(in_memory)
    files = {n: "" if n in skip else f for n, s, f in entries if s.priors.resolution is not None}
    for sc in scored:
        folder = _indicators_beside(files[sc.name])
        n_lapsed, p_if = lapsed_before_resolution(sc, folder) if folder else (0, sc.row["final_p"])
        sc.row["lapsed_indicators"], sc.row["final_p_if_lapsed_not_seen"] = n_lapsed, p_if
    frame = pd.DataFrame([s.row for s in scored], columns=SCORE_COLUMNS)
    frame.attrs["unresolved"] = [n for n, s, _ in entries if s.priors.resolution is None]
    frame.attrs["scored"] = scored
    return frame


def _indicators_beside(priors_file: str) -> Path | None:
    """``indicators/`` beside a scenario's priors file, or None.

    None for a scenario read from no file (in memory: nothing beside it, never the current
    folder) and for a folder that is a symbolic link leaving the scenario folder
    (:func:`forecast.guard.linked_folder`: not read unless named).
    """
    from .guard import linked_folder

    if not priors_file:
        return None
    scenario = Path(priors_file).parent
    folder = scenario / "indicators"
    return None if linked_folder(folder, scenario, "indicators") else folder


def lapsed_before_resolution(scored: Scored, indicators: Path) -> tuple[int, float]:
    """Indicators whose date passed before the resolution with nothing recorded, and their weight.

    Returns how many lapsed (``by`` before ``resolution.date``, no evidence item of that id)
    and the final probability had each been recorded as not seen on its date (the final
    probability itself when none lapsed or there is no ``indicators/`` folder).

    Examples
    --------
    >>> lapsed_before_resolution(score_scenario(s), Path("indicators"))  # doctest: +SKIP
    (3, 0.122)
    """
    from .indicators import load_indicators
    from .observations import indicator_evidence

    final = float(scored.row["final_p"])
    if not indicators.is_dir():
        return 0, final
    res = scored.scenario.priors.resolution
    assert res is not None
    ids = set(scored.scenario.ids)
    lapsed = [
        i
        for i in load_indicators(indicators, scored.scenario)
        if i.id not in ids and i.by < res.date
    ]
    if not lapsed:
        return 0, final
    items = [
        {**indicator_evidence(i, seen=False, date=i.by), "source": "lapsed indicator, not seen"}
        for i in lapsed
    ]
    with_them = scored.scenario.replace_evidence([*scored.scenario.evidence, *items])
    return len(lapsed), float(score_scenario(with_them, name=scored.name).row["final_p"])


# ----------------------------------------------------------------------------- post-mortem
def shapley_log_score(scored: Scored, *, seed: int = 0) -> np.ndarray:
    """Each used item's order-free share of ``ln p_o`` (final minus prior), (k,).

    Calls :func:`forecast.attribution.shapley` with ``value`` mapping hypothesis probabilities
    to ``ln p_o``. Returns NaNs when ``forecast.attribution`` is not installed.
    """
    try:
        from .attribution import shapley
    except ImportError:
        return np.full(scored.arrays.n_items, np.nan)
    ep = expected_p_outcome(scored.arrays)
    happened = scored.happened

    def value(p_h: np.ndarray) -> np.ndarray:
        return log_p_observed(p_h @ ep, happened)[..., None]

    return np.asarray(shapley(scored.arrays, value=value, seed=seed).values)[:, 0]


def postmortem(scored: Scored, *, seed: int = 0) -> pd.DataFrame:
    """Per used item, what it did to the log score of what happened.

    ``step_change_log_score``: ``ln p_o`` after the item's step minus before it (they add up
    to the final minus the prior log score); ``shapley_log_score``: the order-free share
    (:func:`shapley_log_score`).
    """
    return pd.DataFrame(
        {
            "scenario": scored.name,
            "evidence_id": list(scored.used_ids),
            "step_change_log_score": np.diff(scored.log_p_observed),
            "shapley_log_score": shapley_log_score(scored, seed=seed),
        },
        columns=POSTMORTEM_COLUMNS,
    )


# ----------------------------------------------------------------------------- calibration
def wilson_interval(
    k: np.ndarray | float, n: np.ndarray | float, z: float = Z90
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial rate ``k / n`` (90% by default); NaN where n = 0.

    Examples
    --------
    By hand, ``z = 1.6449``: centre ``(0.3 + z^2/20) / (1 + z^2/10) = 0.3426``, half-width
    ``z sqrt(0.3 * 0.7 / 10 + z^2 / 400) / (1 + z^2/10) = 0.2157``.

    >>> [round(float(x), 4) for x in wilson_interval(3, 10)]
    [0.1269, 0.5583]
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        phat = k / n
        denom = 1.0 + z**2 / n
        centre = (phat + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(phat * (1 - phat) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def pav(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Isotonic (non-decreasing in ``x``) regression of ``y`` by pool-adjacent-violators.

    Equal values of ``x`` pooled first (so equal forecasts get equal fitted values).
    """
    from scipy.optimize import isotonic_regression

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=y, minlength=values.size) / counts
    fitted = isotonic_regression(means, weights=counts.astype(float), increasing=True).x
    return fitted[inverse]


def corp(p: np.ndarray, o: np.ndarray) -> dict[str, float]:
    """The CORP decomposition of the mean Brier score (Dimitriadis, Gneiting, Jordan 2021).

    With ``c`` the forecasts recalibrated by PAV (:func:`pav`) and ``obar`` the base rate:
    ``MCB = mean (p - o)^2 - mean (c - o)^2``, ``DSC = mean (obar - o)^2 - mean (c - o)^2``,
    ``UNC = mean (obar - o)^2``; ``mean_brier = MCB - DSC + UNC`` exactly.

    Examples
    --------
    >>> d = corp([0.2, 0.7, 0.9], [0, 1, 1])
    >>> bool(abs(d["mcb"] - d["dsc"] + d["unc"] - d["mean_brier"]) < 1e-12)
    True
    """
    p, o = np.asarray(p, dtype=float), np.asarray(o, dtype=float)
    c = pav(p, o)
    obar = o.mean()
    brier, brier_c, unc = np.mean((p - o) ** 2), np.mean((c - o) ** 2), np.mean((obar - o) ** 2)
    return {"mean_brier": brier, "mcb": brier - brier_c, "dsc": unc - brier_c, "unc": unc}


@dataclass(frozen=True)
class Calibration:
    """Calibration across resolved questions.

    Attributes
    ----------
    table : DataFrame
        ``calibration.csv``: ten bins of ``final_p`` (:data:`CALIBRATION_COLUMNS`).
    summary : DataFrame
        ``score_summary.csv``: one row, :data:`SUMMARY_COLUMNS`.
    recalibrated : ndarray
        The forecasts recalibrated by PAV (CORP), in the order of the scores.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    recalibrated: np.ndarray

    def describe(self) -> str:
        """One line: the mean Brier score and its CORP decomposition."""
        s = self.summary.iloc[0]
        n = int(s["n"])
        return (
            f"{n} resolved question{'s' * (n != 1)}: mean Brier {s['mean_brier']:.4f}"
            f" = MCB {s['mcb']:.4f} - DSC {s['dsc']:.4f} + UNC {s['unc']:.4f}; "
            f"mean log score {s['mean_log_score']:.4f}"
        )


def calibration(scores: pd.DataFrame) -> Calibration:
    """Reliability table and CORP decomposition of a ``scores.csv`` table.

    Parameters
    ----------
    scores : DataFrame
        With columns ``final_p``, ``outcome_happened`` and ``log_score`` (as :func:`score`
        returns, or ``scores.csv`` read back).

    Returns
    -------
    Calibration
        Bins ``[0, 0.1), ..., [0.9, 1]`` (a forecast of exactly 0.1 is in the second), each
        with its count, mean forecast, observed rate and Wilson 90% interval (empty bins:
        ``n = 0`` and the rest empty); the CORP decomposition ``MCB - DSC + UNC``.

    Examples
    --------
    >>> cal = forecast.calibration(forecast.score(folders))  # doctest: +SKIP
    >>> print(cal.describe())  # doctest: +SKIP
    """
    p = scores["final_p"].to_numpy(dtype=float)
    o = scores["outcome_happened"].astype(bool).to_numpy(dtype=float)
    edges = (
        np.arange(N_BINS + 1) / N_BINS
    )  # k / 10 exactly as written (0.3, not 0.30000000000000004)
    b = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, N_BINS - 1)
    n = np.bincount(b, minlength=N_BINS)
    hits = np.bincount(b, weights=o, minlength=N_BINS)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(b, weights=p, minlength=N_BINS) / n
        rate = hits / n
    lo, hi = wilson_interval(hits, n)
    table = pd.DataFrame(
        {
            "bin_lo": edges[:-1],
            "bin_hi": edges[1:],
            "n": n,
            "mean_forecast": mean_p,
            "observed_rate": rate,
            "lo90": lo,
            "hi90": hi,
        },
        columns=CALIBRATION_COLUMNS,
    )
    if p.size:
        d = corp(p, o)
        c = pav(p, o)
    else:
        d = dict.fromkeys(["mean_brier", "mcb", "dsc", "unc"], np.nan)
        c = np.zeros(0)
    summary = pd.DataFrame(
        [
            {
                "n": int(p.size),
                "mean_brier": d["mean_brier"],
                "mean_log_score": float(scores["log_score"].astype(float).mean()),
                "mcb": d["mcb"],
                "dsc": d["dsc"],
                "unc": d["unc"],
            }
        ],
        columns=SUMMARY_COLUMNS,
    )
    return Calibration(table=table, summary=summary, recalibrated=c)
