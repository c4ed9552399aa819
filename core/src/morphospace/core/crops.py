"""Square windows cut around points of an image: cells from a field, patches for a model.

Every plugin that works on single cells of a larger image crops them here, one way:
centres are rounded to pixels and clipped to the image, and a window that reaches past
the border reads ``fill`` there (default: the image's median, i.e. background).
"""

from __future__ import annotations

import numpy as np


def crop(
    image: np.ndarray, centres: np.ndarray, size: int, fill: float | None = None
) -> np.ndarray:
    """Square windows ``(K, C, size, size)`` of ``image (C, H, W)`` centred on ``centres (K, 2)``.

    Centres are ``(row, column)``, rounded and clipped to the image; outside the image a
    window reads ``fill`` (default: the image's median).
    """
    fill = float(np.median(image)) if fill is None else fill
    half = size // 2
    padded = np.pad(image, ((0, 0), (half, half), (half, half)), constant_values=fill)
    centres = np.rint(np.asarray(centres)).astype(int).reshape(-1, 2)
    centres = np.clip(centres, 0, np.array(image.shape[1:]) - 1)  # windows stay on the image
    if len(centres) == 0:
        return np.zeros((0, image.shape[0], size, size), dtype=image.dtype)
    return np.stack([padded[:, r : r + size, c : c + size] for r, c in centres])
