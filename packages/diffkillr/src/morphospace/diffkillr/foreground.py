"""The bright part of a field: Otsu's threshold of the smoothed channel mean.

The annotator embeds only windows centred in it: a cheap prefilter that skips most of
the background.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Smoothing (pixels) before the Otsu prefilter, and how far it reaches (scipy's
#: ``gaussian_filter`` truncates at 4 sigma): the halo a tile needs for exact values.
SMOOTHING_SIGMA = 2.0
SMOOTHING_RADIUS = int(4.0 * SMOOTHING_SIGMA + 0.5)


def smoothed(image: np.ndarray) -> np.ndarray:
    """The channel mean of ``image (C, H, W)``, Gaussian-smoothed: what the prefilter reads."""
    return ndimage.gaussian_filter(image.mean(0), SMOOTHING_SIGMA)


def foreground_threshold(smooth: np.ndarray) -> float:
    """Otsu's threshold of a smoothed field (``inf`` for a flat one: nothing is foreground)."""
    from skimage.filters import threshold_otsu

    return float("inf") if np.ptp(smooth) == 0 else float(threshold_otsu(smooth))
