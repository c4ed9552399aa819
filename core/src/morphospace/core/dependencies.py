"""Optional dependencies: import them on use, or say exactly what to install.

Plugins import heavy or optional packages inside the function that needs them, as
scanpy does. :func:`require` is that import: when the package is absent it raises
:class:`~morphospace.core.errors.MissingDependencyError` naming what needs it and the
pip command, so every missing package reads the same and ``morphospace demo`` can
skip what cannot run.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from morphospace.core.errors import MissingDependencyError


def missing_dependency(module: str, *, install: str, needed_for: str) -> MissingDependencyError:
    """The error for an absent ``module``; ``install`` is the pip requirement that adds it."""
    return MissingDependencyError(
        f"{needed_for} needs the package {module!r}, which is not installed: "
        f"pip install '{install}'"
    )


def require(module: str, *, install: str, needed_for: str) -> ModuleType:
    """Import and return ``module``, or raise :class:`MissingDependencyError`.

    ``install`` is what to pip-install, e.g. ``"leidenalg>=0.10"`` or, for a package
    behind an extra, ``"morphospace-dmlcluster[scanpy]"``. Only the absence of
    ``module`` itself (or of its parent package) counts as missing: an installed
    package that fails inside its own imports raises its own error, since installing
    it again would not help.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not _is_part_of(module, exc.name):
            raise
        raise missing_dependency(module, install=install, needed_for=needed_for) from None


def _is_part_of(module: str, missing: str) -> bool:
    """Whether ``missing`` is ``module`` or one of its parent packages."""
    return module == missing or module.startswith(missing + ".")
