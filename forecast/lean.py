"""Start-up savings for commands that never use Dask (``forecast run``, ``forecast charts``).

When Dask is installed (the ``distributed`` extra, for ``forecast portfolio --scheduler``),
xarray imports ``dask.array`` the first time it builds a Dataset (to recognise Dask arrays) and
``distributed`` the first time it writes a netCDF file (to look for a cluster's client): about
0.47 s of CPU in a fresh process on the project's 2-core machine, for arrays that are always
NumPy here. :func:`without_dask` makes both look absent to this process (and to the chart
workers it forks), so that xarray skips them; nothing a run writes changes.
"""

from __future__ import annotations

import sys

__all__ = ["UNUSED", "without_dask"]

UNUSED = ("dask", "distributed")
"""Packages a ``forecast run`` never uses, whose import xarray would otherwise pay for."""


def without_dask() -> list[str]:
    """Make Dask and ``distributed`` look absent to this process, unless already imported.

    For a command-line process that builds only NumPy-backed results: an entry of ``None`` in
    :data:`sys.modules` makes ``import dask`` raise ImportError and
    :func:`importlib.util.find_spec` return None, which xarray reads as "Dask not installed". A
    package already imported (a Dask client in use) is left alone. Not for a library caller:
    only the command line calls it.

    Returns
    -------
    list of str
        The packages hidden (those of :data:`UNUSED` not imported before).

    Examples
    --------
    >>> without_dask()  # doctest: +SKIP
    ['dask', 'distributed']
    """
    hidden = [name for name in UNUSED if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    return hidden
