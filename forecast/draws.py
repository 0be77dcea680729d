"""The draws behind the band: ``draws.csv`` (``forecast run --draws-csv``).

One row per draw of the final step: ``P(outcome | evidence, theta)`` for that draw of the
uncertain judgements ``theta`` (docs/model.md, "The update", 2.), and each hypothesis's
probability in that draw. The band's ends are the 5th and 95th percentiles of the
``p_<outcome>`` column (``numpy.quantile``, linear interpolation); its mean is not the
headline, which is the exact expectation. Comment lines (``#``) at the top name the scenario
hash, the seed and the step, so that a reviewer can match the file to its run.

>>> frame = pd.read_csv("out/draws.csv", comment="#")  # doctest: +SKIP
>>> np.quantile(frame["p_invasion"], [0.05, 0.95])  # doctest: +SKIP
array([0.264..., 0.668...])
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .csvout import write_csv
from .labels import evidence_dates, format_day
from .result_schema import POSTERIOR, dataset

__all__ = ["DRAWS_CSV", "draws_frame", "write_draws_csv"]

DRAWS_CSV = "draws.csv"


def draws_frame(result: xr.DataTree) -> pd.DataFrame:
    """Return the final step's draws, one row per draw.

    Parameters
    ----------
    result : xarray.DataTree
        From :func:`forecast.run` or :func:`forecast.load_result`.

    Returns
    -------
    pandas.DataFrame
        Columns ``chain``, ``draw``, ``p_<outcome>`` (fraction) and ``p_<hypothesis>`` for
        each hypothesis when the result holds them (fractions summing to 1 in each row).

    Examples
    --------
    >>> draws_frame(result).shape  # doctest: +SKIP
    (4000, 6)
    """
    post = dataset(result, POSTERIOR)
    outcome = str(result.attrs["outcome"])
    p = post["p_outcome"].isel(step=-1).transpose("chain", "draw")
    chains, draws = np.meshgrid(p["chain"].values, p["draw"].values, indexing="ij")
    columns: dict[str, np.ndarray] = {
        "chain": chains.ravel(),
        "draw": draws.ravel(),
        f"p_{outcome}": p.to_numpy().astype(np.float64).ravel(),
    }
    if "final_p_hypothesis" in post:
        ph = post["final_p_hypothesis"].transpose("chain", "draw", "hypothesis")
        for j, h in enumerate(ph["hypothesis"].values):
            columns[f"p_{h}"] = ph.to_numpy()[:, :, j].astype(np.float64).ravel()
    return pd.DataFrame(columns)


def write_draws_csv(result: xr.DataTree, out: str | Path) -> Path:
    """Write ``<out>/draws.csv`` (atomically): :func:`draws_frame` under a provenance header.

    Examples
    --------
    >>> write_draws_csv(result, "out")  # doctest: +SKIP
    PosixPath('out/draws.csv')
    """
    frame = draws_frame(result)
    a = result.attrs
    dates = evidence_dates(result)
    seen = dates[~dates.isna()]
    header = {
        "scenario_hash": str(a.get("scenario_hash", "")),
        "seed": a.get("seed", ""),
        "draws": a.get("draws", ""),
        "method": str(a.get("method", "")),
        "step": len(dates) - 1,
        "as_of": format_day(seen.max()) if len(seen) else "prior only",
        "band": json.loads(str(a.get("band", "[0.05, 0.95]"))),
        "created": str(a.get("created", "")),
    }
    lines = [
        "# forecast draws of the final step: one row per draw of the uncertain judgements",
        *(f"# {k}: {v}" for k, v in header.items()),
        "# read with pandas.read_csv(path, comment='#'); probabilities are fractions",
    ]
    path = Path(out) / DRAWS_CSV
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(frame, path, header=lines, float_format="%.17g", lineterminator="\n")
