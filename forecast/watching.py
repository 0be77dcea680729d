"""Indicators beside a run: find the folder, rank them into the result, write ``watch.csv``.

The steps :func:`forecast.pipeline.run_folder` and :func:`forecast.pipeline.watch_folder` share
(``forecast run`` ranks the indicators it finds; ``forecast watch`` ranks them alone).

Examples
--------
>>> found = find_indicators(None, "evidence", scenario)  # doctest: +SKIP
>>> result, table = watch_into(result, found)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .console import Say, format_watch, plain, quiet
from .errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from .scenario import Scenario

RankBy = Literal["shift", "info_hypotheses", "info_outcome"]

__all__ = ["RankBy", "find_indicators", "indicators_folder", "watch_into", "write_watch"]


def indicators_folder(indicators: Any, evidence: Any, priors: Any = None) -> Path:
    """Return ``indicators``, or ``indicators/`` beside the evidence folder.

    The default is refused (InputError) when it is a symbolic link leaving the scenario folder
    (:func:`forecast.guard.linked_folder`); a folder the user named is read as named.
    """
    from .guard import linked_folder

    if indicators is not None:
        return Path(indicators)
    folder = Path(evidence).parent / "indicators"
    scenario = Path(priors).parent if priors is not None else Path(evidence).parent
    why = linked_folder(folder, scenario, "indicators")
    if why is not None:
        raise InputError(f"{plain(folder)}: {why}")
    with contextlib.suppress(ValueError):  # named as the evidence files are: relative
        folder = folder.resolve().relative_to(Path.cwd().resolve())
    return folder


def find_indicators(
    indicators: Any, evidence: Any, scenario: Scenario, priors: Any = None
) -> Sequence[Any] | None:
    """Return the validated indicators of the folder ``indicators``, or None when there are none.

    The default (``indicators=None``) is ``indicators/`` beside the evidence folder, when it exists
    (:func:`indicators_folder`).
    """
    from .indicators import load_indicators

    folder = indicators_folder(indicators, evidence, priors)
    if indicators is None and not folder.is_dir():
        return None
    return load_indicators(folder, scenario)


def watch_into(
    result: xr.DataTree,
    indicators: Sequence[Any],
    *,
    rank_by: RankBy = "shift",
    k: int = 3,
    warn: Say = quiet,
) -> tuple[xr.DataTree, pd.DataFrame]:
    """Return the result with the ranked indicators (:func:`forecast.watch`), and them.

    They are kept in the node ``/watch``: the report's "What would change the assessment".
    """
    from .indicators import watch, watch_dataset
    from .result_schema import WATCH, with_node

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = watch(result, indicators, rank_by=rank_by, k=k)
    for w in caught:
        warn(f"WARNING: {w.message}")
    return with_node(result, WATCH, watch_dataset(frame)), frame


def write_watch(
    result: xr.DataTree,
    frame: pd.DataFrame,
    out: Path,
    *,
    top: int | None,
    charts: bool = True,
    say: Say = quiet,
) -> list[str]:
    """Say the ranked table and the best set, write ``<out>/watch.csv`` and the watch chart.

    The table shows ``top`` rows (None: all). Returns the names written.
    """
    from .indicators import write_watch_csv
    from .labels import display_names

    say(format_watch(frame, top, shown=display_names(result).outcome))
    path = write_watch_csv(frame, out)
    drawn = []
    if len(frame) and charts:  # matplotlib imported only then: 0.4 s of CPU (--no-charts)
        from .charts import save_watch_chart

        drawn = save_watch_chart(result, frame, out)
    return [Path(path).name, *(Path(c).name for c in drawn)]
