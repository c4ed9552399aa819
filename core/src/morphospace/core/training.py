"""The training loop and resumable checkpoints shared by the torch plugins, torch-free.

The core never imports torch: the loop only calls the plugin's ``step_fn`` (which
does forward, ``accelerator.backward`` and the optimiser step), shows a progress bar,
records the losses it returns and asks for checkpoints. State is stored as
safetensors through its numpy API: :func:`flatten_state` turns any nested state
(``model.state_dict()``, ``optimizer.state_dict()``, RNG states) whose leaves have
``.numpy()`` into plain arrays plus a JSON skeleton, and :func:`unflatten_state`
rebuilds it with a ``to_tensor`` function the plugin passes (``torch.from_numpy``).
No pickle is written or read.

Typical use in a plugin::

    state = load_training_state(ckpt_dir, to_tensor=torch.from_numpy)
    start = 0 if state is None else restore(state)
    history = train_loop(step_fn, n_steps, start_step=start, checkpoint_every=100,
                         on_checkpoint=lambda step, hist: save_training_state(
                             ckpt_dir, step, {"model": model.state_dict(), ...}, hist))
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from morphospace.core.atomic import atomic_write_text
from morphospace.core.errors import CheckpointError

PROGRESS_ENV = "MORPHOSPACE_PROGRESS"
MODEL_FILE = "model.safetensors"
STATE_POINTER = "training-state.json"


def progress(
    iterable: Iterable, total: int | None = None, desc: str = "", **kwargs: Any
) -> Iterator:
    """A tqdm progress bar, silenced by ``MORPHOSPACE_PROGRESS=0`` or a non-terminal stderr."""
    setting = os.environ.get(PROGRESS_ENV)
    disable = setting == "0" if setting is not None else not sys.stderr.isatty()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar, same iteration
        return iter(iterable)
    return iter(tqdm(iterable, total=total, desc=desc, disable=disable, leave=False, **kwargs))


def train_loop(
    step_fn: Callable[[int], dict[str, float]],
    n_steps: int,
    *,
    start_step: int = 0,
    history: dict[str, list[float]] | None = None,
    checkpoint_every: int | None = None,
    on_checkpoint: Callable[[int, dict[str, list[float]]], None] | None = None,
    desc: str = "training",
) -> dict[str, list[float]]:
    """Call ``step_fn(step)`` for ``step`` in ``[start_step, n_steps)``; return the loss history.

    ``step_fn`` returns scalar losses by name; they are appended to ``history`` and
    shown on the progress bar. ``on_checkpoint(step, history)`` is called every
    ``checkpoint_every`` steps and after the last one, so training can resume.
    """
    history = {k: list(v) for k, v in (history or {}).items()}
    bar = progress(range(start_step, n_steps), total=n_steps, desc=desc, initial=start_step)
    for step in bar:
        losses = step_fn(step)
        for name, value in losses.items():
            value = float(value)
            if not np.isfinite(value):
                raise FloatingPointError(f"{desc}: loss {name!r} became {value} at step {step}")
            history.setdefault(name, []).append(value)
        if hasattr(bar, "set_postfix") and step % 10 == 0:
            bar.set_postfix({k: f"{v:.4g}" for k, v in losses.items()})
        done = step + 1
        if on_checkpoint and (
            (checkpoint_every and done % checkpoint_every == 0) or done == n_steps
        ):
            on_checkpoint(done, history)
    return history


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
    return np.ascontiguousarray(value)


def save_arrays(
    path: str | Path, arrays: dict[str, Any], metadata: dict[str, str] | None = None
) -> None:
    """Write named arrays or tensors (e.g. a ``state_dict()``) to safetensors, atomically."""
    from safetensors.numpy import save_file

    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    save_file({k: _as_numpy(v) for k, v in arrays.items()}, str(tmp), metadata=metadata)
    os.replace(tmp, path)


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Read a safetensors file into numpy arrays."""
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except Exception as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file: {exc}") from None


