"""Folder rules for untrusted scenario folders: where output may go, which folders are read.

Analysts exchange scenario folders, so every name in one is untrusted. The rules:

* ``--out`` is never a symbolic link (a command replaces its output folder as a whole: through
  a link it would replace a folder elsewhere), never a file, never inside a scenario's
  ``evidence/`` or ``indicators/`` folder, and never a folder holding a scenario's files.
* ``evidence/`` and ``indicators/`` that are symbolic links leaving the scenario folder are
  read only when the user named them on the command line (``--evidence``, ``--indicators``).
* The same folder given twice to ``score`` (``score a a ./a``) is scored once.

>>> refuse_out("out", protected=[Folder("evidence", "the evidence folder")])  # doctest: +SKIP
PosixPath('out')
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .outdir import refuse_linked_out
from .scenario import printable

__all__ = ["Folder", "linked_folder", "refuse_linked_out", "refuse_out", "unique_folders"]


@dataclass(frozen=True)
class Folder:
    """A scenario path output must stay out of: ``path`` and what it is (``what``)."""

    path: Path
    what: str


def _show(path: str | Path) -> str:
    return printable(str(path), 300)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def refuse_out(
    out: str | Path, *, protected: Iterable[Folder] = (), holds: Iterable[Folder] = ()
) -> Path:
    """Return ``out`` unchanged, or raise InputError when writing there would be unsafe.

    Parameters
    ----------
    out : str or Path
        The output folder as given (``--out``).
    protected : iterable of Folder
        Folders output may not go into (the evidence and indicators folders).
    holds : iterable of Folder
        Scenario files or folders ``out`` may not hold (a command swaps the whole of ``out``).

    Examples
    --------
    >>> refuse_out("ev/sub", protected=[Folder(Path("ev"), "the evidence folder")])
    Traceback (most recent call last):
    forecast.errors.InputError: --out ev/sub: is inside the evidence folder (ev); choose another output folder
    """
    given = Path(out)
    refuse_linked_out(given)
    if given.exists() and not given.is_dir():
        raise InputError(f"--out {_show(given)}: exists and is not a folder")
    real = given.resolve()
    if real.name in ("evidence", "indicators") and (real.parent / "priors.yaml").is_file():
        raise InputError(
            f"--out {_show(given)}: is the scenario's {real.name} folder; choose another output folder"
        )
    for folder in protected:
        if _inside(real, folder.path.resolve()):
            raise InputError(
                f"--out {_show(given)}: is inside {folder.what} ({_show(folder.path)}); "
                "choose another output folder"
            )
    for thing in holds:
        if real in thing.path.resolve().parents:
            raise InputError(
                f"--out {_show(given)}: holds {thing.what} ({_show(thing.path)}); "
                "choose another output folder"
            )
    return given


def scenario_folders(priors: str | Path, evidence: str | Path, indicators=None) -> list[Folder]:
    """The folders of one scenario output may not go into: evidence/ and indicators/.

    ``indicators`` defaults to ``indicators/`` beside the evidence folder.
    """
    evidence = Path(evidence)
    found = [Folder(evidence, "the evidence folder")]
    found.append(
        Folder(Path(indicators or evidence.parent / "indicators"), "the indicators folder")
    )
    for name in ("evidence", "indicators"):  # beside priors.yaml, whatever --evidence says
        found.append(Folder(Path(priors).parent / name, f"the scenario's {name} folder"))
    return found


def linked_folder(folder: str | Path, scenario: str | Path, what: str) -> str | None:
    """Why ``folder`` (found, not named by the user) is not read, or None when it may be.

    A symbolic link whose target is outside the ``scenario`` folder is refused: the per-file
    rule (no link leaving the scenario) would be bypassed by linking the whole folder.

    Examples
    --------
    >>> linked_folder("evidence", ".", "evidence")  # a real folder: read
    """
    folder = Path(folder)
    if not folder.is_symlink():
        return None
    target = folder.resolve()
    if _inside(target, Path(scenario).resolve()):
        return None
    return (
        f"the {what} folder is a symbolic link leaving the scenario folder (to "
        f"{_show(os.readlink(folder))}); not read unless named on the command line "
        f"(--{what} {_show(folder)}), or copy the folder in"
    )


def unique_folders(folders: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """``folders`` with each folder once (by its real path), and those left out as repeats.

    Examples
    --------
    >>> unique_folders(["a", "a", "./a"])  # doctest: +SKIP
    ([PosixPath('a')], ['a', './a'])
    """
    seen: set[Path] = set()
    kept: list[Path] = []
    repeats: list[str] = []
    for given in folders:
        real = Path(given).resolve()
        if real in seen:
            repeats.append(str(given))
            continue
        seen.add(real)
        kept.append(Path(given))
    return kept, repeats
