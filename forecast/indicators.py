"""Indicators: what to watch next and what each sighting would do to the forecast.

And turning a sighting (or its absence) into an evidence item.

An indicator file (``indicators/<id>.yaml``, or rows of a CSV) names something that may be
seen by a date, with ``p_seen``, the absolute probability of seeing it under every
hypothesis. From the current evidence ``E`` (docs/model.md, "Indicators"):

    P(seen) = sum_h P(h|E) q_h,   q_h = E[p_seen_h]
    P(h|E, seen) ∝ P(h|E) q_h,    P(Y|E, seen) = sum_h P(h|E, seen) E[p_h]

(likewise for not seen with ``1 - q_h``), the expected shift of P(Y) and the expected
information about the hypotheses and the outcome, in bits.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, field_validator

from .errors import InputError, Problem, ScenarioError
from .inputs.fields import Date, Probability, check_id
from .inputs.files import folder_files, read_file
from .inputs.limits import LIMITS, TEXT_FIELDS
from .inputs.models import StrictModel, validate_model
from .inputs.tables import read_table
from .inputs.text import suggest
from .scenario import Scenario
from .streams import stream
from .yamlsafe import MAX_BYTES, YamlError, parse_yaml

if TYPE_CHECKING:  # reading and checking the files (forecast validate) needs no pandas/scipy
    import pandas as pd
    import xarray as xr

__all__ = [
    "Indicator",
    "RANK_BY",
    "band_if_observed",
    "best_set",
    "current",
    "load_indicators",
    "seen_probabilities",
    "value_of_information",
    "watch",
    "watch_columns",
    "watch_dataset",
    "watch_frame",
    "write_watch_csv",
]

RANK_BY = {
    "shift": "expected_shift",
    "info_hypotheses": "info_hypotheses_bits",
    "info_outcome": "info_outcome_bits",
}
"""``--rank-by`` choices and the column each one sorts by (largest first)."""

MAX_SET = 10
"""At most this many indicators in the best set (2^10 joint outcomes)."""

PARETO_K_LIMIT = 0.7
"""Importance weights of the band with a larger Pareto k-hat are unreliable: a warning."""
MIN_ESS = 400
"""Effective sample size below which the band warns (or below a tenth of the draws, if less)."""


class Indicator(StrictModel):
    """One indicator (one file in ``indicators/`` or one row of an indicator CSV)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: str = Field(description="Unique identifier (letters, digits, - _ .).")
    title: str = Field(min_length=1, description="What would be seen.")
    by: Date = Field(description="The date by which it would be seen, if at all (YYYY-MM-DD).")
    p_seen: dict[str, Probability] = Field(
        min_length=1,
        description="P(seen by `by` | hypothesis) for every hypothesis: a probability in "
        "(0, 1) or a 90% interval [lo, hi] (logit-normal).",
    )
    rationale: str | None = Field(None, description="Why these probabilities.")
    source: str | None = None
    url: str | None = None
    quote: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_id(v)

    @field_validator("p_seen")
    @classmethod
    def _strictly_inside(cls, v: dict) -> dict:
        # a sighting certain or impossible under every reading leaves nothing to learn from
        # one branch (0/0); unlike p_outcome, P(seen | h) stays strictly inside (0, 1)
        for name, p in v.items():
            if not isinstance(p, tuple) and not 0.0 < p < 1.0:
                raise ValueError(f"p_seen.{name}: {p!r} is not strictly between 0 and 1")
        return v

    @property
    def uncertain(self) -> bool:
        """True when some ``p_seen`` is a 90% interval."""
        return any(isinstance(v, tuple) for v in self.p_seen.values())


