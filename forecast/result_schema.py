"""The result's schema: the one place that names its nodes and variables.

A result of :func:`forecast.run` is an ``xarray.DataTree``. This module owns its layout: the
node names (:data:`TRAJECTORY`, :data:`POSTERIOR`, :data:`EVIDENCE`, :data:`ATTRIBUTION`,
:data:`WATCH`, :data:`PREVIOUS`), every variable and its dimensions (:data:`VARIABLES`, also
the list :func:`forecast.resultfile.check_result_file` checks a file against), building the
tree (:func:`build_result`), checking that an object is one (:func:`check_result`), typed
access (:func:`dataset`, :func:`variable`) and labels derived from its attributes
(:func:`band_label`). Charts, report, widgets and the command line take names from here.

>>> float(variable(result, TRAJECTORY, "p_outcome")[-1])  # doctest: +SKIP
0.466
>>> band_label(result)  # doctest: +SKIP
'90%'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from . import clock
from .constants import BAND
from .scenario import Scenario

if TYPE_CHECKING:
    from .model import Arrays
    from .view import ResultView

__all__ = [
    "ATTRIBUTION",
    "ATTRS",
    "REQUIRED_NODE_ATTRS",
    "WATCH_COLUMNS",
    "BAND",
    "BY_DATE",
    "DAILY",
    "EVIDENCE",
    "NODES",
    "POSTERIOR",
    "PREVIOUS",
    "REQUIRED_ATTRS",
    "REQUIRED_NODES",
    "TRAJECTORY",
    "VARIABLES",
    "WATCH",
    "band_label",
    "band_level",
    "band_percentiles",
    "band_quantiles",
    "build_result",
    "check_result",
    "dataset",
    "has_node",
    "scenario_of",
    "variable",
    "with_node",
]


TRAJECTORY = "trajectory"
"""Node: the answer after every step (dims ``step``, ``hypothesis``)."""
POSTERIOR = "posterior"
"""Node: the draws of ``P(Y | E_1..k, theta)`` behind the band (``chain``, ``draw``, ``step``)."""
EVIDENCE = "evidence"
"""Node: the items, their final weights and effective log-likelihoods (dim ``evidence``)."""
ATTRIBUTION = "attribution"
"""Node: each item's share of the move from prior to final (``run(..., attribution=True)``)."""
WATCH = "watch"
"""Node: the indicators ranked by expected shift (``forecast run --indicators``)."""
PREVIOUS = "previous_trajectory"
"""Node: the trajectory of the run before this one (kept by ``forecast run``)."""
BY_DATE = "by_date"
"""Node: P(outcome by the end of each day | known as of A), A + 1 to the deadline (dim ``by_day``)."""
DAILY = "daily"
"""Node: the standing forecast of each day from ``opened`` to the as-of day (dim ``day``)."""

NODES = (TRAJECTORY, POSTERIOR, EVIDENCE, ATTRIBUTION, WATCH, PREVIOUS, BY_DATE, DAILY)
REQUIRED_NODES = (TRAJECTORY, POSTERIOR, EVIDENCE)
REQUIRED_ATTRS = ("question", "outcome", "scenario_json")

