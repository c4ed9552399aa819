"""Sliding-window segmentation of whole volumes: embed windows, cluster, paint labels back.

A window of edge ``P`` is centred on every ``stride``-th voxel (the volume is
reflect-padded so border voxels get centred windows too); windows are cut from a
strided view of the volume in batches, so memory stays at one batch. Window
embeddings are clustered once per hierarchy level (k-means on the ball for a Poincaré
latent, Euclidean k-means for the ablation) and each voxel takes the label of the centroid
nearest to its embedding interpolated between window centres (or, with
``upsample: nearest``, the label of its nearest window centre).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from morphospace.core import Segmentation, Segmenter
from morphospace.core.errors import InputError
from morphospace.core.figures import Figure, FigureContext
from morphospace.core.training import progress
from morphospace.core.validation import check_array
from morphospace.hypervae.config import SegmenterConfig
from morphospace.hypervae.object_size import auto_patch_size
from morphospace.hypervae.poincare_ball import poincare_ball
from morphospace.hypervae.poincare_kmeans import kmeans, nearest_centroid
from morphospace.hypervae.vae import PoincareVAE

#: The sub-checkpoint of the fitted VAE inside the segmenter's folder.
VAE_DIR = "vae"


def window_grid(shape: tuple[int, ...], stride: int) -> tuple[int, ...]:
    """Number of window centres along each axis: ``ceil(size / stride)``."""
    return tuple(-(-s // stride) for s in shape)


def embed_volume(
    embed: Callable[[torch.Tensor], torch.Tensor],
    volume: np.ndarray,
    patch_size: int,
    stride: int,
    batch_size: int = 512,
) -> tuple[torch.Tensor, tuple[int, int, int]]:
    """Embeddings ``(G, d)`` of the windows centred on a ``stride`` grid, and the grid shape."""
    x = torch.from_numpy(np.ascontiguousarray(volume, dtype=np.float32))
    left, right = patch_size // 2, patch_size - 1 - patch_size // 2
    padded = F.pad(x[None], (left, right) * 3, mode="reflect")[0]
    windows = padded.unfold(1, patch_size, stride).unfold(2, patch_size, stride)
    windows = windows.unfold(3, patch_size, stride)  # (C, Gd, Gh, Gw, P, P, P), a view
    grid = tuple(windows.shape[1:4])
    n = grid[0] * grid[1] * grid[2]
    out = []
    for start in range(0, n, batch_size):
        index = torch.arange(start, min(start + batch_size, n))
        gd, gh, gw = np.unravel_index(index.numpy(), grid)
        batch = windows[:, torch.from_numpy(gd), torch.from_numpy(gh), torch.from_numpy(gw)]
        out.append(embed(batch.movedim(1, 0).contiguous()).cpu())
    return torch.cat(out), grid


def paint(grid_labels: np.ndarray, shape: tuple[int, int, int], stride: int) -> np.ndarray:
    """Voxel labels from labels on the window grid: each voxel takes its nearest centre's."""
    index = [
        np.clip(np.ceil(np.arange(s) / stride - 0.5).astype(int), 0, g - 1)  # ties: lower
        for s, g in zip(shape, grid_labels.shape, strict=True)
    ]
    return grid_labels[np.ix_(*index)]


def interpolate_embeddings(
    z: torch.Tensor,
    grid: tuple[int, int, int],
    shape: tuple[int, int, int],
    stride: int,
    curvature: float | None,
) -> torch.Tensor:
    """Embeddings at every voxel ``(D*H*W, d)``, trilinear between window centres.

    Points on the ball are interpolated in the tangent space at the origin
    (``logmap0``, interpolate, ``expmap0``); voxels past the last centre copy it.
    """
    flat = z if curvature is None else poincare_ball(curvature).logmap0(z)
    field = flat.T.reshape(1, -1, *grid)
    size = tuple((g - 1) * stride + 1 for g in grid)
    if any(g > 1 for g in grid):
        field = F.interpolate(field, size=size, mode="trilinear", align_corners=True)
    pad = [
        p
        for s, n in zip(reversed(shape), reversed(field.shape[2:]), strict=True)
        for p in (0, max(s - n, 0))
    ]
    field = F.pad(field, pad, mode="replicate") if any(pad) else field
    field = field[:, :, : shape[0], : shape[1], : shape[2]]
    out = field.reshape(field.shape[1], -1).T
    return out if curvature is None else poincare_ball(curvature).expmap0(out)


