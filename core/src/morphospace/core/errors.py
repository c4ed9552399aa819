"""Exceptions of morphospace.

Every error a user can cause is a :class:`MorphospaceError`; the CLI prints its
message as one paragraph and exits non-zero. The subclasses also derive from the
built-in exception a Python user would expect (``ValueError``, ``KeyError``, ...),
so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class MorphospaceError(Exception):
    """Base class of every error that morphospace raises on purpose."""

    def __str__(self) -> str:  # KeyError quotes its message; we never want that
        return str(self.args[0]) if self.args else ""


class InputError(MorphospaceError, ValueError):
    """Input data has the wrong shape, type or content (NaN, empty, mismatched)."""


class NotFittedError(MorphospaceError, AttributeError):
    """A component was used before ``fit``."""


class ConfigError(MorphospaceError, ValueError):
    """A component's parameters are unknown or of the wrong type."""


class ComponentNotFoundError(MorphospaceError, KeyError):
    """No installed plugin provides the requested component or dataset."""


class MissingDependencyError(MorphospaceError, ImportError):
    """An optional package that a component or dataset needs is not installed.

    The message names what to install; ``morphospace demo`` skips a demo pipeline
    that raises it instead of failing the others.
    """


class PluginError(MorphospaceError, RuntimeError):
    """A plugin failed to load, declares an incompatible API, or clashes with another."""


class IncompatibleComponentsError(MorphospaceError, ValueError):
    """Two components cannot be composed (geometry or input kind mismatch)."""


class CheckpointError(MorphospaceError, OSError):
    """A saved component is missing a file, was tampered with, or is not a checkpoint."""


class PipelineError(MorphospaceError, ValueError):
    """A pipeline document is missing, malformed or refers to things that do not exist."""
