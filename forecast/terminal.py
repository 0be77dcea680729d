r"""What the commands print, made safe for a terminal whatever the analyst's text holds.

Folder names, questions and titles reach the terminal in many messages. Rather than trusting
each ``print``, :func:`safe_terminal` wraps ``sys.stdout`` and ``sys.stderr`` for the length
of a command: control characters (escape sequences, C1 controls, NUL) and bidirectional
controls are written as ``\xNN``/``\uNNNN``; line breaks, tabs and the carriage return of a
progress line stay. A terminal that cannot show a character (``PYTHONIOENCODING=ascii``, a C
locale) gets it as ``\uNNNN`` instead of an error that would lose the run.

>>> with safe_terminal():  # doctest: +SKIP
...     print("folder \x1b]0;owned\x07")
folder \x1b]0;owned\x07
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from .inputs.text import BIDI_CONTROLS

__all__ = ["ESCAPES", "safe_terminal"]

_CONTROLS = [c for c in range(32) if chr(c) not in "\n\r\t"] + [127, *range(0x80, 0xA0)]
ESCAPES = {c: f"\\x{c:02x}" for c in _CONTROLS} | {
    ord(c): f"\\u{ord(c):04x}" for c in BIDI_CONTROLS
}
"""The characters written escaped (a :meth:`str.translate` table)."""


class _Escaped:
    """A text stream writing through to ``stream`` with :data:`ESCAPES` applied."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(text.translate(ESCAPES))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _tolerant(stream: TextIO) -> None:
    """Characters the stream's encoding lacks written as escapes, not an error."""
    with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation):
        stream.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]


@contextlib.contextmanager
def safe_terminal() -> Iterator[None]:
    """Wrap ``sys.stdout`` and ``sys.stderr`` (:data:`ESCAPES`) while the block runs.

    Examples
    --------
    >>> with safe_terminal():  # doctest: +SKIP
    ...     main(["score", "a"])
    """
    before = sys.stdout, sys.stderr
    for stream in before:
        _tolerant(stream)
    sys.stdout, sys.stderr = _Escaped(before[0]), _Escaped(before[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = before
