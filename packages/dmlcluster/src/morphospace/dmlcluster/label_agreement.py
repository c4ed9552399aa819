"""How well clusters agree with known classes: purity, adjusted Rand index, NMI.

Purity assigns each cluster to its majority class and counts the cells so assigned
correctly, over all cells (Manning, Raghavan & Schütze, *Introduction to Information
Retrieval*, 2008, ch. 16). It rises with the number of clusters (one cluster per cell
scores 1), so compare it at a fixed clustering resolution, beside ARI and NMI which
correct for that.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.interfaces import Evaluator
from morphospace.core.metric import Metric
from morphospace.core.validation import check_labels
from morphospace.dmlcluster.config import ARIConfig, NMIConfig, PurityConfig


def _check_pair(name: str, labels_true, labels_pred) -> tuple[np.ndarray, np.ndarray]:
    true = check_labels(labels_true, len(labels_true), name=f"{name}: labels_true")
    pred = check_labels(labels_pred, len(true), name=f"{name}: labels_pred")
    return true, pred


def contingency(labels_true: np.ndarray, labels_pred: np.ndarray) -> np.ndarray:
    """Counts ``(n_clusters, n_classes)`` of cells per cluster and class."""
    _, classes = np.unique(labels_true.astype(str), return_inverse=True)
    _, clusters = np.unique(labels_pred.astype(str), return_inverse=True)
    table = np.zeros((clusters.max() + 1, classes.max() + 1), dtype=np.int64)
    np.add.at(table, (clusters.ravel(), classes.ravel()), 1)
    return table


def purity_score(labels_true, labels_pred) -> float:
    table = contingency(np.asarray(labels_true), np.asarray(labels_pred))
    return float(table.max(axis=1).sum() / table.sum())


class Purity(Evaluator):
    """Fraction of cells whose cluster's majority class is their own class."""

    Config = PurityConfig

    def evaluate(self, labels_true, labels_pred) -> dict[str, Metric]:
        true, pred = _check_pair(self.name, labels_true, labels_pred)
        return {"purity": Metric(purity_score(true, pred), higher_is_better=True)}


class AdjustedRandIndex(Evaluator):
    """Pair-counting agreement, corrected for chance (0 random, 1 identical)."""

    Config = ARIConfig

    def evaluate(self, labels_true, labels_pred) -> dict[str, Metric]:
        from sklearn.metrics import adjusted_rand_score

        true, pred = _check_pair(self.name, labels_true, labels_pred)
        value = adjusted_rand_score(true.astype(str), pred.astype(str))
        return {"ari": Metric(float(value), higher_is_better=True)}


class NormalizedMutualInfo(Evaluator):
    """Mutual information between clusters and classes, normalised to [0, 1]."""

    Config = NMIConfig

    def evaluate(self, labels_true, labels_pred) -> dict[str, Metric]:
        from sklearn.metrics import normalized_mutual_info_score

        true, pred = _check_pair(self.name, labels_true, labels_pred)
        value = normalized_mutual_info_score(
            true.astype(str), pred.astype(str), average_method=self.config.average_method
        )
        return {"nmi": Metric(float(value), higher_is_better=True)}
