"""Leiden on a kNN graph and k-means."""

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.core.errors import IncompatibleComponentsError, InputError
from morphospace.core.geometry import poincare
from morphospace.dmlcluster.label_agreement import purity_score
from morphospace.dmlcluster.leiden import knn_edges


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 50)
    return rng.normal(0, 0.3, (150, 2)) + np.array([[0, 0], [5, 0], [0, 5]])[y], y


@pytest.mark.parametrize("flavor", ["igraph", "leidenalg"])
def test_leiden_recovers_separated_blobs(blobs, flavor):
    z, y = blobs
    labels = registry.create(
        "clusterer", "dmlcluster.leiden", flavor=flavor, resolution=0.3
    ).fit_predict(z)
    assert purity_score(y, labels) == 1.0
    assert len(np.unique(labels)) == 3


@pytest.mark.parametrize("flavor", ["igraph", "leidenalg"])
def test_leiden_is_reproducible_with_a_seed(blobs, flavor):
    z, _ = blobs
    make = lambda: registry.create("clusterer", "dmlcluster.leiden", flavor=flavor, seed=4)  # noqa: E731
    np.testing.assert_array_equal(make().fit_predict(z), make().fit_predict(z))


def test_higher_resolution_gives_more_clusters(blobs):
    z, _ = blobs
    low = registry.create("clusterer", "dmlcluster.leiden", resolution=0.3).fit_predict(z)
    high = registry.create("clusterer", "dmlcluster.leiden", resolution=3.0).fit_predict(z)
    assert len(np.unique(high)) > len(np.unique(low))


def test_leiden_ignores_the_scale_of_the_embedding(blobs):
    z, _ = blobs
    leiden = registry.create("clusterer", "dmlcluster.leiden")
    np.testing.assert_array_equal(leiden.fit_predict(z), leiden.fit_predict(1000 * z))


def test_clusters_are_numbered_from_the_largest(blobs):
    z, _ = blobs
    labels = registry.create("clusterer", "dmlcluster.leiden", resolution=2.0).fit_predict(z)
    sizes = np.bincount(labels)
    assert (np.diff(sizes) <= 0).all()


def test_knn_graph_is_undirected_without_self_loops():
    z = np.random.default_rng(0).normal(size=(30, 3))
    edges = knn_edges(z, 4)
    assert (edges[:, 0] < edges[:, 1]).all()
    assert len(np.unique(edges, axis=0)) == len(edges)
    assert len(edges) >= 30 * 4 / 2


def test_kmeans_finds_the_requested_number_of_clusters(blobs):
    z, y = blobs
    labels = registry.create("clusterer", "dmlcluster.kmeans", n_clusters=3).fit_predict(z)
    assert purity_score(y, labels) == 1.0


def test_kmeans_refuses_fewer_cells_than_clusters():
    with pytest.raises(InputError, match="expected at least n_clusters=8 cells, found 5"):
        registry.create("clusterer", "dmlcluster.kmeans").fit_predict(np.zeros((5, 2)))


def test_non_finite_embeddings_are_refused(blobs):
    z, _ = blobs
    z = z.copy()
    z[0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        registry.create("clusterer", "dmlcluster.leiden").fit_predict(z)


def test_hyperbolic_embeddings_are_refused(blobs):
    with pytest.raises(IncompatibleComponentsError, match="supports euclidean"):
        registry.create("clusterer", "dmlcluster.leiden").fit_predict(
            blobs[0] * 0.01, poincare(1.0)
        )
