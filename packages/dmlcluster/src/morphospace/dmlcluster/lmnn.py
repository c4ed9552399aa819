"""Large Margin Nearest Neighbour (Weinberger & Saul, JMLR 2009) through metric-learn."""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import InputError
from morphospace.dmlcluster.config import LMNNConfig
from morphospace.dmlcluster.metric_encoder import MetricEncoder
from morphospace.dmlcluster.metric_learn_compat import import_metric_learn


class LMNNEncoder(MetricEncoder):
    """Pulls each cell's ``n_neighbors`` same-class neighbours in, pushes other classes out."""

    Config = LMNNConfig

    def learn_map(self, z: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        codes = self.class_codes(y)
        smallest = int(np.bincount(codes).min())
        if smallest <= self.config.n_neighbors:
            raise InputError(
                f"{self.name}: every class needs more than n_neighbors="
                f"{self.config.n_neighbors} cells, but the smallest has {smallest}; "
                "lower n_neighbors or label more cells"
            )
        metric_learn = import_metric_learn()
        model = metric_learn.LMNN(
            n_components=self.config.n_components,
            n_neighbors=self.config.n_neighbors,
            max_iter=self.config.max_iter,
            learn_rate=self.config.learn_rate,
            regularization=self.config.regularization,
            random_state=self.config.seed,
        )
        model.fit(z, codes)
        self.n_iter_ = int(getattr(model, "n_iter_", 0))
        return model.components_
