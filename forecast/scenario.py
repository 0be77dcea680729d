"""Scenario files: ``priors.yaml`` and ``evidence/*.yaml|*.csv``, their validation, and the
validated :class:`Scenario` the model works on.

Every problem in every file is collected and raised at once as a :class:`ScenarioError`
whose :class:`Problem` entries name the file, the field and what was expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import json
import math
import re
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
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .yamlsafe import YamlError, load_yaml

__all__ = [
    "ADMIRALTY",
    "DEFAULT_CORRELATION",
    "EvidenceItem",
    "Group",
    "Hypothesis",
    "Interval",
    "Priors",
    "Problem",
    "Resolution",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "new_evidence",
]

ADMIRALTY = {"A": 0.95, "B": 0.80, "C": 0.60, "D": 0.40, "E": 0.20, "F": 0.50}
"""Source reliability of the Admiralty letters (MODEL.md, "Source reliability")."""

DEFAULT_CORRELATION = 0.5
"""Correlation of a dependence group that priors.yaml does not set."""

PRIOR_SUM_TOLERANCE = 1e-6

Interval = tuple[float, float]
"""A 90% interval ``(lo, hi)``: the 5th and 95th percentiles of an uncertain input."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# ----------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class ScenarioError(ValueError):
    """Bad input: every :class:`Problem` found, in file order."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


# ----------------------------------------------------------------------------- values
def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise ValueError


def _parse_value(value: Any, kind: Literal["probability", "likelihood"]) -> float | Interval:
    """A number or a 90% interval ``[lo, hi]`` (or ``"lo..hi"``), checked for its range."""
    what = "a probability" if kind == "probability" else "a relative likelihood"
    valid = "strictly between 0 and 1" if kind == "probability" else "positive and finite"
    expected = f"expected {what} ({valid}) or a 90% interval [lo, hi]"
    if isinstance(value, str) and ".." in value:
        value = value.split("..", 1)
    try:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError
            numbers = tuple(_number(v) for v in value)
        else:
            numbers = (_number(value),)
    except (ValueError, TypeError):
        raise PydanticCustomError("value", f"{expected}, got {value!r}") from None

    def ok(x: float) -> bool:
        if not math.isfinite(x):
            return False
        return 0.0 < x < 1.0 if kind == "probability" else x > 0.0

    bad = [x for x in numbers if not ok(x)]
    if bad:
        raise PydanticCustomError("value", f"{bad[0]!r} is not {valid}; {expected}")
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


def _parse_reliability(value: Any) -> float | str:
    if isinstance(value, str) and value.strip().upper() in ADMIRALTY:
        return value.strip().upper()
    try:
        r = _number(value)
    except (ValueError, TypeError):
        raise PydanticCustomError(
            "reliability",
            f"expected a number in (0, 1] or an Admiralty letter A-F, got {value!r}",
        ) from None
    if not (math.isfinite(r) and 0.0 < r <= 1.0):
        raise PydanticCustomError(
            "reliability", f"{r!r} is outside (0, 1]; use a number in (0, 1] or a letter A-F"
        )
    return r


Reliability = Annotated[float | str, BeforeValidator(_parse_reliability)]


def _check_name(name: str, what: str) -> str:
    if not _NAME.match(name):
        raise ValueError(
            f"{what} name {name!r} must start with a letter and use only letters, digits and _"
        )
    return name


# ----------------------------------------------------------------------------- file models
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Hypothesis(_Strict):
    """One hypothesis in ``priors.yaml``."""

    prior: float = Field(gt=0, lt=1, allow_inf_nan=False, description="Prior probability pi_h.")
    p_outcome: Probability = Field(
        description="P(outcome | hypothesis): a number in (0, 1) or a 90% interval [lo, hi]."
    )
    description: str | None = Field(None, description="What the hypothesis says.")


class Group(_Strict):
    """A dependence group in ``priors.yaml``."""

    correlation: float = Field(
        DEFAULT_CORRELATION,
        ge=0,
        lt=1,
        allow_inf_nan=False,
        description="rho_g: correlation between items of the group (0 <= rho < 1).",
    )
    description: str | None = None


class Resolution(_Strict):
    """How the question resolved (``resolution:`` in ``priors.yaml``)."""

    outcome: StrictBool = Field(description="Did the outcome happen (true or false).")
    date: dt.date = Field(description="When the outcome became known (YYYY-MM-DD).")
    source: str | None = Field(None, description="What the resolution rests on.")
    hypothesis: str | None = Field(
        None, description="Which hypothesis turned out true, when known."
    )


class Priors(_Strict):
    """The contents of ``priors.yaml``."""

    question: str = Field(min_length=1, description="The question being forecast.")
    outcome: str = Field(description="Name of the outcome, e.g. invasion.")
    hypotheses: dict[str, Hypothesis] = Field(
        min_length=2, description="Mutually exclusive, exhaustive hypotheses (at least two)."
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
    opened: dt.date | None = Field(
        None, description="When the forecast was first made (default: the first item's date)."
    )
    # ``None | Resolution``, not ``Resolution | None``: the unknown-key hint reads the last
    # member of the annotation for the keys allowed under ``resolution``.
    resolution: None | Resolution = Field(
        None, description="How the question resolved (optional; enables `forecast score`)."
    )

    @field_validator("outcome")
    @classmethod
    def _outcome_name(cls, v: str) -> str:
        return _check_name(v, "outcome")

    @field_validator("hypotheses", mode="before")
    @classmethod
    def _at_least_two(cls, v: Any) -> Any:
        if isinstance(v, dict) and len(v) < 2:
            raise ValueError(
                f"at least two hypotheses are needed (mutually exclusive, exhaustive), got {len(v)}"
            )
        return v

    @field_validator("hypotheses")
    @classmethod
    def _hypothesis_names(cls, v: dict[str, Hypothesis]) -> dict[str, Hypothesis]:
        for name in v:
            _check_name(name, "hypothesis")
        return v

    @model_validator(mode="after")
    def _priors_sum_to_one(self) -> Priors:
        if self.outcome in self.hypotheses:
            raise PydanticCustomError(
                "value",
                f"the outcome '{self.outcome}' must not share a name with a hypothesis",
                {"field": "outcome"},
            )
        total = sum(h.prior for h in self.hypotheses.values())
        if abs(total - 1.0) > PRIOR_SUM_TOLERANCE:
            raise PydanticCustomError(
                "prior_sum",
                f"the priors of the hypotheses sum to {total:.6g}, not 1 (tolerance 1e-6)",
                {"field": "hypotheses"},
            )
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


class EvidenceItem(_Strict):
    """One evidence item (one file in ``evidence/`` or one row of an evidence CSV)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: str = Field(description="Unique identifier (letters, digits, - _ .).")
    date: dt.date = Field(description="When the item became known (YYYY-MM-DD).")
    title: str = Field(min_length=1)
    source: str = Field(min_length=1, description="Who reported it.")
    likelihoods: dict[str, Likelihood] = Field(
        min_length=1,
        description="Relative likelihood of the item under each hypothesis (unnamed: 1).",
    )
    quote: str | None = Field(None, description="The words the item rests on.")
    rationale: str | None = Field(None, description="Why these likelihoods.")
    reliability: Reliability = Field(
        1.0, description="Source reliability r in (0, 1] or an Admiralty letter A-F."
    )
    group: str | None = Field(None, description="Dependence group shared with other items.")
    url: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r} may use only letters, digits, '-', '_' and '.'")
        return v

    @property
    def r(self) -> float:
        """Reliability as a number in (0, 1]."""
        return (
            ADMIRALTY[self.reliability] if isinstance(self.reliability, str) else self.reliability
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

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.evidence, key=lambda e: (e.date, e.id)))
        object.__setattr__(self, "evidence", ordered)

    # -- convenient views
    @property
    def hypotheses(self) -> tuple[str, ...]:
        return tuple(self.priors.hypotheses)

    @property
    def outcome(self) -> str:
        return self.priors.outcome

    @property
    def question(self) -> str:
        return self.priors.question

    @property
    def prior(self) -> np.ndarray:
        """Prior probabilities, in hypothesis order."""
        return np.array([h.prior for h in self.priors.hypotheses.values()])

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.evidence)

    def correlation(self, group: str) -> float:
        """rho of a dependence group (0.5 when priors.yaml does not define it)."""
        spec = self.priors.groups.get(group)
        return spec.correlation if spec is not None else DEFAULT_CORRELATION

    # -- editing (what-if analysis); each returns a new validated scenario
    def replace_evidence(self, evidence: Iterable[EvidenceItem | dict]) -> Scenario:
        """The same priors with another evidence list (validated)."""
        data = self.to_dict()
        data["evidence"] = [
            e.model_dump(mode="json", exclude_none=True) if isinstance(e, EvidenceItem) else e
            for e in evidence
        ]
        return Scenario.from_dict(data)

    def without(self, *ids: str) -> Scenario:
        """The scenario with the named evidence items left out."""
        unknown = set(ids) - set(self.ids)
        if unknown:
            raise KeyError(f"no evidence item {sorted(unknown)}")
        return self.replace_evidence(e for e in self.evidence if e.id not in ids)

    def with_item(self, item: EvidenceItem | dict) -> Scenario:
        """The scenario with one more evidence item."""
        return self.replace_evidence([*self.evidence, item])

    def updated(self, id: str, **changes: Any) -> Scenario:
        """The scenario with fields of one item changed, e.g. ``reliability=0.5``."""
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
        for err in exc.errors():
            problems.append(_problem_from_pydantic(model, file, err))
        return None


