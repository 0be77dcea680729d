"""Analyst text made safe to echo: :func:`printable` (the one sanitiser), short quotes, suggestions."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from typing import Any

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


def show(value: Any, limit: int = 120) -> str:
    """``repr(value)`` for an error message, cut short."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def control(text: str) -> str | None:
    """Return the first control character in ``text`` as ``U+XXXX``, or None."""
    for ch in text:
        if unicodedata.category(ch) == "Cc" or ch in _BIDI:
            return f"U+{ord(ch):04X}"
    return None


def suggest(word: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    word = str(word)
    if len(word) > 100:  # difflib is quadratic; nothing that long is a typo of a name
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