def segment_volume(
    embed: Callable[[torch.Tensor], torch.Tensor],
    volume: np.ndarray,
    *,
    patch_size: int,
    stride: int,
    n_clusters: tuple[int, ...],
    curvature: float | None,
    n_init: int = 4,
    seed: int = 0,
    batch_size: int = 512,
    upsample: str = "interpolate",
    max_points: int | None = 8192,
) -> np.ndarray:
    """Label maps ``(levels, D, H, W)`` of a volume ``(C, D, H, W)``, a level per ``n_clusters``.

    Clusters are fitted on the window embeddings; ``upsample="interpolate"`` then labels
    every voxel by the centroid nearest to its interpolated embedding, ``"nearest"``
    gives each voxel the label of its nearest window centre. With more than
    ``max_points`` windows, k-means is fitted on a random subsample of that size.
    """
    shape = volume.shape[1:]
    z, grid = embed_volume(embed, volume, patch_size, stride, batch_size)
    z = z.double()
    dense = None
    if upsample == "interpolate" and stride > 1:
        dense = interpolate_embeddings(z, grid, shape, stride, curvature)
    sample = z
    if max_points is not None and len(z) > max_points:  # fit on a subsample, label all
        rows = np.random.default_rng(seed).choice(len(z), max_points, replace=False)
        sample = z[torch.from_numpy(np.sort(rows))]
    levels = []
    for k in n_clusters:
        result = kmeans(sample, k, curvature, n_init=n_init, seed=seed)
        if dense is None:
            labels = nearest_centroid(z, torch.from_numpy(result.centroids), curvature)
            levels.append(paint(labels.reshape(grid), shape, stride))
        else:
            labels = nearest_centroid(dense, torch.from_numpy(result.centroids), curvature)
            levels.append(labels.reshape(shape))
    return np.stack(levels).astype(np.int32)


def region_sizes(maps: np.ndarray) -> pd.DataFrame:
    """One row per region of label maps ``(N, levels, ...)``.

    Columns: ``obs`` (the volume's row), ``level`` (from 1, coarse to fine), ``label``
    and ``voxels`` (its size).
    """
    rows = []
    for obs, volume in enumerate(maps):
        for level, labels in enumerate(volume, start=1):
            counts = np.bincount(labels.ravel())
            for label in np.flatnonzero(counts):
                rows.append((obs, level, int(label), int(counts[label])))
    return pd.DataFrame(rows, columns=["obs", "level", "label", "voxels"])


def _tangent_embedding(embed, curvature: float, batch: torch.Tensor) -> torch.Tensor:
    """``logmap0`` of the ball embeddings: coordinates for Euclidean k-means."""
    return poincare_ball(curvature).logmap0(embed(batch))


