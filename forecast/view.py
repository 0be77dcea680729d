"""A result as its consumers read it: the tree, its scenario decoded once and its arrays.

A result (:func:`forecast.run`, :func:`forecast.load_result`) stores its scenario as JSON text
(attribute ``scenario_json``). A :class:`ResultView` holds the tree with that scenario decoded
and validated once (:class:`forecast.Scenario`) and, on first use, encoded once
(:class:`forecast.model.Arrays`). The report, the charts, the slides and the tables take either
a tree or a view (:func:`view_of`); the pipelines (:mod:`forecast.pipeline`) build the view where
a result is read or computed and hand it on.

A tree's decoded scenario is remembered by the identity of its ``scenario_json`` text, which the
trees derived from it (a node added, an earlier trajectory kept) share: :func:`view_of` and
:func:`forecast.result_schema.scenario_of` decode a result's text once however many consumers
ask. A tree whose text is replaced is decoded afresh. The store keeps the last
:data:`REMEMBERED` texts and is emptied by :func:`forecast.caches.clear_caches`.

Examples
--------
>>> view = view_of(forecast.run(forecast.load_scenario()))  # doctest: +SKIP
>>> view.scenario.outcome, view.arrays.mu.shape  # doctest: +SKIP
('invasion', (13, 3))
>>> view_of(view) is view  # doctest: +SKIP
True
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import caches
from .scenario import Scenario

if TYPE_CHECKING:
    import xarray as xr

    from .model import Arrays

__all__ = [
    "REMEMBERED",
    "ResultView",
    "checked_view",
    "decode",
    "encoded",
    "remember",
    "view_of",
]

REMEMBERED = 8
"""How many decoded scenarios (and their arrays) are remembered, the most recently used."""

_DECODED: OrderedDict[int, tuple[str, Scenario]] = OrderedDict()
"""``id(text) -> (text, scenario)``: the text is held, so its id names it while it is here."""
_ENCODED: OrderedDict[int, tuple[Scenario, Arrays]] = OrderedDict()
"""``id(scenario) -> (scenario, arrays)``, the arrays read-only."""
_LOCK = threading.Lock()  # the stores are shared by threads (a portfolio's, a kernel's)


def _clear() -> None:
    with _LOCK:
        _DECODED.clear()
        _ENCODED.clear()


caches.on_clear(_clear)


def _recall(store: OrderedDict, obj: object) -> Any:
    """The value kept for the very object ``obj`` (now the most recent), or None."""
    with _LOCK:
        known = store.get(id(obj))
        if known is None or known[0] is not obj:
            return None
        store.move_to_end(id(obj))
        return known[1]


def _keep(store: OrderedDict, obj: object, value: object) -> None:
    """Keep ``value`` for ``obj`` (held, so that its id names it), the oldest dropped."""
    with _LOCK:
        store[id(obj)] = (obj, value)
        store.move_to_end(id(obj))
        while len(store) > REMEMBERED:
            store.popitem(last=False)


def decode(text: str, *, name: str = "posterior.nc") -> Scenario:
    """The scenario of a result's ``scenario_json`` text, validated once per text.

    A text seen lately (the same object, or an equal copy) gives the same Scenario object.

    Parameters
    ----------
    text : str
        The JSON text (:func:`forecast.result_schema.scenario_json`).
    name : str
        The file named by the :class:`forecast.ScenarioError` of a text that does not validate.

    Examples
    --------
    >>> text = scenario_json(forecast.load_scenario())  # doctest: +SKIP
    >>> decode(text) is decode(text)  # doctest: +SKIP
    True
    """
    if not isinstance(text, str):  # a crafted file's attribute: refused by from_dict
        return Scenario.from_dict(json.loads(text), name=name)
    scenario = _recall(_DECODED, text)
    if scenario is not None:
        return scenario
    with _LOCK:
        same = [s for t, s in _DECODED.values() if t == text]  # an equal copy of a text seen
    scenario = same[0] if same else Scenario.from_dict(json.loads(text), name=name)
    remember(text, scenario)
    return scenario


def remember(text: str, scenario: Scenario) -> None:
    """Let :func:`decode` answer ``scenario`` for ``text`` (the text it was decoded from).

    For a reader that validated the text itself (:func:`forecast.resultfile.read_view`).

    Examples
    --------
    >>> remember(text, Scenario.from_dict(json.loads(text)))  # doctest: +SKIP
    """
    _keep(_DECODED, text, scenario)


def encoded(scenario: Scenario) -> Arrays:
    """``encode(scenario)``, computed once per scenario object; the arrays are read-only.

    Examples
    --------
    >>> s = forecast.load_scenario()  # doctest: +SKIP
    >>> encoded(s) is encoded(s)  # doctest: +SKIP
    True
    """
    arrays = _recall(_ENCODED, scenario)
    if arrays is not None:
        return arrays
    from .model import encode

    arrays = encode(scenario)
    for value in vars(arrays).values():
        if hasattr(value, "setflags"):
            value.setflags(write=False)  # shared by every consumer
    _keep(_ENCODED, scenario, arrays)
    return arrays


@dataclass(frozen=True, eq=False)
class ResultView:
    """A result with its scenario decoded once and its arrays encoded once (on first use).

    Attributes
    ----------
    tree : xarray.DataTree
        The result (as :func:`forecast.run` returns it and ``posterior.nc`` holds it).
    scenario : Scenario
        The scenario stored in the result (its attribute ``scenario_json``), validated.

    Examples
    --------
    >>> view = view_of(forecast.load_result("out/posterior.nc"))  # doctest: +SKIP
    >>> view.as_of, len(view.scenario.evidence)  # doctest: +SKIP
    (None, 13)
    """

    tree: xr.DataTree
    scenario: Scenario

    @cached_property
    def arrays(self) -> Arrays:
        """The scenario's arrays (:func:`forecast.model.encode`), read-only, encoded once."""
        return encoded(self.scenario)

    @property
    def as_of(self) -> str | None:
        """The as-of day of the run (``YYYY-MM-DD``), None when it saw every item."""
        value = str(self.tree.attrs.get("as_of", ""))
        return value or None

    @property
    def scenario_hash(self) -> str:
        """The hash the result records (attribute ``scenario_hash``), else the scenario's own."""
        return str(self.tree.attrs.get("scenario_hash", "")) or self.scenario.hash


def view_of(result: xr.DataTree | ResultView) -> ResultView:
    """The view of ``result`` (itself when it is one); its scenario decoded once per text.

    Parameters
    ----------
    result : xarray.DataTree or ResultView
        From :func:`forecast.run` or :func:`forecast.load_result`.

    Raises
    ------
    forecast.ScenarioError
        When the stored scenario does not validate.

    Examples
    --------
    >>> view_of(result).scenario is view_of(result).scenario  # doctest: +SKIP
    True
    """
    if isinstance(result, ResultView):
        return result
    return ResultView(result, decode(result.attrs["scenario_json"]))


def checked_view(result: object) -> ResultView:
    """The view of a result (a tree or a view), TypeError for anything else.

    :func:`forecast.result_schema.check_result` on its tree, then :func:`view_of`: what the
    public functions taking a result call first.

    Examples
    --------
    >>> checked_view({"trajectory": 1})  # doctest: +SKIP
    TypeError: expected the result of forecast.run ...
    """
    from .result_schema import check_result

    if isinstance(result, ResultView):
        check_result(result.tree)
        return result
    check_result(result)
    return view_of(result)  # type: ignore[arg-type]
