"""Reconstruction error: how far images come back from a round trip (DDIM inversion under
their own condition, then regeneration under it), in the images' own units.

Metrics (lower is better): ``l2``, the mean over images of the L2 norm of the difference
(all channels and pixels of an image together), and ``rmse_per_pixel``, the root of the
mean squared difference over every value.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import InputError
from morphospace.core.interfaces import Evaluator
from morphospace.core.metric import Metric
from morphospace.core.validation import check_array
from morphospace.phendiff.eval_config import ReconstructionConfig


class Reconstruction(Evaluator):
    """L2 and per-pixel RMSE between ``images`` and ``reconstructed`` (same shape)."""

    Config = ReconstructionConfig

    def evaluate(self, images, reconstructed) -> dict[str, Metric]:
        images = check_array(images, name="images", ndim=4)
        reconstructed = check_array(reconstructed, name="reconstructed", ndim=4)
        if reconstructed.shape != images.shape:
            raise InputError(
                f"reconstructed: expected the shape of images {images.shape}, found "
                f"{reconstructed.shape}"
            )
        diff = images.astype(np.float64) - reconstructed.astype(np.float64)
        per_image = np.sqrt((diff**2).reshape(len(diff), -1).sum(1))
        return {
            "l2": Metric(float(per_image.mean()), higher_is_better=False),
            "rmse_per_pixel": Metric(float(np.sqrt((diff**2).mean())), higher_is_better=False),
        }
