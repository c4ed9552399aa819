"""Scaling + PCA: the no-metric-learning baseline of the method."""

from __future__ import annotations

import numpy as np

from morphospace.dmlcluster.config import PCAConfig
from morphospace.dmlcluster.metric_encoder import MetricEncoder


class PCAEncoder(MetricEncoder):
    """Standardise the features and keep the top ``n_components`` principal components."""

    Config = PCAConfig

    def _pca_components(self) -> int | None:
        return self.config.n_components

    def _check_n_components(self, z: np.ndarray) -> None:
        pass  # n_components is the PCA's, already checked against the data

    def learn_map(self, z: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        return np.eye(z.shape[1])
