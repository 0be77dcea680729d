"""Numbers and dates as the charts, the report and the terminal print them (plain text).

>>> pct(0.4663), signed(-0.04, 1), format_ratio(0.53), points(0.221)
('46.6%', '0.0', '×1.7', '22 points')

Probabilities are written in percent (:func:`pct`, :func:`pct_range`) and moves of a
probability in percentage points (:func:`points`, :func:`pp` for the number alone) in every
human-facing output; CSV files keep fractions. The display
names of the outcome and the hypotheses (their ``label:`` in priors.yaml, else their name)
come from :func:`display_names`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .inputs.text import without_controls
from .result_schema import TRAJECTORY, dataset

__all__ = [
    "LABEL_CHARS",
    "DisplayNames",
    "as_of",
    "digits_for",
    "display_names",
    "evidence_dates",
    "format_day",
    "format_ratio",
    "others_label",
    "pct",
    "pct_range",
    "points",
    "pp",
    "shorten",
    "signed",
]

LABEL_CHARS = 48
"""Longer ids and names are cut to this many characters (with an ellipsis) in the charts."""


def shorten(text: object, limit: int = LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters in the middle, the cut marked with an ellipsis.

    The start and the end stay (names that differ only at their end stay apart).
    """
    text = str(text)
    if len(text) <= limit:
        return without_controls(text)
    tail = (limit - 1) // 3
    return without_controls(text[: limit - 1 - tail] + "…" + text[len(text) - tail :])


def format_ratio(log_ratio: float) -> str:
    """Return a ratio written from its natural log, readable at any size.

    Never exponentiates a large number: the decimal exponent is taken from the log.

    Parameters
    ----------
    log_ratio : float
        ``log`` of the ratio (natural log); ``inf`` for a ratio without bound (an item
        that rules a hypothesis out).

    Returns
    -------
    str
        ``"×1.7"`` (ratios from 1 to 9999.9 with one decimal, from 0.1 to 1 with two),
        ``"×2.3e+12"`` and
        ``"×4.0e-05"`` beyond, ``">1e300"`` and ``"<1e-300"`` past the documented range,
        ``"×∞"`` and ``"×0"`` for infinite logs.

    Examples
    --------
    >>> format_ratio(0.53), format_ratio(28.5), format_ratio(2000.0)
    ('×1.7', '×2.4e+12', '>1e300')
    """
    x = float(log_ratio)
    if math.isnan(x):
        return "×?"
    if math.isinf(x):
        return "×∞" if x > 0 else "×0"
    decimal = x / math.log(10)
    if decimal > 300:
        return ">1e300"
    if decimal < -300:
        return "<1e-300"
    if 0 <= decimal < 4 and round(math.exp(x), 1) < 10_000:
        return f"×{math.exp(x):.1f}"
    if -1 <= decimal < 0 and round(math.exp(x), 2) >= 0.1:
        return f"×{math.exp(x):.2f}"
    exponent = math.floor(decimal)
    mantissa = 10 ** (decimal - exponent)
    if round(mantissa, 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"×{mantissa:.1f}e{exponent:+03d}"


def signed(x: float, digits: int) -> str:
    """``+1.4``, ``-0.3``, or ``0.0`` when it rounds to zero (never ``-0.0``)."""
    text = f"{x:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def pct(
    p: float, digits: int = 1, *, width: int = 0, scale: float = 100, missing: str | None = None
) -> str:
    """Return a probability in percent: ``pct(0.4663)`` is ``"46.6%"``.

    Parameters
    ----------
    p : float
        The probability, a fraction (or already in percent with ``scale=1``).
    digits : int
        Decimals shown.
    width : int
        The number padded on the left to this many characters (the ``%`` comes after).
    scale : float
        What ``p`` is multiplied by: 100 for a fraction, 1 for a number already in percent
        (a chart's axis in percent).
    missing : str, optional
        What a NaN is written as (by default ``nan%``), e.g. ``""`` for a table's empty cell.

    Examples
    --------
    >>> pct(0.4663), pct(0.05, 0), pct(0.05, 1, width=5), pct(37.5, 0, scale=1)
    ('46.6%', '5%', '  5.0%', '38%')
    >>> pct(float("nan"), missing="")
    ''
    """
    if missing is not None and p != p:  # NaN
        return missing
    return f"{scale * p:{width}.{digits}f}%"


def pct_range(
    low: float, high: float, digits: int = 0, *, sep: str = "–", width: int = 0, scale: float = 100
) -> str:
    """Return a range of probabilities in percent, one ``%`` at the end: ``"12–30%"``.

    ``digits``, ``width`` and ``scale`` as in :func:`pct`, for each end; ``sep`` between them.

    Examples
    --------
    >>> pct_range(0.123, 0.301), pct_range(0.05, 0.25, 1, sep="-", width=4)
    ('12–30%', ' 5.0-25.0%')
    """
    ends = (f"{scale * v:{width}.{digits}f}" for v in (low, high))
    return sep.join(ends) + "%"


def pp(
    move: float, digits: int = 1, *, sign: bool = False, plus_zero: bool = False, scale: float = 100
) -> str:
    """Return a move of a probability in percentage points, the number alone: ``"+3.0"``.

    :func:`points` adds the word; this is for a table cell or a unit of the caller's
    (``"pp"``, ``"pts"``).

    Parameters
    ----------
    move, digits : float, int
        As in :func:`points`: the move as a fraction, the decimals shown.
    sign : bool
        Always write the sign (``+3.0``, ``-0.0`` for a small fall).
    plus_zero : bool
        With ``sign``: a move that rounds to zero is ``+0.0``, never ``-0.0``.
    scale : float
        What ``move`` is multiplied by: 100 for a fraction, 1 for a move already in points.

    Examples
    --------
    >>> pp(0.221), pp(-0.0004, sign=True), pp(-0.0004, sign=True, plus_zero=True)
    ('22.1', '-0.0', '+0.0')
    """
    text = f"{scale * move:{'+' if sign else ''}.{digits}f}"
    if plus_zero and text.startswith("-") and float(text) == 0:
        text = "+" + text[1:]
    return text


