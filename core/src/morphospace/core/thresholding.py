"""Otsu's global threshold, in numpy: the label-free split that plugins' defaults and
classical baselines share (hypervae's object-size estimate, the plugin template's
segmenter) without each depending on scikit-image for one function."""

from __future__ import annotations

import numpy as np


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """The threshold that maximises the between-class variance of ``values`` (Otsu
    1979): the upper edge of the low class's last histogram bin, so ``values >
    threshold`` is the high class."""
    counts, edges = np.histogram(np.asarray(values, dtype=float).ravel(), bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(counts)[:-1]
    weight_high = counts.sum() - weight_low
    mass_low = np.cumsum(counts * centres)[:-1]
    mean_low = mass_low / np.maximum(weight_low, 1)
    mean_high = (np.sum(counts * centres) - mass_low) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(edges[np.argmax(between) + 1])
