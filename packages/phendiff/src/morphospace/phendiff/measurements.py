"""Classical per-cell measurements, one row per image, as CellProfiler would report them.

The cell of each image is its mask (when given) or, without masks, the largest connected
component above Otsu's threshold of ``channel``. From it scikit-image's ``regionprops``
gives the shape (``area``, ``perimeter``, ``eccentricity``, ``solidity``); every channel
gives ``mean_intensity_<c>``, ``integrated_intensity_<c>``, ``intensity_std_<c>`` (a
texture measure) and ``radial_mean_<c>`` inside the cell: how far from the cell's centre
the channel's signal above background sits, in cell radii (CellProfiler's radial
intensity distribution in one number: a compartment dispersing raises it);
``glcm_contrast`` is the grey-level co-occurrence contrast of ``channel`` in the cell's
bounding box (16 levels, distance 1, four angles); ``spot_count`` counts bright spots
in ``spot_channel`` (local maxima of the smoothed channel inside the cell, reaching a
quarter of its brightest point's height above the background). An image with no cell
gets zeros and ``empty = 1``: the table is NaN-free.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from morphospace.core.errors import InputError
from morphospace.core.validation import check_array

#: Columns that describe the segmentation rather than the cell; not features.
FLAG_COLUMNS = ("empty",)
#: Gaussian smoothing (pixels) before spots are found, and the share of the brightest
#: spot's height above background that a spot must reach.
SPOT_SMOOTHING, SPOT_THRESHOLD = 0.7, 0.25
#: Grey levels of the co-occurrence matrix.
GLCM_LEVELS = 16


def feature_columns(table: pd.DataFrame) -> list[str]:
    """The columns of a :func:`measure` table that are features (all but the flags)."""
    return [c for c in table.columns if c not in FLAG_COLUMNS]


def _largest_component(image: np.ndarray) -> np.ndarray:
    from skimage.filters import threshold_otsu
    from skimage.measure import label

    if image.max() <= image.min():
        return np.zeros(image.shape, dtype=bool)
    labels = label(image > threshold_otsu(image))
    if labels.max() == 0:
        return np.zeros(image.shape, dtype=bool)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def _glcm_contrast(image: np.ndarray, mask: np.ndarray) -> float:
    from skimage.feature import graycomatrix, graycoprops

    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    box = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if min(box.shape) < 2:
        return 0.0
    low, high = float(box.min()), float(box.max())
    if high <= low:
        return 0.0
    levels = np.minimum(((box - low) / (high - low) * GLCM_LEVELS).astype(np.uint8), 15)
    glcm = graycomatrix(
        levels,
        [1],
        [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4],
        GLCM_LEVELS,
        symmetric=True,
        normed=True,
    )
    return float(graycoprops(glcm, "contrast").mean())


def _radial_mean(image: np.ndarray, mask: np.ndarray, centroid: tuple[float, float]) -> float:
    """Signal-weighted mean distance from ``centroid``, over the cell's equivalent radius."""
    background = float(np.median(image[~mask])) if (~mask).any() else float(image.min())
    signal = np.clip(image - background, 0, None) * mask
    total = float(signal.sum())
    if total <= 0:
        return 0.0
    rows, cols = np.indices(image.shape)
    distance = np.hypot(rows - centroid[0], cols - centroid[1])
    radius = np.sqrt(mask.sum() / np.pi)
    return float((signal * distance).sum() / total / radius)


def _spot_count(image: np.ndarray, mask: np.ndarray) -> int:
    from scipy import ndimage
    from skimage.feature import peak_local_max

    smooth = ndimage.gaussian_filter(image.astype(np.float64), SPOT_SMOOTHING)
    background = float(np.median(smooth[~mask])) if (~mask).any() else float(smooth.min())
    inside = smooth[mask]
    if inside.size == 0 or inside.max() <= background:
        return 0
    threshold = background + SPOT_THRESHOLD * (inside.max() - background)
    peaks = peak_local_max(
        np.where(mask, smooth, background),
        min_distance=1,
        threshold_abs=threshold,
        exclude_border=False,
    )
    return len(peaks)


def measure(
    images,
    masks=None,
    channel: int = 0,
    spot_channel: int | None = None,
) -> pd.DataFrame:
    """Per-image measurements of the cell in ``images`` ``(N, C, H, W)``.

    ``masks`` ``(N, H, W)`` or ``(N, 1, H, W)``: nonzero pixels are the cell; without them
    each image is segmented on ``channel``. ``spot_channel`` defaults to channel 1 when
    there are two channels or more, else ``channel``. Returns a DataFrame with one row per
    image, in order.
    """
    from skimage.measure import regionprops

    images = check_array(images, name="images", ndim=4)
    n, n_channels = images.shape[:2]
    for name, value in (("channel", channel), ("spot_channel", spot_channel)):
        if value is not None and not 0 <= value < n_channels:
            raise InputError(
                f"{name}: expected a channel index in [0, {n_channels - 1}], found {value!r}"
            )
    if spot_channel is None:
        spot_channel = 1 if n_channels > 1 else channel
    if masks is not None:
        masks = check_array(masks, name="masks", ndim=(3, 4))
        if masks.ndim == 4:
            if masks.shape[1] != 1:
                raise InputError(
                    f"masks: expected one channel (N, 1, H, W), found shape {masks.shape}"
                )
            masks = masks[:, 0]
        if masks.shape != (n, *images.shape[2:]):
            raise InputError(
                f"masks: expected shape {(n, *images.shape[2:])} to match images "
                f"{images.shape}, found {masks.shape}"
            )
    rows = []
    for i in range(n):
        image = images[i].astype(np.float64)
        mask = masks[i] != 0 if masks is not None else _largest_component(image[channel])
        row: dict[str, float] = {}
        if not mask.any():
            rows.append(None)
            continue
        region = regionprops(mask.astype(np.uint8))[0]
        row["area"] = float(region.area)
        row["perimeter"] = float(region.perimeter)
        row["eccentricity"] = float(region.eccentricity)
        row["solidity"] = float(region.solidity)
        for c in range(n_channels):
            inside = image[c][mask]
            row[f"mean_intensity_{c}"] = float(inside.mean())
            row[f"integrated_intensity_{c}"] = float(inside.sum())
            row[f"intensity_std_{c}"] = float(inside.std())
            row[f"radial_mean_{c}"] = _radial_mean(image[c], mask, region.centroid)
        row["glcm_contrast"] = _glcm_contrast(image[channel], mask)
        row["spot_count"] = float(_spot_count(image[spot_channel], mask))
        row["empty"] = 0.0
        rows.append(row)
    columns = ["area", "perimeter", "eccentricity", "solidity"]
    for c in range(n_channels):
        columns += [
            f"{name}_{c}"
            for name in ("mean_intensity", "integrated_intensity", "intensity_std", "radial_mean")
        ]
    columns += ["glcm_contrast", "spot_count", "empty"]
    n_empty = sum(row is None for row in rows)
    if n_empty:
        warnings.warn(
            f"measure: {n_empty} of {n} images have no cell (empty segmentation); their "
            "measurements are 0 and their 'empty' column is 1",
            stacklevel=2,
        )
    filled = [
        row if row is not None else {**dict.fromkeys(columns, 0.0), "empty": 1.0} for row in rows
    ]
    return pd.DataFrame(filled, columns=columns, dtype=float)
