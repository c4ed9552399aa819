"""DCI: disentanglement, completeness and informativeness (Eastwood & Williams, "A framework
for the quantitative evaluation of disentangled representations", ICLR 2018), with
gradient-boosted trees as in disentanglement_lib.

For every factor ``f`` a ``GradientBoostingClassifier`` (``n_estimators``, ``max_depth``)
learns to predict the factor's code from ``z`` on a seeded split that holds out
``test_fraction`` of the rows (stratified by the factor when every value can be
represented on both sides). Its impurity importances form column ``f`` of the importance
matrix ``R[d, f]`` (non-negative, one column per factor).

- disentanglement: ``sum_d rho_d (1 - H_F(P[d, :]))`` with ``P[d, :] = R[d, :] / sum_f
  R[d, f]`` and ``rho_d = sum_f R[d, f] / sum R`` (a dimension counts by its importance);
- completeness: the mean over factors of ``1 - H_D(R[:, f] / sum_d R[d, f])``;
- informativeness: the mean held-out accuracy of the factor classifiers.

``H_K`` is the entropy in base K (so each term is in [0, 1]); with one factor (one
dimension) disentanglement (completeness) is 1 by definition. A factor whose training
rows hold a single value has no classifier: its importances are 0 (completeness 0) and
its accuracy is that of predicting that value. Metrics (higher is better):
``dci_disentanglement``, ``dci_completeness``, ``dci_informativeness``, and per factor
``dci_completeness.<factor>`` and ``dci_informativeness.<factor>``.
"""

from __future__ import annotations

import numpy as np

from morphospace.core.figures import Figure, FigureContext
from morphospace.core.interfaces import Evaluator
from morphospace.core.metric import Metric
from morphospace.drl.config import DCIConfig
from morphospace.drl.factor_codes import check_code_and_factors


def _normalised_entropy(p: np.ndarray, axis: int) -> np.ndarray:
    """Entropy of the distributions along ``axis``, in base ``p.shape[axis]``."""
    size = p.shape[axis]
    if size < 2:
        return np.zeros(np.delete(p.shape, axis))
    logs = np.log(p, out=np.zeros_like(p), where=p > 0)
    return -(p * logs).sum(axis=axis) / np.log(size)


def _along(matrix: np.ndarray, axis: int) -> np.ndarray:
    """``matrix`` normalised to sum to 1 along ``axis`` (all-zero lines stay 0)."""
    total = matrix.sum(axis=axis, keepdims=True)
    return np.divide(matrix, total, out=np.zeros_like(matrix), where=total > 0)


def disentanglement(importance: np.ndarray) -> float:
    """Importance-weighted mean over dimensions of ``1 - H_F(P[d, :])``."""
    total = importance.sum()
    if total <= 0:
        return 0.0
    per_dim = 1.0 - _normalised_entropy(_along(importance, axis=1), axis=1)
    return float((importance.sum(axis=1) / total * per_dim).sum())


def completeness_per_factor(importance: np.ndarray) -> np.ndarray:
    """``1 - H_D(R[:, f] / sum R[:, f])`` per factor; 0 for a factor nothing predicts."""
    used = importance.sum(axis=0) > 0
    return np.where(used, 1.0 - _normalised_entropy(_along(importance, axis=0), axis=0), 0.0)


def _split(y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/test row indices, stratified by ``y`` when each side can hold every value."""
    from sklearn.model_selection import train_test_split

    n = len(y)
    n_test = min(max(int(np.ceil(test_fraction * n)), 1), n - 1)
    counts = np.bincount(y)
    n_values = int((counts > 0).sum())
    stratify = counts[counts > 0].min() >= 2 and min(n_test, n - n_test) >= n_values
    return train_test_split(
        np.arange(n), test_size=n_test, random_state=seed, stratify=y if stratify else None
    )


def factor_classifiers(
    z: np.ndarray, codes: np.ndarray, config: DCIConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Importance matrix ``R`` (d, F) and held-out accuracy (F,) of one GBT per factor."""
    from sklearn.ensemble import GradientBoostingClassifier

    importance = np.zeros((z.shape[1], codes.shape[1]))
    accuracy = np.zeros(codes.shape[1])
    for f in range(codes.shape[1]):
        y = codes[:, f]
        train, test = _split(y, config.test_fraction, config.seed)
        if len(np.unique(y[train])) < 2:
            accuracy[f] = float(np.mean(y[test] == y[train][0]))
            continue
        model = GradientBoostingClassifier(
            n_estimators=config.n_estimators,
            max_depth=config.max_depth,
            random_state=config.seed,
        ).fit(z[train], y[train])
        importance[:, f] = np.abs(model.feature_importances_)
        accuracy[f] = float(np.mean(model.predict(z[test]) == y[test]))
    return importance, accuracy


class DCI(Evaluator):
    """Disentanglement, completeness and informativeness of ``z`` (N, d) for ``factors``."""

    Config = DCIConfig

    def importance_matrix(self, z, factors) -> tuple[np.ndarray, list[str]]:
        """``R[d, f]``: how much each dimension serves the classifier of each factor."""
        z, codes, names = check_code_and_factors(z, factors, self.name)
        importance, _ = factor_classifiers(z, codes, self.config)
        return importance, names

    def evaluate(self, z, factors) -> dict[str, Metric]:
        z, codes, names = check_code_and_factors(z, factors, self.name)
        importance, accuracy = factor_classifiers(z, codes, self.config)
        complete = completeness_per_factor(importance)
        metrics = {
            "dci_disentanglement": disentanglement(importance),
            "dci_completeness": float(complete.mean()),
            "dci_informativeness": float(accuracy.mean()),
        }
        for name, c, a in zip(names, complete, accuracy, strict=True):
            metrics[f"dci_completeness.{name}"] = float(c)
            metrics[f"dci_informativeness.{name}"] = float(a)
        return {key: Metric(value, higher_is_better=True) for key, value in metrics.items()}

    def report_figures(self, context: FigureContext) -> list[Figure]:
        """The importance matrix behind the scores: dimensions x factors."""
        from morphospace.drl.factor_heatmap import matrix_heatmap, scored_inputs

        inputs = scored_inputs(context)
        if inputs is None:
            return []
        importance, names = self.importance_matrix(*inputs)
        title = f"{self.name} ({context.key}): GBT importance of each dimension per factor"
        fig = matrix_heatmap(
            importance, names, range(importance.shape[0]), title=title, value_label="importance"
        )
        return [(f"{self.name} ({context.key}): importance matrix", fig)]
