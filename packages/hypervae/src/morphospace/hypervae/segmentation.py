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


def _axis_weights(box: slice, grid_start: int, grid_size: int, stride: int):
    """Per voxel of ``box`` along one axis: the window centres before and after it (as
    indices from ``grid_start``) and the weight of the one after, from global voxel
    coordinates, so that a tile computes the very numbers the whole volume does."""
    voxels = np.arange(box.start, box.stop)
    before = np.minimum(voxels // stride, grid_size - 1)
    after = np.minimum(before + 1, grid_size - 1)
    weight = np.clip((voxels - before * stride) / stride, 0.0, 1.0)
    weight[after == before] = 0.0  # past the last centre: copy it
    return before - grid_start, after - grid_start, weight


def paint(
    grid_labels: np.ndarray,
    stride: int,
    box: tuple[slice, ...],
    grid_start: tuple[int, ...] = (0, 0, 0),
    grid_size: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Labels of the voxels in ``box`` from labels on the window grid: each voxel takes
    its nearest centre's. ``grid_labels`` holds the grid from ``grid_start`` of a grid of
    ``grid_size`` centres (default: all of it)."""
    grid_size = grid_size or grid_labels.shape
    index = [
        np.clip(np.ceil(np.arange(b.start, b.stop) / stride - 0.5).astype(int), 0, g - 1) - start
        for b, g, start in zip(box, grid_size, grid_start, strict=True)  # ties: lower
    ]
    return grid_labels[np.ix_(*index)]


def interpolate_box(
    z: torch.Tensor,
    box: tuple[slice, ...],
    stride: int,
    curvature: float | None,
    grid_start: tuple[int, ...] = (0, 0, 0),
    grid_size: tuple[int, ...] | None = None,
) -> torch.Tensor:
    """Embeddings ``(voxels, d)`` of the voxels in ``box``, trilinear between the window
    centres of ``z`` ``(gd, gh, gw, d)`` (the grid from ``grid_start`` of a grid of
    ``grid_size`` centres); voxels past the last centre copy it.

    Points on the ball are interpolated in the tangent space at the origin
    (``logmap0``, interpolate, ``expmap0``).
    """
    grid_size = grid_size or tuple(z.shape[:3])
    flat = z if curvature is None else poincare_ball(curvature).logmap0(z)
    axes = [
        _axis_weights(b, start, g, stride)
        for b, start, g in zip(box, grid_start, grid_size, strict=True)
    ]
    out = 0
    for corner in np.ndindex(2, 2, 2):
        index, weight = [], 1.0
        for axis, (before, after, w) in enumerate(axes):
            shape = [1, 1, 1]
            shape[axis] = -1
            index.append(torch.from_numpy((after if corner[axis] else before).reshape(shape)))
            weight = weight * torch.from_numpy((w if corner[axis] else 1 - w).reshape(shape))
        out = out + weight[..., None].to(flat.dtype) * flat[index[0], index[1], index[2]]
    out = out.reshape(-1, flat.shape[-1])
    return out if curvature is None else poincare_ball(curvature).expmap0(out)


def fit_levels(
    z: torch.Tensor,
    n_clusters: tuple[int, ...],
    curvature: float | None,
    n_init: int = 4,
    seed: int = 0,
    max_points: int | None = 8192,
) -> list[torch.Tensor]:
    """The centroids of each level, fitted on window embeddings ``z`` ``(G, d)`` (on a
    random subsample of ``max_points`` of them when there are more)."""
    sample = z
    if max_points is not None and len(z) > max_points:  # fit on a subsample, label all
        rows = np.random.default_rng(seed).choice(len(z), max_points, replace=False)
        sample = z[torch.from_numpy(np.sort(rows))]
    return [
        torch.from_numpy(kmeans(sample, k, curvature, n_init=n_init, seed=seed).centroids)
        for k in n_clusters
    ]


def label_box(
    z: torch.Tensor,
    centroids: list[torch.Tensor],
    box: tuple[slice, ...],
    stride: int,
    curvature: float | None,
    upsample: str,
    grid_start: tuple[int, ...] = (0, 0, 0),
    grid_size: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Label maps ``(levels, *box)`` of the voxels in ``box``, from window embeddings
    ``z`` ``(gd, gh, gw, d)`` (see :func:`interpolate_box`) and each level's centroids."""
    shape = tuple(b.stop - b.start for b in box)
    grid_size = grid_size or tuple(z.shape[:3])
    levels = []
    if upsample == "interpolate" and stride > 1:
        dense = interpolate_box(z, box, stride, curvature, grid_start, grid_size)
        for c in centroids:
            levels.append(nearest_centroid(dense, c, curvature).reshape(shape))
    else:
        flat = z.reshape(-1, z.shape[-1])
        for c in centroids:
            grid_labels = nearest_centroid(flat, c, curvature).reshape(z.shape[:3])
            levels.append(paint(grid_labels, stride, box, grid_start, grid_size))
    return np.stack(levels).astype(np.int32)


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
    z, grid = embed_volume(embed, volume, patch_size, stride, batch_size)
    z = z.double()
    centroids = fit_levels(z, n_clusters, curvature, n_init, seed, max_points)
    whole = tuple(slice(0, n) for n in volume.shape[1:])
    return label_box(z.reshape(*grid, -1), centroids, whole, stride, curvature, upsample)


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

    def embedder(self) -> tuple[Callable[[torch.Tensor], torch.Tensor], float | None]:
        """What embeds a batch of windows for clustering, and the curvature k-means uses
        (``None``: Euclidean, for a Euclidean latent or ``cluster_space: tangent``)."""
        cfg = self.config
        curvature = cfg.curvature if cfg.latent == "poincare" else None
        if curvature is not None and cfg.cluster_space == "tangent":
            return partial(_tangent_embedding, self.vae_.embed_patches, curvature), None
        return self.vae_.embed_patches, curvature

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
        embed, curvature = self.embedder()
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

    def segment_on_cluster(self, x, client) -> Segmentation:
        """:meth:`segment`, each volume segmented tile by tile on ``client``'s cluster
        (:func:`~morphospace.hypervae.chunked_segmentation.segment_in_chunks`)."""
        from morphospace.hypervae.chunked_segmentation import segment_in_chunks

        self.check_is_fitted()
        if not hasattr(x, "chunks"):  # a lazy volume is checked tile by tile
            x = check_array(x, name="volumes", ndim=5, channels=self.vae_.in_channels_)
        lazy = [segment_in_chunks(self, volume, client) for volume in x]
        maps = np.stack(client.compute(lazy, sync=True))
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
