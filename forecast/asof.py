"""What was known when: the as-of day, the rows of the trajectory, retractions (docs/model.md).

Every run is as of a day ``A`` (:func:`resolve_as_of`): items dated after it are left out.
The trajectory's rows (:func:`timeline_rows`) are the prior (dated ``opened``), one row per
item, one per retraction (on its date) and, when ``A`` is later than the last of those, an
``(as of A)`` row; in date order, on one day items by id, then retractions by id, then the
as-of row.

A retraction makes the item count as never seen from its date on. So every row is a step of
an *epoch*: the scenario without the items retracted so far (:func:`epochs`). Epoch 0 has every
known item; epoch ``j`` lacks the first ``j`` retractions (in row order). The numbers of a row
are those of its epoch's step, with "no event by the row's day" as one more likelihood term
(:mod:`forecast.timing`); they are computed in :mod:`forecast.time_numbers`.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .scenario import Scenario
from .timing import MAX_WINDOW_DAYS

__all__ = [
    "AS_OF_ROW",
    "ROW_KINDS",
    "AsOf",
    "Rows",
    "epochs",
    "parse_day",
    "resolve_as_of",
    "result_sizes",
    "retractions",
    "row_ids",
    "timeline_rows",
]

ROW_KINDS = ("prior", "item", "retracted", "as_of")
"""The kinds of trajectory row (column ``row`` of trajectory.csv)."""
AS_OF_ROW = "(as of {day})"
"""The ``evidence_id`` shown for the as-of row."""


@dataclass(frozen=True)
class AsOf:
    """The as-of day of a run and what it leaves out.

    Attributes
    ----------
    day : date or None
        ``A``; None when the scenario has neither ``opened`` nor items (and none was given).
    known : Scenario
        The items dated on or before ``A`` (retractions dated after ``A`` still in their
        records but not applied: see :func:`epochs`).
    left_out : tuple of str
        The ids of the items dated after ``A``, in update order.
    given : bool
        True when ``A`` was given (``--as-of``), False for the default.
    """

    day: dt.date | None
    known: Scenario
    left_out: tuple[str, ...]
    given: bool


def parse_day(value: str | dt.date, today: dt.date | None = None) -> dt.date:
    """The day ``--as-of`` names: a date, ``"YYYY-MM-DD"`` or ``"today"``.

    Raises
    ------
    InputError
        Anything else, naming ``--as-of``.

    Examples
    --------
    >>> parse_day("2022-02-16")
    datetime.date(2022, 2, 16)
    >>> parse_day("today", dt.date(2022, 3, 1))
    datetime.date(2022, 3, 1)
    """
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if text.lower() == "today":
        return today or dt.date.today()
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--as-of: expected a date YYYY-MM-DD or 'today', got {text[:40]!r}"
        ) from None


def resolve_as_of(
    scenario: Scenario, as_of: str | dt.date | None = None, *, today: dt.date | None = None
) -> AsOf:
    """The as-of day ``A`` of a run, and the scenario known on it.

    Parameters
    ----------
    scenario : Scenario
    as_of : date, ``"YYYY-MM-DD"``, ``"today"`` or None
        None: the latest item date (items on or after the resolution date, or after the
        deadline, do not count), else ``opened``.
    today : date, optional
        What ``"today"`` means (default: the system's date).

    Raises
    ------
    InputError
        ``A`` before ``opened``, after the deadline, or on or after the resolution date.

    Examples
    --------
    >>> resolve_as_of(scenario, "2022-02-15").left_out  # doctest: +SKIP
    ('biden-sacrosanct-pledge', ...)
    """
    p = scenario.priors
    resolved = p.resolution.date if p.resolution is not None else None
    if as_of is None:
        dates = [
            e.date
            for e in scenario.evidence
            if (resolved is None or e.date < resolved)
            and (p.deadline is None or e.date <= p.deadline)
        ]
        day = max(dates) if dates else p.opened
        if day is not None and p.opened is not None and day < p.opened:
            day = p.opened
    else:
        day = parse_day(as_of, today)
        if p.opened is not None and day < p.opened:
            raise InputError(f"--as-of {day}: before the question opened ({p.opened}, priors.yaml)")
        if p.deadline is not None and day > p.deadline:
            raise InputError(
                f"--as-of {day}: after the deadline ({p.deadline}, priors.yaml); the question "
                "is closed then (use --as-of {p.deadline} for its last day)".replace(
                    "{p.deadline}", str(p.deadline)
                )
            )
        if resolved is not None and day >= resolved:
            raise InputError(
                f"--as-of {day}: on or after the resolution date ({resolved}, priors.yaml "
                f"resolution.date); the last open day is {resolved - dt.timedelta(days=1)}"
            )
    if day is None:
        return AsOf(None, scenario, (), as_of is not None)
    if p.opened is not None and (day - p.opened).days > MAX_WINDOW_DAYS:
        raise InputError(
            f"{'--as-of ' + str(day) if as_of is not None else f'the latest item ({day})'}: "
            f"{(day - p.opened).days:,} days after opened ({p.opened}, priors.yaml); the daily "
            f"series holds at most {MAX_WINDOW_DAYS:,} days: set 'opened:' later or give an "
            "earlier --as-of"
        )
    known = tuple(e for e in scenario.evidence if e.date <= day)
    left = tuple(e.id for e in scenario.evidence if e.date > day)
    # the same files (their hashes name the inputs); a subset of valid items stays valid
    kept = dataclasses.replace(scenario, evidence=known) if left else scenario
    return AsOf(day, kept, left, as_of is not None)


@dataclass(frozen=True)
class Rows:
    """The trajectory's rows as of ``A`` (see the module docstring).

    Attributes
    ----------
    kind : tuple of str
        One of :data:`ROW_KINDS` per row.
    day : tuple of (date or None)
        The row's date (the prior: ``opened``, None without it).
    evidence_id : tuple of str
        The item's id (prior: ``""``; retracted: the retracted item's; as-of: ``(as of A)``).
    epoch, step : (R,) int arrays
        The row's epoch and the step of that epoch's scenario it shows.
    """

    kind: tuple[str, ...]
    day: tuple[dt.date | None, ...]
    evidence_id: tuple[str, ...]
    epoch: np.ndarray
    step: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)


def retractions(known: Scenario, day: dt.date | None) -> list[tuple[dt.date, str]]:
    """``(date, id)`` of the retractions applied by ``day`` (all, if None), in row order."""
    out = [
        (e.retracted.date, e.id)
        for e in known.evidence
        if e.retracted is not None and (day is None or e.retracted.date <= day)
    ]
    return sorted(out)


def epochs(known: Scenario, day: dt.date | None) -> list[Scenario]:
    """The scenario of every epoch: without the first ``j`` retractions applied by ``day``."""
    out = [known]
    gone: set[str] = set()
    for _, item_id in retractions(known, day):
        gone.add(item_id)
        kept = tuple(e for e in known.evidence if e.id not in gone)
        out.append(dataclasses.replace(known, evidence=kept))
    return out


def timeline_rows(known: Scenario, day: dt.date | None) -> Rows:
    """The rows of the trajectory of ``known`` as of ``day`` (see the module docstring).

    Examples
    --------
    >>> timeline_rows(scenario, scenario.evidence[-1].date).kind[:2]  # doctest: +SKIP
    ('prior', 'item')
    """
    retr = retractions(known, day)
    eps = epochs(known, day)
    opened = known.priors.opened
    keys = [[(e.date, e.id) for e in ep.evidence] for ep in eps]
    kind, days, ids, epoch, step = ["prior"], [opened], [""], [0], [0]
    events = [(e.date, 0, e.id) for e in known.evidence] + [(d, 1, i) for d, i in retr]
    applied = 0
    for d, what, item_id in sorted(events):
        if what == 1:
            applied += 1
            kind.append("retracted")
        else:
            kind.append("item")
        ids.append(item_id)
        days.append(d)
        # the epoch's items seen by this row: up to this item (by date, id), or up to the
        # end of the day for a retraction
        key = (d, item_id) if what == 0 else (d, "\U0010ffff")
        epoch.append(applied)
        step.append(bisect.bisect_right(keys[applied], key))
    last = max((d for d in days if d is not None), default=None)
    if day is not None and (last is None or day > last):
        kind.append("as_of")
        days.append(day)
        ids.append(AS_OF_ROW.format(day=day.isoformat()))
        epoch.append(applied)
        step.append(len(eps[applied].evidence))
    return Rows(tuple(kind), tuple(days), tuple(ids), np.array(epoch), np.array(step))


def result_sizes(known: Scenario, as_of: str) -> dict[str, int]:
    """The sizes of a result's time dimensions (``step``, ``day``, ``by_day``).

    ``as_of`` is the result's attribute (``""``: none). Raises ValueError if it is not a date.

    Examples
    --------
    >>> result_sizes(scenario, "2022-02-16")  # doctest: +SKIP
    {'step': 14, 'day': 7, 'by_day': 43}
    """
    day = dt.date.fromisoformat(as_of) if as_of else None
    p = known.priors
    sizes = {"step": len(timeline_rows(known, day)), "day": 0, "by_day": 0}
    if day is not None and p.opened is not None:
        sizes["day"] = (day - p.opened).days + 1
    if day is not None and p.deadline is not None:
        sizes["by_day"] = max((p.deadline - day).days, 0)
    return sizes


def row_ids(known: Scenario, as_of: str) -> list[str]:
    """The ``evidence_id`` of every row of a result as of ``as_of`` (its attribute)."""
    day = dt.date.fromisoformat(as_of) if as_of else None
    return list(timeline_rows(known, day).evidence_id)
