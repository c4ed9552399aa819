"""Exceptions of morphospace.

Every error a user can cause is a :class:`MorphospaceError`; the CLI prints its
message as one paragraph and exits non-zero. The subclasses also derive from the
built-in exception a Python user would expect (``ValueError``, ``KeyError``, ...),
so ``except ValueError`` keeps working.
"""

from __future__ import annotations

import reprlib
from typing import Any

#: The longest message an error carries; longer ones (a huge value echoed back) are cut.
MAX_MESSAGE = 2000

_short = reprlib.Repr()
_short.maxstring = _short.maxother = 80
_short.maxlist = _short.maxdict = _short.maxtuple = _short.maxset = 6
_short.maxlevel = 3


def short_repr(value: object) -> str:
    """``repr(value)`` cut to a readable length, for echoing a bad value in a message."""
    return _short.repr(value)


def cap_message(text: str) -> str:
    """``text`` cut to :data:`MAX_MESSAGE` characters, saying how much was left out."""
    if len(text) <= MAX_MESSAGE:
        return text
    return f"{text[:MAX_MESSAGE]} ... ({len(text) - MAX_MESSAGE} more characters)"


def problem_list(groups: list[tuple[str, list[str]]], shown: int = 5) -> str:
    """``"missing: a, b; wrong shape: c ..."``: each non-empty group of names under its
    label, at most ``shown`` names each, for an error that lists what does not match."""
    return "; ".join(
        f"{label}: {', '.join(names[:shown])}{' ...' if len(names) > shown else ''}"
        for label, names in groups
        if names
    )


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


class OutputExistsError(MorphospaceError, FileExistsError):
    """An output directory exists (or appeared during the run) and is not replaced.

    When only a flag is missing (``replaceable``), the message ends with ``hint``: the
    Python argument by default; the CLI swaps in its ``--overwrite`` flag.
    """

    def __init__(self, message: str, path: object = None, *, replaceable: bool = False):
        super().__init__(message)
        self.path = path
        self.replaceable = replaceable
        self.hint = "choose another directory or pass overwrite=True to replace it"

    def __str__(self) -> str:
        message = str(self.args[0])
        return f"{message}; {self.hint}" if self.replaceable else message


def validator_message(err: Any) -> str:
    """A pydantic error's message without the "Value error, " it puts before the words
    of a validator that raised ``ValueError`` (ours already say what was found)."""
    return str(err["msg"]).removeprefix("Value error, ")
