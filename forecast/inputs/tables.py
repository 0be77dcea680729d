"""Evidence tables: ``evidence/*.csv`` read into evidence items, every problem named by row and column."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
)

from ..errors import Problem
from .models import EvidenceItem
from .text import suggest

# ----------------------------------------------------------------------------- evidence tables
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class _Columns:
    """How a table's columns map onto a file model.

    Plain fields, one column per hypothesis for the dict field ``mapping`` (``<mapping without
    s>.<hypothesis>``), free-text notes.
    """

    fields: tuple[str, ...]
    mapping: str
    notes: bool

    @classmethod
    def of(cls, model: type[BaseModel], mapping: str) -> _Columns:
        names = tuple(f for f in model.model_fields if f not in {mapping, "notes"})
        return cls(names, mapping, "notes" in model.model_fields)

    @property
    def prefix(self) -> str:
        return f"{self.mapping.removesuffix('s')}."


_RETRACTED_COLUMNS = ("retracted_date", "retracted_reason")
"""CSV columns of an item's ``retracted: {date, reason}``."""
_EVIDENCE_COLUMNS = _Columns(
    tuple(f for f in _Columns.of(EvidenceItem, "likelihoods").fields if f != "retracted")
    + _RETRACTED_COLUMNS,
    "likelihoods",
    True,
)


def _column_key(
    name: str, hypotheses: list[str], columns: _Columns | None = None
) -> tuple[str, str] | None:
    """Return what a CSV header cell names.

    ``(field, "")``, ``("mapping", h)``, ``("note", name)`` or None when unknown. Field names and
    the ``likelihood.`` prefix match in any case; the hypothesis part matches a hypothesis of
    another case when exactly one does.
    """
    columns = columns or _EVIDENCE_COLUMNS
    low, prefix = name.strip().lower(), columns.prefix
    if low in columns.fields:
        return (low, "")
    if low.startswith(prefix) and len(low) > len(prefix):
        h = name.strip()[len(prefix) :].strip()
        same = [x for x in hypotheses if x.lower() == h.lower()]
        return ("mapping", h if h in hypotheses or len(same) != 1 else same[0])
    if columns.notes and low.startswith("note"):
        return ("note", name.strip())
    return None


def _delimiter(header_line: str, hypotheses: list[str], columns: _Columns) -> str:
    """Return the delimiter (``,`` ``;`` or tab) that splits the header into the most known columns.

    Then the most columns; a comma on a tie.
    """

    def score(d: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=d), [])
        return (sum(_column_key(c, hypotheses, columns) is not None for c in cells), len(cells))

    return max(_DELIMITERS, key=score)  # max keeps the first of equals: ',' before ';'


def read_table(
    path: Path,
    text: str,
    problems: list[Problem],
    hypotheses: list[str],
    *,
    model: type[BaseModel] | None = None,
    mapping: str = "likelihoods",
) -> list[tuple[str, Any]]:
    r"""Rows of a table of items as ``(where, raw dict)``; columns as in the YAML files.

    The delimiter is detected (comma, semicolon or tab; in a semicolon table a likelihood or
    reliability written ``0,8`` is 0.8); column names match in any case; columns whose name
    starts with ``note`` are kept as free text (``notes``, where the model has it); unknown
    and repeated columns are refused (recorded in ``problems``).

    Parameters
    ----------
    path : Path
        The file (named in problems and in each row's ``where``).
    text : str
        Its contents.
    problems : list of Problem
        Where problems are recorded.
    hypotheses : list of str
        The hypotheses' names (column names match them in any case).
    model : pydantic model, optional
        The file model whose fields are the columns (default :class:`EvidenceItem`).
    mapping : str
        Its dict field given as one column per hypothesis, ``<mapping without s>.<h>``
        (``likelihood.<h>``; indicators: ``p_seen.<h>``).

    Examples
    --------
    >>> read_table(Path("t.csv"), "id,likelihood.a\nx,2\n", [], ["a"])  # doctest: +SKIP
    [('t.csv row 2', {'id': 'x', 'likelihoods': {'a': '2'}})]
    """
    columns = _EVIDENCE_COLUMNS if model is None else _Columns.of(model, mapping)
    file = str(path)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        problems.append(
            Problem(file, "", f"line {line} holds a NUL character; save the table as UTF-8 CSV")
        )
        return []
    lines = text.splitlines(keepends=True)  # newlines inside quotes are kept by csv
    if not any(line.strip() for line in lines):
        problems.append(Problem(file, "", "is empty; expected a header row"))
        return []
    delimiter = _delimiter(lines[0], hypotheses, columns)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = [c.strip() for c in next(reader)]
    except csv.Error as exc:
        problems.append(Problem(file, "row 1", f"cannot be read as CSV: {exc}"))
        return []
    keys = _header_keys(file, header, hypotheses, columns, problems)
    if keys is None:
        return []
    rows = []
    try:
        for row in reader:
            line_no = reader.line_num  # the line in the file, also after blank lines
            if len(row) > len(header):
                problems.append(
                    Problem(file, f"row {line_no}", "has more cells than the header has columns")
                )
                continue
            cells = _Cells(file, line_no, keys, header, delimiter == ";")
            raw = _row_dict(cells, row, columns, problems)
            if raw is not None:
                rows.append((f"{path} row {line_no}", raw))
    except csv.Error as exc:
        problems.append(
            Problem(
                file,
                f"row {reader.line_num}",
                f"cannot be read as CSV ({exc}); a cell may hold at most "
                f"{csv.field_size_limit():,} characters",
            )
        )
        return []
    return rows


