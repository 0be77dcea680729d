"""Bidirectional-text controls in analysts' text, isolated for HTML and SVG output.

A right-to-left override (U+202E) in a title or a name reverses the text after it, up to the
end of the paragraph: in report.html or a chart it could make "invasion 80%" read otherwise
("Trojan Source", CVE-2021-42574). :func:`isolate` keeps the analyst's text as written but
closes every embedding, override and isolate it opens, drops closers it never opened, and
wraps it in a first-strong isolate (U+2068 ... U+2069): whatever it holds, its effect ends
with it. Text without such controls is returned unchanged (Hebrew and Arabic text needs none).

>>> isolate("plain")
'plain'
>>> isolate("a\u202eb") == "\u2068a\u202eb\u202c\u2069"
True
"""

from __future__ import annotations

__all__ = ["BIDI_CONTROLS", "isolate", "without_controls"]

_OPENS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c"}
_OPENS |= {"\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}
BIDI_CONTROLS = frozenset(_OPENS) | {"\u202c", "\u2069"}
"""Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069)."""


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
