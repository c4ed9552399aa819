"""Annotate a field larger than memory, tile by tile on a Dask cluster.

The result equals :func:`~morphospace.diffkillr.propagation.annotate_field` on the whole
field, because every step either reads only near a window (run per tile, with a halo) or
is global and runs once, on the client, on what the tiles return:

1. the field's median (the value windows read past its border) and the Otsu threshold of
   the smoothed field (the prefilter), from histograms gathered over the tiles;
2. per tile, the windows centred in its core are embedded and matched, and how much
   of its archetype's mask each matching window fills is measured: the candidates;
3. the check of that fill and non-maximum suppression over all candidates (a few per
   cell), on the client;
4. per tile, the kept detections centred in its core are registered;
5. which warped masks are kept (best first, against the pixels better ones claimed) is
   decided on the client, from the masks alone; each tile of the label map is then
   painted on a worker, lazily.

The fitted annotator is sent to each worker once. Workers hold one tile with its halo;
the client holds the candidates and the warped masks, never a map of the field. The
returned annotation's ``labels`` is a lazy dask array (compute it, or ``to_zarr``,
while the client is open).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from morphospace.core.dependencies import require
from morphospace.core.distributed import (
    Tile,
    as_dask,
    lazy_from_tiles,
    map_tiles,
    median_in_chunks,
    tiles,
)
from morphospace.core.validation import check_array
from morphospace.diffkillr.foreground import SMOOTHING_RADIUS, smoothed
from morphospace.diffkillr.propagation import (
    Candidates,
    FieldAnnotation,
    assemble,
    check_field,
    find_candidates,
    paint_box,
    register_detections,
    select_detections,
    window_centres,
)

#: Bins of the smoothed field's histogram: the number scikit-image's Otsu uses.
OTSU_BINS = 256


def annotate_in_chunks(
    annotator: Any, image: Any, client: Any, *, tile: int = 1024
) -> FieldAnnotation:
    """The :class:`FieldAnnotation` of ``image (C, H, W)`` (numpy, or a lazy dask array,
    e.g. ``dask.array.from_zarr``) by a fitted ``diffkillr.annotator``, computed on
    ``client``'s cluster in tiles of ``tile`` x ``tile`` pixels. Equal to
    ``annotator.annotate(image)``; its ``labels`` is a lazy dask array with one chunk
    per tile, to compute or write to Zarr while ``client`` is open."""
    annotator.check_is_fitted()
    config, bank = annotator.config, annotator.bank_
    image = check_field(as_dask(image), bank)
    grid = tiles(image.shape[1:], tile, max(bank.patch_size // 2, SMOOTHING_RADIUS))
    shipped = client.scatter(annotator, broadcast=True, hash=False)
    fill = median_in_chunks(image, name="field image")
    foreground = None
    if config.prefilter == "otsu":
        foreground = _otsu_of_smoothed(client, image, grid)
    parts = _per_tile(client, image, grid, _candidates, shipped, fill, foreground)
    found = _in_grid_order(parts)
    kept = select_detections(
        found, bank.patch_size, config.nms_distance, config.max_cells, config.min_mask_fill
    )
    centres, archetypes = found.centres[kept], found.archetypes[kept]
    # tiles are row-major on a regular grid: a centre's tile follows from its position
    per_row = -(-image.shape[2] // tile)
    owner = (centres[:, 0] // tile) * per_row + centres[:, 1] // tile
    busy = sorted(set(owner.tolist()))  # tiles with a detection to register
    registered = _per_tile(
        client,
        image,
        [grid[i] for i in busy],
        _register,
        shipped,
        fill,
        [(centres[owner == i], archetypes[owner == i]) for i in busy],
    )
    warped = np.zeros((len(kept), 1, bank.patch_size, bank.patch_size), dtype=bank.masks.dtype)
    orient, points = np.zeros(len(kept)), np.zeros((len(kept), 2))
    for i, (tile_warped, tile_orient, tile_points) in zip(busy, registered, strict=True):
        rows = owner == i
        warped[rows], orient[rows], points[rows] = tile_warped, tile_orient, tile_points
    return assemble(
        tuple(image.shape[1:]),
        found,
        kept,
        warped,
        orient,
        points,
        bank.patch_size,
        config.max_overlap,
        paint=lambda masks, centres: _painted_in_tiles(
            client, image.shape[1:], tile, masks, centres
        ),
    )


def _painted_in_tiles(client, shape, tile: int, masks: np.ndarray, centres: np.ndarray):
    """The label map as a lazy dask array, each ``tile`` x ``tile`` chunk painted on a
    worker from the stitched masks (sent to each worker once)."""
    dask = require("dask", install="morphospace-core[scale]", needed_for="chunked annotation")
    masks = client.scatter(masks, broadcast=True, hash=False)
    centres = client.scatter(centres, broadcast=True, hash=False)
    grid = tiles(tuple(shape), tile, 0)
    painted = [dask.delayed(paint_box)(t.core, masks, centres) for t in grid]
    return lazy_from_tiles(grid, painted, np.int32)


def _per_tile(client, image, grid: list[Tile], function, *arguments) -> list:
    """``function(block, tile, *arguments)`` on every tile's outer block (see ``map_tiles``)."""
    blocks = [image[(slice(None), *tile.outer)] for tile in grid]
    return map_tiles(client, function, blocks, grid, *arguments) if grid else []


