"""The pydantic models of the scenario files (``priors.yaml``, evidence items) and validating them."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

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

from ..errors import Problem
from .fields import (
    GRADE,
    Date,
    Likelihood,
    PriorProbability,
    Probability,
    Reliability,
    check_group,
    check_id,
    check_label,
    check_name,
    number,
    text_field,
)
from .limits import ADMIRALTY, DEFAULT_CORRELATION, LIMITS, PRIOR_SUM_TOLERANCE
from .text import control, show, suggest


# ----------------------------------------------------------------------------- file models
class StrictModel(BaseModel):
    """Base of the file models: unknown keys refused, values frozen, text stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Hypothesis(StrictModel):
    """One hypothesis in ``priors.yaml``."""

    prior: PriorProbability = Field(description="Prior probability pi_h, in (0, 1).")
    p_outcome: Probability = Field(
        description="P(outcome | hypothesis): a number in [0, 1] or a 90% interval [lo, hi]"
        " strictly inside (0, 1)."
    )
    description: str | None = text_field("text", default=None, description="What it says.")
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
        return check_label(v)


class Group(StrictModel):
    """A dependence group in ``priors.yaml``."""

    correlation: float = Field(
        DEFAULT_CORRELATION,
        ge=0,
        lt=1,
        allow_inf_nan=False,
        description="rho_g: correlation between items of the group (0 <= rho < 1).",
    )
    description: str | None = text_field("text", default=None)


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
            priors.append(number(raw))
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
        "bool", f"expected true or false (did the outcome happen), got {show(value)}"
    )


class Resolution(StrictModel):
    """How the question resolved (``resolution:`` in ``priors.yaml``)."""

    outcome: Annotated[bool, BeforeValidator(_parse_happened)] = Field(
        description="Did the outcome happen (true or false)."
    )
    date: Date = Field(description="When the outcome became known (YYYY-MM-DD).")
    source: str | None = Field(None, description="What the resolution rests on.")
    hypothesis: str | None = Field(
        None, description="Which hypothesis turned out true, when known."
    )


class Priors(StrictModel):
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
        return check_name(v, "outcome")

    @field_validator("analyst")
    @classmethod
    def _analyst_name(cls, v: str | None) -> str | None:
        bad = None if v is None else control(v)
        if bad:
            raise ValueError(f"analyst {show(v)} contains the control character {bad}")
        return v

    @field_validator("outcome_label")
    @classmethod
    def _outcome_label(cls, v: str | None) -> str | None:
        return check_label(v)

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
            check_name(name, "hypothesis")
        return v

    @field_validator("groups")
    @classmethod
    def _group_names(cls, v: dict[str, Group]) -> dict[str, Group]:
        for name in v:
            check_group(name)
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
                f"unknown hypothesis '{res.hypothesis}'{suggest(res.hypothesis, names)}"
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
        from ..timing import window_problem

        problem = window_problem(self)
        if problem:
            raise PydanticCustomError("value", problem[1], {"field": problem[0]})
        return self


class Retraction(StrictModel):
    """``retracted: {date, reason}`` on an evidence item: it counts before ``date``, not from it on."""

    date: Date = Field(description="From this day on the item counts as never seen (YYYY-MM-DD).")
    reason: str = text_field("text", min_length=1, description="Why it was withdrawn.")


class EvidenceItem(StrictModel):
    """One evidence item (one file in ``evidence/`` or one row of an evidence CSV)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: str = Field(description="Unique identifier (letters, digits, - _ .).")
    date: Date = Field(description="When the item became known (YYYY-MM-DD).")
    title: str = text_field("title", min_length=1)
    source: str = text_field("title", min_length=1, description="Who reported it.")
    likelihoods: dict[str, Likelihood] = Field(
        min_length=1,
        max_length=LIMITS["hypotheses"],
        description="Relative likelihood of the item under each hypothesis (unnamed: 1).",
    )
    quote: str | None = text_field("text", default=None, description="The words the item rests on.")
    rationale: str | None = text_field("text", default=None, description="Why these likelihoods.")
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
    url: str | None = text_field("url", default=None)
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
        m = GRADE.fullmatch(data["reliability"].strip())
        if not m:
            return data
        letter, digit = m.group(1).upper(), int(m.group(2))
        if not 1 <= digit <= 6:
            raise PydanticCustomError(
                "reliability",
                f"the information credibility of {show(data['reliability'])} must be 1-6 "
                "(Admiralty grades run A1 to F6)",
                {"field": "reliability"},
            )
        given = data.get("credibility")
        if given is not None and str(given).strip() != str(digit):
            raise PydanticCustomError(
                "reliability",
                f"reliability {data['reliability']!r} says credibility {digit}, but credibility "
                f"is {show(given)}; give it once",
                {"field": "credibility"},
            )
        return {**data, "reliability": letter, "credibility": digit}

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_id(v)

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
        return None if v is None else check_group(v)

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


# ----------------------------------------------------------------------------- loading
def validate_model(model: type[BaseModel], raw: Any, file: str, problems: list[Problem]):
    """Return ``model`` validated from ``raw``, or None after recording every problem in ``problems``."""
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
        msg = f"unknown key '{loc[-1]}'{suggest(loc[-1], allowed)}"
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
        msg = f"{msg[0].lower()}{msg[1:]}, got {show(err.get('input'))}"
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