def _problem_from_pydantic(model: type[BaseModel], file: str, err: dict) -> Problem:
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
    if kind in {"value", "reliability", "prior_sum"}:
        pass
    elif kind.startswith("date") or (loc and loc[-1] == "date"):
        msg = f"expected a date YYYY-MM-DD, got {err.get('input')!r}"
    elif kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    else:
        msg = f"{msg[0].lower()}{msg[1:]}, got {err.get('input')!r}"
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


def _read_csv(path: Path, problems: list[Problem]) -> list[tuple[str, Any]]:
    """Rows of an evidence table as ``(where, raw dict)``; columns as in the YAML files."""
    fields = list(EvidenceItem.model_fields)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(str(path), "", "is not UTF-8 text"))
        return []
    reader = csv.DictReader(text.splitlines(keepends=True))  # keeps newlines inside quotes
    header = reader.fieldnames or []
    if not header:
        problems.append(Problem(str(path), "", "is empty; expected a header row"))
        return []
    ok = True
    for col in header:
        if col in fields and col != "likelihoods":
            continue
        if col.startswith("likelihood.") and col != "likelihood.":
            continue
        allowed = [f for f in fields if f != "likelihoods"] + ["likelihood.<hypothesis>"]
        problems.append(
            Problem(str(path), f"column '{col}'", f"unknown column{_suggest(col, allowed)}")
        )
        ok = False
    if not ok:
        return []
    rows = []
    for row in reader:
        line_no = reader.line_num  # the line in the file, also after blank lines
        if None in row:
            problems.append(
                Problem(str(path), f"row {line_no}", "has more cells than the header has columns")
            )
            continue
        raw: dict[str, Any] = {}
        lik: dict[str, str] = {}
        for col, cell in row.items():
            cell = (cell or "").strip()
            if not cell:
                continue
            if col.startswith("likelihood."):
                lik[col.removeprefix("likelihood.")] = cell
            else:
                raw[col] = cell
        if not raw and not lik:
            continue  # blank line
        raw["likelihoods"] = lik
        rows.append((f"{path} row {line_no}", raw))
    return rows


