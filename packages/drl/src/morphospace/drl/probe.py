"""How well a label can be read from a code: GBT and MLP accuracy over stratified folds.

Dapueto et al. (NeurIPS 2024) judge a transferred representation by classifiers trained on
it to predict the target's factors of variation: gradient-boosted trees and a small MLP.
Here each chosen model is fitted on ``n_folds - 1`` folds and scored on the held-out one
(``StratifiedKFold``, shuffled with ``seed``; the models are seeded too), and the scores
are averaged over folds:

- ``gbt``: scikit-learn's ``GradientBoostingClassifier``, by default 100 trees of depth 3
  (its defaults, the readout disentanglement_lib uses), on the raw code;
- ``mlp``: a ``StandardScaler`` then an ``MLPClassifier`` with one hidden layer (64
  units by default), trained with L-BFGS (full batch, which converges on small data)
  for at most 1000 iterations.

Metrics, for each model ``m`` in ``models``: ``probe_<m>_accuracy`` and
``probe_<m>_balanced_accuracy`` (higher is better), and their spread over folds,
``probe_<m>_accuracy_std`` and ``probe_<m>_balanced_accuracy_std`` (lower is better).
Which dimensions the trees use: :meth:`Probe.gbt_importance`. Every class needs at least
``n_folds`` members, one per fold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from morphospace.core.errors import InputError
from morphospace.core.interfaces import Evaluator
from morphospace.core.metric import Metric
from morphospace.core.validation import check_array, check_labels
from morphospace.drl.config import ProbeConfig
from morphospace.drl.factor_codes import column_codes

#: Iteration budget of the MLP probe.
MLP_MAX_ITER = 1000


def classifier(model: str, config: ProbeConfig) -> Any:
    """A new, unfitted scikit-learn classifier for ``model`` ("gbt" or "mlp")."""
    seed = config.seed
    if model == "gbt":
        from sklearn.ensemble import GradientBoostingClassifier

        return GradientBoostingClassifier(
            n_estimators=config.gbt_n_estimators, max_depth=config.gbt_max_depth, random_state=seed
        )
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=(config.mlp_hidden_units,),
            solver="lbfgs",
            max_iter=MLP_MAX_ITER,
            random_state=seed,
        ),
    )


class Probe(Evaluator):
    """Accuracy of GBT and MLP classifiers reading ``labels`` from ``z`` (N, d)."""

    Config = ProbeConfig

    def evaluate(self, z, labels) -> dict[str, Metric]:
        z, y = self._check(z, labels)
        metrics: dict[str, Metric] = {}
        for model in self.config.models:
            accuracy, balanced, _ = self._cross_validate(z, y, model)
            for name, scores in (("accuracy", accuracy), ("balanced_accuracy", balanced)):
                key = f"probe_{model}_{name}"
                metrics[key] = Metric(float(scores.mean()), higher_is_better=True)
                metrics[f"{key}_std"] = Metric(float(scores.std()), higher_is_better=False)
        return metrics

    def gbt_importance(self, z, labels) -> np.ndarray:
        """Impurity importance ``(d,)`` of each dimension in the GBT probe, mean over folds."""
        z, y = self._check(z, labels)
        return self._cross_validate(z, y, "gbt")[2]

    def _check(self, z, labels) -> tuple[np.ndarray, np.ndarray]:
        z = check_array(z, name=f"{self.name}: z", ndim=2).astype(np.float64)
        labels = check_labels(labels, len(z), name=f"{self.name}: labels", min_classes=2)
        y, classes = column_codes(labels, f"{self.name}: labels")
        counts = np.bincount(y, minlength=len(classes))
        folds = self.config.n_folds
        if counts.min() < folds:
            small = int(np.argmin(counts))
            raise InputError(
                f"{self.name}: class {classes[small]!r} has {int(counts[small])} member(s), "
                f"fewer than n_folds={folds}; every class needs one member per fold: lower "
                "n_folds or drop the class"
            )
        return z, y

    def _cross_validate(
        self, z: np.ndarray, y: np.ndarray, model: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-fold accuracy and balanced accuracy, and the mean GBT importance (or zeros)."""
        from sklearn.metrics import accuracy_score, balanced_accuracy_score
        from sklearn.model_selection import StratifiedKFold

        seed = self.config.seed
        folds = StratifiedKFold(n_splits=self.config.n_folds, shuffle=True, random_state=seed)
        accuracy, balanced, importance = [], [], np.zeros(z.shape[1])
        for train, test in folds.split(z, y):
            fitted = classifier(model, self.config).fit(z[train], y[train])
            predicted = fitted.predict(z[test])
            accuracy.append(accuracy_score(y[test], predicted))
            balanced.append(balanced_accuracy_score(y[test], predicted))
            if model == "gbt":
                importance += fitted.feature_importances_ / self.config.n_folds
        return np.array(accuracy), np.array(balanced), importance
