"""What-if settings: a scenario's items re-weighted, as files (``scenario_for``) or arrays (:class:`Encoded`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from .impacts import leave_one_out
from .model import (
    Arrays,
    encode,
    likelihood_row,
)
from .result_schema import (
    ATTRIBUTION,
    dataset,
    has_node,
)
from .scenario import EvidenceItem, Scenario

TOL = 1e-9
"""Two settings closer than this are equal (a diagnosticity or reliability of the item's own
value changes nothing)."""


@dataclass(frozen=True)
class Setting:
    """The what-if controls of one evidence item.

    ``include``: keep the item; ``diagnosticity``: the power ``s`` applied to its likelihoods
    (1 = as written); ``reliability``: ``r`` in [0, 1], or None for the item's own.
    """

    include: bool = True
    diagnosticity: float = 1.0
    reliability: float | None = None

    def as_written(self, item: EvidenceItem) -> bool:
        """Return True when this setting leaves ``item`` as written.

        Included, diagnosticity 1 and the item's own reliability (each within :data:`TOL`).

        Examples
        --------
        >>> Setting(reliability=item.r).as_written(item)  # doctest: +SKIP
        True
        """
        r = item.r if self.reliability is None else self.reliability
        return self.include and abs(self.diagnosticity - 1.0) <= TOL and abs(r - item.r) <= TOL


def scale_likelihoods(likelihoods: Mapping[str, Any], s: float) -> dict[str, Any]:
    """Every likelihood raised to the power ``s`` (every log-likelihood times ``s``).

    A number ``L`` becomes ``L ** s``, an interval ``(lo, hi)`` becomes
    ``[lo ** s, hi ** s]``; ``s = 0`` gives neutral likelihoods (all 1).

    A result beyond the largest double is ``inf`` (which validation refuses).

    >>> scale_likelihoods({"a": 4.0, "b": (0.5, 2.0)}, 0.5)
    {'a': 2.0, 'b': [0.7071067811865476, 1.4142135623730951]}
    """
    if not (math.isfinite(s) and s >= 0):
        raise ValueError(f"diagnosticity must be a finite number >= 0, got {s!r}")
    out: dict[str, Any] = {}
    for name, value in likelihoods.items():
        if s < TOL:
            out[name] = 1.0
        elif isinstance(value, tuple | list):
            lo, hi = _power(float(value[0]), s), _power(float(value[1]), s)
            # a vanishing s can round an interval to one number: then it is one
            out[name] = [lo, hi] if lo < hi else math.sqrt(lo * hi)
        else:
            out[name] = _power(float(value), s)
    return out


def _power(x: float, s: float) -> float:
    """``x ** s``, ``inf`` beyond the largest double (validation then refuses it, no crash)."""
    try:
        return x**s
    except OverflowError:
        return math.inf


def scenario_for(scenario: Scenario, settings: Mapping[str, Setting]) -> Scenario:
    """Return the scenario the what-if controls describe (a pure function of its inputs).

    Parameters
    ----------
    scenario : Scenario
        The scenario as written.
    settings : mapping of evidence id to :class:`Setting`
        Items not named keep their values. A setting equal to the item's own values
        changes nothing, so moving the controls back restores ``scenario`` exactly.

    Returns
    -------
    Scenario
        Items switched off left out, the others' likelihoods scaled by
        :func:`scale_likelihoods` and reliability replaced, through one
        :meth:`Scenario.replace_evidence`; validated like any scenario.

    Raises
    ------
    KeyError
        For an id that is not an evidence item.
    ValueError
        For a diagnosticity below 0 or a reliability outside [0, 1].
    """
    unknown = [id for id in settings if id not in scenario.ids]
    if unknown:
        raise KeyError(f"no evidence item {unknown[0]!r}")
    items: list[EvidenceItem | dict] = []
    for item in scenario.evidence:
        setting = settings.get(item.id)
        if setting is None:
            items.append(item)
        elif setting.include:
            changes = setting_changes(item, setting)
            items.append(
                item.model_dump(mode="json", exclude_none=True) | changes if changes else item
            )
    unchanged = len(items) == len(scenario.evidence) and all(
        isinstance(e, EvidenceItem) for e in items
    )
    return scenario if unchanged else scenario.replace_evidence(items)  # validated once


def setting_changes(item: EvidenceItem, setting: Setting) -> dict[str, Any]:
    """Return the fields of ``item`` that ``setting`` changes (empty: none)."""
    s = float(setting.diagnosticity)
    r = item.r if setting.reliability is None else float(setting.reliability)
    if not (0.0 <= r <= 1.0):
        raise ValueError(f"reliability of {item.id} must be between 0 and 1, got {r!r}")
    if r < TOL:  # carries no information: the limit r -> 0
        return {"likelihoods": scale_likelihoods(item.likelihoods, 0.0)}
    changes: dict[str, Any] = {}
    if abs(s - 1.0) > TOL:
        changes["likelihoods"] = scale_likelihoods(item.likelihoods, s)
    if abs(r - item.r) > TOL:
        changes["reliability"] = r
    return changes


def _valid_likelihoods(likelihoods: Mapping[str, Any]) -> bool:
    """Return what validation would accept of scaled likelihoods: positive and finite numbers."""
    for value in likelihoods.values():
        for x in value if isinstance(value, list | tuple) else (value,):
            if not (math.isfinite(x) and x > 0.0):
                return False
    return True


class Encoded:
    """A scenario's arrays, and those of any what-if settings, without building a Scenario.

    ``Encoded(scenario).arrays(settings)`` equals ``encode(scenario_for(scenario, settings))``
    number for number: the changed items' rows are written by the same code
    (:func:`scale_likelihoods`, :func:`forecast.model.likelihood_row`), the others copied.
    This is how the what-if panel (:mod:`forecast.widgets`) follows a slider without
    building or validating a scenario per move.

    Parameters
    ----------
    scenario : Scenario
        The scenario as written.

    Attributes
    ----------
    scenario : Scenario
        The scenario as written.
    base : Arrays
        ``encode(scenario)``.
    ids : tuple of str
        Its evidence ids, in update order.
    index : dict
        Each id's row in ``base``.

    Examples
    --------
    >>> enc = Encoded(scenario)  # doctest: +SKIP
    >>> a, ids = enc.arrays({"maxar-new-deployments": Setting(diagnosticity=2.0)})  # doctest: +SKIP
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.base = encode(scenario)
        self.ids = scenario.ids
        self.index = {id: i for i, id in enumerate(self.ids)}
        self._group_names = sorted({e.group for e in scenario.evidence if e.group is not None})
        self._rows: dict[tuple[str, Setting], tuple[np.ndarray, np.ndarray, float]] = {}

    def _row(self, id: str, setting: Setting) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(mu, sd, r) of one changed item; None if its likelihoods would not validate.

        Raises ValueError for a diagnosticity below 0 or a reliability outside [0, 1].
        """
        key = (id, setting)
        got = self._rows.get(key)
        if got is None:
            i = self.index[id]
            item = self.scenario.evidence[i]
            changes = setting_changes(item, setting)
            mu, sd = self.base.mu[i], self.base.sd[i]
            if "likelihoods" in changes:
                if not _valid_likelihoods(changes["likelihoods"]):
                    return None
                mu, sd = likelihood_row(changes["likelihoods"], self.scenario.hypotheses)
            got = (mu, sd, float(changes.get("reliability", item.r)))
            if len(self._rows) > 4096:
                self._rows.clear()
            self._rows[key] = got
        return got

    def arrays(self, settings: Mapping[str, Setting]) -> tuple[Arrays, tuple[str, ...]] | None:
        """Return the arrays and ids ``settings`` describe.

        Parameters
        ----------
        settings : mapping of evidence id to :class:`Setting`
            The changed items (the others keep their values).

        Returns
        -------
        (Arrays, tuple of str) or None
            ``encode(scenario_for(scenario, settings))`` and its ids; None if that scenario
            would not validate (a scaled likelihood overflows: :func:`scenario_for` says
            which).

        Raises
        ------
        KeyError
            For an unknown id.
        ValueError
            As :func:`scenario_for` does.

        Examples
        --------
        >>> a, ids = Encoded(scenario).arrays({"kavkaz-2008-precedent": Setting(include=False)})  # doctest: +SKIP
        """
        a = self.base
        unknown = [id for id in settings if id not in self.index]
        if unknown:
            raise KeyError(f"no evidence item {unknown[0]!r}")
        mu, sd, r = a.mu, a.sd, a.r
        keep = np.ones(a.n_items, dtype=bool)
        copied = False
        for id, setting in settings.items():
            i = self.index[id]
            if not setting.include:
                keep[i] = False
                continue
            row = self._row(id, setting)
            if row is None:
                return None
            if not copied:
                mu, sd, r, copied = mu.copy(), sd.copy(), r.copy(), True
            mu[i], sd[i], r[i] = row
        if keep.all():
            group, rho = a.group, a.rho
            ids = self.ids
        else:
            mu, sd, r = mu[keep], sd[keep], r[keep]
            ids = tuple(id for id, k in zip(self.ids, keep, strict=True) if k)
            # groups numbered as encode does: the names of the groups still present, sorted
            present = np.unique(a.group[keep & (a.group >= 0)])
            renumber = np.full(len(self._group_names) + 1, -1)
            renumber[present] = np.arange(present.size)
            group = renumber[a.group[keep]]
            rho = a.rho[present]
        arrays = Arrays(
            prior=a.prior, kappa=a.kappa, p_mean=a.p_mean, p_sd=a.p_sd,
            mu=mu, sd=sd, r=r, group=group, rho=rho, p_point=a.p_point,
        )  # fmt: skip
        return arrays, ids


def importance(
    a: Arrays, result: xr.DataTree | None = None, ids: tuple[str, ...] | None = None
) -> np.ndarray:
    """Return how much each evidence item matters to the final probability, (N,).

    The key of :func:`most_important`, from the encoded arrays: the size of the item's
    Shapley value when ``result`` holds an attribution, else of its leave-one-out change.
    The what-if panel lists a large scenario's items in this order, largest first.

    Parameters
    ----------
    a : Arrays
        The encoded scenario (:func:`forecast.model.encode`).
    result : xarray.DataTree, optional
        A result with an ``attribution`` node: then ``|shapley|`` (summed over every
        dimension but ``evidence``) decides.
    ids : tuple of str, optional
        The items of ``a`` by id: the attribution is taken in this order when its node
        names its items (an ``evidence`` coordinate).

    Returns
    -------
    (N,) array
        Fractions of probability: ``|P(Y | every item) - P(Y | every item but i)|``
        (:func:`leave_one_out`, exact for grouped items too), or ``|shapley_i|``.

    Examples
    --------
    >>> importance(encode(scenario)).argmax()  # the item that matters most  # doctest: +SKIP
    1
    """
    if result is not None and has_node(result, ATTRIBUTION):
        shap = dataset(result, ATTRIBUTION).get("shapley")
        if shap is not None and "evidence" in shap.dims:
            other = [d for d in shap.dims if d != "evidence"]
            total = abs(shap).sum(dim=other)
            if ids is not None and "evidence" in total.coords:
                total = total.sel(evidence=list(ids))
            return total.values.astype(float)
    if a.n_items == 0:
        return np.zeros(0)
    p_final, without = leave_one_out(a)
    return np.abs(without - p_final)
