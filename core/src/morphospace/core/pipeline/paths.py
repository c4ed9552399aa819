"""Paths a pipeline's params may name, kept inside folders the user gives.

A config field marked :data:`~morphospace.core.config.DIRECTORY` holds a folder the
component writes to (a training ``checkpoint_dir``); one marked
:data:`~morphospace.core.config.INPUT_FILE` a file it reads (a backbone's weights).
Given in a Python call either is used as is: the user chose it. Given in a pipeline
file (hostile until proven otherwise) it must be a plain name, and the runner puts it
under the folder the user named on the command line (``--checkpoints DIR`` for
folders, ``--inputs DIR`` for files); without one, such a pipeline is refused. Params
handed on to another registered component (a field marked
:func:`~morphospace.core.config.params_of`) are read with that component's config, so
its path params are checked too. So a pipeline never makes morphospace write, delete or
read outside the folders the user gave.
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


def _handed_on(config: pydantic.BaseModel, marker: list[str], params: dict) -> Any:
    """The config of the registered component that ``params`` go to, or None when the
    field naming it names no registered component (e.g. a built-in choice)."""
    from morphospace.core import registry
    from morphospace.core.errors import ComponentNotFoundError

    kind, name_field = marker
    name = getattr(config, name_field)
    try:
        config_cls = registry.config_class(str(name), kind)
    except ComponentNotFoundError:
        return None
    return config_cls.from_params(dict(params), component=str(name))


def path_fields(config: pydantic.BaseModel, prefix: str = "") -> dict[str, tuple[str, str]]:
    """``{"training.checkpoint_dir": (kind, value)}`` for every set path field, nested
    included (in sub-configs and in params handed on to another component)."""
    found: dict[str, tuple[str, str]] = {}
    for name, field in type(config).model_fields.items():
        value, extra = getattr(config, name), field.json_schema_extra
        if isinstance(value, pydantic.BaseModel):
            found.update(path_fields(value, f"{prefix}{name}."))
        elif extra in (DIRECTORY, INPUT_FILE) and value is not None:
            found[f"{prefix}{name}"] = (extra["morphospace_path"], value)
        elif isinstance(extra, dict) and "morphospace_params_of" in extra and value:
            nested = _handed_on(config, extra["morphospace_params_of"], value)
            if nested is not None:
                found.update(path_fields(nested, f"{prefix}{name}."))
    return found


def check_path_names(config: pydantic.BaseModel, label: str) -> None:
    """Refuse a path param that is not a plain name (plan time, no root needed)."""
    for where, (_, value) in path_fields(config).items():
        try:
            _safe_name(str(value))
        except ValueError as exc:
            raise PipelineError(f"{label}: params.{where} {exc}") from None


def _replace(config: Any, dotted: str, value: str) -> Any:
    """A copy of ``config`` (a config or a params dict) with the dotted field set."""
    head, _, rest = dotted.partition(".")
    current = config[head] if isinstance(config, dict) else getattr(config, head)
    new = _replace(current, rest, value) if rest else value
    if isinstance(config, dict):
        return {**config, head: new}
    return config.model_copy(update={head: new})


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
