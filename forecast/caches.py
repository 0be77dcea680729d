"""Remembered computations: bounded stores of arrays keyed by their exact inputs.

The what-if path changes one item at a time, so each uncertain item's quadrature
(:data:`TILTS`) and band draws (:data:`DRAWS`) are remembered, and a run after an edit
recomputes only the edited item. A store's capacity decides only what is remembered, never a
number: a cold run, a warm run and a run with stores of any size give bit-identical results.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

__all__ = ["DRAWS", "TILTS", "Memo", "clear_caches", "on_clear"]


class Memo:
    """A bounded least-recently-used store of arrays, keyed by the exact inputs (bytes).

    Parameters
    ----------
    max_bytes : int
        Capacity in bytes; the least recently used entries are dropped beyond it.
    overhead : int
        Bytes counted per entry beside its value (its key and the bookkeeping).

    Examples
    --------
    >>> memo = Memo(2**20)
    >>> memo.put(("item", 1.0), np.zeros(3))
    >>> memo.get(("item", 1.0))
    array([0., 0., 0.])
    """

    def __init__(self, max_bytes: int, overhead: int = 0):
        self.max_bytes = max_bytes
        self.overhead = overhead
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0

    def get(self, key: Hashable) -> np.ndarray | None:
        """The value stored under ``key`` (read-only), or None."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: np.ndarray) -> None:
        """Remember ``value`` (made read-only) under ``key`` if it fits."""
        if value.nbytes > self.max_bytes or key in self._items:
            return
        value.setflags(write=False)
        self._items[key] = value
        self._bytes += value.nbytes + self.overhead
        while self._bytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.nbytes + self.overhead

    def clear(self) -> None:
        """Forget everything."""
        self._items.clear()
        self._bytes = 0


TILTS = Memo(128 * 2**20, overhead=600)
"""``log c`` of uncertain item rows seen lately (about 200,000 rows; a row's key, two byte
strings and two floats, and its dictionary entry weigh more than its values)."""

DRAWS = Memo(256 * 2**20)
"""Band contributions of items seen lately, per (item, weight, conditioning hypothesis)."""


_CLEARERS: list[Callable[[], None]] = []


def on_clear(forget: Callable[[], None]) -> Callable[[], None]:
    """Register ``forget`` to be called by :func:`clear_caches` (a module's own small store).

    Examples
    --------
    >>> LAST: dict = {}
    >>> on_clear(LAST.clear)  # doctest: +ELLIPSIS
    <built-in method clear of dict object at ...>
    """
    _CLEARERS.append(forget)
    return forget


def clear_caches() -> None:
    """Forget every remembered number: quadratures, band draws, prior draws, scratch arrays.

    The next run starts cold (for cold-start measurements); its numbers are the same.
    Compiled models (numba, nutpie) are kept: compiling is once per process and structure.

    Examples
    --------
    >>> clear_caches()
    """
    DRAWS.clear()
    TILTS.clear()
    for forget in _CLEARERS:
        forget()
