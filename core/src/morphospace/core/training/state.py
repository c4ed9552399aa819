"""Weights and resumable training state as safetensors, torch-free and pickle-free.

:func:`flatten_state` turns any nested state (``model.state_dict()``,
``optimizer.state_dict()``) whose leaves have ``.numpy()`` into plain arrays plus a
JSON skeleton; :func:`unflatten_state` rebuilds it with a ``to_tensor`` function the
caller passes (``torch.from_numpy``). A training state is one
``training-state-<step>.safetensors`` file plus ``training-state.json``, which names
that file, holds the skeleton and the loss history, and records the config that wrote
it: a run whose config differs is refused rather than silently resumed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from morphospace.core.atomic import atomic_file, atomic_write_text
from morphospace.core.errors import CheckpointError, problem_list

MODEL_FILE = "model.safetensors"
STATE_POINTER = "training-state.json"
#: The only file names the trainer writes for states, and so the only ones it reads or deletes.
STATE_FILE = re.compile(r"training-state-(\d{8})\.safetensors")


def state_file_name(step: int) -> str:
    return f"training-state-{step:08d}.safetensors"


# ---------------------------------------------------------------- nested state <-> arrays
def flatten_state(state: Any, prefix: str = "") -> tuple[dict[str, np.ndarray], Any]:
    """Split a nested state into ``{path: array}`` and a JSON-able skeleton."""
    arrays: dict[str, np.ndarray] = {}

    def walk(obj: Any, path: str) -> Any:
        if hasattr(obj, "detach") or isinstance(obj, np.ndarray | np.generic):
            arrays[path] = _as_numpy(obj)
            return {"__array__": path}
        if isinstance(obj, dict):
            return {
                "__dict__": [
                    [walk(k, f"{path}.k{i}"), walk(v, f"{path}.{i}")]
                    for i, (k, v) in enumerate(obj.items())
                ]
            }
        if isinstance(obj, list | tuple):
            kind = "__list__" if isinstance(obj, list) else "__tuple__"
            return {kind: [walk(v, f"{path}.{i}") for i, v in enumerate(obj)]}
        if obj is None or isinstance(obj, bool | int | float | str):
            return obj
        raise CheckpointError(
            f"cannot store {type(obj).__name__} at {path or 'top'} in a checkpoint"
        )

    return arrays, walk(state, prefix or "s")


def unflatten_state(
    arrays: dict[str, np.ndarray],
    skeleton: Any,
    to_tensor: Callable[[np.ndarray], Any] = np.asarray,
) -> Any:
    """Inverse of :func:`flatten_state`; arrays go through ``to_tensor``."""

    def build(node: Any) -> Any:
        if isinstance(node, dict):
            if "__array__" in node:
                if node["__array__"] not in arrays:
                    raise CheckpointError(f"the state has no array {node['__array__']!r}")
                return to_tensor(arrays[node["__array__"]])
            if "__dict__" in node:
                return {build(k): build(v) for k, v in node["__dict__"]}
            if "__list__" in node:
                return [build(v) for v in node["__list__"]]
            if "__tuple__" in node:
                return tuple(build(v) for v in node["__tuple__"])
        return node

    return build(skeleton)


def _as_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    array = np.asarray(value)  # np.ascontiguousarray would turn a 0-d counter into 1-d
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


# ---------------------------------------------------------------- safetensors files
def save_arrays(
    path: str | Path, arrays: dict[str, Any], metadata: dict[str, str] | None = None
) -> None:
    """Write named arrays or tensors (e.g. a ``state_dict()``) to safetensors, atomically."""
    from safetensors.numpy import save_file

    with atomic_file(path) as tmp:
        save_file({k: _as_numpy(v) for k, v in arrays.items()}, str(tmp), metadata=metadata)


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Read a safetensors file into numpy arrays."""
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except Exception as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file: {exc}") from None


def check_fits(state: Mapping[str, Any], module: Any, source: object, what: str = "") -> None:
    """Refuse a state dict whose names or shapes differ from ``module``'s own, listing
    every missing, unexpected and wrongly shaped entry in one message. ``what`` names the
    network (default: the module's class, built from the config)."""
    own = module.state_dict()
    wrong = [
        f"{name} {tuple(state[name].shape)} (the model has {tuple(own[name].shape)})"
        for name in own
        if name in state
        and hasattr(own[name], "shape")
        and tuple(state[name].shape) != tuple(own[name].shape)
    ]
    problems = problem_list(
        [
            ("missing", sorted(set(own) - set(state))),
            ("unexpected", sorted(set(state) - set(own))),
            ("shapes differ for", wrong),
        ]
    )
    if problems:
        target = what or f"the {type(module).__name__} built from the config"
        raise CheckpointError(f"{source} does not fit {target}: {problems}")


