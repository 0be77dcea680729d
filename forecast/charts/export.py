"""Exporting charts: formats, deterministic saving, inline SVG and :func:`save_all`.

Saving is deterministic (SVG text as text, no timestamps, atomic writes); SVG is made for inlining
in HTML; :func:`save_all` draws every chart, optionally in forked worker processes that die with
their parent.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import matplotlib as mpl
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from ..analysis import impact_table_for, sensitivity_table_for
from ..outdir import atomic_write
from ..outputs import charts_of, writer
from ..renderer import die_with_parent
from ..result_schema import BY_DATE, WATCH, dataset, has_node
from ..view import ResultView, checked_view
from .png import save_png
from .slide import SIZES, Size, slide_figures
from .style import (
    MAX_PIXELS,
)
from .watch import plot_watch

CHARTS = tuple(o.name for o in charts_of("charts") if not {"watch", "by_date"} & set(o.needs))
"""The charts :func:`save_all` always writes, in this order (the file names without suffix); also
``watch`` when the run ranked indicators and ``by_date`` when the question has a deadline. From
:data:`forecast.outputs.OUTPUTS`."""


def figures(
    result: xr.DataTree | ResultView,
    *,
    impact: pd.DataFrame | None = None,
    sensitivity: pd.DataFrame | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, Figure]:
    """Every chart of :data:`CHARTS` (or those in ``names``), by name.

    Also ``watch`` when the run ranked indicators.

    ``impact`` and ``sensitivity`` are the tables of :func:`impact_table` and
    :func:`sensitivity_table` if already computed.
    """
    builders = _builders(result, impact, sensitivity)
    return {name: build() for name, build in builders.items() if names is None or name in names}


def _tables(
    view: ResultView,
    impact: pd.DataFrame | None = None,
    sensitivity: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame | xr.Dataset | None]:
    """Return the analysis tables the charts draw, by the names in :attr:`Output.needs`.

    Computed here, once, on the view's scenario and arrays (decoded and encoded once for all);
    ``watch`` is None when the run ranked no indicator (or none is left).
    """
    result = view.tree
    if impact is None:
        impact = impact_table_for(result, view.arrays, view.scenario)
    if sensitivity is None:
        sensitivity = sensitivity_table_for(result, view.scenario, view.arrays)
    watch = None
    if has_node(result, WATCH):  # the run ranked indicators: their chart too
        from ..indicators import watch_frame

        watch = watch_frame(dataset(result, WATCH))
        watch = watch if len(watch) else None
    by_date = dataset(result, BY_DATE) if has_node(result, BY_DATE) else None  # with a deadline
    return {"impact": impact, "sensitivity": sensitivity, "watch": watch, "by_date": by_date}


def _builders(
    result: xr.DataTree | ResultView,
    impact: pd.DataFrame | None = None,
    sensitivity: pd.DataFrame | None = None,
) -> dict:
    """Return a function drawing each chart of :data:`forecast.outputs.OUTPUTS`, by name.

    Only the charts whose tables are there (:func:`_tables`).
    """
    view = checked_view(result)
    result = view.tree
    tables = _tables(view, impact, sensitivity)
    builders = {}
    for output in charts_of("charts"):
        needed = [tables[name] for name in output.needs]
        if any(t is None for t in needed):
            continue
        builders[output.name] = functools.partial(writer(output.name), result, *needed)
    return builders


def save_figure(fig: Figure, path: Path | IO[bytes], fmt: str, dpi: int, salt: str) -> None:
    """Save deterministically.

    SVG text as text (editable, searchable), no timestamps; a PNG at most :data:`MAX_PIXELS` a side
    (a ``dpi`` that would exceed it is lowered).
    """
    dpi = min(dpi, (MAX_PIXELS - 1) / max(fig.get_size_inches()))
    metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None}
    # unhinted glyphs: at 200 dpi they look the same, take a fifth less time to draw (issue 21,
    # point 13), and give the PNG the SVG's text metrics (SVG text is measured unhinted)
    with mpl.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": salt,
            "pdf.fonttype": 42,
            "text.hinting": "no_hinting",
        }
    ):
        if fmt == "png":  # the same pixels, encoded faster than by Pillow (forecast.charts.png)
            save_png(fig, path, dpi=dpi)
        else:
            fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata)


def svg_text(fig: Figure, *, salt: str = "forecast") -> str:
    """Return the figure as an inline ``<svg>`` element for HTML.

    Text kept as text, no XML prolog, no metadata block, no namespace URLs (HTML5 needs none).

    Every element id is prefixed with ``salt`` (and so is every reference to one), so that
    several charts can share one page.
    """
    buf = io.BytesIO()
    save_figure(fig, buf, "svg", 100, salt)
    return inline_svg(buf.getvalue().decode("utf-8"), salt=salt)


def inline_svg(text: str, *, salt: str) -> str:
    """Return an SVG document written by :func:`save_all` as an inline ``<svg>`` element.

    Its ids were salted with the chart's name; the element is the one :func:`svg_text` gives for the
    same figure.

    Examples
    --------
    >>> inline_svg(Path("out/timeline.svg").read_text(), salt="timeline")  # doctest: +SKIP
    '<svg width=...'
    """
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    # element ids unique on the page: prefix every id and every reference to one
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", salt)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)


def save_all(
    result: xr.DataTree | ResultView,
    out: str | Path,
    *,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 200,
    processes: int = 1,
    size: Size = "default",
) -> list[Path]:
    """Write every chart into ``out`` as ``<name>.<format>`` (atomically).

    Parameters
    ----------
    result : xarray.DataTree or ResultView
        From :func:`forecast.run` or :func:`forecast.load_result` (or its
        :class:`forecast.view.ResultView`, whose decoded scenario and arrays are used).
    out : str or Path
        The folder (created if missing).
    formats : sequence of {"png", "svg", "pdf"}
        File formats; SVG and PDF keep the text as text.
    dpi : int
        Resolution of the PNG files.
    processes : int
        Render in this many processes: this one and ``processes - 1`` forked workers
        (:func:`in_processes`; the command line uses 2; keep 1 inside a Jupyter kernel, whose
        threads make forking unsafe).
    size : {"default", "slide"}
        Each chart at its own size, or the slide-sized charts of
        :func:`forecast.charts.slide.slide_figures` (16:9, 13.333 x 7.5 in, text >= 14 pt:
        timeline, impact, distribution and watch).

    Returns
    -------
    list of Path
        The files written: timeline, impact, ach, sensitivity, distribution (and watch when
        the run ranked indicators), each format; at slide size the slide charts.

    Raises
    ------
    ValueError
        For an unknown format.

    Examples
    --------
    >>> save_all(result, "out", formats=("png", "pdf"))  # doctest: +SKIP
    """
    formats = chart_formats(formats)
    out = Path(out)
    build = chart_builders(result, size=size)
    names = list(build)

    def write(share: list[str]) -> None:
        # each figure drawn in the process that writes it, its formats in order
        for name in share:
            write_figure(build[name](), out, name, formats=formats, dpi=dpi)

    n = max(processes, 1)
    in_processes(write, [names[k::n] for k in range(n)])
    return [out / f"{name}.{fmt}" for name in names for fmt in formats]


def chart_builders(
    result: xr.DataTree | ResultView, *, size: Size = "default"
) -> dict[str, Callable[[], Figure]]:
    """Return a function drawing each chart :func:`save_all` writes, by name, in its order.

    Examples
    --------
    >>> list(chart_builders(result))  # doctest: +SKIP
    ['timeline', 'impact', 'ach', 'sensitivity', 'distribution', 'watch', 'by_date']
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}; got {size!r}")
    view = checked_view(result)  # the scenario decoded, and encoded, once for every chart
    return slide_figures(view.tree) if size == "slide" else _builders(view)