# ----------------------------------------------------------------------------- files
def load_indicators(folder: str | Path, scenario: Scenario) -> tuple[Indicator, ...]:
    """Read and validate every indicator in ``folder`` against ``scenario``'s hypotheses.

    Parameters
    ----------
    folder : str or Path
        ``*.yaml``/``*.yml`` files (one indicator each) and ``*.csv`` tables (columns as the
        YAML fields, ``p_seen.<hypothesis>`` for each hypothesis). Files starting with ``.``
        or ``_`` are ignored.
    scenario : Scenario
        The hypotheses every indicator must name.

    Returns
    -------
    tuple of Indicator
        Sorted by id.

    Raises
    ------
    ScenarioError
        Every problem in every file, each naming the file and the field.

    Examples
    --------
    >>> load_indicators("indicators", load_scenario())  # doctest: +SKIP
    """
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        raise ScenarioError([Problem(str(folder), "", "indicators folder not found")])
    parsed: list[tuple[str, Indicator | None]] = []
    names = list(scenario.hypotheses)
    for path in folder_files(folder, problems):
        limit = LIMITS["csv_bytes"] if path.suffix.lower() == ".csv" else MAX_BYTES
        got = read_file(path, limit, problems)
        if got is None:
            continue
        if path.suffix.lower() == ".csv":
            rows = read_table(path, got[1], problems, names, model=Indicator, mapping="p_seen")
        else:
            try:
                rows = [(str(path), _parse(path, *got))]
            except YamlError as exc:
                problems.append(Problem(str(path), "", str(exc)))
                continue
        for where, raw in rows:
            item = validate_model(Indicator, raw, where, problems)
            parsed.append((where, item))
    seen: dict[str, str] = {}
    for where, item in parsed:
        if item is None:
            continue
        if item.id in seen:
            problems.append(
                Problem(where, "id", f"duplicate id '{item.id}' (also in {seen[item.id]})")
            )
        seen.setdefault(item.id, where)
        for name in item.p_seen:
            if name not in names:
                problems.append(
                    Problem(
                        where,
                        f"p_seen.{name}",
                        f"unknown hypothesis '{name}'{suggest(name, names)}"
                        f" (hypotheses: {', '.join(names)})",
                    )
                )
        for name in names:
            if name not in item.p_seen:
                problems.append(
                    Problem(
                        where,
                        f"p_seen.{name}",
                        "is required: unlike evidence, an indicator gives P(seen | h) for "
                        "every hypothesis",
                    )
                )
    if problems:
        raise ScenarioError(_csv_columns(problems))
    return tuple(sorted((i for _, i in parsed if i is not None), key=lambda i: i.id))


_PARSED: dict[tuple[str, str], Any] = {}
"""Parsed indicator files by (path, sha256): watching again re-reads only what changed."""


def _parse(path: Path, sha256: str, text: str) -> Any:
    """The parsed YAML of an indicator file, remembered by (path, sha256)."""
    key = (str(path), sha256)
    if key not in _PARSED:
        if len(_PARSED) > 20_000:
            _PARSED.clear()
        _PARSED[key] = parse_yaml(text, text_keys=TEXT_FIELDS)
    return copy.deepcopy(_PARSED[key])


def _csv_columns(problems: list[Problem]) -> list[Problem]:
    """Problems in CSV rows name the column (``p_seen.<h>``), as the table has it."""
    out = []
    for p in problems:
        if " row " in p.file and p.field and not p.field.startswith(("column", "row")):
            p = Problem(p.file, f"column '{p.field}'", p.message)
        out.append(p)
    return out


