"""Notes on items whose dates sit oddly with the question's ``opened`` and ``resolution``.

An item dated before ``opened`` may already be in what the prior holds (counted twice); an
item dated on or after the resolution is hindsight (``forecast score`` leaves it out, ``run``
applies it). Neither is an error: ``run`` and ``validate`` say so in a note.
"""

from __future__ import annotations

from .scenario import Scenario

__all__ = ["date_notes"]

SHOWN = 10
"""Ids named in one note; the rest are counted."""


def _ids(items) -> str:
    ids = [e.id for e in items]
    more = f" and {len(ids) - SHOWN:,} more" if len(ids) > SHOWN else ""
    return ", ".join(ids[:SHOWN]) + more


def _count(n: int) -> str:
    return f"{n:,} item{'s' if n != 1 else ''}"


def date_notes(scenario: Scenario) -> list[str]:
    """One line per kind of oddly dated item (each naming at most :data:`SHOWN` ids).

    Examples
    --------
    >>> date_notes(load_scenario("priors.yaml", "evidence"))  # doctest: +SKIP
    ['1 item dated before opened (2022-02-12) is applied: too-early; ...']
    """
    p, notes = scenario.priors, []
    if p.opened is not None:
        early = [e for e in scenario.evidence if e.date < p.opened]
        if early:
            notes.append(
                f"{_count(len(early))} dated before opened ({p.opened}) applied: {_ids(early)}; "
                "if the prior already holds what they report, they count twice"
            )
    if p.resolution is not None:
        late = [e for e in scenario.evidence if e.date >= p.resolution.date]
        if late:
            notes.append(
                f"{_count(len(late))} dated on or after the resolution ({p.resolution.date}) "
                f"applied (hindsight; forecast score leaves them out): {_ids(late)}"
            )
    return notes
