"""The one error class for bad input: what the command line reports with exit code 2.

Anything else that goes wrong is a defect (exit 1, "internal error", the traceback saved).
"""

from __future__ import annotations

__all__ = ["InputError"]


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
