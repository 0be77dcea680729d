"""The template of a new evidence item (``forecast new-evidence``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from .fields import check_id

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
    check_id(id)
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