# ----------------------------------------------------------------------------- numbers
def seen_probabilities(
    indicators: Sequence[Indicator], hypotheses: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``q = E[p_seen]`` (M, H), and the logit-normal ``(mean, sd)`` (M, H) each.

    ``q_h`` of an interval is the mean of its logit-normal (docs/model.md), by the same
    Gauss-Hermite quadrature as ``E[p_h]``.
    """
    from .model import logit, normal_params
    from .quadrature import logit_normal_mean

    m = np.zeros((len(indicators), len(hypotheses)))
    s = np.zeros_like(m)
    for i, ind in enumerate(indicators):
        for j, h in enumerate(hypotheses):
            m[i, j], s[i, j] = normal_params(ind.p_seen[h], logit)
    exact = [[v if not isinstance(v, tuple) else np.nan for v in (i.p_seen[h] for h in hypotheses)]
             for i in indicators]  # fmt: skip
    # exact inputs: the number itself (not expit(logit(p)), which rounds)
    q = np.where(s > 0, logit_normal_mean(m, s), np.array(exact, dtype=float).reshape(m.shape))
    return q, m, s


def _bits(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in bits of distributions along ``axis`` (0 log 0 = 0)."""
    from scipy.special import entr

    return entr(p).sum(axis=axis) / np.log(2.0)


def _binary_bits(p: np.ndarray | float) -> np.ndarray:
    from scipy.special import entr

    return (entr(p) + entr(1.0 - p)) / np.log(2.0)


def value_of_information(
    p_hypothesis: np.ndarray, p_outcome_given: np.ndarray, q: np.ndarray
) -> dict[str, np.ndarray]:
    """What seeing (or not seeing) each indicator would do, from the current evidence.

    Parameters
    ----------
    p_hypothesis : (H,) array
        ``P(h | E)``, the coherent probability after all the evidence.
    p_outcome_given : (H,) array
        ``E[p_h]``, P(outcome | h).
    q : (M, H) array
        ``q_h = E[p_seen_h]`` of each indicator, in (0, 1).

    Returns
    -------
    dict of (M,) arrays
        ``p_seen`` = P(seen); ``p_outcome_if_seen`` / ``p_outcome_if_not_seen``;
        ``expected_shift`` = ``P(seen)|P(Y|seen) - P(Y)| + P(not)|P(Y|not) - P(Y)|``;
        ``info_hypotheses_bits`` = ``H(P(h|E)) - sum_x P(x) H(P(h|E, x))``;
        ``info_outcome_bits`` = ``H_b(P(Y|E)) - sum_x P(x) H_b(P(Y|E, x))``. The two
        informations are mutual informations, never negative: rounding below 0 is set to 0.

    Examples
    --------
    >>> v = value_of_information(np.array([0.5, 0.5]), np.array([0.1, 0.9]), np.array([[0.2, 0.8]]))
    >>> round(float(v["p_outcome_if_seen"][0]), 2), round(float(v["expected_shift"][0]), 2)
    (0.74, 0.24)
    """
    p_h = np.asarray(p_hypothesis, dtype=float)
    e_p = np.asarray(p_outcome_given, dtype=float)
    q = np.atleast_2d(np.asarray(q, dtype=float))
    p_y = float(p_h @ e_p)
    joint_seen = q * p_h  # (M, H)
    joint_not = (1.0 - q) * p_h
    p_seen = joint_seen.sum(axis=1)
    p_not = joint_not.sum(axis=1)
    post_seen = joint_seen / p_seen[:, None]
    post_not = joint_not / p_not[:, None]
    y_seen = post_seen @ e_p
    y_not = post_not @ e_p
    shift = p_seen * np.abs(y_seen - p_y) + p_not * np.abs(y_not - p_y)
    info_h = _bits(p_h) - p_seen * _bits(post_seen) - p_not * _bits(post_not)
    info_y = _binary_bits(p_y) - p_seen * _binary_bits(y_seen) - p_not * _binary_bits(y_not)
    return {
        "p_seen": p_seen,
        "p_outcome_if_seen": y_seen,
        "p_outcome_if_not_seen": y_not,
        "expected_shift": shift,
        "info_hypotheses_bits": np.maximum(info_h, 0.0),
        "info_outcome_bits": np.maximum(info_y, 0.0),
    }


def best_set(p_hypothesis: np.ndarray, p_outcome_given: np.ndarray, q: np.ndarray) -> float:
    """Expected shift of P(Y) from watching several indicators together.

    Exact over their ``2^k`` joint outcomes, the indicators independent given the
    hypothesis: ``P(x|h) = prod_j q_jh^x_j (1 - q_jh)^(1 - x_j)``; the shift is
    ``sum_x P(x) |P(Y|E, x) - P(Y|E)|``.

    Parameters
    ----------
    p_hypothesis, p_outcome_given : (H,) arrays
    q : (k, H) array, ``k <= 10``.

    Examples
    --------
    >>> q = np.array([[0.2, 0.8]])
    >>> round(best_set(np.array([0.5, 0.5]), np.array([0.1, 0.9]), q), 2)
    0.24
    """
    q = np.atleast_2d(np.asarray(q, dtype=float))
    k = q.shape[0]
    if k > MAX_SET:
        raise ValueError(f"at most {MAX_SET} indicators in a set (2^{MAX_SET} outcomes), got {k}")
    p_h = np.asarray(p_hypothesis, dtype=float)
    e_p = np.asarray(p_outcome_given, dtype=float)
    x = (np.arange(2**k)[:, None] >> np.arange(k)[None, :]) & 1  # (2^k, k) outcomes
    log_q, log_1mq = np.log(q), np.log1p(-q)
    log_like = x @ log_q + (1 - x) @ log_1mq  # (2^k, H)
    joint = np.exp(log_like) * p_h
    p_x = joint.sum(axis=1)
    y_x = (joint @ e_p) / p_x
    return float(p_x @ np.abs(y_x - p_h @ e_p))


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, probs) -> np.ndarray:
    """Quantiles of weighted draws, row by row (M, S).

    The weighted empirical CDF at the draws' mid-points, interpolated linearly.
    """
    order = np.argsort(values, axis=1)
    v = np.take_along_axis(values, order, axis=1)
    w = np.take_along_axis(weights, order, axis=1)
    cdf = np.cumsum(w, axis=1)
    cdf = (cdf - w / 2) / cdf[:, -1:]
    out = np.empty((values.shape[0], len(probs)))
    for i in range(values.shape[0]):
        out[i] = np.interp(probs, cdf[i], v[i])
    return out