def digits_for(*moves: float) -> int:
    """Decimals that show the largest of ``moves`` (fractions) in points: one, up to four.

    One decimal, or as many as a small move needs to show (0.004 points, not 0.0).

    Examples
    --------
    >>> digits_for(0.03, -0.01), digits_for(0.00004), digits_for(0.0)
    (1, 3, 4)
    """
    largest = max(abs(100 * float(m)) for m in moves)
    return max(1, min(4, int(-np.floor(np.log10(max(largest, 1e-12))))))


def points(move: float, digits: int = 0, *, sign: bool = False) -> str:
    """Return a move of a probability in percentage points.

    Parameters
    ----------
    move : float
        The move as a fraction (0.221 is 22.1 percentage points).
    digits : int
        Decimals shown.
    sign : bool
        Write ``+`` before a rise (a fall always has its ``-``; a move that rounds to zero
        has no sign).

    Returns
    -------
    str
        ``"22 points"``, ``"1 point"``, ``"+3.0 points"``.

    Examples
    --------
    >>> points(0.221), points(-0.0301, 1, sign=True), points(0.01)
    ('22 points', '-3.0 points', '1 point')
    """
    value = 100 * float(move)
    text = signed(value, digits) if sign else f"{value:.{digits}f}"
    if not sign and float(text) == 0:
        text = text.lstrip("-")
    return f"{text} point{'' if abs(float(text)) == 1 else 's'}"


@dataclass(frozen=True)
class DisplayNames:
    """How the outcome and the hypotheses are named to people.

    Their ``label:`` in priors.yaml, else their name; names stay in CSV columns and file names.
    """

    outcome: str
    hypotheses: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def hypothesis(self, name: object) -> str:
        """The label of hypothesis ``name`` (its name when it has none)."""
        return self.hypotheses.get(str(name), str(name))

    def probability(self) -> str:
        """``"P(Full-scale invasion)"``: the outcome's probability, as text."""
        return f"P({self.outcome})"


def display_names(source: Any) -> DisplayNames:
    """Return the display names of a result or a scenario.

    Parameters
    ----------
    source : xarray.DataTree, Scenario or dict
        A result (read from its ``scenario_json`` attribute), a
        :class:`forecast.Scenario`, or the mapping of priors.yaml.

    Returns
    -------
    DisplayNames
        The outcome's ``outcome_label`` (else its name) and each hypothesis's ``label``
        (else its name).

    Examples
    --------
    >>> display_names({"outcome": "x", "outcome_label": "X happens",
    ...                "hypotheses": {"a": {"label": "A"}, "b": {}}}).hypothesis("b")
    'b'
    """
    if isinstance(source, xr.DataTree):
        return _names_of_json(str(source.attrs.get("scenario_json", "{}")))
    priors = getattr(source, "priors", None)
    if priors is not None:  # a Scenario
        source = priors.model_dump(mode="json", exclude_none=True)
    return _names_of_priors(source)


@functools.lru_cache(maxsize=8)
def _names_of_json(text: str) -> DisplayNames:
    data = json.loads(text)
    return _names_of_priors(data.get("priors", {}) if isinstance(data, dict) else {})


def _names_of_priors(priors: Any) -> DisplayNames:
    priors = priors if isinstance(priors, dict) else {}
    outcome = str(priors.get("outcome_label") or priors.get("outcome") or "the outcome")
    hyps = priors.get("hypotheses") or {}
    labels = {
        str(name): str(spec.get("label") or name)
        for name, spec in hyps.items()
        if isinstance(spec, dict)
    }
    return DisplayNames(outcome, MappingProxyType(labels))


def format_day(ts: pd.Timestamp, *, year: bool = True) -> str:
    """Return a date as "16 Feb 2022" (or "16 Feb" without the year)."""
    return f"{ts.day} {ts:%b %Y}" if year else f"{ts.day} {ts:%b}"


def evidence_dates(result: xr.DataTree) -> pd.DatetimeIndex:
    """Date of every step (NaT for the prior)."""
    return pd.DatetimeIndex(pd.to_datetime(dataset(result, TRAJECTORY)["date"].values))


def as_of(result: xr.DataTree, step: int | None = None) -> str:
    """'as of 16 Feb 2022' (the latest evidence date up to ``step``), or 'prior only'.

    Without ``step``: the result's as-of day (attribute ``as_of``) when it has one.
    """
    if step is None and str(result.attrs.get("as_of", "") or ""):
        day = dt.date.fromisoformat(str(result.attrs["as_of"]))  # years 0001-9999
        return f"as of {day.day} {day:%b %Y}"
    dates = evidence_dates(result)
    if step is not None:
        dates = dates[: step + 1]
    seen = dates[~dates.isna()]
    return f"as of {format_day(seen.max())}" if len(seen) else "prior only, before any evidence"


def others_label(count: int) -> str:
    """Return the label of the row that stands for ``count`` items not shown.

    For example "+ 1,975 other items".
    """
    return f"+ {count:,} other item{'s' if count != 1 else ''}"
