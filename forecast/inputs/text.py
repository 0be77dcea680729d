r"""Analyst text made safe to show: the one home of text cleaning.

- :func:`printable` (the one sanitiser): one terminal line, control characters written as
  ``\xNN``/``\uNNNN``; :func:`printable_lines`: the same line by line (the commands' text).
- :func:`without_controls` and :func:`for_matplotlib`: text for the charts (bidirectional
  controls dropped, a ``$`` escaped).
- :func:`isolate`: text for HTML and SVG whose bidirectional controls cannot reach beyond it.
- :func:`show` (short quotes for error messages), :func:`control`, :func:`suggest`.

A right-to-left override (U+202E) in a title or a name reverses the text after it, up to the
end of the paragraph: in report.html or a chart it could make "invasion 80%" read otherwise
("Trojan Source", CVE-2021-42574). :func:`isolate` keeps the analyst's text as written but
closes every embedding, override and isolate it opens, drops closers it never opened, and
wraps it in a first-strong isolate (U+2068 ... U+2069): whatever it holds, its effect ends
with it. Text without such controls is returned unchanged (Hebrew and Arabic text needs none).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from typing import Any

__all__ = [
    "BIDI_CONTROLS",
    "control",
    "for_matplotlib",
    "isolate",
    "printable",
    "printable_lines",
    "show",
    "suggest",
    "without_controls",
]

_OPENS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c"}
_OPENS |= {"\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}
BIDI_CONTROLS = frozenset(_OPENS) | {"\u202c", "\u2069"}
"""Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)."""
_BIDI = BIDI_CONTROLS | frozenset("\u061c\u200e\u200f\u2028\u2029")
# what printable also escapes: the bidirectional marks and the line and paragraph separators


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


def printable_lines(text: Any) -> str:
    r"""Analyst text for the terminal, line by line: :func:`printable` of each line, uncut.

    Examples
    --------
    >>> printable_lines("first\x1b[2J\nsecond\u202e")
    'first\\x1b[2J\nsecond\\u202e'
    """
    return "\n".join(printable(line, 100_000) for line in str(text).splitlines())


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


# ----------------------------------------------------------------------------- bidi
def isolate(text: str) -> str:
    """Return ``text`` whose bidirectional controls cannot reach beyond it.

    Parameters
    ----------
    text : str
        Analyst text (a question, a title, a name).

    Returns
    -------
    str
        ``text`` unchanged when it holds no control of :data:`BIDI_CONTROLS`; else wrapped in
        U+2068 ... U+2069, every control it opens closed at its end, closers without an
        opener dropped.

    Examples
    --------
    >>> isolate("\u2069\u202eevil") == "\u2068\u202eevil\u202c\u2069"
    True
    """
    if BIDI_CONTROLS.isdisjoint(text):
        return text
    out: list[str] = []
    open_: list[str] = []  # the closer each open control needs, innermost last
    for char in text:
        if char in _OPENS:
            open_.append(_OPENS[char])
        elif char == "\u202c":  # PDF closes the innermost embedding, not an isolate
            if not open_ or open_[-1] != "\u202c":
                continue
            open_.pop()
        elif char == "\u2069":  # PDI closes the innermost isolate and what is open inside it
            if "\u2069" not in open_:
                continue
            while open_.pop() != "\u2069":
                pass
        out.append(char)
    return "\u2068" + "".join(out) + "".join(reversed(open_)) + "\u2069"


def without_controls(text: str) -> str:
    """Return ``text`` without the controls of :data:`BIDI_CONTROLS` (for the charts).

    matplotlib draws text in the order it is stored (no bidirectional algorithm), and its fonts
    have no glyph for these controls, while an SVG viewer would apply them: dropped, the
    PNG is unchanged and the SVG shows what the PNG shows.

    Examples
    --------
    >>> without_controls("a\u202eb")
    'ab'
    """
    if BIDI_CONTROLS.isdisjoint(text):
        return text
    return "".join(c for c in text if c not in BIDI_CONTROLS)


def for_matplotlib(text: Any) -> str:
    r"""User text for matplotlib: bidirectional controls dropped, a ``$`` escaped (no mathtext).

    Examples
    --------
    >>> for_matplotlib("costs $5 \u202eor $6")
    'costs \\$5 or \\$6'
    """
    return without_controls(str(text)).replace("$", r"\$")
