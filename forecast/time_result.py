"""A run's result with time: as-of attributes, the rows, the by-date and daily nodes.

:func:`forecast.run` calls :func:`time_run` when a scenario has a deadline, a retraction
applied by the as-of day, or an ``(as of A)`` row; :func:`as_of_attrs` names the as-of day in
every result. :func:`by_date_frame` and :func:`daily_frame` are ``by_date.csv`` and
``daily.csv``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from .asof import AsOf, timeline_rows
from .model import Arrays, encode, expected_p_outcome, log_expected_tilt, subset_weights
from .result_schema import BY_DATE, DAILY, build_result, dataset, has_node, with_node
from .time_numbers import TimeNumbers, time_numbers

if TYPE_CHECKING:
    from .scenario import Priors

__all__ = [
    "as_of_attrs",
    "given_no_event",
    "live_numbers",
    "as_of_notes",
    "as_of_text",
    "by_date_frame",
    "daily_frame",
    "retracted_items",
    "retracted_label",
    "time_run",
    "uses_time",
]


def uses_time(as_of: AsOf) -> bool:
    """True when the run needs the time model: ``opened`` or a deadline, a retraction, an as-of row.

    Without them a run's rows are the prior and one per item, as before time was modelled,
    and there is no daily series.
    """
    known = as_of.known
    if known.priors.deadline is not None or known.priors.opened is not None:
        return True
    rows = timeline_rows(known, as_of.day)
    return len(rows) != len(known.evidence) + 1


def given_no_event(a: Arrays, priors: Priors, day: dt.date | None) -> Arrays:
    """The encoded arrays given "no event by the end of ``day``", for attribution and leave-one-out.

    "No event yet" is evidence present in every subset of the items (docs/model.md, Time): the
    prior becomes ``E[pi_h] E[S_h(day)]`` (normalised) and ``P(outcome | h)`` the point
    ``E[p_h - F_h(day)] / E[S_h(day)]``, so that the probability of any subset of the items is
    ``P(Y | E_S, none by day)``, and the Shapley values add up to the final probability minus
    ``P(Y | no item, none by day)``. Without a deadline (or a day) the arrays are returned as
    they are (``S_h = 1``). Only the probabilities are meant: the band is not drawn from these.

    Examples
    --------
    >>> b = given_no_event(encode(scenario), scenario.priors, as_of.day)  # doctest: +SKIP
    >>> float(b.prior @ b.p_point)  # P(outcome | no item, none by the as-of day)  # doctest: +SKIP
    """
    if priors.deadline is None or day is None:
        return a
    from scipy.special import logit

    from .timing import day_number, timing_of

    ef, es = timing_of(priors, a.p_mean, a.p_sd).expected(np.array([day_number(day)]))
    ef, es = ef[0], es[0]
    prior = a.prior * es
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = np.clip(np.where(es > 0, (expected_p_outcome(a) - ef) / es, 0.0), 0.0, 1.0)
        p_mean = logit(rest)
    return dataclasses.replace(
        a, prior=prior / prior.sum(), p_mean=p_mean, p_sd=np.zeros_like(rest), p_point=rest
    )


def as_of_attrs(as_of: AsOf) -> dict:
    """The root attributes naming the as-of day: ``as_of``, ``as_of_given``, ``left_out``."""
    return {
        "as_of": "" if as_of.day is None else as_of.day.isoformat(),
        "as_of_given": int(as_of.given),
        "left_out": json.dumps(list(as_of.left_out)),
    }


def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers (proleptic ordinals) as datetime64[s] (years 0001-9999)."""
    epoch = np.datetime64("0001-01-01", "D")
    return (epoch + (days - 1).astype("timedelta64[D]")).astype("datetime64[s]")


