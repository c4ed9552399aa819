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
    if labels.ndim != 2:
        raise InputError(
            f"{where}: expected a 2-D instance label image (H, W), found shape {labels.shape}"
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


def _image(source: Any) -> tuple[np.ndarray, str]:
    image, where = _field(source, "image")
    if isinstance(image, Path):
        pixels = _channels_first(_read(image), image)
    else:
        pixels = np.asarray(image)
        if pixels.dtype.kind in "ui":
            pixels = pixels / np.iinfo(pixels.dtype).max
        if pixels.ndim == 2:
            pixels = pixels[None]
        elif pixels.ndim != 3:
            raise InputError(f"image: expected (H, W) or (C, H, W), found shape {pixels.shape}")
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
    """One observation per cell of ``labels`` (a 2-D instance label image, array or file).

    ``image`` is the field, ``(H, W)`` or ``(C, H, W)`` (a TIFF/PNG/NPY file or an
    array) of the labels' height and width. ``size``: the crops' edge (default: the
    largest cell's bounding box, so every cell fits). ``fill``: what a crop reads past
    the field's border (default: the field's median). Returns AnnData with
    ``obsm["image"]`` ``(N, C, size, size)`` float32, ``obsm["mask"]``
    ``(N, 1, size, size)`` uint8 and ``obs`` columns ``label``, ``centroid_row``,
    ``centroid_col``, ``area`` and ``bbox_min_row/col``, ``bbox_max_row/col``
    (exclusive), in label order.
    """
    import anndata
    import pandas as pd
    from scipy import ndimage

    pixels, image_name = _image(image)
    ids, labels_name = _labels(labels)
    if pixels.shape[1:] != ids.shape:
        raise InputError(
            f"{image_name} is {pixels.shape[1]} x {pixels.shape[2]} pixels but {labels_name} is "
            f"{ids.shape[0]} x {ids.shape[1]}: the label image must match the field"
        )
    present = np.unique(ids)
    present = present[present > 0]
    if len(present) == 0:
        raise InputError(f"{labels_name}: no cells (every pixel is 0, the background)")
    boxes = ndimage.find_objects(ids)
    boxes = [boxes[i - 1] for i in present]
    heights = np.array([b[0].stop - b[0].start for b in boxes])
    widths = np.array([b[1].stop - b[1].start for b in boxes])
    if size is None:
        size = int(max(heights.max(), widths.max()))
    elif isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"size: expected a positive number of pixels, found {size!r}")
    area = ndimage.sum_labels(np.ones_like(ids), ids, present)
    cells = crop_cells(pixels, ids, size, ids=present, fill=fill)
    centroid_row, centroid_col = cells.centroids.T
    crops, masks = cells.images, cells.masks
    cut = int(((heights > size) | (widths > size)).sum())
    if cut:
        logger.warning(
            "%d of %d cells are larger than the %d-pixel crop and are cut at its edge",
            cut,
            len(present),
            size,
        )
    obs = pd.DataFrame(
        {
            "label": present,
            "centroid_row": centroid_row,
            "centroid_col": centroid_col,
            "area": area.astype(np.int64),
            "bbox_min_row": [b[0].start for b in boxes],
            "bbox_min_col": [b[1].start for b in boxes],
            "bbox_max_row": [b[0].stop for b in boxes],
            "bbox_max_col": [b[1].stop for b in boxes],
        },
        index=[f"cell{i}" for i in present],
    )
    adata = anndata.AnnData(obs=obs, obsm={"image": crops.astype(np.float32), "mask": masks})
    adata.uns["labelled_cells"] = {
        "image": image_name,
        "labels": labels_name,
        "size": size,
        "cells_cut": cut,
    }
    return adata
