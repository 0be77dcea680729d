"""Results on disk and as tables: the trajectory table, atomic saving and loading."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .analysis import final_band
from .csvout import write_csv
from .errors import InputError
from .labels import display_names, pct, pct_range, pp
from .outdir import atomic_write
from .result_schema import (
    ATTRIBUTION,
    PREVIOUS,
    TRAJECTORY,
    dataset,
    has_node,
    scenario_of,
    variable,
    with_node,
)
from .resultfile import check_result_file, check_result_values, not_a_result

__all__ = [
    "Changes",
    "changes_since",
    "input_changes",
    "keep_previous",
    "load_result",
    "same_question",
    "save_result",
    "scenario_of",
    "trajectory_frame",
    "write_attribution",
    "write_by_date",
    "write_daily",
    "write_posterior",
    "write_trajectory",
]


def trajectory_frame(result: xr.DataTree) -> pd.DataFrame:
    """The trajectory as a table, one row per step (step 0 = the prior).

    Columns: ``step, date, evidence_id, row, p_<hypothesis>..., p_<outcome>, p_<outcome>_low,
    p_<outcome>_high, mcse`` (probabilities as fractions, dates as ``YYYY-MM-DD``).

    Examples
    --------
    >>> trajectory_frame(result).iloc[-1]["p_invasion"]  # doctest: +SKIP
    0.44
    """
    t = dataset(result, TRAJECTORY)
    outcome = result.attrs["outcome"]
    days = np.datetime_as_string(t["date"].values.astype("datetime64[D]"), unit="D")
    frame = pd.DataFrame(
        {
            "step": t["step"].values,
            "date": ["" if d == "NaT" else str(d) for d in days],  # years 0001-9999
            "evidence_id": [str(v) for v in t["evidence_id"].values],
            "row": [str(v) for v in t["row"].values]
            if "row" in t
            else ["prior"] + ["item"] * (t.sizes["step"] - 1),
        }
    )
    for h in t["hypothesis"].values:
        frame[f"p_{h}"] = t["p_hypothesis"].sel(hypothesis=h).values
    frame[f"p_{outcome}"] = t["p_outcome"].values
    frame[f"p_{outcome}_low"] = t["p_outcome_low"].values
    frame[f"p_{outcome}_high"] = t["p_outcome_high"].values
    frame["mcse"] = t["mcse"].values
    return frame


def write_trajectory(result: xr.DataTree, out: str | Path) -> Path:
    """Write ``<out>/trajectory.csv`` (atomically): :func:`trajectory_frame`, 6 decimals."""
    path = Path(out) / "trajectory.csv"
    frame = trajectory_frame(result)
    write_csv(frame, path, float_format="%.6f")
    return path


def write_attribution(result: xr.DataTree, out: str | Path) -> Path | None:
    """Write ``<out>/attribution.csv`` (atomically), or nothing without an ``/attribution`` node."""
    if not has_node(result, ATTRIBUTION):
        return None
    from .attribution import attribution_frame

    path = Path(out) / "attribution.csv"
    shares = attribution_frame(result)
    write_csv(shares, path, float_format="%.8f")
    return path


def _write_time_table(result: xr.DataTree, out: str | Path, name: str) -> Path | None:
    from . import time_result

    table = getattr(time_result, f"{name}_frame")(result)
    if table is None:
        return None
    path = Path(out) / f"{name}.csv"
    return write_csv(table, path, float_format="%.6f")


def write_by_date(result: xr.DataTree, out: str | Path) -> Path | None:
    """Write ``<out>/by_date.csv`` (a question with a deadline), or nothing.

    :func:`forecast.time_result.by_date_frame`, 6 decimals.
    """
    return _write_time_table(result, out, "by_date")


def write_daily(result: xr.DataTree, out: str | Path) -> Path | None:
    """Write ``<out>/daily.csv`` (a question with ``opened``), or nothing.

    :func:`forecast.time_result.daily_frame`, 6 decimals.
    """
    return _write_time_table(result, out, "daily")


def write_posterior(result: xr.DataTree, out: str | Path) -> Path:
    """Write the whole result as ``<out>/posterior.nc`` (netCDF 4, atomically)."""
    path = Path(out) / "posterior.nc"
    atomic_write(path, lambda p: result.to_netcdf(p, engine="netcdf4"))
    return path


def save_result(result: xr.DataTree, out: str | Path) -> dict[str, Path]:
    """Write ``trajectory.csv`` and ``posterior.nc`` into ``out`` (atomically).

    Also ``attribution.csv`` when the result has an ``/attribution`` node: the tables and result of
    :data:`forecast.outputs.OUTPUTS` that ``forecast run`` writes before its charts.

    Returns the paths written, by name.
    """
    from .outputs import OUTPUTS, writer

    paths = {}
    for output in OUTPUTS:
        if output.kind in ("table", "result") and output.writer.startswith("forecast.results:"):
            path = writer(output.name)(result, out)
            if path is not None:
                paths[output.name] = path
    return paths


def load_result(path: str | Path) -> xr.DataTree:
    """Read a saved ``posterior.nc`` (fully into memory, the file is closed).

    The file is untrusted input: its structure is checked before any data is read
    (:func:`forecast.resultfile.check_result_file`), its values after
    (:func:`forecast.resultfile.check_result_values`).

    Raises
    ------
    forecast.errors.InputError
        ``"<path> is not a forecast result: ..."`` for anything a result does not hold.
    """
    check_result_file(path)
    try:
        # dates decoded in seconds: any year 0001-9999 (nanoseconds hold only 1678-2262)
        times = xr.coders.CFDatetimeCoder(time_unit="s")
        with xr.open_datatree(path, engine="netcdf4", decode_times=times) as tree:
            result = tree.load().copy()
    except Exception as exc:  # noqa: BLE001 - any failure to decode it is a bad file
        raise not_a_result(path, f"{type(exc).__name__}: {exc}") from None
    try:
        check_result_values(result, path)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise not_a_result(path, f"{type(exc).__name__}: {exc}") from None
    return result


def input_changes(
    result: xr.DataTree, current: dict[str, str] | None = None, *, of: tuple[str, str] = ("", "")
) -> list[str]:
    """The input files that differ from those the result was computed from.

    The result is untrusted: nothing it names is opened, hashed or listed. Its recorded
    hashes (attribute ``input_files``) are compared with ``current``, the hashes of the
    scenario the user named (:func:`forecast.scenario.input_hashes`, read under the folder
    rules). A recorded file is "gone" only when it belongs to that scenario (``of``: its priors
    file and evidence folder as given); other recorded names are counted, never shown.

    Parameters
    ----------
    result : xarray.DataTree
        A loaded result.
    current : dict of str to str, optional
        Path to sha256 of the scenario's files now; None (no scenario named): empty list.
    of : (str, str)
        The priors file and the evidence folder ``current`` was read from.

    Examples
    --------
    >>> input_changes(result, input_hashes("priors.yaml", "evidence"),
    ...               of=("priors.yaml", "evidence"))  # doctest: +SKIP
    ['evidence/new-item.yaml (new)']
    """
    if current is None:
        return []
    try:
        files = json.loads(str(result.attrs.get("input_files", "{}")) or "{}")
    except ValueError:
        return []
    if not isinstance(files, dict):
        return []
    recorded = {str(k): str(v) for k, v in files.items()}
    priors, evidence = of
    changed = [
        f"{name} (edited)"
        for name in current
        if recorded.get(name, current[name]) != current[name]
        and not (name == str(Path(priors)) and only_resolution_changed(Path(name), result))
    ]
    changed += [f"{name} (new)" for name in current if name not in recorded]
    ours = [
        n for n in recorded if n == str(Path(priors)) or str(Path(n).parent) == str(Path(evidence))
    ]
    changed += [f"{name} (gone)" for name in ours if name not in current]
    others = len(recorded) - len(ours)
    if others:
        changed.append(f"{others} recorded file{'s' * (others != 1)} not of this scenario")
    return changed


def _without_resolution(priors: dict) -> dict:
    return {k: v for k, v in priors.items() if k != "resolution"}


def only_resolution_changed(path: Path, result: xr.DataTree) -> bool:
    """Whether ``path`` is the priors file of ``result`` with at most its ``resolution`` changed.

    The resolution is not a prior: recording it changes none of the run's numbers, so a
    report is not stale because of it. False when the file cannot be read as priors.

    Examples
    --------
    >>> only_resolution_changed(Path("priors.yaml"), load_result("out/posterior.nc"))  # doctest: +SKIP
    True
    """
    from .scenario import Priors
    from .yamlsafe import parse_yaml

    try:
        stored = json.loads(str(result.attrs["scenario_json"]))["priors"]
        raw = parse_yaml(path.read_text(encoding="utf-8"))
        now = Priors.model_validate(raw).model_dump(mode="json", exclude_none=True)
    except Exception:  # noqa: BLE001 - anything unreadable is a change, as before
        return False
    return _without_resolution(now) == _without_resolution(stored)


def same_question(previous: xr.DataTree, current: xr.DataTree) -> bool:
    """Whether two results answer the same question.

    The same question text, outcome and hypothesis names (in any order).

    Examples
    --------
    >>> same_question(load_result("out/posterior.nc"), run(scenario))  # doctest: +SKIP
    True
    """

    def key(result: xr.DataTree) -> tuple[str, str, list[str]]:
        hyps = sorted(str(h) for h in variable(result, TRAJECTORY, "hypothesis").values)
        return str(result.attrs.get("question")), str(result.attrs.get("outcome")), hyps

    return key(previous) == key(current)


# ----------------------------------------------------------------------------- since last run


@dataclass(frozen=True)
class Changes:
    """What changed between two runs of a scenario, and what that did to the answer.

    Attributes
    ----------
    added, removed, edited : tuple of str
        Evidence ids new in the current run, gone from it, or present in both with any
        field changed (likelihoods, reliability, date, group, text).
    priors_changed : bool
        Whether ``priors.yaml`` (hypotheses, priors, groups, question) differs.
    settings : tuple of str
        Run settings that differ, as ``"seed 0 -> 1"``.
    before, after : (float, float, float)
        The final probability of the outcome and its band, ``(p, low, high)``, then and now.
    before_created : str
        When the earlier run was made (ISO 8601).
    """

    added: tuple[str, ...]
    removed: tuple[str, ...]
    edited: tuple[str, ...]
    priors_changed: bool
    settings: tuple[str, ...]
    before: tuple[float, float, float]
    after: tuple[float, float, float]
    before_created: str

    @property
    def inputs_changed(self) -> bool:
        """Whether any evidence item or the priors changed (run settings aside)."""
        return bool(self.added or self.removed or self.edited or self.priors_changed)

    def describe(self, outcome: str) -> str:
        """A few lines for the terminal or a notebook.

        Examples
        --------
        >>> print(changes_since(old, new).describe("invasion"))  # doctest: +SKIP
        Since the run of 2022-02-16T08:00:00+00:00: 1 item added (maxar-new-deployments).
        P(invasion) 42.0% (band 22.9-61.4%) -> 44.2% (band 25.3-64.3%), +2.2 points.
        """
        parts = []
        for what, ids in (("added", self.added), ("removed", self.removed)):
            if ids:
                parts.append(f"{_items(ids)} {what} ({', '.join(ids)})")
        if self.edited:
            parts.append(f"{_items(self.edited)} edited ({', '.join(self.edited)})")
        if self.priors_changed:
            parts.append("priors changed")
        parts += [f"settings changed: {', '.join(self.settings)}"] if self.settings else []
        head = f"Since the run of {self.before_created}: "
        head += "; ".join(parts) + "." if parts else "no change in the inputs or settings."
        (p0, lo0, hi0), (p1, lo1, hi1) = self.before, self.after
        move = pp(p1 - p0, sign=True, plus_zero=True)  # no "-0.0" for no move
        return (
            f"{head}\nP({outcome}) {pct(p0)} (band {pct_range(lo0, hi0, 1, sep='-')}) -> "
            f"{pct(p1)} (band {pct_range(lo1, hi1, 1, sep='-')}), {move} points."
        )


def _items(ids) -> str:
    return f"{len(ids)} item{'s' if len(ids) != 1 else ''}"


def changes_since(previous: xr.DataTree, current: xr.DataTree) -> Changes:
    """Compare two results of :func:`forecast.run` (the earlier one first).

    Examples
    --------
    >>> ch = changes_since(load_result("out/posterior.nc"), run(scenario))  # doctest: +SKIP
    >>> ch.added  # doctest: +SKIP
    ('maxar-new-deployments',)
    """
    old, new = (json.loads(r.attrs["scenario_json"]) for r in (previous, current))
    old_items = {e["id"]: e for e in old["evidence"]}
    new_items = {e["id"]: e for e in new["evidence"]}
    settings = tuple(
        f"{key} {previous.attrs.get(key)} -> {current.attrs.get(key)}"
        for key in ("method", "seed", "draws")
        if str(previous.attrs.get(key)) != str(current.attrs.get(key))
    )
    return Changes(
        added=tuple(i for i in new_items if i not in old_items),
        removed=tuple(i for i in old_items if i not in new_items),
        edited=tuple(i for i in new_items if i in old_items and new_items[i] != old_items[i]),
        priors_changed=_without_resolution(old["priors"]) != _without_resolution(new["priors"])
        or list(old["priors"]["hypotheses"]) != list(new["priors"]["hypotheses"]),  # order too
        settings=settings,
        before=final_band(previous),
        after=final_band(current),
        before_created=str(previous.attrs.get("created", "unknown")),
    )


def keep_previous(
    current: xr.DataTree, previous: xr.DataTree, changes: Changes | None = None
) -> xr.DataTree:
    """``current`` with the earlier run's trajectory beside it (node ``previous_trajectory``).

    When nothing changed (inputs, settings, package versions), the earlier run's own previous
    trajectory is kept instead, so that re-running an unchanged scenario does not lose the
    comparison. The timeline chart draws it as a dashed line. ``changes`` is
    ``changes_since(previous, current)`` if already computed.
    """
    changes = changes or changes_since(previous, current)
    same_run = not changes.inputs_changed and not changes.settings
    same_run = same_run and previous.attrs.get("versions") == current.attrs.get("versions")
    if same_run and has_node(previous, PREVIOUS):
        kept = previous[PREVIOUS].to_dataset()
    else:
        t = dataset(previous, TRAJECTORY)
        kept = t[["p_outcome", "p_outcome_low", "p_outcome_high"]]
        kept.attrs = {
            "created": str(previous.attrs.get("created", "")),
            "scenario_hash": str(previous.attrs.get("scenario_hash", "")),
            "changes": changes.describe(display_names(current).outcome),
        }
    return with_node(current, PREVIOUS, kept)
