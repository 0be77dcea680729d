"""Scenario files, their validation, and the validated :class:`Scenario`.

The files are ``priors.yaml`` and ``evidence/*.yaml|*.csv``; the model works on the
:class:`Scenario`.

Every problem in every file is collected and raised at once as a :class:`ScenarioError`
whose :class:`Problem` entries name the file, the field and what was expected. Files are
untrusted: sizes, counts, lengths and nesting are bounded and refused up front, symbolic
links leaving the scenario folder are refused, and values echoed in messages are cut short
and stripped of control characters (:func:`printable`).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import json
import math
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from .yamlsafe import MAX_BYTES, YamlError, decode, load_yaml, parse_yaml, read_bytes

__all__ = [
    "ADMIRALTY",
    "DEFAULT_CORRELATION",
    "EvidenceItem",
    "Group",
    "Hypothesis",
    "Interval",
    "LIMITS",
    "Priors",
    "Problem",
    "Resolution",
    "Retraction",
    "Scenario",
    "ScenarioError",
    "folder_files",
    "hypothesis_names",
    "input_hashes",
    "load_scenario",
    "new_evidence",
    "printable",
    "read_table",
]

ADMIRALTY = {"A": 0.95, "B": 0.80, "C": 0.60, "D": 0.40, "E": 0.20, "F": 0.50}
"""Source reliability of the Admiralty letters (docs/model.md, "Source reliability")."""

DEFAULT_CORRELATION = 0.5
"""Correlation of a dependence group that priors.yaml does not set."""

PRIOR_SUM_TOLERANCE = 1e-6

LIMITS = {
    "items": 20_000,  # evidence items in a scenario
    "files": 20_000,  # files in the evidence folder
    "hypotheses": 1_000,
    "csv_bytes": 64 << 20,  # one evidence table
    "name": 100,  # hypothesis, outcome and group names
    "label": 80,  # display labels of the outcome and the hypotheses
    "id": 200,
    "question": 2_000,
    "title": 1_000,  # title, source
    "url": 2_000,
    "text": 100_000,  # quote, rationale, description, a note
    "shown_problems": 50,  # problems listed in one error message
    "by_points": 1_000,  # dates of one hypothesis's `by:` timing shape
    "window_days": 36_600,  # days from opened to the deadline (100 years)
}
"""Upper limits on what a scenario may hold; anything larger is refused up front."""

TEXT_FIELDS = frozenset(
    {"question", "outcome", "description", "id", "date", "title", "source", "quote"}
    | {"rationale", "group", "url", "notes", "by", "analyst", "label", "outcome_label"}
)
"""Keys whose YAML values are read as the text written (no YAML 1.1 coercion)."""

Interval = tuple[float, float]
"""A 90% interval ``(lo, hi)``: the 5th and 95th percentiles of an uncertain input."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_GRADE = re.compile(r"([A-Fa-f])\s*-?\s*([0-9])")
_PERCENT = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*%\s*")
_BIDI = "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


# ----------------------------------------------------------------------------- text
def printable(text: Any, limit: int = 300) -> str:
    r"""Analyst text made safe for a terminal line.

    Cut to ``limit`` characters, tabs and line breaks as spaces, other control characters (escape
    sequences, NUL, bidirectional overrides) written as ``\xNN``/``\uNNNN``.

    Parameters
    ----------
    text : Any
        The text (``str()`` of anything else).
    limit : int
        Characters kept; a longer text ends in ``...`` and its length.

    Returns
    -------
    str
        One line with nothing a terminal would interpret.

    Examples
    --------
    >>> printable("ok\x1b]0;pwned\x07")
    'ok\\x1b]0;pwned\\x07'
    """
    text = str(text)
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text):,} characters)"
    out = []
    for ch in text:
        if ch in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(ch) == "Cc" or ch in _BIDI:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def _show(value: Any, limit: int = 120) -> str:
    """``repr(value)`` for an error message, cut short."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _control(text: str) -> str | None:
    """Return the first control character in ``text`` as ``U+XXXX``, or None."""
    for ch in text:
        if unicodedata.category(ch) == "Cc" or ch in _BIDI:
            return f"U+{ord(ch):04X}"
    return None


# ----------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        file, field_ = printable(self.file, 300), printable(self.field, 200)
        where = f"{file}: {field_}" if self.field else file
        return f"{where}: {printable(self.message, 600)}"


class ScenarioError(ValueError):
    """Bad input: every :class:`Problem` found, in file order.

    The message lists the first ``LIMITS["shown_problems"]`` and says how many more there are.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem, at most ``LIMITS["shown_problems"]`` and a count of the rest."""
        shown = LIMITS["shown_problems"]
        lines = [str(p) for p in self.problems[:shown]]
        if len(self.problems) > shown:
            lines.append(f"... and {len(self.problems) - shown:,} more")
        return lines


def _suggest(word: str, choices: Iterable[str]) -> str:
    word = str(word)
    if len(word) > 100:  # difflib is quadratic; nothing that long is a typo of a name
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


# ----------------------------------------------------------------------------- values
def _percent(value: Any) -> str | None:
    """'write 0.8' for a value written as a percentage ('80%'), else None."""
    if isinstance(value, str):
        m = _PERCENT.fullmatch(value)
        if m:
            return f"{value.strip()} is a percentage: write {float(m.group(1)) / 100:g}"
    return None


def _number(value: Any) -> float:
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
            numbers = tuple(_number(v) for v in value)
        else:
            numbers = (_number(value),)
    except (ValueError, TypeError, OverflowError):
        raise PydanticCustomError("value", f"{expected}, got {_show(value)}") from None

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
        p = _number(value)
    except (ValueError, TypeError, OverflowError):
        raise PydanticCustomError(
            "value", f"expected a probability strictly between 0 and 1, got {_show(value)}"
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
        r = _number(value)
    except (ValueError, TypeError, OverflowError):
        raise PydanticCustomError(
            "reliability",
            "expected a number in (0, 1] or an Admiralty letter A-F, got "
            f"{_show(value)} (a grade such as B2 adds the information credibility 1-6)",
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
        "date", f"expected a date YYYY-MM-DD, got {_show(value)} (years 0001 to 9999)"
    )


Date = Annotated[dt.date, BeforeValidator(_parse_date)]


def _check_name(name: str, what: str) -> str:
    if len(name) > LIMITS["name"]:
        raise ValueError(f"{what} name {_show(name)} is longer than {LIMITS['name']} characters")
    if not _NAME.fullmatch(name):
        raise ValueError(
            f"{what} name {_show(name)} must start with a-z, A-Z or _ and use only a-z, A-Z, "
            "0-9 and _"
        )
    return name


def _check_id(value: str) -> str:
    """Return an item id: letters, digits, ``- _ .`` (no whitespace or control characters)."""
    if len(value) > LIMITS["id"]:
        raise ValueError(f"id {_show(value)} is longer than {LIMITS['id']} characters")
    if not _ID.fullmatch(value):
        raise ValueError(
            f"id {_show(value)} may use only letters, digits, '-', '_' and '.' (no spaces or "
            "control characters), starting with a letter or digit"
        )
    return value


def _check_plain(text: str, what: str, limit: str) -> str:
    """Return ``text``: at most ``LIMITS[limit]`` characters, no control character."""
    if len(text) > LIMITS[limit]:
        raise ValueError(f"{what} {_show(text)} is longer than {LIMITS[limit]} characters")
    bad = _control(text)
    if bad:
        raise ValueError(f"{what} {_show(text)} contains the control character {bad}")
    return text


def _check_group(name: str) -> str:
    return _check_plain(name, "group name", "name")


def _check_label(label: str | None) -> str | None:
    """Return a display label: one line of plain text, at most ``LIMITS["label"]`` characters."""
    if label is None:
        return None
    if not label:
        raise ValueError("a label must not be empty (leave the key out to show the name)")
    return _check_plain(label, "label", "label")


def _text(limit: str, **kw: Any) -> Any:
    return Field(max_length=LIMITS[limit], **kw)


# ----------------------------------------------------------------------------- file models
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Hypothesis(_Strict):
    """One hypothesis in ``priors.yaml``."""

    prior: PriorProbability = Field(description="Prior probability pi_h, in (0, 1).")
    p_outcome: Probability = Field(
        description="P(outcome | hypothesis): a number in [0, 1] or a 90% interval [lo, hi]"
        " strictly inside (0, 1)."
    )
    description: str | None = _text("text", default=None, description="What it says.")
    label: str | None = Field(
        None,
        description="Display label in charts, the report and slides (plain text, one line, at "
        "most 80 characters); the name stays in CSV columns and file names.",
    )

    by: dict[Date, float] | None = Field(
        None,
        max_length=LIMITS["by_points"],
        description="Timing shape: the share of the eventual probability reached by each date "
        "(dates inside the window, shares non-decreasing in [0, 1]); overrides `timing`.",
    )

    @field_validator("label")
    @classmethod
    def _label(cls, v: str | None) -> str | None:
        return _check_label(v)


class Group(_Strict):
    """A dependence group in ``priors.yaml``."""

    correlation: float = Field(
        DEFAULT_CORRELATION,
        ge=0,
        lt=1,
        allow_inf_nan=False,
        description="rho_g: correlation between items of the group (0 <= rho < 1).",
    )
    description: str | None = _text("text", default=None)


def _prior_sum_problem(hypotheses: Any) -> str | None:
    """Why the priors of ``hypotheses`` (raw or validated) do not sum to 1, or None.

    None as well when some prior is not a number at all: that is reported on its own.
    """
    if not isinstance(hypotheses, dict) or not hypotheses:
        return None
    priors = []
    for h in hypotheses.values():
        raw = h.prior if isinstance(h, Hypothesis) else (h or {}).get("prior", None)
        if not isinstance(raw, int | float | str) or isinstance(raw, bool):
            return None
        try:
            priors.append(_number(raw))
        except (ValueError, OverflowError):
            return None
    total = math.fsum(priors)
    if not math.isfinite(total):
        return None
    if abs(total - 100.0) <= 0.5 and max(priors) > 1.0:
        return (
            "the priors look like percentages; divide by 100 "
            f"(they sum to {total:g}: write {priors[0] / 100:g} for {priors[0]:g})"
        )
    if abs(total - 1.0) > PRIOR_SUM_TOLERANCE:
        return f"the priors of the hypotheses sum to {total:.6g}, not 1 (tolerance 1e-6)"
    return None


def _parse_happened(value: Any) -> bool:
    """Return ``true`` or ``false``, also given as text.

    The key ``outcome`` is read as text elsewhere.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise PydanticCustomError(
        "bool", f"expected true or false (did the outcome happen), got {_show(value)}"
    )


