"""Segment a volume larger than memory, tile by tile on a Dask cluster.

The result equals :meth:`HierarchicalSegmenter.segment` on the whole volume, in two
passes over tiles whose sides are multiples of the stride (so a tile's window grid is
the volume's):

1. per tile, the windows centred in its core are embedded; the tile reads a halo of
   half a window (rounded up to the stride) around its core;
2. on the client, each level's k-means is fitted on the window embeddings (the same
   subsample, drawn from the same grid order, as in memory);
3. per tile, every voxel of its core is labelled from the embeddings of the window
   centres around it (one centre of halo) and the centroids.

The fitted segmenter is sent to each worker once. Workers hold one tile; the client
holds the window embeddings (one row per ``stride``\\ :sup:`3` voxels) and the label maps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from morphospace.core.dependencies import require
from morphospace.core.distributed import Tile, as_dask, lazy_from_tiles, map_tiles, tiles
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array
from morphospace.hypervae.segmentation import embed_volume, fit_levels, label_box, window_grid


def segment_in_chunks(segmenter: Any, volume: Any, client: Any, *, tile: int = 64):
    """Label maps ``(levels, D, H, W)`` of one volume ``(C, D, H, W)`` (numpy, or a lazy
    dask array, e.g. ``dask.array.from_zarr``) by a fitted ``hypervae.segmenter``, on
    ``client``'s cluster in tiles of about ``tile`` voxels a side.

    The windows are embedded and the levels' k-means fitted when this is called; the
    labels come back as a lazy dask array, one chunk per tile, to compute or write to
    Zarr. Equal to ``segmenter.segment(volume[None]).label_maps[0]``."""
    dask = require("dask", install="morphospace-core[scale]", needed_for="chunked segmentation")
    segmenter.check_is_fitted()
    config, vae = segmenter.config, segmenter.vae_
    volume = as_dask(volume)
    if volume.ndim != 4 or volume.shape[0] != vae.in_channels_:
        raise InputError(
            f"volume: expected (C, D, H, W) with C = {vae.in_channels_}, found shape "
            f"{tuple(volume.shape)}"
        )
    stride, patch = config.stride, segmenter.patch_size_
    if min(volume.shape[1:]) < patch:
        raise InputError(
            f"volume: spatial shape {tuple(volume.shape[1:])} is smaller than the patch "
            f"{patch}^3 that {segmenter.name} embeds"
        )
    edge = -(-max(tile, stride) // stride) * stride
    halo = -(-(patch // 2 + 1) // stride) * stride
    grid_size = window_grid(tuple(volume.shape[1:]), stride)
    grid = tiles(tuple(volume.shape[1:]), edge, halo)
    shipped = client.scatter(segmenter, broadcast=True, hash=False)

    blocks = [volume[(slice(None), *t.outer)] for t in grid]
    parts = map_tiles(client, _embed_tile, grid, blocks, shipped)
    z = torch.zeros((*grid_size, parts[0].shape[-1]), dtype=torch.float64)
    for t, part in zip(grid, parts, strict=True):
        z[_grid_box(t.core, stride)] = part
    _, curvature = segmenter.embedder()
    centroids = fit_levels(
        z.reshape(-1, z.shape[-1]),
        config.n_clusters,
        curvature,
        config.n_init,
        config.seed,
        config.max_cluster_points,
    )
    # the labelling pass stays lazy: a chunk per tile, computed or written (to_zarr) later
    labels = []
    for t in grid:
        box = _grid_box(_widened(t.core, stride, grid_size), stride)
        labels.append(
            dask.delayed(label_box)(
                z[box],
                centroids,
                t.core,
                stride,
                curvature,
                config.upsample,
                tuple(b.start for b in box),
                grid_size,
            )
        )
    return lazy_from_tiles(grid, labels, np.int32, leading=(len(config.n_clusters),))


def _embed_tile(tile: Tile, block, segmenter) -> torch.Tensor:
    """Embeddings ``(gd, gh, gw, d)`` of the windows centred in the tile's core."""
    block = check_array(block, name="volume", ndim=4)
    scaled = segmenter.vae_.scale_intensities(block[None])[0]
    embed, _ = segmenter.embedder()
    z, grid = embed_volume(
        embed,
        scaled,
        segmenter.patch_size_,
        segmenter.config.stride,
        segmenter.config.window_batch_size,
    )
    core = _grid_box(tile.core_in_outer(), segmenter.config.stride)
    return z.double().reshape(*grid, -1)[core]


def _grid_box(box: tuple[slice, ...], stride: int) -> tuple[slice, ...]:
    """The window centres (grid indices) that lie in a voxel box."""
    return tuple(slice(-(-b.start // stride), -(-b.stop // stride)) for b in box)


def _widened(box, stride: int, grid_size) -> tuple[slice, ...]:
    """A voxel box grown by one window centre each way (what interpolation reads)."""
    return tuple(
        slice(max(b.start - stride, 0), min(b.stop + stride, g * stride))
        for b, g in zip(box, grid_size, strict=True)
    )