# node -> variable -> dimensions. A dimension named here has the size the declared scenario
# implies (forecast.resultfile); "step*" is the earlier run's own step count. A node or
# variable that forecast.run writes must be listed here, or a saved result is refused.
VARIABLES: dict[str, dict[str, tuple[str, ...]]] = {
    TRAJECTORY: {
        "step": ("step",),
        "hypothesis": ("hypothesis",),
        "evidence_id": ("step",),
        "row": ("step",),
        "date": ("step",),
        "p_hypothesis": ("step", "hypothesis"),
        "prior": ("hypothesis",),
        "expected_p_outcome": ("hypothesis",),
        "p_outcome": ("step",),
        "p_outcome_low": ("step",),
        "p_outcome_high": ("step",),
        "mcse": ("step",),
        "mcse_low": ("step",),
        "mcse_high": ("step",),
        "r_hat": ("step",),
        "ess_bulk": ("step",),
        "divergences": ("step",),
    },
    POSTERIOR: {
        "chain": ("chain",),
        "draw": ("draw",),
        "step": ("step",),
        "p_outcome": ("chain", "draw", "step"),
        "hypothesis": ("hypothesis",),
        "final_p_hypothesis": ("chain", "draw", "hypothesis"),
        "final_p_given_hypothesis": ("chain", "draw", "hypothesis"),
    },
    ATTRIBUTION: {
        "evidence": ("evidence",),
        "hypothesis": ("hypothesis",),
        "step_move": ("evidence",),
        "shapley": ("evidence",),
        "shapley_mcse": ("evidence",),
        "leave_one_out": ("evidence",),
        "shapley_hypothesis": ("evidence", "hypothesis"),
        "shapley_hypothesis_mcse": ("evidence", "hypothesis"),
    },
    EVIDENCE: {
        "evidence": ("evidence",),
        "hypothesis": ("hypothesis",),
        "title": ("evidence",),
        "source": ("evidence",),
        "date": ("evidence",),
        "reliability": ("evidence",),
        "group": ("evidence",),
        "weight": ("evidence",),
        "log_likelihood": ("evidence", "hypothesis"),
    },
    WATCH: {
        **dict.fromkeys(
            (
                "indicator",
                "by",
                "p_seen",
                "expected_shift",
                "info_hypotheses_bits",
                "title",
                "overdue",
                "status",
            ),
            ("indicator",),
        ),
        "*": ("indicator",),  # columns named by the outcome (p_<outcome>_if_seen, ...)
    },
    BY_DATE: {
        "by_day": ("by_day",),
        "date": ("by_day",),
        "p_outcome_by": ("by_day",),
        "p_outcome_by_low": ("by_day",),
        "p_outcome_by_high": ("by_day",),
    },
    DAILY: {
        "day": ("day",),
        "date": ("day",),
        "p_outcome": ("day",),
        "p_outcome_low": ("day",),
        "p_outcome_high": ("day",),
    },
    PREVIOUS: {
        "step": ("step*",),
        "evidence_id": ("step*",),
        "row": ("step*",),
        "date": ("step*",),
        "p_outcome": ("step*",),
        "p_outcome_low": ("step*",),
        "p_outcome_high": ("step*",),
    },
}


def scenario_json(scenario: Scenario) -> str:
    """The scenario as the JSON text a result stores (attribute ``scenario_json``, UTF-8).

    Examples
    --------
    >>> json.loads(scenario_json(forecast.load_scenario()))["priors"]["outcome"]  # doctest: +SKIP
    'invasion'
    """
    return json.dumps(scenario.to_dict(), ensure_ascii=False)


def scenario_of(result: xr.DataTree | ResultView) -> Scenario:
    """The scenario a result was computed from (stored in its attributes), decoded once.

    :func:`forecast.view.view_of`: the same text gives the same validated Scenario object.

    Examples
    --------
    >>> scenario_of(result) is scenario_of(result)  # doctest: +SKIP
    True
    """
    from .view import view_of

    return view_of(result).scenario


