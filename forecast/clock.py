"""The time written into results and reports, reproducible on request.

``SOURCE_DATE_EPOCH`` (the reproducible-builds convention: whole seconds since 1970-01-01 UTC),
when set, replaces the wall clock, so that two runs of the same inputs write the same bytes
(``forecast portfolio`` stamps every folder's run with the portfolio's start: :func:`fixed`).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
from collections.abc import Iterator

__all__ = ["EPOCH_VARIABLE", "fixed", "now", "stamp"]

EPOCH_VARIABLE = "SOURCE_DATE_EPOCH"
_FIXED: contextvars.ContextVar[int | None] = contextvars.ContextVar("forecast_epoch", default=None)


@contextlib.contextmanager
def fixed(epoch: int) -> Iterator[None]:
    """Within the block, :func:`now` is ``epoch`` (seconds since 1970 UTC), in this thread only.

    How ``forecast portfolio`` stamps every folder's run with the portfolio's start.

    Examples
    --------
    >>> with fixed(0):
    ...     stamp()
    '1970-01-01T00:00:00+00:00'
    """
    token = _FIXED.set(int(epoch))
    try:
        yield
    finally:
        _FIXED.reset(token)


def now() -> dt.datetime:
    """The current time in UTC, or ``SOURCE_DATE_EPOCH`` when it is set to whole seconds.

    A value that is not a whole number of seconds (or out of range) is ignored.

    Examples
    --------
    >>> os.environ["SOURCE_DATE_EPOCH"] = "0"  # doctest: +SKIP
    >>> now().isoformat()  # doctest: +SKIP
    '1970-01-01T00:00:00+00:00'
    """
    epoch = _FIXED.get()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.UTC)
    text = os.environ.get(EPOCH_VARIABLE, "").strip()
    if text.isdigit():
        try:
            return dt.datetime.fromtimestamp(int(text), dt.UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return dt.datetime.now(dt.UTC)


def stamp() -> str:
    """:func:`now` as ISO 8601 to the second, e.g. ``2026-12-06T03:47:58+00:00``."""
    return now().isoformat(timespec="seconds")
