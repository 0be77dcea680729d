"""A saved ``posterior.nc`` is untrusted input: its structure is checked before any data is read.

A netCDF-4 file is an HDF5 file, and HDF5 lets a variable take its bytes from elsewhere
(external storage, virtual datasets, external links) or from a filter plugin, and lets a
6 KB file declare a variable of gigabytes. :func:`check_result_file` walks the file with h5py's
low-level API, reading only the structure and a few small attributes, and refuses anything a
result of :func:`forecast.run` does not hold: exit 2, ``not a forecast result: ...``. Only then
does :func:`forecast.results.load_result` let xarray read the data, and
:func:`check_result_values` checks shapes and values against the scenario the file declares.

>>> check_result_file("out/posterior.nc")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError
from .result_schema import (
    ATTRS,
    EVIDENCE,
    POSTERIOR,
    PREVIOUS,
    REQUIRED_ATTRS,
    REQUIRED_NODE_ATTRS,
    REQUIRED_NODES,
    TRAJECTORY,
    VARIABLES,
    WATCH,
    WATCH_COLUMNS,
    dataset,
    has_node,
    scenario_json,
)

if TYPE_CHECKING:
    import xarray as xr

    from .scenario import Scenario
    from .view import ResultView

__all__ = [
    "MAX_DATA_BYTES",
    "MAX_RESULT_BYTES",
    "check_result_file",
    "check_result_attrs",
    "check_result_values",
    "not_a_result",
    "read_view",
]

MAX_RESULT_BYTES = 2**31
"""Largest ``posterior.nc`` read (bytes)."""

MAX_DATA_BYTES = 2**30
"""Largest sum of the declared sizes of a result's variables (bytes): a 10,000-item run with
4,000 draws declares about 170 MB."""

MAX_DATA_RATIO = 1000
"""Above 64 MiB, the declared data may not exceed this multiple of the file's size (a small
file declaring gigabytes holds unwritten chunks: reading them would allocate it all)."""

MAX_ATTR_BYTES = 64 * 2**20
"""Largest attribute read (bytes): ``scenario_json`` of a 10,000-item scenario is a few MB."""

MAX_STEPS = 1_000_001
"""Largest number of steps of a kept earlier trajectory (its scenario is not in the file)."""

MAX_CHAINS = 64
MAX_INDICATORS = 100_000

ALLOWED_FILTERS = {1, 2, 3}  # deflate, shuffle, fletcher32: built into HDF5, no plugin loaded


def check_scenario_fits(scenario: Scenario, where: str) -> None:
    """Refuse (InputError) a scenario whose text a result could not hold.

    ``forecast run`` stores the scenario in its result; a loaded result's attribute may hold
    at most :data:`MAX_ATTR_BYTES`, so what ``run`` accepts it also reads back.

    Examples
    --------
    >>> check_scenario_fits(load_scenario(), "evidence")  # doctest: +SKIP
    """
    size = len(scenario_json(scenario).encode("utf-8"))
    if size > MAX_ATTR_BYTES:
        raise InputError(
            f"{where}: the scenario's text takes {size / 2**20:.1f} MiB; a result holds at most "
            f"{MAX_ATTR_BYTES / 2**20:.0f} MiB of it (what forecast run writes it must read "
            "back): shorten quotes and notes, or split the evidence into several questions"
        )


def not_a_result(path: str | Path, why: str) -> InputError:
    """The error for a file that is not a forecast result (``why`` cut to 300 characters)."""
    why = why if len(why) <= 300 else why[:300] + "..."
    return InputError(f"{path} is not a forecast result: {why}")


def _attr_bytes(obj, name: str) -> int:
    import h5py

    attr = h5py.h5a.open(obj.id, name.encode())
    try:
        return int(attr.get_storage_size())
    finally:
        attr.close()


def _text_attr(obj, name: str, path) -> str:
    if name not in obj.attrs:
        raise not_a_result(path, f"attribute {name!r} missing")
    if _attr_bytes(obj, name) > MAX_ATTR_BYTES:
        raise not_a_result(path, f"attribute {name!r} larger than {MAX_ATTR_BYTES} bytes")
    value = obj.attrs[name]
    if isinstance(value, np.ndarray) and value.shape == (1,):
        value = value[0]  # netCDF4 writes non-ASCII text as a one-element UTF-8 string array
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise not_a_result(path, f"attribute {name!r} is not text")
    return value


def _dim_sizes(root, path) -> tuple[dict[str, int], str, Scenario]:
    """The dimension sizes the file's own scenario declares (read from a bounded attribute).

    Also the scenario's text and the scenario (validated once, here).
    """
    text = _text_attr(root, "scenario_json", path)
    try:
        data = json.loads(text)
        n_items = len(data["evidence"])
        n_hyp = len(data["priors"]["hypotheses"])
    except (ValueError, KeyError, TypeError) as exc:
        raise not_a_result(path, f"attribute 'scenario_json' is not a scenario ({exc})") from None
    scenario, time_sizes = _time_sizes(root, data, path)
    draws = root.attrs.get("draws", 0)
    try:
        draws = int(np.asarray(draws).reshape(-1)[0])
    except (ValueError, TypeError, IndexError):
        raise not_a_result(path, "attribute 'draws' is not a number") from None
    return {"step": n_items + 1, "evidence": n_items, "hypothesis": n_hyp, "draw": draws,
            **time_sizes}, text, scenario  # fmt: skip


def _time_sizes(root, data, path) -> tuple[Scenario, dict[str, int]]:
    """The scenario, and the rows, days and by-date days it and the ``as_of`` attribute imply."""
    from .asof import result_sizes
    from .scenario import Scenario, ScenarioError

    as_of = _text_attr(root, "as_of", path) if "as_of" in root.attrs else ""
    try:
        scenario = Scenario.from_dict(data, name="result")
        return scenario, result_sizes(scenario, as_of)
    except (ScenarioError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise not_a_result(path, f"its scenario or as-of day does not validate: {exc}") from None


def _check_dtype(ds, where: str, path) -> int:
    """Bytes per element of an allowed dataset type (numbers, booleans or UTF-8/ASCII text)."""
    import h5py

    dt = ds.dtype
    if h5py.check_string_dtype(dt) is not None:
        return 16 if h5py.check_vlen_dtype(dt) is not None or dt.kind == "O" else dt.itemsize
    if dt.kind in "biuf" and dt.itemsize <= 8 and dt.fields is None:
        return dt.itemsize
    if dt.kind == "S":
        return dt.itemsize
    raise not_a_result(path, f"{where}: unexpected data type {dt}")


def _check_dataset(ds, where: str, dims: tuple[str, ...], sizes: dict[str, int], path) -> int:
    import h5py

    plist = ds.id.get_create_plist()
    layout = plist.get_layout()
    if layout not in (h5py.h5d.COMPACT, h5py.h5d.CONTIGUOUS, h5py.h5d.CHUNKED):
        raise not_a_result(path, f"{where}: virtual dataset (data from other files)")
    if plist.get_external_count():
        raise not_a_result(path, f"{where}: external storage (data from other files)")
    for k in range(plist.get_nfilters()):
        code = plist.get_filter(k)[0]
        if code not in ALLOWED_FILTERS:
            raise not_a_result(path, f"{where}: unexpected filter {code}")
    if len(ds.shape) != len(dims):
        raise not_a_result(path, f"{where}: {len(ds.shape)} dimensions, expected {len(dims)}")
    for dim, n in zip(dims, ds.shape, strict=True):
        if dim == "chain":
            ok = 1 <= n <= MAX_CHAINS
        elif dim == "step*":
            ok = 1 <= n <= MAX_STEPS
        elif dim == "indicator":
            ok = 0 <= n <= MAX_INDICATORS
        elif dim == "draw":  # NUTS: draws per chain, at least 100
            ok = 1 <= n <= max(sizes["draw"], 100)
        else:
            ok = n == sizes[dim]
        if not ok:
            raise not_a_result(
                path,
                f"{where}: dimension {dim.rstrip('*')} of size {n} (the scenario implies "
                f"{sizes.get(dim.rstrip('*'), 'less')})",
            )
    return int(np.prod(ds.shape, dtype=np.int64)) * _check_dtype(ds, where, path)


def _check_attrs(obj, where: str, path) -> None:
    for name in obj.attrs:
        if _attr_bytes(obj, name) > MAX_ATTR_BYTES:
            raise not_a_result(path, f"{where}: attribute {name!r} larger than {MAX_ATTR_BYTES}")


def _members(group, prefix: str, path):
    """``(name, object)`` for every member of ``group``, refusing soft and external links."""
    import h5py

    for name in group:
        where = f"{prefix}/{name}"
        link = group.get(name, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            raise not_a_result(path, f"{where}: external link to another file")
        if not isinstance(link, h5py.HardLink):
            raise not_a_result(path, f"{where}: soft link")
        yield name, where, group[name]


def check_result_file(path: str | Path) -> None:
    """Check the structure of a saved result before anything reads its data.

    Refuses (:class:`~forecast.errors.InputError`, ``"<path> is not a forecast result: ..."``) a
    file that is not a regular file, larger than :data:`MAX_RESULT_BYTES`, not HDF5/netCDF-4;
    external links, soft links, groups or variables a result does not have, virtual datasets,
    external storage, filters other than deflate/shuffle/fletcher32, data types other than
    numbers and text, and dimensions other than those the file's own scenario implies.

    Examples
    --------
    >>> check_result_file("out/posterior.nc")  # doctest: +SKIP
    """
    _checked_file(path)


def _checked_file(path: str | Path) -> tuple[str, Scenario]:
    """:func:`check_result_file`; returns the file's scenario text and its scenario."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise not_a_result(path, "not a regular file")
    size = path.stat().st_size
    if size > MAX_RESULT_BYTES:
        raise not_a_result(path, f"{size} bytes, more than {MAX_RESULT_BYTES}")
    with path.open("rb") as fh:
        if fh.read(8) != b"\x89HDF\r\n\x1a\n":
            raise not_a_result(path, "not a netCDF-4 (HDF5) file")
    try:
        root = h5py.File(path, "r")
    except OSError as exc:
        raise not_a_result(path, f"unreadable HDF5 file ({exc})") from None
    with root:
        for name in REQUIRED_ATTRS:
            _text_attr(root, name, path)
        sizes, text, scenario = _dim_sizes(root, path)
        if not 0 <= sizes["draw"] <= 10**8:
            raise not_a_result(path, f"attribute 'draws' out of range: {sizes['draw']}")
        _check_attrs(root, "/", path)
        total = 0
        seen = set()
        for name, where, group in _members(root, "", path):  # links checked before following
            if name not in VARIABLES or not isinstance(group, h5py.Group):
                raise not_a_result(path, f"unexpected {where}")
            _check_attrs(group, where, path)
            seen.add(name)
            variables = VARIABLES[name]
            for var, vwhere, ds in _members(group, where, path):
                dims = variables.get(var, variables.get("*"))
                if dims is None or not isinstance(ds, h5py.Dataset):
                    raise not_a_result(path, f"unexpected {vwhere}")
                _check_attrs(ds, vwhere, path)
                total += _check_dataset(ds, vwhere, dims, sizes, path)
        missing = [g for g in REQUIRED_NODES if g not in seen]
        if missing:
            raise not_a_result(path, f"group /{missing[0]} missing")
        if total > MAX_DATA_BYTES or (total > 2**26 and total > MAX_DATA_RATIO * size):
            raise not_a_result(path, f"declares {total} bytes of data in a file of {size}")
    return text, scenario


