"""Local Fisher Discriminant Analysis (Sugiyama, JMLR 2007) through metric-learn."""

from __future__ import annotations

import warnings

import numpy as np

from morphospace.dmlcluster.config import LFDAConfig
from morphospace.dmlcluster.metric_encoder import MetricEncoder
from morphospace.dmlcluster.metric_learn_compat import import_metric_learn


class LFDAEncoder(MetricEncoder):
    """Fisher discriminant analysis with locality-weighted scatter matrices."""

    Config = LFDAConfig

    def learn_map(self, z: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        metric_learn = import_metric_learn()
        model = metric_learn.LFDA(
            n_components=self.config.n_components,
            k=self.config.k,
            embedding_type=self.config.embedding_type,
        )
        with warnings.catch_warnings():
            # metric-learn asks scipy's sparse eigsh for every eigenvector when
            # n_components is the full dimension; scipy warns and falls back to eigh
            warnings.filterwarnings("ignore", "k >= N", RuntimeWarning)
            model.fit(z, self.class_codes(y))
        return model.components_
