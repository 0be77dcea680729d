"""Many questions at once: ``forecast portfolio DIR... --out OUT``.

Every scenario folder is run as ``forecast run`` would run it (its outputs in ``OUT/<name>/``),
then one row per question goes into ``OUT/portfolio.csv`` and the dashboard
``OUT/portfolio.html`` (:mod:`forecast.dashboard`). The folders are run through a
:class:`concurrent.futures.Executor`: a local process pool by default (:func:`executor`), or an
existing Dask distributed cluster (``--scheduler ADDRESS``, the optional extra
``forecast[distributed]``). A broken folder never stops the others: it gets its error row.

Reproducibility: each folder's seed is derived from its output name and ``--seed``
(:func:`folder_seed`), and every folder's run is stamped with one time, the portfolio's start
(or ``SOURCE_DATE_EPOCH`` when set, :mod:`forecast.clock`), so a local and a cluster run of the
same folders into an ``OUT`` of the same name write the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import multiprocessing
import os
import re
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import clock
from .errors import InputError
from .scenario import printable

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = [
    "COLUMNS",
    "FolderJob",
    "FolderResult",
    "Portfolio",
    "default_workers",
    "executor",
    "folder_seed",
    "output_names",
    "own_compiledir",
    "portfolio",
    "run_job",
    "run_jobs",
    "score_in_parallel",
]

COLUMNS = (
    "scenario", "question", "outcome", "as_of", "p", "p_low", "p_high", "change", "last_item",
    "top_driver", "lapsed_indicators", "deadline", "status",
)  # fmt: skip
"""The columns of ``portfolio.csv``, in order."""

OK = "ok"
RESERVED = ("portfolio.csv", "portfolio.html")  # names in OUT that no folder may take
NAME_LENGTH = 80
SPARK_POINTS = 60  # points kept of each trajectory for the dashboard's sparkline
MESSAGE_LENGTH = 400  # characters of a failed folder's message kept in its row
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONNECT_TIMEOUT = 10  # seconds to reach a Dask scheduler
MAX_WORKERS = 1024


@dataclass(frozen=True)
class FolderJob:
    """One folder to run: what a worker needs (plain values, picklable).

    Attributes
    ----------
    folder : str
        The scenario folder (absolute), holding ``priors.yaml`` and ``evidence/``.
    out : str
        The portfolio's output folder ``OUT`` (absolute); the run writes ``OUT/<name>/``.
    name : str
        The folder's output name (:func:`output_names`).
    seed : int
        Its seed (:func:`folder_seed`).
    charts : bool
        Whether the run draws its charts and ``report.html`` (``forecast run`` without
        ``--no-charts``).
    epoch : int
        The time stamped into its results, seconds since 1970 (``SOURCE_DATE_EPOCH``).
    as_of : str or None
        The as-of day ``YYYY-MM-DD`` (``forecast run --as-of``); None: each folder's default.
    """

    folder: str
    out: str
    name: str
    seed: int
    charts: bool
    epoch: int
    as_of: str | None = None


@dataclass(frozen=True)
class FolderResult:
    """What a worker sends back for one folder: its ``portfolio.csv`` row and trajectory.

    Attributes
    ----------
    row : dict
        The row, keyed by :data:`COLUMNS`; ``status`` is ``ok`` or the error message.
    trajectory : tuple of float
        P(outcome) after each step (at most :data:`SPARK_POINTS`, evenly spaced, the last kept);
        empty for a failed folder.
    internal : bool
        True when the failure is a defect (an internal error), not bad input.
    """

    row: dict[str, Any]
    trajectory: tuple[float, ...] = ()
    internal: bool = False

    @property
    def ok(self) -> bool:
        """Whether the folder ran."""
        return self.row["status"] == OK


@dataclass
class Portfolio:
    """The outcome of :func:`portfolio`: every folder's result, in the order given.

    Attributes
    ----------
    results : list of FolderResult
    table : pandas.DataFrame
        ``portfolio.csv`` as written.
    written : list of Path
        The portfolio's own files (``portfolio.csv``, ``portfolio.html``).
    repeats : list of str
        Folders given again (the same real path), run once.
    """

    results: list[FolderResult]
    table: pd.DataFrame
    written: list[Path] = field(default_factory=list)
    repeats: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[FolderResult]:
        """The folders that did not run."""
        return [r for r in self.results if not r.ok]


def folder_seed(name: str, seed: int = 0) -> int:
    """The seed of the folder whose output name is ``name``, in ``[0, 2**32)``.

    The first four bytes (big-endian) of ``sha256("<seed>:<name>")``: the same on every machine
    and worker, stable across re-runs (so the band of a re-run moves only with its inputs), and
    different between folders.

    Examples
    --------
    >>> folder_seed("ukraine") == folder_seed("ukraine")
    True
    """
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def output_names(folders: Sequence[str | Path]) -> list[str]:
    """Each folder's output name under ``OUT``: its own name, made safe and unique.

    Characters other than ``A-Z a-z 0-9 . _ -`` become ``_``, leading dots and dashes are
    dropped, names are cut to 80 characters; a name already taken (case-insensitively, or one of
    ``portfolio.csv``/``portfolio.html``) gets ``-2``, ``-3``, ... in the order given.

    Examples
    --------
    >>> output_names(["a/ukraine", "b/ukraine", "taiwan 2027"])
    ['ukraine', 'ukraine-2', 'taiwan_2027']
    """
    taken = {n.lower() for n in RESERVED}
    names = []
    for folder in folders:
        base = _UNSAFE.sub("_", Path(os.path.abspath(folder)).name)[:NAME_LENGTH]
        base = base.lstrip(".-") or "scenario"
        name, k = base, 2
        while name.lower() in taken:
            name, k = f"{base}-{k}", k + 1
        taken.add(name.lower())
        names.append(name)
    return names


# ----------------------------------------------------------------------------- the workers
def own_compiledir() -> str | None:
    """Give this process its own PyTensor compile directory, before PyTensor is imported.

    Sets ``compiledir=`` in ``PYTENSOR_FLAGS`` (replacing one given there) to
    ``<temp>/forecast-pytensor-<user>/<host>-<pid>``, so that parallel jobs never share a compile
    directory or its lock (pymc issues 7819 and 6818); processes started from this one inherit
    it. Returns the directory, or None when PyTensor is already imported here (too late: left
    as it is).
    """
    if "pytensor" in sys.modules:
        return None
    user = re.sub(r"\W", "_", os.environ.get("USER", "") or str(os.getuid()))
    host = re.sub(r"\W", "_", socket.gethostname())[:40]
    folder = Path(tempfile.gettempdir()) / f"forecast-pytensor-{user}" / f"{host}-{os.getpid()}"
    flags = [f for f in os.environ.get("PYTENSOR_FLAGS", "").split(",") if f.strip()]
    flags = [f for f in flags if not f.strip().startswith("compiledir=")]
    os.environ["PYTENSOR_FLAGS"] = ",".join([*flags, f"compiledir={folder}"])
    return str(folder)


def _init_worker() -> None:
    """A local worker process's set-up, before it imports anything numeric.

    Its own PyTensor compile directory, and one BLAS/OpenMP thread (the pool has one process a
    core) unless the user set another number.
    """
    own_compiledir()
    for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(threads, "1")


def _command(job: FolderJob) -> str:
    """The ``forecast run`` command recorded in the folder's result, as run from ``OUT``.

    It names the scenario's files and the output name, not where ``OUT`` happens to be, so the
    same folders run into two ``OUT`` folders record the same command.
    """
    folder = Path(job.folder)
    words = ["forecast", "run", "--priors", str(folder / "priors.yaml"), "--evidence"]
    words += [str(folder / "evidence"), "--out", job.name, "--seed", str(job.seed)]
    words += ["--as-of", job.as_of] if job.as_of else []
    return " ".join(words + ([] if job.charts else ["--no-charts"]))


def _failed(name: str, message: str, *, internal: bool = False) -> FolderResult:
    row = dict.fromkeys(COLUMNS, "")
    row["scenario"] = name
    row["status"] = printable(" ".join(message.split()), MESSAGE_LENGTH) or "failed"
    return FolderResult(row=row, internal=internal)


def run_job(job: FolderJob) -> FolderResult:
    """Run one folder as ``forecast run`` does and summarise it (what a worker executes).

    :func:`forecast.pipeline.run_folder` into ``OUT/<name>/`` (charts drawn in this process),
    stamped with the job's time (:func:`forecast.clock.fixed`), after giving this worker its own
    PyTensor compile directory (:func:`own_compiledir`). Never raises for a bad folder: the
    error is the row's ``status`` (an unexpected exception is marked ``internal``).

    Examples
    --------
    >>> run_job(FolderJob("/abs/ukraine", "/abs/out", "ukraine", 7, True, 0)).ok  # doctest: +SKIP
    True
    """
    own_compiledir()
    from .pipeline import run_folder
    from .scenario import ScenarioError

    folder, dest = Path(job.folder), Path(job.out) / job.name
    if not folder.is_dir():
        return _failed(job.name, f"{job.folder}: not a folder")
    before = _previous(dest / "posterior.nc")
    try:
        with clock.fixed(job.epoch):
            done = run_folder(
                folder / "priors.yaml",
                folder / "evidence",
                dest,
                seed=job.seed,
                charts=job.charts,
                processes=1,
                command=_command(job),
                evidence_named=False,  # as forecast run with its default evidence/
                as_of=job.as_of,
            )
    except ScenarioError as exc:
        n = len(exc.problems)
        return _failed(job.name, f"{n} problem{'s' * (n != 1)}: " + "; ".join(exc.lines()))
    except (InputError, FileExistsError, PermissionError) as exc:
        return _failed(job.name, str(exc))
    except Exception as exc:  # noqa: BLE001 - one folder's defect, reported in its row
        return _failed(job.name, f"internal error: {type(exc).__name__}: {exc}", internal=True)
    return summarise(job.name, done.result, before)


def _previous(path: Path) -> tuple[str, str, float] | None:
    """The question, outcome and final P(outcome) of the run kept at ``path``, if readable."""
    from .analysis import final_band
    from .results import load_result

    if not path.is_file():
        return None
    try:
        result = load_result(path)
    except InputError:
        return None  # the run refuses it and says why
    return str(result.attrs["question"]), str(result.attrs["outcome"]), final_band(result)[0]


def summarise(
    name: str, result: xr.DataTree | str | Path, before: tuple[str, str, float] | None = None
) -> FolderResult:
    """The ``portfolio.csv`` row of a run (or of the ``posterior.nc`` it saved).

    Parameters
    ----------
    name : str
        The folder's output name (column ``scenario``).
    result : xarray.DataTree, str or Path
        The run, or its ``posterior.nc``.
    before : (question, outcome, p) or None
        The previous run's question, outcome and final P(outcome): ``change`` is the new P
        minus it (a fraction) when the question and outcome are the same, empty otherwise.

    Examples
    --------
    >>> summarise("ukraine", "out/ukraine/posterior.nc").row["p"]  # doctest: +SKIP
    0.466
    """
    import xarray as xr

    from .analysis import final_band
    from .results import load_result, trajectory_frame

    if not isinstance(result, xr.DataTree):
        result = load_result(result)
    a = result.attrs
    frame = trajectory_frame(result)
    p, low, high = final_band(result)
    same = before is not None and before[:2] == (str(a["question"]), str(a["outcome"]))
    steps = frame[frame["step"] > 0]
    row = {
        "scenario": name,
        "question": str(a["question"]),
        "outcome": str(a["outcome"]),
        "as_of": str(a.get("as_of", "") or _last_date(frame)),
        "p": p,
        "p_low": low,
        "p_high": high,
        "change": p - before[2] if same and before is not None else "",
        "last_item": _last_item(result, steps),
        "top_driver": _top_driver(result),
        "lapsed_indicators": " ".join(_lapsed(result)),
        "deadline": _deadline(result),
        "status": OK,
    }
    return FolderResult(row=row, trajectory=_spark(frame[f"p_{a['outcome']}"].to_numpy()))


def _last_item(result: xr.DataTree, steps: pd.DataFrame) -> str:
    """The id of the latest step's item (not an ``(as of ...)`` or a retraction's row)."""
    from .result_schema import EVIDENCE, dataset

    ids = {str(i) for i in dataset(result, EVIDENCE)["evidence"].values}
    items = [str(i) for i in steps["evidence_id"] if str(i) in ids]
    return items[-1] if items else ""


def _last_date(frame: pd.DataFrame) -> str:
    """The default as-of day: the latest item's date (none for a prior alone)."""
    dates = [d for d in frame["date"] if d]
    return max(dates) if dates else ""


