"""Paths a pipeline's params may name, kept inside folders the user gives.

A config field marked :data:`~morphospace.core.config.DIRECTORY` holds a folder the
component writes to (a training ``checkpoint_dir``); one marked
:data:`~morphospace.core.config.INPUT_FILE` a file it reads (a backbone's weights).
Given in a Python call either is used as is: the user chose it. Given in a pipeline
file (hostile until proven otherwise) it must be a plain name, and the runner puts it
under the folder the user named on the command line (``--checkpoints DIR`` for
folders, ``--inputs DIR`` for files); without one, such a pipeline is refused. So a
pipeline never makes morphospace write, delete or read outside the folders the user gave.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic

from morphospace.core.config import DIRECTORY, INPUT_FILE
from morphospace.core.errors import PipelineError
from morphospace.core.pipeline.steps.base import _safe_name

#: marker -> (what the path is, the command-line option that gives its root)
KINDS = {
    "directory": ("names a folder to write training state to", "--checkpoints DIR", "checkpoints="),
    "input_file": ("names a file to read", "--inputs DIR", "inputs="),
}


def path_fields(config: pydantic.BaseModel, prefix: str = "") -> dict[str, tuple[str, str]]:
    """``{"training.checkpoint_dir": (kind, value)}`` for every set path field, nested included."""
    found: dict[str, tuple[str, str]] = {}
    for name, field in type(config).model_fields.items():
        value = getattr(config, name)
        if isinstance(value, pydantic.BaseModel):
            found.update(path_fields(value, f"{prefix}{name}."))
        elif field.json_schema_extra in (DIRECTORY, INPUT_FILE) and value is not None:
            found[f"{prefix}{name}"] = (field.json_schema_extra["morphospace_path"], value)
    return found


def check_path_names(config: pydantic.BaseModel, label: str) -> None:
    """Refuse a path param that is not a plain name (plan time, no root needed)."""
    for where, (_, value) in path_fields(config).items():
        try:
            _safe_name(str(value))
        except ValueError as exc:
            raise PipelineError(f"{label}: params.{where} {exc}") from None


def _replace(config: pydantic.BaseModel, dotted: str, value: str) -> pydantic.BaseModel:
    head, _, rest = dotted.partition(".")
    if rest:
        return config.model_copy(update={head: _replace(getattr(config, head), rest, value)})
    return config.model_copy(update={head: value})


def place_paths(config: Any, roots: dict[str, Path | None], label: str) -> Any:
    """``config`` with every path param moved under its kind's root (refused without one).

    ``roots`` maps ``"directory"`` and ``"input_file"`` to the folders the user gave.
    """
    for where, (kind, value) in path_fields(config).items():
        root = roots.get(kind)
        if root is None:
            what, option, argument = KINDS[kind]
            raise PipelineError(
                f"{label}: params.{where} {what}; a pipeline may do so only under a folder "
                f"you give: pass {option} ({argument} in Python)"
            )
        config = _replace(config, where, str(Path(root) / value))
    return config
