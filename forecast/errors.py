"""Every error and warning class of the package, in one place.

:class:`InputError` is bad input: what the command line reports with exit code 2 (with
:class:`forecast.ScenarioError`, every problem of the scenario files at once). Anything else that
goes wrong is a defect (exit 1, "internal error", the traceback saved). The classes stay
importable from the modules that raise them (``forecast.inference.ForecastWarning``,
``forecast.yamlsafe.YamlError``, ``forecast.notebook.NotebookError``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .inputs.limits import LIMITS
from .inputs.text import printable

__all__ = [
    "ForecastWarning",
    "InputError",
    "NotebookError",
    "Problem",
    "ScenarioError",
    "YamlError",
]


class InputError(ValueError):
    """Bad input the analyst can fix: a file, a result file, an option or a setting.

    A ``ValueError`` (so that code catching ``ValueError`` keeps working); the message names
    what is wrong and, where possible, how to fix it.

    Examples
    --------
    >>> raise InputError("out/posterior.nc: not a forecast result: unexpected group /x")
    Traceback (most recent call last):
    ...
    forecast.errors.InputError: out/posterior.nc: not a forecast result: unexpected group /x
    """


class YamlError(ValueError):
    """A YAML file that cannot be read; ``line`` is 1-based or ``None``.

    Examples
    --------
    >>> YamlError("bad indentation", line=3).line
    3
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class ForecastWarning(UserWarning):
    """A failed check (sampling diagnostics, Monte Carlo self-check): never silent."""


class NotebookError(RuntimeError):
    """A cell of the notebook failed; ``path`` is the executed notebook showing the error."""

    def __init__(self, message: str, path: Path | None = None):
        super().__init__(message)
        self.path = path


# ----------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        file, field_ = printable(self.file, 300), printable(self.field, 200)
        where = f"{file}: {field_}" if self.field else file
        return f"{where}: {printable(self.message, 600)}"


class ScenarioError(ValueError):
    """Bad input: every :class:`Problem` found, in file order.

    The message lists the first ``LIMITS["shown_problems"]`` and says how many more there are.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem, at most ``LIMITS["shown_problems"]`` and a count of the rest."""
        shown = LIMITS["shown_problems"]
        lines = [str(p) for p in self.problems[:shown]]
        if len(self.problems) > shown:
            lines.append(f"... and {len(self.problems) - shown:,} more")
        return lines
