"""The one writer every CSV output goes through, with spreadsheet formula injection neutralised.

A spreadsheet opening a CSV file runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as
a formula (and some also after a leading tab or carriage return). Question, folder, evidence
and indicator names are analysts' text, so every *text* cell starting with one of these
characters is written with a leading ``'`` (OWASP, "CSV Injection"): the spreadsheet shows the
text and runs nothing. Numbers are written as numbers (``-0.25`` stays a number); a text cell
is changed only when it starts with one of the six characters.

>>> neutralise("=1+2")
"'=1+2"
>>> neutralise("-0.5 points")
"'-0.5 points"
>>> neutralise("invasion")
'invasion'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .outdir import atomic_write

__all__ = ["FORMULA_START", "neutralise", "neutralised", "write_csv"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is written with a leading ``'``."""


def neutralise(text: str) -> str:
    """Return ``text`` with a leading ``'`` when a spreadsheet would read it as a formula.

    Parameters
    ----------
    text : str
        A text cell.

    Returns
    -------
    str
        ``"'" + text`` when ``text`` starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
        return; ``text`` unchanged otherwise.

    Examples
    --------
    >>> neutralise("@SUM(A1)")
    "'@SUM(A1)"
    """
    return "'" + text if text.startswith(FORMULA_START) else text


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells and column names are :func:`neutralise`-d.

    Only cells holding ``str`` are changed (numbers, booleans and missing values are kept).

    Examples
    --------
    >>> frame = neutralised(pd.DataFrame({"scenario": ["=cmd"], "p": [-0.5]}))
    >>> frame["scenario"].tolist(), frame["p"].tolist()
    (["'=cmd"], [-0.5])
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(
    frame: pd.DataFrame, path: str | Path, *, header: Sequence[str] = (), **options: Any
) -> Path:
    """Write ``frame`` to ``path`` atomically, text cells neutralised; returns ``path``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (its index is not written).
    path : str or Path
        The CSV file; written through a temporary file beside it and renamed into place.
    header : sequence of str
        Lines written before the table (each already starting with ``#``: comments that
        ``pandas.read_csv(path, comment="#")`` skips).
    **options
        Passed to :meth:`pandas.DataFrame.to_csv` (e.g. ``float_format="%.6f"``).

    Examples
    --------
    >>> write_csv(pd.DataFrame({"scenario": ["+x"]}), "scores.csv")  # doctest: +SKIP
    PosixPath('scores.csv')
    """
    path = Path(path)
    safe = neutralised(frame)

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.writelines(f"{line}\n" for line in header)
            safe.to_csv(fh, index=False, **options)

    atomic_write(path, write)
    return path
