"""Saving and loading components: ``config.json`` beside npz/safetensors, never pickle.

``config.json`` records the component's registry name, its class target, the plugin's
version, the plugin-API version, the hyperparameters and the SHA-256 of every other
file. Loading resolves the class only through the registry (a checkpoint cannot make
us import arbitrary code), refuses missing or altered files, fills missing params with
defaults and warns about unknown ones, as diffusers does, so old and new configs load.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from morphospace.core.atomic import atomic_directory
from morphospace.core.errors import CheckpointError, ComponentNotFoundError
from morphospace.core.plugin import PLUGIN_API_VERSION

if TYPE_CHECKING:
    from morphospace.core.component import Component

CONFIG_FILE = "config.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_component(component: Component, directory: str | Path, overwrite: bool = False) -> Path:
    from morphospace.core import __version__
    from morphospace.core.registry import default_registry

    directory = Path(directory)
    cls = type(component)
    registry = default_registry()
    name = registry.name_of(cls)
    plugin_version = registry.info(name).plugin.version if name else None
    with atomic_directory(directory, overwrite=overwrite) as tmp:
        component._save_state(tmp)
        files = {
            str(path.relative_to(tmp)): file_sha256(path)
            for path in sorted(tmp.rglob("*"))
            if path.is_file()
        }
        record = {
            "component": name,
            "kind": cls.kind,
            "target": f"{cls.__module__}:{cls.__qualname__}",
            "plugin_version": plugin_version,
            "plugin_api_version": PLUGIN_API_VERSION,
            "morphospace_core_version": __version__,
            "fitted": component.is_fitted(),
            "params": component.get_params(),
            "files": files,
        }
        (tmp / CONFIG_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return directory


def read_config(directory: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint's ``config.json``."""
    directory = Path(directory)
    path = directory / CONFIG_FILE
    if not directory.is_dir():
        raise CheckpointError(f"checkpoint directory {directory} does not exist")
    if not path.is_file():
        raise CheckpointError(
            f"{directory} is not a morphospace checkpoint: {CONFIG_FILE} is missing"
        )
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise CheckpointError(f"{path} must hold a JSON object, found {type(record).__name__}")
    missing = [k for k in ("component", "target", "params", "files") if k not in record]
    if missing:
        raise CheckpointError(f"{path} lacks the field(s) {', '.join(missing)}")
    return record


def verify_files(directory: Path, files: dict[str, str]) -> None:
    for relative, expected in files.items():
        path = directory / relative
        if not path.is_file():
            raise CheckpointError(
                f"checkpoint {directory} is missing {relative}, listed in {CONFIG_FILE}"
            )
        if file_sha256(path) != expected:
            raise CheckpointError(
                f"checkpoint {directory}: {relative} does not match the SHA-256 recorded in "
                f"{CONFIG_FILE}; the file was changed or corrupted after saving"
            )


def load_component(directory: str | Path, expected: type | None = None) -> Component:
    """Load a checkpoint; ``expected`` (a class) checks that it holds that component."""
    from morphospace.core.component import Component
    from morphospace.core.registry import default_registry

    directory = Path(directory)
    record = read_config(directory)
    registry = default_registry()
    if (
        expected is not None
        and expected is not Component
        and record["target"] == (f"{expected.__module__}:{expected.__qualname__}")
    ):
        cls = expected
    elif record["component"]:
        try:
            cls = registry.get_class(record["component"])
        except ComponentNotFoundError as exc:
            raise CheckpointError(
                f"checkpoint {directory} holds {record['component']}, but {exc}"
            ) from None
    else:
        raise CheckpointError(
            f"checkpoint {directory} holds {record['target']}, which no installed plugin "
            f"declares; load it with that class's .load() method"
        )
    if expected is not None and not issubclass(cls, expected):
        raise CheckpointError(
            f"checkpoint {directory} holds {record['component'] or record['target']}, "
            f"not a {expected.__name__}"
        )
    if record.get("plugin_api_version", PLUGIN_API_VERSION) != PLUGIN_API_VERSION:
        warnings.warn(
            f"checkpoint {directory} was saved with plugin API {record['plugin_api_version']}, "
            f"this core implements {PLUGIN_API_VERSION}",
            stacklevel=3,
        )
    verify_files(directory, record["files"])
    params = dict(record["params"])
    unknown = sorted(set(params) - set(cls.Config.model_fields))
    if unknown:
        warnings.warn(
            f"checkpoint {directory}: ignoring parameter(s) {', '.join(unknown)} that "
            f"{cls.display_name()} no longer has",
            stacklevel=3,
        )
        for key in unknown:
            params.pop(key)
    component = cls(**params)
    component._load_state(directory)
    return component
