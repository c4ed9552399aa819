"""Multi-scale patch sampling and the hierarchical triplet loss.

A triplet is cut from one volume: the **anchor** is a parent patch of edge ``2P``
(downsampled by 2 to ``P``), the **positive** the child patch of edge ``P`` with the
same centre, and the **negative** a child patch lying entirely outside the parent.
The loss ``max(0, d(a, p) - d(a, n) + margin)`` pulls a region's embedding towards
the embeddings of what it contains and away from what it does not (Hsu et al.).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from morphospace.core.errors import InputError


def check_volume_size(shape: tuple[int, ...], patch_size: int, need_negatives: bool) -> None:
    """Raise unless volumes of spatial ``shape`` hold a parent patch (and a disjoint child)."""
    parent = 2 * patch_size
    if min(shape) < parent:
        raise InputError(
            f"volumes of spatial shape {tuple(shape)} are smaller than the parent patch "
            f"{parent}^3 (2 x patch_size={patch_size}); use larger volumes or a smaller patch_size"
        )
    if need_negatives and max(shape) < 3 * patch_size:
        raise InputError(
            f"volumes of spatial shape {tuple(shape)} leave no room for a negative child patch "
            f"outside a parent patch: one axis must be at least 3 x patch_size = {3 * patch_size}"
        )


def _crop(volume: np.ndarray, centre: np.ndarray, size: int) -> np.ndarray:
    start = centre - size // 2
    return volume[
        :, start[0] : start[0] + size, start[1] : start[1] + size, start[2] : start[2] + size
    ]


def sample_triplets(
    volumes: np.ndarray, patch_size: int, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` (anchor, positive, negative) patches, each ``(n, C, P, P, P)`` float32.

    Negatives are drawn uniformly among child positions whose patch does not overlap
    the parent patch (resampled until one does); if a volume has no room for one, a
    random child anywhere is used (only when the triplet loss is off).
    """
    size = np.array(volumes.shape[2:])
    parent = 2 * patch_size
    channels = volumes.shape[1]
    anchors = np.empty((n, channels, parent, parent, parent), np.float32)
    positives = np.empty((n, channels, patch_size, patch_size, patch_size), np.float32)
    negatives = np.empty_like(positives)
    half_child = patch_size // 2
    for i in range(n):
        volume = volumes[rng.integers(len(volumes))]
        centre = np.array([rng.integers(patch_size, s - patch_size + 1) for s in size])
        anchors[i] = _crop(volume, centre, parent)
        positives[i] = _crop(volume, centre, patch_size)
        roomy = (size >= 3 * patch_size).any()
        for _ in range(1000):
            other = np.array(
                [rng.integers(half_child, s - (patch_size - half_child) + 1) for s in size]
            )
            # disjoint when, on some axis, the child's extent misses the parent's
            if not roomy or (np.abs(other - centre) >= patch_size + half_child).any():
                break
        negatives[i] = _crop(volume, other, patch_size)
    pooled = F.avg_pool3d(torch.from_numpy(anchors), kernel_size=2).numpy()
    return pooled, positives, negatives


def hierarchical_triplet_loss(
    anchor: torch.Tensor,
    positive: torch.Tensor,
    negative: torch.Tensor,
    margin: float,
    distance,
) -> torch.Tensor:
    """Mean of ``relu(d(anchor, positive) - d(anchor, negative) + margin)``."""
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    return F.relu(d_pos - d_neg + margin).mean()