def time_run(
    as_of: AsOf,
    *,
    method: str,
    draws: int,
    seed: int,
    progress=None,
    attribution: bool = False,
    versions: dict,
    band_route: str,
) -> xr.DataTree:
    """The result of :func:`forecast.run` for a scenario with time (see the module docstring).

    With ``method="nuts"`` every row is sampled with the PyMC model (its survival term
    given the row's day: :func:`forecast.nuts_route.time_rows`): the rows' probabilities,
    bands, MCSE and diagnostics come from the chains; the by-date curve and the daily series
    are the exact route's (quadrature; their bands from its exact draws).
    """
    t = time_numbers(as_of, draws=draws, seed=seed, progress=None if method == "nuts" else progress)
    stats, band = t.stats, t.draws.T[None]
    diag: dict[str, np.ndarray] = {}
    if method == "nuts":
        from .nuts_route import nuts_rows, time_rows

        stats, band, diag = nuts_rows(encode(as_of.known), time_rows(as_of), draws, seed, progress)
        band_route = "nuts"
    known = as_of.known
    a = encode(known)
    kept = set(t.final_scenario.ids)
    retracted = np.array([e.id not in kept for e in known.evidence], dtype=bool)
    w = subset_weights(a, ~retracted) if a.n_items else np.zeros(0)
    log_lik = log_expected_tilt(a.mu, a.sd, a.r, w) if a.n_items else np.zeros((0, a.n_hypotheses))
    rows = {
        "evidence_id": np.array(t.rows.evidence_id, dtype=object),
        "date": np.array(
            [d.isoformat() if d else "NaT" for d in t.rows.day], dtype="datetime64[s]"
        ),
        "row": np.array(t.rows.kind, dtype=object),
    }
    tree = build_result(
        known, a, stats, band, diag, method=method, draws=draws, seed=seed,
        expected_p_outcome=t.expected_p, weight=w, log_likelihood=log_lik,
        band_route=band_route, versions=versions, rows=rows,
    )  # fmt: skip
    tree.attrs.update(as_of_attrs(as_of))
    tree = _with_time_nodes(tree, t)
    if attribution:
        from .attribution import attribution_node, shapley
        from .result_schema import ATTRIBUTION

        fs = t.final_scenario
        fa = given_no_event(t.final_arrays, fs.priors, as_of.day)  # the days passed: in every S
        node = attribution_node(shapley(fa, seed=seed), fa, fs)
        # every known item, a retracted one with no share (docs/model.md: retraction)
        node = node.reindex(evidence=np.array(known.ids, dtype=object), fill_value=0.0)
        loo = np.where(retracted, node.attrs["p_final"], node["leave_one_out"].values)
        node["leave_one_out"] = ("evidence", loo)  # without a retracted item: the same answer
        tree = with_node(tree, ATTRIBUTION, node)
    return tree


def _with_time_nodes(tree: xr.DataTree, t: TimeNumbers) -> xr.DataTree:
    for node, dim, prefix, part in (
        (DAILY, "day", "p_outcome", t.daily),
        (BY_DATE, "by_day", "p_outcome_by", t.by_date),
    ):
        if part is None:
            continue
        n = part["p"].size
        data = {"date": (dim, _dates(part["date"])), prefix: (dim, part["p"])}
        for end in ("low", "high"):
            data[f"{prefix}_{end}"] = (dim, part.get(end, np.full(n, np.nan)))
        tree = with_node(tree, node, xr.Dataset(data, coords={dim: np.arange(n)}))
    return tree


def _frame(result: xr.DataTree, node: str, columns: dict[str, str]) -> pd.DataFrame | None:
    if not has_node(result, node):
        return None
    ds = dataset(result, node)
    days = np.datetime_as_string(ds["date"].values.astype("datetime64[D]"), unit="D")
    frame = pd.DataFrame({"date": [str(x) for x in days]})
    for var, col in columns.items():
        frame[col] = ds[var].values
    return frame


def by_date_frame(result: xr.DataTree) -> pd.DataFrame | None:
    """``by_date.csv``: ``date, p_<outcome>_by, p_<outcome>_by_low, p_<outcome>_by_high``.

    One row per day from the day after the as-of day to the deadline; None without a deadline.

    Examples
    --------
    >>> by_date_frame(result).iloc[-1]["p_invasion_by"]  # the headline  # doctest: +SKIP
    0.61
    """
    y = result.attrs["outcome"]
    return _frame(
        result,
        BY_DATE,
        {"p_outcome_by": f"p_{y}_by", "p_outcome_by_low": f"p_{y}_by_low",
         "p_outcome_by_high": f"p_{y}_by_high"},
    )  # fmt: skip


def daily_frame(result: xr.DataTree) -> pd.DataFrame | None:
    """``daily.csv``: ``date, p_<outcome>, p_<outcome>_low, p_<outcome>_high``, ``opened`` to A.

    The standing forecast of each day (what scoring uses); None without ``opened``.

    Examples
    --------
    >>> daily_frame(result).iloc[0]["p_invasion"]  # the prior as of opened  # doctest: +SKIP
    0.35
    """
    y = result.attrs["outcome"]
    return _frame(
        result,
        DAILY,
        {"p_outcome": f"p_{y}", "p_outcome_low": f"p_{y}_low", "p_outcome_high": f"p_{y}_high"},
    )


