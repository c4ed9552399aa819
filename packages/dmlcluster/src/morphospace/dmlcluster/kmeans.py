"""k-means on the embedding (scikit-learn's Lloyd iterations, k-means++ seeding)."""

from __future__ import annotations

import numpy as np

from morphospace.core.errors import InputError
from morphospace.core.geometry import EUCLIDEAN, Geometry
from morphospace.core.interfaces import Clusterer
from morphospace.core.validation import check_array
from morphospace.dmlcluster.config import KMeansConfig


class KMeans(Clusterer):
    """Partition into ``n_clusters`` by minimising within-cluster squared distances."""

    Config = KMeansConfig

    def fit_predict(self, z, geometry: Geometry = EUCLIDEAN) -> np.ndarray:
        self.check_geometry(geometry)
        z = check_array(z, name=f"{self.name}: z", ndim=2)
        if len(z) < self.config.n_clusters:
            raise InputError(
                f"{self.name}: expected at least n_clusters={self.config.n_clusters} cells, "
                f"found {len(z)}"
            )
        from sklearn.cluster import KMeans as SKKMeans

        model = SKKMeans(
            n_clusters=self.config.n_clusters,
            n_init=self.config.n_init,
            random_state=self.config.seed,
        ).fit(z)
        self.cluster_centers_ = model.cluster_centers_
        self.inertia_ = float(model.inertia_)
        return model.labels_.astype(int)
