"""Cells of a field as AnnData: one observation per label of an instance label image.

The label image is what any segmentation tool writes (Cellpose, StarDist, a watershed,
CellProfiler's objects): 0 is background, every other integer one cell. Each cell
becomes a square crop of the field centred on its centroid (``obsm["image"]``), its own
mask in that crop (``obsm["mask"]``, other cells' pixels are 0) and its centroid, area
and bounding box in ``obs``. Crops never resample: a cell larger than the crop is cut,
and counted. Files or arrays are accepted; integer pixels are scaled by their type's
maximum into [0, 1], as :func:`~morphospace.core.io.read_crops` does.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from morphospace.core.crops import crop_cells
from morphospace.core.errors import InputError
from morphospace.core.io.crops import SUFFIXES, _channels_first, _read

logger = logging.getLogger(__name__)


def _field(source: Any, name: str) -> tuple[np.ndarray, str]:
    """An array given as an array or as a file (its pixels, and what to call it in errors)."""
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{name}: {path} is not a file")
        if path.suffix.lower() not in SUFFIXES:
            raise InputError(
                f"{name}: {path} is not an image file (expected {', '.join(SUFFIXES)})"
            )
        return path, str(path)
    return np.asarray(source), name


def _labels(source: Any) -> tuple[np.ndarray, str]:
    labels, where = _field(source, "labels")
    if isinstance(labels, Path):
        path = labels
        # read without _read's scaling: label ids are integers, not intensities
        if path.suffix.lower() == ".npy":
            labels = np.load(path, allow_pickle=False)
        else:
            from morphospace.core.dependencies import require

            if path.suffix.lower() == ".png":
                raise InputError(f"labels: {path}: store label images as .tif or .npy, not .png")
            tifffile = require("tifffile", install="tifffile", needed_for="reading TIFF labels")
            try:
                labels = tifffile.imread(path)
            except (OSError, ValueError) as exc:
                raise InputError(f"labels: {path}: not a readable image: {exc}") from None
    if labels.size == 0:
        raise InputError(f"{where}: not a readable image (it holds no pixels)")
    labels = np.squeeze(labels)
    if labels.ndim not in (2, 3):
        raise InputError(
            f"{where}: expected an instance label image (H, W) or (D, H, W), found shape "
            f"{labels.shape}"
        )
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.array_equal(labels, np.round(labels)):
            raise InputError(f"{where}: expected integer cell ids, found fractional values")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "ui" and labels.dtype != bool:
        raise InputError(f"{where}: expected integer cell ids, found dtype {labels.dtype}")
    if labels.min() < 0:
        raise InputError(f"{where}: cell ids must be >= 0 (0 is background), found {labels.min()}")
    return labels.astype(np.int64), where


def _image(source: Any, spatial: int) -> tuple[np.ndarray, str]:
    """The field as ``(C, H, W)`` (``spatial`` 2) or ``(C, D, H, W)`` (3), float32."""
    image, where = _field(source, "image")
    if isinstance(image, Path):
        pixels = _read(image)
        if spatial == 2:
            pixels = _channels_first(pixels, image)
    else:
        pixels = np.asarray(image)
        if pixels.dtype.kind in "ui":
            pixels = pixels / np.iinfo(pixels.dtype).max
    if pixels.ndim == spatial:
        pixels = pixels[None]
    if pixels.ndim != spatial + 1:
        expected = "(H, W) or (C, H, W)" if spatial == 2 else "(D, H, W) or (C, D, H, W)"
        raise InputError(
            f"{where}: expected {expected} like its {spatial}-D labels, found shape {pixels.shape}"
        )
    pixels = np.asarray(pixels, dtype=np.float32)
    if not np.all(np.isfinite(pixels)):
        raise InputError(f"{where}: the image holds NaN or infinite values")
    return pixels, where


def read_labelled_cells(
    image: Any,
    labels: Any,
    *,
    size: int | None = None,
    fill: float | None = None,
) -> Any:
    """One observation per cell of ``labels`` (an instance label image, array or file).

    ``labels`` is 2-D ``(H, W)`` or 3-D ``(D, H, W)``; ``image`` is the field of the same
    spatial shape, ``(H, W)``/``(C, H, W)`` or ``(D, H, W)``/``(C, D, H, W)`` (a
    TIFF/PNG/NPY file or an array; channels first in 3-D). ``size``: the crops' edge
    (default: the largest cell's bounding box, so every cell fits). ``fill``: what a crop
    reads past the field's border (default: the field's median). Returns AnnData with
    ``obsm["image"]`` ``(N, C, size, size)`` (``obsm["volume"]`` ``(N, C, size, size,
    size)`` in 3-D) float32, ``obsm["mask"]`` ``(N, 1, size, ...)`` uint8 and ``obs``
    columns ``label``, ``area`` (pixels or voxels), ``centroid_row``, ``centroid_col``,
    ``bbox_min_row/col`` and ``bbox_max_row/col`` (exclusive), plus ``centroid_z``,
    ``bbox_min_z`` and ``bbox_max_z`` in 3-D, in label order. ``uns["labelled_cells"]``
    names the files and keeps the crop ``size`` and the ``field_shape`` (to tell cells
    cut by the field's border: a box touching 0 or the shape).
    """
    import anndata
    import pandas as pd
    from scipy import ndimage

    ids, labels_name = _labels(labels)
    spatial = ids.ndim
    pixels, image_name = _image(image, spatial)
    if pixels.shape[1:] != ids.shape:
        raise InputError(
            f"{image_name} is {' x '.join(map(str, pixels.shape[1:]))} pixels but {labels_name} "
            f"is {' x '.join(map(str, ids.shape))}: the label image must match the field"
        )
    present = np.unique(ids)
    present = present[present > 0]
    if len(present) == 0:
        raise InputError(f"{labels_name}: no cells (every pixel is 0, the background)")
    boxes = ndimage.find_objects(ids)
    boxes = [boxes[i - 1] for i in present]
    extents = np.array([[axis.stop - axis.start for axis in box] for box in boxes])
    if size is None:
        size = int(extents.max())
    elif isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"size: expected a positive number of pixels, found {size!r}")
    area = ndimage.sum_labels(np.ones_like(ids), ids, present)
    cells = crop_cells(pixels, ids, size, ids=present, fill=fill)
    cut = int((extents > size).any(axis=1).sum())
    if cut:
        logger.warning(
            "%d of %d cells are larger than the %d-pixel crop and are cut at its edge",
            cut,
            len(present),
            size,
        )
    axes = ["row", "col"] if spatial == 2 else ["z", "row", "col"]
    columns: dict[str, Any] = {"label": present, "area": area.astype(np.int64)}
    for i, axis in enumerate(axes):
        columns[f"centroid_{axis}"] = cells.centroids[:, i]
    for i, axis in enumerate(axes):
        columns[f"bbox_min_{axis}"] = [box[i].start for box in boxes]
    for i, axis in enumerate(axes):
        columns[f"bbox_max_{axis}"] = [box[i].stop for box in boxes]
    obs = pd.DataFrame(columns, index=[f"cell{i}" for i in present])
    key = "image" if spatial == 2 else "volume"
    adata = anndata.AnnData(
        obs=obs, obsm={key: cells.images.astype(np.float32), "mask": cells.masks}
    )
    adata.uns["labelled_cells"] = {
        "image": image_name,
        "labels": labels_name,
        "size": size,
        "field_shape": list(ids.shape),
        "cells_cut": cut,
    }
    return adata