def _finite_in(values, lo: float, hi: float) -> bool:
    v = np.asarray(values, dtype=float)
    return bool(np.all(np.isfinite(v)) and np.all((v >= lo) & (v <= hi)))


MAY_BE_MINUS_INFINITY = frozenset({"log_likelihood"})
"""Variables where -inf is a number the run writes: the log of a likelihood of 0."""


def _check_finite(result: xr.DataTree, path: str | Path) -> None:
    """Refuse NaN or infinity in any number of the result, naming the node and variable.

    A result ``forecast run`` writes holds none; a crafted one would reach the report and
    ``watch`` as "nan%" (or fail inside them).
    """
    for node in result.subtree:
        for name, values in node.dataset.variables.items():
            v = values.values
            if name in MAY_BE_MINUS_INFINITY:  # a likelihood of 0 (MODEL.md): log 0 = -inf
                v = np.where(np.isneginf(v), 0.0, v)
            if values.dtype.kind in "fc" and not np.all(np.isfinite(v)):
                where = f"{node.path.rstrip('/')}/{name}".lstrip("/")
                raise not_a_result(path, f"{where} holds NaN or infinite values")


def read_view(path: str | Path) -> ResultView:
    """Read a saved ``posterior.nc`` (fully into memory, the file is closed) as a view.

    The one place a saved result is read: its structure is checked before any data is read
    (:func:`check_result_file`, which validates the stored scenario), its values after
    (:func:`check_result_values`, against that same scenario, not validated again). The view
    hands the scenario, decoded once, to every consumer (:mod:`forecast.view`).

    Raises
    ------
    forecast.errors.InputError
        ``"<path> is not a forecast result: ..."`` for anything a result does not hold.

    Examples
    --------
    >>> read_view("out/posterior.nc").scenario.outcome  # doctest: +SKIP
    'invasion'
    """
    import xarray as xr

    from .view import ResultView, decode, remember

    text, scenario = _checked_file(path)
    try:
        # dates decoded in seconds: any year 0001-9999 (nanoseconds hold only 1678-2262)
        times = xr.coders.CFDatetimeCoder(time_unit="s")
        with xr.open_datatree(path, engine="netcdf4", decode_times=times) as tree:
            result = tree.load().copy()
    except Exception as exc:  # noqa: BLE001 - any failure to decode it is a bad file
        raise not_a_result(path, f"{type(exc).__name__}: {exc}") from None
    stored = result.attrs.get("scenario_json")
    if isinstance(stored, str) and stored == text:  # the text validated above, read by xarray
        remember(stored, scenario)
    try:
        check_result_values(result, path)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise not_a_result(path, f"{type(exc).__name__}: {exc}") from None
    return ResultView(result, decode(result.attrs["scenario_json"]))


