"""Start-up savings for commands that never use Dask (``forecast run``, ``forecast charts``).

When Dask is installed (the ``distributed`` extra, for ``forecast portfolio --scheduler``),
xarray imports ``dask.array`` the first time it builds a Dataset (to recognise Dask arrays) and
``distributed`` the first time it writes a netCDF file (to look for a cluster's client): about
0.5 s of CPU in a fresh process on the project's 2-core machine, for arrays that are always
NumPy here. :func:`without_dask` makes both look absent while a command runs (also to the chart
workers it forks), so that xarray skips them; nothing a run writes changes.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

__all__ = ["UNUSED", "without_dask"]

UNUSED = ("dask", "distributed")
"""Packages a ``forecast run`` never uses, whose import xarray would otherwise pay for."""


@contextlib.contextmanager
def without_dask() -> Iterator[list[str]]:
    """Within the block, make Dask and ``distributed`` look absent to xarray.

    An entry of ``None`` in :data:`sys.modules` makes ``import dask`` raise ImportError and
    :func:`importlib.util.find_spec` return None, which xarray reads as "Dask not installed".
    Only in a process where neither xarray nor the package was imported before (the command
    line's fresh process): xarray remembers what it found, so hiding a package it already saw
    would break it, and a package in use stays in use. The entries are removed on leaving; a
    process that then goes on to use Dask arrays through xarray would find xarray still taking
    Dask as absent, which is why only the command line uses this.

    Yields
    ------
    list of str
        The packages hidden (those of :data:`UNUSED` not imported before; none when xarray
        was already imported).

    Examples
    --------
    >>> with without_dask() as hidden:  # doctest: +SKIP
    ...     print(hidden)
    ['dask', 'distributed']
    """
    fresh = "xarray" not in sys.modules
    hidden = [name for name in UNUSED if fresh and name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield hidden
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
