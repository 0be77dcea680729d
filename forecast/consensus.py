"""The consensus scenario of several analysts and the disagreement that matters.

docs/model.md, "Several analysts": when analysts share hypotheses (same names) and items (same
``id``), each shared item's consensus log-likelihood of each hypothesis is the mean, over the
analysts who wrote it, of their effective log-likelihoods (reliability applied, intervals at
their medians), relative to the first hypothesis (a point item of reliability 1); the priors
are the analysts' mean; groups are kept where the analysts agree; items one analyst alone wrote
enter as written. :func:`disagreement` ranks the shared items by their swing, computed on the
encoded arrays in log space (no scenario is re-validated or re-run).

>>> c = build_consensus(team)  # doctest: +SKIP
>>> c.disagreement.head(1)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from .errors import InputError
from .model import (
    Arrays,
    encode,
    expected_p_outcome,
    log_effective,
    log_expected_tilt,
    step_weights,
    subset_weights,
)
from .scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    import xarray as xr

    from .pooling import Team

__all__ = [
    "Consensus",
    "Shared",
    "build_consensus",
    "consensus_data",
    "disagreement",
    "effective_log_likelihoods",
    "final_log_posterior",
    "p_outcome",
    "spread",
    "swapped",
]

CONSENSUS_NAME = "consensus"


def effective_log_likelihoods(scenario: Scenario, hypotheses: Sequence[str]) -> np.ndarray:
    """Each item's effective log-likelihoods ``log Lr_i(h)`` (N, H), hypotheses as given.

    Reliability applied, intervals at their medians (``exp(m)``), relative to the item's most
    likely hypothesis (so the largest is 0); ``-inf`` for a hypothesis an item rules out.

    Examples
    --------
    >>> effective_log_likelihoods(scenario, scenario.hypotheses).shape  # doctest: +SKIP
    (13, 3)
    """
    a = encode(scenario)
    order = [scenario.hypotheses.index(h) for h in hypotheses]
    return log_effective(a.mu[:, order], a.r)


@dataclass(frozen=True)
class Shared:
    """One shared item: who wrote it and their effective log-likelihoods (A_i, H)."""

    id: str
    analysts: tuple[str, ...]
    z: np.ndarray


def _some(names: Sequence[str], limit: int = 20) -> str:
    """The first ``limit`` names, then how many more (``notes.analysts`` lists them all)."""
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


def _likelihoods(z: np.ndarray, hypotheses: Sequence[str]) -> dict[str, float]:
    """Point likelihoods from log values: relative to the first hypothesis where finite."""
    ref = z[0] if np.isfinite(z[0]) and np.all(z - z[0] < 700) else np.max(z)
    with np.errstate(over="ignore"):
        return {h: float(np.exp(v - ref)) for h, v in zip(hypotheses, z, strict=True)}


def _meanp_outcome(values: list[Any], means: list[float]) -> Any:
    """The analysts' ``p_outcome`` if they all wrote the same, else the mean of ``E[p_h]``."""
    if all(v == values[0] for v in values):
        return values[0]
    return float(np.mean(means))