class Resolution(_Strict):
    """How the question resolved (``resolution:`` in ``priors.yaml``)."""

    outcome: Annotated[bool, BeforeValidator(_parse_happened)] = Field(
        description="Did the outcome happen (true or false)."
    )
    date: Date = Field(description="When the outcome became known (YYYY-MM-DD).")
    source: str | None = Field(None, description="What the resolution rests on.")
    hypothesis: str | None = Field(
        None, description="Which hypothesis turned out true, when known."
    )


class Priors(_Strict):
    """The contents of ``priors.yaml``."""

    question: str = Field(
        min_length=1, max_length=LIMITS["question"], description="The question being forecast."
    )
    outcome: str = Field(description="Name of the outcome, e.g. invasion.")
    analyst: str | None = Field(
        None,
        min_length=1,
        max_length=LIMITS["name"],
        description="Who wrote this scenario (forecast pool names the folder's analyst by it; "
        "default: the folder's name).",
    )
    outcome_label: str | None = Field(
        None,
        description="Display label of the outcome, e.g. 'Full-scale invasion' (plain text, one "
        "line, at most 80 characters); the name stays in CSV columns.",
    )
    hypotheses: dict[str, Hypothesis] = Field(
        min_length=2,
        description="Mutually exclusive, exhaustive hypotheses (at least two).",
    )
    prior_strength: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="kappa: pi ~ Dirichlet(kappa * prior). Absent: the priors are exact.",
    )
    groups: dict[str, Group] = Field(
        default_factory=dict, description="Dependence groups and their correlations."
    )
    opened: Date | None = Field(
        None, description="When the forecast was first made (default: the first item's date)."
    )
    # ``None | Resolution``, not ``Resolution | None``: the unknown-key hint reads the last
    # member of the annotation for the keys allowed under ``resolution``.
    resolution: None | Resolution = Field(
        None, description="How the question resolved (optional; enables `forecast score`)."
    )
    deadline: Date | None = Field(
        None,
        description="The question asks whether the outcome happens after `opened` up to and "
        "including this date (YYYY-MM-DD); needs `opened`.",
    )
    timing: Literal["constant", "uniform"] = Field(
        "constant",
        description="When the outcome happens inside the window under each hypothesis: "
        "`constant` hazard (default) or `uniform` (every day equally likely).",
    )

    @field_validator("outcome")
    @classmethod
    def _outcome_name(cls, v: str) -> str:
        return _check_name(v, "outcome")

    @field_validator("analyst")
    @classmethod
    def _analyst_name(cls, v: str | None) -> str | None:
        bad = None if v is None else _control(v)
        if bad:
            raise ValueError(f"analyst {_show(v)} contains the control character {bad}")
        return v

    @field_validator("outcome_label")
    @classmethod
    def _outcome_label(cls, v: str | None) -> str | None:
        return _check_label(v)

    @field_validator("hypotheses", mode="before")
    @classmethod
    def _at_least_two(cls, v: Any) -> Any:
        if isinstance(v, dict) and len(v) < 2:
            raise ValueError(
                f"at least two hypotheses are needed (mutually exclusive, exhaustive), got {len(v)}"
            )
        if isinstance(v, dict) and len(v) > LIMITS["hypotheses"]:
            raise ValueError(f"{len(v):,} hypotheses; at most {LIMITS['hypotheses']:,}")
        return v

    @field_validator("hypotheses")
    @classmethod
    def _hypothesis_names(cls, v: dict[str, Hypothesis]) -> dict[str, Hypothesis]:
        for name in v:
            _check_name(name, "hypothesis")
        return v

    @field_validator("groups")
    @classmethod
    def _group_names(cls, v: dict[str, Group]) -> dict[str, Group]:
        for name in v:
            _check_group(name)
        return v

    @model_validator(mode="after")
    def _priors_sum_to_one(self) -> Priors:
        if self.outcome in self.hypotheses:
            raise PydanticCustomError(
                "value",
                f"the outcome '{self.outcome}' must not share a name with a hypothesis",
                {"field": "outcome"},
            )
        # trajectory.csv has p_<hypothesis> columns beside p_<outcome>_low and _high
        band = {f"{self.outcome}_low", f"{self.outcome}_high"}
        clash = sorted(band & set(self.hypotheses))
        if clash:
            raise PydanticCustomError(
                "value",
                f"the hypothesis name(s) {', '.join(repr(c) for c in clash)} would give the same "
                f"output column as the outcome's band (p_{self.outcome}_low, "
                f"p_{self.outcome}_high); rename them",
                {"field": "hypotheses"},
            )
        problem = _prior_sum_problem(self.hypotheses)
        if problem:
            raise PydanticCustomError("prior_sum", problem, {"field": "hypotheses"})
        return self

    @model_validator(mode="after")
    def _resolution_consistent(self) -> Priors:
        res = self.resolution
        if res is None:
            return self
        if res.hypothesis is not None and res.hypothesis not in self.hypotheses:
            names = list(self.hypotheses)
            raise PydanticCustomError(
                "value",
                f"unknown hypothesis '{res.hypothesis}'{_suggest(res.hypothesis, names)}"
                f" (hypotheses: {', '.join(names)})",
                {"field": "resolution.hypothesis"},
            )
        if self.opened is not None and not self.opened < res.date:
            raise PydanticCustomError(
                "value",
                f"opened ({self.opened}) must be before resolution.date ({res.date})",
                {"field": "opened"},
            )
        return self

    @model_validator(mode="after")
    def _window_consistent(self) -> Priors:
        from .timing import window_problem

        problem = window_problem(self)
        if problem:
            raise PydanticCustomError("value", problem[1], {"field": problem[0]})
        return self


