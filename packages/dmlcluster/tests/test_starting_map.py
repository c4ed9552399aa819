"""Where NCA and MLKR start: metric-learn's directions at the nearest-neighbour scale."""

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.core.errors import InputError
from morphospace.dmlcluster.metric_learn_compat import starting_directions
from morphospace.dmlcluster.preprocessing import scale_to_nearest_neighbours


def median_nearest_neighbour_d2(embedded):
    d2 = ((embedded[:, None] - embedded[None]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    return np.median(d2.min(axis=1))


def test_a_larger_start_is_shrunk_to_median_nearest_neighbour_distance_one():
    z = np.random.default_rng(0).normal(0, 7.0, (301, 6))
    directions = np.random.default_rng(1).normal(size=(4, 6))
    start = scale_to_nearest_neighbours(z, directions)
    assert median_nearest_neighbour_d2(z @ start.T) == pytest.approx(1.0)
    ratio = start / directions  # only the scale changes
    np.testing.assert_allclose(ratio, ratio[0, 0])


def test_a_start_already_below_the_neighbour_scale_is_left_alone():
    z = np.random.default_rng(0).normal(0, 0.01, (301, 2))
    np.testing.assert_array_equal(scale_to_nearest_neighbours(z, np.eye(2)), np.eye(2))


def test_identical_cells_are_refused_with_the_reason():
    z = np.repeat(np.random.default_rng(0).normal(size=(10, 3)), 2, axis=0)
    with pytest.raises(InputError, match="identical twin"):
        scale_to_nearest_neighbours(z, np.eye(3))


@pytest.mark.parametrize("has_classes", [True, False])
def test_the_directions_are_metric_learns_own(has_classes, separable):
    x, y = separable
    codes = np.unique(y, return_inverse=True)[1]
    encoder = registry.create("encoder", "dmlcluster.nca", n_components=2, seed=0)
    start = encoder.starting_map(x, codes, has_classes=has_classes)
    directions = starting_directions(x, codes, 2, has_classes=has_classes, seed=0)
    np.testing.assert_allclose(start / np.abs(start).max(), directions / np.abs(directions).max())
    assert median_nearest_neighbour_d2(x @ start.T) <= 1.0 + 1e-9
    auto = registry.create("encoder", "dmlcluster.nca", init="auto")
    assert auto.starting_map(x, codes) == "auto"


@pytest.mark.parametrize("name", ["nca", "mlkr"])
def test_at_a_saturated_scale_only_the_nearest_neighbour_start_learns(name, separable):
    # unscaled features x 10: squared distances in the thousands, exp(-d²) is a hard 1-NN
    x, y = separable
    x = x * 10

    def fit(init):
        return registry.create(
            "encoder", f"dmlcluster.{name}", init=init, scale=False, max_iter=30
        ).fit(x, y)

    stuck, learning = fit("auto"), fit("nearest_neighbour")
    assert stuck.n_iter_ <= 1
    assert learning.n_iter_ >= 1
    # it moved away from its start (the identity, rescaled)
    normalised = learning.components_ / np.linalg.norm(learning.components_)
    assert np.abs(normalised - np.eye(x.shape[1]) / np.sqrt(x.shape[1])).max() > 0.01
