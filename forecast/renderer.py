"""Drawing a run's charts in processes started before the run is computed (issue 21, point 13).

``forecast run`` spends most of its time drawing. :func:`early_renderer` forks one process, the
renderer, as soon as the scenario has been read: it imports matplotlib and the chart modules
while this process computes the run. :meth:`Renderer.start` hands it the result (pickled, about
0.5 MB for the bundled run) as soon as the run is computed, through a thread, so that this
process writes the run's tables meanwhile; the renderer takes it once its imports are done
(:meth:`Renderer.ready` says whether they are) and forks its helpers (``processes - 1``,
inheriting every import), and together they take the charts and the report's page from one
queue, the costliest first (:data:`COST_ORDER`); the renderer then puts the charts into
``report.html``.
:meth:`Renderer.finish` waits for it. A run that fails kills it (:func:`early_renderer`).

Nothing a run writes depends on which process drew it. When the renderer cannot start (no
``fork``) or fails in any way, :meth:`Renderer.finish` says so (None) and the caller draws here, so
that a real error surfaces with its traceback. Every renderer process is killed when its parent
dies (``PR_SET_PDEATHSIG`` on Linux), so that a killed run leaves nothing writing behind it.

This module imports neither matplotlib nor xarray.

Examples
--------
>>> with early_renderer(2) as renderer:  # doctest: +SKIP
...     result = forecast.run(scenario)
...     names = renderer.draw(DrawJob(result, Path("out")))
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import os
import pickle
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "COST_ORDER",
    "DrawJob",
    "Renderer",
    "die_with_parent",
    "early_renderer",
    "share_out",
    "warm_up",
]

COST_ORDER = ("impact", "ach", "timeline", "sensitivity", "watch", "by_date", "distribution")
"""The charts by their drawing time on the bundled run, longest first (PNG and SVG, 200 dpi):
the queue's order, so that the last chart taken is a short one. Others come after, in their
order."""


@dataclass(frozen=True)
class DrawJob:
    """What the renderer draws: every chart of ``result`` into ``out``, then ``report.html``.

    Attributes
    ----------
    result : xarray.DataTree
        The run.
    out : Path
        The folder written into (the run's staging folder).
    formats : sequence of str
        The charts' formats.
    dpi : int
        Resolution of PNG charts.
    size : {"default", "slide"}
        The charts' size (:func:`forecast.charts.save_all`).
    report : bool
        Also write ``report.html`` (its charts are the SVG files just written, at the default size).
    """

    result: Any
    out: Path
    formats: Sequence[str] = ("png", "svg")
    dpi: int = 200
    size: Literal["default", "slide"] = "default"
    report: bool = True


def die_with_parent(parent: int) -> None:
    """In a forked process: be killed when the parent dies (Linux ``PR_SET_PDEATHSIG``).

    So that a killed ``forecast run`` leaves no renderer writing files behind it. Exits at once
    when the parent already died.

    Examples
    --------
    >>> die_with_parent(os.getppid())  # doctest: +SKIP
    """
    import ctypes
    import signal

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # 1: PR_SET_PDEATHSIG
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _fork_context() -> Any:
    return multiprocessing.get_context("fork")


def _start(process: Any) -> None:
    """Fork ``process`` with every object alive now frozen for the garbage collector.

    The child's collections then skip the parent's objects (imports, the result), which it
    would otherwise walk, and copy page by page, at each full collection: about 0.1 s of a
    cold ``forecast run``. A process that had frozen nothing collects as before (unfrozen
    again); one that had (the renderer, before it forks its helpers) keeps its objects frozen.
    """
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork beside BLAS threads
            process.start()
    finally:
        if not frozen_before:
            gc.unfreeze()


def _take_all(fn: Callable[[str], None], tasks: Sequence[str], counter: Any) -> None:
    """Do the tasks of the shared queue ``counter`` (the next index) until none is left."""
    while True:
        with counter.get_lock():
            k = counter.value
            counter.value = k + 1
        if k >= len(tasks):
            return
        fn(tasks[k])


def _helper(fn: Callable[[str], None], tasks: Sequence[str], counter: Any, parent: int) -> None:
    die_with_parent(parent)
    try:
        _take_all(fn, tasks, counter)
    except BaseException:  # noqa: BLE001  (said by the exit code; the caller shows the error)
        os._exit(1)


def share_out(fn: Callable[[str], None], tasks: Sequence[str], processes: int) -> None:
    """Run ``fn(task)`` for every task, in this process and ``processes - 1`` forked helpers.

    Each process takes the next task of one shared queue when it is free (the first tasks first),
    so that the work balances whatever each task costs. The helpers inherit ``fn`` through
    ``fork`` (nothing is pickled) and die with this process.

    Raises
    ------
    RuntimeError
        When a helper failed (quietly: :meth:`Renderer.draw`'s caller then draws again, here,
        and shows the real error); an exception of this process's own tasks propagates, after
        the helpers ended.

    Examples
    --------
    >>> share_out(print, ["a", "b", "c"], 2)  # doctest: +SKIP
    """
    ctx = _fork_context()
    counter = ctx.Value("i", 0)
    helpers = []
    try:
        for _ in range(min(processes, len(tasks)) - 1):
            helper = ctx.Process(target=_helper, args=(fn, tasks, counter, os.getpid()))
            _start(helper)
            helpers.append(helper)
        _take_all(fn, tasks, counter)
    finally:
        for helper in helpers:
            helper.join()
    if any(helper.exitcode != 0 for helper in helpers):
        raise RuntimeError("a chart helper process failed")


REPORT = "report.html"
"""The report's task in the queue: its page with a mark for each chart (:func:`forecast.report.chart_marks`),
the charts put in once every chart is written."""


def _rank(name: str) -> int:
    order = (*COST_ORDER[:-1], REPORT, COST_ORDER[-1])
    return order.index(name) if name in order else len(order)


def _write_text(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")


def _draw(job: DrawJob, processes: int) -> list[str]:
    """Draw ``job`` here and in ``processes - 1`` helpers; return the names written."""
    import tempfile

    from .charts.export import chart_builders, chart_formats, write_figure
    from .outdir import atomic_write
    from .report import chart_marks, fill_charts, report_html

    formats = chart_formats(job.formats)
    build = chart_builders(job.result, size=job.size)
    svgs = {n: job.out / f"{n}.svg" for n in build if "svg" in formats and job.size == "default"}
    with tempfile.TemporaryFile() as page:  # the report's page, from whichever process wrote it

        def do(task: str) -> None:
            if task == REPORT:
                page.write(report_html(job.result, svgs=chart_marks(list(svgs))).encode("utf-8"))
                page.flush()
            else:
                write_figure(build[task](), job.out, task, formats=formats, dpi=job.dpi)

        share_out(do, sorted([*build, *([REPORT] if job.report else [])], key=_rank), processes)
        names = [f"{name}.{fmt}" for name in build for fmt in formats]
        if job.report:
            page.seek(0)
            text = fill_charts(page.read().decode("utf-8"), svgs)
            atomic_write(job.out / REPORT, functools.partial(_write_text, text))
            names.append(REPORT)
    return names


def warm_up() -> None:
    """Import what drawing needs (matplotlib, pyplot, the chart modules, the report).

    Done by the renderer while its parent computes the run; the helpers it forks inherit it.
    (Drawing a small figure too, to load the fonts, saves less than it costs.)

    Examples
    --------
    >>> warm_up()  # doctest: +SKIP
    """
    import matplotlib.pyplot  # noqa: F401  (new_figure's)

    from . import report  # noqa: F401
    from .charts import export  # noqa: F401


READY = b"ready"
"""What the renderer says once it has imported what drawing needs (:meth:`Renderer.ready`)."""


def _serve(conn: Any, other_end: Any, parent: int, processes: int) -> None:
    """The renderer: import the chart modules, wait for a job, draw it, answer."""
    die_with_parent(parent)
    other_end.close()  # the parent's end: closing it there must end the wait below
    try:
        warm_up()  # while the parent computes the run
        gc.freeze()  # the modules just imported, as _start did the parent's objects
        conn.send_bytes(READY)

        try:
            job = pickle.loads(conn.recv_bytes())
        except EOFError:  # closed without a job
            return
        answer: tuple[str, Any] = ("ok", _draw(job, processes))
    except BaseException:  # noqa: BLE001  (the parent draws again and shows the real error)
        answer = ("error", traceback.format_exc())
    with contextlib.suppress(OSError):
        conn.send_bytes(pickle.dumps(answer))


class Renderer:
    """A renderer process forked now, waiting for one :class:`DrawJob` (:func:`early_renderer`).

    Parameters
    ----------
    processes : int
        Processes drawing the job: the renderer and ``processes - 1`` helpers it forks.
    """

    def __init__(self, processes: int) -> None:
        ctx = _fork_context()
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child, self._conn, os.getpid(), processes))
        _start(self._process)
        child.close()
        self.error: str | None = None
        self._ready = False
        self._sender: threading.Thread | None = None
        self._send_error: str | None = None

    def ready(self) -> bool:
        """Whether the renderer has imported what drawing needs (and waits for its job).

        A job may be handed to it before (:meth:`start`): it takes it once ready.
        """
        if not self._ready and self.error is None:
            with contextlib.suppress(OSError, EOFError):
                if self._conn.poll():
                    message = self._conn.recv_bytes()
                    self._ready = message == READY
                    if not self._ready:  # its imports failed: keep why (finish() says so)
                        self.error = str(_unpickled(message)[1])
        return self._ready

    def start(self, job: DrawJob) -> None:
        """Hand the renderer ``job`` and return at once (:meth:`finish` waits for it).

        The job is sent by a thread, so that this process goes on (``forecast run`` writes its
        tables) while a renderer still importing takes it only once ready: the pipe holds
        less than a job (about 0.5 MB for the bundled run).
        """
        if self.error is not None:  # it failed before: finish() says why, the caller draws
            return
        try:
            data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a result pickle cannot write
            self.error = repr(exc)
            return
        self._sender = threading.Thread(target=self._send, args=(data,), daemon=True)
        self._sender.start()

    def _send(self, data: bytes) -> None:
        try:
            self._conn.send_bytes(data)
        except Exception as exc:  # the renderer died (its error, if any, is read by finish)
            self._send_error = repr(exc)

    def _sent(self) -> None:
        """Wait for the thread sending the job, if any."""
        if self._sender is not None:
            self._sender.join()
            self._sender = None

    def finish(self) -> list[str] | None:
        """Wait for the job; return the file names written, or None if the renderer failed.

        On failure :attr:`error` holds the renderer's traceback; the caller draws the job itself.
        """
        if self.error is None:
            try:
                answer = self._conn.recv_bytes()
                if answer == READY:  # not yet read by ready()
                    answer = self._conn.recv_bytes()
                status, value = pickle.loads(answer)
            except (OSError, EOFError, pickle.PickleError) as exc:  # the renderer died
                status, value = "error", self._send_error or repr(exc)
            self._sent()  # it answered: it read the job, or died
            if status != "ok":
                self.error = str(value)
        self.close()
        return None if self.error is not None else list(value)

    def draw(self, job: DrawJob) -> list[str] | None:
        """:meth:`start` then :meth:`finish`."""
        self.start(job)
        return self.finish()

    def close(self) -> None:
        """End the renderer (at once if it has no job) and wait for it."""
        if self._sender is not None and self._sender.is_alive():
            self._process.kill()  # its job not read and its answer not awaited (no finish())
        self._sent()
        self._conn.close()
        self._process.join()

    def stop(self) -> None:
        """Kill the renderer now (its helpers die with it) and wait for it: nothing more is written."""
        self._process.kill()
        self.close()


def _unpickled(message: bytes) -> tuple[str, object]:
    """A ``(status, value)`` message of the renderer; ``("error", why)`` if it is not one."""
    try:
        return pickle.loads(message)
    except Exception as exc:
        return "error", repr(exc)


@contextlib.contextmanager
def early_renderer(processes: int) -> Iterator[Renderer | None]:
    """Within the block, a :class:`Renderer` forked at its start (None when not worth it).

    None for ``processes`` < 2 (e.g. inside Jupyter, whose threads make forking unsafe) or where
    ``fork`` is unavailable or fails. On leaving, the renderer is ended and waited for; leaving
    with an exception kills it first (:meth:`Renderer.stop`), so that it writes nothing more into
    a folder the caller may be removing.

    Examples
    --------
    >>> with early_renderer(1) as renderer:
    ...     print(renderer)
    None
    """
    renderer = None
    if processes >= 2 and "fork" in multiprocessing.get_all_start_methods():
        with contextlib.suppress(OSError):
            renderer = Renderer(processes)
    try:
        yield renderer
    except BaseException:
        if renderer is not None:
            renderer.stop()
        raise
    if renderer is not None:
        renderer.close()
