"""Neighbourhood Components Analysis (Goldberger et al., NIPS 2005) through metric-learn.

Exact: every L-BFGS step forms the ``n x n`` soft-neighbour matrix, so time and
memory grow with the square of the number of cells. Use ``dmlcluster.fast_nca``
beyond a few thousand cells.

By default the map starts from metric-learn's own directions, shrunk to the
nearest-neighbour scale where they are larger
(:meth:`SoftNeighbourEncoder.starting_map`). At the raw scale of standardised
features (median squared distance to the nearest neighbour 5-170) the soft-neighbour
softmax is saturated and L-BFGS stops near its start, with purities equal to no
metric learning (docs/dmlcluster.md).
"""

from __future__ import annotations

import numpy as np

from morphospace.dmlcluster.config import NCAConfig
from morphospace.dmlcluster.metric_encoder import SoftNeighbourEncoder
from morphospace.dmlcluster.metric_learn_compat import import_metric_learn


class NCAEncoder(SoftNeighbourEncoder):
    """Learns ``L`` maximising the expected leave-one-out accuracy of a soft 1-NN."""

    Config = NCAConfig

    def learn_map(self, z: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        metric_learn = import_metric_learn()
        codes = self.class_codes(y)
        model = metric_learn.NCA(
            init=self.starting_map(z, codes),
            n_components=self.config.n_components,
            max_iter=self.config.max_iter,
            tol=self.config.tol,
            random_state=self.config.seed,
        )
        model.fit(z, codes)
        self.n_iter_ = int(model.n_iter_)
        return model.components_
