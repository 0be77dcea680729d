"""Parsers of single values in the scenario files: probabilities, likelihoods, dates, names, ids."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
)
from pydantic_core import PydanticCustomError

from .limits import ADMIRALTY, LIMITS
from .text import control, show

Interval = tuple[float, float]
"""A 90% interval ``(lo, hi)``: the 5th and 95th percentiles of an uncertain input."""

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
GRADE = re.compile(r"([A-Fa-f])\s*-?\s*([0-9])")
_PERCENT = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*%\s*")


# ----------------------------------------------------------------------------- values
def _percent(value: Any) -> str | None:
    """'write 0.8' for a value written as a percentage ('80%'), else None."""
    if isinstance(value, str):
        m = _PERCENT.fullmatch(value)
        if m:
            return f"{value.strip()} is a percentage: write {float(m.group(1)) / 100:g}"
    return None


def number(value: Any) -> float:
    """Return a number written as a number or as text; ValueError otherwise (a bool too)."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError


def _parse_value(value: Any, kind: Literal["probability", "likelihood"]) -> float | Interval:
    """Return a number or a 90% interval ``[lo, hi]`` (or ``"lo..hi"``), checked for its range."""
    what = "a probability" if kind == "probability" else "a relative likelihood"
    if kind == "probability":
        valid, inside = "between 0 and 1", "strictly between 0 and 1"
        expected = "expected a probability (0 to 1) or a 90% interval [lo, hi] with 0 < lo < hi < 1"
    else:
        valid, inside = "a finite number >= 0", "positive"
        expected = (
            "expected a relative likelihood (a number >= 0; 0: impossible under the hypothesis)"
            " or a 90% interval [lo, hi] with 0 < lo < hi"
        )
    if isinstance(value, str) and ".." in value:
        value = value.split("..", 1)
    parts = value if isinstance(value, list | tuple) else [value]
    for part in parts:
        hint = _percent(part)
        if hint:
            raise PydanticCustomError("value", f"{hint} ({what} is a fraction)")
    try:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError
            numbers = tuple(number(v) for v in value)
        else:
            numbers = (number(value),)
    except (ValueError, TypeError, OverflowError):
        raise PydanticCustomError("value", f"{expected}, got {show(value)}") from None

    def ok(x: float, point: bool) -> bool:
        """Tell whether ``x`` is in range.

        A point may be 0 (impossible) or, for a probability, 1 (certain); an interval's ends
        stay strictly inside, since its normal is on the log or logit scale.
        """
        if not math.isfinite(x):
            return False
        if kind == "probability":
            return 0.0 <= x <= 1.0 if point else 0.0 < x < 1.0
        return x >= 0.0 if point else x > 0.0

    point = len(numbers) == 1
    bad = [x for x in numbers if not ok(x, point)]
    if bad:
        hint = ""
        if kind == "probability" and 1.0 < bad[0] <= 100.0:
            hint = f"; if {bad[0]:g} is a percentage, write {bad[0] / 100:g}"
        range_ = valid if point else f"{inside} (as an interval's ends must be)"
        raise PydanticCustomError("value", f"{bad[0]!r} is not {range_}; {expected}{hint}")
    if len(numbers) == 1:
        return numbers[0]
    lo, hi = numbers
    if not lo < hi:
        raise PydanticCustomError(
            "value", f"interval [{lo!r}, {hi!r}] must have lo < hi (5th, 95th percentile)"
        )
    return (lo, hi)


Probability = Annotated[
    float | tuple[float, float], BeforeValidator(lambda v: _parse_value(v, "probability"))
]
Likelihood = Annotated[
    float | tuple[float, float], BeforeValidator(lambda v: _parse_value(v, "likelihood"))
]