def _header_keys(
    file: str,
    header: list[str],
    hypotheses: list[str],
    columns: _Columns,
    problems: list[Problem],
) -> list[tuple[str, str] | None] | None:
    """Each header column's key (:func:`_column_key`; None: unnamed column).

    None when a column is unknown or repeated (recorded in ``problems``).
    """
    keys: list[tuple[str, str] | None] = []
    seen: dict[tuple[str, str], int] = {}
    allowed = [*columns.fields, *(f"{columns.prefix}{h}" for h in hypotheses or ["<hypothesis>"])]
    ok = True
    for number, col in enumerate(header, start=1):
        key = _column_key(col, hypotheses, columns)
        keys.append(key)
        if not col:
            continue  # an unnamed column must stay empty (checked per row)
        if key is None:
            problems.append(
                Problem(
                    file,
                    f"column '{col}'",
                    f"unknown column{suggest(col.lower(), allowed)} (columns: "
                    f"{', '.join(columns.fields)}, {columns.prefix}<hypothesis>"
                    + (
                        "; a column whose name starts with 'note' is kept as free text)"
                        if columns.notes
                        else ")"
                    ),
                )
            )
            ok = False
            continue
        norm = (key[0], key[1].lower()) if key[0] == "note" else key
        if norm in seen:
            problems.append(
                Problem(
                    file,
                    f"column '{col}'",
                    f"is given twice (columns {seen[norm]} and {number}); keep one",
                )
            )
            ok = False
        seen.setdefault(norm, number)
    return keys if ok else None


@dataclass(frozen=True)
class _Cells:
    """Where a row of :func:`read_table` is and how its cells are read."""

    file: str
    line_no: int
    keys: list[tuple[str, str] | None]
    header: list[str]
    decimal_comma: bool  # a semicolon table: ``0,8`` in a likelihood or reliability is 0.8


def _row_dict(
    cells: _Cells, row: list[str], columns: _Columns, problems: list[Problem]
) -> dict[str, Any] | None:
    """One CSV row as the raw dict of a file item, or None for a blank line."""
    raw: dict[str, Any] = {}
    lik: dict[str, str] = {}
    notes: dict[str, str] = {}
    for key, col, cell in zip(cells.keys, cells.header, row, strict=False):
        cell = cell.strip()
        if not cell:
            continue
        if key is None:
            problems.append(
                Problem(
                    cells.file, f"row {cells.line_no}", f"has a cell in an unnamed column: {col}"
                )
            )
            continue
        if cells.decimal_comma and key[0] in {"mapping", "reliability"}:
            cell = "..".join(
                p.replace(",", ".") if _DECIMAL_COMMA.fullmatch(p.strip()) else p
                for p in cell.split("..")
            )
        if key[0] == "mapping":
            lik[key[1]] = cell
        elif key[0] == "note":
            notes[key[1]] = cell
        else:
            raw[key[0]] = cell
    if not raw and not lik and not notes:
        return None  # blank line
    raw[columns.mapping] = lik
    if notes:
        raw["notes"] = notes
    _nest_retraction(raw)
    return raw


def csv_problems(problems: list[Problem], csv_rows: set[str]) -> list[Problem]:
    """Problems of table rows named after their columns.

    The same problem in many rows of one table (a misspelt column) is one line, naming the
    first rows and how many.
    """
    out: list[Problem] = []
    same: dict[tuple[str, str, str], tuple[int, list[str]]] = {}
    for p in problems:
        if p.file not in csv_rows:
            out.append(p)
            continue
        p = _csv_column(p)
        file, _, row = p.file.rpartition(" row ")
        key = (file, p.field, p.message)
        if key in same:
            same[key][1].append(row)
            continue
        same[key] = (len(out), [row])
        out.append(p)
    for (file, field_, message), (i, rows) in same.items():
        if len(rows) > 1:
            more = f" and {len(rows) - 10:,} more" if len(rows) > 10 else ""
            where = f"{len(rows):,} rows: rows {', '.join(rows[:10])}{more}"
            out[i] = Problem(file, field_, f"{message} ({where})")
    return out


def _nest_retraction(raw: dict[str, Any]) -> None:
    """Columns ``retracted_date``/``retracted_reason`` as ``retracted: {date, reason}``."""
    parts = {c.removeprefix("retracted_"): raw.pop(c) for c in _RETRACTED_COLUMNS if c in raw}
    if parts:
        raw["retracted"] = parts


def _csv_column(problem: Problem) -> Problem:
    """Rename a problem in a CSV row after its column (``likelihood.<h>``), not its YAML field."""
    if not problem.field:
        return problem
    head, _, rest = problem.field.partition(".")
    if head == "likelihoods":
        column = f"likelihood.{rest or '<hypothesis>'}"
    elif head == "notes" and rest:
        column = rest
    elif head == "retracted":
        column = f"retracted_{rest}" if rest else "retracted_date"
    else:
        column = problem.field
    return Problem(problem.file, f"column '{column}'", problem.message)
