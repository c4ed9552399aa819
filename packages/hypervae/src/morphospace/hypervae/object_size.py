"""How thick are the objects in a volume? A label-free estimate for the default patch size.

Window methods blur boundaries by half a window, so the patch must shrink with the
objects (docs/hypervae.md: 4³ windows for nuclei 13-20 voxels across, 8³ loses 0.1
Dice). The estimate assumes objects that stand out by intensity, as stained nuclei or
cells do: the volume is lightly smoothed and split by an Otsu threshold, and each
connected object's thickness follows from its largest distance to the background (the
diameter of the largest ball inside it, so a flattened nucleus counts by its short axis).
The median over objects is the typical thickness. Where objects differ by texture rather
than brightness (the paper's toy data), the estimate means little: set ``patch_size``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from morphospace.core.thresholding import otsu_threshold

#: Patch edge per voxel of object thickness, chosen on synthetic nuclei stacks of three
#: sizes (``benchmarks/bench_patch_size_rule.py``), never on the reported real stack.
PATCH_PER_THICKNESS = 0.2
#: Bounds of the automatic patch size: 4 is the smallest patch the VAE embeds.
MIN_AUTO_PATCH, MAX_AUTO_PATCH = 4, 16
#: Objects smaller than this many voxels are noise, not objects.
MIN_OBJECT_VOXELS = 27


def estimate_object_thickness(volumes: np.ndarray) -> float | None:
    """Median thickness (voxels) of the bright objects in volumes ``(N, C, D, H, W)``.

    Channels are averaged. ``None`` when no volume holds an object of at least
    ``MIN_OBJECT_VOXELS`` voxels (a flat or all-noise volume).
    """
    thickness: list[np.ndarray] = []
    for volume in volumes:
        image = ndimage.gaussian_filter(np.asarray(volume, np.float64).mean(axis=0), 1.0)
        low, high = np.percentile(image, [0.5, 99.5])
        if high <= low:
            continue
        foreground = image > otsu_threshold(np.clip(image, low, high))
        objects, n = ndimage.label(foreground)
        if n == 0:
            continue
        index = np.arange(1, n + 1)
        sizes = ndimage.sum_labels(foreground, objects, index)
        inside = ndimage.distance_transform_edt(foreground)
        radii = ndimage.maximum(inside, objects, index)
        # a distance of r voxels to the nearest background voxel centre is 2r - 1 across
        thickness.append(2 * np.asarray(radii)[sizes >= MIN_OBJECT_VOXELS] - 1)
    found = np.concatenate(thickness) if thickness else np.empty(0)
    return float(np.median(found)) if found.size else None


def auto_patch_size(volumes: np.ndarray, default: int = 8) -> int:
    """The patch edge for objects of the estimated thickness: ``PATCH_PER_THICKNESS`` of
    it, within ``[MIN_AUTO_PATCH, MAX_AUTO_PATCH]`` and at most half the smallest axis
    (the triplet loss needs a parent patch of twice the edge); ``default`` when no
    object can be found."""
    thickness = estimate_object_thickness(volumes)
    patch = default if thickness is None else round(PATCH_PER_THICKNESS * thickness)
    largest = max(min(MAX_AUTO_PATCH, min(np.shape(volumes)[2:]) // 2), MIN_AUTO_PATCH)
    return int(np.clip(patch, MIN_AUTO_PATCH, largest))
