"""Layers in, arrays out, and back: what a component reads from napari and what it gives it.

A component takes batches ``(N, C, [D,] H, W)``; a napari image layer is one field or
volume, a labels layer one instance label image. Cells of a labels layer become crops
through :func:`morphospace.core.io.read_labelled_cells`, the reader pipelines use, so
what the widget runs on is what a saved pipeline will run on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from morphospace.core.errors import InputError


def image_of(layer: Any, role: str = "image") -> np.ndarray:
    """An image layer's pixels as ``(C, [D,] H, W)`` float32: a single-channel 2-D image
    or 3-D volume, or an RGB(A) image (channels moved first)."""
    array = np.asarray(layer.data, dtype=np.float32)
    if getattr(layer, "rgb", False):
        array = np.moveaxis(array, -1, 0)
    elif array.ndim in (2, 3):
        array = array[None]
    else:
        raise InputError(
            f"{role} layer {layer.name!r} is {array.ndim}-D (shape {array.shape}); pick a "
            "2-D image or a 3-D volume of one channel"
        )
    if not np.all(np.isfinite(array)):
        raise InputError(f"{role} layer {layer.name!r} holds NaN or infinite values")
    return array


def batch_key(image: np.ndarray) -> str:
    """The AnnData key a pipeline reads a field ``(C, [D,] H, W)`` under."""
    return "volume" if image.ndim == 4 else "image"


def labels_of(layer: Any, like: np.ndarray | None = None, role: str = "labels") -> np.ndarray:
    """A labels layer's instance ids ``([D,] H, W)`` int64, checked against an image
    ``(C, [D,] H, W)`` of the same field."""
    labels = np.asarray(layer.data)
    if like is not None and labels.shape != like.shape[1:]:
        raise InputError(
            f"{role} layer {layer.name!r} is {' x '.join(map(str, labels.shape))} but the image "
            f"is {' x '.join(map(str, like.shape[1:]))}: a label image must match its field"
        )
    return labels.astype(np.int64, copy=False)


def cells_of(image: np.ndarray, labels: np.ndarray, size: int | None) -> Any:
    """One AnnData observation per cell (crops, masks, measurements; see
    :func:`~morphospace.core.io.read_labelled_cells`)."""
    from morphospace.core.io import read_labelled_cells

    return read_labelled_cells(image, labels, size=size or None)


def cell_measurements(cells: Any) -> tuple[np.ndarray, list[str]]:
    """A feature table ``(N, F)`` per cell, for encoders of features (``dmlcluster.*``):
    area, bounding-box extent and fill, and per channel the mean, standard deviation and
    10th/50th/90th percentiles of the pixels inside the cell's own mask."""
    obs = cells.obs
    spatial = [axis for axis in ("z", "row", "col") if f"bbox_min_{axis}" in obs]
    extents = [obs[f"bbox_max_{a}"] - obs[f"bbox_min_{a}"] for a in spatial]
    columns = {"area": obs["area"].to_numpy(float)}
    for axis, extent in zip(spatial, extents, strict=True):
        columns[f"extent_{axis}"] = extent.to_numpy(float)
    columns["fill"] = columns["area"] / np.prod([e.to_numpy(float) for e in extents], axis=0)
    key = "volume" if "volume" in cells.obsm else "image"
    crops, masks = np.asarray(cells.obsm[key]), np.asarray(cells.obsm["mask"])[:, 0] > 0
    for channel in range(crops.shape[1]):
        inside = [crop[channel][mask] for crop, mask in zip(crops, masks, strict=True)]
        stats = np.array(
            [[p.mean(), p.std(), *np.percentile(p, [10, 50, 90])] for p in inside], float
        )
        for j, stat in enumerate(["mean", "std", "p10", "p50", "p90"]):
            columns[f"intensity_{stat}_{channel}"] = stats[:, j]
    return np.column_stack(list(columns.values())), list(columns)


def paint_cells(labels: np.ndarray, cell_ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A label image where each cell's pixels hold ``value + 1`` (0 stays background):
    cells coloured by cluster, or only the selected cells kept (``values`` -1 drops one)."""
    lookup = np.zeros(int(labels.max()) + 1, np.int64)
    lookup[np.asarray(cell_ids, np.int64)] = np.asarray(values, np.int64) + 1
    return lookup[labels]


def arrows(table: Any, length: float | np.ndarray) -> np.ndarray:
    """Napari vectors ``(N, 2, 2)``: each row's axis, ``length`` pixels long (one value or
    one per row) and centred on its ``(y, x)``, at its ``orientation`` (``atan2(d_row,
    d_col)``, modulo pi)."""
    centres = table[["y", "x"]].to_numpy(float)
    theta = table["orientation"].to_numpy(float)
    direction = np.reshape(length, (-1, 1)) * np.stack([np.sin(theta), np.cos(theta)], axis=1)
    return np.stack([centres - direction / 2, direction], axis=1)


def displacement_arrows(field: np.ndarray, every: int) -> np.ndarray:
    """Napari vectors ``(M, 2, 2)`` of a displacement field ``(2, H, W)`` (pixels, y then
    x) sampled every ``every`` pixels, zero displacements left out."""
    rows, cols = np.mgrid[every // 2 : field.shape[1] : every, every // 2 : field.shape[2] : every]
    starts = np.stack([rows.ravel(), cols.ravel()], axis=1).astype(float)
    moves = field[:, rows.ravel(), cols.ravel()].T
    keep = np.abs(moves).sum(axis=1) > 1e-6
    return np.stack([starts[keep], moves[keep]], axis=1)
