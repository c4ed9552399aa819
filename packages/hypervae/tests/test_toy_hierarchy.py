"""The toy generator: nested levels, every class present, train and test disjoint."""

import numpy as np
import pytest

from morphospace.core import registry
from morphospace.hypervae.toy_hierarchy import LEVEL_CLASSES, make_volume


def test_shapes_and_keys(toy):
    assert toy.obsm["volume"].shape == (3, 1, 16, 16, 16)
    assert toy.obsm["truth"].shape == (3, 3, 16, 16, 16)
    assert toy.obs["train"].tolist() == [True, True, False]
    assert toy.uns["toy_hierarchy"]["levels"] == list(LEVEL_CLASSES)


def test_levels_refine_each_other():
    _, labels = make_volume(32, np.random.default_rng(3))
    level1, level2, level3 = labels
    np.testing.assert_array_equal(level1 > 0, level2 > 0)
    np.testing.assert_array_equal(level2 == 2, level3 >= 2)  # nucleus = nucleoplasm + vesicles
    np.testing.assert_array_equal(level2 == 1, level3 == 1)


def test_every_class_of_every_level_occurs():
    _, labels = make_volume(32, np.random.default_rng(0))
    for level, classes in enumerate(LEVEL_CLASSES.values()):
        assert set(np.unique(labels[level])) == set(range(len(classes)))


def test_regions_differ_in_intensity():
    volume, labels = make_volume(32, np.random.default_rng(1), noise=0.0)
    means = [volume[0][labels[2] == k].mean() for k in range(4)]
    assert means[0] < means[1] < means[3] and means[2] < means[3]


def test_seeded_and_train_test_differ():
    a = registry.load_dataset("hypervae.toy_hierarchy", n_train=1, n_test=1, size=16, seed=5)
    b = registry.load_dataset("hypervae.toy_hierarchy", n_train=1, n_test=1, size=16, seed=5)
    np.testing.assert_array_equal(a.obsm["volume"], b.obsm["volume"])
    assert not np.allclose(a.obsm["volume"][0], a.obsm["volume"][1])
    # adding training volumes does not change the test volumes
    c = registry.load_dataset("hypervae.toy_hierarchy", n_train=3, n_test=1, size=16, seed=5)
    np.testing.assert_array_equal(a.obsm["volume"][-1], c.obsm["volume"][-1])


def test_too_small_volumes_are_refused():
    with pytest.raises(ValueError, match="at least 16"):
        registry.load_dataset("hypervae.toy_hierarchy", size=8)