def _top_driver(result: xr.DataTree) -> str:
    """The item with the largest share of the move (|Shapley value|), if attributed."""
    from .result_schema import ATTRIBUTION, dataset, has_node

    if not has_node(result, ATTRIBUTION):
        return ""
    node = dataset(result, ATTRIBUTION)
    shapley = node["shapley"].values.astype(float)
    if not len(shapley) or not (abs(shapley) > 0).any():
        return ""
    return str(node["evidence"].values[int(abs(shapley).argmax())])


def _lapsed(result: xr.DataTree) -> list[str]:
    """Indicators whose date passed with no observation recorded.

    From the result's ``lapsed_indicators`` attribute when the run gives one, else the ``/watch``
    node: its ``status`` ``lapsed`` when it has one (as-of runs), else its overdue indicators
    (``by`` before the latest item, not recorded: the same with the default as-of day).
    """
    from .result_schema import WATCH, dataset, has_node

    given = result.attrs.get("lapsed_indicators")
    if given:
        return str(given).split()
    if not has_node(result, WATCH):
        return []
    node = dataset(result, WATCH)
    ids = [str(i) for i in node["indicator"].values]
    if "status" in node:  # as-of runs: "lapsed" (by before the as-of day, none recorded)
        return [i for i, st in zip(ids, node["status"].values, strict=True) if str(st) == "lapsed"]
    overdue = node["overdue"].values.astype(bool)
    return [i for i, late in zip(ids, overdue, strict=True) if late]


