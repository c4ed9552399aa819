"""Pretrained weights from a local file the user names: safetensors only, never a pickle,
and loaded only into a network whose every parameter they match.

Plugins that take a pretrained network (drl's ViT backbone, phendiff's Inception for
FID) read it through these two functions, so every such file gets the same checks and
errors. Files are read as numpy arrays and loaded into the network with the training
state's own helpers (:mod:`morphospace.core.training.state`), which need no torch
import here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from morphospace.core.errors import CheckpointError, InputError
from morphospace.core.training.state import load_arrays, load_arrays_into


def read_safetensors(path: str | Path, field: str) -> dict[str, Any]:
    """The arrays of the ``.safetensors`` file at ``path`` (numpy), named in errors by
    ``field`` (the parameter that named the file)."""
    path = Path(path)
    if path.suffix != ".safetensors":
        raise InputError(
            f"{field}: expected a .safetensors file (morphospace never unpickles weights), "
            f"found {path.name!r}; convert a .pth once with "
            "safetensors.torch.save_file(torch.load(p, weights_only=True), 'w.safetensors')"
        )
    if not path.is_file():
        raise InputError(f"{field}: {path} does not exist or is not a file")
    try:
        return load_arrays(path)
    except CheckpointError as exc:
        raise CheckpointError(f"{field}: {exc}") from None


def load_matching(model: Any, state: dict[str, Any], field: str, what: str) -> Any:
    """``model`` with ``state`` loaded, in eval mode and frozen; a :class:`CheckpointError`
    listing unexpected, missing and wrongly shaped tensors unless every one matches.
    ``what`` describes the network in that error (e.g. "a ViT of width 384")."""
    loaded = load_arrays_into(model, state, f"{field}: the file", what)
    return loaded.eval().requires_grad_(False)