def retracted_items(result: xr.DataTree) -> dict[str, tuple[str, str]]:
    """The items retracted by the result's as-of day: ``{id: (retraction date, reason)}``.

    In update order; attribution gives them no share and lists them as retracted
    (docs/model.md, "What was known when"). Empty without retractions.

    Examples
    --------
    >>> retracted_items(result)  # doctest: +SKIP
    {'b': ('2022-02-10', 'forged')}
    """
    from .result_schema import scenario_of

    if '"retracted"' not in str(result.attrs.get("scenario_json", "")):
        return {}  # none: the scenario is not decoded
    when = str(result.attrs.get("as_of", "") or "")
    day = dt.date.fromisoformat(when) if when else None
    return {
        e.id: (e.retracted.date.isoformat(), e.retracted.reason)
        for e in scenario_of(result).evidence
        if e.retracted is not None and (day is None or e.retracted.date <= day)
    }


def retracted_label(date: str, reason: str) -> str:
    """``"retracted on 10 Feb 2022: forged"``: how a retracted item is listed.

    Examples
    --------
    >>> retracted_label("2022-02-10", "forged")
    'retracted on 10 Feb 2022: forged'
    """
    day = dt.date.fromisoformat(date)
    return f"retracted on {day.day} {day:%b %Y}" + (f": {reason}" if reason else "")


def as_of_text(result: xr.DataTree) -> str:
    """``" as of YYYY-MM-DD"`` for a result with an as-of day, else ``""``."""
    day = str(result.attrs.get("as_of", ""))
    return f" as of {day}" if day else ""


def as_of_notes(result: xr.DataTree, *, today: dt.date | None = None) -> list[str]:
    """What the command line says about the as-of day: items left out, days passed since.

    Examples
    --------
    >>> as_of_notes(result, today=dt.date(2022, 3, 1))  # doctest: +SKIP
    ['13 days have passed since the as-of day 2022-02-16 ...']
    """
    lines = []
    left = json.loads(str(result.attrs.get("left_out", "[]")))
    if left:
        shown = ", ".join(left[:10]) + (f" and {len(left) - 10:,} more" if len(left) > 10 else "")
        lines.append(f"{len(left):,} item(s) dated after the as-of day left out: {shown}")
    day = str(result.attrs.get("as_of", ""))
    if not day:
        return lines
    from .result_schema import scenario_of

    p = scenario_of(result).priors
    today = today or dt.date.today()
    a = dt.date.fromisoformat(day)
    if p.deadline is None or p.resolution is not None or today <= a:
        return lines
    last = min(today, p.deadline)
    passed = (last - a).days
    lines.append(
        f"{passed:,} day(s) without the outcome have passed since the as-of day {day} (to "
        f"{last}); they count as evidence when run with --as-of today"
        if today <= p.deadline
        else f"the deadline {p.deadline} has passed since the as-of day {day}; record the "
        "resolution in priors.yaml (resolution:) or run with --as-of "
        f"{p.deadline} for the question's last day"
    )
    return lines


def live_numbers(
    scenario, *, draws: int, seed: int, band: bool = True, as_of: str | dt.date | None = None
) -> dict | None:
    """What :func:`forecast.inference.live_trajectory` gives, for a scenario with time.

    ``p_hypothesis``, ``p_outcome`` and, with ``band``, ``p_outcome_low``/``_high`` of every
    row as :func:`forecast.run` computes them (the same draws and seed, as of ``as_of``, by
    default the latest item's date); None for a scenario without time (``live_trajectory``
    then applies).

    Examples
    --------
    >>> live_numbers(load_scenario(), draws=4000, seed=0)["p_outcome"][-1]  # doctest: +SKIP
    0.4106
    """
    from .asof import resolve_as_of

    day = resolve_as_of(scenario, as_of)
    if not uses_time(day):
        return None
    t = time_numbers(day, draws=draws, seed=seed, band=band, series=False)
    keys = ("p_hypothesis", "p_outcome") + (("p_outcome_low", "p_outcome_high") if band else ())
    return {k: t.stats[k] for k in keys}
