"""Several analysts: their folders read together, their forecasts pooled (docs/model.md).

Analysts answer the same question in their own scenario folders. :func:`load_team` reads
them (same ``outcome`` or refused, every broken folder reported with its file and field),
each as of the same day; :func:`pool_values` applies a pool (``linear``, ``logodds``,
``extremized``) to their probabilities or to their band draws; :func:`pool` does it all and
returns a :class:`Pool` (the table of ``pool.csv``, the consensus scenario and the
disagreement of :mod:`forecast.consensus`). :mod:`forecast.pool_output` writes it.

>>> team = pool(["alice", "bob"], draws=1000)  # doctest: +SKIP
>>> team.table.iloc[-2]["p_invasion"]  # pooled:logodds  # doctest: +SKIP
0.41
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from .errors import InputError
from .scenario import Problem, Scenario, ScenarioError, load_scenario, printable

if TYPE_CHECKING:
    import xarray as xr

    from .consensus import Consensus

__all__ = [
    "METHODS",
    "Analyst",
    "Pool",
    "Team",
    "analyst_probabilities",
    "load_team",
    "neyman_d",
    "parse_weights",
    "pool",
    "pool_values",
    "pooled_point",
]

METHODS = ("linear", "logodds", "extremized")
Method = Literal["linear", "logodds", "extremized"]
MAX_ANALYSTS = 500
"""At most this many folders (the consensus items list their analysts within a note's limit)."""


@dataclass(frozen=True)
class Analyst:
    """One analyst's folder: the name, the folder and the scenario as of the team's day."""

    name: str
    folder: Path
    scenario: Scenario
    left_out: tuple[str, ...] = ()
    """Items dated after the as-of day (not yet known), left out."""
    source: Scenario | None = None
    """The scenario as written (``scenario`` holds what counts on the as-of day: the items
    known then, less those retracted by then); runs are made from it, as of the day."""


@dataclass(frozen=True)
class Team:
    """The analysts of one question, read as of the same day ``as_of``."""

    analysts: tuple[Analyst, ...]
    as_of: dt.date

    @property
    def names(self) -> list[str]:
        """The analysts' names, in the order given."""
        return [a.name for a in self.analysts]

    @property
    def outcome(self) -> str:
        """The outcome they all forecast."""
        return self.analysts[0].scenario.outcome


def neyman_d(n: int) -> float:
    """Neyman and Roughgarden's extremizing factor for ``n >= 2`` analysts.

    ``d = n (sqrt(3 n^2 - 3 n + 1) - 2) / (n^2 - n - 1)``; it tends to ``sqrt 3``.

    Examples
    --------
    >>> round(neyman_d(2), 6)
    1.291503
    """
    if n < 2:
        raise InputError(f"Neyman's extremizing factor needs at least 2 analysts, got {n}")
    return n * (math.sqrt(3 * n * n - 3 * n + 1) - 2) / (n * n - n - 1)


def _logit(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def _expit(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))


def pool_values(
    p: np.ndarray,
    weights: np.ndarray,
    *,
    method: Method = "logodds",
    d: float = 1.0,
) -> np.ndarray:
    """Pool probabilities over the first axis (analysts): the contract's three pools.

    Parameters
    ----------
    p : array (A, ...)
        Each analyst's probability (fractions), e.g. (A,) points or (A, draws) band draws.
    weights : array (A,)
        Non-negative weights summing to 1.
    method : {"linear", "logodds", "extremized"}
        ``linear``: ``sum w p``; ``logodds``: ``logit p = sum w logit p`` (the weighted
        geometric mean of odds); ``extremized``: ``logit p = d * sum w logit p``.
    d : float
        The extremizing factor (``extremized`` only).

    Returns
    -------
    array (...)
        The pooled probability; NaN where, under ``logodds``/``extremized``, one analyst of
        positive weight says 0 and another 1 (the caller refuses that for points).

    Examples
    --------
    >>> round(float(pool_values(np.array([0.1, 0.2, 0.4, 0.5]), np.full(4, 0.25))), 6)
    0.269483
    """
    p = np.asarray(p, dtype=float)
    w = np.asarray(weights, dtype=float).reshape((-1,) + (1,) * (p.ndim - 1))
    if method == "linear":
        return np.sum(w * p, axis=0)
    if method not in ("logodds", "extremized"):
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    active = np.broadcast_to(w > 0, p.shape)
    x = np.where(active, _logit(p), 0.0)
    with np.errstate(invalid="ignore"):
        total = np.sum(np.where(active, w * x, 0.0), axis=0)  # +inf and -inf together: NaN
    return _expit((d if method == "extremized" else 1.0) * total)


def zero_one_clash(p: np.ndarray, weights: np.ndarray, names: Sequence[str]) -> str | None:
    """The message refusing a 0 and a 1 together in a log-odds pool, or None."""
    w = np.asarray(weights) > 0
    zeros = [n for n, x, a in zip(names, p, w, strict=True) if a and x == 0.0]
    ones = [n for n, x, a in zip(names, p, w, strict=True) if a and x == 1.0]
    if zeros and ones:
        return (
            f"{', '.join(zeros)} say{'s' * (len(zeros) == 1)} 0 and {', '.join(ones)} "
            f"say{'s' * (len(ones) == 1)} 1: a log-odds pool cannot combine certainty both "
            "ways; use --method linear or revisit the point p_outcome values"
        )
    return None


def pooled_point(
    p: np.ndarray, weights: np.ndarray, names: Sequence[str], *, method: Method, d: float
) -> float:
    """Return :func:`pool_values` of points, refusing a 0 and a 1 together (InputError)."""
    if method != "linear":
        clash = zero_one_clash(p, weights, names)
        if clash:
            raise InputError(f"--method {method}: {clash}")
    return float(pool_values(p, weights, method=method, d=d))


def parse_weights(text: str | Mapping[str, float] | None, names: Sequence[str]) -> np.ndarray:
    """Weights from ``NAME=W,...`` (or a mapping), normalised to sum to 1.

    Analysts not named weigh 1 (relative). Unknown names, negative or non-finite weights and
    all-zero weights are refused with InputError.

    Examples
    --------
    >>> parse_weights("a=3", ["a", "b"])
    array([0.75, 0.25])
    """
    given: dict[str, float] = {}
    if isinstance(text, str):
        for part in filter(None, (s.strip() for s in text.split(","))):
            name, eq, value = part.rpartition("=")
            if not eq or not name.strip():
                raise InputError(f"--weights: {printable(part)!r} is not NAME=W")
            try:
                given[name.strip()] = float(value)
            except ValueError:
                raise InputError(
                    f"--weights: the weight of {printable(name.strip())} is not a number: "
                    f"{printable(value)!r}"
                ) from None
    elif text is not None:
        given = {str(k): float(v) for k, v in text.items()}
    unknown = [n for n in given if n not in names]
    if unknown:
        raise InputError(
            f"--weights: unknown analyst {', '.join(printable(u) for u in unknown)} "
            f"(analysts: {', '.join(printable(n) for n in names)})"
        )
    bad = [n for n, v in given.items() if not (math.isfinite(v) and v >= 0)]
    if bad:
        raise InputError(f"--weights: the weight of {', '.join(bad)} must be a number >= 0")
    w = np.array([given.get(n, 1.0) for n in names], dtype=float)
    if w.sum() <= 0:
        raise InputError("--weights: every weight is 0; at least one must be positive")
    return w / w.sum()


def _default_as_of(scenario: Scenario) -> dt.date | None:
    """The scenario's own as-of day (:func:`forecast.asof.resolve_as_of`'s default)."""
    from .asof import resolve_as_of

    return resolve_as_of(scenario).day


def _analyst(folder: Path, scenario: Scenario, as_of: dt.date) -> Analyst:
    """The analyst of ``folder`` as of ``as_of``: the items known then, retractions applied."""
    from .asof import epochs, resolve_as_of

    name = scenario.priors.analyst or folder.resolve().name
    try:
        known = resolve_as_of(scenario, as_of)
    except InputError as exc:
        raise InputError(f"{printable(folder)}: {exc}") from None
    counting = epochs(known.known, known.day)[-1]  # what counts on the day
    return Analyst(name, folder, counting, known.left_out, source=scenario)


def load_team(folders: Sequence[str | Path], *, as_of: dt.date | None = None) -> Team:
    """Read every analyst's folder (``priors.yaml`` and ``evidence/``) as of one day.

    Parameters
    ----------
    folders : sequence of paths
        At least two scenario folders.
    as_of : date, optional
        The day every folder is read as of; default the latest of their default as-of days
        (their latest item date, or ``opened``). Items dated after it are left out.

    Raises
    ------
    ScenarioError
        Every problem of every broken folder, each naming its file and field.
    InputError
        Fewer than two folders, two folders with one analyst's name, or folders that answer
        a different question (another ``outcome``), both named.

    Examples
    --------
    >>> team = load_team(["alice", "bob"])  # doctest: +SKIP
    >>> team.names  # doctest: +SKIP
    ['alice', 'bob']
    """
    paths = [Path(f) for f in folders]
    if len(paths) < 2:
        raise InputError(
            f"pool needs at least two analysts' folders, got {len(paths)}"
            + (f" ({printable(paths[0])})" if paths else "")
        )
    if len(paths) > MAX_ANALYSTS:
        raise InputError(f"{len(paths):,} folders; at most {MAX_ANALYSTS:,} analysts")
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    for path in paths:
        if not path.is_dir():
            what = "not found" if not path.exists() else "is a file, not a scenario folder"
            problems.append(Problem(str(path), "", what))
            continue
        try:
            scenarios.append(load_scenario(path / "priors.yaml", path / "evidence"))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    first = scenarios[0]
    for path, s in zip(paths[1:], scenarios[1:], strict=True):
        if s.outcome != first.outcome:
            raise InputError(
                f"{printable(path / 'priors.yaml')}: outcome '{printable(s.outcome)}' is not "
                f"the outcome of {printable(paths[0] / 'priors.yaml')} "
                f"('{printable(first.outcome)}'): the folders answer different questions"
            )
    days = [d for d in map(_default_as_of, scenarios) if d is not None]
    day = as_of if as_of is not None else (max(days) if days else dt.date.today())
    analysts = [_analyst(p, s, day) for p, s in zip(paths, scenarios, strict=True)]
    seen: dict[str, Path] = {}
    for a in analysts:
        if a.name in seen:
            raise InputError(
                f"{printable(seen[a.name])} and {printable(a.folder)} are both analyst "
                f"'{printable(a.name)}'; give one of them `analyst:` in its priors.yaml"
            )
        seen[a.name] = a.folder
    return Team(analysts=tuple(analysts), as_of=day)


@dataclass(frozen=True)
class Pool:
    """What :func:`pool` computed (:mod:`forecast.pool_output` writes it).

    Attributes
    ----------
    team : Team
    weights : (A,) the analysts' weights, summing to 1.
    method : the headline pool; ``d`` its extremizing factor (``extremized``).
    results : each analyst's run (:func:`forecast.run`), in team order.
    table : the rows of ``pool.csv``.
    consensus : the consensus scenario, its run and the disagreement, or None when the
        analysts do not share hypotheses.
    notes : sentences for the report (why a row is empty, what was left out).
    """

    team: Team
    weights: np.ndarray
    method: Method
    d: float
    results: tuple[xr.DataTree, ...]
    table: pd.DataFrame
    consensus: Consensus | None
    notes: tuple[str, ...] = field(default=())

    @property
    def headline(self) -> float:
        """The pooled probability of the headline method."""
        row = self.table["analyst"] == f"pooled:{self.method}"
        return float(self.table.loc[row, f"p_{self.team.outcome}"].iloc[0])


def analyst_probabilities(team: Team) -> np.ndarray:
    """Each analyst's exact P(outcome) as of the team's day (A,), without the band.

    The final step of :func:`forecast.model.probabilities` (every item at its final weight),
    computed alone: what point pooling needs.

    Examples
    --------
    >>> pool_values(analyst_probabilities(team), np.full(3, 1 / 3))  # doctest: +SKIP
    """
    from .consensus import final_log_posterior, p_outcome
    from .inference import run
    from .model import encode, expected_p_outcome

    out = []
    for a in team.analysts:
        if a.scenario.priors.deadline is not None:  # time passing is evidence: the run's rule
            result = run(a.source or a.scenario, draws=100, as_of=team.as_of)
            out.append(final_p(result))
            continue
        arrays = encode(a.scenario)
        out.append(float(p_outcome(final_log_posterior(arrays), expected_p_outcome(arrays))))
    return np.array(out)


def final_p(result: xr.DataTree) -> float:
    """A run's P(outcome) at its last step (a fraction)."""
    from .result_schema import TRAJECTORY, variable

    return float(np.asarray(variable(result, TRAJECTORY, "p_outcome"))[-1])


def final_draws(result: xr.DataTree) -> np.ndarray:
    """The band draws of ``P(Y | E, theta)`` at a run's last step, flattened (draws,)."""
    from .result_schema import POSTERIOR, variable

    post = variable(result, POSTERIOR, "p_outcome")
    return np.asarray(post.isel(step=-1).values, dtype=float).reshape(-1)


def pool_table(
    team: Team,
    p: np.ndarray,
    draws: np.ndarray,
    weights: np.ndarray,
    *,
    d: float,
    band: tuple[float, float] = (0.05, 0.95),
) -> tuple[pd.DataFrame, list[str]]:
    """The rows of ``pool.csv`` from the analysts' probabilities ``p`` and draws (A, draws).

    Returns the table and notes (a pool left empty because of a 0 and a 1 together).
    """
    o = team.outcome
    q = np.quantile(draws, band, axis=1)
    rows = [
        {"analyst": n, "weight": w, f"p_{o}": x, f"p_{o}_low": lo, f"p_{o}_high": hi}
        for n, w, x, lo, hi in zip(team.names, weights, p, q[0], q[1], strict=True)
    ]
    notes = []
    clash = zero_one_clash(p, weights, team.names)
    for m in METHODS:
        if m != "linear" and clash:
            notes.append(f"pooled:{m} is empty: {clash}")
            value, lo, hi = np.nan, np.nan, np.nan
        else:
            value = float(pool_values(p, weights, method=m, d=d))  # type: ignore[arg-type]
            pooled = pool_values(draws, weights, method=m, d=d)  # type: ignore[arg-type]
            pooled = pooled[np.isfinite(pooled)]
            lo, hi = np.quantile(pooled, band) if pooled.size else (np.nan, np.nan)
        row = {"analyst": f"pooled:{m}", "weight": np.nan, f"p_{o}": value}
        rows.append(row | {f"p_{o}_low": lo, f"p_{o}_high": hi})
    return pd.DataFrame(rows), notes


def pool(
    folders: Sequence[str | Path],
    *,
    method: Method = "logodds",
    extremize: float | Literal["neyman"] = "neyman",
    weights: str | Mapping[str, float] | None = None,
    as_of: dt.date | None = None,
    draws: int = 4000,
    seed: int = 0,
    hierarchical: bool = False,
    run_consensus: bool = True,
) -> Pool:
    """Pool several analysts' forecasts of one question (docs/model.md, "Several analysts").

    Parameters
    ----------
    folders : sequence of paths
        The analysts' scenario folders (each with ``priors.yaml`` and ``evidence/``).
    method : {"linear", "logodds", "extremized"}
        The headline pool (``pool.csv`` has a row for each).
    extremize : float or "neyman"
        The extremizing factor ``d`` (> 0), or Neyman's for the number of analysts.
    weights : "NAME=W,..." or mapping, optional
        Relative weights (default equal; analysts not named weigh 1).
    as_of : date, optional
        Read every folder as of this day (default: the latest of their as-of days).
    draws, seed : int
        Every analyst is run with the same draws and seed, so that draw ``j`` of each is
        pooled with draw ``j`` of the others (the pooled band).
    hierarchical : bool
        Also fit the partial-pooling model (:mod:`forecast.hierarchy`) and make the consensus
        items intervals from its posterior.
    run_consensus : bool
        Run the consensus scenario (``Pool.consensus.result``); ``forecast pool`` runs it from
        the folder it writes instead.

    Returns
    -------
    Pool

    Examples
    --------
    >>> team = pool(["alice", "bob", "carol"], method="extremized", extremize=2.5)  # doctest: +SKIP
    """
    from .consensus import build_consensus
    from .inference import run

    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    team = load_team(folders, as_of=as_of)
    w = parse_weights(weights, team.names)
    d = neyman_d(len(team.analysts)) if extremize == "neyman" else float(extremize)
    if not (math.isfinite(d) and d > 0):
        raise InputError(f"--extremize must be a number > 0 or 'neyman', got {extremize!r}")
    results = tuple(
        run(a.source or a.scenario, draws=draws, seed=seed, as_of=team.as_of) for a in team.analysts
    )
    p = np.array([final_p(r) for r in results])
    pooled_point(p, w, team.names, method=method, d=d)  # refuses a 0 and a 1 together
    table, notes = pool_table(team, p, np.stack([final_draws(r) for r in results]), w, d=d)
    for a in team.analysts:
        if a.left_out:
            notes.append(
                f"{a.name}: {len(a.left_out)} item(s) dated after {team.as_of} left out "
                f"({', '.join(a.left_out[:5])}{', ...' * (len(a.left_out) > 5)})"
            )
    consensus = build_consensus(
        team, hierarchical=hierarchical, draws=draws, seed=seed, run=run_consensus
    )
    if consensus is None:
        notes.append("the analysts do not share their hypotheses: no consensus scenario")
    return Pool(team, w, method, d, results, table, consensus, tuple(notes))
