"""Atomic writes: a failed run or save leaves no half-written output behind.

Everything is written into a hidden temporary sibling of the destination and moved
into place with one ``rename`` only when complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from morphospace.core.errors import MorphospaceError


@contextlib.contextmanager
def atomic_directory(destination: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that becomes ``destination`` if the block succeeds.

    An existing non-empty ``destination`` is an error unless ``overwrite`` is true, in
    which case it is replaced only once the new content is complete.
    """
    destination = Path(destination)
    if destination.exists() and not destination.is_dir():
        raise MorphospaceError(f"output path {destination} exists and is not a directory")
    if destination.exists() and any(destination.iterdir()) and not overwrite:
        raise MorphospaceError(
            f"output directory {destination} already exists and is not empty; "
            "choose another path or pass overwrite (--overwrite)"
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(
        tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent)
    )
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the result should not be
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if destination.exists():
        old = destination.with_name(f".{destination.name}.old-{os.getpid()}")
        destination.rename(old)
    tmp.rename(destination)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic replace."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
