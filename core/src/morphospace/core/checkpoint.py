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
import os
import re
import warnings
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from morphospace.core.atomic import OUTPUT_MARKER, atomic_directory
from morphospace.core.errors import (
    CheckpointError,
    ComponentNotFoundError,
    MorphospaceError,
    short_repr,
)
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

    directory = Path(directory)
    cls = type(component)
    registration = component.registration
    name = registration.name if registration is not None else None
    plugin_version = registration.plugin.version if registration is not None else None
    with atomic_directory(directory, overwrite=overwrite) as tmp:
        component._save_state(tmp)
        _normalise_permissions(tmp)
        files = {
            str(path.relative_to(tmp)): file_sha256(path)
            for path in sorted(tmp.rglob("*"))
            if path.is_file() and path.name != OUTPUT_MARKER
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


def _normalise_permissions(directory: Path) -> None:
    """Give every saved file the mode a plain ``open`` would (some writers make 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    for path in directory.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(0o666 & ~mask)


def read_config(directory: str | Path) -> dict[str, Any]:
    """Read a checkpoint's ``config.json`` and check the type of every field we use."""
    directory = Path(directory)
    path = directory / CONFIG_FILE
    if not directory.is_dir():
        raise CheckpointError(f"checkpoint directory {directory} does not exist")
    if path.is_symlink() or not path.is_file():
        raise CheckpointError(
            f"{directory} is not a morphospace checkpoint: {CONFIG_FILE} is missing"
        )
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise CheckpointError(f"{path} must hold a JSON object, found {type(record).__name__}")
    missing = [k for k in ("component", "target", "params", "files") if k not in record]
    if missing:
        raise CheckpointError(f"{path} lacks the field(s) {', '.join(missing)}")
    expected = {
        "component": (str, type(None)),
        "target": (str,),
        "kind": (str,),
        "params": (dict,),
        "files": (dict,),
    }
    for key, types in expected.items():
        if key in record and not isinstance(record[key], types):
            raise CheckpointError(
                f"{path}: {key!r} must be {' or '.join(_TYPE_NAMES[t] for t in types)}, "
                f"found {type(record[key]).__name__}"
            )
    for name, digest in record["files"].items():
        if not (isinstance(digest, str) and _SHA256.fullmatch(digest)):
            raise CheckpointError(
                f"{path}: files[{short_repr(name)}] must be a SHA-256 hex digest, "
                f"found {short_repr(digest)}"
            )
    return record


_TYPE_NAMES = {str: "a string", type(None): "null", dict: "an object"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _listed_path(directory: Path, name: str) -> Path:
    """The file ``name`` inside ``directory``; a name that leaves it is refused."""
    parts = PurePosixPath(name).parts
    if (
        not parts
        or PurePosixPath(name).is_absolute()
        or any(part in ("", ".", "..") for part in parts)
        or "\\" in name
    ):
        raise CheckpointError(
            f"checkpoint {directory}: {CONFIG_FILE} lists {short_repr(name)}, which is not a "
            "plain relative file name (it would read outside the checkpoint folder)"
        )
    return directory.joinpath(*parts)


def verify_files(directory: Path, files: dict[str, str]) -> None:
    """Check that the checkpoint holds exactly the listed files, each with its SHA-256.

    Every file but ``config.json`` (and output markers, never read) must be listed
    and match, so a checkpoint cannot add, drop or swap state; links are refused
    (they could point anywhere).
    """
    listed = {_listed_path(directory, name): digest for name, digest in files.items()}
    present = set()
    for path in directory.rglob("*"):
        if path.is_symlink():
            raise CheckpointError(
                f"checkpoint {directory}: {path.relative_to(directory)} is a symbolic link; "
                "a checkpoint holds plain files only"
            )
        if path.is_file() and path != directory / CONFIG_FILE and path.name != OUTPUT_MARKER:
            present.add(path)
    unlisted = sorted(str(p.relative_to(directory)) for p in present - set(listed))
    if unlisted:
        raise CheckpointError(
            f"checkpoint {directory}: {', '.join(unlisted)} not listed with a SHA-256 in "
            f"{CONFIG_FILE}; refusing files whose integrity cannot be checked"
        )
    for path, expected in listed.items():
        relative = path.relative_to(directory)
        if path not in present:
            raise CheckpointError(
                f"checkpoint {directory} is missing {relative}, listed in {CONFIG_FILE}"
            )
        if file_sha256(path) != expected:
            raise CheckpointError(
                f"checkpoint {directory}: {relative} does not match the SHA-256 recorded in "
                f"{CONFIG_FILE}; the file was changed or corrupted after saving"
            )


def _class_for(record: dict[str, Any], directory: Path, expected: type | None) -> type:
    """The component class a checkpoint holds, resolved only through the registry."""
    from morphospace.core.component import Component
    from morphospace.core.registry import default_registry

    held = record["component"] or record["target"]
    if not record["component"]:  # saved from a class made directly: find its registry entry
        declared = [c.name for c in default_registry().list() if c.target == record["target"]]
        if len(declared) == 1:
            record = {**record, "component": declared[0]}
    if (
        expected is not None
        and expected is not Component
        and record["target"] == f"{expected.__module__}:{expected.__qualname__}"
    ):
        cls = expected
    elif record["component"]:
        try:
            cls = default_registry().get_class(record["component"])
        except ComponentNotFoundError as exc:
            raise CheckpointError(f"checkpoint {directory} holds {held}, but {exc}") from None
    else:
        raise CheckpointError(
            f"checkpoint {directory} holds {record['target']}, which no installed plugin "
            f"declares; load it with that class's .load() method"
        )
    kind = record.get("kind", cls.kind)
    if kind != cls.kind:
        raise CheckpointError(
            f"checkpoint {directory} holds a {kind} ({short_repr(held)}), but "
            f"{record['component'] or cls.__qualname__} is a {cls.kind}; it would load one "
            "component's state into another"
        )
    if expected is not None and not issubclass(cls, expected):
        raise CheckpointError(
            f"checkpoint {directory} holds {held} ({kind}), not {expected.__name__}"
        )
    return cls


def load_component(directory: str | Path, expected: type | None = None) -> Component:
    """Load a checkpoint; ``expected`` (a class) checks that it holds that component."""
    directory = Path(directory)
    record = read_config(directory)
    cls = _class_for(record, directory, expected)
    if record.get("plugin_api_version", PLUGIN_API_VERSION) != PLUGIN_API_VERSION:
        warnings.warn(
            f"checkpoint {directory} was saved with plugin API "
            f"{short_repr(record['plugin_api_version'])}, this core implements "
            f"{PLUGIN_API_VERSION}",
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
    try:
        component = cls(**params)
    except MorphospaceError as exc:
        raise CheckpointError(f"checkpoint {directory}: {CONFIG_FILE} params: {exc}") from None
    component._load_state(directory)
    return component
