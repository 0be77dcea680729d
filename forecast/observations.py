"""Recording an indicator as seen or not seen: the evidence item it becomes (``forecast observe``).

An indicator (:mod:`forecast.indicators`) says how likely a sign is under each hypothesis; once
it is seen, or its date passes without it, it becomes an evidence item whose likelihoods are
``P(seen | h)`` or ``1 - P(seen | h)``. :func:`observe` writes that item as
``evidence/<id>.yaml``, checked to read back before anything is written.

>>> observe("putin-signs-recognition", True, scenario=load_scenario())  # doctest: +SKIP
PosixPath('evidence/putin-signs-recognition.yaml')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .errors import Problem, ScenarioError
from .indicators import Indicator, load_indicators
from .inputs.limits import LIMITS, TEXT_FIELDS
from .inputs.models import validate_model
from .inputs.text import suggest
from .scenario import EvidenceItem, Scenario
from .yamlsafe import YamlError, parse_yaml

__all__ = ["indicator_evidence", "observe", "records_not_seen", "seen_in_time", "seen_late"]


def indicator_evidence(
    indicator: Indicator,
    seen: bool,
    date: dt.date | None = None,
    event_date: dt.date | None = None,
) -> dict[str, Any]:
    """The evidence item that records an indicator as seen (or not seen by its date).

    Likelihoods are ``p_seen`` (seen) or ``1 - p_seen`` (not seen; an interval
    ``[lo, hi]`` becomes ``[1 - hi, 1 - lo]``). As evidence, an interval is read as a
    log-normal likelihood, not a logit-normal probability: docs/model.md says how far that
    moves the result from the prediction of :func:`watch`. ``event_date``: when it was seen,
    if before ``date`` (on or before ``by``, it counts as seen in time: :func:`seen_in_time`).
    """

    def flip(v):
        if not seen:
            return [1.0 - v[1], 1.0 - v[0]] if isinstance(v, tuple) else 1.0 - v
        return list(v) if isinstance(v, tuple) else v

    return {
        "id": indicator.id,
        "date": (date or dt.date.today()).isoformat(),
        "title": _cut(
            indicator.title if seen else f"Not seen by {indicator.by}: {indicator.title}",
            LIMITS["title"],
        ),
        "likelihoods": {h: flip(v) for h, v in indicator.p_seen.items()},
        "rationale": indicator.rationale,
        **({"event_date": event_date.isoformat()} if event_date is not None else {}),
    }


def records_not_seen(indicator: Indicator, item: EvidenceItem) -> bool:
    """Whether an item records its indicator as *not* seen.

    Its likelihoods are nearer (on the log scale, up to a common factor) to ``1 - p_seen`` than
    to ``p_seen``, as ``forecast observe --not-seen`` writes them (intervals by their midpoints;
    a hypothesis the item does not name has likelihood 1).

    Examples
    --------
    >>> records_not_seen(indicator, item)  # doctest: +SKIP
    False
    """
    hyps = list(indicator.p_seen)

    def mid(v: float | tuple[float, float]) -> float:
        return float(np.mean(v)) if isinstance(v, tuple) else float(v)

    q = np.array([mid(indicator.p_seen[h]) for h in hyps])
    lik = np.log(np.maximum([mid(item.likelihoods.get(h, 1.0)) for h in hyps], 1e-300))

    def gap(ref: np.ndarray) -> float:
        d = lik - np.log(ref)
        return float(np.sum((d - d.mean()) ** 2))

    return gap(1.0 - q) < gap(q)


def seen_in_time(indicator: Indicator, item: EvidenceItem) -> bool:
    """Whether the item recording an indicator counts as seen in time (docs/model.md, Time).

    It happened on or before the indicator's ``by``: its ``event_date`` when given, else its
    ``date`` (when it became known). A record of "not seen" is in time whatever its date: it
    says what happened by ``by``.

    Examples
    --------
    >>> seen_in_time(indicator, item.model_copy(update={"event_date": indicator.by}))  # doctest: +SKIP
    True
    """
    return (item.event_date or item.date) <= indicator.by or records_not_seen(indicator, item)


def seen_late(indicators: Iterable[Indicator], scenario: Scenario) -> list[dict[str, str]]:
    """The indicators recorded as seen, but after their date: they did not happen in time.

    One ``{"indicator_id", "by", "date"}`` per indicator whose item (in ``scenario``) records it
    as seen with neither its ``event_date`` nor its ``date`` on or before ``by``: its likelihoods
    ``P(seen by "by" | h)`` do not describe what was seen. Give its ``event_date`` if it
    happened by then; else it lapsed and is "not seen by its date".

    Examples
    --------
    >>> seen_late(load_indicators("indicators", scenario), scenario)  # doctest: +SKIP
    [{'indicator_id': 'x', 'by': '2022-02-20', 'date': '2022-02-25'}]
    """
    items = {e.id: e for e in scenario.evidence}
    return [
        {"indicator_id": i.id, "by": i.by.isoformat(), "date": items[i.id].date.isoformat()}
        for i in indicators
        if i.id in items and not seen_in_time(i, items[i.id])
    ]


def observe(
    indicator_id: str,
    seen: bool,
    *,
    indicators: str | Path = "indicators",
    evidence: str | Path = "evidence",
    scenario: Scenario,
    date: dt.date | None = None,
    event_date: dt.date | None = None,
) -> Path:
    """Write ``evidence/<id>.yaml`` recording an indicator as seen or not seen.

    ``date`` is when it became known (default today), ``event_date`` when it was seen, if
    earlier (refused after ``date``, like any item's).

    The indicator's file is left where it is (:func:`watch` skips indicators whose id is
    already an evidence item). Nothing is overwritten.

    Raises
    ------
    KeyError
        No indicator with that id.
    FileExistsError
        ``evidence/<id>.yaml`` (or ``.yml``) exists, or the id is already an evidence item.

    Examples
    --------
    >>> observe("putin-signs-recognition", True, scenario=load_scenario())  # doctest: +SKIP
    PosixPath('evidence/putin-signs-recognition.yaml')
    """
    found = {i.id: i for i in load_indicators(indicators, scenario)}
    if indicator_id not in found:
        raise KeyError(
            f"no indicator '{indicator_id}' in {indicators}{suggest(indicator_id, found)}"
        )
    folder = Path(evidence)
    for suffix in (".yaml", ".yml"):
        if (folder / f"{indicator_id}{suffix}").exists():
            raise FileExistsError(f"{folder / (indicator_id + suffix)} exists; not overwritten")
    if indicator_id in scenario.ids:
        raise FileExistsError(f"'{indicator_id}' is already an evidence item; not recorded twice")
    item = indicator_evidence(found[indicator_id], seen, date, event_date)
    text = _evidence_yaml(item, found[indicator_id], seen, Path(indicators))
    path = folder / f"{indicator_id}.yaml"
    _check_written(text, path, scenario)  # what is written must read back
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
        fh.write(text)
    return path


def _check_written(text: str, path: Path, scenario: Scenario) -> None:
    """Refuse (ScenarioError, nothing written) an evidence file that would not validate."""
    from .scenario import EvidenceItem

    problems: list[Problem] = []
    try:
        raw = parse_yaml(text, text_keys=TEXT_FIELDS)
    except YamlError as exc:
        raise ScenarioError([Problem(str(path), "", f"would not read back: {exc}")]) from None
    item = validate_model(EvidenceItem, raw, str(path), problems)
    if item is not None and set(item.likelihoods) - set(scenario.hypotheses):
        problems.append(Problem(str(path), "likelihoods", "names a hypothesis not in priors"))
    if problems:
        raise ScenarioError(problems)


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters (cut with an ellipsis)."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _quoted(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def _evidence_yaml(item: dict, indicator: Indicator, seen: bool, folder: Path) -> str:
    what = "seen" if seen else f"not seen by {indicator.by}"
    lines = [
        f"# Recorded with 'forecast observe {indicator.id} --{'seen' if seen else 'not-seen'}'"
        f" from the indicator in {folder}/:",
        f"# {what}. Likelihoods: P(seen | h) {'as given' if seen else 'as 1 - P(seen | h)'}.",
        "# TODO (analyst): fill in the source and the quote this rests on; set reliability.",
        f"id: {_quoted(item['id'])}",  # quoted: an id "null" or "1e3" stays text
        f"date: {item['date']}",
        *([f"event_date: {item['event_date']}"] if "event_date" in item else []),
        f"title: {_quoted(item['title'])}",
        'source: "TODO: who reported it (left for the analyst)"',
        "# quote: the words the sighting rests on (left for the analyst)",
        "likelihoods:",
    ]
    for h, v in item["likelihoods"].items():
        value = f"[{v[0]!r}, {v[1]!r}]" if isinstance(v, list) else repr(v)
        lines.append(f"  {h}: {value}")
    rationale = (
        f"Indicator '{indicator.id}' ({indicator.title}), {what}. " + (indicator.rationale or "")
    ).strip()
    lines.append(f"rationale: {_quoted(_cut(rationale, LIMITS['text']))}")
    return "\n".join(lines) + "\n"