def load_state_dict_file(
    path: str | Path, module: Any, to_tensor: Callable[[np.ndarray], Any] | None = None
) -> Any:
    """Load weights saved with :func:`save_arrays` into ``module``; return the module."""
    return load_arrays_into(module, load_arrays(path), path, to_tensor=to_tensor)


def load_arrays_into(
    module: Any,
    arrays: Mapping[str, np.ndarray],
    source: object,
    what: str = "",
    to_tensor: Callable[[np.ndarray], Any] | None = None,
) -> Any:
    """Load named arrays into ``module``; return the module.

    Names or shapes that do not match the module's are a :class:`CheckpointError`
    (:func:`check_fits`). Without ``to_tensor``, each array becomes a tensor like the
    module's own one (same dtype and device, through ``Tensor.new_tensor``), so no
    torch import is needed here.
    """
    check_fits(arrays, module, source, what)
    if to_tensor is None:
        own = module.state_dict()
        state = {name: own[name].new_tensor(value) for name, value in arrays.items()}
    else:
        state = {name: to_tensor(value) for name, value in arrays.items()}
    module.load_state_dict(state)
    return module


class SavesModelWeights:
    """Saving for a component whose network is a torch ``model_``; put it first in the bases.

    ``save`` writes ``model_.state_dict()`` to ``model.safetensors`` beside the array
    state; ``load`` restores the array state, rebuilds the network with the
    component's ``_build_model()`` (from its config and that state, e.g. the number of
    input channels) and loads the weights into it, in eval mode. No pickle.
    """

    def _build_model(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define _build_model()")

    def _save_state(self, directory: Path) -> None:
        super()._save_state(directory)  # type: ignore[misc]
        if hasattr(self, "model_"):
            save_arrays(directory / MODEL_FILE, self.model_.state_dict())

    def _load_state(self, directory: Path) -> None:
        super()._load_state(directory)  # type: ignore[misc]
        if (directory / MODEL_FILE).exists():
            self.model_ = load_state_dict_file(directory / MODEL_FILE, self._build_model()).eval()


# ---------------------------------------------------------------- resumable training state
def save_training_state(
    directory: str | Path,
    step: int,
    state: Any,
    history: dict[str, list[float]] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Path:
    """Save the state of ``step`` and the ``config`` that wrote it; keep only the newest.

    Only files matching :data:`STATE_FILE` inside ``directory`` are ever deleted.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays, skeleton = flatten_state(state)
    name = state_file_name(step)
    save_arrays(directory / name, arrays)
    pointer = {
        "step": step,
        "file": name,
        "skeleton": skeleton,
        "history": history or {},
        "config": dict(config or {}),
    }
    atomic_write_text(directory / STATE_POINTER, json.dumps(pointer))
    for old in directory.iterdir():
        if old.name != name and STATE_FILE.fullmatch(old.name) and old.is_file():
            old.unlink()
    return directory / name


def read_pointer(directory: str | Path) -> dict | None:
    """The validated ``training-state.json`` of ``directory``, or None if there is none."""
    path = Path(directory) / STATE_POINTER
    if not path.is_file():
        return None
    try:
        pointer = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is corrupt: {exc}") from None
    if not isinstance(pointer, dict) or not {"step", "file", "skeleton"} <= set(pointer):
        raise CheckpointError(f"{path} is not a training state: expected step, file, skeleton")
    step, name = pointer["step"], pointer["file"]
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise CheckpointError(f"{path}: step must be a non-negative integer, found {step!r}")
    if name != state_file_name(step):
        raise CheckpointError(
            f"{path} names the state file {str(name)[:100]!r}; the trainer only reads "
            f"{state_file_name(step)!r} (training-state-<8-digit step>.safetensors) "
            "inside the checkpoint directory"
        )
    history = pointer.get("history", {})
    if not isinstance(history, dict) or not all(
        isinstance(v, list) and all(isinstance(x, int | float) for x in v) for v in history.values()
    ):
        raise CheckpointError(f"{path}: history must map loss names to lists of numbers")
    if not isinstance(pointer.get("config", {}), dict):
        raise CheckpointError(f"{path}: config must be a mapping")
    return pointer


def load_training_state(
    directory: str | Path, to_tensor: Callable[[np.ndarray], Any] = np.asarray
) -> tuple[int, Any, dict[str, list[float]], dict[str, Any]] | None:
    """The newest ``(step, state, history, config)`` saved in ``directory``, or None."""
    directory = Path(directory)
    pointer = read_pointer(directory)
    if pointer is None:
        return None
    path = directory / pointer["file"]
    if not path.is_file():
        raise CheckpointError(
            f"{directory / STATE_POINTER} points to {path.name}, which is missing"
        )
    state = unflatten_state(load_arrays(path), pointer["skeleton"], to_tensor)
    return pointer["step"], state, pointer.get("history", {}), pointer.get("config", {})


def config_differences(
    saved: Mapping[str, Any], current: Mapping[str, Any], saved_step: int
) -> list[str]:
    """The fields that forbid resuming ``saved`` (written at ``saved_step``) as ``current``.

    Every recorded field must be equal, except ``training.n_steps`` under a constant
    schedule, which may be any number of steps not below ``saved_step`` (training
    continues or stops there); a decaying schedule depends on ``n_steps`` throughout.
    """
    differences = []
    for key in sorted(set(saved) | set(current)):
        old, new = saved.get(key, "<absent>"), current.get(key, "<absent>")
        if key == "training.n_steps" and current.get("training.schedule") == "constant":
            if isinstance(new, int) and new >= saved_step:
                continue
            differences.append(f"training.n_steps {new!r} is below the saved step {saved_step}")
        elif old != new:
            differences.append(f"{key} {new!r} (the state was written with {old!r})")
    return differences


def _restore_python_numbers(optimizer: Any, saved: Any) -> None:
    """Give an optimiser back the per-parameter numbers it saved as Python numbers.

    ``torch.optim.Adam.__setstate__`` (run by ``load_state_dict``) turns a Python
    ``step`` into a float32 tensor; a subclass that keeps it a number (geoopt's
    Riemannian Adam) then computes ``1 - beta2 ** step`` in float32, and a resumed run
    drifts from the straight one.
    """
    if not hasattr(optimizer, "param_groups") or not isinstance(saved, dict):
        return
    saved_states = saved.get("state")
    if not isinstance(saved_states, dict):
        return
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for index, values in saved_states.items():
        if not (isinstance(index, int) and 0 <= index < len(params)):
            continue
        live = optimizer.state.get(params[index])
        if not isinstance(live, dict) or not isinstance(values, dict):
            continue
        for key, value in values.items():
            if isinstance(value, int | float) and not isinstance(value, bool) and key in live:
                live[key] = value


class TrainingCheckpoints:
    """Resumable training for objects with ``state_dict()`` / ``load_state_dict()``.

    ``objects`` are e.g. ``{"model": model, "optimizer": optimizer}``; ``config`` is the
    flat record of everything the run depends on (see :func:`config_differences`),
    written beside the state and compared on resume. With ``directory=None`` both
    methods do nothing, so a training function needs no branches.
    """

    def __init__(
        self,
        directory: str | Path | None,
        objects: dict[str, Any],
        to_tensor: Callable[[np.ndarray], Any] = np.asarray,
        config: Mapping[str, Any] | None = None,
    ):
        self.directory = Path(directory) if directory is not None else None
        self.objects = objects
        self.to_tensor = to_tensor
        self.config = dict(config or {})

    def resume(self) -> tuple[int, dict[str, list[float]]]:
        """Restore the newest saved state; return ``(step to start at, loss history)``."""
        if self.directory is None:
            return 0, {}
        saved = load_training_state(self.directory, self.to_tensor)
        if saved is None:
            return 0, {}
        step, state, history, config = saved
        if not config and self.config:
            raise CheckpointError(
                f"the training state in {self.directory} does not record the config that "
                "wrote it (an older morphospace), so resuming it cannot be checked; use "
                "another checkpoint_dir or delete this one"
            )
        differences = config_differences(config, self.config, step)
        if differences:
            raise CheckpointError(
                f"the training state in {self.directory} was written with another config; "
                f"differing: {'; '.join(differences)}. Use another checkpoint_dir or the "
                "config that wrote it"
            )
        if not isinstance(state, dict) or sorted(state) != sorted(self.objects):
            found = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise CheckpointError(
                f"training state in {self.directory} holds {found}, expected "
                f"{sorted(self.objects)}; it was saved by another training setup"
            )
        if "model" in self.objects:
            check_fits(
                state["model"], self.objects["model"], f"the training state in {self.directory}"
            )
        for name, obj in self.objects.items():
            obj.load_state_dict(state[name])
            _restore_python_numbers(obj, state[name])
        return step, history

    def save(self, step: int, history: dict[str, list[float]]) -> None:
        """Save every object's state for ``step`` (usable as ``on_checkpoint``)."""
        if self.directory is not None:
            state = {name: obj.state_dict() for name, obj in self.objects.items()}
            save_training_state(self.directory, step, state, history, self.config)