def _smoothed_core(block, tile: Tile) -> np.ndarray:
    return smoothed(check_array(block, name="field image", ndim=3))[tile.core_in_outer()]


def _smoothed_range(block, tile: Tile) -> tuple[Any, Any]:
    core = _smoothed_core(block, tile)
    return core.min(), core.max()


def _smoothed_histogram(block, tile: Tile, low, high) -> np.ndarray:
    return np.histogram(_smoothed_core(block, tile), bins=OTSU_BINS, range=(low, high))[0]


def _otsu_of_smoothed(client, image, grid: list[Tile]) -> float:
    """Otsu's threshold of the smoothed field, from its histogram summed over the tiles:
    the bins and centres scikit-image's ``threshold_otsu`` uses on the whole field."""
    from skimage.filters import threshold_otsu

    ranges = _per_tile(client, image, grid, _smoothed_range)
    low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
    if low == high:
        return float("inf")
    counts = sum(_per_tile(client, image, grid, _smoothed_histogram, low, high))
    edges = np.histogram(np.zeros(0, dtype=np.asarray(low).dtype), OTSU_BINS, (low, high))[1]
    return float(threshold_otsu(hist=(counts, (edges[:-1] + edges[1:]) / 2)))


def _candidates(block, tile: Tile, annotator, fill: float, foreground) -> Candidates:
    offset = tile.offset
    found = find_candidates(
        np.asarray(block),
        window_centres(tile.core, annotator.config.stride) - offset,
        annotator.bank_,
        annotator.invariant_net_,
        fill=fill,
        foreground=foreground,
        threshold=annotator.config.score_threshold,
    )
    return Candidates(
        found.embedded + offset,
        found.centres + offset,
        found.scores,
        found.archetypes,
        found.mask_fill,
    )


def _in_grid_order(parts: list[Candidates]) -> Candidates:
    """The tiles' candidates as one set, row-major like the whole field's windows."""
    embedded = np.concatenate([p.embedded for p in parts])
    centres = np.concatenate([p.centres for p in parts])
    embedded = embedded[np.lexsort((embedded[:, 1], embedded[:, 0]))]
    order = np.lexsort((centres[:, 1], centres[:, 0]))
    return Candidates(
        embedded,
        centres[order],
        np.concatenate([p.scores for p in parts])[order],
        np.concatenate([p.archetypes for p in parts])[order],
        np.concatenate([p.mask_fill for p in parts])[order],
    )


def _register(block, tile: Tile, annotator, fill: float, detections) -> tuple:
    centres, archetypes = detections
    return register_detections(
        np.asarray(block),
        centres - tile.offset,
        archetypes,
        annotator.bank_,
        annotator.mapping_net_,
        fill=fill,
    )
