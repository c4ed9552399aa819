"""Poincaré k-means: correct clusters, Fréchet centroids, refusals of bad input."""

import time

import numpy as np
import pytest
import torch

from morphospace.core import registry
from morphospace.core.errors import IncompatibleComponentsError, InputError
from morphospace.core.geometry import EUCLIDEAN, poincare
from morphospace.hypervae.poincare_ball import poincare_ball
from morphospace.hypervae.poincare_kmeans import PoincareKMeans, kmeans


def _clusters(n_per, centres, spread, c, seed=0):
    g = torch.Generator().manual_seed(seed)
    points, labels = [], []
    for i, centre in enumerate(centres):
        centre = torch.tensor(centre, dtype=torch.float64)
        v = torch.randn(n_per, len(centre), generator=g, dtype=torch.float64) * spread
        points.append(
            poincare_ball(c).expmap(centre.expand(n_per, -1), v / poincare_ball(c).lambda_x(centre))
        )
        labels += [i] * n_per
    return torch.cat(points).numpy(), np.array(labels)


def _agree(a, b):
    return (a[:, None] == a[None]) == (b[:, None] == b[None])


def test_recovers_separated_clusters_near_the_boundary():
    c = 1.0
    z, truth = _clusters(60, [[0.9, 0.0], [-0.9, 0.0], [0.0, 0.93]], 0.3, c)
    labels = PoincareKMeans(n_clusters=3).fit_predict(z, geometry=poincare(c))
    assert _agree(labels, truth).all()


def test_centroid_is_the_frechet_mean():
    c = 1.0
    centre = torch.tensor([0.5, 0.3], dtype=torch.float64)
    v = torch.tensor([[1.5, 0.0], [-1.5, 0.0], [0.0, 1.5], [0.0, -1.5]], dtype=torch.float64)
    z = poincare_ball(c).expmap(centre.expand(4, -1), v / poincare_ball(c).lambda_x(centre))
    result = kmeans(z.numpy(), 1, c, n_init=1, max_iter=100, tol=1e-12)
    np.testing.assert_allclose(result.centroids[0], centre.numpy(), atol=1e-6)
    # and it is not the Euclidean mean, which the ball's geometry pulls elsewhere
    assert np.abs(z.numpy().mean(0) - centre.numpy()).max() > 1e-2


def test_euclidean_embeddings_are_refused():
    z = np.random.default_rng(0).normal(0, 0.1, (20, 2))
    with pytest.raises(IncompatibleComponentsError, match="poincare"):
        PoincareKMeans().fit_predict(z, geometry=EUCLIDEAN)
    with pytest.raises(IncompatibleComponentsError):
        PoincareKMeans().fit_predict(z)  # no geometry given: Euclidean assumed, refused


def test_points_outside_the_ball_are_refused():
    z = np.array([[0.1, 0.2], [0.8, 0.0], [0.0, 0.1]])
    with pytest.raises(InputError, match="outside the Poincaré ball"):
        PoincareKMeans(n_clusters=2).fit_predict(z, geometry=poincare(2.0))


def test_nan_is_refused():
    z = np.array([[0.1, 0.2], [np.nan, 0.0], [0.0, 0.1]])
    with pytest.raises(InputError, match="NaN"):
        PoincareKMeans(n_clusters=2).fit_predict(z, geometry=poincare(1.0))


def test_fewer_points_than_clusters_is_refused():
    with pytest.raises(InputError):
        PoincareKMeans(n_clusters=5).fit_predict(np.zeros((3, 2)), geometry=poincare(1.0))


def test_same_seed_same_labels_and_predict_agrees():
    z, _ = _clusters(40, [[0.5, 0.0], [-0.5, 0.2]], 0.4, 1.0)
    a = PoincareKMeans(n_clusters=2, seed=3)
    labels = a.fit_predict(z, geometry=poincare(1.0))
    b = PoincareKMeans(n_clusters=2, seed=3).fit_predict(z, geometry=poincare(1.0))
    np.testing.assert_array_equal(labels, b)
    np.testing.assert_array_equal(a.predict(z), labels)


def test_state_round_trips(tmp_path):
    z, _ = _clusters(30, [[0.5, 0.0], [-0.5, 0.2]], 0.4, 1.0)
    model = registry.create("clusterer", "hypervae.poincare_kmeans", n_clusters=2)
    model.fit_predict(z, geometry=poincare(1.0))
    loaded = PoincareKMeans.load(model.save(tmp_path / "km"))
    np.testing.assert_array_equal(loaded.predict(z), model.predict(z))


def test_euclidean_mode_of_the_routine_is_plain_kmeans():
    z = np.concatenate([np.zeros((10, 2)), np.full((10, 2), 5.0)])
    result = kmeans(z, 2, None)
    np.testing.assert_allclose(sorted(result.centroids[:, 0]), [0.0, 5.0])


@pytest.mark.slow
def test_hundred_thousand_points_take_seconds():
    z, _ = _clusters(
        25_000, [[0.6, 0.0, 0.0], [-0.6, 0.0, 0.0], [0.0, 0.6, 0.0], [0.0, 0.0, 0.6]], 0.3, 1.0
    )
    start = time.perf_counter()
    PoincareKMeans(n_clusters=4, n_init=2).fit_predict(z, geometry=poincare(1.0))
    assert time.perf_counter() - start < 30  # a loose bound: 2 shared cores
