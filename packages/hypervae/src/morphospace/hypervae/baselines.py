"""The learning-free baseline every hypervae benchmark reports: window statistics + k-means.

Each window of the sliding-window segmentation is embedded by its mean and standard
deviation instead of by the VAE, then clustered exactly as the segmenter clusters its
embeddings (:func:`~morphospace.hypervae.segmentation.segment_volume`). Whatever a
learned model adds over this baseline is what it learned beyond intensity and contrast.
"""

from __future__ import annotations

import numpy as np
import torch

from morphospace.hypervae.segmentation import segment_volume


def window_statistics(batch: torch.Tensor) -> torch.Tensor:
    """Each window's mean and standard deviation, ``(B, 2)``, for windows ``(B, C, ...)``."""
    flat = batch.flatten(1)
    return torch.stack([flat.mean(1), flat.std(1)], dim=1)


def window_kmeans(
    volumes: np.ndarray, n_clusters: tuple[int, ...], patch_size: int = 8, stride: int = 2
) -> np.ndarray:
    """Label maps ``(N, levels, D, H, W)`` of volumes ``(N, C, D, H, W)`` from k-means on
    the window statistics, one level per entry of ``n_clusters``."""
    return np.stack(
        [
            segment_volume(
                window_statistics,
                volume,
                patch_size=patch_size,
                stride=stride,
                n_clusters=n_clusters,
                curvature=None,
            )
            for volume in volumes
        ]
    )
