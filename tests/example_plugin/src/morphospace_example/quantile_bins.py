"""Cluster by quantiles of the first coordinate: the smallest useful Clusterer."""

import numpy as np

from morphospace.core import EUCLIDEAN, Clusterer
from morphospace.core.validation import check_array
from morphospace_example.config import QuantileBinsConfig


class QuantileBins(Clusterer):
    Config = QuantileBinsConfig

    def fit_predict(self, z, geometry=EUCLIDEAN):
        self.check_geometry(geometry)
        z = check_array(z, name="z", ndim=2)
        edges = np.quantile(z[:, 0], np.linspace(0, 1, self.config.n_clusters + 1)[1:-1])
        self.edges_ = edges
        return np.searchsorted(edges, z[:, 0], side="right")
