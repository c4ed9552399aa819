"""Pretrained weights from a local file the user names: safetensors only, never a pickle,
and loaded only into a network whose every parameter they match.

Plugins that take a pretrained network (drl's ViT backbone, phendiff's Inception for
FID) read it through these two functions, so every such file gets the same checks and
errors. Files are read as numpy arrays; torch is imported only to load them into a
network (by plugins that have it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from morphospace.core.errors import CheckpointError, InputError, problem_list


def read_safetensors(path: str | Path, field: str) -> dict[str, Any]:
    """The arrays of the ``.safetensors`` file at ``path`` (numpy), named in errors by
    ``field`` (the parameter that named the file)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

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
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{field}: {path} is not a readable safetensors file: {exc}"
        ) from None


def load_matching(model: Any, state: dict[str, Any], field: str, what: str) -> Any:
    """``model`` with ``state`` loaded, in eval mode and frozen; a :class:`CheckpointError`
    listing unexpected, missing and wrongly shaped tensors unless every one matches.
    ``what`` describes the network in that error (e.g. "a ViT of width 384")."""
    expected = model.state_dict()
    unexpected = sorted(set(state) - set(expected))
    absent = sorted(set(expected) - set(state))
    wrong = sorted(
        k for k in set(state) & set(expected) if tuple(state[k].shape) != tuple(expected[k].shape)
    )
    if unexpected or absent or wrong:
        problems = problem_list(
            [("unexpected", unexpected), ("missing", absent), ("wrong shape", wrong)]
        )
        raise CheckpointError(f"{field}: the file does not match {what}: {problems}")
    import torch

    model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    return model.eval().requires_grad_(False)