# node ("/" the root) -> attribute -> kind. The attributes a saved result may carry that the
# package reads back; forecast.resultfile refuses a file whose value is not of its kind.
# Kinds: "text", "int" (>= 0), "probability" (0..1), "quantiles" (JSON [low, high]),
# "text map" (a JSON object of text), "watch" (the JSON of forecast.watch's table attributes).
ATTRS: dict[str, dict[str, str]] = {
    "/": {
        "question": "text",
        "outcome": "text",
        "scenario_json": "text",
        "scenario_hash": "text",
        "input_files": "text map",
        "evidence_folder": "text",
        "command": "text",
        "method": "text",
        "band_route": "text",
        "seed": "int",
        "draws": "int",
        "band": "quantiles",
        "created": "text",
        "versions": "text map",
        "as_of": "text",
        "as_of_given": "int",
        "left_out": "text",
    },
    ATTRIBUTION: {
        "method": "text",
        "n_permutations": "int",
        "seed": "int",
        "p_prior": "probability",
        "p_final": "probability",
        "explanation": "text",
    },
    WATCH: {"watch": "watch"},
    PREVIOUS: {"created": "text", "scenario_hash": "text", "changes": "text"},
}
REQUIRED_NODE_ATTRS: dict[str, tuple[str, ...]] = {
    ATTRIBUTION: ("method", "n_permutations", "p_prior", "p_final"),
    WATCH: ("watch",),
}
"""Attributes an optional node must carry when a result holds it (the report reads them)."""
WATCH_COLUMNS = ("by", "p_seen", "expected_shift", "info_hypotheses_bits", "title", "overdue")
"""Variables of ``/watch`` the report and the watch chart read, besides ``p_<outcome>_if_seen``
and ``p_<outcome>_if_not_seen``."""


def check_result(result: object) -> None:
    """Raise ``TypeError`` unless ``result`` is a result of :func:`forecast.run`.

    That is a DataTree with ``/trajectory`` and ``/evidence`` (what every chart and table
    reads; the distribution chart needs ``/posterior`` too). A saved file is checked far more
    strictly on loading (:func:`forecast.results.load_result`).

    Examples
    --------
    >>> check_result({"trajectory": 1})  # doctest: +SKIP
    TypeError: expected the result of forecast.run ...
    """
    if not isinstance(result, xr.DataTree) or not {TRAJECTORY, EVIDENCE} <= set(result.children):
        raise TypeError(
            "expected the result of forecast.run or forecast.load_result (an xarray.DataTree "
            f"with /{TRAJECTORY} and /{EVIDENCE}), got {type(result).__name__}"
        )


def with_node(result: xr.DataTree, node: str, data: xr.Dataset) -> xr.DataTree:
    """``result`` with ``data`` as its node ``node``, checked against :data:`VARIABLES`.

    Every variable and coordinate of ``data`` must be one the schema lists for that node,
    with the listed dimensions, so that what a run writes is what a saved file may hold.

    Parameters
    ----------
    result : xarray.DataTree
        A result of :func:`forecast.run`; not modified.
    node : str
        An optional node: :data:`ATTRIBUTION`, :data:`WATCH` or :data:`PREVIOUS`.
    data : xarray.Dataset
        The node's variables.

    Returns
    -------
    xarray.DataTree
        A shallow copy of ``result`` with the node added (or replaced).

    Raises
    ------
    ValueError
        For a variable the schema does not list, or with other dimensions.

    Examples
    --------
    >>> result = with_node(result, WATCH, watch_dataset(frame))  # doctest: +SKIP
    """
    _known(node)
    if node in REQUIRED_NODES:
        raise ValueError(f"/{node} is built by build_result, not added")
    listed = VARIABLES[node]
    for name in [*data.data_vars, *data.coords]:
        dims = listed.get(str(name), listed.get("*"))
        actual = tuple(str(d) for d in data[name].dims)
        if dims is None or actual != tuple(d.rstrip("*") for d in dims):
            raise ValueError(
                f"/{node}/{name} with dimensions {actual} is not in the result schema "
                "(forecast.result_schema.VARIABLES)"
            )
    out = result.copy()
    out[node] = xr.DataTree(data)
    return out


def has_node(result: xr.DataTree, node: str) -> bool:
    """Whether ``result`` holds the optional node ``node`` (e.g. :data:`ATTRIBUTION`)."""
    _known(node)
    return node in result.children


