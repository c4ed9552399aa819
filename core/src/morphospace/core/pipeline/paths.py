"""Folders a pipeline's params may name (a training ``checkpoint_dir``), kept inside a root.

A config field marked with :data:`morphospace.core.config.DIRECTORY` holds a folder
the component writes to. Given in a Python call it is used as is: the user chose it.
Given in a pipeline file (hostile until proven otherwise) it must be a plain relative
name, and the runner puts it under the folder the user named on the command line
(``--checkpoints DIR``); without one, such a pipeline is refused, so a pipeline never
makes morphospace write, or delete old training state, outside the folders the user gave.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic

from morphospace.core.config import DIRECTORY
from morphospace.core.errors import PipelineError
from morphospace.core.pipeline.steps.base import _safe_name


def directory_fields(config: pydantic.BaseModel, prefix: str = "") -> dict[str, str]:
    """``{"training.checkpoint_dir": value}`` for every set directory field, nested included."""
    found: dict[str, str] = {}
    for name, field in type(config).model_fields.items():
        value = getattr(config, name)
        if isinstance(value, pydantic.BaseModel):
            found.update(directory_fields(value, f"{prefix}{name}."))
        elif field.json_schema_extra == DIRECTORY and value is not None:
            found[f"{prefix}{name}"] = value
    return found


def check_directory_names(config: pydantic.BaseModel, label: str) -> None:
    """Refuse a directory param that is not a plain name (plan time, no root needed)."""
    for where, value in directory_fields(config).items():
        try:
            _safe_name(str(value))
        except ValueError as exc:
            raise PipelineError(f"{label}: params.{where} {exc}") from None


def _replace(config: pydantic.BaseModel, dotted: str, value: str) -> pydantic.BaseModel:
    head, _, rest = dotted.partition(".")
    if rest:
        return config.model_copy(update={head: _replace(getattr(config, head), rest, value)})
    return config.model_copy(update={head: value})


def place_directories(config: Any, root: Path | None, label: str) -> Any:
    """``config`` with every directory param moved under ``root`` (refused without one)."""
    fields = directory_fields(config)
    if fields and root is None:
        where = ", ".join(f"params.{k}" for k in fields)
        raise PipelineError(
            f"{label}: {where} names a folder to write training state to; a pipeline may do "
            "so only under a folder you give: pass --checkpoints DIR (checkpoints= in Python)"
        )
    for where, value in fields.items():
        config = _replace(config, where, str(Path(root) / value))
    return config