class Retraction(_Strict):
    """``retracted: {date, reason}`` on an evidence item: it counts before ``date``, not from it on."""

    date: Date = Field(description="From this day on the item counts as never seen (YYYY-MM-DD).")
    reason: str = _text("text", min_length=1, description="Why it was withdrawn.")


class EvidenceItem(_Strict):
    """One evidence item (one file in ``evidence/`` or one row of an evidence CSV)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: str = Field(description="Unique identifier (letters, digits, - _ .).")
    date: Date = Field(description="When the item became known (YYYY-MM-DD).")
    title: str = _text("title", min_length=1)
    source: str = _text("title", min_length=1, description="Who reported it.")
    likelihoods: dict[str, Likelihood] = Field(
        min_length=1,
        max_length=LIMITS["hypotheses"],
        description="Relative likelihood of the item under each hypothesis (unnamed: 1).",
    )
    quote: str | None = _text("text", default=None, description="The words the item rests on.")
    rationale: str | None = _text("text", default=None, description="Why these likelihoods.")
    reliability: Reliability = Field(
        1.0,
        description="Source reliability r in (0, 1] or an Admiralty letter A-F; a two-character "
        "grade such as B2 also sets the credibility.",
    )
    credibility: int | None = Field(
        None,
        ge=1,
        le=6,
        description="Admiralty information credibility 1-6 (the digit of B2). Kept and shown; it "
        "does not change the numbers (the likelihoods carry the view of the information).",
    )
    group: str | None = Field(
        None, max_length=LIMITS["name"], description="Dependence group shared with other items."
    )
    url: str | None = _text("url", default=None)
    event_date: Date | None = Field(
        None, description="When it happened (YYYY-MM-DD), if before it became known (`date`)."
    )
    retracted: Retraction | None = Field(
        None, description="Withdrawn as false from `retracted.date` on (the record is kept)."
    )
    notes: dict[str, Annotated[str, Field(max_length=LIMITS["text"])]] = Field(
        default_factory=dict,
        exclude_if=lambda v: not v,  # no notes: the item's content (and hash) as before
        max_length=20,
        description="Free-text notes by name (CSV columns whose name starts with 'note').",
    )

    @model_validator(mode="before")
    @classmethod
    def _admiralty_grade(cls, data: Any) -> Any:
        """``B2``, ``b2``, ``B-2``: the letter is the reliability, the digit the credibility."""
        if not isinstance(data, dict) or not isinstance(data.get("reliability"), str):
            return data
        m = _GRADE.fullmatch(data["reliability"].strip())
        if not m:
            return data
        letter, digit = m.group(1).upper(), int(m.group(2))
        if not 1 <= digit <= 6:
            raise PydanticCustomError(
                "reliability",
                f"the information credibility of {_show(data['reliability'])} must be 1-6 "
                "(Admiralty grades run A1 to F6)",
                {"field": "reliability"},
            )
        given = data.get("credibility")
        if given is not None and str(given).strip() != str(digit):
            raise PydanticCustomError(
                "reliability",
                f"reliability {data['reliability']!r} says credibility {digit}, but credibility "
                f"is {_show(given)}; give it once",
                {"field": "credibility"},
            )
        return {**data, "reliability": letter, "credibility": digit}

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v)

    @model_validator(mode="after")
    def _dates_in_order(self) -> EvidenceItem:
        if self.event_date is not None and self.event_date > self.date:
            raise PydanticCustomError(
                "value",
                f"event_date ({self.event_date}) is after date ({self.date}): an item cannot be "
                "known before it happened; `date` is when it became known",
                {"field": "event_date"},
            )
        if self.retracted is not None and self.retracted.date < self.date:
            raise PydanticCustomError(
                "value",
                f"retracted.date ({self.retracted.date}) is before the item's date "
                f"({self.date}); an item is retracted on or after the day it became known",
                {"field": "retracted.date"},
            )
        return self

    @field_validator("group")
    @classmethod
    def _group(cls, v: str | None) -> str | None:
        return None if v is None else _check_group(v)

    @property
    def r(self) -> float:
        """Reliability as a number in (0, 1]."""
        return (
            ADMIRALTY[self.reliability] if isinstance(self.reliability, str) else self.reliability
        )

    @property
    def grade(self) -> str:
        """The Admiralty grade as written in reports: ``B2``, ``B``, ``0.7`` or ``0.7 (3)``."""
        r = self.reliability if isinstance(self.reliability, str) else f"{self.reliability:g}"
        if self.credibility is None:
            return r
        return (
            f"{r}{self.credibility}"
            if isinstance(self.reliability, str)
            else f"{r} ({self.credibility})"
        )


# ----------------------------------------------------------------------------- scenario
@dataclass(frozen=True)
class Scenario:
    """A validated scenario: priors plus evidence in the order of the update.

    Build it with :func:`load_scenario` (from files) or :meth:`from_dict`.
    ``evidence`` is sorted by ``(date, id)``; step ``k`` has seen ``evidence[:k]``.
    """

    priors: Priors
    evidence: tuple[EvidenceItem, ...]
    files: dict[str, str] = field(default_factory=dict, compare=False)
    """sha256 of every input file, by path (empty when built from a dict)."""
    ignored: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """Entries of the evidence folder that were not read, with the reason (``forecast
    validate`` lists them): files of other kinds (``x.yaml.txt``), names starting with
    ``_``, special files (FIFOs, devices)."""

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.evidence, key=lambda e: (e.date, e.id)))
        object.__setattr__(self, "evidence", ordered)

    # -- convenient views
    @property
    def hypotheses(self) -> tuple[str, ...]:
        """Hypothesis names, in the order of ``priors.yaml``."""
        return tuple(self.priors.hypotheses)

    @property
    def outcome(self) -> str:
        """The outcome whose probability is forecast (``outcome`` in ``priors.yaml``)."""
        return self.priors.outcome

    @property
    def question(self) -> str:
        """The question asked (``question`` in ``priors.yaml``)."""
        return self.priors.question

    @property
    def prior(self) -> np.ndarray:
        """Prior probabilities, in hypothesis order."""
        return np.array([h.prior for h in self.priors.hypotheses.values()])

    @property
    def ids(self) -> tuple[str, ...]:
        """Evidence item ids, in update order."""
        return tuple(e.id for e in self.evidence)

    def correlation(self, group: str) -> float:
        """Rho of a dependence group (0.5 when priors.yaml does not define it)."""
        spec = self.priors.groups.get(group)
        return spec.correlation if spec is not None else DEFAULT_CORRELATION

    # -- editing (what-if analysis); each returns a new validated scenario
    def replace_evidence(self, evidence: Iterable[EvidenceItem | dict]) -> Scenario:
        """Return the same priors with another evidence list (validated)."""
        data = self.to_dict()
        data["evidence"] = [
            e.model_dump(mode="json", exclude_none=True) if isinstance(e, EvidenceItem) else e
            for e in evidence
        ]
        return Scenario.from_dict(data)

    def without(self, *ids: str) -> Scenario:
        """Return the scenario with the named evidence items left out."""
        unknown = set(ids) - set(self.ids)
        if unknown:
            raise KeyError(f"no evidence item {sorted(unknown)}")
        return self.replace_evidence(e for e in self.evidence if e.id not in ids)

    def with_item(self, item: EvidenceItem | dict) -> Scenario:
        """Return the scenario with one more evidence item."""
        return self.replace_evidence([*self.evidence, item])

    def updated(self, id: str, **changes: Any) -> Scenario:
        """Return the scenario with fields of one item changed, e.g. ``reliability=0.5``."""
        items = []
        for e in self.evidence:
            d = e.model_dump(mode="json", exclude_none=True)
            if e.id == id:
                d.update(changes)
            items.append(d)
        if id not in self.ids:
            raise KeyError(f"no evidence item {id!r}")
        return self.replace_evidence(items)

    # -- serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable contents (dates as ISO text, intervals as lists)."""
        return {
            "priors": self.priors.model_dump(mode="json", exclude_none=True),
            "evidence": [e.model_dump(mode="json", exclude_none=True) for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, name: str = "<scenario>") -> Scenario:
        """Validate ``{"priors": {...}, "evidence": [...]}`` into a Scenario.

        Raises
        ------
        ScenarioError
            With every problem, naming ``name`` as the file.
        """
        problems: list[Problem] = []
        priors = _validate(Priors, data.get("priors"), f"{name} priors", problems)
        items = [
            (
                f"{name} evidence[{i}]",
                _validate(EvidenceItem, raw, f"{name} evidence[{i}]", problems),
            )
            for i, raw in enumerate(data.get("evidence", []))
        ]
        return _assemble(priors, items, {}, problems)

    def canonical_json(self) -> str:
        """Return the scenario as compact JSON with sorted keys: equal scenarios, equal text."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def hash(self) -> str:
        """sha256 of the scenario's content: the same inputs give the same hash."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


# ----------------------------------------------------------------------------- loading
def _validate(model: type[BaseModel], raw: Any, file: str, problems: list[Problem]):
    if raw is None:
        problems.append(Problem(file, "", "is empty; expected a mapping of fields"))
        return None
    if not isinstance(raw, dict):
        problems.append(
            Problem(file, "", f"expected a mapping of fields, got {type(raw).__name__}")
        )
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        found = [_problem_from_pydantic(model, file, err) for err in exc.errors()]
    except RecursionError:  # a structure nested past Python's limit (only from the API)
        problems.append(Problem(file, "", "is nested too deeply; refused"))
        return None
    if model is Priors:  # the sum is checked together with the fields, not after them
        sum_problem = _prior_sum_problem(raw.get("hypotheses"))
        if sum_problem and not any(p.field == "hypotheses" for p in found):
            if "percentages" in sum_problem:  # one problem, not one per prior
                found = [p for p in found if not re.fullmatch(r"hypotheses\..*\.prior", p.field)]
            found.append(Problem(file, "hypotheses", sum_problem))
    problems.extend(found)
    return None


def _problem_from_pydantic(model: type[BaseModel], file: str, err: ErrorDetails) -> Problem:
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc) or (err.get("ctx") or {}).get("field", "")  # model checks: ctx names it
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        msg = f"unknown key '{loc[-1]}'{_suggest(loc[-1], allowed)}"
        msg += f" (allowed: {', '.join(allowed)})" if allowed else ""
        return Problem(file, where, msg)
    if kind == "missing":
        return Problem(file, where, "is required but missing")
    msg = err["msg"]
    if kind in {"value", "reliability", "prior_sum", "date"}:
        pass
    elif kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    else:
        msg = f"{msg[0].lower()}{msg[1:]}, got {_show(err.get('input'))}"
    return Problem(file, where, msg)