def dataset(result: xr.DataTree, node: str) -> xr.Dataset:
    """The variables of one node of a result, as a typed ``xarray.Dataset``.

    ``result[node]`` is typed ``DataTree | DataArray``; this accessor says which, so that
    callers need no cast.

    Parameters
    ----------
    result : xarray.DataTree
        A result of :func:`forecast.run` (or loaded by :func:`forecast.load_result`).
    node : str
        One of :data:`NODES`, e.g. :data:`TRAJECTORY`.

    Returns
    -------
    xarray.Dataset
        The node's variables (a view of the tree's data, not a copy).

    Raises
    ------
    KeyError
        If ``node`` is not a node of the schema, or the result does not hold it.

    Examples
    --------
    >>> dataset(result, TRAJECTORY)["p_outcome"].values[-1]  # doctest: +SKIP
    0.466
    """
    _known(node)
    tree = result[node]
    if not isinstance(tree, xr.DataTree):
        raise KeyError(f"{node!r} is a variable of the result, not a node")
    return tree.dataset


def variable(result: xr.DataTree, node: str, name: str) -> xr.DataArray:
    """One variable of one node of a result, as a typed ``xarray.DataArray``.

    Parameters
    ----------
    result : xarray.DataTree
        A result of :func:`forecast.run` (or loaded by :func:`forecast.load_result`).
    node : str
        One of :data:`NODES`, e.g. :data:`TRAJECTORY`.
    name : str
        A variable of that node in :data:`VARIABLES`, e.g. ``"p_outcome"``.

    Returns
    -------
    xarray.DataArray
        The variable, with its coordinates.

    Raises
    ------
    KeyError
        If the node or the variable is not in the schema, or missing from the result.

    Examples
    --------
    >>> variable(result, TRAJECTORY, "p_outcome").values[-1]  # doctest: +SKIP
    0.466
    """
    if name not in VARIABLES.get(node, {}) and "*" not in VARIABLES.get(node, {}):
        raise KeyError(f"{name!r} is not a variable of /{node} (forecast.result_schema)")
    return dataset(result, node)[name]


def _known(node: str) -> None:
    if node not in VARIABLES:
        raise KeyError(f"{node!r} is not a node of a result; nodes: {', '.join(NODES)}")


def band_quantiles(result: xr.DataTree | None = None) -> tuple[float, float]:
    """The judgement band's quantiles ``(low, high)`` from the result's attribute ``band``.

    :data:`BAND` without a result, or for a result that does not record valid ones.

    Examples
    --------
    >>> band_quantiles(result)  # doctest: +SKIP
    (0.05, 0.95)
    """
    if result is not None and "band" in result.attrs:
        try:
            low, high = (float(q) for q in json.loads(str(result.attrs["band"])))
        except (ValueError, TypeError):
            return BAND
        if 0 <= low < high <= 1:
            return low, high
    return BAND


def band_level(result: xr.DataTree | None = None) -> float:
    """The judgement band's coverage as a fraction: ``0.9`` for the 5th to 95th percentiles.

    Examples
    --------
    >>> band_level(result)  # doctest: +SKIP
    0.9
    """
    low, high = band_quantiles(result)
    return high - low


def _ordinal(q: float) -> str:
    n = f"{100 * q:.4g}"
    last = "" if "." in n or n[-2:-1] == "1" else n[-1]  # 2.5th, 11th, 21st
    return n + {"1": "st", "2": "nd", "3": "rd"}.get(last, "th")


def band_percentiles(result: xr.DataTree | None = None) -> str:
    """The band's ends in words: ``"5th to 95th percentile"``.

    Examples
    --------
    >>> band_percentiles(result)  # doctest: +SKIP
    '5th to 95th percentile'
    """
    low, high = band_quantiles(result)
    return f"{_ordinal(low)} to {_ordinal(high)} percentile"


def band_label(result: xr.DataTree | None = None) -> str:
    """The band's coverage as printed: ``"90%"`` (whole percent unless it has a fraction).

    Examples
    --------
    >>> band_label(result)  # doctest: +SKIP
    '90%'
    """
    return f"{100 * band_level(result):.4g}%"


