"""Evaluator ``diffkillr.counting``: precision, recall and F1 of detected cell centres.

Predicted and true centres are matched one-to-one (Hungarian assignment on distance)
and a pair counts only within ``tolerance`` pixels. From instance label maps the
centres are the instances' centroids.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

from morphospace.core import Evaluator, Metric
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array
from morphospace.diffkillr.config import CountingConfig


def instance_centres(labels: np.ndarray) -> np.ndarray:
    """Centroids ``(K, 2)`` of the non-zero instances of a label map ``(H, W)``."""
    labels = np.asarray(labels).astype(np.int64)
    ids = np.unique(labels[labels > 0])
    if len(ids) == 0:
        return np.zeros((0, 2))
    return np.array(ndimage.center_of_mass(np.ones_like(labels), labels, ids)).reshape(-1, 2)


def matched_pairs(true: np.ndarray, pred: np.ndarray, tolerance: float) -> list[tuple[int, int]]:
    """``(true index, predicted index)`` of the one-to-one matches within ``tolerance``
    (Hungarian assignment on distance)."""
    true, pred = np.asarray(true).reshape(-1, 2), np.asarray(pred).reshape(-1, 2)
    if len(true) == 0 or len(pred) == 0:
        return []
    distance = np.sqrt(((true[:, None] - pred[None]) ** 2).sum(-1))
    rows, cols = linear_sum_assignment(np.where(distance <= tolerance, distance, 1e6))
    return [(int(r), int(c)) for r, c in zip(rows, cols) if distance[r, c] <= tolerance]


def match_points(true: np.ndarray, pred: np.ndarray, tolerance: float) -> int:
    """Number of one-to-one matches within ``tolerance``."""
    return len(matched_pairs(true, pred, tolerance))


def counting_scores(true_points, pred_points, tolerance: float) -> dict[str, float]:
    """Precision, recall, F1 (pooled over fields) and the mean absolute count error.

    ``true_points``/``pred_points`` are lists of ``(K, 2)`` arrays, one per field.
    """
    if len(true_points) != len(pred_points):
        raise InputError(f"{len(true_points)} true fields but {len(pred_points)} predicted")
    tp = sum(match_points(t, p, tolerance) for t, p in zip(true_points, pred_points))
    n_true = sum(len(t) for t in true_points)
    n_pred = sum(len(p) for p in pred_points)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    error = np.mean([abs(len(t) - len(p)) for t, p in zip(true_points, pred_points)])
    return {"precision": precision, "recall": recall, "f1": f1, "count_error": float(error)}


class Counting(Evaluator):
    """Counting F1 of predicted instance maps against true ones."""

    Config = CountingConfig

    def evaluate(self, masks_true, masks_pred) -> dict[str, Metric]:
        true = check_array(masks_true, name="masks_true", ndim=4)
        pred = check_array(masks_pred, name="masks_pred", ndim=4)
        if pred.shape != true.shape or true.shape[1] != 1:
            raise InputError(
                "masks_true and masks_pred must be instance maps (N, 1, H, W) of one shape, "
                f"found {true.shape} and {pred.shape}"
            )
        true_points = [instance_centres(t[0]) for t in true]
        pred_points = [instance_centres(p[0]) for p in pred]
        scores = counting_scores(true_points, pred_points, self.config.tolerance)
        return {
            name: Metric(value, higher_is_better=name != "count_error")
            for name, value in scores.items()
        }