def _parse_prior(value: Any) -> float:
    hint = _percent(value)
    if hint:
        raise PydanticCustomError("value", f"{hint} (a prior is a probability)")
    try:
        p = number(value)
    except (ValueError, TypeError, OverflowError):
        raise PydanticCustomError(
            "value", f"expected a probability strictly between 0 and 1, got {show(value)}"
        ) from None
    if not (math.isfinite(p) and 0.0 < p < 1.0):
        hint = f"; if {p:g} is a percentage, write {p / 100:g}" if 1.0 < p <= 100.0 else ""
        raise PydanticCustomError(
            "value", f"{p!r} is not a probability strictly between 0 and 1{hint}"
        )
    return p


PriorProbability = Annotated[float, BeforeValidator(_parse_prior)]


def _parse_reliability(value: Any) -> float | str:
    if isinstance(value, str) and value.strip().upper() in ADMIRALTY:
        return value.strip().upper()
    hint = _percent(value)
    if hint:
        raise PydanticCustomError("reliability", f"{hint} (reliability is a number in (0, 1])")
    try:
        r = number(value)
    except (ValueError, TypeError, OverflowError):
        raise PydanticCustomError(
            "reliability",
            "expected a number in (0, 1] or an Admiralty letter A-F, got "
            f"{show(value)} (a grade such as B2 adds the information credibility 1-6)",
        ) from None
    if not (math.isfinite(r) and 0.0 < r <= 1.0):
        raise PydanticCustomError(
            "reliability", f"{r!r} is outside (0, 1]; use a number in (0, 1] or a letter A-F"
        )
    return r


Reliability = Annotated[float | str, BeforeValidator(_parse_reliability)]


def _parse_date(value: Any) -> dt.date:
    """Return a calendar date written ``YYYY-MM-DD`` (years 0001-9999), or a ``datetime.date``."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PydanticCustomError(
        "date", f"expected a date YYYY-MM-DD, got {show(value)} (years 0001 to 9999)"
    )


Date = Annotated[dt.date, BeforeValidator(_parse_date)]


def check_name(name: str, what: str) -> str:
    """Return a hypothesis, outcome or group name (letters, digits, ``_``), or ValueError."""
    if len(name) > LIMITS["name"]:
        raise ValueError(f"{what} name {show(name)} is longer than {LIMITS['name']} characters")
    if not NAME.fullmatch(name):
        raise ValueError(
            f"{what} name {show(name)} must start with a-z, A-Z or _ and use only a-z, A-Z, "
            "0-9 and _"
        )
    return name


def check_id(value: str) -> str:
    """Return an item id: letters, digits, ``- _ .`` (no whitespace or control characters)."""
    if len(value) > LIMITS["id"]:
        raise ValueError(f"id {show(value)} is longer than {LIMITS['id']} characters")
    if not _ID.fullmatch(value):
        raise ValueError(
            f"id {show(value)} may use only letters, digits, '-', '_' and '.' (no spaces or "
            "control characters), starting with a letter or digit"
        )
    return value


def _check_plain(text: str, what: str, limit: str) -> str:
    """Return ``text``: at most ``LIMITS[limit]`` characters, no control character."""
    if len(text) > LIMITS[limit]:
        raise ValueError(f"{what} {show(text)} is longer than {LIMITS[limit]} characters")
    bad = control(text)
    if bad:
        raise ValueError(f"{what} {show(text)} contains the control character {bad}")
    return text


def check_group(name: str) -> str:
    """Return a dependence group's name (as :func:`check_name`), or ValueError."""
    return _check_plain(name, "group name", "name")


def check_label(label: str | None) -> str | None:
    """Return a display label: one line of plain text, at most ``LIMITS["label"]`` characters."""
    if label is None:
        return None
    if not label:
        raise ValueError("a label must not be empty (leave the key out to show the name)")
    return _check_plain(label, "label", "label")


def text_field(limit: str, **kw: Any) -> Any:
    """Return a pydantic ``Field`` for text at most ``LIMITS[limit]`` characters long."""
    return Field(max_length=LIMITS[limit], **kw)