class HierarchicalSegmenter(Segmenter):
    """Trains a Poincaré VAE on volumes, then segments each volume at every level.

    The fitted VAE is ``vae_`` (saved as the sub-checkpoint ``vae/``); its
    hyperparameters are this config's VAE fields, with ``patch_size: auto`` resolved
    from the training volumes' object thickness (``patch_size_``).
    ``segment(volumes)`` returns label maps ``(N, levels, D, H, W)`` and a ``regions``
    table: the voxels of each label of each level of each volume.
    """

    Config = SegmenterConfig

    def fit(self, x, y=None) -> HierarchicalSegmenter:
        params = self.config.vae_params()
        if params["patch_size"] == "auto":
            volumes = check_array(x, name="volumes", ndim=5)
            params["patch_size"] = auto_patch_size(volumes)
        self.vae_ = PoincareVAE(**params).fit(x)
        return self

    @property
    def patch_size_(self) -> int:
        """The window edge the fitted VAE embeds (``patch_size``, or what ``auto`` chose)."""
        self.check_is_fitted()
        return self.vae_.config.patch_size

    def segment(self, x) -> Segmentation:
        """Label maps ``(N, levels, D, H, W)`` of volumes ``(N, C, D, H, W)``, region sizes."""
        self.check_is_fitted()
        cfg = self.config
        volumes = check_array(x, name="volumes", ndim=5, channels=self.vae_.in_channels_)
        volumes = self.vae_.scale_intensities(volumes)
        patch_size = self.patch_size_
        if min(volumes.shape[2:]) < patch_size:
            raise InputError(
                f"volumes: spatial shape {volumes.shape[2:]} is smaller than the patch "
                f"{patch_size}^3 that {self.name} embeds"
            )
        curvature = cfg.curvature if cfg.latent == "poincare" else None
        embed = self.vae_.embed_patches
        if curvature is not None and cfg.cluster_space == "tangent":
            embed = partial(_tangent_embedding, self.vae_.embed_patches, curvature)
            curvature = None
        maps = np.stack(
            [
                segment_volume(
                    embed,
                    volume,
                    patch_size=patch_size,
                    stride=cfg.stride,
                    n_clusters=cfg.n_clusters,
                    curvature=curvature,
                    n_init=cfg.n_init,
                    seed=cfg.seed,
                    batch_size=cfg.window_batch_size,
                    upsample=cfg.upsample,
                    max_points=cfg.max_cluster_points,
                )
                for volume in progress(volumes, total=len(volumes), desc=f"{self.name} segmenting")
            ]
        )
        return Segmentation(maps, {"regions": region_sizes(maps)})

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> None:
        if self.is_fitted():
            self.vae_.save(directory / VAE_DIR)

    def _load_state(self, directory: Path) -> None:
        if (directory / VAE_DIR).exists():
            self.vae_ = PoincareVAE.load(directory / VAE_DIR)

    # ------------------------------------------------------------------ report
    def report_figures(self, context: FigureContext, max_volumes: int = 2) -> list[Figure]:
        """Middle slices of volume, ground truth and matched segmentation at each level."""
        import matplotlib.pyplot as plt

        from morphospace.hypervae.dice import matched_labels

        adata, key, record = context.adata, context.key, context.record
        if record is None or record.use_rep not in adata.obsm or key not in adata.obsm:
            return []
        volumes = np.asarray(adata.obsm[record.use_rep])
        maps = np.asarray(adata.obsm[key])
        n_levels = maps.shape[1]
        truth_key = self.config.truth_key
        truth = np.asarray(adata.obsm[truth_key]) if truth_key in adata.obsm else None
        order = context.held_out_first()
        figures = []
        for i in order[:max_volumes]:
            middle = volumes.shape[2] // 2
            columns = 3 if truth is not None else 2
            fig, axes = plt.subplots(
                n_levels, columns, figsize=(3 * columns, 3 * n_levels), squeeze=False
            )
            for level in range(n_levels):
                pred = maps[i, level, middle]
                panels = [(volumes[i, 0, middle], "volume", "gray")]
                if truth is not None and level < truth.shape[1]:
                    true = truth[i, level, middle]
                    pred = matched_labels(truth[i, level], maps[i, level])[middle]
                    panels.append((true, f"truth level {level + 1}", "tab10"))
                panels.append((pred, f"segmentation level {level + 1}", "tab10"))
                for ax, (image, title, cmap) in zip(axes[level], panels, strict=False):
                    if cmap == "tab10":
                        ax.imshow(image, cmap=cmap, vmin=0, vmax=9, interpolation="nearest")
                    else:
                        ax.imshow(image, cmap=cmap)
                    ax.set_title(title, fontsize=9)
                    ax.set_xticks([])
                    ax.set_yticks([])
            fig.suptitle(f"{adata.obs_names[i]}: middle slice (z={middle})", fontsize=10)
            fig.tight_layout()
            figures.append((f"Segmentation of {adata.obs_names[i]}", fig))
        return figures