def _consensus_priors(team: Team, hypotheses: Sequence[str]) -> dict[str, Any]:
    scenarios = [a.scenario for a in team.analysts]
    first = scenarios[0].priors
    hyps = {}
    expected = [
        dict(zip(s.hypotheses, expected_p_outcome(encode(s)), strict=True)) for s in scenarios
    ]
    for h in hypotheses:
        written = [s.priors.hypotheses[h] for s in scenarios]
        value = _meanp_outcome(
            [list(w.p_outcome) if isinstance(w.p_outcome, tuple) else w.p_outcome for w in written],
            [float(e[h]) for e in expected],
        )
        entry: dict[str, Any] = {
            "prior": float(np.mean([w.prior for w in written])),
            "p_outcome": value,
        }
        if first.hypotheses[h].description:
            entry["description"] = first.hypotheses[h].description
        hyps[h] = entry
    priors: dict[str, Any] = {
        "question": first.question,
        "outcome": first.outcome,
        "analyst": CONSENSUS_NAME,
        "hypotheses": hyps,
    }
    deadlines = [s.priors.deadline for s in scenarios]  # the window, where all analysts agree
    if deadlines[0] is not None and all(d == deadlines[0] for d in deadlines):
        priors["deadline"] = deadlines[0].isoformat()
        timings = {s.priors.timing for s in scenarios}
        if len(timings) == 1:
            priors["timing"] = timings.pop()
        for h in hypotheses:
            shapes = [s.priors.hypotheses[h].by for s in scenarios]
            if shapes[0] is not None and all(b == shapes[0] for b in shapes):
                hyps[h]["by"] = {d.isoformat(): g for d, g in shapes[0].items()}
    kappas = [s.priors.prior_strength for s in scenarios]
    if all(k is not None for k in kappas):
        priors["prior_strength"] = float(np.mean(kappas))  # type: ignore[arg-type]
    opened = [s.priors.opened for s in scenarios if s.priors.opened is not None]
    if opened:
        priors["opened"] = min(opened).isoformat()
    resolutions = [s.priors.resolution for s in scenarios]
    if resolutions[0] is not None and all(r == resolutions[0] for r in resolutions):
        priors["resolution"] = resolutions[0].model_dump(mode="json", exclude_none=True)
    return priors


def _agreed_groups(team: Team) -> dict[str, float]:
    """Groups every analyst who uses them gives the same correlation: name -> rho."""
    rhos: dict[str, set[float]] = {}
    for a in team.analysts:
        for g in {e.group for e in a.scenario.evidence if e.group is not None}:
            rhos.setdefault(g, set()).add(a.scenario.correlation(g))
    return {g: next(iter(r)) for g, r in rhos.items() if len(r) == 1}


def _shared_item(
    writers: list[tuple[str, Any, np.ndarray]], hypotheses: Sequence[str], groups: dict
) -> dict[str, Any]:
    """The consensus item of one shared id: the mean of the writers' effective log-likelihoods."""
    names = [n for n, _, _ in writers]
    items = [e for _, e, _ in writers]
    z = np.mean([z for _, _, z in writers], axis=0)
    base = items[0]
    item: dict[str, Any] = {
        "id": base.id,
        "date": min(e.date for e in items).isoformat(),
        "title": base.title,
        "source": base.source,
        "likelihoods": _likelihoods(z, hypotheses),
        "rationale": (
            f"Consensus of {len(names)} analysts ({_some(names)}): the mean of their "
            "effective log-likelihoods (reliability applied, intervals at their medians), "
            "as a point item of reliability 1."
        ),
        "notes": {"analysts": ", ".join(names)},
    }
    for key in ("quote", "url"):
        if getattr(base, key):
            item[key] = getattr(base, key)
    group = {e.group for e in items}
    if len(group) == 1 and base.group is not None and base.group in groups:
        item["group"] = base.group
    return item


def consensus_data(team: Team) -> tuple[dict[str, Any], list[Shared]] | None:
    """The consensus scenario as ``{"priors": ..., "evidence": [...]}`` and its shared items.

    None when the analysts do not share their hypotheses (the same names).

    Examples
    --------
    >>> data, shared = consensus_data(team)  # doctest: +SKIP
    >>> Scenario.from_dict(data).ids[:2]  # doctest: +SKIP
    """
    hypotheses = team.analysts[0].scenario.hypotheses
    if any(set(a.scenario.hypotheses) != set(hypotheses) for a in team.analysts):
        return None
    groups = _agreed_groups(team)
    by_id: dict[str, list[tuple[str, Any, np.ndarray]]] = {}
    for a in team.analysts:
        z = effective_log_likelihoods(a.scenario, hypotheses)
        for e, row in zip(a.scenario.evidence, z, strict=True):
            by_id.setdefault(e.id, []).append((a.name, e, row))
    evidence, shared = [], []
    for item_id, writers in by_id.items():
        if len(writers) > 1:
            evidence.append(_shared_item(writers, hypotheses, groups))
            zs = np.array([z for _, _, z in writers])
            shared.append(Shared(item_id, tuple(n for n, _, _ in writers), zs))
            continue
        name, e, _ = writers[0]
        item = e.model_dump(mode="json", exclude_none=True)
        item["notes"] = {**item.get("notes", {}), "analysts": name}
        if e.group is not None and e.group not in groups:
            del item["group"]
        evidence.append(item)
    priors = _consensus_priors(team, hypotheses)
    used = {e["group"] for e in evidence if "group" in e}
    if used:
        priors["groups"] = {g: {"correlation": groups[g]} for g in sorted(used)}
    return {"priors": priors, "evidence": evidence}, shared


