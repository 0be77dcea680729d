"""Writing files safely: one file atomically, and ``out/`` as one set.

:func:`atomic_write` writes a temporary file beside the target and renames it into place.

``forecast run`` (and ``charts``, ``report``) write their files into a staging folder beside
``out/`` (``.out.forecast-staging``), which starts as hard links of the files in ``out/`` that
the command does not replace; on success the two folders are exchanged in one atomic rename
(Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, undone by the next command if it
was killed between them). A command that fails or is killed leaves ``out/`` exactly as it
was; the next one removes what it left behind. A lock on the folder ``out/`` itself
(``fcntl.flock``) makes a second command into the same folder wait.

>>> with output_set("out", replaces=lambda name: name == "report.html") as staging:
...     (staging / "report.html").write_text("...")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import InputError

__all__ = ["atomic_write", "output_set", "refuse_linked_out", "sibling"]


def refuse_linked_out(out: str | Path) -> None:
    """Refuse an output folder that is a symbolic link (InputError, saying why).

    A command replaces its output folder as a whole: through a link it would replace a folder
    elsewhere (with the files, FIFOs and sockets there), so it writes only into a real folder.

    Examples
    --------
    >>> refuse_linked_out("out")  # a real folder, or none yet: nothing happens
    """
    from .scenario import printable

    out = Path(out)
    if out.is_symlink():
        raise InputError(
            f"--out {printable(str(out), 300)}: is a symbolic link (to "
            f"{printable(os.readlink(out), 300)}); forecast replaces its output folder as a "
            "whole and never through a link: give a real folder as --out"
        )


class Terminated(SystemExit):
    """SIGTERM while writing a set: unwinds so that ``out/`` stays as it was (exit 143)."""


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the block runs (main thread only)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame) -> None:
        raise Terminated(128 + signum)

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    An interrupted run never leaves a half-written ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def sibling(out: Path, kind: str) -> Path:
    """The hidden path beside ``out`` used for ``kind`` (``staging`` or ``old``)."""
    return out.parent / f".{out.name}.forecast-{kind}"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _clean_stale(out: Path) -> None:
    """Remove what a killed command left: staging, the old set, temporary files."""
    for kind in ("staging", "old"):
        _remove(sibling(out, kind))
    if out.is_dir():
        for path in out.iterdir():  # atomic_write's temporaries: .<name>.XXXX.tmp
            if path.name.startswith(".") and path.name.endswith((".tmp", ".partial.ipynb")):
                _remove(path)


def _link_tree(src: Path, dst: Path, keep: Callable[[str], bool]) -> None:
    """``dst`` holding hard links (copies where linking fails) of ``src``'s entries kept."""
    for entry in src.iterdir():
        if not keep(entry.name):
            continue
        target = dst / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        elif entry.is_dir():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        elif entry.is_file():
            _link_or_copy(entry, target)


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold ``flock`` on the folder ``out`` itself (no lock file among the analyst's files).

    The folder is replaced by each swap, so a command that waited checks, once it holds the
    lock, that it locked the folder now at ``out``, and locks again if not.
    """
    told = False
    while True:
        old = sibling(out, "old")
        if old.is_dir() and not out.exists():  # killed between the two renames of a swap
            with contextlib.suppress(OSError):
                os.rename(old, out)
        out.mkdir(exist_ok=True)
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not told:
                    print(
                        f"another forecast command is writing into {out}; waiting for it to "
                        "finish (Ctrl-C to stop)",
                        file=sys.stderr,
                        flush=True,
                    )
                    told = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.stat(out).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield
                return
        finally:
            os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def output_set(out: str | Path, replaces: Callable[[str], bool]) -> Iterator[Path]:
    """Write a set of files into ``out`` all at once: yields the staging folder to write into.

    Parameters
    ----------
    out : str or Path
        The output folder (created, with its parents, if missing).
    replaces : callable
        ``replaces(name)`` is True for the names in ``out`` that this command's set replaces:
        they are not carried over (a file of the set not written this time is gone after).
        Every other entry of ``out`` is carried over unchanged.

    Yields
    ------
    Path
        The staging folder. When the block ends normally it becomes ``out``; when it raises
        (or the process is killed), ``out`` is left exactly as it was.

    Examples
    --------
    >>> with output_set("out", replaces=lambda n: n.endswith(".png")) as staging:
    ...     save_all(result, staging, formats=("png",))  # doctest: +SKIP
    """
    refuse_linked_out(out)
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    created = not out.exists()
    with _terminate_cleanly(), _locked(out):
        _clean_stale(out)
        staging = sibling(out, "staging")
        staging.mkdir()
        try:
            staging.chmod(out.stat().st_mode & 0o7777)
            _link_tree(out, staging, lambda name: not replaces(name))
            yield staging
            _swap(staging, out)
        except BaseException:
            _remove(staging)
            if created:  # as before: no folder
                with contextlib.suppress(OSError):
                    out.rmdir()
            raise


def _swap(staging: Path, out: Path) -> None:
    """Make ``staging`` the folder at ``out`` (atomically where the system can) and drop the old."""
    if _exchange(staging, out):
        _remove(staging)  # now the old set
        return
    old = sibling(out, "old")
    os.replace(out, old)
    os.replace(staging, out)
    _remove(old)