def band_if_observed(
    p_hypothesis_draws: np.ndarray,
    p_given_draws: np.ndarray,
    ids: Sequence[str],
    m: np.ndarray,
    s: np.ndarray,
    band: tuple[float, float],
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """The 90% judgement band of ``P(Y | E, seen)`` and ``P(Y | E, not seen)``.

    The band's draws ``theta ~ P(theta | E)`` give each draw's ``P(h | E, theta)`` and
    ``p_h``; each indicator's ``p_seen`` is drawn from its logit-normal (its own random
    stream, keyed by its id). Each draw is weighted by ``P(seen | E, theta, q) =
    sum_h P(h | E, theta) q_h`` (``1 -`` that for not seen), which turns ``P(theta | E)``
    into ``P(theta | E, seen)``, and the band is the weighted 5th and 95th percentiles of
    ``P(Y | E, seen, theta, q)``. The importance weights are checked (Pareto k-hat, ESS).

    Returns
    -------
    dict of (M,) arrays: ``seen_low``, ``seen_high``, ``not_seen_low``, ``not_seen_high``,
    ``seen_mean``, ``not_seen_mean`` (the weighted means: a Monte Carlo check of the exact
    values), ``pareto_k`` and ``ess`` (the worse of seen / not seen).
    """
    from scipy.special import expit

    n_ind = len(ids)
    keys = ("low", "high", "mean")
    out = {f"{x}_{key}": np.empty(n_ind) for x in ("seen", "not_seen") for key in keys}
    out["pareto_k"], out["ess"] = np.full(n_ind, np.nan), np.full(n_ind, np.inf)
    weighted_y = p_hypothesis_draws * p_given_draws  # (S, H)
    total_y = weighted_y.sum(axis=1)  # P(Y | E, theta_s)
    uncertain = (s > 0).any(axis=1)
    for start in range(0, n_ind, _BAND_CHUNK):  # a few indicators at a time: bounded memory
        rows = slice(start, min(start + _BAND_CHUNK, n_ind))
        z = np.zeros((rows.stop - rows.start, *p_hypothesis_draws.shape))
        for j, i in enumerate(range(rows.start, rows.stop)):
            if uncertain[i]:  # exact indicators need no draws
                z[j] = stream(seed, 7, ids[i]).standard_normal(p_hypothesis_draws.shape)
        q = expit(m[rows, None, :] + s[rows, None, :] * z)  # (chunk, S, H)
        w_seen = np.einsum("msh,sh->ms", q, p_hypothesis_draws)
        y_seen = np.einsum("msh,sh->ms", q, weighted_y)
        # not seen: 1 - q, so the sums are the totals less the seen ones
        total_p = p_hypothesis_draws.sum(axis=1)
        for name, w, num in (
            ("seen", w_seen, y_seen),
            ("not_seen", total_p - w_seen, total_y - y_seen),
        ):
            y = num / w
            lo_hi = _weighted_quantiles(y, w, band)
            out[f"{name}_low"][rows], out[f"{name}_high"][rows] = lo_hi[:, 0], lo_hi[:, 1]
            out[f"{name}_mean"][rows] = num.sum(axis=1) / w.sum(axis=1)
            k_i, ess_i = _weight_checks(w)
            out["pareto_k"][rows] = np.fmax(out["pareto_k"][rows], k_i)
            out["ess"][rows] = np.minimum(out["ess"][rows], ess_i)
    return out


_BAND_CHUNK = 32


def _weight_checks(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Effective sample size of each row's importance weights, and Pareto k-hat.

    Pareto k-hat (arviz-stats' PSIS) where the ESS is below half the draws (NaN elsewhere: not needed, see below).

    The weights are probabilities, bounded by 1, so their variance is finite and the ESS
    measures the loss; k-hat is the check for a heavy tail, computed where the weights are
    uneven. (Near-uniform weights take few distinct values at the top, and a Pareto fit to
    such a tail is noise.)
    """
    n = w.shape[1]
    ess = w.sum(axis=1) ** 2 / (w**2).sum(axis=1)
    khat = np.full(w.shape[0], np.nan)
    rows = np.flatnonzero(ess < n / 2)
    if rows.size:
        from arviz_stats.base import array_stats  # slow to import: only when needed

        for i in rows:  # psislw takes the negative log weights (its log-likelihood convention)
            with contextlib.suppress(ValueError):  # a tail of equal values: nothing to fit
                khat[i] = float(np.asarray(array_stats.psislw(-np.log(w[i]), axis=-1)[1]))
    return khat, ess


# ----------------------------------------------------------------------------- watch
def _as_indicators(indicators, scenario: Scenario) -> tuple[Indicator, ...]:
    if isinstance(indicators, str | Path):
        return load_indicators(indicators, scenario)
    out = []
    problems: list[Problem] = []
    for i, ind in enumerate(indicators):
        if isinstance(ind, Indicator):
            out.append(ind)
        else:
            item = validate_model(Indicator, ind, f"<indicators>[{i}]", problems)
            out.append(item)
    if problems:
        raise ScenarioError(problems)
    missing = [
        Problem(f"<indicator {ind.id}>", f"p_seen.{h}", "is required for every hypothesis")
        for ind in out
        for h in scenario.hypotheses
        if h not in ind.p_seen
    ]
    if missing:
        raise ScenarioError(missing)
    return tuple(out)


def watch(
    result: xr.DataTree,
    indicators: str | Path | Iterable[Indicator | dict],
    *,
    rank_by: Literal["shift", "info_hypotheses", "info_outcome"] = "shift",
    k: int = 3,
    seed: int | None = None,
) -> pd.DataFrame:
    """Rank indicators by what seeing them, or not, would do to the forecast.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` (or :func:`forecast.load_result`).
    indicators : folder, or Indicator objects / dicts
        A folder of indicator files (validated against the result's scenario) or the
        indicators themselves.
    rank_by : {"shift", "info_hypotheses", "info_outcome"}
        Sort by expected shift of P(outcome) (default) or by expected information (bits).
    k : int
        Size of the best set (top ``k`` after ranking, at most 10).
    seed : int, optional
        Seed of the ``p_seen`` draws of the band (default: the result's seed).

    Returns
    -------
    pandas.DataFrame
        One row per indicator still to watch, best first, columns ``indicator_id, by,
        p_seen, p_<outcome>_if_seen, p_<outcome>_if_not_seen, expected_shift,
        info_hypotheses_bits, info_outcome_bits``, then when some input is an interval
        ``p_<outcome>_if_seen_low/_high, p_<outcome>_if_not_seen_low/_high`` (the 90%
        judgement band), then ``title`` and ``overdue`` (``by`` before the latest evidence
        date); ``status`` (after ``by``): ``lapsed`` when ``by`` is before the result's as-of
        day and nothing is recorded, else ``open``. ``attrs``: ``p_outcome`` (today's),
        ``best_set`` (ids, ``expected_shift``), ``observed`` (indicators already in the
        evidence, left out), ``band_checks``, ``seen_late`` (recorded as seen, not in time)

    Examples
    --------
    >>> table = watch(run(load_scenario()), "indicators")  # doctest: +SKIP
    >>> table[["indicator_id", "expected_shift"]].head(3)  # doctest: +SKIP
    """
    import pandas as pd

    from .observations import seen_late
    from .result_schema import POSTERIOR, dataset, scenario_of

    if rank_by not in RANK_BY:
        raise InputError(f"rank_by must be one of {', '.join(RANK_BY)}, got {rank_by!r}")
    if not 1 <= k <= MAX_SET:
        raise InputError(f"k must be between 1 and {MAX_SET}, got {k}")
    scenario = scenario_of(result)
    all_indicators = _as_indicators(indicators, scenario)
    evidence_ids = set(scenario.ids)
    observed = [i.id for i in all_indicators if i.id in evidence_ids]
    todo = [i for i in all_indicators if i.id not in evidence_ids]
    o = scenario.outcome
    p_h, e_p, p_y = current(result, scenario)
    q, m, s = seen_probabilities(todo, scenario.hypotheses)
    v = value_of_information(p_h, e_p, q)
    latest = max((e.date for e in scenario.evidence), default=None)
    frame = pd.DataFrame(
        {
            "indicator_id": [i.id for i in todo],
            "by": [i.by.isoformat() for i in todo],
            "p_seen": v["p_seen"],
            f"p_{o}_if_seen": v["p_outcome_if_seen"],
            f"p_{o}_if_not_seen": v["p_outcome_if_not_seen"],
            "expected_shift": v["expected_shift"],
            "info_hypotheses_bits": v["info_hypotheses_bits"],
            "info_outcome_bits": v["info_outcome_bits"],
        }
    )
    seed = int(result.attrs.get("seed", 0)) if seed is None else seed
    checks = _add_band(frame, dataset(result, POSTERIOR), (m, s), o, seed)
    frame["title"] = [i.title for i in todo]
    frame["overdue"] = [latest is not None and i.by < latest for i in todo]
    as_of = _as_of_day(result, latest)
    frame.insert(2, "status", [lapsed_status(i.by, as_of) for i in todo])
    frame = frame.sort_values(
        [RANK_BY[rank_by], "indicator_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    top = list(frame["indicator_id"][:k])
    order = {i.id: n for n, i in enumerate(todo)}
    frame.attrs = {
        "outcome": o,
        "p_outcome": p_y,
        "rank_by": rank_by,
        "observed": observed,
        "latest_evidence": latest.isoformat() if latest else None,
        "as_of": as_of.isoformat() if as_of else None,
        "best_set": {
            "indicators": top,
            "expected_shift": best_set(p_h, e_p, q[[order[t] for t in top]]) if top else 0.0,
        },
        "band_checks": {key: np.asarray(val).tolist() for key, val in checks.items()},
        **({"seen_late": late} if (late := seen_late(all_indicators, scenario)) else {}),
    }
    return frame


def _add_band(
    frame: pd.DataFrame,
    post: xr.Dataset,
    m_s: tuple[np.ndarray, np.ndarray],
    o: str,
    seed: int,
) -> dict[str, Any]:
    """Add the 90% judgement band columns of :func:`watch` to ``frame``, in place.

    ``post`` is the result's posterior, ``m_s`` the indicators' (m, s) of
    :func:`seen_probabilities`, ``o`` the outcome's name. Returns the band's checks
    (``pareto_k``, ``ess``); empty when there is no indicator, or neither the scenario nor
    an indicator has an interval (no band), or (with a warning) when the result has no
    per-draw posterior; warns when the importance weights are poor.
    """
    from .inference import ForecastWarning
    from .result_schema import BAND

    scenario_uncertain = bool(
        np.ptp(np.asarray(post["p_outcome"].isel(step=-1).values, dtype=float)) > 0
    )
    if len(frame) == 0 or not (scenario_uncertain or (m_s[1] > 0).any()):
        return {}
    if "final_p_hypothesis" not in post:
        warnings.warn(
            "this result has no per-draw posterior (an older posterior.nc): the band of "
            "P(outcome | seen / not seen) is left out; run 'forecast run' again",
            ForecastWarning,
            stacklevel=3,
        )
        return {}
    n_h = post.sizes["hypothesis"]
    ph_draws = post["final_p_hypothesis"].values.reshape(-1, n_h)
    pg_draws = post["final_p_given_hypothesis"].values.reshape(-1, n_h)
    b = band_if_observed(ph_draws, pg_draws, list(frame["indicator_id"]), *m_s, BAND, seed)
    for x in ("seen", "not_seen"):
        frame[f"p_{o}_if_{x}_low"] = b[f"{x}_low"]
        frame[f"p_{o}_if_{x}_high"] = b[f"{x}_high"]
    min_ess = min(MIN_ESS, 0.1 * ph_draws.shape[0])
    bad = (b["pareto_k"] > PARETO_K_LIMIT) | (b["ess"] < min_ess)
    if bad.any():
        names = ", ".join(
            f"{i} (k-hat {kk:.2f}, ESS {e:.0f})"
            for i, kk, e in zip(
                frame["indicator_id"][bad], b["pareto_k"][bad], b["ess"][bad], strict=True
            )
        )
        warnings.warn(
            "the judgement band of P(outcome | seen / not seen) rests on poor "
            f"importance weights (need k-hat <= {PARETO_K_LIMIT}, ESS >= {min_ess:.0f}): "
            f"{names[:500]}; run with more --draws",
            ForecastWarning,
            stacklevel=3,
        )
    return {"pareto_k": b["pareto_k"], "ess": b["ess"]}


def lapsed_status(by: dt.date, as_of: dt.date | None) -> str:
    """``"lapsed"`` for an indicator whose ``by`` is before the as-of day (none recorded), else ``"open"``.

    Examples
    --------
    >>> lapsed_status(dt.date(2022, 2, 21), dt.date(2022, 2, 23))
    'lapsed'
    """
    return "lapsed" if as_of is not None and by < as_of else "open"


def _as_of_day(result: xr.DataTree, latest: dt.date | None) -> dt.date | None:
    """The result's as-of day (attribute ``as_of``), else the latest evidence date."""
    text = str(result.attrs.get("as_of", "") or "")
    return dt.date.fromisoformat(text) if text else latest


def current(result: xr.DataTree, scenario: Scenario) -> tuple[np.ndarray, np.ndarray, float]:
    """``P(h | E)`` (last step), ``E[p_h]`` and ``P(Y | E)``.

    The fast route's stored exact values, recomputed after a NUTS run (with :func:`forecast.model.probabilities`,
    or with time, given no event by the as-of day, by :func:`forecast.time_result.live_numbers`).
    """
    from .result_schema import TRAJECTORY, dataset

    traj = dataset(result, TRAJECTORY)
    e_p = np.asarray(traj["expected_p_outcome"].values, dtype=float)
    if result.attrs.get("method", "fast") == "fast":
        p_h = np.asarray(traj["p_hypothesis"].values[-1], dtype=float)
    else:
        from .model import encode, probabilities
        from .time_result import live_numbers

        as_of = str(result.attrs.get("as_of", "")) or None
        exact = live_numbers(scenario, draws=100, seed=0, band=False, as_of=as_of)
        p_h = (probabilities(encode(scenario))[0] if exact is None else exact["p_hypothesis"])[-1]
    return p_h, e_p, float(p_h @ e_p)


def watch_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``watch.csv``: the frame's, without ``title`` and ``overdue``."""
    return [c for c in frame.columns if c not in ("title", "overdue")]


def write_watch_csv(frame: pd.DataFrame, out: str | Path) -> Path:
    """Write ``<out>/watch.csv`` (atomically): the ranked table of :func:`watch`."""
    from .csvout import write_csv

    return write_csv(frame[watch_columns(frame)], Path(out) / "watch.csv", float_format="%.17g")


# ----------------------------------------------------------------------------- stored
def watch_dataset(frame: pd.DataFrame) -> xr.Dataset:
    """The :func:`watch` table as an ``xarray.Dataset`` (dim ``indicator``).

    Its ``attrs`` as JSON text: ``forecast run`` keeps it in ``posterior.nc`` (node ``/watch``) for the report.
    """
    import json

    import xarray as xr

    data = {
        col: (
            "indicator",
            frame[col].to_numpy(dtype=object if col in ("by", "title", "status") else None),
        )
        for col in frame.columns
        if col != "indicator_id"
    }
    data["overdue"] = ("indicator", frame["overdue"].to_numpy(dtype=np.int8))
    return xr.Dataset(
        data,
        coords={"indicator": frame["indicator_id"].to_numpy(dtype=object)},
        attrs={"watch": json.dumps(frame.attrs, default=str)},
    )


def watch_frame(dataset: xr.Dataset) -> pd.DataFrame:
    """The table that :func:`watch_dataset` stored, back as :func:`watch` returned it."""
    import json

    frame = dataset.to_dataframe().reset_index().rename(columns={"indicator": "indicator_id"})
    frame["overdue"] = frame["overdue"].astype(bool)
    frame.attrs = json.loads(dataset.attrs["watch"])
    return frame