def _deadline(result: xr.DataTree) -> str:
    """The question's deadline (``deadline`` in priors.yaml), empty without one."""
    import json

    if result.attrs.get("deadline"):
        return str(result.attrs["deadline"])
    priors = json.loads(str(result.attrs["scenario_json"])).get("priors", {})
    return str(priors.get("deadline") or "")


def _spark(values: Any) -> tuple[float, ...]:
    """At most :data:`SPARK_POINTS` of ``values``, evenly spaced, the first and last kept."""
    n = len(values)
    keep: Sequence[int] = range(n)
    if n > SPARK_POINTS:
        keep = sorted({round(k * (n - 1) / (SPARK_POINTS - 1)) for k in range(SPARK_POINTS)})
    return tuple(float(values[k]) for k in keep)


# ----------------------------------------------------------------------------- executors
def default_workers() -> int:
    """The cores this process may run on (its CPU affinity; else the machine's cores), >= 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


@contextlib.contextmanager
def executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """The executor the folders run on, shut down on leaving.

    Parameters
    ----------
    workers : int or None
        Local worker processes (default: the number of cores). A ``forkserver`` pool (``spawn``
        where there is none): no worker inherits a forked copy of numba's, LLVM's or BLAS's
        threads; each sets its own PyTensor compile directory first (:func:`own_compiledir`)
        and one BLAS thread.
    scheduler : str or None
        A Dask distributed scheduler's address (``tcp://host:8786``): the work goes to its
        cluster through ``Client(address).get_executor()``; needs ``forecast[distributed]``.
        The workers must see the scenario folders and ``OUT`` at the same paths.

    Examples
    --------
    >>> with executor(workers=2) as ex:  # doctest: +SKIP
    ...     ex.submit(run_job, job).result().ok
    True
    """
    if scheduler is not None:
        with _dask_executor(scheduler) as ex:
            yield ex
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    n = workers or default_workers()
    with ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=_init_worker) as ex:
        yield ex


@contextlib.contextmanager
def _dask_executor(address: str) -> Iterator[Executor]:
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "--scheduler needs Dask distributed: pip install 'forecast[distributed]'"
        ) from None
    try:
        client = Client(address, timeout=_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise InputError(
            f"--scheduler {printable(address, 200)}: no Dask scheduler answered within "
            f"{_CONNECT_TIMEOUT} s ({printable(exc, 200)})"
        ) from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()


def run_jobs(
    ex: Executor,
    jobs: Sequence[FolderJob],
    *,
    progress: Callable[[int, int], None] | None = None,
    task: Callable[[FolderJob], FolderResult] = run_job,
) -> list[FolderResult]:
    """Run ``task`` on every job through ``ex``; results in the jobs' order.

    A job whose task raised (a worker that died, a lost connection) gets its error row, marked
    internal; the others go on. ``progress(done, total)`` is called as they finish.
    """
    futures: dict[Future, int] = {ex.submit(task, job): k for k, job in enumerate(jobs)}
    results: list[FolderResult | None] = [None] * len(jobs)
    for done, future in enumerate(as_completed(futures), start=1):
        k = futures[future]
        try:
            results[k] = future.result()
        except Exception as exc:  # noqa: BLE001 - one folder's failure, reported in its row
            message = f"internal error: {type(exc).__name__}: {exc}"
            results[k] = _failed(jobs[k].name, message, internal=True)
        if progress is not None:
            progress(done, len(jobs))
    return [r for r in results if r is not None]


# ----------------------------------------------------------------------------- the portfolio
def portfolio(
    folders: Sequence[str | Path],
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    seed: int = 0,
    charts: bool = True,
    as_of: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Portfolio:
    """Run every scenario folder and write ``OUT/portfolio.csv`` and ``OUT/portfolio.html``.

    Parameters
    ----------
    folders : sequence of str or Path
        Scenario folders, each with ``priors.yaml`` and ``evidence/`` (``indicators/`` used when
        there).
    out : str or Path
        ``OUT``: each folder's run goes into ``OUT/<name>/`` (:func:`output_names`).
    workers, scheduler
        Where the folders run (:func:`executor`).
    seed : int
        Mixed into every folder's seed (:func:`folder_seed`).
    charts : bool
        Charts and ``report.html`` for every folder (False: ``--no-charts``).
    as_of : str, optional
        Every folder as of this day, ``YYYY-MM-DD`` or ``today`` (the portfolio's start, UTC,
        for all of them); default: each folder's own (its latest item).
    progress : callable, optional
        ``progress(done, total)`` as folders finish.

    Returns
    -------
    Portfolio
        Every folder's row (failed ones with their message as ``status``), the table written.

    Examples
    --------
    >>> port = portfolio([".", "../taiwan"], "out/portfolio")  # doctest: +SKIP
    >>> port.table[["scenario", "p", "status"]]  # doctest: +SKIP
    """
    from .csvout import write_csv
    from .dashboard import write_dashboard
    from .guard import unique_folders

    if not folders:
        raise InputError("no scenario folder given")
    folders, repeats = unique_folders(folders)  # each folder once (by its real path)
    as_of = _as_of_day(as_of)  # a bad day: refused before anything is written
    from .pipeline import check_out

    out = check_out(out, dirs=folders)  # never among a scenario's files, never a link
    out.mkdir(parents=True, exist_ok=True)
    epoch = int(clock.now().timestamp())
    names = output_names(folders)
    jobs = [
        FolderJob(
            os.path.abspath(f), str(out.resolve()), n, folder_seed(n, seed), charts, epoch, as_of
        )
        for f, n in zip(folders, names, strict=True)
    ]
    with executor(workers=workers, scheduler=scheduler) as ex:
        results = run_jobs(ex, jobs, progress=progress)
    table = portfolio_table(results)
    write_csv(table, out / "portfolio.csv")
    html = write_dashboard(results, out, stamp=clock.now())
    return Portfolio(results, table, [out / "portfolio.csv", html], repeats)


def _as_of_day(text: str | None) -> str | None:
    """``--as-of`` as one ``YYYY-MM-DD`` for every folder (``today``: the portfolio's start)."""
    import datetime as dt

    if text is None:
        return None
    if text.strip().lower() == "today":
        return clock.now().date().isoformat()
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise InputError(
            f"--as-of expects YYYY-MM-DD or today, got {printable(text, 40)!r}"
        ) from None


def portfolio_table(results: Sequence[FolderResult]) -> pd.DataFrame:
    """``portfolio.csv`` as a table: one row per folder, :data:`COLUMNS`.

    Probabilities as fractions rounded to 6 decimals (``change`` too, empty without a
    comparable previous run).
    """
    import pandas as pd

    rows = []
    for r in results:
        row = dict(r.row)
        for key in ("p", "p_low", "p_high", "change"):
            if isinstance(row[key], float) and math.isfinite(row[key]):
                row[key] = round(row[key], 6)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


# ----------------------------------------------------------------------------- scoring
def _score_job(job: tuple[str, Any, str, int]) -> tuple[Any, pd.DataFrame]:
    """In a worker: score one resolved scenario and its post-mortem."""
    own_compiledir()
    from .scoring import postmortem, score_scenario

    name, scenario, file, seed = job
    scored = score_scenario(scenario, name=name, file=file)
    return scored, postmortem(scored, seed=seed)


def score_in_parallel(
    loaded: Sequence[tuple[str, Any, str]],
    *,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
) -> tuple[list[Any], list[pd.DataFrame]]:
    """Score every resolved scenario and its post-mortem on the portfolio's executor.

    The per-question work of ``forecast score`` (and of ``--recalibrate``, which fits on the
    scored questions' arrays): :func:`forecast.scoring.score_scenario` and
    :func:`forecast.scoring.postmortem` per resolved scenario, through :func:`executor`
    (``--workers``, ``--scheduler``); with a single one and no scheduler, here in this process.

    Parameters
    ----------
    loaded : sequence of (name, Scenario, priors file)
        As :func:`forecast.scoring.load_scenarios` returns them.
    seed : int
        The post-mortem's seed (Shapley sampling, where sampled).

    Returns
    -------
    (list of Scored, list of DataFrame)
        In the order of the resolved scenarios in ``loaded``. An InputError in one is raised.

    Examples
    --------
    >>> scored, posts = score_in_parallel(load_scenarios(["a", "b"]), workers=2)  # doctest: +SKIP
    """
    jobs = [(n, s, f, seed) for n, s, f in loaded if s.priors.resolution is not None]
    if len(jobs) <= 1 and scheduler is None:
        pairs = [_score_job(job) for job in jobs]
    else:
        with executor(workers=workers, scheduler=scheduler) as ex:
            pairs = list(ex.map(_score_job, jobs))
    return [p[0] for p in pairs], [p[1] for p in pairs]


# ----------------------------------------------------------------------------- command line
def _workers(text: str) -> int:
    import argparse

    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to 1,024, got {text[:40]!r}"
        )
    return int(text)