FORMATS = ("png", "svg", "pdf")


def chart_formats(formats: Sequence[str]) -> list[str]:
    """Return ``formats`` normalised (``" .PNG"`` is ``"png"``, blanks dropped), or ValueError."""
    formats = [f.strip().lower().lstrip(".") for f in formats]
    formats = [f for f in formats if f]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(
            f"chart format must be one of {', '.join(FORMATS)}; got {', '.join(bad) or 'none'}"
        )
    return list(dict.fromkeys(formats))


_SHARED: dict[int, Callable[[list[str]], None]] = {}
"""The functions the pools' workers run, by call, set by :func:`in_processes` before forking.

Inherited by the forked workers, never pickled: they hold the result and its figures' builders.
"""
_KEYS = itertools.count()


def _run_share(key: int, share: list[str]) -> None:
    """In a worker: do ``share`` with the function :func:`in_processes` set before forking."""
    _SHARED[key](share)


def in_processes(fn: Callable[[list[str]], None], shares: list[list[str]]) -> None:
    """Run ``fn(share)`` for every share, all but the first in forked worker processes.

    Parameters
    ----------
    fn : callable
        Does one share (for :func:`save_all`: draws and writes those charts). Inherited by
        the workers through ``fork``, never pickled: it may hold anything.
    shares : list of list of str
        The work, split; each share must be picklable (a list of chart names).

    Notes
    -----
    A :class:`concurrent.futures.ProcessPoolExecutor` of ``len(shares) - 1`` workers forked
    (``multiprocessing`` "fork" context, Linux and macOS) does the other shares while this
    process does the first. Where fork is unavailable or the pool cannot start, every share is
    done here, in order. A share whose worker failed (an exception, or the worker died) is done
    again here, so that a real error surfaces with its traceback. Each worker is killed when
    this process dies (``PR_SET_PDEATHSIG`` on Linux, set by the pool's initializer), and this
    process waits for every worker, whatever happens here.

    Examples
    --------
    >>> in_processes(lambda share: print(share), [["timeline"], ["impact"]])  # doctest: +SKIP
    """
    import multiprocessing
    import os
    import warnings
    from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor

    if len(shares) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for share in shares:
            fn(share)
        return
    pending: list[tuple[Future, list[str]]] = []
    failed: list[list[str]] = []
    key = next(_KEYS)
    _SHARED[key] = fn  # before the fork: the workers inherit it
    before = set(multiprocessing.active_children())
    try:
        with ProcessPoolExecutor(
            max_workers=len(shares) - 1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:  # leaving it waits for every worker, also when this process's share raised
            for k, share in enumerate(shares[1:]):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # fork with BLAS threads
                    try:
                        pending.append((pool.submit(_run_share, key, share), share))
                    except (OSError, BrokenExecutor):  # the pool could not start: here
                        # a worker forked before the failure would wait for work forever
                        for worker in set(multiprocessing.active_children()) - before:
                            worker.terminate()
                            worker.join()
                        failed += shares[1 + k :]
                        break
            fn(shares[0])
    finally:
        del _SHARED[key]
    failed += [share for future, share in pending if future.exception() is not None]
    for share in failed:
        fn(share)


def save_watch_chart(
    result: xr.DataTree,
    table: pd.DataFrame,
    out: str | Path,
    *,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 200,
) -> list[Path]:
    """Write the :func:`plot_watch` into ``out`` as ``watch.<format>`` (atomically)."""
    fig = plot_watch(result, table)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return write_figure(fig, out, "watch", formats=formats, dpi=dpi)


def write_figure(
    fig: Figure,
    out: str | Path,
    name: str,
    *,
    formats: Sequence[str] = ("png", "svg"),
    dpi: int = 200,
) -> list[Path]:
    """Write ``fig`` into the folder ``out`` as ``<name>.<format>``, each file atomically.

    Each file is saved by :func:`save_figure` (SVG and PDF text as text, no timestamps, SVG ids
    salted with ``name``, a PNG at most :data:`MAX_PIXELS` a side) through
    :func:`forecast.outdir.atomic_write`, so that a failure leaves no half-written file. The
    layout is found once, for the first format, and kept for the others (the figure's layout
    engine is then ``"none"``).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart.
    out : str or Path
        An existing folder.
    name : str
        The file name without suffix.
    formats : sequence of {"png", "svg", "pdf"}
        File formats, in the order written (:func:`chart_formats`).
    dpi : int
        Resolution of a PNG (lowered if the image would exceed :data:`MAX_PIXELS`).

    Returns
    -------
    list of Path
        The files written, one per format.

    Raises
    ------
    ValueError
        For an unknown format.

    Examples
    --------
    >>> write_figure(plot_score(scored), "out", "score")  # doctest: +SKIP
    [PosixPath('out/score.png'), PosixPath('out/score.svg')]
    """
    out = Path(out)
    paths = []
    for fmt in chart_formats(formats):
        path = out / f"{name}.{fmt}"
        atomic_write(path, functools.partial(save_figure, fig, fmt=fmt, dpi=dpi, salt=name))
        fig.set_layout_engine("none")
        paths.append(path)
    return paths