def save_training_state(
    directory: str | Path, step: int, state: Any, history: dict[str, list[float]] | None = None
) -> Path:
    """Save a resumable training state for ``step``; keep only the newest one."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays, skeleton = flatten_state(state)
    name = f"training-state-{step:08d}.safetensors"
    save_arrays(directory / name, arrays)
    pointer = {"step": step, "file": name, "skeleton": skeleton, "history": history or {}}
    previous = _read_pointer(directory)
    atomic_write_text(directory / STATE_POINTER, json.dumps(pointer))
    if previous and previous["file"] != name:
        (directory / previous["file"]).unlink(missing_ok=True)
    return directory / name


def _read_pointer(directory: Path) -> dict | None:
    path = directory / STATE_POINTER
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path} is corrupt: {exc}") from None


def load_training_state(
    directory: str | Path, to_tensor: Callable[[np.ndarray], Any] = np.asarray
) -> tuple[int, Any, dict[str, list[float]]] | None:
    """The newest ``(step, state, history)`` saved in ``directory``, or None."""
    directory = Path(directory)
    pointer = _read_pointer(directory)
    if pointer is None:
        return None
    path = directory / pointer["file"]
    if not path.is_file():
        raise CheckpointError(
            f"{directory / STATE_POINTER} points to {path.name}, which is missing"
        )
    state = unflatten_state(load_arrays(path), pointer["skeleton"], to_tensor)
    return int(pointer["step"]), state, pointer.get("history", {})


class TrainingCheckpoints:
    """Resumable training for objects with ``state_dict()`` / ``load_state_dict()``.

    ``objects`` are e.g. ``{"model": model, "optimizer": optimizer}`` and ``to_tensor``
    is ``torch.from_numpy``; with ``directory=None`` both methods do nothing, so a
    training function needs no branches::

        checkpoints = TrainingCheckpoints(cfg.checkpoint_dir, {"model": m, "optimizer": o},
                                          torch.from_numpy)
        start, history = checkpoints.resume()
        train_loop(step_fn, n_steps, start_step=start, history=history,
                   checkpoint_every=100, on_checkpoint=checkpoints.save)
    """

    def __init__(
        self,
        directory: str | Path | None,
        objects: dict[str, Any],
        to_tensor: Callable[[np.ndarray], Any] = np.asarray,
    ):
        self.directory = Path(directory) if directory is not None else None
        self.objects = objects
        self.to_tensor = to_tensor

    def resume(self) -> tuple[int, dict[str, list[float]]]:
        """Restore the newest saved state; return ``(step to start at, loss history)``."""
        if self.directory is None:
            return 0, {}
        saved = load_training_state(self.directory, self.to_tensor)
        if saved is None:
            return 0, {}
        step, state, history = saved
        missing = sorted(set(self.objects) - set(state))
        if missing:
            raise CheckpointError(
                f"training state in {self.directory} lacks {', '.join(missing)}; "
                "it was saved by another training setup"
            )
        for name, obj in self.objects.items():
            obj.load_state_dict(state[name])
        return step, history

    def save(self, step: int, history: dict[str, list[float]]) -> None:
        """Save every object's state for ``step`` (usable as ``on_checkpoint``)."""
        if self.directory is not None:
            state = {name: obj.state_dict() for name, obj in self.objects.items()}
            save_training_state(self.directory, step, state, history)


def load_state_dict_file(
    path: str | Path, module: Any, to_tensor: Callable[[np.ndarray], Any] | None = None
) -> Any:
    """Load weights saved with :func:`save_arrays` into ``module``; return the module.

    Without ``to_tensor``, each array becomes a tensor like the module's own one (same
    dtype and device, through ``Tensor.new_tensor``), so no torch import is needed
    here; names that do not match the module's are a :class:`CheckpointError`.
    """
    arrays = load_arrays(path)
    if to_tensor is None:
        own = module.state_dict()
        missing, unexpected = sorted(set(own) - set(arrays)), sorted(set(arrays) - set(own))
        if missing or unexpected:
            raise CheckpointError(
                f"{path} does not fit the {type(module).__name__} built from the config: "
                f"missing {missing or 'nothing'}, unexpected {unexpected or 'nothing'}"
            )
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