def _evidence_files(folder: Path) -> list[Path]:
    files = [
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in {".yaml", ".yml", ".csv"}
        and not p.name.startswith((".", "_"))
    ]
    return sorted(files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_scenario(
    priors: str | Path = "priors.yaml", evidence: str | Path = "evidence"
) -> Scenario:
    """Read and validate a scenario from its files.

    Parameters
    ----------
    priors : str or Path
        The priors file (``priors.yaml``).
    evidence : str or Path
        The evidence folder: every ``*.yaml``/``*.yml`` file is one item, every ``*.csv``
        a table of items. Files starting with ``.`` or ``_`` are ignored.

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

    parsed_priors = None
    if not priors_path.is_file():
        problems.append(Problem(str(priors_path), "", "file not found"))
    else:
        files[str(priors_path)] = _sha256(priors_path)
        try:
            raw = load_yaml(priors_path)
        except YamlError as exc:
            problems.append(Problem(str(priors_path), "", str(exc)))
        else:
            parsed_priors = _validate(Priors, raw, str(priors_path), problems)

    items: list[tuple[str, EvidenceItem | None]] = []
    csv_rows: set[str] = set()
    if not evidence_dir.is_dir():
        problems.append(Problem(str(evidence_dir), "", "evidence folder not found"))
    else:
        for path in _evidence_files(evidence_dir):
            files[str(path)] = _sha256(path)
            if path.suffix.lower() == ".csv":
                rows = _read_csv(path, problems)
                csv_rows.update(where for where, _ in rows)
            else:
                try:
                    rows = [(str(path), load_yaml(path))]
                except YamlError as exc:
                    problems.append(Problem(str(path), "", str(exc)))
                    continue
            for where, raw in rows:
                items.append((where, _validate(EvidenceItem, raw, where, problems)))
    try:
        return _assemble(parsed_priors, items, files, problems)
    except ScenarioError as exc:
        if not csv_rows:
            raise
        raise ScenarioError(
            _csv_column(p) if p.file in csv_rows else p for p in exc.problems
        ) from None


def _csv_column(problem: Problem) -> Problem:
    """A problem in a CSV row names the column (``likelihood.<h>``), not the YAML field."""
    if not problem.field:
        return problem
    head, _, rest = problem.field.partition(".")
    column = f"likelihood.{rest or '<hypothesis>'}" if head == "likelihoods" else problem.field
    return Problem(problem.file, f"column '{column}'", problem.message)


def _assemble(
    priors: Priors | None,
    items: list[tuple[str, EvidenceItem | None]],
    files: dict[str, str],
    problems: list[Problem],
) -> Scenario:
    """Cross-file checks, then the Scenario (or every problem at once)."""
    seen: dict[str, str] = {}
    for where, item in items:
        if item is None:
            continue
        if item.id in seen:
            problems.append(
                Problem(where, "id", f"duplicate id '{item.id}' (also in {seen[item.id]})")
            )
        else:
            seen[item.id] = where
        if priors is None:
            continue
        names = list(priors.hypotheses)
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
    if problems:
        raise ScenarioError(problems)
    assert priors is not None
    return Scenario(priors=priors, evidence=tuple(i for _, i in items if i), files=files)


# ----------------------------------------------------------------------------- templates
_TEMPLATE = """\
# Evidence item {id}: one file per item.  Fields: see README.md ("Evidence files").
# Until you edit the likelihoods this item is neutral (all 1) and changes nothing.
id: {id}
date: {today}              # YYYY-MM-DD: when the item became known
title: "TODO: a short title"
source: "TODO: who reported it"
reliability: F                 # Admiralty A-F (A .95 B .80 C .60 D .40 E .20 F .50) or a number in (0, 1]
# group: some-group            # items sharing a group are not independent (see priors.yaml groups:)
# url: https://...
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

    Parameters
    ----------
    id : str
        The new item's id (letters, digits, ``-``, ``_``, ``.``).
    evidence : str or Path
        The evidence folder (created if missing).
    hypotheses : iterable of str
        Hypothesis names to list under ``likelihoods`` (each at 1, i.e. neutral).
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
    if not _ID.match(id):
        raise ValueError(f"id {id!r} may use only letters, digits, '-', '_' and '.'")
    folder = Path(evidence)
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".yaml", ".yml"):
        if (folder / f"{id}{suffix}").exists():
            raise FileExistsError(f"{folder / (id + suffix)} exists; not overwritten")
    names = list(hypotheses) or ["hypothesis_a", "hypothesis_b"]
    lines = "\n".join(
        f"  {n}: 1                 # a number or a 90% interval [lo, hi]" for n in names
    )
    text = _TEMPLATE.format(id=id, today=(today or dt.date.today()).isoformat(), likelihoods=lines)
    path = folder / f"{id}.yaml"
    with open(path, "x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
        fh.write(text)
    return path
