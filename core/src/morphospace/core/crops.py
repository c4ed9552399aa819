"""Square (cubic) windows cut around points of an image or volume: cells, model patches.

Every plugin that works on single cells of a larger image crops them here, one way
(:func:`crop` around points, :func:`crop_cells` around the cells of a label image):
centres are rounded to pixels and clipped to the image, and a window that reaches past
the border reads ``fill`` there (default: the image's median, i.e. background).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def crop(
    image: np.ndarray, centres: np.ndarray, size: int, fill: float | None = None
) -> np.ndarray:
    """Windows ``(K, C, size, size)`` of ``image (C, H, W)`` centred on ``centres (K, 2)``,
    or cubes ``(K, C, size, size, size)`` of a volume ``(C, D, H, W)`` on ``centres (K, 3)``.

    Centres are ``(row, column)`` (``(plane, row, column)``), rounded and clipped to the
    image; outside the image a window reads ``fill`` (default: the image's median).
    """
    fill = float(np.median(image)) if fill is None else fill
    spatial = image.ndim - 1
    half = size // 2
    padded = np.pad(image, ((0, 0),) + ((half, half),) * spatial, constant_values=fill)
    centres = np.rint(np.asarray(centres)).astype(int).reshape(-1, spatial)
    centres = np.clip(centres, 0, np.array(image.shape[1:]) - 1)  # windows stay on the image
    if len(centres) == 0:
        return np.zeros((0, image.shape[0]) + (size,) * spatial, dtype=image.dtype)
    return np.stack(
        [padded[(slice(None), *(slice(c, c + size) for c in centre))] for centre in centres]
    )


@dataclass(frozen=True)
class CellCrops:
    """Square crops of the cells of an instance label image, one row per cell id."""

    ids: np.ndarray  #: ``(K,)`` cell ids, ascending
    centroids: np.ndarray  #: ``(K, 2)`` (row, column), or ``(K, 3)``: centres of mass
    images: np.ndarray  #: ``(K, C, size, size[, size])`` crops of the field around them
    masks: np.ndarray  #: ``(K, 1, size, size[, size])`` uint8: each cell's own pixels


def crop_cells(
    image: np.ndarray,
    labels: np.ndarray,
    size: int,
    ids: np.ndarray | None = None,
    fill: float | None = None,
) -> CellCrops:
    """Each cell of ``labels (H, W)`` or ``(D, H, W)`` (ids ``> 0``, or the ``ids`` given)
    cropped from ``image (C, H, W)`` or ``(C, D, H, W)`` around its centroid, with its own
    mask (neighbours are 0)."""
    from scipy import ndimage

    labels = np.asarray(labels)
    if ids is None:
        ids = np.unique(labels[labels > 0])
    ids = np.asarray(ids, dtype=np.int64)
    spatial = labels.ndim
    if len(ids) == 0:
        empty = np.zeros((0, 1) + (size,) * spatial, np.uint8)
        none = np.zeros((0, spatial))
        return CellCrops(ids, none, crop(image, none, size), empty)
    centroids = np.array(ndimage.center_of_mass(np.ones_like(labels), labels, ids))
    centroids = centroids.reshape(-1, spatial)
    images = crop(image, centroids, size, fill=fill)
    own = crop(labels[None].astype(np.float64), centroids, size, fill=0)
    masks = (own == ids.reshape((-1,) + (1,) * (spatial + 1))).astype(np.uint8)
    return CellCrops(ids, centroids, images, masks)