def build_result(
    scenario: Scenario,
    a: Arrays,
    stats: Mapping[str, Any],
    band: np.ndarray,
    diagnostics: Mapping[str, np.ndarray],
    *,
    expected_p_outcome: np.ndarray,
    weight: np.ndarray,
    log_likelihood: np.ndarray,
    method: str,
    band_route: str,
    draws: int,
    seed: int,
    versions: Mapping[str, str],
    rows: Mapping[str, np.ndarray] | None = None,
) -> xr.DataTree:
    """Assemble a result: the nodes :data:`REQUIRED_NODES` and the root's attributes.

    Parameters
    ----------
    scenario : Scenario
        The scenario run (stored in attribute ``scenario_json``).
    a : forecast.model.Arrays
        Its encoding (:func:`forecast.model.encode`).
    stats : mapping
        Per step: ``p_hypothesis`` (steps x hypotheses), ``p_outcome``, ``p_outcome_low``,
        ``p_outcome_high``, ``mcse``, ``mcse_low``, ``mcse_high``; optionally ``final``, a
        mapping of ``p_hypothesis``/``p_given_hypothesis`` to (chain, draw, hypothesis) draws.
    band : numpy.ndarray
        The draws of ``P(Y | E_1..k, theta)``, shape (chain, draw, step).
    diagnostics : mapping
        Per-step sampler diagnostics (``r_hat``, ``ess_bulk``, ``divergences``; NUTS only).
    expected_p_outcome : numpy.ndarray
        ``E[p_h]`` per hypothesis (H,).
    weight : numpy.ndarray
        Each item's weight at the final step (n,).
    log_likelihood : numpy.ndarray
        ``log E[Lr_i(h)^w_i]`` at the final step (n, H).
    method, band_route : str
        How the numbers were computed (attributes of the same names).
    draws, seed : int
        The run's settings.
    versions : mapping
        Package versions (attribute ``versions``).
    rows : mapping, optional
        The trajectory's rows when they are not the prior and one per item
        (:mod:`forecast.asof`): ``evidence_id``, ``date`` (datetime64[s]) and ``row``
        arrays of one length.

    Returns
    -------
    xarray.DataTree
        The result; see :func:`forecast.run`.
    """
    if rows is None:
        rows = _default_rows(scenario, a.n_items)
    steps = np.arange(len(rows["row"]))
    trajectory = _trajectory_node(
        scenario, a, stats, diagnostics, rows, expected_p_outcome=expected_p_outcome, method=method
    )
    posterior = _posterior_node(band, stats, steps, list(scenario.hypotheses))
    evidence = _evidence_node(scenario, a, weight, log_likelihood)
    attrs = {
        "question": scenario.question,
        "outcome": scenario.outcome,
        "scenario_hash": scenario.hash,
        # file order of hypotheses kept; UTF-8 (not \u escapes: 2-3x the size) so that what
        # run accepts (resultfile.check_scenario_fits) reads back under MAX_ATTR_BYTES
        "scenario_json": scenario_json(scenario),
        "input_files": json.dumps(scenario.files, sort_keys=True),
        "method": method,
        "band_route": band_route,
        "seed": seed,
        "draws": draws,
        "band": json.dumps(list(BAND)),
        "created": clock.stamp(),
        "versions": json.dumps(dict(versions), sort_keys=True),
    }
    return xr.DataTree.from_dict(
        {
            "/": xr.Dataset(attrs=attrs),
            TRAJECTORY: trajectory,
            POSTERIOR: posterior,
            EVIDENCE: evidence,
        }  # fmt: skip
    )


def _default_rows(scenario: Scenario, n_items: int) -> dict[str, np.ndarray]:
    """The trajectory's rows without an as-of day: ``evidence_id``, ``date``, ``row`` (N+1,)."""
    # calendar dates in seconds: years 0001-9999 (nanoseconds would wrap outside 1678-2262)
    return {
        "evidence_id": np.array(["", *scenario.ids], dtype=object),
        "date": np.array(
            ["NaT", *(e.date.isoformat() for e in scenario.evidence)], dtype="datetime64[s]"
        ),
        "row": np.array(["prior"] + ["item"] * n_items, dtype=object),
    }


