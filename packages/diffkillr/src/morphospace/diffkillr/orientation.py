"""Evaluator ``diffkillr.orientation``: error of propagated cell orientations.

Axes have no sign, so by default angles are compared modulo pi: the error of each cell
is the smallest angle between the two axes, in ``[0, pi/2]``. ``l1`` is its mean in
radians, ``angular_error_deg`` the same in degrees.
"""

from __future__ import annotations

import numpy as np

from morphospace.core import Evaluator, Metric
from morphospace.core.validation import check_array, check_same_length
from morphospace.diffkillr.config import OrientationConfig


def angle_errors(true: np.ndarray, pred: np.ndarray, axial: bool = True) -> np.ndarray:
    """Per-cell smallest angle between ``true`` and ``pred`` (radians)."""
    period = np.pi if axial else 2 * np.pi
    diff = np.mod(np.asarray(pred, float) - np.asarray(true, float), period)
    return np.minimum(diff, period - diff)


class Orientation(Evaluator):
    """Mean orientation error (L1, radians and degrees)."""

    Config = OrientationConfig

    def evaluate(self, orientation_true, orientation_pred) -> dict[str, Metric]:
        true = check_array(orientation_true, name="orientation_true", ndim=1).astype(float)
        pred = check_array(orientation_pred, name="orientation_pred", ndim=1).astype(float)
        check_same_length(orientation_true=true, orientation_pred=pred)
        error = angle_errors(true, pred, self.config.axial)
        return {
            "l1": Metric(float(error.mean()), higher_is_better=False),
            "angular_error_deg": Metric(float(np.degrees(error).mean()), higher_is_better=False),
        }