def _allowed_keys(model: type[BaseModel], parent: list[str]) -> list[str]:
    """Field names allowed at ``parent`` (a location inside ``model``)."""
    current: Any = model
    for part in parent:
        fld = getattr(current, "model_fields", {}).get(part)
        if fld is None:
            # inside a dict of sub-models (hypotheses.<name>, groups.<name>)
            continue
        annotation = fld.annotation
        args = getattr(annotation, "__args__", ())
        current = args[-1] if args else annotation
    return list(getattr(current, "model_fields", {}))


# ----------------------------------------------------------------------------- evidence tables
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class _Columns:
    """How a table's columns map onto a file model.

    Plain fields, one column per hypothesis for the dict field ``mapping`` (``<mapping without
    s>.<hypothesis>``), free-text notes.
    """

    fields: tuple[str, ...]
    mapping: str
    notes: bool

    @classmethod
    def of(cls, model: type[BaseModel], mapping: str) -> _Columns:
        names = tuple(f for f in model.model_fields if f not in {mapping, "notes"})
        return cls(names, mapping, "notes" in model.model_fields)

    @property
    def prefix(self) -> str:
        return f"{self.mapping.removesuffix('s')}."


_RETRACTED_COLUMNS = ("retracted_date", "retracted_reason")
"""CSV columns of an item's ``retracted: {date, reason}``."""
_EVIDENCE_COLUMNS = _Columns(
    tuple(f for f in _Columns.of(EvidenceItem, "likelihoods").fields if f != "retracted")
    + _RETRACTED_COLUMNS,
    "likelihoods",
    True,
)