def add_executor_options(p: Any) -> None:
    """``--workers N`` or ``--scheduler ADDRESS`` on an argparse parser (portfolio, score)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_workers,
        default=None,
        help="local worker processes, 1 to 1,024 (default: the number of cores)",
    )
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on an existing Dask cluster (tcp://host:8786; pip install "
        "'forecast[distributed]'); its workers must see the folders at the same paths",
    )


def add_parser(sub: Any) -> None:
    """Add ``forecast portfolio`` to the command line's subparsers."""
    p = sub.add_parser(
        "portfolio",
        help="run many scenario folders; write portfolio.csv and the dashboard portfolio.html",
    )
    p.add_argument(
        "dirs", nargs="+", metavar="DIR", help="scenario folders (priors.yaml, evidence/)"
    )
    p.add_argument("--out", default="out", help="output folder: OUT/<name>/ per folder (out/)")
    p.add_argument("--seed", type=int, default=0, help="mixed into every folder's seed (default 0)")
    p.add_argument(
        "--no-charts", action="store_true", help="no charts and no report.html per folder"
    )
    p.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help="every folder as of this day (YYYY-MM-DD or today; default: each its latest item)",
    )
    add_executor_options(p)
    p.set_defaults(func=command)


def _progress(done: int, total: int) -> None:
    if not sys.stderr.isatty() and done < total:
        return  # a log file gets the last line only
    end = "\n" if done >= total else ""
    print(f"\rportfolio: {done}/{total} folders", end=end, file=sys.stderr, flush=True)


def command(args: Any) -> int:
    """``forecast portfolio``: 0 when every folder ran, 2 when one had bad input, 1 a defect."""
    port = portfolio(
        args.dirs,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        seed=args.seed,
        charts=not args.no_charts,
        as_of=args.as_of,
        progress=_progress,
    )
    if port.repeats:
        shown = ", ".join(printable(r, 100) for r in port.repeats[:10])
        print(f"note: each folder is run once; given again, not run again: {shown}")
    ok = len(port.results) - len(port.failed)
    print(f"{ok} of {len(port.results)} folders ran")
    for r in port.failed[:10]:
        print(f"  {printable(r.row['scenario'], 100)}: {printable(r.row['status'], 300)}")
    if len(port.failed) > 10:
        print(f"  and {len(port.failed) - 10} more (status in portfolio.csv)")
    print("wrote " + ", ".join(str(p) for p in port.written))
    if any(r.internal for r in port.failed):
        return 1
    return 2 if port.failed else 0
