"""FID and KID of translated images against real images of the target condition.

PhenDiff (Bourou, Boyer et al., MICCAI 2024) judges a translation by how close the
translated source images come to the real target images. Both are embedded by a feature
extractor available offline: the classical per-cell measurements of
:mod:`morphospace.phendiff.measurements` (standardised with the real target's mean and
std), or any registered images encoder fitted on the real images. Then

- FID (Heusel et al., 2017): ``|mu_r - mu_t|^2 + Tr(S_r + S_t - 2 (S_r S_t)^(1/2))``, the
  Fréchet distance between Gaussians fitted to the two sets;
- KID (Bińkowski et al., 2018): the unbiased estimate of MMD^2 with the cubic polynomial
  kernel ``k(x, y) = (x.y / d + 1)^3``, averaged over ``kid_subsets`` random subsets of
  ``kid_subset_size`` rows of each set (seeded).

The identity baseline scores the untranslated source images the same way: a translation
is useful when ``fid < fid_identity``. Metrics (lower is better): ``fid``, ``kid``,
``fid_identity``, ``kid_identity``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from morphospace.core.errors import ConfigError, InputError
from morphospace.core.interfaces import Evaluator
from morphospace.core.metric import Metric
from morphospace.core.validation import check_array, check_labels
from morphospace.phendiff.eval_config import FIDConfig


def translation_sets(
    images: Any, translated: Any, conditions: Any, source: str, target: str
) -> dict[str, np.ndarray]:
    """Check the inputs and return the three image sets a translation is scored on:
    ``real_target`` and ``real_source`` from ``images``, ``translated`` (the source rows of
    ``translated``). Conditions are compared as strings; each set needs 2 rows or more."""
    images = check_array(images, name="images", ndim=4)
    translated = check_array(translated, name="translated", ndim=4)
    if translated.shape != images.shape:
        raise InputError(
            f"translated: expected the shape of images {images.shape} (every row translated "
            f"to the target), found {translated.shape}"
        )
    labels = check_labels(conditions, len(images), name="conditions").astype(str)
    known = list(dict.fromkeys(labels))
    for role, condition in (("source", source), ("target", target)):
        if condition not in known:
            raise InputError(
                f"{role}: condition {condition!r} is not among the conditions of the data: "
                f"{', '.join(map(repr, known))}"
            )
    sets = {
        "real_target": images[labels == target],
        "real_source": images[labels == source],
        "translated": translated[labels == source],
    }
    for name, rows in sets.items():
        if len(rows) < 2:
            raise InputError(
                f"{name.replace('_', ' ')}: expected at least 2 images to compare "
                f"distributions, found {len(rows)}"
            )
    return sets


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The square root of a symmetric positive semi-definite matrix (rounding clipped)."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FID between the Gaussians fitted to the rows of ``a`` and ``b`` ``(n, d)``.

    ``|mu_a - mu_b|^2 + tr S_a + tr S_b - 2 tr (S_a S_b)^(1/2)``. With ``S = X^T X`` for
    the centred rows ``X`` scaled by ``1 / sqrt(n - 1)``, the last trace is the sum of the
    singular values of ``X_a X_b^T`` (``n_a x n_b``), so a few hundred cells of 2,048
    Inception features cost an SVD of their own size, not a 2,048-wide matrix square root;
    wider sets use ``S_a^(1/2) S_b^(1/2)`` (``d x d``). Both are exact, need no nudge for
    singular covariances, and agree with scipy's ``sqrtm`` formula.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    x_a = (a - a.mean(0)) / np.sqrt(max(len(a) - 1, 1))
    x_b = (b - b.mean(0)) / np.sqrt(max(len(b) - 1, 1))
    if len(a) * len(b) <= a.shape[1] ** 2:
        cross = x_a @ x_b.T
    else:
        cross = _psd_sqrt(x_a.T @ x_a) @ _psd_sqrt(x_b.T @ x_b)
    root_trace = np.linalg.svd(cross, compute_uv=False).sum()
    diff = a.mean(0) - b.mean(0)
    value = diff @ diff + (x_a**2).sum() + (x_b**2).sum() - 2 * root_trace
    return float(max(value, 0.0))  # rounding can leave a hair below 0 for equal sets


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The cubic kernel of KID: ``(x.y / d + 1)^3``."""
    return (x @ y.T / x.shape[1] + 1) ** 3


def unbiased_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 of the cubic kernel between the rows of ``x`` and ``y`` (>= 2 each)."""
    m, n = len(x), len(y)
    kxx, kyy, kxy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2 * kxy.mean())


def kernel_inception_distance(
    x: np.ndarray, y: np.ndarray, subsets: int, subset_size: int, rng: np.random.Generator
) -> float:
    """Mean unbiased MMD^2 over ``subsets`` draws of ``subset_size`` rows of each set
    (without replacement; at most the smaller set's size)."""
    size = min(subset_size, len(x), len(y))
    values = [
        unbiased_mmd2(
            x[rng.choice(len(x), size, replace=False)], y[rng.choice(len(y), size, replace=False)]
        )
        for _ in range(subsets)
    ]
    return float(np.mean(values))


def measurement_features(sets: dict[str, np.ndarray], channel: int) -> dict[str, np.ndarray]:
    """Classical measurements of each set, standardised with the real target's statistics."""
    from morphospace.phendiff.measurements import feature_columns, measure

    tables = {}
    with warnings.catch_warnings():  # an empty segmentation is a feature value here
        warnings.simplefilter("ignore")
        for name, images in sets.items():
            tables[name] = measure(images, channel=channel)
    columns = feature_columns(tables["real_target"])
    reference = tables["real_target"][columns].to_numpy()
    mean, std = reference.mean(0), reference.std(0)
    std = np.where(std > 0, std, 1.0)
    return {name: (t[columns].to_numpy() - mean) / std for name, t in tables.items()}


def encoder_features(
    sets: dict[str, np.ndarray], images: np.ndarray, name: str, params: dict
) -> dict[str, np.ndarray]:
    """Embeddings of each set by the registered encoder ``name``, fitted on ``images``."""
    from morphospace.core import registry

    encoder = registry.create("encoder", name, **params)
    encoder.fit(images)
    return {key: np.asarray(encoder.encode(rows), dtype=np.float64) for key, rows in sets.items()}


class FID(Evaluator):
    """FID and KID of ``translated`` source rows against real target rows of ``images``,
    beside the identity baseline (untranslated source rows)."""

    Config = FIDConfig

    def evaluate(self, images, translated, conditions) -> dict[str, Metric]:
        config = self.config
        sets = translation_sets(images, translated, conditions, config.source, config.target)
        if config.features == "measurements":
            if config.channel >= sets["real_source"].shape[1]:
                raise ConfigError(
                    f"{self.name}: channel: expected a channel index below "
                    f"{sets['real_source'].shape[1]}, found {config.channel}"
                )
            features = measurement_features(sets, config.channel)
        else:
            real = check_array(images, name="images", ndim=4)
            features = encoder_features(sets, real, config.features, config.features_params)
        real_target = features["real_target"]
        metrics = {}
        for suffix, other in (("", "translated"), ("_identity", "real_source")):
            rng = np.random.default_rng(config.seed)  # the same subsets for both scores
            fid = frechet_distance(real_target, features[other])
            kid = kernel_inception_distance(
                real_target, features[other], config.kid_subsets, config.kid_subset_size, rng
            )
            metrics[f"fid{suffix}"] = Metric(fid, higher_is_better=False)
            metrics[f"kid{suffix}"] = Metric(kid, higher_is_better=False)
        return metrics