def _trajectory_node(
    scenario: Scenario,
    a: Arrays,
    stats: Mapping[str, Any],
    diagnostics: Mapping[str, np.ndarray],
    rows: Mapping[str, np.ndarray],
    *,
    expected_p_outcome: np.ndarray,
    method: str,
) -> xr.Dataset:
    """The node :data:`TRAJECTORY` of :func:`build_result` (dims ``step``, ``hypothesis``)."""
    coords = {
        "step": np.arange(len(rows["row"])),
        "hypothesis": list(scenario.hypotheses),
        "evidence_id": ("step", rows["evidence_id"]),
        "row": ("step", rows["row"]),
        "date": ("step", rows["date"]),
    }
    data = {
        "p_hypothesis": (("step", "hypothesis"), stats["p_hypothesis"]),
        "prior": ("hypothesis", a.prior),
        "expected_p_outcome": ("hypothesis", expected_p_outcome),
    }
    for key in ("p_outcome", "p_outcome_low", "p_outcome_high", "mcse", "mcse_low", "mcse_high"):
        data[key] = ("step", stats[key])
    for key, value in diagnostics.items():
        data[key] = ("step", value)
    trajectory = xr.Dataset(data, coords=coords)
    trajectory["p_outcome"].attrs["long_name"] = f"P({scenario.outcome} | evidence so far)"
    trajectory["mcse"].attrs["long_name"] = (
        "Monte Carlo standard error of the draws' mean (fast route: the draws are an "
        "independent check; the probability itself is exact)"
        if method == "fast"
        else "Monte Carlo standard error of the posterior mean"
    )
    return trajectory


def _posterior_node(
    band: np.ndarray, stats: Mapping[str, Any], steps: np.ndarray, hyps: list[str]
) -> xr.Dataset:
    """The node :data:`POSTERIOR` of :func:`build_result`: the band's draws (chain, draw, step)."""
    posterior = xr.Dataset(
        {"p_outcome": (("chain", "draw", "step"), band)},
        coords={"chain": np.arange(band.shape[0]), "draw": np.arange(band.shape[1]), "step": steps},
    )
    # the last step's per-draw P(h | E, theta) and p_h: the band of an indicator (watch)
    final = stats.get("final") or {}
    for key, value in final.items():
        posterior[f"final_{key}"] = (("chain", "draw", "hypothesis"), value)
    if final:
        posterior = posterior.assign_coords(hypothesis=hyps)
    return posterior


def _evidence_node(
    scenario: Scenario, a: Arrays, weight: np.ndarray, log_likelihood: np.ndarray
) -> xr.Dataset:
    """The node :data:`EVIDENCE` of :func:`build_result` (dims ``evidence``, ``hypothesis``)."""
    ev = scenario.evidence
    evidence = xr.Dataset(
        {
            "title": ("evidence", np.array([e.title for e in ev], dtype=object)),
            "source": ("evidence", np.array([e.source for e in ev], dtype=object)),
            "date": (
                "evidence",
                np.array([e.date.isoformat() for e in ev], dtype="datetime64[s]"),
            ),
            "reliability": ("evidence", a.r),
            "group": ("evidence", np.array([e.group or "" for e in ev], dtype=object)),
            "weight": ("evidence", weight),
            "log_likelihood": (("evidence", "hypothesis"), log_likelihood),
        },
        coords={
            "evidence": np.array(scenario.ids, dtype=object),
            "hypothesis": list(scenario.hypotheses),
        },
    )
    evidence["log_likelihood"].attrs["long_name"] = (
        "log E[Lr_i(h)^w_i] at the final step: the item's effective log-likelihood"
    )
    return evidence
