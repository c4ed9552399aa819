"""Atomic outputs: a run or save appears whole with one ``rename``, or not at all.

Everything is written into a hidden sibling ``.<name>.<pid>.<random>.partial`` of the
destination, marked as ours by a :data:`OUTPUT_MARKER` file, and renamed into place
only when complete. The kernel's ``rename`` replaces at most an *empty* directory, so
a directory that appears (or fills) while we work is never replaced: the move fails
and nothing is lost. ``overwrite`` replaces only an earlier morphospace output (one
that carries the marker), never a folder we did not write. Leftovers of runs that
died (SIGKILL, power loss) are recognised by the marker and their dead pid, and
cleaned by the next run into the same place.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from morphospace.core.errors import MorphospaceError, OutputExistsError

logger = logging.getLogger("morphospace")

#: The file that marks a directory as written by morphospace (an output or its staging).
OUTPUT_MARKER = ".morphospace-output"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _is_ours(directory: Path) -> bool:
    return (directory / OUTPUT_MARKER).is_file() and not directory.is_symlink()


def _check_destination(destination: Path, overwrite: bool) -> None:
    """Refuse, before any work, a destination we may not fill or replace."""
    if destination.is_symlink() or (destination.exists() and not destination.is_dir()):
        raise OutputExistsError(
            f"output path {destination} exists and is not a directory", destination
        )
    if not destination.exists() or not any(destination.iterdir()):
        return
    if not overwrite:
        raise OutputExistsError(
            f"output directory {destination} already exists and is not empty",
            destination,
            replaceable=True,
        )
    if not _is_ours(destination):
        raise OutputExistsError(
            f"output directory {destination} was not written by morphospace (it has no "
            f"{OUTPUT_MARKER} file); refusing to replace it. Delete it yourself or choose "
            "another directory",
            destination,
        )
    for root, dirs, _ in os.walk(destination):
        for name in [".", *dirs]:
            path = Path(root) / name
            if not os.access(path, os.W_OK):
                raise OutputExistsError(
                    f"cannot replace {destination}: {path.resolve()} is read-only", destination
                )


def _pid_of(staging: Path, destination: Path) -> int | None:
    """The pid in ``.<destination name>.<pid>.<random>.partial|.old``, else None."""
    parts = staging.name.rsplit(".", 3)
    if len(parts) != 4 or parts[0] != f".{destination.name}" or not parts[1].isdigit():
        return None
    return int(parts[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _remove_tree(directory: Path) -> None:
    """Delete a directory we wrote, read-only files and folders included."""

    def make_writable_and_retry(function, path, _exc):
        parent = os.path.dirname(path)
        os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR | stat.S_IXUSR)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
        function(path)

    handler = "onexc" if sys.version_info >= (3, 12) else "onerror"
    try:
        shutil.rmtree(directory, **{handler: make_writable_and_retry})
    except OSError as exc:
        logger.warning("could not remove %s (%s); delete it by hand", directory, exc)


def clean_stale(destination: Path) -> None:
    """Remove the staging folders that dead runs left beside ``destination``.

    A ``.partial`` folder is removed; an ``.old`` folder (a previous output moved
    aside by ``overwrite``) is put back if the run died before replacing it.
    """
    parent = destination.parent
    if not parent.is_dir():
        return
    for staging in parent.glob(f".{destination.name}.*"):
        pid = _pid_of(staging, destination)
        if pid is None or staging.suffix not in (".partial", ".old") or _alive(pid):
            continue
        if not staging.is_dir() or not _is_ours(staging):
            continue
        if staging.suffix == ".old" and not destination.exists():
            with contextlib.suppress(OSError):
                staging.rename(destination)
                logger.warning("restored %s from an interrupted --overwrite", destination)
                continue
        logger.info("removing %s, left by a run that died (pid %d)", staging, pid)
        _remove_tree(staging)


def _staging(destination: Path, suffix: str) -> Path:
    path = Path(
        tempfile.mkdtemp(
            prefix=f".{destination.name}.{os.getpid()}.", suffix=suffix, dir=destination.parent
        )
    )
    path.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the result should not be
    return path


def _move_into_place(tmp: Path, destination: Path, overwrite: bool) -> None:
    old = None
    if overwrite and destination.exists() and any(destination.iterdir()):
        _check_destination(destination, overwrite=True)  # still ours?
        old = _staging(destination, ".old")
        destination.rename(old)  # onto our empty placeholder: atomic
    try:
        tmp.rename(destination)  # replaces at most an empty directory
    except OSError as exc:
        if old is not None:
            with contextlib.suppress(OSError):
                old.rename(destination)
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise OutputExistsError(
                f"{destination} appeared while the run was going; it was left untouched "
                "and the new results were discarded. Run again into another directory",
                destination,
            ) from None
        raise
    if old is not None:
        _remove_tree(old)


@contextlib.contextmanager
def atomic_directory(destination: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a staging directory that becomes ``destination`` if the block succeeds.

    An existing non-empty ``destination`` is an :class:`OutputExistsError` unless
    ``overwrite`` is true and it is an earlier morphospace output, which is then
    replaced only once the new content is complete. On any failure (an exception,
    Ctrl-C, a SIGTERM turned into an exception) the staging directory is removed.
    """
    destination = Path(destination)
    _check_destination(destination, overwrite)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MorphospaceError(f"cannot create {destination.parent}: {exc.strerror}") from None
    clean_stale(destination)
    tmp = _staging(destination, ".partial")
    try:
        (tmp / OUTPUT_MARKER).write_text(
            json.dumps({"written_by": "morphospace", "pid": os.getpid()}) + "\n",
            encoding="utf-8",
        )
        yield tmp
        _move_into_place(tmp, destination, overwrite)
    except BaseException:
        _remove_tree(tmp)
        raise


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write; it replaces ``path`` (with the
    permissions a new file gets) if the block succeeds and is removed if it fails."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_new_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a staging directory that becomes ``path`` if the block succeeds; ``path`` must
    not exist (an :class:`OutputExistsError` if it does, or appears meanwhile)."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise OutputExistsError(f"{path} exists; morphospace does not overwrite it", path)
    tmp = _staging(path, ".partial")
    try:
        yield tmp
        _move_into_place(tmp, path, overwrite=False)
    except BaseException:
        _remove_tree(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic replace."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