# ----------------------------------------------------------------------------- disagreement
def final_log_posterior(a: Arrays) -> np.ndarray:
    """Unnormalised ``log P(h | E_1..N)`` (H,): the prior and every item at its final weight."""
    w = step_weights(a, a.n_items)
    if not a.n_items:
        return np.log(a.prior)
    return np.log(a.prior) + log_expected_tilt(a.mu, a.sd, a.r, w).sum(axis=0)


def p_outcome(log_post: np.ndarray, ep: np.ndarray) -> np.ndarray:
    """``P(Y) = sum_h softmax(log_post)_h E[p_h]`` along the last axis."""
    return np.exp(log_post - logsumexp(log_post, axis=-1, keepdims=True)) @ ep


def _group_total(a: Arrays, members: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """A group's summed ``log c_i(h)`` with its members' log-likelihoods ``mu`` (n, H)."""
    mini = dataclasses.replace(
        a,
        mu=mu,
        sd=a.sd[members],
        r=a.r[members],
        group=np.zeros(members.size, dtype=int),
        rho=a.rho[a.group[members[:1]]],
    )
    w = subset_weights(mini, np.ones(members.size, dtype=bool))
    return log_expected_tilt(mu, mini.sd, mini.r, w).sum(axis=0)


def spread(z: np.ndarray) -> float:
    """The largest range, over analysts, of an effective log-likelihood ratio (natural log).

    ``z`` (A, H): for every pair of hypotheses ``(g, h)``, the analysts' ``z_h - z_g``; the
    spread is the largest ``max_a - min_a`` over the pairs (``inf`` when one analyst rules a
    hypothesis out and another does not).

    Examples
    --------
    >>> round(float(spread(np.log([[1.0, 2.0], [1.0, 8.0]]))), 12)  # ratios 2 and 8: log 4
    1.38629436112
    """
    finite = np.isfinite(z)
    if not (finite == finite[0]).all():  # one rules a hypothesis out, another does not
        return float("inf")
    zz = z[:, finite[0]]
    d = zz[:, None, :] - zz[:, :, None]  # (A, g, h)
    return float((d.max(axis=0) - d.min(axis=0)).max()) if zz.shape[1] else 0.0


def swapped(
    consensus: Scenario, shared: Sequence[Shared], as_of: dt.date | None = None
) -> tuple[float, dict[str, np.ndarray]]:
    """The consensus ``P(Y)`` and, per shared item, ``P(Y)`` with each analyst's judgement.

    For each shared item, the consensus ``P(Y)`` recomputed with that item's judgement
    replaced by each analyst's own (their effective log-likelihoods, as a point item of
    reliability 1), in log space on the encoded arrays: the other items' contributions are
    kept, and the item's group (if any) re-ranked and re-weighted. With a deadline, as of
    ``as_of``: no event by then is evidence (``E[S_h(A)]``), and ``P(Y)`` is the probability
    that it still happens by the deadline (docs/model.md, "Time").

    Returns
    -------
    p : float
        The consensus ``P(Y)`` (fraction).
    by_item : dict of id -> array (A_i,)
        ``P(Y)`` with the item read as each of its analysts read it (in ``Shared.analysts`` order).

    Examples
    --------
    >>> p, by_item = swapped(consensus, shared)  # doctest: +SKIP
    """
    a = encode(consensus)
    ep = expected_p_outcome(a)
    w = step_weights(a, a.n_items)
    log_c = log_expected_tilt(a.mu, a.sd, a.r, w) if a.n_items else np.zeros((0, len(ep)))
    base = np.log(a.prior) + log_c.sum(axis=0)
    if consensus.priors.deadline is not None and as_of is not None:  # no event by A: evidence
        from .timing import day_number, timing_of

        ef, es = timing_of(consensus.priors, a.p_mean, a.p_sd).expected(
            np.array([day_number(as_of)])
        )
        with np.errstate(divide="ignore"):
            base = base + np.log(es[0])
        ep = np.where(es[0] > 0, (ep - ef[0]) / np.where(es[0] > 0, es[0], 1.0), 0.0)
    index = {item_id: k for k, item_id in enumerate(consensus.ids)}
    out: dict[str, np.ndarray] = {}
    for s in shared:
        k = index[s.id]
        g = a.group[k]
        if g < 0:  # a point item of reliability 1 and weight 1: log c = z - max z
            z = s.z - np.max(s.z, axis=1, keepdims=True)
            out[s.id] = p_outcome(base[None, :] - log_c[k][None, :] + z, ep)
            continue
        members = np.flatnonzero(a.group == g)
        old = log_c[members].sum(axis=0)
        p = np.empty(len(s.z))
        for j, z in enumerate(s.z):
            mu = a.mu[members].copy()
            mu[np.flatnonzero(members == k)[0]] = z
            p[j] = p_outcome(base - old + _group_total(a, members, mu), ep)
        out[s.id] = p
    return float(p_outcome(base, ep)), out


def disagreement(
    consensus: Scenario,
    shared: Sequence[Shared],
    by_item: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Rank the shared items by swing: what each analyst's own judgement would do.

    The swing of an item is the largest minus the smallest of :func:`swapped`'s ``P(Y)`` for
    it (a fraction: 0.05 is 5 points); the spread is :func:`spread` of the analysts'
    judgements.

    Returns
    -------
    DataFrame
        ``evidence_id, analysts, spread, swing, p_<outcome>_min, p_<outcome>_max`` (fractions;
        spread in natural log units), ranked by swing (largest first, ties by id).

    Examples
    --------
    >>> disagreement(consensus, shared).iloc[0]["evidence_id"]  # doctest: +SKIP
    'maxar-new-deployments'
    """
    o = consensus.outcome
    columns = ["evidence_id", "analysts", "spread", "swing", f"p_{o}_min", f"p_{o}_max"]
    if not shared:
        return pd.DataFrame(columns=columns)
    if by_item is None:
        by_item = swapped(consensus, shared)[1]
    rows = []
    for s in shared:
        p = by_item[s.id]
        rows.append((s.id, ", ".join(s.analysts), spread(s.z), p.max() - p.min(), p.min(), p.max()))
    frame = pd.DataFrame(rows, columns=columns)
    order = np.lexsort((frame["evidence_id"].to_numpy(), -frame["swing"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


# ----------------------------------------------------------------------------- consensus
@dataclass(frozen=True)
class Consensus:
    """The consensus of a team (:func:`build_consensus`).

    Attributes
    ----------
    data : ``{"priors": ..., "evidence": [...]}``, what ``consensus/`` holds.
    scenario : the validated consensus scenario.
    shared : the shared items and each analyst's judgement of them.
    disagreement : :func:`disagreement`'s table.
    p_point : the point consensus ``P(Y)``, the base of the swings.
    by_item : :func:`swapped`'s ``P(Y)`` per shared item and analyst.
    result : the consensus run (:func:`forecast.run`), or None when not run.
    boldness : with the partial-pooling fit, ``analyst, s_median, s_lo90, s_hi90, r_hat, ess``.
    warnings : the fit's warnings.
    """

    data: dict[str, Any]
    scenario: Scenario
    shared: tuple[Shared, ...]
    disagreement: pd.DataFrame
    p_point: float
    by_item: dict[str, np.ndarray]
    result: xr.DataTree | None = None
    boldness: pd.DataFrame | None = None
    warnings: tuple[str, ...] = field(default=())


def _validated(data: dict[str, Any]) -> Scenario:
    try:
        return Scenario.from_dict(data, name="consensus")
    except ScenarioError as exc:
        raise InputError(
            "the analysts' judgements do not make a valid consensus scenario:\n  "
            + "\n  ".join(exc.lines()[:20])
        ) from None


def hierarchical_items(
    team: Team, data: dict[str, Any], shared: Sequence[Shared], *, draws: int, seed: int
) -> tuple[pd.DataFrame, list[str]]:
    """Fit the partial-pooling model and make each shared item an interval item (in place).

    The consensus likelihoods of the shared items become the 90% intervals of ``exp(mu)``
    (relative to the first hypothesis). Returns the boldness table and the fit's warnings.
    """
    import xarray as xr

    try:  # forecast.hierarchy (the partial-pooling model) is built beside this module
        hierarchy = importlib.import_module("forecast.hierarchy")
    except ModuleNotFoundError:
        raise InputError(
            "--hierarchical: this installation has no partial-pooling model (forecast.hierarchy)"
        ) from None

    hypotheses = list(data["priors"]["hypotheses"])
    writers = {n for s in shared for n in s.analysts}
    names = [n for n in team.names if n in writers]  # the model needs an entry per analyst
    x = np.full((len(names), len(shared), len(hypotheses) - 1), np.nan)
    for i, s in enumerate(shared):
        for name, z in zip(s.analysts, s.z, strict=True):
            x[names.index(name), i] = z[1:] - z[0]
    if not np.isfinite(x[~np.isnan(x)]).all():
        raise InputError(
            "--hierarchical: a shared item rules a hypothesis out (a likelihood of 0 at "
            "reliability 1); the partial-pooling model needs finite log-likelihood ratios"
        )
    da = xr.DataArray(
        x,
        dims=("analyst", "evidence", "hypothesis"),
        coords={"analyst": names, "evidence": [s.id for s in shared], "hypothesis": hypotheses[1:]},
    )
    from .inference import ForecastWarning

    with warnings.catch_warnings():  # the fit lists them in .warnings: said once, by the caller
        warnings.simplefilter("ignore", ForecastWarning)
        fit = hierarchy.fit_partial_pooling(
            da, seed=seed, draws=max(draws // 4, 500), tune=1000, chains=2
        )
    items = {e["id"]: e for e in data["evidence"]}
    for s in shared:
        lo = fit.intervals["lo"].sel(evidence=s.id).values
        hi = fit.intervals["hi"].sel(evidence=s.id).values
        likes: dict[str, Any] = {hypotheses[0]: 1.0}
        likes |= {h: [float(a), float(b)] for h, a, b in zip(hypotheses[1:], lo, hi, strict=True)}
        items[s.id]["likelihoods"] = likes
        items[s.id]["rationale"] += (
            " With --hierarchical: the 90% intervals of exp(mu) from the partial-pooling model."
        )
    return fit.boldness, list(fit.warnings)


def build_consensus(
    team: Team, *, hierarchical: bool = False, draws: int = 4000, seed: int = 0, run: bool = True
) -> Consensus | None:
    """The team's consensus scenario, its run and the disagreement; None without shared hypotheses.

    Parameters
    ----------
    team : Team
        From :func:`forecast.pooling.load_team`.
    hierarchical : bool
        Make the shared items intervals from the partial-pooling model (:mod:`forecast.hierarchy`).
    draws, seed : int
        The consensus run's band draws and seed.
    run : bool
        Run the consensus scenario (:func:`forecast.run`, with attribution).

    Examples
    --------
    >>> build_consensus(team).scenario.priors.analyst  # doctest: +SKIP
    'consensus'
    """
    got = consensus_data(team)
    if got is None:
        return None
    data, shared = got
    point = _validated(data)
    p_point, by_item = swapped(point, shared, team.as_of)  # the point consensus: the base
    table = disagreement(point, shared, by_item)
    boldness: pd.DataFrame | None = None
    fit_warnings: list[str] = []
    if hierarchical and shared:
        boldness, fit_warnings = hierarchical_items(team, data, shared, draws=draws, seed=seed)
    scenario = _validated(data) if hierarchical and shared else point
    result = None
    if run:
        from .inference import ForecastWarning
        from .inference import run as run_scenario

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ForecastWarning)
            result = run_scenario(
                scenario, draws=draws, seed=seed, attribution=True, as_of=team.as_of
            )
        fit_warnings += [str(w.message) for w in caught]
    return Consensus(
        data,
        scenario,
        tuple(shared),
        table,
        p_point,
        by_item,
        result,
        boldness,
        tuple(fit_warnings),
    )
