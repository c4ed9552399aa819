"""Numpy in, tensors through a network, numpy out: what both DiffKillR networks share.

Training itself is :func:`morphospace.core.training.train`; this module holds the
intensity standardisation both networks learn from their training patches and batched
inference on numpy arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch


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
