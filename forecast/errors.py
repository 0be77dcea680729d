"""Every error and warning class of the package, in one place.

:class:`InputError` is bad input: what the command line reports with exit code 2 (with
:class:`forecast.ScenarioError`, every problem of the scenario files at once). Anything else that
goes wrong is a defect (exit 1, "internal error", the traceback saved). The classes stay
importable from the modules that raise them (``forecast.inference.ForecastWarning``,
``forecast.yamlsafe.YamlError``, ``forecast.notebook.NotebookError``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ForecastWarning", "InputError", "NotebookError", "YamlError"]


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
