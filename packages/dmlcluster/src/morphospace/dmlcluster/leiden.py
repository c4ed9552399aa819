"""Leiden communities of a kNN graph (Traag, Waltman & van Eck, Sci. Rep. 2019).

The graph joins each cell to its ``n_neighbors`` nearest cells (scikit-learn's
``NearestNeighbors``, Euclidean), symmetrised and unweighted, so the partition does
not depend on the overall scale of the embedding. Leiden runs in igraph
(``flavor="igraph"``, modularity with a resolution) or the leidenalg package
(RB-configuration, the same objective); neither compiles anything with numba.
"""

from __future__ import annotations

import random

import numpy as np

from morphospace.core.dependencies import require
from morphospace.core.geometry import EUCLIDEAN, Geometry
from morphospace.core.interfaces import Clusterer
from morphospace.core.validation import check_array
from morphospace.dmlcluster.config import LeidenConfig


def knn_edges(z: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Undirected edges ``(i, j)``, ``i < j``, of the symmetrised kNN graph of ``z``."""
    from sklearn.neighbors import NearestNeighbors

    k = min(n_neighbors, len(z) - 1)
    index = NearestNeighbors(n_neighbors=k + 1).fit(z)
    neighbours = index.kneighbors(z, return_distance=False)
    rows = np.repeat(np.arange(len(z)), k + 1)
    cols = neighbours.ravel()
    keep = rows != cols  # a cell is its own nearest neighbour; duplicates may reorder it
    pairs = np.sort(np.column_stack([rows[keep], cols[keep]]), axis=1)
    return np.unique(pairs, axis=0)


class Leiden(Clusterer):
    """Leiden on the kNN graph of the embedding; ``resolution`` sets the cluster size."""

    Config = LeidenConfig

    def fit_predict(self, z, geometry: Geometry = EUCLIDEAN) -> np.ndarray:
        self.check_geometry(geometry)
        z = check_array(z, name=f"{self.name}: z", ndim=2, min_samples=2)
        igraph = require("igraph", install="igraph>=0.10", needed_for=self.name)
        cfg = self.config
        edges = knn_edges(z.astype(np.float64), cfg.n_neighbors)
        graph = igraph.Graph(n=len(z), edges=edges.tolist(), directed=False)
        if cfg.flavor == "igraph":
            # igraph draws from Python's random module unless told otherwise: seed a
            # private generator and restore the default afterwards.
            igraph.set_random_number_generator(random.Random(cfg.seed))
            try:
                partition = graph.community_leiden(
                    objective_function="modularity",
                    resolution=cfg.resolution,
                    n_iterations=cfg.n_iterations,
                )
            finally:
                igraph.set_random_number_generator(random)
            membership = partition.membership
        else:
            leidenalg = require(
                "leidenalg",
                install="leidenalg>=0.10",
                needed_for=f"{self.name} with flavor='leidenalg'",
            )
            partition = leidenalg.find_partition(
                graph,
                leidenalg.RBConfigurationVertexPartition,
                resolution_parameter=cfg.resolution,
                n_iterations=cfg.n_iterations,
                seed=cfg.seed,
            )
            membership = partition.membership
        labels = _relabel_by_size(np.asarray(membership))
        self.n_clusters_ = int(labels.max()) + 1
        return labels


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0, 1, ... from the largest down (ties by first appearance)."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    mapping = np.empty(values.max() + 1, dtype=int)
    mapping[values[order]] = np.arange(len(values))
    return mapping[labels]
