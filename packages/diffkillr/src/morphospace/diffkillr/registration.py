"""Evaluator ``diffkillr.registration``: how well warped annotations and images fit.

Masks: Dice (DSC) and IoU of the foreground. Images: normalised cross-correlation and
mean absolute difference (L1). Fields: mean end-point error to the true displacement
and the fraction of folding pixels (non-positive Jacobian determinant) of the
predicted field. Any subset of the pairs may be given.
"""

from __future__ import annotations

import numpy as np

from morphospace.core import Deformation, Evaluator, Metric
from morphospace.core.errors import InputError
from morphospace.core.validation import check_array
from morphospace.diffkillr.config import RegistrationConfig


def _as_images(x, like: np.ndarray, name: str) -> np.ndarray:
    x = check_array(x, name=name, ndim=4)
    if x.shape != like.shape:
        raise InputError(f"{name} has shape {x.shape}, its counterpart {like.shape}")
    return x


def dice_iou(true: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample foreground DSC and IoU of two label batches ``(N, ...)``."""
    t = true.reshape(len(true), -1) > 0
    p = pred.reshape(len(pred), -1) > 0
    inter = (t & p).sum(1)
    total = t.sum(1) + p.sum(1)
    union = (t | p).sum(1)
    dsc = np.where(total > 0, 2 * inter / np.maximum(total, 1), 1.0)
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return dsc, iou


def registration_scores(
    masks_true=None,
    masks_pred=None,
    images_true=None,
    images_pred=None,
    displacement_true=None,
    displacement_pred=None,
) -> dict[str, tuple[float, bool]]:
    """``{metric: (value, higher_is_better)}`` for the pairs given."""
    out: dict[str, tuple[float, bool]] = {}
    if (masks_true is None) != (masks_pred is None):
        raise InputError("give both masks_true and masks_pred, or neither")
    if (images_true is None) != (images_pred is None):
        raise InputError("give both images_true and images_pred, or neither")
    if masks_true is not None:
        true = check_array(masks_true, name="masks_true", ndim=4)
        dsc, iou = dice_iou(true, _as_images(masks_pred, true, "masks_pred"))
        out["dsc"] = (float(dsc.mean()), True)
        out["iou"] = (float(iou.mean()), True)
    if images_true is not None:
        true = check_array(images_true, name="images_true", ndim=4).astype(float)
        pred = _as_images(images_pred, true, "images_pred").astype(float)
        a = true.reshape(len(true), -1) - true.reshape(len(true), -1).mean(1, keepdims=True)
        b = pred.reshape(len(pred), -1) - pred.reshape(len(pred), -1).mean(1, keepdims=True)
        ncc = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
        out["ncc"] = (float(ncc.mean()), True)
        out["l1"] = (float(np.abs(true - pred).mean()), False)
    if displacement_pred is not None:
        predicted = Deformation(check_array(displacement_pred, name="displacement_pred", ndim=4))
        out["folding_fraction"] = (predicted.folding_fraction(), False)
        if displacement_true is not None:
            true = check_array(displacement_true, name="displacement_true", ndim=4)
            error = np.sqrt(((true - predicted.field) ** 2).sum(1))
            out["endpoint_error"] = (float(error.mean()), False)
    if not out:
        raise InputError(
            "give at least one pair: masks_true/masks_pred, images_true/images_pred or "
            "displacement_pred (with displacement_true for the field error)"
        )
    return out


class Registration(Evaluator):
    """DSC, IoU, NCC, L1, end-point error and folding fraction of a registration."""

    Config = RegistrationConfig

    def evaluate(self, **inputs) -> dict[str, Metric]:
        scores = registration_scores(**inputs)
        return {name: Metric(value, better) for name, (value, better) in scores.items()}