def _column_key(
    name: str, hypotheses: list[str], columns: _Columns | None = None
) -> tuple[str, str] | None:
    """Return what a CSV header cell names.

    ``(field, "")``, ``("mapping", h)``, ``("note", name)`` or None when unknown. Field names and
    the ``likelihood.`` prefix match in any case; the hypothesis part matches a hypothesis of
    another case when exactly one does.
    """
    columns = columns or _EVIDENCE_COLUMNS
    low, prefix = name.strip().lower(), columns.prefix
    if low in columns.fields:
        return (low, "")
    if low.startswith(prefix) and len(low) > len(prefix):
        h = name.strip()[len(prefix) :].strip()
        same = [x for x in hypotheses if x.lower() == h.lower()]
        return ("mapping", h if h in hypotheses or len(same) != 1 else same[0])
    if columns.notes and low.startswith("note"):
        return ("note", name.strip())
    return None


def _delimiter(header_line: str, hypotheses: list[str], columns: _Columns) -> str:
    """Return the delimiter (``,`` ``;`` or tab) that splits the header into the most known columns.

    Then the most columns; a comma on a tie.
    """

    def score(d: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=d), [])
        return (sum(_column_key(c, hypotheses, columns) is not None for c in cells), len(cells))

    return max(_DELIMITERS, key=score)  # max keeps the first of equals: ',' before ';'


def read_table(
    path: Path,
    text: str,
    problems: list[Problem],
    hypotheses: list[str],
    *,
    model: type[BaseModel] | None = None,
    mapping: str = "likelihoods",
) -> list[tuple[str, Any]]:
    r"""Rows of a table of items as ``(where, raw dict)``; columns as in the YAML files.

    The delimiter is detected (comma, semicolon or tab; in a semicolon table a likelihood or
    reliability written ``0,8`` is 0.8); column names match in any case; columns whose name
    starts with ``note`` are kept as free text (``notes``, where the model has it); unknown
    and repeated columns are refused (recorded in ``problems``).

    Parameters
    ----------
    path : Path
        The file (named in problems and in each row's ``where``).
    text : str
        Its contents.
    problems : list of Problem
        Where problems are recorded.
    hypotheses : list of str
        The hypotheses' names (column names match them in any case).
    model : pydantic model, optional
        The file model whose fields are the columns (default :class:`EvidenceItem`).
    mapping : str
        Its dict field given as one column per hypothesis, ``<mapping without s>.<h>``
        (``likelihood.<h>``; indicators: ``p_seen.<h>``).

    Examples
    --------
    >>> read_table(Path("t.csv"), "id,likelihood.a\nx,2\n", [], ["a"])  # doctest: +SKIP
    [('t.csv row 2', {'id': 'x', 'likelihoods': {'a': '2'}})]
    """
    columns = _EVIDENCE_COLUMNS if model is None else _Columns.of(model, mapping)
    file = str(path)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        problems.append(
            Problem(file, "", f"line {line} holds a NUL character; save the table as UTF-8 CSV")
        )
        return []
    lines = text.splitlines(keepends=True)  # newlines inside quotes are kept by csv
    if not any(line.strip() for line in lines):
        problems.append(Problem(file, "", "is empty; expected a header row"))
        return []
    delimiter = _delimiter(lines[0], hypotheses, columns)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = [c.strip() for c in next(reader)]
    except csv.Error as exc:
        problems.append(Problem(file, "row 1", f"cannot be read as CSV: {exc}"))
        return []
    keys: list[tuple[str, str] | None] = []
    seen: dict[tuple[str, str], int] = {}
    allowed = [*columns.fields, *(f"{columns.prefix}{h}" for h in hypotheses or ["<hypothesis>"])]
    ok = True
    for number, col in enumerate(header, start=1):
        key = _column_key(col, hypotheses, columns)
        keys.append(key)
        if not col:
            continue  # an unnamed column must stay empty (checked per row)
        if key is None:
            problems.append(
                Problem(
                    file,
                    f"column '{col}'",
                    f"unknown column{_suggest(col.lower(), allowed)} (columns: "
                    f"{', '.join(columns.fields)}, {columns.prefix}<hypothesis>"
                    + (
                        "; a column whose name starts with 'note' is kept as free text)"
                        if columns.notes
                        else ")"
                    ),
                )
            )
            ok = False
            continue
        norm = (key[0], key[1].lower()) if key[0] == "note" else key
        if norm in seen:
            problems.append(
                Problem(
                    file,
                    f"column '{col}'",
                    f"is given twice (columns {seen[norm]} and {number}); keep one",
                )
            )
            ok = False
        seen.setdefault(norm, number)
    if not ok:
        return []
    rows = []
    try:
        for row in reader:
            line_no = reader.line_num  # the line in the file, also after blank lines
            where = f"{path} row {line_no}"
            if len(row) > len(header):
                problems.append(
                    Problem(file, f"row {line_no}", "has more cells than the header has columns")
                )
                continue
            raw: dict[str, Any] = {}
            lik: dict[str, str] = {}
            notes: dict[str, str] = {}
            for key, col, cell in zip(keys, header, row, strict=False):
                cell = cell.strip()
                if not cell:
                    continue
                if key is None:
                    problems.append(
                        Problem(file, f"row {line_no}", f"has a cell in an unnamed column: {col}")
                    )
                    continue
                if delimiter == ";" and key[0] in {"mapping", "reliability"}:
                    cell = "..".join(
                        p.replace(",", ".") if _DECIMAL_COMMA.fullmatch(p.strip()) else p
                        for p in cell.split("..")
                    )
                if key[0] == "mapping":
                    lik[key[1]] = cell
                elif key[0] == "note":
                    notes[key[1]] = cell
                else:
                    raw[key[0]] = cell
            if not raw and not lik and not notes:
                continue  # blank line
            raw[columns.mapping] = lik
            if notes:
                raw["notes"] = notes
            _nest_retraction(raw)
            rows.append((where, raw))
    except csv.Error as exc:
        problems.append(
            Problem(
                file,
                f"row {reader.line_num}",
                f"cannot be read as CSV ({exc}); a cell may hold at most "
                f"{csv.field_size_limit():,} characters",
            )
        )
        return []
    return rows


