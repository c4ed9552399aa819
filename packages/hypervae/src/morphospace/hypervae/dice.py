"""Dice and IoU of an unsupervised segmentation, per hierarchy level, after Hungarian matching.

Cluster ids carry no meaning, so for each volume and level the predicted clusters are
matched one-to-one to the ground-truth classes to maximise the total Dice
(``scipy.optimize.linear_sum_assignment``); a class left without a cluster scores 0.
A level's score is the mean over its classes (or, with ``average="matched"`` as in the
paper's code, over the matched pairs only), averaged over volumes.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from morphospace.core import Evaluator, Metric
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array
from morphospace.hypervae.config import DiceConfig


def overlap_scores(
    truth: np.ndarray, pred: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class Dice and IoU after matching, the class ids, and which classes got a cluster."""
    truth_ids, truth = np.unique(truth.ravel(), return_inverse=True)
    _, pred = np.unique(pred.ravel(), return_inverse=True)
    n_true, n_pred = truth.max() + 1, pred.max() + 1
    table = np.bincount(pred * n_true + truth, minlength=n_pred * n_true).reshape(n_pred, n_true)
    size_pred = table.sum(1, keepdims=True)
    size_true = table.sum(0, keepdims=True)
    dice = 2 * table / np.maximum(size_pred + size_true, 1)
    iou = table / np.maximum(size_pred + size_true - table, 1)
    rows, cols = linear_sum_assignment(-dice)
    class_dice = np.zeros(n_true)
    class_iou = np.zeros(n_true)
    class_dice[cols] = dice[rows, cols]
    class_iou[cols] = iou[rows, cols]
    matched = np.zeros(n_true, bool)
    matched[cols] = True
    return class_dice, class_iou, truth_ids, matched


def matched_labels(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """``pred`` relabelled with the ground-truth class each cluster was matched to (for figures)."""
    truth_ids, truth_inv = np.unique(truth.ravel(), return_inverse=True)
    pred_ids, pred_inv = np.unique(pred.ravel(), return_inverse=True)
    table = np.bincount(
        pred_inv * len(truth_ids) + truth_inv, minlength=len(pred_ids) * len(truth_ids)
    ).reshape(len(pred_ids), len(truth_ids))
    dice = 2 * table / np.maximum(table.sum(1, keepdims=True) + table.sum(0, keepdims=True), 1)
    rows, cols = linear_sum_assignment(-dice)
    mapping = np.full(len(pred_ids), truth_ids.max() + 1)  # unmatched clusters: a new id
    mapping[rows] = truth_ids[cols]
    return mapping[pred_inv].reshape(pred.shape)


class Dice(Evaluator):
    """Dice and IoU per level; ``truth`` is ``(N, L, D, H, W)`` (or ``(N, D, H, W)``).

    ``segmentation`` holds one label per voxel and level, as ``hypervae.segmenter``
    writes it; a map flattened per volume is reshaped against ``truth``.
    """

    Config = DiceConfig

    def evaluate(self, truth, segmentation) -> dict[str, Metric]:
        truth = check_array(truth, name="truth", ndim=(4, 5))
        if truth.ndim == 4:
            truth = truth[:, None]
        segmentation = check_array(segmentation, name="segmentation")
        if len(segmentation) != len(truth):
            raise InputError(
                f"segmentation has {len(segmentation)} volumes but truth has {len(truth)}"
            )
        if segmentation.size != truth.size:
            raise InputError(
                f"segmentation of shape {segmentation.shape} does not hold one label per voxel "
                f"and level of truth {truth.shape}"
            )
        segmentation = segmentation.reshape(truth.shape)
        for name, array in (("truth", truth), ("segmentation", segmentation)):
            if array.dtype.kind == "f" and not np.array_equal(array, np.round(array)):
                raise InputError(f"{name}: expected integer labels, found fractional values")
        metrics: dict[str, Metric] = {}
        level_dice = []
        for level in range(truth.shape[1]):
            dices, ious = [], []
            for t, p in zip(truth[:, level], segmentation[:, level], strict=True):
                class_dice, class_iou, ids, matched = overlap_scores(
                    t.astype(np.int64), p.astype(np.int64)
                )
                keep = np.ones(len(ids), bool)
                if self.config.ignore_background and (ids != 0).any():
                    keep &= ids != 0
                if self.config.average == "matched":
                    keep &= matched
                dices.append(class_dice[keep].mean())
                ious.append(class_iou[keep].mean())
            name = f"level{level + 1}"
            metrics[f"dice_{name}"] = Metric(float(np.mean(dices)), higher_is_better=True)
            metrics[f"iou_{name}"] = Metric(float(np.mean(ious)), higher_is_better=True)
            level_dice.append(np.mean(dices))
        metrics["dice_mean"] = Metric(float(np.mean(level_dice)), higher_is_better=True)
        return metrics
