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

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import Problem, ScenarioError
from .inputs.fields import (
    NAME,
    Date,
    Interval,
    Likelihood,
    PriorProbability,
    Probability,
    Reliability,
    check_id,
)
from .inputs.files import (
    evidence_folder,
    folder_files,
    input_hashes,
    linked_evidence,
    read_file,
    scenario_file,
)
from .inputs.limits import ADMIRALTY, DEFAULT_CORRELATION, LIMITS, PRIOR_SUM_TOLERANCE, TEXT_FIELDS
from .inputs.models import (
    EvidenceItem,
    Group,
    Hypothesis,
    Priors,
    Resolution,
    Retraction,
    StrictModel,
    validate_model,
)
from .inputs.tables import csv_problems, read_table
from .inputs.template import TEMPLATE_README_SECTION, new_evidence
from .inputs.text import printable, suggest
from .yamlsafe import MAX_BYTES, YamlError, load_yaml, parse_yaml

__all__ = [
    "ADMIRALTY",
    "DEFAULT_CORRELATION",
    "Date",
    "EvidenceItem",
    "Group",
    "Hypothesis",
    "Interval",
    "LIMITS",
    "Likelihood",
    "PRIOR_SUM_TOLERANCE",
    "PriorProbability",
    "Priors",
    "Probability",
    "Problem",
    "Reliability",
    "Resolution",
    "Retraction",
    "Scenario",
    "ScenarioError",
    "StrictModel",
    "TEMPLATE_README_SECTION",
    "TEXT_FIELDS",
    "check_id",
    "folder_files",
    "hypothesis_names",
    "input_hashes",
    "load_scenario",
    "new_evidence",
    "printable",
    "read_file",
    "read_table",
    "suggest",
    "validate_model",
]


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
        priors = validate_model(Priors, data.get("priors"), f"{name} priors", problems)
        items = [
            (
                f"{name} evidence[{i}]",
                validate_model(EvidenceItem, raw, f"{name} evidence[{i}]", problems),
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
    why = scenario_file(priors_path, roots[:1])
    if why is not None:
        problems.append(Problem(str(priors_path), "", why))
    elif (got := read_file(priors_path, MAX_BYTES, problems)) is not None:
        files[str(priors_path)] = got[0]
        try:
            raw = parse_yaml(got[1], text_keys=TEXT_FIELDS)
        except YamlError as exc:
            problems.append(Problem(str(priors_path), "", str(exc)))
        else:
            parsed_priors = validate_model(Priors, raw, str(priors_path), problems)
    hypotheses = list(parsed_priors.hypotheses) if parsed_priors else []

    items: list[tuple[str, EvidenceItem | None]] = []
    csv_rows: set[str] = set()
    ignored: list[tuple[str, str]] = []
    linked = None if named else linked_evidence(evidence_dir, priors_path)
    if linked is not None:
        problems.append(Problem(str(evidence_dir), "", linked))
    elif not evidence_dir.is_dir():
        what = "is a file, not a folder" if evidence_dir.exists() else "not found"
        problems.append(Problem(str(evidence_dir), "", f"evidence folder {what}"))
    else:
        folder = evidence_folder(evidence_dir, roots, problems)
        ignored = folder.ignored
        for path in folder.read:
            is_csv = path.suffix.lower() == ".csv"
            got = read_file(path, LIMITS["csv_bytes"] if is_csv else MAX_BYTES, problems)
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
                items.append((where, validate_model(EvidenceItem, raw, where, problems)))
    try:
        return _assemble(parsed_priors, items, files, problems, ignored=ignored)
    except ScenarioError as exc:
        if not csv_rows:
            raise
        raise ScenarioError(csv_problems(exc.problems, csv_rows)) from None


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
                        f"unknown hypothesis '{name}'{suggest(name, names)}"
                        f" (hypotheses: {', '.join(names)})",
                    )
                )
        if item.group is not None and item.group not in priors.groups:
            hint = suggest(item.group, priors.groups)
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
    if scenario_file(path, [path.parent.resolve()]) is not None:
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
        if isinstance(h, str) and len(h) <= LIMITS["name"] and NAME.fullmatch(h)
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