def _csv_problems(problems: list[Problem], csv_rows: set[str]) -> list[Problem]:
    """Problems of table rows named after their columns.

    The same problem in many rows of one table (a misspelt column) is one line, naming the
    first rows and how many.
    """
    out: list[Problem] = []
    same: dict[tuple[str, str, str], tuple[int, list[str]]] = {}
    for p in problems:
        if p.file not in csv_rows:
            out.append(p)
            continue
        p = _csv_column(p)
        file, _, row = p.file.rpartition(" row ")
        key = (file, p.field, p.message)
        if key in same:
            same[key][1].append(row)
            continue
        same[key] = (len(out), [row])
        out.append(p)
    for (file, field_, message), (i, rows) in same.items():
        if len(rows) > 1:
            more = f" and {len(rows) - 10:,} more" if len(rows) > 10 else ""
            where = f"{len(rows):,} rows: rows {', '.join(rows[:10])}{more}"
            out[i] = Problem(file, field_, f"{message} ({where})")
    return out


def _nest_retraction(raw: dict[str, Any]) -> None:
    """Columns ``retracted_date``/``retracted_reason`` as ``retracted: {date, reason}``."""
    parts = {c.removeprefix("retracted_"): raw.pop(c) for c in _RETRACTED_COLUMNS if c in raw}
    if parts:
        raw["retracted"] = parts


def _csv_column(problem: Problem) -> Problem:
    """Rename a problem in a CSV row after its column (``likelihood.<h>``), not its YAML field."""
    if not problem.field:
        return problem
    head, _, rest = problem.field.partition(".")
    if head == "likelihoods":
        column = f"likelihood.{rest or '<hypothesis>'}"
    elif head == "notes" and rest:
        column = rest
    elif head == "retracted":
        column = f"retracted_{rest}" if rest else "retracted_date"
    else:
        column = problem.field
    return Problem(problem.file, f"column '{column}'", problem.message)


# ----------------------------------------------------------------------------- files
@dataclass(frozen=True)
class _Folder:
    """What the evidence folder holds: files to read, and files left aside with the reason."""

    read: list[Path]
    ignored: list[tuple[str, str]]


def _inside(path: Path, roots: list[Path]) -> bool:
    target = path.resolve()
    return any(target == r or target.is_relative_to(r) for r in roots)


def _scenario_file(path: Path, roots: list[Path]) -> str | None:
    """Why ``path`` must not be read, or None.

    A link out of the scenario folder, not a regular file, missing.
    """
    if path.is_symlink() and not _inside(path, roots):
        return (
            "is a symbolic link to a file outside the scenario folder; refused "
            "(copy the file into the folder instead)"
        )
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "is a broken symbolic link" if path.is_symlink() else "file not found"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not stat.S_ISREG(mode):
        return "is not a regular file; not read"
    return None


def _evidence_folder(folder: Path, roots: list[Path], problems: list[Problem]) -> _Folder:
    """Sort the entries of the evidence folder into files to read and files left aside."""
    read: list[Path] = []
    ignored: list[tuple[str, str]] = []
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        problems.append(Problem(str(folder), "", f"cannot be read ({exc.strerror})"))
        return _Folder([], [])
    if len(names) > LIMITS["files"]:
        problems.append(
            Problem(
                str(folder),
                "",
                f"holds {len(names):,} entries; at most {LIMITS['files']:,} are read "
                "(use an evidence table, evidence/*.csv, for many items)",
            )
        )
        return _Folder([], [])
    for name in names:
        if name.startswith("."):
            continue  # hidden files (editors' swap files, .DS_Store): not mentioned
        path = folder / name
        known = path.suffix.lower() in {".yaml", ".yml", ".csv"}
        if path.is_dir() and not path.is_symlink():
            ignored.append((f"{name}/", "a folder: items in subfolders are not read"))
            continue
        if not known:
            ignored.append((name, "not .yaml, .yml or .csv"))
            continue
        if name.startswith("_"):
            ignored.append((name, "starts with _"))
            continue
        why = _scenario_file(path, roots)
        if why is None:
            read.append(path)
        elif "symbolic link to a file outside" in why or "broken" in why:
            problems.append(Problem(str(path), "", why))
        else:
            ignored.append((name, why.removeprefix("is ").split(";")[0] + ": skipped"))
    return _Folder(read, ignored)


def _read_file(path: Path, limit: int, problems: list[Problem]) -> tuple[str, str] | None:
    """``(sha256, text)`` of a scenario file, or None after recording why not."""
    try:
        data = read_bytes(path, limit=limit)
        return hashlib.sha256(data).hexdigest(), decode(data)
    except YamlError as exc:
        problems.append(Problem(str(path), "", str(exc)))
    except OSError as exc:
        problems.append(Problem(str(path), "", f"cannot be read ({exc.strerror})"))
    return None


def input_hashes(
    priors: str | Path = "priors.yaml", evidence: str | Path = "evidence", *, named: bool = True
) -> dict[str, str]:
    """Return the sha256 of the scenario's files, keyed as :attr:`Scenario.files` is.

    The files :func:`load_scenario` would read, under the same folder rules (links leaving
    the scenario refused, hidden and other files not read), without validating them; files
    that cannot be read are left out. ``forecast report`` compares these with the result's.

    Examples
    --------
    >>> input_hashes("priors.yaml", "evidence")["priors.yaml"]  # doctest: +SKIP
    '3f1c...'
    """
    priors_path, evidence_dir = Path(priors), Path(evidence)
    problems: list[Problem] = []
    roots = [priors_path.parent.resolve()]
    paths = [] if _scenario_file(priors_path, roots) else [priors_path]
    if evidence_dir.is_dir() and (named or _linked_evidence(evidence_dir, priors_path) is None):
        roots.append(evidence_dir.resolve())
        paths += _evidence_folder(evidence_dir, roots, problems).read
    hashes = {}
    for path in paths:
        limit = LIMITS["csv_bytes"] if path.suffix.lower() == ".csv" else MAX_BYTES
        if (got := _read_file(path, limit, problems)) is not None:
            hashes[str(path)] = got[0]
    return hashes