def check_result_values(result: xr.DataTree, path: str | Path = "posterior.nc") -> None:
    """Check a loaded result's shapes and values against the scenario it declares.

    Raises :class:`~forecast.errors.InputError` (``not a forecast result: ...``) when the
    scenario does not validate, the coordinates do not match it (hypotheses, evidence ids,
    steps), or a probability is outside 0..1, not finite, or the hypotheses' probabilities do
    not sum to 1.

    Examples
    --------
    >>> check_result_values(load_result("out/posterior.nc"))  # doctest: +SKIP
    """
    from .scenario import ScenarioError
    from .view import decode

    _check_finite(result, path)
    try:
        scenario = decode(result.attrs["scenario_json"], name="result")
    except (ScenarioError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise not_a_result(path, f"its scenario does not validate: {exc}") from None
    t = dataset(result, TRAJECTORY)
    from .asof import row_ids

    as_of = str(result.attrs.get("as_of", ""))
    try:
        ids = row_ids(scenario, as_of)
    except ValueError:
        raise not_a_result(path, f"attribute 'as_of' is not a date: {as_of[:40]!r}") from None
    checks = [
        (
            "trajectory/hypothesis",
            [str(h) for h in t["hypothesis"].values] == list(scenario.hypotheses),
        ),
        (
            "evidence/hypothesis",
            [str(h) for h in dataset(result, EVIDENCE)["hypothesis"].values]
            == list(scenario.hypotheses),
        ),
        ("trajectory/step", np.array_equal(np.asarray(t["step"].values), np.arange(len(ids)))),
        ("trajectory/evidence_id", [str(v) for v in t["evidence_id"].values] == ids),
        (
            "evidence/evidence",
            [str(v) for v in dataset(result, EVIDENCE)["evidence"].values] == list(scenario.ids),
        ),
        ("result attribute outcome", str(result.attrs.get("outcome")) == scenario.outcome),
        ("result attribute method", str(result.attrs.get("method", "fast")) in ("fast", "nuts")),
    ]
    for key in ("p_hypothesis", "p_outcome", "p_outcome_low", "p_outcome_high", "prior"):
        checks.append((f"trajectory/{key} (0..1)", _finite_in(t[key].values, 0, 1)))
    sums = np.asarray(t["p_hypothesis"].values, dtype=float).sum(axis=1)
    checks.append(("trajectory/p_hypothesis (sums to 1)", bool(np.allclose(sums, 1, atol=1e-6))))
    checks.append(("trajectory/mcse", _finite_in(t["mcse"].values, 0, 1)))
    draws = np.asarray(dataset(result, POSTERIOR)["p_outcome"].values, dtype=float)
    checks.append(("posterior/p_outcome (0..1)", bool(np.all((draws >= 0) & (draws <= 1)))))
    ev = dataset(result, EVIDENCE)
    checks.append(("evidence/reliability (0..1)", _finite_in(ev["reliability"].values, 0, 1)))
    checks.append(("evidence/weight (0..1)", _finite_in(ev["weight"].values, 0, 1)))
    if has_node(result, PREVIOUS):
        prev = result[PREVIOUS]
        for key in ("p_outcome", "p_outcome_low", "p_outcome_high"):
            checks.append((f"previous_trajectory/{key}", _finite_in(prev[key].values, 0, 1)))
    bad = [what for what, ok in checks if not ok]
    if bad:
        raise not_a_result(path, f"{bad[0]} does not match its scenario or is out of range")
    check_result_attrs(result, path)


def check_result_attrs(result: xr.DataTree, path: str | Path = "posterior.nc") -> None:
    """Check the attributes the package reads back against their kinds in ``ATTRS``.

    Raises :class:`~forecast.errors.InputError` (``not a forecast result: ...``) naming the
    node and attribute whose value is not of its kind (text, a whole number, a probability,
    the band's quantiles, a JSON object of text, the watch table's attributes).

    Examples
    --------
    >>> check_result_attrs(load_result("out/posterior.nc"))  # doctest: +SKIP
    """
    for node, kinds in ATTRS.items():
        if node != "/" and node not in result.children:
            continue
        attrs = result.attrs if node == "/" else result[node].attrs
        for name, kind in kinds.items():
            where = f"attribute {name!r}" if node == "/" else f"/{node} attribute {name!r}"
            if name not in attrs and name in REQUIRED_NODE_ATTRS.get(node, ()):
                raise not_a_result(path, f"{where} missing")
            if name in attrs and not _of_kind(attrs[name], kind):
                raise not_a_result(path, f"{where} is not {_KIND_WORDS[kind]}")
    if has_node(result, WATCH):
        watched = json.loads(str(result[WATCH].attrs["watch"]))
        o = str(result.attrs["outcome"])
        if watched["outcome"] != o:
            raise not_a_result(path, f"/watch is of outcome {watched['outcome']!r}, not {o!r}")
        needed = [*WATCH_COLUMNS, f"p_{o}_if_seen", f"p_{o}_if_not_seen"]
        missing = [c for c in needed if c not in dataset(result, WATCH)]
        if missing:
            raise not_a_result(path, f"/watch has no {missing[0]!r}")


_KIND_WORDS = {
    "text": "text",
    "int": "a whole number >= 0",
    "probability": "a probability (0..1)",
    "quantiles": "two quantiles [low, high] with 0 <= low < high <= 1",
    "text map": "a JSON object of text",
    "watch": "the watch table's attributes (JSON)",
}


def _of_kind(value: object, kind: str) -> bool:
    if isinstance(value, np.ndarray) and value.shape in ((), (1,)):
        value = value.reshape(-1)[0]
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind == "probability":
        return _is_probability(value)
    if not isinstance(value, str):
        return False
    if kind == "text":
        return True
    try:
        data = json.loads(value)
    except ValueError:
        return False
    if kind == "quantiles":
        return (
            isinstance(data, list)
            and len(data) == 2
            and all(_is_probability(q) for q in data)
            and data[0] < data[1]
        )
    if kind == "text map":
        return isinstance(data, dict) and all(isinstance(v, str) for v in data.values())
    return _is_watch(data)


def _is_probability(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and 0 <= x <= 1


def _is_watch(data: object) -> bool:
    """The attributes of :func:`forecast.watch`'s table, as the report and CLI read them."""
    if not isinstance(data, dict):
        return False
    best = data.get("best_set")
    texts = (data.get("observed"), best.get("indicators") if isinstance(best, dict) else None)
    return (
        isinstance(data.get("outcome"), str)
        and _is_probability(data.get("p_outcome"))
        and isinstance(data.get("rank_by"), str)
        and all(isinstance(t, list) and all(isinstance(v, str) for v in t) for t in texts)
        and isinstance(data.get("latest_evidence"), str | None)
        and isinstance(best, dict)
        and isinstance(best.get("expected_shift"), int | float)
        and isinstance(data.get("band_checks", {}), dict)
    )
