"""Metric Learning for Kernel Regression (Weinberger & Tesauro, AISTATS 2007).

MLKR learns a metric for a *regression* target: it minimises the leave-one-out
error of Nadaraya-Watson regression with a Gaussian kernel in the learned space.
Class labels become targets in one of two ways (``targets``):

* ``codes``: the class index ``0..K-1`` as one number, what metric-learn accepts.
  Exact for two classes; for more it imposes an arbitrary order on the classes.
* ``onehot``: the one-hot vector of the class; the loss is the squared error summed
  over the K outputs. metric-learn's MLKR takes one target only, so
  :class:`_OneHotMLKR` replaces its loss with the multi-output one (same optimiser,
  initialisation and input checks).

``auto`` (default) uses ``codes`` for two classes and ``onehot`` for more.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from morphospace.dmlcluster.config import MLKRConfig
from morphospace.dmlcluster.metric_encoder import SoftNeighbourEncoder
from morphospace.dmlcluster.metric_learn_compat import import_metric_learn


@cache
def _one_hot_mlkr_class() -> type:
    """metric-learn's MLKR with a loss over one-hot targets (built on first use)."""
    metric_learn = import_metric_learn()
    from scipy.special import logsumexp
    from sklearn.metrics import pairwise_distances

    class _OneHotMLKR(metric_learn.MLKR):
        """Takes class codes as ``y`` and regresses their one-hot vectors."""

        def _loss(self, flat_map, x, codes):
            onehot = np.eye(int(codes.max()) + 1)[codes.astype(int)]
            a = flat_map.reshape((-1, x.shape[1]))
            embedded = x @ a.T
            dist = pairwise_distances(embedded, squared=True)
            np.fill_diagonal(dist, np.inf)
            weights = np.exp(-dist - logsumexp(-dist, axis=1)[:, None])  # kernel weights
            predicted = weights @ onehot
            residual = predicted - onehot
            cost = float((residual**2).sum())
            # d cost / d dist_ij = -2 w_ij <r_i, y_j - yhat_i>, summed over the K outputs
            w = weights * (residual @ onehot.T - (residual * predicted).sum(axis=1)[:, None])
            w_sym = w + w.T
            np.fill_diagonal(w_sym, -w.sum(axis=0))
            grad = 4 * (embedded.T @ w_sym) @ x
            self.n_iter_ += 1
            return cost, grad.ravel()

    return _OneHotMLKR


class MLKREncoder(SoftNeighbourEncoder):
    """Learns ``L`` for Gaussian-kernel regression of class targets (see module docs)."""

    Config = MLKRConfig

    def learn_map(self, z: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        codes = self.class_codes(y)
        targets = self.config.targets
        if targets == "auto":
            targets = "codes" if codes.max() == 1 else "onehot"
        cls = import_metric_learn().MLKR if targets == "codes" else _one_hot_mlkr_class()
        model = cls(
            init=self.starting_map(z, codes, has_classes=False),
            n_components=self.config.n_components,
            max_iter=self.config.max_iter,
            tol=self.config.tol,
            random_state=self.config.seed,
        )
        model.fit(z, codes.astype(np.float64))
        self.n_iter_ = int(model.n_iter_)
        return model.components_