def _linked_evidence(evidence: Path, priors: Path) -> str | None:
    from .guard import linked_folder  # guard reads printable from here

    return linked_folder(evidence, priors.parent, "evidence")


def load_scenario(
    priors: str | Path = "priors.yaml", evidence: str | Path = "evidence", *, named: bool = True
) -> Scenario:
    """Read and validate a scenario from its files.

    Parameters
    ----------
    priors : str or Path
        The priors file (``priors.yaml``).
    evidence : str or Path
        The evidence folder: every ``*.yaml``/``*.yml`` file is one item, every ``*.csv``
        a table of items. Files starting with ``.`` or ``_``, and files of other kinds, are
        not read (``Scenario.ignored`` lists them); symbolic links leaving the scenario
        folder are refused.
    named : bool
        Whether the user named ``evidence`` (True from Python). When False, an evidence folder
        that is itself a symbolic link leaving the priors file's folder is refused
        (:func:`forecast.guard.linked_folder`).

    Returns
    -------
    Scenario
        Evidence sorted by ``(date, id)``; the order of files on disk does not matter.

    Raises
    ------
    ScenarioError
        Every problem found in every file, each naming the file and the field.

    Examples
    --------
    >>> s = load_scenario("priors.yaml", "evidence")  # doctest: +SKIP
    >>> s.hypotheses  # doctest: +SKIP
    ('de_escalation', 'coercive_bluff', 'deception')
    """
    priors_path, evidence_dir = Path(priors), Path(evidence)
    problems: list[Problem] = []
    files: dict[str, str] = {}
    roots = [priors_path.parent.resolve()]
    if evidence_dir.is_dir():
        roots.append(evidence_dir.resolve())

    parsed_priors = None
    why = _scenario_file(priors_path, roots[:1])
    if why is not None:
        problems.append(Problem(str(priors_path), "", why))
    elif (got := _read_file(priors_path, MAX_BYTES, problems)) is not None:
        files[str(priors_path)] = got[0]
        try:
            raw = parse_yaml(got[1], text_keys=TEXT_FIELDS)
        except YamlError as exc:
            problems.append(Problem(str(priors_path), "", str(exc)))
        else:
            parsed_priors = _validate(Priors, raw, str(priors_path), problems)
    hypotheses = list(parsed_priors.hypotheses) if parsed_priors else []

    items: list[tuple[str, EvidenceItem | None]] = []
    csv_rows: set[str] = set()
    ignored: list[tuple[str, str]] = []
    linked = None if named else _linked_evidence(evidence_dir, priors_path)
    if linked is not None:
        problems.append(Problem(str(evidence_dir), "", linked))
    elif not evidence_dir.is_dir():
        what = "is a file, not a folder" if evidence_dir.exists() else "not found"
        problems.append(Problem(str(evidence_dir), "", f"evidence folder {what}"))
    else:
        folder = _evidence_folder(evidence_dir, roots, problems)
        ignored = folder.ignored
        for path in folder.read:
            is_csv = path.suffix.lower() == ".csv"
            got = _read_file(path, LIMITS["csv_bytes"] if is_csv else MAX_BYTES, problems)
            if got is None:
                continue
            files[str(path)] = got[0]
            if is_csv:
                rows = read_table(path, got[1], problems, hypotheses)
                csv_rows.update(where for where, _ in rows)
            else:
                try:
                    rows = [(str(path), parse_yaml(got[1], text_keys=TEXT_FIELDS))]
                except YamlError as exc:
                    problems.append(Problem(str(path), "", str(exc)))
                    continue
            if len(items) + len(rows) > LIMITS["items"]:
                problems.append(
                    Problem(
                        str(evidence_dir),
                        "",
                        f"holds more than {LIMITS['items']:,} evidence items; refused",
                    )
                )
                break
            for where, raw in rows:
                items.append((where, _validate(EvidenceItem, raw, where, problems)))
    try:
        return _assemble(parsed_priors, items, files, problems, ignored=ignored)
    except ScenarioError as exc:
        if not csv_rows:
            raise
        raise ScenarioError(_csv_problems(exc.problems, csv_rows)) from None


def _assemble(
    priors: Priors | None,
    items: list[tuple[str, EvidenceItem | None]],
    files: dict[str, str],
    problems: list[Problem],
    *,
    ignored: list[tuple[str, str]] | None = None,
) -> Scenario:
    """Cross-file checks, then the Scenario (or every problem at once)."""
    if len(items) > LIMITS["items"]:
        problems.append(
            Problem("evidence", "", f"{len(items):,} items; at most {LIMITS['items']:,}")
        )
        raise ScenarioError(problems)
    seen: dict[str, tuple[str, str]] = {}  # by the id up to case: where, as written
    names = list(priors.hypotheses) if priors is not None else []
    for where, item in items:
        if item is None:
            continue
        if item.id.casefold() in seen:  # equal up to case: one file on macOS and Windows
            other, written = seen[item.id.casefold()]
            message = f"duplicate id '{item.id}' (also in {other})"
            if written != item.id:
                message = (
                    f"duplicate id '{item.id}' ('{written}' in {other}): ids equal up to case "
                    "name the same file on case-insensitive systems (macOS, Windows)"
                )
            problems.append(Problem(where, "id", message))
        else:
            seen[item.id.casefold()] = (where, item.id)
        if priors is None:
            continue
        for name in item.likelihoods:
            if name not in priors.hypotheses:
                problems.append(
                    Problem(
                        where,
                        f"likelihoods.{name}",
                        f"unknown hypothesis '{name}'{_suggest(name, names)}"
                        f" (hypotheses: {', '.join(names)})",
                    )
                )
        if item.group is not None and item.group not in priors.groups:
            hint = _suggest(item.group, priors.groups)
            if hint:
                problems.append(
                    Problem(
                        where,
                        "group",
                        f"group '{item.group}' is not defined in priors.yaml{hint}",
                    )
                )
    if priors is not None and not problems:
        problems += _ruled_out_problems(priors, items)
    if problems:
        raise ScenarioError(problems)
    assert priors is not None
    return Scenario(
        priors=priors,
        evidence=tuple(i for _, i in items if i),
        files=files,
        ignored=tuple(ignored or ()),
    )


def hypothesis_names(priors: str | Path = "priors.yaml") -> list[str]:
    """Return the hypothesis names of a priors file, read from it alone.

    Works when the file has other problems (a bad prior, a missing question) and whatever
    the evidence folder holds: only the ``hypotheses`` mapping must be readable.

    Parameters
    ----------
    priors : str or Path
        The priors file.

    Returns
    -------
    list of str
        Valid names in file order; empty when the file or its ``hypotheses`` cannot be read.

    Examples
    --------
    >>> hypothesis_names("priors.yaml")  # doctest: +SKIP
    ['de_escalation', 'coercive_bluff', 'deception']
    """
    path = Path(priors)
    if _scenario_file(path, [path.parent.resolve()]) is not None:
        return []
    try:
        raw = load_yaml(path, text_keys=TEXT_FIELDS)
    except (YamlError, OSError):
        return []
    hypotheses = raw.get("hypotheses") if isinstance(raw, dict) else None
    if not isinstance(hypotheses, dict):
        return []
    return [
        h
        for h in hypotheses
        if isinstance(h, str) and len(h) <= LIMITS["name"] and _NAME.fullmatch(h)
    ][: LIMITS["hypotheses"]]


