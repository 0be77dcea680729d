"""Files and folders as untrusted input: the evidence folder, links leaving it, sizes, input hashes."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..yamlsafe import MAX_BYTES, YamlError, decode, read_bytes
from .limits import LIMITS


# ----------------------------------------------------------------------------- files
@dataclass(frozen=True)
class _Folder:
    """What the evidence folder holds: files to read, and files left aside with the reason."""

    read: list[Path]
    ignored: list[tuple[str, str]]


def _inside(path: Path, roots: list[Path]) -> bool:
    target = path.resolve()
    return any(target == r or target.is_relative_to(r) for r in roots)


def scenario_file(path: Path, roots: list[Path]) -> str | None:
    """Why ``path`` must not be read, or None.

    A link out of the scenario folder, not a regular file, missing.
    """
    if path.is_symlink() and not _inside(path, roots):
        return (
            "is a symbolic link to a file outside the scenario folder; refused "
            "(copy the file into the folder instead)"
        )
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "is a broken symbolic link" if path.is_symlink() else "file not found"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not stat.S_ISREG(mode):
        return "is not a regular file; not read"
    return None


def evidence_folder(folder: Path, roots: list[Path], problems: list[Problem]) -> _Folder:
    """Sort the entries of the evidence folder into files to read and files left aside."""
    read: list[Path] = []
    ignored: list[tuple[str, str]] = []
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        problems.append(Problem(str(folder), "", f"cannot be read ({exc.strerror})"))
        return _Folder([], [])
    if len(names) > LIMITS["files"]:
        problems.append(
            Problem(
                str(folder),
                "",
                f"holds {len(names):,} entries; at most {LIMITS['files']:,} are read "
                "(use an evidence table, evidence/*.csv, for many items)",
            )
        )
        return _Folder([], [])
    for name in names:
        if name.startswith("."):
            continue  # hidden files (editors' swap files, .DS_Store): not mentioned
        path = folder / name
        known = path.suffix.lower() in {".yaml", ".yml", ".csv"}
        if path.is_dir() and not path.is_symlink():
            ignored.append((f"{name}/", "a folder: items in subfolders are not read"))
            continue
        if not known:
            ignored.append((name, "not .yaml, .yml or .csv"))
            continue
        if name.startswith("_"):
            ignored.append((name, "starts with _"))
            continue
        why = scenario_file(path, roots)
        if why is None:
            read.append(path)
        elif "symbolic link to a file outside" in why or "broken" in why:
            problems.append(Problem(str(path), "", why))
        else:
            ignored.append((name, why.removeprefix("is ").split(";")[0] + ": skipped"))
    return _Folder(read, ignored)


def read_file(path: Path, limit: int, problems: list[Problem]) -> tuple[str, str] | None:
    """``(sha256, text)`` of a scenario file, or None after recording why not."""
    try:
        data = read_bytes(path, limit=limit)
        return hashlib.sha256(data).hexdigest(), decode(data)
    except YamlError as exc:
        problems.append(Problem(str(path), "", str(exc)))
    except OSError as exc:
        problems.append(Problem(str(path), "", f"cannot be read ({exc.strerror})"))
    return None


def input_hashes(
    priors: str | Path = "priors.yaml", evidence: str | Path = "evidence", *, named: bool = True
) -> dict[str, str]:
    """Return the sha256 of the scenario's files, keyed as :attr:`Scenario.files` is.

    The files :func:`load_scenario` would read, under the same folder rules (links leaving
    the scenario refused, hidden and other files not read), without validating them; files
    that cannot be read are left out. ``forecast report`` compares these with the result's.

    Examples
    --------
    >>> input_hashes("priors.yaml", "evidence")["priors.yaml"]  # doctest: +SKIP
    '3f1c...'
    """
    priors_path, evidence_dir = Path(priors), Path(evidence)
    problems: list[Problem] = []
    roots = [priors_path.parent.resolve()]
    paths = [] if scenario_file(priors_path, roots) else [priors_path]
    if evidence_dir.is_dir() and (named or linked_evidence(evidence_dir, priors_path) is None):
        roots.append(evidence_dir.resolve())
        paths += evidence_folder(evidence_dir, roots, problems).read
    hashes = {}
    for path in paths:
        limit = LIMITS["csv_bytes"] if path.suffix.lower() == ".csv" else MAX_BYTES
        if (got := read_file(path, limit, problems)) is not None:
            hashes[str(path)] = got[0]
    return hashes


def linked_evidence(evidence: Path, priors: Path) -> str | None:
    """Return why the evidence folder is a link to refuse (not named by the analyst), or None."""
    from ..guard import linked_folder  # guard reads printable from here

    return linked_folder(evidence, priors.parent, "evidence")


def folder_files(folder: Path, problems: list[Problem]) -> list[Path]:
    """Return the ``.yaml``, ``.yml`` and ``.csv`` files of an input folder to read.

    As for ``evidence/``: links leaving the folder and special files refused or skipped.

    Examples
    --------
    >>> folder_files(Path("indicators"), [])  # doctest: +SKIP
    [PosixPath('indicators/drills-end.yaml'), ...]
    """
    folder = Path(folder)
    return evidence_folder(folder, [folder.resolve(), folder.parent.resolve()], problems).read
