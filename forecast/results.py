"""Results on disk and as tables: the trajectory table, atomic saving and loading."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import xarray as xr

from .scenario import Scenario

__all__ = ["atomic_write", "load_result", "save_result", "scenario_of", "trajectory_frame"]


def trajectory_frame(result: xr.DataTree) -> pd.DataFrame:
    """The trajectory as a table, one row per step (step 0 = the prior).

    Columns: ``step, date, evidence_id, p_<hypothesis>..., p_<outcome>, p_<outcome>_low,
    p_<outcome>_high, mcse`` (probabilities as fractions, dates as ``YYYY-MM-DD``).

    Examples
    --------
    >>> trajectory_frame(result).iloc[-1]["p_invasion"]  # doctest: +SKIP
    0.44
    """
    t = result["trajectory"].dataset
    outcome = result.attrs["outcome"]
    dates = pd.to_datetime(t["date"].values)
    frame = pd.DataFrame(
        {
            "step": t["step"].values,
            "date": ["" if pd.isna(d) else d.strftime("%Y-%m-%d") for d in dates],
            "evidence_id": [str(v) for v in t["evidence_id"].values],
        }
    )
    for h in t["hypothesis"].values:
        frame[f"p_{h}"] = t["p_hypothesis"].sel(hypothesis=h).values
    frame[f"p_{outcome}"] = t["p_outcome"].values
    frame[f"p_{outcome}_low"] = t["p_outcome_low"].values
    frame[f"p_{outcome}_high"] = t["p_outcome_high"].values
    frame["mcse"] = t["mcse"].values
    return frame


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    An interrupted run never leaves a half-written ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_result(result: xr.DataTree, out: str | Path) -> dict[str, Path]:
    """Write ``trajectory.csv`` and ``posterior.nc`` into ``out`` (atomically).

    Returns the paths written, by name.
    """
    out = Path(out)
    paths = {"trajectory": out / "trajectory.csv", "posterior": out / "posterior.nc"}
    frame = trajectory_frame(result)
    atomic_write(paths["trajectory"], lambda p: frame.to_csv(p, index=False, float_format="%.6f"))
    atomic_write(paths["posterior"], lambda p: result.to_netcdf(p, engine="netcdf4"))
    return paths


def load_result(path: str | Path) -> xr.DataTree:
    """Read a saved ``posterior.nc`` (fully into memory, the file is closed)."""
    with xr.open_datatree(path, engine="netcdf4") as tree:
        return tree.load().copy()


def scenario_of(result: xr.DataTree) -> Scenario:
    """The scenario a result was computed from (stored in its attributes)."""
    import json

    return Scenario.from_dict(json.loads(result.attrs["scenario_json"]), name="posterior.nc")