def _ruled_out_problems(
    priors: Priors, items: list[tuple[str, EvidenceItem | None]]
) -> list[Problem]:
    """Zeros that leave nothing possible.

    An item impossible under every hypothesis, or fully reliable items that together rule out every
    hypothesis (docs/model.md).
    """
    names = list(priors.hypotheses)
    problems = []
    ruled_out: dict[str, list[str]] = {}  # hypothesis -> items (reliability 1) ruling it out
    file_of: dict[str, str] = {}
    for where, item in items:
        if item is None:
            continue
        zeros = [h for h in names if item.likelihoods.get(h, 1.0) == 0.0]
        if len(zeros) == len(names):
            problems.append(
                Problem(
                    where,
                    "likelihoods",
                    "the item is impossible under every hypothesis (every likelihood is 0);"
                    " at least one must be positive",
                )
            )
        elif item.r >= 1.0:
            file_of[item.id] = where
            for h in zeros:
                ruled_out.setdefault(h, []).append(item.id)
    if not problems and len(ruled_out) == len(names):
        ids = sorted({i for ids in ruled_out.values() for i in ids})
        culprits = [f"{i} ({file_of[i]})" for i in ids[:20]]
        if len(ids) > 20:
            culprits.append(f"and {len(ids) - 20:,} more")
        problems.append(
            Problem(
                "evidence",
                "likelihoods",
                "together the items rule out every hypothesis (a likelihood of 0 at"
                f" reliability 1 rules its hypothesis out): {', '.join(culprits)}",
            )
        )
    return problems


# ----------------------------------------------------------------------------- templates
TEMPLATE_README_SECTION = "Scenario files"
"""The README section the evidence template points to (a test checks that it exists)."""

_TEMPLATE = """\
# Evidence item {id}: one file per item. Every field is described in README.md, section
# "{section}".
# Until you edit the likelihoods this item is neutral (all 1) and changes nothing.
id: "{id}"
date: {today}   # today, the day this template was written: change it to when the item became known (YYYY-MM-DD)
title: "TODO: a short title"
source: "TODO: who reported it"
# Reliability is yours to choose (then remove the '#'): an Admiralty grade A-F
# (A .95, B .80, C .60, D .40, E .20, F .50 = cannot be judged), optionally with the
# information credibility 1-6 (B2: kept and shown, it does not change the numbers), or a
# number in (0, 1]. Left out, it is 1 (the source is taken as fully reliable).
# reliability: B2
# A witness who is right 80% of the time is entered as likelihoods (0.8 under the hypothesis
# the report supports, 0.2 under the others) with reliability 1. Use reliability instead for a
# report that may carry no information at all: reliability is the chance that it does.
# group: some-group            # items sharing a group are not independent (see priors.yaml groups:)
# url: https://...
# event_date: YYYY-MM-DD       # when it happened, if before `date` (when it became known)
# retracted:                   # found false later: counts before this date, not from it on
#   date: YYYY-MM-DD
#   reason: "why it was withdrawn"
quote: >-
  TODO: the words the item rests on
likelihoods:                   # relative likelihood under each hypothesis; unnamed ones are 1
{likelihoods}
rationale: >-
  TODO: why these likelihoods
"""


def new_evidence(
    id: str,
    *,
    evidence: str | Path = "evidence",
    hypotheses: Iterable[str] = (),
    today: dt.date | None = None,
) -> Path:
    """Write a commented template ``evidence/<id>.yaml`` for a new item.

    The template passes validation as written when ``hypotheses`` are the scenario's (it is
    neutral: every likelihood 1); its date is today's and its reliability is left out (1),
    each with a comment asking the analyst to set it.

    Parameters
    ----------
    id : str
        The new item's id (letters, digits, ``-``, ``_``, ``.``; no whitespace).
    evidence : str or Path
        The evidence folder (created if missing).
    hypotheses : iterable of str
        Hypothesis names to list under ``likelihoods`` (each at 1, i.e. neutral), e.g.
        ``hypothesis_names("priors.yaml")``.
    today : date, optional
        The date to write (default: today).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    FileExistsError
        If ``<id>.yaml`` or ``<id>.yml`` exists: nothing is overwritten. (An item with the
        same id in another file is reported by validation as a duplicate id.)
    ValueError
        If ``id`` is not a valid id.

    Examples
    --------
    >>> new_evidence("satellite-2022-02-20", hypotheses=["de_escalation", "deception"])  # doctest: +SKIP
    PosixPath('evidence/satellite-2022-02-20.yaml')
    """
    _check_id(id)
    folder = Path(evidence)
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".yaml", ".yml"):
        if (folder / f"{id}{suffix}").exists():
            raise FileExistsError(f"{folder / (id + suffix)} exists; not overwritten")
    names = list(hypotheses) or ["hypothesis_a", "hypothesis_b"]
    width = max(len(n) for n in names) + 4
    lines = "\n".join(
        f"  {f'{n}: 1':<{width}}  # a number or a 90% interval [lo, hi]" for n in names
    )
    text = _TEMPLATE.format(
        id=id,
        today=(today or dt.date.today()).isoformat(),
        likelihoods=lines,
        section=TEMPLATE_README_SECTION,
    )
    path = folder / f"{id}.yaml"
    with open(path, "x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
        fh.write(text)
    return path


# ----------------------------------------------------------------------------- shared helpers
# Other input files (indicators/) are read and checked with the same machinery.
StrictModel = _Strict
"""Base of the file models: unknown keys refused, values frozen, text stripped."""
check_id = _check_id
"""``check_id(value)``: the id, or ValueError (letters, digits, ``- _ .``, a bounded length)."""
validate_model = _validate
"""``validate_model(model, raw, where, problems)``: the model, or None after recording why."""
read_file = _read_file
"""``read_file(path, limit, problems)``: ``(sha256, text)`` of an input file, or None."""
suggest = _suggest


def folder_files(folder: Path, problems: list[Problem]) -> list[Path]:
    """Return the ``.yaml``, ``.yml`` and ``.csv`` files of an input folder to read.

    As for ``evidence/``: links leaving the folder and special files refused or skipped.

    Examples
    --------
    >>> folder_files(Path("indicators"), [])  # doctest: +SKIP
    [PosixPath('indicators/drills-end.yaml'), ...]
    """
    folder = Path(folder)
    return _evidence_folder(folder, [folder.resolve(), folder.parent.resolve()], problems).read
