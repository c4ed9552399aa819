"""Fitting a torch model with ``accelerate``: seeds, progress, resumable checkpoints.

The loop is :func:`morphospace.core.training.train_loop`; this module adds the torch
half: an :class:`accelerate.Accelerator` (one CPU, one GPU or many, unchanged code), an
Adam optimiser, and saving/restoring model + optimiser state as safetensors. Each step
draws its randomness from ``numpy.random.default_rng([seed, step])``, so a resumed run
sees exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from morphospace.core.training import TrainingCheckpoints, train_loop

#: ``loss_fn(model, rng, device) -> (loss tensor, {name: float})``
LossFunction = Callable[[torch.nn.Module, np.random.Generator, torch.device], tuple]


def seed_everything(seed: int) -> None:
    from accelerate.utils import set_seed

    set_seed(seed)


def fit_model(
    model: torch.nn.Module, loss_fn: LossFunction, config: Any, desc: str = "training"
) -> tuple[torch.nn.Module, dict[str, list[float]]]:
    """Train ``model`` as ``config`` says; return it and its loss history.

    ``config`` is a net's config: ``n_steps``, ``learning_rate``, ``seed`` and the
    resumable ``checkpoint_dir`` / ``checkpoint_every``.
    """
    n_steps, seed = config.n_steps, config.seed
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    checkpoints = TrainingCheckpoints(
        config.checkpoint_dir, {"model": model, "optimizer": optimizer}, torch.from_numpy
    )
    start, history = checkpoints.resume()
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()

    def step_fn(step: int) -> dict[str, float]:
        rng = np.random.default_rng([seed, step])
        optimizer.zero_grad(set_to_none=True)
        loss, logs = loss_fn(model, rng, accelerator.device)
        accelerator.backward(loss)
        optimizer.step()
        return logs

    history = train_loop(
        step_fn,
        n_steps,
        start_step=start,
        history=history,
        checkpoint_every=config.checkpoint_every,
        on_checkpoint=checkpoints.save,
        desc=desc,
    )
    model = accelerator.unwrap_model(model)
    model.eval()
    return model, history


class StandardisesPatches:
    """Intensity standardisation learned from the training patches (``mean_``, ``std_``).

    Both networks see patches on the scale of the patches they were fitted on, so a
    field with another brightness range is brought to it the same way everywhere.
    """

    def _fit_standardisation(self, x: np.ndarray) -> np.ndarray:
        self.mean_ = float(x.mean())
        self.std_ = float(x.std()) or 1.0
        return self._standardise(x)

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean_) / self.std_


def device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def to_tensor(x: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32, device=device)


@torch.no_grad()
def batched(
    function: Callable[..., torch.Tensor],
    *arrays: np.ndarray,
    device: torch.device | str = "cpu",
    batch_size: int = 512,
) -> np.ndarray:
    """Apply ``function`` to aligned numpy arrays in batches; concatenate the numpy results."""
    outputs = []
    for start in range(0, len(arrays[0]), batch_size):
        chunk = [to_tensor(a[start : start + batch_size], device) for a in arrays]
        outputs.append(function(*chunk).cpu().numpy())
    return np.concatenate(outputs) if outputs else np.zeros((0,))
